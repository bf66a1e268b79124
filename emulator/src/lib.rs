//! Local Alipay Open Platform gateway for tests: v2 `gateway.do` and v3 REST, stateful trades,
//! fault injection, no credentials, no network.

pub mod domain;

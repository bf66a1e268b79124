//! Operation descriptors: the data the generated SDK hands to the runtime.
//!
//! One descriptor per Alipay operation. The generated crate emits them as `static` items and
//! calls [`crate::Client::execute`] with a descriptor and the serialized request; everything
//! generic (signing, placement of parameters, verification, retries) lives in the runtime.
//!
//! These types are constructed by generated code with struct literals, so they are not
//! `#[non_exhaustive]`; adding a field is a coordinated change of runtime and generator.

/// HTTP method of a v3 REST operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    /// Upper-case method name, as signed in the v3 string to sign.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// Whether repeating the operation is harmless. Drives the retry policy: after the request
/// may have reached Alipay, only calls that are [`Safety::ReadOnly`] for their request (see
/// [`Safety::for_request`]) are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Safety {
    /// Queries: no state changes, safe to repeat.
    ReadOnly,
    /// Anything that may change state or move money: never blindly repeated.
    Mutating,
    /// State-changing, but Alipay deduplicates it by the value of this request field: repeating
    /// the request with the same value cannot act twice (a refund with the same
    /// `out_request_no`). Without the field it is [`Safety::Mutating`].
    IdempotentBy(&'static str),
}

impl Safety {
    /// The safety of one request of the operation, from its serialized parameters:
    /// [`Safety::IdempotentBy`] becomes [`Safety::ReadOnly`] when the request carries a
    /// non-empty value of the key field, else [`Safety::Mutating`].
    pub fn for_request(self, params: &serde_json::Value) -> Safety {
        match self {
            Safety::IdempotentBy(key) => match params.get(key) {
                Some(serde_json::Value::String(v)) if !v.is_empty() => Safety::ReadOnly,
                Some(v) if !v.is_null() && !v.is_string() => Safety::ReadOnly,
                _ => Safety::Mutating,
            },
            other => other,
        }
    }
}

/// How an operation is used on the v2 gateway (`gateway.do`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Route {
    /// JSON key of the signed response node, e.g. `alipay_trade_query_response`.
    pub response_key: &'static str,
    /// The request fields travel as the JSON text of `biz_content`.
    pub biz_content: bool,
    /// Fields sent as top-level text parameters instead of inside `biz_content`
    /// (wire names; signed like any parameter).
    pub text_params: &'static [&'static str],
    /// File parameters (multipart upload; never signed).
    pub files: &'static [&'static str],
    /// Alipay requires AES content encryption for this method.
    pub need_encrypt: bool,
    /// Executed by the buyer's client (page / wap / app pay): no server call.
    pub client_executed: bool,
}

/// Where a v3 request's body goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V3Body {
    /// No body (GET/DELETE and body-less operations).
    None,
    /// `application/json`: every field that is not a path or query parameter.
    Json,
    /// `multipart/form-data`: the non-file fields as one signed JSON `data` part, plus file parts.
    Multipart { files: &'static [&'static str] },
}

/// How an operation is used on the v3 REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V3Route {
    pub method: HttpMethod,
    /// Path template, e.g. `/v3/alipay/trade/query` or `/v3/alipay/marketing/activity/{activity_id}`.
    pub path: &'static str,
    /// Wire names of the fields substituted into `{…}` placeholders of `path`.
    pub path_params: &'static [&'static str],
    /// Wire names of the fields sent in the query string, in this order.
    pub query_params: &'static [&'static str],
    pub body: V3Body,
}

/// One Alipay operation, as far as the wire protocols are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The v2 method name, which is also the operation's canonical name: `alipay.trade.query`.
    pub name: &'static str,
    pub safety: Safety,
    /// Present when the operation is served by the v2 gateway.
    pub v2: Option<V2Route>,
    /// Present when the operation is served by the v3 REST API.
    pub v3: Option<V3Route>,
}

#[cfg(test)]
mod tests {
    use super::Safety;
    use serde_json::json;

    #[test]
    fn idempotent_by_a_key_is_read_only_only_with_the_key() {
        let refund = Safety::IdempotentBy("out_request_no");
        let with = json!({"out_trade_no": "1", "out_request_no": "R1"});
        assert_eq!(refund.for_request(&with), Safety::ReadOnly);
        for without in [
            json!({"out_trade_no": "1"}),
            json!({"out_trade_no": "1", "out_request_no": ""}),
            json!({"out_trade_no": "1", "out_request_no": null}),
            json!("not an object"),
        ] {
            assert_eq!(refund.for_request(&without), Safety::Mutating, "{without}");
        }
        assert_eq!(Safety::ReadOnly.for_request(&with), Safety::ReadOnly);
        assert_eq!(Safety::Mutating.for_request(&with), Safety::Mutating);
    }
}

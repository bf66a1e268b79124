//! Alipay SDK (generated).

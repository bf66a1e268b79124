//! Client-executed checkout hand-offs: no server call, the signed v2 parameter set is given
//! to the Alipay app SDK (app pay) or to the buyer's browser (page / wap pay).
//!
//! Build the full v2 parameter set (common parameters, `notify_url`, `return_url`,
//! `biz_content`), sign it with [`crate::v2::signed_pairs`], then:
//! - [`app_pay_order_string`]: the order string for the mobile SDK (`alipay.trade.app.pay`);
//! - [`page_pay_url`]: a GET URL to redirect the buyer to (`alipay.trade.page.pay`,
//!   `alipay.trade.wap.pay`);
//! - [`page_pay_form`]: an auto-submitting HTML form (POST) with the same parameters.
//!
//! The signature covers the parameters, not their encoding, so every encoding below is
//! accepted by the gateway as long as each value is decoded once to what was signed.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What JavaScript's `encodeURIComponent` leaves unencoded: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Parameters carried in the gateway URL's query string by [`page_pay_url`] and in the form's
/// `action` by [`page_pay_form`]; every other parameter (`biz_content`, …) is a form field.
pub const URL_PARAMS: &[&str] = &[
    "app_id",
    "method",
    "format",
    "charset",
    "sign_type",
    "sign",
    "timestamp",
    "version",
    "notify_url",
    "return_url",
    "auth_token",
    "app_auth_token",
    "app_cert_sn",
    "alipay_root_cert_sn",
];

/// `encodeURIComponent` of `value` (UTF-8, upper-case hex, space → `%20`).
pub fn encode_uri_component(value: &str) -> String {
    utf8_percent_encode(value, URI_COMPONENT).to_string()
}

/// The app pay order string: `k=encodeURIComponent(v)` joined with `&`, in the given order,
/// `sign` included. Empty values are skipped (they are not signed either).
pub fn app_pay_order_string(signed_params: &[(&str, &str)]) -> String {
    signed_params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode_uri_component(k), encode_uri_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn is_url_param(key: &str) -> bool {
    URL_PARAMS.contains(&key)
}

/// Form encoding (space → `+`) of the [`URL_PARAMS`] subset, in the given order.
fn url_query(signed_params: &[(&str, &str)]) -> String {
    let pairs: Vec<(&str, &str)> = signed_params
        .iter()
        .filter(|(k, _)| is_url_param(k))
        .copied()
        .collect();
    crate::v2::form_encode(&pairs)
}

/// A GET URL for page/wap pay: `gateway?` + the [`URL_PARAMS`] form-encoded, then the other
/// parameters (`biz_content`, …) encoded like `encodeURIComponent`, each group in the given
/// order. (These are the bytes the Node SDK produces for the same parameters.)
pub fn page_pay_url(gateway: &str, signed_params: &[(&str, &str)]) -> String {
    let mut url = String::from(gateway);
    url.push(if gateway.contains('?') { '&' } else { '?' });
    url.push_str(&url_query(signed_params));
    for (k, v) in signed_params {
        if is_url_param(k) || v.is_empty() {
            continue;
        }
        url.push('&');
        url.push_str(&encode_uri_component(k));
        url.push('=');
        url.push_str(&encode_uri_component(v));
    }
    url
}

/// HTML escaping for text and double-quoted attribute values: `&` `<` `>` `"`.
pub fn html_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// `id`/`name` of the form emitted by [`page_pay_form`].
pub const FORM_ID: &str = "alipay_checkout";

/// An auto-submitting HTML form for page/wap pay (POST): `action` = the gateway with the
/// [`URL_PARAMS`] in the query string, one hidden input per other parameter, every attribute
/// HTML-escaped, followed by a one-line script that submits it. Serve it as the body of a
/// `text/html; charset=utf-8` response or embed it in a page.
pub fn page_pay_form(gateway: &str, signed_params: &[(&str, &str)]) -> String {
    let mut action = String::from(gateway);
    action.push(if gateway.contains('?') { '&' } else { '?' });
    action.push_str(&url_query(signed_params));
    let mut html = format!(
        "<form id=\"{FORM_ID}\" name=\"{FORM_ID}\" method=\"post\" action=\"{}\">\n",
        html_escape(&action)
    );
    for (k, v) in signed_params {
        if is_url_param(k) || v.is_empty() {
            continue;
        }
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            html_escape(k),
            html_escape(v)
        ));
    }
    html.push_str("</form>\n");
    html.push_str(&format!(
        "<script>document.getElementById(\"{FORM_ID}\").submit();</script>"
    ));
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_encoding() {
        assert_eq!(
            html_escape(r#"<a href="x">&</a>'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;'"
        );
        assert_eq!(
            encode_uri_component("a b!~*'()中/+"),
            "a%20b!~*'()%E4%B8%AD%2F%2B"
        );
    }

    #[test]
    fn form_shape() {
        let html = page_pay_form(
            "https://gw.example/gateway.do",
            &[
                ("method", "m"),
                ("sign", "a+b"),
                ("biz_content", r#"{"s":"<&>"}"#),
            ],
        );
        assert_eq!(
            html,
            "<form id=\"alipay_checkout\" name=\"alipay_checkout\" method=\"post\" action=\"https://gw.example/gateway.do?method=m&amp;sign=a%2Bb\">\n\
             <input type=\"hidden\" name=\"biz_content\" value=\"{&quot;s&quot;:&quot;&lt;&amp;&gt;&quot;}\">\n\
             </form>\n\
             <script>document.getElementById(\"alipay_checkout\").submit();</script>"
        );
    }
}

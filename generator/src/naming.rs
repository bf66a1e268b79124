//! The one identifier sanitizer, and the namespaces that resolve collisions.
//!
//! Every Rust identifier the emitters print comes from [`sanitize`] and is claimed in a
//! [`Namespace`], so keywords, leading digits, non-ASCII text and collisions are handled here
//! and nowhere else.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};
use std::collections::BTreeSet;

/// The case an identifier is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Types and enum variants: `TradeStatus`.
    UpperCamel,
    /// Fields, methods and modules: `out_trade_no`.
    Snake,
    /// Statics: `ALIPAY_TRADE_QUERY`.
    ShoutySnake,
}

/// A sanitized Rust identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name {
    /// The identifier without any `r#` prefix.
    pub text: String,
    /// Printed as a raw identifier (`r#type`).
    pub raw: bool,
}

impl Name {
    /// The identifier as a token.
    pub fn ident(&self) -> Ident {
        if self.raw {
            Ident::new_raw(&self.text, Span::call_site())
        } else {
            Ident::new(&self.text, Span::call_site())
        }
    }

    /// The identifier as written in source (`r#type`).
    pub fn source(&self) -> String {
        if self.raw {
            format!("r#{}", self.text)
        } else {
            self.text.clone()
        }
    }

    /// Whether serde's name for this field (the identifier without `r#`) is `wire`.
    pub fn matches_wire(&self, wire: &str) -> bool {
        self.text == wire
    }
}

/// Rust keywords, strict and reserved (2021 edition and later), plus weak keywords that
/// cannot be used as plain identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Turns arbitrary spec text (wire names, schema names, enum values, Chinese labels) into a
/// valid Rust identifier in `case`. `fallback` is used when nothing identifier-like is left
/// (for example text that is entirely Chinese); it must itself be a plain ASCII word.
pub fn sanitize(text: &str, case: Case, fallback: &str) -> Name {
    // Keep ASCII letters and digits; everything else separates words. Non-ASCII text is
    // dropped rather than transliterated: it is valid Rust, but not something to type.
    let words: String = text
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { ' ' })
        .collect();
    let cased = match case {
        Case::UpperCamel => words.to_upper_camel_case(),
        Case::Snake => words.to_snake_case(),
        Case::ShoutySnake => words.to_shouty_snake_case(),
    };
    let mut s = if cased.is_empty() {
        match case {
            Case::UpperCamel => fallback.to_upper_camel_case(),
            Case::Snake => fallback.to_snake_case(),
            Case::ShoutySnake => fallback.to_shouty_snake_case(),
        }
    } else {
        cased
    };
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = match case {
            Case::UpperCamel => format!("V{s}"),
            Case::Snake | Case::ShoutySnake => format!("_{s}"),
        };
    }
    finish(s)
}

/// Applies the keyword rule and checks the result with `syn`.
fn finish(s: String) -> Name {
    let name = if KEYWORDS.contains(&s.as_str()) {
        if NOT_RAW.contains(&s.as_str()) {
            Name {
                text: format!("{s}_"),
                raw: false,
            }
        } else {
            Name { text: s, raw: true }
        }
    } else {
        Name {
            text: s,
            raw: false,
        }
    };
    if syn::parse_str::<syn::Ident>(&name.source()).is_ok() {
        name
    } else {
        // Unreachable for the text produced above; a defensive, still valid, fallback.
        Name {
            text: format!(
                "x_{}",
                name.text.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            ),
            raw: false,
        }
    }
}

/// One scope of identifiers (the crate's types, one struct's fields, one enum's variants).
/// The first claimant of a name keeps it; later ones get a numeric suffix.
#[derive(Debug, Clone, Default)]
pub struct Namespace {
    used: BTreeSet<String>,
}

impl Namespace {
    /// A namespace in which `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Namespace {
            used: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Claims `name`, or the first free `name2`, `name3`, … (`name_2`, … in snake case).
    pub fn claim(&mut self, name: Name) -> Name {
        if self.used.insert(name.text.clone()) {
            return name;
        }
        let snake = name.text.chars().all(|c| !c.is_ascii_uppercase());
        let base = name.text.trim_end_matches('_').to_string();
        for n in 2u32.. {
            let candidate = if snake {
                format!("{base}_{n}")
            } else {
                format!("{base}{n}")
            };
            if self.used.insert(candidate.clone()) {
                return finish(candidate);
            }
        }
        name
    }

    /// Sanitizes and claims in one step.
    pub fn claim_text(&mut self, text: &str, case: Case, fallback: &str) -> Name {
        self.claim(sanitize(text, case, fallback))
    }
}

/// The Rust names of a model's fields, in order. `new` is reserved for the constructor.
pub fn field_names(fields: &[crate::ir::Field]) -> Vec<Name> {
    let mut ns = Namespace::with_reserved(&["new"]);
    fields
        .iter()
        .map(|f| ns.claim_text(&f.wire_name, Case::Snake, "field"))
        .collect()
}

/// The variant names of an open enum, in order. `Unknown` is reserved for unknown values.
pub fn variant_names(values: &[crate::ir::EnumValue]) -> Vec<Name> {
    let mut ns = Namespace::with_reserved(&["Unknown"]);
    values
        .iter()
        .map(|v| ns.claim_text(&v.wire, Case::UpperCamel, "Value"))
        .collect()
}

/// Module name of an API family: `alipay.trade` → `alipay_trade`.
pub fn module_name(family: &str) -> Name {
    sanitize(family, Case::Snake, "family")
}

/// Cargo feature of a module: `alipay_trade` → `alipay-trade`.
pub fn feature_name(module: &Name) -> String {
    module.text.trim_start_matches('_').replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str, case: Case) -> String {
        sanitize(text, case, "value").source()
    }

    #[test]
    fn keywords_become_raw_or_suffixed() {
        assert_eq!(s("type", Case::Snake), "r#type");
        assert_eq!(s("match", Case::Snake), "r#match");
        assert_eq!(s("async", Case::Snake), "r#async");
        assert_eq!(s("self", Case::Snake), "self_");
        assert_eq!(s("super", Case::Snake), "super_");
        assert_eq!(s("crate", Case::Snake), "crate_");
        assert_eq!(s("Self", Case::UpperCamel), "Self_");
        assert_eq!(s("self", Case::UpperCamel), "Self_");
        // Every result parses as an identifier.
        for kw in KEYWORDS {
            for case in [Case::Snake, Case::UpperCamel, Case::ShoutySnake] {
                let name = sanitize(kw, case, "value");
                assert!(syn::parse_str::<syn::Ident>(&name.source()).is_ok(), "{kw}");
            }
        }
    }

    #[test]
    fn leading_digits_get_a_prefix() {
        assert_eq!(s("1st_place", Case::Snake), "_1st_place");
        assert_eq!(s("00", Case::UpperCamel), "V00");
        assert_eq!(s("3d", Case::ShoutySnake), "_3D");
        assert_eq!(s("h_5_extra_pic", Case::Snake), "h_5_extra_pic");
        assert_eq!(s("picture_1", Case::Snake), "picture_1");
    }

    #[test]
    fn case_conversion() {
        assert_eq!(s("outTradeNo", Case::Snake), "out_trade_no");
        assert_eq!(s("out_trade_no", Case::Snake), "out_trade_no");
        assert_eq!(s("ACQ.SYSTEM_ERROR", Case::UpperCamel), "AcqSystemError");
        assert_eq!(s("WAIT_BUYER_PAY", Case::UpperCamel), "WaitBuyerPay");
        assert_eq!(
            s("alipay.trade.query", Case::UpperCamel),
            "AlipayTradeQuery"
        );
        assert_eq!(
            s("alipay.trade.query", Case::ShoutySnake),
            "ALIPAY_TRADE_QUERY"
        );
        assert_eq!(
            s("app-key-security-risk, app-cert-expired", Case::UpperCamel),
            "AppKeySecurityRiskAppCertExpired"
        );
    }

    #[test]
    fn chinese_and_odd_text() {
        // Entirely Chinese: the fallback.
        assert_eq!(s("借出", Case::UpperCamel), "Value");
        assert_eq!(s("商户订单号", Case::Snake), "value");
        // Mixed: the ASCII part survives.
        assert_eq!(s("A级", Case::UpperCamel), "A");
        assert_eq!(s("订单no", Case::Snake), "no");
        assert_eq!(s("  ", Case::Snake), "value");
        assert_eq!(s("a-b c/d", Case::Snake), "a_b_c_d");
        assert_eq!(s("$ref", Case::Snake), "r#ref");
        assert_eq!(s("_", Case::Snake), "value");
        assert_eq!(s("1", Case::Snake), "_1");
    }

    #[test]
    fn collisions_are_resolved_in_order() {
        let mut ns = Namespace::default();
        assert_eq!(
            ns.claim_text("out_trade_no", Case::Snake, "f").source(),
            "out_trade_no"
        );
        assert_eq!(
            ns.claim_text("outTradeNo", Case::Snake, "f").source(),
            "out_trade_no_2"
        );
        assert_eq!(
            ns.claim_text("OUT_TRADE_NO", Case::Snake, "f").source(),
            "out_trade_no_3"
        );

        let mut types = Namespace::default();
        assert_eq!(
            types
                .claim_text("trade.status", Case::UpperCamel, "T")
                .source(),
            "TradeStatus"
        );
        assert_eq!(
            types
                .claim_text("TRADE_STATUS", Case::UpperCamel, "T")
                .source(),
            "TradeStatus2"
        );
        // Chinese values collide on the fallback and are numbered.
        let mut variants = Namespace::with_reserved(&["Unknown"]);
        assert_eq!(
            variants
                .claim_text("借出", Case::UpperCamel, "Value")
                .source(),
            "Value"
        );
        assert_eq!(
            variants
                .claim_text("归还", Case::UpperCamel, "Value")
                .source(),
            "Value2"
        );
        assert_eq!(
            variants
                .claim_text("unknown", Case::UpperCamel, "Value")
                .source(),
            "Unknown2"
        );
        // A suffixed keyword is still numbered from its base.
        let mut fields = Namespace::with_reserved(&["new"]);
        assert_eq!(fields.claim_text("new", Case::Snake, "f").source(), "new_2");
        assert_eq!(
            fields.claim_text("self", Case::Snake, "f").source(),
            "self_"
        );
        assert_eq!(
            fields.claim_text("self", Case::Snake, "f").source(),
            "self_2"
        );
    }

    #[test]
    fn modules_and_features() {
        let m = module_name("alipay.trade");
        assert_eq!(m.source(), "alipay_trade");
        assert_eq!(feature_name(&m), "alipay-trade");
        assert_eq!(module_name("zhima.merchant").source(), "zhima_merchant");
    }
}

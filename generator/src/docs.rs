//! Doc comment text: short labels and facts from the spec.
//!
//! Kept short on purpose (large generated crates make rustdoc slow): a label, the wire name,
//! limits, an example. Long upstream prose is cut at its first clause.

use crate::ir::*;

/// Maximum characters of a label.
const LABEL_MAX: usize = 48;
/// Maximum characters of an example.
const EXAMPLE_MAX: usize = 64;

/// The first clause of a description, at most [`LABEL_MAX`] characters, markdown-escaped.
pub fn label(text: &str) -> String {
    // The first sentence; if that is still long, its first clause.
    let cut = text
        .find(['。', '；', ';', '\n', '<'])
        .map_or(text, |i| &text[..i]);
    let cut = if cut.chars().count() > LABEL_MAX {
        cut.find(['，', ',', '（', '(', '：', ':'])
            .map_or(cut, |i| &cut[..i])
    } else {
        cut
    };
    let cut = cut.trim().trim_end_matches([',', '.', ':', '：', '，']);
    let mut out: String = cut.chars().take(LABEL_MAX).collect();
    if cut.chars().count() > LABEL_MAX {
        out.push('…');
    }
    escape(out.trim())
}

/// Escapes markdown (and HTML) metacharacters.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' | '*' | '_' | '[' | ']' | '`' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// Text for inside a code span: no backticks, no line breaks, bounded length.
pub fn code(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '\n' | '\r' | '\t' => ' ',
            c => c,
        })
        .take(EXAMPLE_MAX)
        .collect();
    if text.chars().count() > EXAMPLE_MAX {
        out.push('…');
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        "\"\"".to_string()
    } else {
        trimmed.to_string()
    }
}

fn example_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => code(s),
        other => code(&other.to_string()),
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Facts of a field or schema: limits, pattern, example.
fn facts(doc: &Doc) -> Vec<String> {
    let mut out = Vec::new();
    match (doc.min_length, doc.max_length) {
        (Some(min), Some(max)) => out.push(format!("length {min}..={max}")),
        (None, Some(max)) => out.push(format!("max length {max}")),
        (Some(min), None) => out.push(format!("min length {min}")),
        (None, None) => {}
    }
    match (doc.minimum, doc.maximum) {
        (Some(min), Some(max)) => out.push(format!("range {}..={}", number(min), number(max))),
        (None, Some(max)) => out.push(format!("at most {}", number(max))),
        (Some(min), None) => out.push(format!("at least {}", number(min))),
        (None, None) => {}
    }
    if let Some(p) = &doc.pattern {
        out.push(format!("pattern `{}`", code(p)));
    }
    if let Some(e) = &doc.example {
        out.push(format!("example `{}`", example_text(e)));
    }
    out
}

/// Doc lines of a field.
/// Enum values listed in a field's doc, at most.
const ENUM_MAX: usize = 8;

/// Doc lines of a field; `values` are the known values when its type is an open enum.
pub fn field_doc(f: &Field, values: Option<&[EnumValue]>) -> Vec<String> {
    let mut lines = Vec::new();
    let title = f.doc.label.as_deref().map(label).filter(|l| !l.is_empty());
    lines.push(title.unwrap_or_else(|| format!("`{}`", code(&f.wire_name))));
    let mut facts_line = vec![format!("Wire name `{}`", code(&f.wire_name))];
    if f.required {
        facts_line.push("required".to_string());
    }
    if let Some(values) = values.filter(|v| !v.is_empty()) {
        let mut listed: Vec<String> = values
            .iter()
            .take(ENUM_MAX)
            .map(|v| format!("`{}`", code(&v.wire)))
            .collect();
        if values.len() > ENUM_MAX {
            listed.push("…".to_string());
        }
        facts_line.push(format!("one of {}", listed.join(", ")));
    }
    facts_line.extend(facts(&f.doc));
    if f.doc.deprecated {
        facts_line.push("deprecated".to_string());
    }
    lines.push(String::new());
    lines.push(format!("{}.", facts_line.join("; ")));
    lines
}

/// Doc lines of a named schema.
pub fn schema_doc(s: &Schema) -> Vec<String> {
    let mut lines = Vec::new();
    let title = s.doc.label.as_deref().map(label).filter(|l| !l.is_empty());
    lines.push(title.unwrap_or_else(|| format!("`{}`", code(&s.name))));
    let f = facts(&s.doc);
    if !f.is_empty() {
        lines.push(String::new());
        lines.push(format!("{}.", f.join("; ")));
    }
    lines
}

/// Doc lines of an operation's request model.
pub fn request_doc(op: &Operation) -> Vec<String> {
    let mut lines = Vec::new();
    let title = op.summary.as_deref().map(label).filter(|l| !l.is_empty());
    match title {
        Some(t) => lines.push(format!("{t}: request of `{}`.", op.name)),
        None => lines.push(format!("Request of `{}`.", op.name)),
    }
    lines.push(String::new());
    let mut routes = Vec::new();
    if let Some(v3) = &op.v3 {
        let method = v3.method.as_str();
        routes.push(format!("v3 `{method} {}`", code(&v3.path)));
    }
    if op.v2.is_some() {
        routes.push("v2 `gateway.do`".to_string());
    }
    let safety = match (&op.idempotency_key, op.safety) {
        (Some(key), Safety::Mutating) => {
            format!("mutating, idempotent by `{key}` (retried only when it is set)")
        }
        _ => op.safety.as_str().to_string(),
    };
    lines.push(format!("Served on {}; {safety}.", routes.join(" and ")));
    if op.client_executed {
        lines.push(String::new());
        lines.push("Executed by the buyer's client: build the signed URL, form or order string; there is no server call.".to_string());
    }
    if !op.files.is_empty() {
        let files: Vec<String> = op.files.iter().map(|f| format!("`{}`", code(f))).collect();
        lines.push(String::new());
        lines.push(format!(
            "Upload: pass {} in `CallOptions::files`.",
            files.join(", ")
        ));
    }
    lines
}

/// Doc lines of an operation's response model.
pub fn response_doc(op: &Operation) -> Vec<String> {
    vec![format!("Success response of `{}`.", op.name)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_and_escaped() {
        assert_eq!(label("商户订单号"), "商户订单号");
        assert_eq!(
            label("支付宝交易号，和商户订单号不能同时为空。"),
            "支付宝交易号，和商户订单号不能同时为空"
        );
        assert_eq!(label("金额(元)"), "金额(元)");
        let prose = format!(
            "支付宝交易号，{}。其他",
            "和商户订单号不能同时为空".repeat(5)
        );
        assert_eq!(label(&prose), "支付宝交易号");
        assert_eq!(label("a_b [x] <b>"), "a\\_b \\[x\\]");
        let long = "长".repeat(80);
        assert_eq!(label(&long).chars().count(), LABEL_MAX + 1);
    }

    #[test]
    fn code_spans_have_no_backticks() {
        assert_eq!(code("a`b"), "a'b");
        assert_eq!(code(""), "\"\"");
    }
}

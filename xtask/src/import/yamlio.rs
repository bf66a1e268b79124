//! Reading YAML into JSON values and writing spec files with the same bytes on every run.

use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// Reads a YAML (or JSON) file into a JSON value. Non-string mapping keys become their text.
pub fn load(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Parses YAML text into a JSON value.
pub fn parse(text: &str) -> Result<Value> {
    let value: serde_yaml::Value = serde_yaml::from_str(text)?;
    Ok(to_json(value))
}

fn to_json(value: serde_yaml::Value) -> Value {
    match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(seq) => Value::Array(seq.into_iter().map(to_json).collect()),
        serde_yaml::Value::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(key_text(k), to_json(v));
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(tagged) => to_json(tagged.value),
    }
}

fn key_text(key: serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".to_owned(),
        other => serde_yaml::to_string(&other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// Serializes a value as block-style YAML, keeping the order of every map. A string is written
/// plain only when every YAML 1.1 and 1.2 reader takes it as that string; otherwise it is
/// double-quoted (JSON escapes), so `'Y'`, `'2016-10-10 12:00:00'` and `'0001'` stay strings.
pub fn to_string(value: &Value) -> Result<String> {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    Ok(out)
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&key_text_out(key));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_list(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_map(out, map, indent + 2),
            Value::Array(inner) if flow(inner, indent).is_some() => {
                out.push_str(&flow(inner, indent).unwrap_or_default());
                out.push('\n');
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.pop();
                out.push('\n');
                write_list(out, inner, indent + 2);
            }
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// Writes the value after `key:`; block lists sit at the key's indentation.
fn write_value(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => match flow(items, indent) {
            Some(line) => {
                out.push(' ');
                out.push_str(&line);
                out.push('\n');
            }
            None => {
                out.push('\n');
                write_list(out, items, indent);
            }
        },
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// A list of scalars on one line (`[v2, v3]`) when it is short.
fn flow(items: &[Value], indent: usize) -> Option<String> {
    if items.iter().any(|v| v.is_object() || v.is_array()) {
        return None;
    }
    let parts: Vec<String> = items.iter().map(scalar).collect();
    let line = format!("[{}]", parts.join(", "));
    (indent + line.chars().count() <= 80).then_some(line)
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if plain_ok(s) {
                s.clone()
            } else {
                quoted(s)
            }
        }
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

fn key_text_out(key: &str) -> String {
    if plain_ok(key) || (key.starts_with('$') && plain_ok(&key[1..])) {
        key.to_owned()
    } else {
        quoted(key)
    }
}

/// A double-quoted scalar: JSON escapes, plus `\uXXXX` for the characters YAML does not print
/// (DEL, C1 controls, U+2028/U+2029 line breaks, BOM).
fn quoted(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()));
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        ) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `s` reads back as this string when written plain, in YAML 1.1 and 1.2.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_' || first == '/') {
        return false;
    }
    if s.ends_with(' ') || s.contains("  ") {
        return false;
    }
    let reserved = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf",
    ];
    if reserved.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    s.chars().all(|c| {
        c.is_alphanumeric()
            || matches!(c, '_' | '.' | '/' | '-' | '+' | ' ' | '(' | ')')
            || (!c.is_ascii()
                && !c.is_control()
                && !matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}'))
    })
}

/// Writes `text` to `path` (creating parent directories) unless the file already holds it.
pub fn write_if_changed(path: &Path, text: &str) -> Result<bool> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_string_reads_back_as_itself() {
        let tricky = [
            "Y",
            "n",
            "No",
            "on",
            "OFF",
            "null",
            "Null",
            "~",
            "true",
            "0001",
            "1.0",
            "1e3",
            ".5",
            "-1",
            "+1",
            "0x1F",
            "2016-10-10 12:00:00",
            "2016-10-10",
            "12:30",
            "a: b",
            "a:b",
            "#x",
            "x #y",
            "- x",
            "-x",
            "[x]",
            "{x}",
            "'q'",
            "\"dq\"",
            "多行\n文本",
            " lead",
            "trail ",
            "two  spaces",
            "@x",
            "%x",
            "`x",
            "!x",
            "&x",
            "*x",
            "|x",
            ">x",
            "?x",
            ",x",
            "tab\tx",
            "\u{2028}",
            "",
            "3.0.3",
            "$ref",
            "a\\b",
            "ü",
            "支付宝交易号",
            "out_trade_no",
            "https://example.com/a?b=c&d=e",
            "../_shared/schemas.yaml#/components/schemas/X",
        ];
        for s in tricky {
            let doc = json!({ "k": s, "list": [s, s], "map": { s: [s] } });
            let text = to_string(&doc).expect("serialize");
            let back = parse(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
            assert_eq!(back, doc, "{s:?} in\n{text}");
        }
    }

    #[test]
    fn block_style_with_short_flow_lists() {
        let doc = json!({
            "a": { "b": [1, 2], "c": [] , "d": {} },
            "e": [{ "f": "g", "h": ["i"] }, [["j"]]],
        });
        let text = to_string(&doc).expect("serialize");
        assert_eq!(
            text,
            "a:\n  b: [1, 2]\n  c: []\n  d: {}\ne:\n- f: g\n  h: [i]\n- [[j]]\n"
                .replace("- [[j]]", "-\n  - [j]")
        );
        assert_eq!(parse(&text).expect("parse"), doc);
    }
}

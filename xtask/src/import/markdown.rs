//! `cargo xtask import markdown <doc>`: an Alipay API doc page with parameter tables (common
//! request parameters, request parameters, common response parameters, response parameters,
//! error codes) becomes a v2-only spec. Cells may span lines; a row ends with its last `|`.

use super::label::{label, leading_phrase, MAX_LABEL_CHARS};
use super::openapi::API_VERSION;
use super::schema::{self, LOCAL};
use super::tree::{Imported, Operation};
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Common request parameters of the v2 gateway: recognised, never emitted as fields.
const COMMON_REQUEST: &[&str] = &[
    "app_id",
    "method",
    "format",
    "return_url",
    "charset",
    "sign_type",
    "sign",
    "timestamp",
    "version",
    "notify_url",
    "app_auth_token",
    "auth_token",
    "biz_content",
    "app_cert_sn",
    "alipay_root_cert_sn",
    "encrypt_type",
];

/// Common response fields of the v2 gateway.
const COMMON_RESPONSE: &[&str] = &["code", "msg", "sub_code", "sub_msg", "sign"];

#[derive(Debug, Default)]
struct Table {
    heading: Option<String>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn column(&self, names: &[&str]) -> Option<usize> {
        self.header.iter().position(|h| names.contains(&h.as_str()))
    }

    fn is_parameters(&self) -> bool {
        self.column(&["参数", "参数名", "参数名称", "字段", "名称"])
            .is_some()
            && self.column(&["类型"]).is_some()
    }

    fn is_error_codes(&self) -> bool {
        self.column(&["错误码", "错误代码"]).is_some()
    }

    fn names(&self) -> Vec<String> {
        let col = self
            .column(&["参数", "参数名", "参数名称", "字段", "名称"])
            .unwrap_or(0);
        self.rows
            .iter()
            .map(|r| field_name(r.get(col).map(String::as_str).unwrap_or_default()))
            .collect()
    }
}

/// Splits `text` into cells, one per `|`-terminated cell (text after the last `|` is dropped).
fn cells(text: &str) -> Vec<String> {
    let mut parts: Vec<String> = text.split('|').map(|c| c.trim().to_owned()).collect();
    parts.pop();
    parts
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.contains('-') && t.contains('|') && t.chars().all(|c| matches!(c, '-' | '|' | ':' | ' '))
}

fn parse_tables(text: &str) -> Vec<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines.get(i).copied().unwrap_or_default();
        let next = lines.get(i + 1).copied().unwrap_or_default();
        if !(line.contains('|') && is_separator(next)) {
            i += 1;
            continue;
        }
        let heading = lines
            .get(..i)
            .unwrap_or_default()
            .iter()
            .rev()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .filter(|l| !l.contains('|'))
            .map(str::to_owned);
        let mut table = Table {
            heading,
            header: cells(line),
            rows: Vec::new(),
        };
        let width = table.header.len().max(1);
        i += 2;
        let mut pending: Option<String> = None;
        while i < lines.len() {
            let line = lines.get(i).copied().unwrap_or_default();
            let starts_table =
                line.contains('|') && is_separator(lines.get(i + 1).copied().unwrap_or_default());
            if starts_table || is_separator(line) {
                break;
            }
            let heading_next = !line.contains('|')
                && lines.get(i + 1).is_some_and(|l| l.contains('|'))
                && is_separator(lines.get(i + 2).copied().unwrap_or_default());
            if heading_next {
                // The heading of the next table, after a row that lacks its last cells.
                break;
            }
            match pending.take() {
                Some(mut acc) => {
                    acc.push('\n');
                    acc.push_str(line);
                    if acc.matches('|').count() >= width {
                        table.rows.push(cells(&acc));
                    } else {
                        pending = Some(acc);
                    }
                }
                None => {
                    if !line.contains('|') {
                        break;
                    }
                    if line.matches('|').count() >= width {
                        table.rows.push(cells(line));
                    } else {
                        pending = Some(line.to_owned());
                    }
                }
            }
            i += 1;
        }
        if let Some(acc) = pending {
            // A short row (cells missing at its end) before the next table or the end.
            let mut row = cells(&format!("{acc}|"));
            row.retain(|_| true);
            table.rows.push(row);
        }
        tables.push(table);
    }
    tables
}

/// The wire name in a name cell (nesting markers such as `└` dropped).
fn field_name(cell: &str) -> String {
    cell.trim()
        .trim_start_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .trim()
        .to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    CommonRequest,
    Request,
    CommonResponse,
    Response,
    Other,
}

fn classify(table: &Table) -> Kind {
    if !table.is_parameters() {
        return Kind::Other;
    }
    if let Some(h) = &table.heading {
        if h.contains("公共请求参数") {
            return Kind::CommonRequest;
        }
        if h.contains("公共响应参数") || h.contains("公共返回参数") {
            return Kind::CommonResponse;
        }
        if h.contains("请求参数") {
            return Kind::Request;
        }
        if h.contains("响应参数") || h.contains("返回参数") {
            return Kind::Response;
        }
    }
    let names = table.names();
    let share = |set: &[&str]| names.iter().filter(|n| set.contains(&n.as_str())).count() * 2;
    if names.iter().any(|n| n == "method") && share(COMMON_REQUEST) >= names.len() {
        return Kind::CommonRequest;
    }
    if names.iter().any(|n| n == "code")
        && names.iter().any(|n| n == "msg")
        && share(COMMON_RESPONSE) >= names.len()
    {
        return Kind::CommonResponse;
    }
    Kind::Other
}

/// Imports one doc page.
pub fn import(text: &str) -> Result<Imported> {
    let tables = parse_tables(text);
    let mut kinds: Vec<Kind> = tables.iter().map(classify).collect();
    // Business tables without a heading: before the common response table they are the
    // request, after it the response; with no common response table, the first business
    // table is the request and the next the response.
    let common_response = kinds.iter().position(|k| *k == Kind::CommonResponse);
    let mut business = 0;
    for (i, table) in tables.iter().enumerate() {
        if let Some(k) = kinds.get_mut(i) {
            if *k == Kind::Other && table.is_parameters() {
                *k = match common_response {
                    Some(c) if i < c => Kind::Request,
                    Some(_) => Kind::Response,
                    None if business == 0 => Kind::Request,
                    None => Kind::Response,
                };
                business += 1;
            }
        }
    }
    let method = tables
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| **k == Kind::CommonRequest)
        .find_map(|(t, _)| method_name(t))
        .ok_or_else(|| anyhow!("no `method` row with an example in a common parameters table"))?;
    let camel = schema::upper_camel(&method);
    let family = schema::family(&method);
    let mut schemas = BTreeMap::new();
    let mut v2 = Map::new();
    let biz = tables
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| **k == Kind::CommonRequest)
        .any(|(t, _)| t.names().iter().any(|n| n == "biz_content"));
    let request_tables: Vec<&Table> = pick(&tables, &kinds, Kind::Request);
    v2.insert(
        "biz_content".into(),
        Value::Bool(biz || !request_tables.is_empty()),
    );
    v2.insert("need_encrypt".into(), Value::Bool(false));
    if !request_tables.is_empty() {
        let name = format!("{camel}Model");
        v2.insert(
            "request".into(),
            json!({ "$ref": format!("{LOCAL}{name}") }),
        );
        schemas.insert(name, object(&request_tables)?);
    }
    let response_name = format!("{camel}Response");
    v2.insert(
        "response".into(),
        json!({ "$ref": format!("{LOCAL}{response_name}") }),
    );
    v2.insert(
        "response_key".into(),
        json!(format!("{}_response", method.replace('.', "_"))),
    );
    schemas.insert(
        response_name,
        object(&pick(&tables, &kinds, Kind::Response))?,
    );
    let errors = error_codes(&tables);

    let first_line = text.lines().map(str::trim).find(|l| !l.is_empty());
    let title = first_line
        .map(leading_phrase)
        .filter(|l| !l.is_empty() && l.chars().count() <= MAX_LABEL_CHARS)
        .unwrap_or_else(|| method.clone());
    let mut top = Map::new();
    top.insert("openapi".into(), json!("3.0.3"));
    top.insert(
        "info".into(),
        json!({ "title": title, "version": API_VERSION }),
    );
    if !errors.is_empty() {
        top.insert("x-alipay-error-codes".into(), Value::Array(errors));
    }
    top.insert("x-alipay-family".into(), json!(family));
    top.insert("x-alipay-method".into(), json!(method));
    top.insert("x-alipay-protocols".into(), json!(["v2"]));
    top.insert(
        "x-alipay-safety".into(),
        json!(schema::safety(&method, None)),
    );
    top.insert("x-alipay-v2".into(), Value::Object(v2));
    top.insert("paths".into(), json!({}));
    Ok(Imported {
        op: Operation {
            method,
            family,
            doc: Value::Object(top),
        },
        schemas,
    })
}

fn pick<'a>(tables: &'a [Table], kinds: &[Kind], kind: Kind) -> Vec<&'a Table> {
    tables
        .iter()
        .zip(kinds)
        .filter(|(_, k)| **k == kind)
        .map(|(t, _)| t)
        .collect()
}

fn method_name(table: &Table) -> Option<String> {
    let name_col = table.column(&["参数", "参数名", "参数名称", "字段", "名称"])?;
    let example_col = table.column(&["示例值", "示例"])?;
    table
        .rows
        .iter()
        .find(|r| r.get(name_col).map(|c| field_name(c)).as_deref() == Some("method"))
        .and_then(|r| r.get(example_col))
        .map(|c| c.trim().to_owned())
        .filter(|m| {
            m.contains('.')
                && m.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        })
}

/// An object schema from parameter tables.
fn object(tables: &[&Table]) -> Result<Value> {
    let mut props = Map::new();
    let mut required = Vec::new();
    for table in tables {
        let col = |names: &[&str]| table.column(names);
        let name_col = col(&["参数", "参数名", "参数名称", "字段", "名称"])
            .ok_or_else(|| anyhow!("parameter table without a name column"))?;
        let type_col = col(&["类型"]);
        let req_col = col(&["是否必填", "必填", "是否必选", "必选"]);
        let len_col = col(&["最大长度", "长度"]);
        let desc_col = col(&["描述", "说明", "参数说明"]);
        let ex_col = col(&["示例值", "示例"]);
        for row in &table.rows {
            let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(String::as_str);
            let name = field_name(get(Some(name_col)).unwrap_or_default());
            if name.is_empty() {
                continue;
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                bail!("field name {name:?} is not a wire name");
            }
            let desc = get(desc_col);
            let mut prop = Map::new();
            prop.insert("description".into(), json!(label(desc, &name)));
            let (ty, format, items) = type_of(get(type_col).unwrap_or("String"));
            let values = desc.map(enum_values).unwrap_or_default();
            if !values.is_empty() && ty == "string" {
                prop.insert(
                    "enum".into(),
                    Value::Array(values.iter().map(|(v, _)| json!(v)).collect()),
                );
            }
            if let Some(ex) = get(ex_col).map(str::trim).filter(|e| !e.is_empty()) {
                prop.insert("example".into(), typed_example(ex, &ty));
            }
            if let Some(f) = format {
                prop.insert("format".into(), json!(f));
            }
            if let Some(items) = items {
                prop.insert("items".into(), items);
            }
            if let Some(n) = get(len_col).and_then(|l| l.trim().parse::<u64>().ok()) {
                if ty == "string" {
                    prop.insert("maxLength".into(), json!(n));
                }
            }
            prop.insert("type".into(), json!(ty));
            if !values.is_empty() && ty == "string" {
                let mut labels = Map::new();
                for (v, l) in &values {
                    labels.insert(v.clone(), json!(l));
                }
                prop.insert("x-alipay-enum-labels".into(), Value::Object(labels));
            }
            if get(req_col).is_some_and(is_required) {
                required.push(Value::String(name.clone()));
            }
            schema::sort_keys(&mut prop);
            props.insert(name, Value::Object(prop));
        }
    }
    let mut out = Map::new();
    out.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("type".into(), json!("object"));
    Ok(Value::Object(out))
}

fn is_required(cell: &str) -> bool {
    matches!(
        cell.trim(),
        "是" | "必须" | "必填" | "必选" | "Y" | "true" | "required"
    )
}

/// Doc types: `String`, `Number`, `Long`, `Boolean`, `Date`, `Price`, `X[]`.
fn type_of(cell: &str) -> (String, Option<&'static str>, Option<Value>) {
    let t = cell.trim();
    if let Some(inner) = t.strip_suffix("[]") {
        let (ty, format, _) = type_of(inner);
        let mut items = Map::new();
        if let Some(f) = format {
            items.insert("format".into(), json!(f));
        }
        items.insert("type".into(), json!(ty));
        return ("array".into(), None, Some(Value::Object(items)));
    }
    match t.to_ascii_lowercase().as_str() {
        "number" | "long" | "int" | "integer" => ("integer".into(), Some("int64"), None),
        "boolean" | "bool" => ("boolean".into(), None, None),
        "object" => ("object".into(), None, None),
        "price" => ("string".into(), Some("price"), None),
        _ => ("string".into(), None, None),
    }
}

fn typed_example(text: &str, ty: &str) -> Value {
    match ty {
        "array" => Value::Array(
            text.split([',', '，'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
                .collect(),
        ),
        "integer" => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        "boolean" => match text {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(text),
        },
        _ => json!(text),
    }
}

/// `VALUE:label` pairs in a description (`borrow:借出 restore:归还`).
fn enum_values(desc: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for token in desc.split_whitespace() {
        let Some((value, name)) = token.split_once([':', '：']) else {
            continue;
        };
        let name = name.trim_end_matches(['，', ',', '；', ';', '。']);
        let ident = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let is_label = !name.is_empty() && !name.contains([':', '：']);
        if ident && is_label && !out.iter().any(|(v, _)| v == value) {
            out.push((value.to_owned(), label(Some(name), value)));
        }
    }
    // One `VALUE:label` pair is a remark, not a list of values.
    if out.len() < 2 {
        out.clear();
    }
    out
}

fn error_codes(tables: &[Table]) -> Vec<Value> {
    let mut out = Vec::new();
    for table in tables.iter().filter(|t| t.is_error_codes()) {
        let code_col = table.column(&["错误码", "错误代码"]).unwrap_or(0);
        let desc_col = table.column(&["错误描述", "描述", "错误信息"]);
        for row in &table.rows {
            let Some(code) = row
                .get(code_col)
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            let desc = desc_col.and_then(|c| row.get(c)).map(String::as_str);
            out.push(json!({ "code": code, "label": label(desc, code) }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "公共请求参数
参数 | 类型 | 是否必填 | 最大长度 | 描述 | 示例值 |
---|---|---|---|---|---|
method | String | 是 | 128 | 接口名称 | demo.x.y.query |
请求参数
参数 | 类型 | 是否必填 | 最大长度 | 描述 | 示例值 |
---|---|---|---|---|---|
code | String | 必选 | 8 | 业务代码 | A1 |
kind | String | 可选 | 8 |
类别:
A:甲 B:乙 |
A |
note | String | 否 | - | 说明 |
响应参数
参数 | 类型 | 是否必填 | 最大长度 | 描述 | 示例值 |
---|---|---|---|---|---|
└ total | Number | 必填 | - | 总数 | 3 |
";

    #[test]
    fn headings_multi_line_cells_and_short_rows() {
        let item = import(PAGE).expect("import");
        let model = item.schemas.get("DemoXYQueryModel").expect("request model");
        // `code` is a request field here: the heading says so, whatever its name.
        assert_eq!(model.pointer("/required"), Some(&json!(["code"])));
        assert_eq!(
            model.pointer("/properties/kind/enum"),
            Some(&json!(["A", "B"]))
        );
        assert_eq!(model.pointer("/properties/kind/example"), Some(&json!("A")));
        assert_eq!(
            model.pointer("/properties/note/description"),
            Some(&json!("说明"))
        );
        assert_eq!(model.pointer("/properties/note/example"), None);
        let response = item.schemas.get("DemoXYQueryResponse").expect("response");
        assert_eq!(
            response.pointer("/properties/total/example"),
            Some(&json!(3))
        );
        assert_eq!(response.pointer("/required"), Some(&json!(["total"])));
        assert_eq!(item.op.method, "demo.x.y.query");
    }

    #[test]
    fn enum_values_need_two_pairs_of_identifiers() {
        assert!(enum_values("格式为:yyyyMMdd").is_empty());
        assert!(enum_values("时间格式:yyyy-MM-dd HH:mm:ss").is_empty());
        let v = enum_values("状态:\nY:准入 N:不准入");
        assert_eq!(
            v,
            vec![("Y".into(), "准入".into()), ("N".into(), "不准入".into())]
        );
    }

    #[test]
    fn no_panic_on_ragged_input() {
        for text in [
            "",
            "|",
            "参数 | 类型 |\n---|---|\n",
            "参数 | 类型 |\n---|---|\n a | String | x | y | z | w | v |\n",
            "参数 | 类型 | 是否必填 |\n---|---|---|\nmethod | String |",
            "错误码 | 错误描述 |\n---|---|\n",
        ] {
            let _ = import(text);
        }
    }
}

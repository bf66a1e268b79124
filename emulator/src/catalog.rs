//! Routes and validation, from the same specs as the generated SDK.
//!
//! The spec texts of `specs/` are embedded at build time (`build.rs`) and lowered at startup by
//! the code generator's loader (`alipay_codegen::load`) into its IR; the emulator serves every
//! operation of that IR on each protocol its spec names, and checks required parameters and
//! types against it.

use crate::domain::BizError;
use alipay_codegen::ir::{self, Api, Location, SchemaKind, Type};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/specs.rs"));
}

/// The spec files embedded at build time, `(path relative to specs/, YAML text)`, sorted.
pub fn embedded_specs() -> Vec<(String, String)> {
    embedded::SPECS
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect()
}

/// Maximum nesting followed when validating objects (schemas may be recursive).
const MAX_DEPTH: usize = 12;

/// A v3 route: method + path template split into segments.
#[derive(Debug, Clone)]
struct Route {
    method: &'static str,
    segments: Vec<Segment>,
    operation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The served operations.
#[derive(Debug, Clone)]
pub struct Catalog {
    api: Api,
    routes: Vec<Route>,
}

/// A v3 request matched to its operation.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch<'a> {
    pub operation: &'a ir::Operation,
    /// Path parameters, percent-decoded.
    pub path_params: Vec<(String, String)>,
}

fn method_str(m: ir::HttpMethod) -> &'static str {
    match m {
        ir::HttpMethod::Get => "GET",
        ir::HttpMethod::Post => "POST",
        ir::HttpMethod::Put => "PUT",
        ir::HttpMethod::Patch => "PATCH",
        ir::HttpMethod::Delete => "DELETE",
    }
}

fn split_template(path: &str) -> Vec<Segment> {
    path.trim_start_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

impl Catalog {
    /// The catalog of the specs embedded at build time (lowered once per process).
    pub fn embedded() -> Result<Self, alipay_codegen::Error> {
        static EMBEDDED: std::sync::OnceLock<Result<Catalog, alipay_codegen::Error>> =
            std::sync::OnceLock::new();
        EMBEDDED
            .get_or_init(|| Self::from_sources(&embedded_specs()))
            .clone()
    }

    /// A catalog of the given spec texts.
    pub fn from_sources(sources: &[(String, String)]) -> Result<Self, alipay_codegen::Error> {
        Ok(Self::from_api(alipay_codegen::load::load_sources(sources)?))
    }

    /// A catalog of a spec directory (the layout of `specs/`).
    pub fn from_dir(dir: &std::path::Path) -> Result<Self, alipay_codegen::Error> {
        Ok(Self::from_api(alipay_codegen::load::load_spec_dir(dir)?))
    }

    pub fn from_api(api: Api) -> Self {
        let mut routes = Vec::new();
        for op in api.operations.values() {
            if op.client_executed {
                continue;
            }
            if let Some(v3) = &op.v3 {
                routes.push(Route {
                    method: method_str(v3.method),
                    segments: split_template(&v3.path),
                    operation: op.name.clone(),
                });
            }
        }
        // Literal segments win over parameters: sort routes with more literals first.
        routes.sort_by_key(|r| {
            std::cmp::Reverse(
                r.segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count(),
            )
        });
        Catalog { api, routes }
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Every served operation name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.api
            .operations
            .values()
            .filter(|o| !o.client_executed)
            .map(|o| o.name.as_str())
    }

    /// An operation served on v2, by method name.
    pub fn v2(&self, method: &str) -> Option<&ir::Operation> {
        self.api
            .operations
            .get(method)
            .filter(|o| o.v2.is_some() && !o.client_executed)
    }

    /// A client-executed operation (page / wap / app pay): the buyer's browser or app brings
    /// the signed parameters to the gateway.
    pub fn client_executed(&self, method: &str) -> Option<&ir::Operation> {
        self.api
            .operations
            .get(method)
            .filter(|o| o.client_executed && o.v2.is_some())
    }

    /// The v3 operation of `method` + `path` (raw path, without the query).
    pub fn v3(&self, method: &str, path: &str) -> Option<RouteMatch<'_>> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        for route in &self.routes {
            if route.method != method || route.segments.len() != parts.len() {
                continue;
            }
            let mut params = Vec::new();
            let ok = route
                .segments
                .iter()
                .zip(&parts)
                .all(|(seg, part)| match seg {
                    Segment::Literal(l) => l == part,
                    Segment::Param(name) => {
                        let value = percent_encoding::percent_decode_str(part)
                            .decode_utf8_lossy()
                            .into_owned();
                        params.push((name.clone(), value));
                        !part.is_empty()
                    }
                });
            if ok {
                let operation = self.api.operations.get(&route.operation)?;
                return Some(RouteMatch {
                    operation,
                    path_params: params,
                });
            }
        }
        None
    }

    /// Whether some v3 operation lives at `path` (with another HTTP method).
    pub fn v3_path_exists(&self, path: &str) -> bool {
        ["GET", "POST", "PUT", "PATCH", "DELETE"]
            .iter()
            .any(|m| self.v3(m, path).is_some())
    }

    /// Checks `params` (keyed by wire name) against the operation's request fields: required
    /// fields present and non-empty, and every known field of the declared type. Values of
    /// `text_fields` (query, path and v2 text parameters) arrive as strings and are checked
    /// by parsing. Unknown fields are ignored, as Alipay does.
    pub fn validate(
        &self,
        op: &ir::Operation,
        params: &Map<String, Value>,
        text_fields: &[&str],
    ) -> Result<(), BizError> {
        for field in &op.request {
            if field.ty == Type::Binary {
                continue;
            }
            let name = field.wire_name.as_str();
            match params.get(name) {
                None | Some(Value::Null) => {
                    if field.required {
                        return Err(missing(name));
                    }
                }
                Some(Value::String(s)) if s.is_empty() && field.required => {
                    return Err(missing(name));
                }
                Some(v) => {
                    let is_text = text_fields.contains(&name);
                    self.check(&field.ty, &field.doc, v, name, is_text, 0)?;
                }
            }
        }
        Ok(())
    }

    fn check(
        &self,
        ty: &Type,
        doc: &ir::Doc,
        v: &Value,
        path: &str,
        as_text: bool,
        depth: usize,
    ) -> Result<(), BizError> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let bad = |want: &str| {
            BizError::invalid(
                "isv.invalid-parameter",
                format!("参数无效: {path} must be {want}"),
            )
        };
        // Text parameters carry scalars as strings.
        if as_text {
            if let Value::String(s) = v {
                let ok = match ty {
                    Type::Integer { .. } => s.parse::<i64>().is_ok(),
                    Type::Number { .. } => s.parse::<f64>().is_ok(),
                    Type::Boolean => s == "true" || s == "false",
                    Type::Array(_) | Type::Named(_) | Type::Json | Type::JsonMap => {
                        // Structured values as text parameters are JSON text.
                        match serde_json::from_str::<Value>(s) {
                            Ok(parsed) => return self.check(ty, doc, &parsed, path, false, depth),
                            Err(_) => matches!(ty, Type::Json | Type::Named(_)),
                        }
                    }
                    Type::String | Type::Binary => true,
                };
                return if ok {
                    check_len(doc, s, path)
                } else {
                    Err(bad(type_label(ty)))
                };
            }
        }
        match ty {
            Type::String => match v {
                Value::String(s) => check_len(doc, s, path),
                _ => Err(bad("a string")),
            },
            Type::Integer { .. } => match v {
                Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
                _ => Err(bad("an integer")),
            },
            Type::Number { .. } => match v {
                Value::Number(_) => Ok(()),
                _ => Err(bad("a number")),
            },
            Type::Boolean => match v {
                Value::Bool(_) => Ok(()),
                _ => Err(bad("a boolean")),
            },
            Type::Array(item) => match v {
                Value::Array(items) => {
                    for (i, it) in items.iter().enumerate() {
                        let p = format!("{path}[{i}]");
                        self.check(item, &ir::Doc::default(), it, &p, false, depth + 1)?;
                    }
                    Ok(())
                }
                _ => Err(bad("an array")),
            },
            Type::Json | Type::Binary => Ok(()),
            Type::JsonMap => match v {
                Value::Object(_) => Ok(()),
                _ => Err(bad("an object")),
            },
            Type::Named(name) => {
                let Some(schema) = self.api.schemas.get(name) else {
                    return Ok(());
                };
                match &schema.kind {
                    SchemaKind::Enum { .. } => match v {
                        // Open enums: any string.
                        Value::String(_) => Ok(()),
                        _ => Err(bad("a string")),
                    },
                    SchemaKind::Alias(t) => self.check(t, doc, v, path, false, depth + 1),
                    SchemaKind::Object { fields } => {
                        let Value::Object(obj) = v else {
                            return Err(bad("an object"));
                        };
                        for f in fields {
                            let p = format!("{path}.{}", f.wire_name);
                            match obj.get(&f.wire_name) {
                                None | Some(Value::Null) if f.required => return Err(missing(&p)),
                                None | Some(Value::Null) => {}
                                Some(inner) => {
                                    self.check(&f.ty, &f.doc, inner, &p, false, depth + 1)?
                                }
                            }
                        }
                        Ok(())
                    }
                }
            }
        }
    }
}

fn type_label(ty: &Type) -> &'static str {
    match ty {
        Type::Integer { .. } => "an integer",
        Type::Number { .. } => "a number",
        Type::Boolean => "a boolean",
        Type::Array(_) => "a JSON array",
        _ => "JSON",
    }
}

fn missing(name: &str) -> BizError {
    BizError::missing("isv.missing-parameter", format!("缺少必选参数: {name}"))
}

fn check_len(doc: &ir::Doc, s: &str, path: &str) -> Result<(), BizError> {
    if let Some(max) = doc.max_length {
        let len = s.chars().count() as u64;
        if len > max {
            return Err(BizError::invalid(
                "isv.invalid-parameter",
                format!("参数无效: {path} is longer than {max} characters"),
            ));
        }
    }
    Ok(())
}

/// Where each request field of `op` travels on v3, by wire name.
pub fn v3_locations(op: &ir::Operation) -> BTreeMap<&str, Location> {
    op.request
        .iter()
        .map(|f| (f.wire_name.as_str(), f.location))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> Catalog {
        Catalog::embedded().expect("the embedded specs load")
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn serves_the_seed_operations() {
        let c = catalog();
        for name in [
            "alipay.trade.query",
            "alipay.trade.pay",
            "alipay.trade.refund",
            "alipay.pcredit.huabei.auth.order.query",
        ] {
            assert!(c.v2(name).is_some(), "{name} on v2");
        }
        let m = c
            .v3("POST", "/v3/alipay/trade/query")
            .expect("v3 trade query");
        assert_eq!(m.operation.name, "alipay.trade.query");
        let m = c
            .v3("GET", "/v3/alipay/pcredit/huabei/auth/order/query")
            .expect("v3 huabei query");
        assert_eq!(m.operation.name, "alipay.pcredit.huabei.auth.order.query");
        assert!(c.v3("GET", "/v3/alipay/trade/query").is_none());
        assert!(c.v3_path_exists("/v3/alipay/trade/query"));
        assert!(c.v3("POST", "/v3/alipay/trade/nothing").is_none());
    }

    #[test]
    fn path_parameters_are_matched_and_decoded() {
        let api = Api::default();
        let mut c = Catalog::from_api(api);
        c.routes.push(Route {
            method: "GET",
            segments: split_template("/v3/things/{thing_id}"),
            operation: "x".into(),
        });
        // Unknown operation name in the table: no match, no panic.
        assert!(c.v3("GET", "/v3/things/a%20b").is_none());
        assert_eq!(
            split_template("/v3/things/{thing_id}"),
            vec![
                Segment::Literal("v3".into()),
                Segment::Literal("things".into()),
                Segment::Param("thing_id".into())
            ]
        );
    }

    #[test]
    fn required_fields_and_types() {
        let c = catalog();
        let rent = c.v2("zhima.merchant.order.rent.query").unwrap();
        let e = c
            .validate(rent, &obj(json!({"out_order_no": "1"})), &[])
            .unwrap_err();
        assert_eq!(
            (e.code, e.sub_code.as_str()),
            ("40001", "isv.missing-parameter")
        );
        assert!(e.sub_msg.contains("product_code"), "{}", e.sub_msg);
        let e = c
            .validate(
                rent,
                &obj(json!({"out_order_no": "1", "product_code": ""})),
                &[],
            )
            .unwrap_err();
        assert_eq!(e.code, "40001");
        // maxLength 20
        let e = c
            .validate(
                rent,
                &obj(json!({"out_order_no": "123456789012345678901", "product_code": "w"})),
                &[],
            )
            .unwrap_err();
        assert_eq!(
            (e.code, e.sub_code.as_str()),
            ("40002", "isv.invalid-parameter")
        );
        c.validate(
            rent,
            &obj(json!({"out_order_no": "1", "product_code": "w"})),
            &[],
        )
        .unwrap();

        let refund = c.v2("alipay.trade.refund").unwrap();
        let e = c
            .validate(
                refund,
                &obj(json!({"out_trade_no": "1", "refund_amount": 5})),
                &[],
            )
            .unwrap_err();
        assert_eq!(
            (e.code, e.sub_code.as_str()),
            ("40002", "isv.invalid-parameter")
        );
        c.validate(
            refund,
            &obj(json!({"out_trade_no": "1", "refund_amount": "5.00"})),
            &[],
        )
        .unwrap();
        // Nested: goods_detail is an array of objects.
        let e = c
            .validate(
                refund,
                &obj(json!({"out_trade_no": "1", "refund_amount": "5.00", "goods_detail": "x"})),
                &[],
            )
            .unwrap_err();
        assert_eq!(e.code, "40002");
        let e = c
            .validate(
                refund,
                &obj(json!({"out_trade_no": "1", "refund_amount": "5.00", "goods_detail": [{"quantity": "x"}]})),
                &[],
            )
            .unwrap_err();
        assert_eq!(e.code.chars().next(), Some('4'), "{e:?}");
        // Query parameters arrive as text.
        let huabei = c.v2("alipay.pcredit.huabei.auth.order.query").unwrap();
        c.validate(huabei, &obj(json!({"auth_opt_id": "1"})), &["auth_opt_id"])
            .unwrap();
    }
}

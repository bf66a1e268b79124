//! From the IR to what gets emitted: which schemas are reached, by which families and in
//! which direction, where each type lives, and every Rust name (claimed here, in one fixed
//! order, so collisions are resolved in one place).

use crate::ir::*;
use crate::naming::{feature_name, module_name, sanitize, Case, Name, Namespace};
use std::collections::{BTreeMap, BTreeSet};

/// The module a type is emitted in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Home {
    /// The module of one family.
    Family(String),
    /// The shared module, compiled under any of these families' features.
    Shared(BTreeSet<String>),
}

/// An emitted named schema.
#[derive(Debug, Clone)]
pub struct TypePlan {
    pub name: Name,
    pub home: Home,
    /// Reached by a request (sent): derives `Serialize`, gets `new` and setters.
    pub sent: bool,
    /// Reached by a response (received): derives `Deserialize`.
    pub received: bool,
    pub families: BTreeSet<String>,
}

/// How an operation's response type is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponsePlan {
    /// The response schema is emitted under the operation's response name.
    Owned(String),
    /// `type <Op>Response = <schema type>;`
    Alias(String),
    /// A struct of inline fields.
    Inline,
}

#[derive(Debug, Clone)]
pub struct OpPlan {
    pub request: Name,
    pub response: Name,
    pub response_plan: ResponsePlan,
    /// The `static` descriptor.
    pub descriptor: Name,
    /// The open enum of the operation's business error codes, when the spec lists any.
    pub error_code: Option<Name>,
}

#[derive(Debug, Clone)]
pub struct ModulePlan {
    pub name: Name,
    pub feature: String,
}

/// Everything the emitters need besides the IR.
#[derive(Debug, Clone)]
pub struct Plan {
    pub modules: BTreeMap<String, ModulePlan>,
    pub shared: Name,
    pub types: BTreeMap<String, TypePlan>,
    pub ops: BTreeMap<String, OpPlan>,
    /// Fields `(schema key, wire name)` that are boxed because their type contains the
    /// schema itself (directly recursive models).
    pub boxed: BTreeSet<(String, String)>,
}

#[derive(Default)]
struct Reach {
    families: BTreeSet<String>,
    sent: bool,
    received: bool,
}

impl Plan {
    pub fn new(api: &Api) -> Plan {
        // Modules: one per family, `shared` reserved.
        let mut module_ns = Namespace::with_reserved(&["shared", "tests"]);
        let mut modules = BTreeMap::new();
        for op in api.operations.values() {
            if !modules.contains_key(&op.family) {
                let name = module_ns.claim(module_name(&op.family));
                let feature = feature_name(&name);
                modules.insert(op.family.clone(), ModulePlan { name, feature });
            }
        }

        // Reachability.
        let mut reach: BTreeMap<String, Reach> = BTreeMap::new();
        let mut field_refs: BTreeMap<String, usize> = BTreeMap::new();
        let mut response_roots: BTreeMap<String, usize> = BTreeMap::new();
        for op in api.operations.values() {
            let mut roots = Vec::new();
            for f in &op.request {
                f.ty.refs(&mut roots);
            }
            for r in &roots {
                *field_refs.entry(r.clone()).or_default() += 1;
            }
            walk(api, &mut reach, roots, &op.family, true);
            let mut roots = Vec::new();
            match &op.response {
                ResponseBody::Named(n) => {
                    *response_roots.entry(n.clone()).or_default() += 1;
                    roots.push(n.clone());
                }
                ResponseBody::Inline(fields) => {
                    let mut inline = Vec::new();
                    for f in fields {
                        f.ty.refs(&mut inline);
                    }
                    for r in &inline {
                        *field_refs.entry(r.clone()).or_default() += 1;
                    }
                    roots.extend(inline);
                }
            }
            walk(api, &mut reach, roots, &op.family, false);
        }
        for key in reach.keys() {
            if let Some(schema) = api.schemas.get(key) {
                for r in schema.refs() {
                    *field_refs.entry(r).or_default() += 1;
                }
            }
        }

        // Names: operations first, then schemas in key order.
        let mut type_ns = Namespace::default();
        let mut static_ns = Namespace::with_reserved(&["OPERATIONS"]);
        let mut ops = BTreeMap::new();
        let mut owned: BTreeMap<String, Name> = BTreeMap::new();
        for op in api.operations.values() {
            let base = sanitize(&op.name, Case::UpperCamel, "Operation").text;
            let request = type_ns.claim(sanitize(
                &format!("{base}Request"),
                Case::UpperCamel,
                "Request",
            ));
            let response = type_ns.claim(sanitize(
                &format!("{base}Response"),
                Case::UpperCamel,
                "Response",
            ));
            let response_plan = match &op.response {
                ResponseBody::Named(key) => {
                    let only_root = response_roots.get(key).copied() == Some(1)
                        && field_refs.get(key).copied().unwrap_or(0) == 0
                        && matches!(
                            api.schemas.get(key).map(|s| &s.kind),
                            Some(SchemaKind::Object { .. })
                        );
                    if only_root {
                        owned.insert(key.clone(), response.clone());
                        ResponsePlan::Owned(key.clone())
                    } else {
                        ResponsePlan::Alias(key.clone())
                    }
                }
                ResponseBody::Inline(_) => ResponsePlan::Inline,
            };
            let descriptor = static_ns.claim(sanitize(&op.name, Case::ShoutySnake, "OPERATION"));
            let error_code = (!op.error_codes.is_empty()).then(|| {
                type_ns.claim(sanitize(
                    &format!("{base}ErrorCode"),
                    Case::UpperCamel,
                    "ErrorCode",
                ))
            });
            ops.insert(
                op.name.clone(),
                OpPlan {
                    request,
                    response,
                    response_plan,
                    descriptor,
                    error_code,
                },
            );
        }
        let mut types = BTreeMap::new();
        for (key, r) in reach {
            if !api.schemas.contains_key(&key) {
                continue;
            }
            let name = match owned.get(&key) {
                Some(n) => n.clone(),
                None => type_ns.claim(sanitize(&type_base(&key), Case::UpperCamel, "Model")),
            };
            let home = if r.families.len() == 1 {
                Home::Family(r.families.iter().next().cloned().unwrap_or_default())
            } else {
                Home::Shared(r.families.clone())
            };
            types.insert(
                key,
                TypePlan {
                    name,
                    home,
                    sent: r.sent,
                    received: r.received,
                    families: r.families,
                },
            );
        }
        let boxed = recursive_fields(api, &types);
        Plan {
            boxed,
            modules,
            shared: Name {
                text: "shared".to_string(),
                raw: false,
            },
            types,
            ops,
        }
    }

    /// Named schemas that are not emitted (reached by no request or success response).
    pub fn unreachable<'a>(&self, api: &'a Api) -> Vec<&'a str> {
        api.schemas
            .keys()
            .filter(|k| !self.types.contains_key(*k))
            .map(String::as_str)
            .collect()
    }

    /// Features of the families whose code uses the shared module.
    pub fn shared_features(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for t in self.types.values() {
            if let Home::Shared(families) = &t.home {
                for f in families {
                    if let Some(m) = self.modules.get(f) {
                        out.insert(m.feature.clone());
                    }
                }
            }
        }
        out
    }
}

fn walk(
    api: &Api,
    reach: &mut BTreeMap<String, Reach>,
    roots: Vec<String>,
    family: &str,
    sent: bool,
) {
    let mut stack = roots;
    while let Some(key) = stack.pop() {
        let entry = reach.entry(key.clone()).or_default();
        let new_family = entry.families.insert(family.to_string());
        let new_dir = if sent { !entry.sent } else { !entry.received };
        if sent {
            entry.sent = true;
        } else {
            entry.received = true;
        }
        if !new_family && !new_dir {
            continue;
        }
        if let Some(schema) = api.schemas.get(&key) {
            stack.extend(schema.refs());
        }
    }
}

/// The named schema a field holds inline (not behind a `Vec`), following aliases.
fn direct_target<'a>(api: &'a Api, ty: &'a Type) -> Option<&'a str> {
    match ty {
        Type::Named(key) => match api.schemas.get(key).map(|s| &s.kind) {
            Some(SchemaKind::Alias(inner)) if !matches!(inner, Type::Named(k) if k == key) => {
                direct_target(api, inner).or(Some(key.as_str()))
            }
            _ => Some(key.as_str()),
        },
        _ => None,
    }
}

/// Fields whose inline type reaches back to their own schema; they need a `Box`.
fn recursive_fields(api: &Api, types: &BTreeMap<String, TypePlan>) -> BTreeSet<(String, String)> {
    let direct = |key: &str| -> Vec<&str> {
        match api.schemas.get(key).map(|s| &s.kind) {
            Some(SchemaKind::Object { fields }) => fields
                .iter()
                .filter_map(|f| direct_target(api, &f.ty))
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut out = BTreeSet::new();
    for key in types.keys() {
        let Some(SchemaKind::Object { fields }) = api.schemas.get(key).map(|s| &s.kind) else {
            continue;
        };
        for f in fields {
            let Some(start) = direct_target(api, &f.ty) else {
                continue;
            };
            let mut seen = BTreeSet::new();
            let mut stack = vec![start];
            while let Some(k) = stack.pop() {
                if k == key {
                    out.insert((key.clone(), f.wire_name.clone()));
                    break;
                }
                if seen.insert(k) {
                    stack.extend(direct(k));
                }
            }
        }
    }
    out
}

/// The base of a schema's Rust name. An inline schema `Owner.field` is named after its owner
/// without the spec's `Model` suffix, as the owner's own type is: the `trade_status` enum of
/// `AlipayTradeQueryResponseModel` is `AlipayTradeQueryResponseTradeStatus`.
fn type_base(key: &str) -> String {
    match key.split_once('.') {
        Some((owner, field)) => {
            let owner = owner.strip_suffix("Model").unwrap_or(owner);
            format!("{owner}_{field}")
        }
        None => key.to_string(),
    }
}

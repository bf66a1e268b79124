//! `generated/README.md`: the feature table and the operation list (a minijinja template;
//! Rust is never emitted from templates).

use crate::ir::Api;
use crate::plan::Plan;
use crate::Error;
use serde::Serialize;

const TEMPLATE: &str = include_str!("../templates/README.md.j2");

#[derive(Serialize)]
struct FamilyRow {
    feature: String,
    module: String,
    count: usize,
}

#[derive(Serialize)]
struct OperationRow {
    name: String,
    request: String,
    v3: String,
    v2: String,
    safety: &'static str,
}

/// Renders the generated crate's README.
pub fn readme(api: &Api, plan: &Plan) -> Result<String, Error> {
    let mut families = Vec::new();
    for (family, ops) in crate::load::families(api) {
        if let Some(m) = plan.modules.get(family) {
            families.push(FamilyRow {
                feature: m.feature.clone(),
                module: m.name.source(),
                count: ops.len(),
            });
        }
    }
    let mut operations = Vec::new();
    for op in api.operations.values() {
        let (Some(p), Some(m)) = (plan.ops.get(&op.name), plan.modules.get(&op.family)) else {
            continue;
        };
        let v3 = match &op.v3 {
            Some(r) => {
                let method = r.method.as_str();
                format!("`{method} {}`", r.path)
            }
            None => "—".to_string(),
        };
        let v2 = match (&op.v2, op.client_executed) {
            (Some(_), true) => "client-executed",
            (Some(_), false) => "yes",
            (None, _) => "—",
        };
        operations.push(OperationRow {
            name: op.name.clone(),
            request: format!("{}::{}", m.name.source(), p.request.source()),
            v3,
            v2: v2.to_string(),
            safety: op.safety.as_str(),
        });
    }
    let example_feature = families
        .iter()
        .find(|f| f.feature == "alipay-trade")
        .or(families.first())
        .map(|f| f.feature.clone())
        .unwrap_or_default();
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template("README.md", TEMPLATE)
        .map_err(|e| Error::new("README template", e))?;
    let template = env
        .get_template("README.md")
        .map_err(|e| Error::new("README template", e))?;
    template
        .render(minijinja::context! { families, operations, example_feature })
        .map_err(|e| Error::new("README template", e))
}

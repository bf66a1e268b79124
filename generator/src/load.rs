//! Loaders: spec files (`specs/**`) and plain OpenAPI documents, lowered into one [`Api`].
//!
//! A document with a top-level `x-alipay-method` is one operation in the spec format of
//! `specs/README.md`. A document without it is a plain multi-operation OpenAPI document (such
//! as Alipay's v3 document): every operation is lowered with defaults (family = first tag,
//! protocols = v3, safety from the method name and HTTP method).
//!
//! `$ref`s are resolved by schema name (the last segment of `#/components/schemas/<Name>`),
//! whichever file defines the schema; schema names are unique across a spec tree.

use crate::ir::*;
use crate::raw;
use crate::Error;
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::path::Path;

/// Loads a spec tree: every `*.yaml` below `dir` (sorted; `_shared/schemas.yaml` holds shared
/// schemas; other files and directories starting with `_` are importer inputs and ignored).
pub fn load_spec_dir(dir: &Path) -> Result<Api, Error> {
    let mut files = Vec::new();
    collect_yaml(dir, dir, &mut files)?;
    files.sort();
    let mut sources = Vec::new();
    for rel in files {
        let path = dir.join(&rel);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::new(path.display(), e))?;
        sources.push((rel, text));
    }
    load_sources(&sources)
}

fn collect_yaml(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::new(dir.display(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::new(dir.display(), e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('_') && name != "_shared" {
            // `_imports.yaml`, `_reviewed/`: importer inputs, not specs.
            continue;
        }
        if path.is_dir() {
            collect_yaml(root, &path, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            let rel = path
                .strip_prefix(root)
                .map_err(|e| Error::new(path.display(), e))?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    Ok(())
}

/// Loads one plain OpenAPI document (or one spec file) from its text.
pub fn load_document(text: &str) -> Result<Api, Error> {
    load_sources(&[("document.yaml".to_string(), text.to_string())])
}

/// Loads a set of documents given as `(name, YAML text)`; names are used in errors only.
pub fn load_sources(sources: &[(String, String)]) -> Result<Api, Error> {
    let mut docs = Vec::with_capacity(sources.len());
    for (name, text) in sources {
        let doc: raw::Document = serde_yaml::from_str(text)
            .map_err(|e| Error::new(name, format!("not a valid spec: {e}")))?;
        docs.push((name.as_str(), doc));
    }
    let mut pool: IndexMap<&str, (&str, &raw::Schema)> = IndexMap::new();
    for (file, doc) in &docs {
        for (name, schema) in &doc.components.schemas {
            if let Some((other, _)) = pool.get(name.as_str()) {
                return Err(Error::new(
                    file,
                    format!("schema `{name}` is also defined in {other}; schema names are unique"),
                ));
            }
            pool.insert(name.as_str(), (file, schema));
        }
    }
    let pool: IndexMap<&str, &raw::Schema> = pool.iter().map(|(k, (_, s))| (*k, *s)).collect();
    let shared_error_members = shared_error_members(&docs, &pool);
    let mut lowerer = Lowerer {
        pool,
        shared_error_members,
        api: Api::default(),
    };
    for (file, doc) in &docs {
        lowerer.lower_document(file, doc)?;
    }
    let names: Vec<&str> = lowerer.pool.keys().copied().collect();
    for name in names {
        lowerer.lower_named(name);
    }
    Ok(lowerer.api)
}

struct Lowerer<'a> {
    pool: IndexMap<&'a str, &'a raw::Schema>,
    /// Members of the error unions of more than one operation (upstream: `CommonErrorType`,
    /// the gateway-wide codes): not repeated in every operation's error-code enum.
    shared_error_members: std::collections::BTreeSet<&'a str>,
    api: Api,
}

/// The schema a `$ref` names (itself when it is not a reference, or names nothing known).
fn deref<'a>(pool: &IndexMap<&'a str, &'a raw::Schema>, s: &'a raw::Schema) -> &'a raw::Schema {
    s.reference
        .as_deref()
        .and_then(|r| pool.get(ref_name(r)).copied())
        .unwrap_or(s)
}

/// The schemas that are members of the `default` (error) response unions of more than one
/// operation.
fn shared_error_members<'a>(
    docs: &'a [(&str, raw::Document)],
    pool: &IndexMap<&'a str, &'a raw::Schema>,
) -> std::collections::BTreeSet<&'a str> {
    let mut uses: BTreeMap<&'a str, usize> = BTreeMap::new();
    for (_, doc) in docs {
        for item in doc.paths.values() {
            let ops = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
            for op in ops.into_iter().flatten() {
                let Some(schema) = op
                    .responses
                    .get("default")
                    .and_then(|d| json_body(&d.content))
                else {
                    continue;
                };
                let schema = deref(pool, schema);
                for m in schema.any_of.iter().chain(&schema.one_of) {
                    if let Some(r) = &m.reference {
                        *uses.entry(ref_name(r)).or_default() += 1;
                    }
                }
            }
        }
    }
    uses.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, _)| name)
        .collect()
}

/// The schema name a `$ref` points to.
fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Default safety: GET, or a method whose last word is a query verb, is read-only.
fn guess_safety(name: &str, method: Option<HttpMethod>) -> Safety {
    if method == Some(HttpMethod::Get) {
        return Safety::ReadOnly;
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    let read_only = last.ends_with("query")
        || matches!(
            last,
            "get" | "list" | "search" | "download" | "check" | "verify" | "consult"
        );
    if read_only {
        Safety::ReadOnly
    } else {
        Safety::Mutating
    }
}

fn doc_of(s: &raw::Schema, description: Option<&String>) -> Doc {
    let label = description
        .or(s.description.as_ref())
        .or(s.title.as_ref())
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    Doc {
        label,
        max_length: s.max_length,
        min_length: s.min_length,
        maximum: s.maximum,
        minimum: s.minimum,
        pattern: s.pattern.clone(),
        example: s.example.clone(),
        deprecated: s.deprecated,
    }
}

fn json_body(content: &IndexMap<String, raw::MediaType>) -> Option<&raw::Schema> {
    content
        .iter()
        .find(|(k, _)| k.starts_with("application/json"))
        .and_then(|(_, m)| m.schema.as_ref())
}

impl<'a> Lowerer<'a> {
    fn lower_document(&mut self, file: &str, doc: &'a raw::Document) -> Result<(), Error> {
        let mut ops = Vec::new();
        for (path, item) in &doc.paths {
            for (method, op) in [
                (HttpMethod::Get, &item.get),
                (HttpMethod::Post, &item.post),
                (HttpMethod::Put, &item.put),
                (HttpMethod::Patch, &item.patch),
                (HttpMethod::Delete, &item.delete),
            ] {
                if let Some(op) = op {
                    ops.push((path.as_str(), method, op, &item.parameters));
                }
            }
        }
        if let Some(name) = &doc.method {
            // One operation in the spec format.
            let protocols = match &doc.protocols {
                Some(p) => p.clone(),
                None if ops.is_empty() => vec!["v2".to_string()],
                None => vec!["v3".to_string()],
            };
            for p in &protocols {
                if p != "v2" && p != "v3" {
                    return Err(Error::new(
                        file,
                        format!("unknown protocol `{p}` in x-alipay-protocols"),
                    ));
                }
            }
            let has = |p: &str| protocols.iter().any(|x| x == p);
            let v3_op = if has("v3") {
                if ops.len() != 1 {
                    return Err(Error::new(
                        file,
                        format!(
                            "protocol v3 needs exactly one operation under `paths`, found {}",
                            ops.len()
                        ),
                    ));
                }
                ops.first().copied()
            } else {
                None
            };
            let family = doc
                .family
                .clone()
                .or_else(|| v3_op.and_then(|(_, _, op, _)| op.tags.first().cloned()))
                .unwrap_or_else(|| default_family(name));
            let safety = match &doc.safety {
                Some(s) => Safety::parse(s)
                    .ok_or_else(|| Error::new(file, format!("unknown x-alipay-safety `{s}`")))?,
                None => guess_safety(name, v3_op.map(|(_, m, _, _)| m)),
            };
            let mut operation = Operation {
                name: name.clone(),
                family,
                summary: None,
                safety,
                idempotency_key: doc.idempotency_key.clone(),
                error_codes: Vec::new(),
                client_executed: doc.client_executed,
                v2: None,
                v3: None,
                request: Vec::new(),
                files: Vec::new(),
                response: ResponseBody::Inline(Vec::new()),
            };
            if let Some((path, method, op, common)) = v3_op {
                self.lower_v3(&mut operation, path, method, op, common);
            }
            for c in &doc.error_codes {
                if !operation.error_codes.contains(&c.code) {
                    operation.error_codes.push(c.code.clone());
                }
            }
            if has("v2") {
                let ext = doc.v2.as_ref();
                if !has("v3") {
                    if let Some(r) = ext
                        .and_then(|e| e.request.as_ref())
                        .and_then(|r| r.reference.as_ref())
                    {
                        let owner = ref_name(r).to_string();
                        if let Some(s) = self.pool.get(owner.as_str()).copied() {
                            let fields = self.lower_fields(s, &owner, Location::Body);
                            push_fields(&mut operation.request, fields);
                        } else {
                            self.api.lossy.dangling_refs.insert(r.clone());
                        }
                    }
                    if let Some(r) = ext
                        .and_then(|e| e.response.as_ref())
                        .and_then(|r| r.reference.as_ref())
                    {
                        operation.response = self.response_ref(r);
                    }
                }
                let files = ext.map(|e| e.files.clone()).unwrap_or_default();
                for f in &files {
                    if !operation.files.contains(f) {
                        operation.files.push(f.clone());
                    }
                }
                operation.v2 = Some(V2Route {
                    response_key: ext
                        .and_then(|e| e.response_key.clone())
                        .unwrap_or_else(|| format!("{}_response", name.replace('.', "_"))),
                    biz_content: ext.and_then(|e| e.biz_content).unwrap_or(true),
                    text_params: ext.map(|e| e.text_params.clone()).unwrap_or_default(),
                    files,
                    need_encrypt: ext.is_some_and(|e| e.need_encrypt),
                });
            }
            if operation.summary.is_none() {
                // A v2-only spec names its operation in `info.title`.
                operation.summary = doc
                    .info
                    .as_ref()
                    .and_then(|i| i.title.as_ref())
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty() && t != name);
            }
            self.insert_operation(file, operation)?;
        } else {
            // A plain OpenAPI document: every operation, with defaults.
            for (path, method, op, common) in ops {
                let Some(name) = op.operation_id.clone() else {
                    return Err(Error::new(
                        file,
                        format!("operation {path} has no operationId"),
                    ));
                };
                let family = op
                    .tags
                    .first()
                    .cloned()
                    .unwrap_or_else(|| default_family(&name));
                let mut operation = Operation {
                    safety: guess_safety(&name, Some(method)),
                    idempotency_key: None,
                    error_codes: Vec::new(),
                    name,
                    family,
                    summary: None,
                    client_executed: false,
                    v2: None,
                    v3: None,
                    request: Vec::new(),
                    files: Vec::new(),
                    response: ResponseBody::Inline(Vec::new()),
                };
                self.lower_v3(&mut operation, path, method, op, common);
                self.insert_operation(file, operation)?;
            }
        }
        Ok(())
    }

    fn insert_operation(&mut self, file: &str, mut op: Operation) -> Result<(), Error> {
        if self.api.operations.contains_key(&op.name) {
            return Err(Error::new(
                file,
                format!("operation `{}` is defined twice", op.name),
            ));
        }
        // File parts are never fields of the request model: they travel in `CallOptions::files`.
        let (files, fields): (Vec<Field>, Vec<Field>) = std::mem::take(&mut op.request)
            .into_iter()
            .partition(|f| f.ty == Type::Binary);
        op.request = fields;
        for f in files {
            if !op.files.contains(&f.wire_name) {
                op.files.push(f.wire_name);
            }
        }
        if let Some(v3) = &op.v3 {
            for placeholder in path_placeholders(&v3.path) {
                if !v3.path_params.iter().any(|p| p == placeholder) {
                    return Err(Error::new(
                        file,
                        format!("{}: path {} has `{{{placeholder}}}` but no path parameter of that name", op.name, v3.path),
                    ));
                }
            }
        }
        self.api.operations.insert(op.name.clone(), op);
        Ok(())
    }

    fn response_ref(&mut self, reference: &str) -> ResponseBody {
        let name = ref_name(reference);
        if self.pool.contains_key(name) {
            ResponseBody::Named(name.to_string())
        } else {
            self.api.lossy.dangling_refs.insert(reference.to_string());
            ResponseBody::Inline(Vec::new())
        }
    }

    fn lower_v3(
        &mut self,
        operation: &mut Operation,
        path: &str,
        method: HttpMethod,
        op: &'a raw::Operation,
        common: &'a [raw::Parameter],
    ) {
        operation.summary = op
            .summary
            .as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let owner = format!("{}.request", operation.name);
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        let mut fields = Vec::new();
        for p in common.iter().chain(op.parameters.iter()) {
            let (Some(name), Some(loc)) = (&p.name, &p.location) else {
                self.api
                    .lossy
                    .dangling_refs
                    .insert(p.reference.clone().unwrap_or_default());
                continue;
            };
            let location = match loc.as_str() {
                "path" => Location::Path,
                "query" => Location::Query,
                _ => {
                    self.api
                        .lossy
                        .untyped
                        .insert(format!("{}: {loc} parameter {name}", operation.name));
                    continue;
                }
            };
            let (ty, mut doc) = match &p.schema {
                Some(schema) => (
                    self.lower_type(schema, &owner, name),
                    doc_of(schema, p.description.as_ref()),
                ),
                None => {
                    self.api.lossy.untyped.insert(format!("{owner}.{name}"));
                    (
                        Type::Json,
                        doc_of(&raw::Schema::default(), p.description.as_ref()),
                    )
                }
            };
            if p.example.is_some() {
                doc.example = p.example.clone();
            }
            doc.deprecated |= p.deprecated;
            let field = Field {
                wire_name: name.clone(),
                ty,
                required: p.required || location == Location::Path,
                location,
                doc,
            };
            if push_field(&mut fields, field) {
                match location {
                    Location::Path => path_params.push(name.clone()),
                    _ => query_params.push(name.clone()),
                }
            }
        }
        let mut body = V3Body::None;
        if let Some(rb) = &op.request_body {
            if let Some(schema) = json_body(&rb.content) {
                body = V3Body::Json;
                let (owner, s) = self.resolve_object(schema, &owner);
                if let Some(s) = s {
                    let body_fields = self.lower_fields(s, &owner, Location::Body);
                    push_fields(&mut fields, body_fields);
                }
            } else if let Some(m) = rb.content.get("multipart/form-data") {
                let mut files = Vec::new();
                if let Some(schema) = &m.schema {
                    let (owner, s) = self.resolve_object(schema, &owner);
                    if let Some(s) = s {
                        for (wire, prop) in &s.properties {
                            if prop.format.as_deref() == Some("binary") {
                                files.push(wire.clone());
                            } else if wire == "data" {
                                let (data_owner, data) = self.resolve_object(prop, &owner);
                                if let Some(data) = data {
                                    let data_fields =
                                        self.lower_fields(data, &data_owner, Location::Body);
                                    push_fields(&mut fields, data_fields);
                                }
                            } else {
                                let required = s.required.iter().any(|r| r == wire);
                                let field =
                                    self.lower_field(prop, &owner, wire, required, Location::Body);
                                push_field(&mut fields, field);
                            }
                        }
                    }
                }
                operation.files.clone_from(&files);
                body = V3Body::Multipart { files };
            }
        }
        push_fields(&mut operation.request, fields);
        if let Some(ok) = op.responses.get("200").or_else(|| op.responses.get("201")) {
            if let Some(schema) = json_body(&ok.content) {
                operation.response = match &schema.reference {
                    Some(r) => self.response_ref(r),
                    None => {
                        let owner = format!("{}.response", operation.name);
                        ResponseBody::Inline(self.lower_fields(schema, &owner, Location::Body))
                    }
                };
            }
        }
        if let Some(default) = op.responses.get("default") {
            self.api.lossy.error_responses += 1;
            if let Some(schema) = json_body(&default.content) {
                for code in self.error_codes(schema) {
                    if !operation.error_codes.contains(&code) {
                        operation.error_codes.push(code);
                    }
                }
            }
        }
        operation.v3 = Some(V3Route {
            method,
            path: path.to_string(),
            path_params,
            query_params,
            body,
        });
    }

    /// The `code` enum values of an error response schema: of the schema itself, or of each
    /// member of an `anyOf` / `oneOf` union (upstream: the common error type and the
    /// operation's error model).
    fn error_codes(&self, schema: &'a raw::Schema) -> Vec<String> {
        let schema = deref(&self.pool, schema);
        let members: Vec<&'a raw::Schema> = if schema.any_of.is_empty() && schema.one_of.is_empty()
        {
            vec![schema]
        } else {
            schema
                .any_of
                .iter()
                .chain(&schema.one_of)
                .filter(|m| {
                    m.reference
                        .as_deref()
                        .is_none_or(|r| !self.shared_error_members.contains(ref_name(r)))
                })
                .map(|m| deref(&self.pool, m))
                .collect()
        };
        let mut out = Vec::new();
        for m in members {
            if let Some(code) = m.properties.get("code") {
                for v in &code.enumeration {
                    if let Some(text) = v.as_str() {
                        out.push(text.to_string());
                    }
                }
            }
        }
        out
    }

    /// Follows a `$ref` to an object schema; returns the owner name for inline schemas.
    fn resolve_object(
        &mut self,
        schema: &'a raw::Schema,
        owner: &str,
    ) -> (String, Option<&'a raw::Schema>) {
        match &schema.reference {
            Some(r) => {
                let name = ref_name(r);
                match self.pool.get(name).copied() {
                    Some(s) => (name.to_string(), Some(s)),
                    None => {
                        self.api.lossy.dangling_refs.insert(r.clone());
                        (owner.to_string(), None)
                    }
                }
            }
            None => (owner.to_string(), Some(schema)),
        }
    }

    /// The fields of an object schema (following `allOf`).
    fn lower_fields(&mut self, s: &'a raw::Schema, owner: &str, location: Location) -> Vec<Field> {
        let mut fields = Vec::new();
        for (wire, prop) in &s.properties {
            let required = s.required.iter().any(|r| r == wire);
            let field = self.lower_field(prop, owner, wire, required, location);
            push_field(&mut fields, field);
        }
        for member in &s.all_of {
            let (member_owner, m) = self.resolve_object(member, owner);
            if let Some(m) = m {
                let more = self.lower_fields(m, &member_owner, location);
                push_fields(&mut fields, more);
            }
        }
        fields
    }

    fn lower_field(
        &mut self,
        prop: &'a raw::Schema,
        owner: &str,
        wire: &str,
        required: bool,
        location: Location,
    ) -> Field {
        let ty = self.lower_type(prop, owner, wire);
        let mut doc = doc_of(prop, None);
        if doc.label.is_none() {
            if let Some(r) = &prop.reference {
                if let Some(target) = self.pool.get(ref_name(r)) {
                    doc.label = target
                        .description
                        .as_ref()
                        .map(|d| d.trim().to_string())
                        .filter(|d| !d.is_empty());
                }
            }
        }
        Field {
            wire_name: wire.to_string(),
            ty,
            required,
            location,
            doc,
        }
    }

    /// The type of a property; inline enums and objects become named schemas `owner.wire`.
    fn lower_type(&mut self, s: &'a raw::Schema, owner: &str, wire: &str) -> Type {
        if let Some(r) = &s.reference {
            let name = ref_name(r);
            if self.pool.contains_key(name) {
                return Type::Named(name.to_string());
            }
            self.api.lossy.dangling_refs.insert(r.clone());
            return Type::Json;
        }
        let key = format!("{owner}.{wire}");
        if !s.any_of.is_empty() || !s.one_of.is_empty() {
            self.api.lossy.unions.insert(key);
            return Type::Json;
        }
        match s.ty.as_deref() {
            Some("string") if !s.enumeration.is_empty() => {
                self.define(&key, s);
                Type::Named(key)
            }
            Some("array") => match &s.items {
                Some(items) => Type::Array(Box::new(self.lower_type(items, owner, wire))),
                None => Type::Array(Box::new(Type::Json)),
            },
            Some("object") | None if !s.properties.is_empty() || !s.all_of.is_empty() => {
                self.define(&key, s);
                Type::Named(key)
            }
            _ => self.scalar(s, &key),
        }
    }

    /// Scalars and free-form values.
    fn scalar(&mut self, s: &raw::Schema, key: &str) -> Type {
        let ty = match s.ty.as_deref() {
            Some("string") if s.format.as_deref() == Some("binary") => Type::Binary,
            Some("string") => Type::String,
            Some("integer") => Type::Integer {
                bits: if s.format.as_deref() == Some("int32") {
                    32
                } else {
                    64
                },
            },
            Some("number") => Type::Number {
                bits: if s.format.as_deref() == Some("float") {
                    32
                } else {
                    64
                },
            },
            Some("boolean") => Type::Boolean,
            Some("object") => {
                self.api.lossy.free_form.insert(key.to_string());
                Type::JsonMap
            }
            _ => {
                self.api.lossy.untyped.insert(key.to_string());
                Type::Json
            }
        };
        if !s.enumeration.is_empty() && s.ty.as_deref() != Some("string") {
            self.api.lossy.non_string_enums.insert(key.to_string());
        }
        ty
    }

    /// Lowers a named spec schema (once).
    fn lower_named(&mut self, name: &str) {
        if self.api.schemas.contains_key(name) {
            return;
        }
        if let Some(s) = self.pool.get(name).copied() {
            self.define(name, s);
        }
    }

    /// Defines the named schema `key` from `s` (inline or from the pool).
    fn define(&mut self, key: &str, s: &'a raw::Schema) {
        if self.api.schemas.contains_key(key) {
            return;
        }
        // Reserve the key first so recursive schemas terminate.
        self.api.schemas.insert(
            key.to_string(),
            Schema {
                name: key.to_string(),
                doc: doc_of(s, None),
                kind: SchemaKind::Alias(Type::Json),
            },
        );
        let kind = if let Some(r) = &s.reference {
            let target = ref_name(r);
            if self.pool.contains_key(target) {
                SchemaKind::Alias(Type::Named(target.to_string()))
            } else {
                self.api.lossy.dangling_refs.insert(r.clone());
                SchemaKind::Alias(Type::Json)
            }
        } else if !s.any_of.is_empty() || !s.one_of.is_empty() {
            self.api.lossy.unions.insert(key.to_string());
            SchemaKind::Alias(Type::Json)
        } else if s.ty.as_deref() == Some("string") && !s.enumeration.is_empty() {
            let mut values: Vec<EnumValue> = Vec::new();
            for v in &s.enumeration {
                let wire = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if !values.iter().any(|e| e.wire == wire) {
                    values.push(EnumValue { wire });
                }
            }
            SchemaKind::Enum { values }
        } else if !s.properties.is_empty() || !s.all_of.is_empty() {
            if !s.all_of.is_empty() {
                self.api.lossy.all_of.insert(key.to_string());
            }
            SchemaKind::Object {
                fields: self.lower_fields(s, key, Location::Body),
            }
        } else if s.ty.as_deref() == Some("object") {
            if s.additional_properties
                .as_ref()
                .is_some_and(|a| a != &serde_json::Value::Bool(false))
            {
                self.api.lossy.free_form.insert(key.to_string());
                SchemaKind::Alias(Type::JsonMap)
            } else {
                self.api.lossy.empty_objects.insert(key.to_string());
                SchemaKind::Object { fields: Vec::new() }
            }
        } else if s.ty.as_deref() == Some("array") {
            let item = match &s.items {
                Some(items) => self.lower_type(items, key, "item"),
                None => Type::Json,
            };
            SchemaKind::Alias(Type::Array(Box::new(item)))
        } else {
            SchemaKind::Alias(self.scalar(s, key))
        };
        if let Some(schema) = self.api.schemas.get_mut(key) {
            schema.kind = kind;
        }
    }
}

/// The `{name}` placeholders of a path template.
fn path_placeholders(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// Family of an operation without a tag: the method name without its last word.
fn default_family(name: &str) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 {
        parts[..2].join(".")
    } else {
        name.to_string()
    }
}

/// Appends a field unless one with the same wire name exists (the first one wins).
fn push_field(fields: &mut Vec<Field>, field: Field) -> bool {
    if fields.iter().any(|f| f.wire_name == field.wire_name) {
        return false;
    }
    fields.push(field);
    true
}

fn push_fields(fields: &mut Vec<Field>, more: Vec<Field>) {
    for f in more {
        push_field(fields, f);
    }
}

/// Operations grouped by family, in name order.
pub fn families(api: &Api) -> BTreeMap<&str, Vec<&Operation>> {
    let mut out: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in api.operations.values() {
        out.entry(op.family.as_str()).or_default().push(op);
    }
    out
}

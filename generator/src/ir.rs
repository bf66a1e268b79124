//! The intermediate representation: what the emitters see, and nothing else.
//!
//! Loaders (spec files, plain OpenAPI documents) lower into [`Api`]. Every collection is
//! ordered (`BTreeMap` / `BTreeSet`, or a `Vec` in declaration order), so everything derived
//! from the IR is deterministic.

use std::collections::{BTreeMap, BTreeSet};

/// A whole API: operations and the named schemas they reach.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Api {
    /// Operations by canonical name (`alipay.trade.query`).
    pub operations: BTreeMap<String, Operation>,
    /// Named schemas by spec name (`GoodsDetail`).
    pub schemas: BTreeMap<String, Schema>,
    /// What the loader could not represent faithfully.
    pub lossy: Lossy,
}

/// Counts of spec constructs that the IR approximates. Printed by the whole-upstream test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lossy {
    /// `anyOf` / `oneOf` unions (upstream: the error responses), lowered as free-form JSON.
    pub unions: BTreeSet<String>,
    /// `allOf` compositions, lowered by merging the members' properties.
    pub all_of: BTreeSet<String>,
    /// Objects without properties (or with `additionalProperties`): free-form JSON maps.
    pub free_form: BTreeSet<String>,
    /// Objects declared without properties (upstream: 163 empty success bodies), emitted as
    /// structs without fields; their content stays available as raw JSON (`Reply::raw`).
    pub empty_objects: BTreeSet<String>,
    /// Schemas without a `type` that are not references or unions: free-form JSON values.
    pub untyped: BTreeSet<String>,
    /// Non-string enums, kept as their base type.
    pub non_string_enums: BTreeSet<String>,
    /// `$ref`s that could not be resolved, lowered as free-form JSON.
    pub dangling_refs: BTreeSet<String>,
    /// Error responses (`default`) that are not emitted: errors are typed by the runtime.
    pub error_responses: usize,
}

impl Lossy {
    /// One line per non-empty category, for reports.
    pub fn report(&self) -> Vec<String> {
        let mut out = Vec::new();
        let sets: [(&str, &BTreeSet<String>); 7] = [
            (
                "anyOf/oneOf unions lowered as serde_json::Value",
                &self.unions,
            ),
            ("allOf compositions merged", &self.all_of),
            ("free-form objects lowered as JSON maps", &self.free_form),
            (
                "objects without properties emitted as empty structs",
                &self.empty_objects,
            ),
            (
                "untyped schemas lowered as serde_json::Value",
                &self.untyped,
            ),
            (
                "non-string enums kept as their base type",
                &self.non_string_enums,
            ),
            (
                "dangling $refs lowered as serde_json::Value",
                &self.dangling_refs,
            ),
        ];
        for (label, set) in sets {
            out.push(format!("{label}: {}", set.len()));
        }
        out.push(format!(
            "error responses not emitted (typed by the runtime's Error): {}",
            self.error_responses
        ));
        out
    }
}

/// Whether repeating an operation is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Safety {
    ReadOnly,
    Mutating,
}

/// HTTP method of a v3 operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    /// Upper-case name: `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Variant name of the runtime's `HttpMethod`: `Get`.
    pub fn variant(self) -> &'static str {
        match self {
            HttpMethod::Get => "Get",
            HttpMethod::Post => "Post",
            HttpMethod::Put => "Put",
            HttpMethod::Patch => "Patch",
            HttpMethod::Delete => "Delete",
        }
    }
}

impl Safety {
    /// The spec's spelling: `read-only` or `mutating`.
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::ReadOnly => "read-only",
            Safety::Mutating => "mutating",
        }
    }

    /// Parses the spec's spelling.
    pub fn parse(s: &str) -> Option<Safety> {
        match s {
            "read-only" => Some(Safety::ReadOnly),
            "mutating" => Some(Safety::Mutating),
            _ => None,
        }
    }
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Canonical (v2 method) name: `alipay.trade.query`.
    pub name: String,
    /// API family: `alipay.trade`.
    pub family: String,
    /// Short title.
    pub summary: Option<String>,
    pub safety: Safety,
    /// A request field by whose value Alipay deduplicates this (mutating) operation, so that
    /// repeating a request with the same value is harmless (`x-alipay-idempotency-key`).
    pub idempotency_key: Option<String>,
    /// The operation's business error codes (v3 `code`, v2 `sub_code`), in spec order: the
    /// `code` enum of its v3 error model and `x-alipay-error-codes`.
    pub error_codes: Vec<String>,
    pub client_executed: bool,
    pub v2: Option<V2Route>,
    pub v3: Option<V3Route>,
    /// The request model: every field of every protocol (path, query, body), in order.
    pub request: Vec<Field>,
    /// Wire names of the file parts of an upload (not fields of the request model).
    pub files: Vec<String>,
    /// The success response body.
    pub response: ResponseBody,
}

/// The success response of an operation.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody {
    /// A named object schema.
    Named(String),
    /// Inline fields (no named schema in the spec).
    Inline(Vec<Field>),
}

/// v2 gateway route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Route {
    pub response_key: String,
    pub biz_content: bool,
    pub text_params: Vec<String>,
    pub files: Vec<String>,
    pub need_encrypt: bool,
}

/// v3 REST route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Route {
    pub method: HttpMethod,
    pub path: String,
    pub path_params: Vec<String>,
    pub query_params: Vec<String>,
    pub body: V3Body,
}

/// v3 request body kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V3Body {
    None,
    Json,
    Multipart { files: Vec<String> },
}

/// Where a request field travels on v3 (v2 places everything in `biz_content` unless the
/// route's `text_params` say otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    Path,
    Query,
    Body,
}

/// A field of an object, request or response.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name on the wire (JSON key, query or path parameter name).
    pub wire_name: String,
    pub ty: Type,
    pub required: bool,
    pub location: Location,
    pub doc: Doc,
}

/// Facts for documentation and validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    /// Short label (the spec's description).
    pub label: Option<String>,
    pub max_length: Option<u64>,
    pub min_length: Option<u64>,
    pub maximum: Option<f64>,
    pub minimum: Option<f64>,
    pub pattern: Option<String>,
    /// Example value, as JSON.
    pub example: Option<serde_json::Value>,
    pub deprecated: bool,
}

/// A field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    /// Integer with its width (32 or 64).
    Integer {
        bits: u8,
    },
    /// Number with its width (32 or 64).
    Number {
        bits: u8,
    },
    Boolean,
    Array(Box<Type>),
    /// A named schema (spec name).
    Named(String),
    /// Any JSON value.
    Json,
    /// A JSON object with arbitrary keys.
    JsonMap,
    /// File content (multipart part); never a field of a JSON model.
    Binary,
}

/// A named schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Name in the spec (`GoodsDetail`, or a synthesized name for an inline enum).
    pub name: String,
    pub doc: Doc,
    pub kind: SchemaKind,
}

/// What a named schema is.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaKind {
    /// An object with known fields (possibly none).
    Object { fields: Vec<Field> },
    /// An open string enum: known wire values, in order.
    Enum { values: Vec<EnumValue> },
    /// Another type under this name (free-form objects, unions, arrays, scalars).
    Alias(Type),
}

/// One known value of a string enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    pub wire: String,
}

impl Type {
    /// Named schemas this type refers to.
    pub fn refs(&self, out: &mut Vec<String>) {
        match self {
            Type::Named(n) => out.push(n.clone()),
            Type::Array(inner) => inner.refs(out),
            _ => {}
        }
    }
}

impl Schema {
    /// Named schemas this schema refers to.
    pub fn refs(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.kind {
            SchemaKind::Object { fields } => {
                for f in fields {
                    f.ty.refs(&mut out);
                }
            }
            SchemaKind::Alias(t) => t.refs(&mut out),
            SchemaKind::Enum { .. } => {}
        }
        out
    }
}

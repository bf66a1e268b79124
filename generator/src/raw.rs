//! The subset of OpenAPI 3.0 (plus `x-alipay-*` extensions) that the loader reads.
//!
//! Plain serde structs, deserialized straight from YAML; unknown keys are ignored. Only the
//! loader sees these types.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub struct Document {
    pub info: Option<Info>,
    #[serde(default)]
    pub paths: IndexMap<String, PathItem>,
    #[serde(default)]
    pub components: Components,
    #[serde(rename = "x-alipay-method")]
    pub method: Option<String>,
    #[serde(rename = "x-alipay-family")]
    pub family: Option<String>,
    #[serde(rename = "x-alipay-protocols")]
    pub protocols: Option<Vec<String>>,
    #[serde(rename = "x-alipay-safety")]
    pub safety: Option<String>,
    #[serde(rename = "x-alipay-idempotency-key")]
    pub idempotency_key: Option<String>,
    #[serde(rename = "x-alipay-v2")]
    pub v2: Option<V2Ext>,
    #[serde(rename = "x-alipay-client-executed", default)]
    pub client_executed: bool,
    #[serde(rename = "x-alipay-error-codes", default)]
    pub error_codes: Vec<ErrorCode>,
}

/// One entry of `x-alipay-error-codes`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorCode {
    pub code: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Info {
    pub title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Components {
    #[serde(default)]
    pub schemas: IndexMap<String, Schema>,
}

#[derive(Debug, Default, Deserialize)]
pub struct V2Ext {
    pub response_key: Option<String>,
    pub biz_content: Option<bool>,
    #[serde(default)]
    pub text_params: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub need_encrypt: bool,
    pub request: Option<Reference>,
    pub response: Option<Reference>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Reference {
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PathItem {
    pub get: Option<Operation>,
    pub post: Option<Operation>,
    pub put: Option<Operation>,
    pub patch: Option<Operation>,
    pub delete: Option<Operation>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub operation_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub summary: Option<String>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    #[serde(default)]
    pub responses: IndexMap<String, Response>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Parameter {
    pub name: Option<String>,
    #[serde(rename = "in")]
    pub location: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub description: Option<String>,
    pub schema: Option<Schema>,
    pub example: Option<Value>,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestBody {
    #[serde(default)]
    pub content: IndexMap<String, MediaType>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MediaType {
    pub schema: Option<Schema>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub content: IndexMap<String, MediaType>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub format: Option<String>,
    pub items: Option<Box<Schema>>,
    #[serde(default)]
    pub properties: IndexMap<String, Schema>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(rename = "enum", default)]
    pub enumeration: Vec<Value>,
    pub description: Option<String>,
    pub title: Option<String>,
    pub example: Option<Value>,
    #[serde(default)]
    pub deprecated: bool,
    pub max_length: Option<u64>,
    pub min_length: Option<u64>,
    pub maximum: Option<f64>,
    pub minimum: Option<f64>,
    pub pattern: Option<String>,
    #[serde(default)]
    pub any_of: Vec<Schema>,
    #[serde(default)]
    pub one_of: Vec<Schema>,
    #[serde(default)]
    pub all_of: Vec<Schema>,
    pub additional_properties: Option<Value>,
}

//! The OpenAPI 3.1 document, generated from the same table that builds the router: every
//! route is registered with [`Api::op`], which adds the handler to the router *and* its
//! description (summary, request and response schemas from `schemars`) to the document. A
//! route cannot exist without its documentation, or the other way round.

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::MethodRouter;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::AppState;

/// Produces the schema of a type inside the shared generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// How a request body is sent.
#[derive(Debug, Clone, Copy)]
pub enum BodyKind {
    Json(SchemaFn),
    /// `multipart/form-data` with `kind`, `subject_path` and `file`.
    Upload,
}

/// The documentation of one operation.
#[derive(Debug, Clone)]
pub struct Op {
    pub summary: &'static str,
    pub tag: &'static str,
    pub body: Option<BodyKind>,
    pub response: Option<(u16, SchemaFn)>,
    /// Status of a response without body (204), or of a binary one (200 document).
    pub empty_status: Option<u16>,
    pub binary: bool,
    /// The media type of a text response (200), e.g. `text/plain`.
    pub text: Option<&'static str>,
    pub if_match: bool,
    pub public: bool,
    pub query: &'static [(&'static str, &'static str)],
}

impl Op {
    pub fn new(tag: &'static str, summary: &'static str) -> Op {
        Op {
            summary,
            tag,
            body: None,
            response: None,
            empty_status: None,
            binary: false,
            text: None,
            if_match: false,
            public: false,
            query: &[],
        }
    }
    pub fn body<T: JsonSchema>(mut self) -> Op {
        self.body = Some(BodyKind::Json(schema::<T>));
        self
    }
    pub fn upload(mut self) -> Op {
        self.body = Some(BodyKind::Upload);
        self
    }
    pub fn returns<T: JsonSchema>(mut self, status: u16) -> Op {
        self.response = Some((status, schema::<T>));
        self
    }
    pub fn no_content(mut self) -> Op {
        self.empty_status = Some(204);
        self
    }
    pub fn binary(mut self) -> Op {
        self.binary = true;
        self
    }
    pub fn text(mut self, media_type: &'static str) -> Op {
        self.text = Some(media_type);
        self
    }
    pub fn if_match(mut self) -> Op {
        self.if_match = true;
        self
    }
    pub fn public(mut self) -> Op {
        self.public = true;
        self
    }
    pub fn query(mut self, q: &'static [(&'static str, &'static str)]) -> Op {
        self.query = q;
        self
    }
}

/// Router and document, built together.
pub struct Api {
    router: Router<AppState>,
    generator: SchemaGenerator,
    paths: BTreeMap<String, Map<String, Value>>,
    prefix: &'static str,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Api({} paths)", self.paths.len())
    }
}

impl Api {
    pub fn new(prefix: &'static str) -> Api {
        let mut settings = SchemaSettings::draft2020_12();
        settings.definitions_path = "/components/schemas".into();
        Api { router: Router::new(), generator: settings.into_generator(), paths: BTreeMap::new(), prefix }
    }

    /// Registers `method_router` at `path` with its documentation for `method`.
    pub fn op(
        mut self,
        method: &'static str,
        path: &'static str,
        handler: MethodRouter<AppState>,
        op: Op,
    ) -> Api {
        let problem = self.generator.subschema_for::<crate::problem::Problem>();
        let mut o = Map::new();
        o.insert("summary".into(), json!(op.summary));
        o.insert("tags".into(), json!([op.tag]));
        o.insert(
            "operationId".into(),
            json!(format!("{method}_{}", path.trim_matches('/').replace(['/', '{', '}', '-'], "_"))),
        );
        let mut params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let schema = match name {
                    "year" => json!({ "type": "integer", "minimum": 2000, "maximum": 2100 }),
                    _ => json!({ "type": "string", "format": "uuid" }),
                };
                json!({ "name": name, "in": "path", "required": true, "schema": schema })
            })
            .collect();
        if op.if_match {
            params.push(json!({ "name": "If-Match", "in": "header", "required": true, "description": "The version (ETag) the decision is based on", "schema": { "type": "string" } }));
        }
        if method == "post" {
            params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "description": "Retry-safe key: the same key and request replay the first response", "schema": { "type": "string" } }));
        }
        for (name, desc) in op.query {
            params.push(json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": { "type": "string" } }));
        }
        if !params.is_empty() {
            o.insert("parameters".into(), Value::Array(params));
        }
        match op.body {
            Some(BodyKind::Json(f)) => {
                o.insert("requestBody".into(), json!({ "required": true, "content": { "application/json": { "schema": f(&mut self.generator) } } }));
            }
            Some(BodyKind::Upload) => {
                o.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": { "multipart/form-data": { "schema": {
                        "type": "object",
                        "required": ["kind", "subject_path", "file"],
                        "properties": {
                            "kind": { "type": "string", "enum": beian_app::documents::DOCUMENT_KINDS },
                            "subject_path": { "type": "string", "description": "subject, subject.head, websites[0].head, …" },
                            "file": { "type": "string", "contentMediaType": "application/octet-stream", "description": "JPEG, PNG or PDF; the type is decided by content" }
                        }
                    } } } }),
                );
            }
            None => {}
        }
        let mut responses = Map::new();
        if let Some((status, f)) = op.response {
            responses.insert(status.to_string(), json!({ "description": "OK", "content": { "application/json": { "schema": f(&mut self.generator) } } }));
        }
        if let Some(status) = op.empty_status {
            responses.insert(status.to_string(), json!({ "description": "Done" }));
        }
        if op.binary {
            responses.insert("200".into(), json!({ "description": "The document", "content": { "image/jpeg": {}, "image/png": {}, "application/pdf": {} } }));
        }
        if let Some(media_type) = op.text {
            responses.insert("200".into(), json!({ "description": "The file", "content": { media_type: { "schema": { "type": "string" } } } }));
        }
        responses.insert("default".into(), json!({ "description": "Problem", "content": { "application/problem+json": { "schema": problem } } }));
        o.insert("responses".into(), Value::Object(responses));
        if !op.public {
            o.insert("security".into(), json!([{ "session": [] }, { "token": [] }]));
        }
        self.paths
            .entry(format!("{}{path}", self.prefix))
            .or_default()
            .insert(method.into(), Value::Object(o));
        self.router = self.router.route(path, handler);
        self
    }

    /// The router and the finished document.
    pub fn finish(mut self) -> (Router<AppState>, Value) {
        let schemas = self.generator.take_definitions(true);
        let doc = json!({
            "openapi": "3.1.0",
            "info": {
                "title": "beian provider API",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "ICP filing (备案) service of an access provider: accounts, subjects, orders, documents, review. Errors are application/problem+json with a stable `code`."
            },
            "paths": self.paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "session": { "type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE, "description": "Session cookie from /auth/login; unsafe methods also need the X-CSRF-Token header" },
                    "token": { "type": "http", "scheme": "bearer", "description": "API token from POST /tokens" }
                }
            }
        });
        (self.router, doc)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn document_is_complete_and_self_consistent() {
        let (_, doc) = crate::api_routes();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 30, "{}", paths.len());
        assert!(
            paths["/api/v1/orders/{id}/submit"]["post"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "If-Match")
        );
        let mut all = Vec::new();
        refs(&doc, &mut all);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("foreign ref {r}"));
            assert!(schemas.contains_key(name), "dangling {r}");
        }
        for name in ["OrderView", "Order", "Finding", "Problem", "SubjectInput"] {
            assert!(schemas.contains_key(name), "{name}");
        }
    }

    /// `docs/openapi.json` is the generated document; `BEIAN_BLESS=1` rewrites it.
    #[test]
    fn committed_document_is_current() {
        let (_, doc) = crate::api_routes();
        let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        if std::env::var_os("BEIAN_BLESS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "docs/openapi.json is out of date: run BEIAN_BLESS=1 cargo test -p beian-web committed_document_is_current"
        );
    }
}

//! An axum router and its OpenAPI 3.1 document, built from one table: every route is
//! registered with [`Api::op`], which adds the handler to the router *and* its description
//! (summary, parameters, request and response schemas from `schemars`) to the document. A
//! route cannot exist without its documentation, or the other way round.
//!
//! Both services use it — the provider's API (`beian-web`) and the regulator's
//! (`beian-regulator`) — so their documents have one shape and pass the same outside checks
//! (`scripts/schemathesis.sh`). This crate knows nothing of either service: their state, their
//! error body and their ways of signing in are handed to it.

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::MethodRouter;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// Produces the schema of a type inside the shared generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T`, as a [`SchemaFn`].
pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// How a request body is sent.
#[derive(Debug, Clone, Copy)]
pub enum BodyKind {
    Json(SchemaFn),
    /// `multipart/form-data`, described by the schema of its fields.
    Multipart(fn() -> Value),
}

/// The documentation of one operation.
#[derive(Debug, Clone)]
pub struct Op {
    pub summary: &'static str,
    pub tag: &'static str,
    pub body: Option<BodyKind>,
    /// The JSON answers other than errors, by status.
    pub responses: Vec<(u16, SchemaFn)>,
    /// Status of a response without body (204), or of a binary one (200 document).
    pub empty_status: Option<u16>,
    pub binary: bool,
    /// The media type of a text response (200), e.g. `text/plain`.
    pub text: Option<&'static str>,
    pub if_match: bool,
    /// How a caller signs in for this operation, when not the document's default; empty for a
    /// public operation.
    pub security: Option<&'static [&'static str]>,
    /// Optional query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
    /// Query parameters that must be given.
    pub required_query: &'static [(&'static str, &'static str)],
}

impl Op {
    pub fn new(tag: &'static str, summary: &'static str) -> Op {
        Op {
            summary,
            tag,
            body: None,
            responses: Vec::new(),
            empty_status: None,
            binary: false,
            text: None,
            if_match: false,
            security: None,
            query: &[],
            required_query: &[],
        }
    }
    pub fn body<T: JsonSchema>(mut self) -> Op {
        self.body = Some(BodyKind::Json(schema::<T>));
        self
    }
    pub fn multipart(mut self, fields: fn() -> Value) -> Op {
        self.body = Some(BodyKind::Multipart(fields));
        self
    }
    /// Answers `status` with a `T` (call again for each further status).
    pub fn returns<T: JsonSchema>(mut self, status: u16) -> Op {
        self.responses.push((status, schema::<T>));
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
    /// Anyone may call it.
    pub fn public(mut self) -> Op {
        self.security = Some(&[]);
        self
    }
    /// Signed in by one of `schemes` (names of the document's security schemes).
    pub fn security(mut self, schemes: &'static [&'static str]) -> Op {
        self.security = Some(schemes);
        self
    }
    pub fn query(mut self, q: &'static [(&'static str, &'static str)]) -> Op {
        self.query = q;
        self
    }
    pub fn required_query(mut self, q: &'static [(&'static str, &'static str)]) -> Op {
        self.required_query = q;
        self
    }
}

/// What a document says about itself and how callers sign in.
#[derive(Debug, Clone)]
pub struct Info {
    pub title: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    /// `components.securitySchemes`.
    pub security_schemes: Value,
}

/// Router and document, built together.
pub struct Api<S> {
    router: Router<S>,
    generator: SchemaGenerator,
    paths: BTreeMap<String, Map<String, Value>>,
    prefix: &'static str,
    problem: SchemaFn,
    default_security: &'static [&'static str],
    idempotency_key: bool,
}

impl<S> std::fmt::Debug for Api<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Api({} paths)", self.paths.len())
    }
}

/// The schema of a path parameter, from its name: `id` is a UUID, `year` a year, anything
/// else (a domain, a filing number, a caller's own id) a string.
fn path_param(name: &str) -> Value {
    let schema = match name {
        "id" => json!({ "type": "string", "format": "uuid" }),
        "year" => json!({ "type": "integer", "minimum": 2000, "maximum": 2100 }),
        _ => json!({ "type": "string", "minLength": 1 }),
    };
    json!({ "name": name, "in": "path", "required": true, "schema": schema })
}

impl<S: Clone + Send + Sync + 'static> Api<S> {
    /// An empty table for routes under `prefix` (the router's paths are relative to it, the
    /// document's absolute). `problem` is the schema of every error body.
    pub fn new(prefix: &'static str, problem: SchemaFn) -> Api<S> {
        let mut settings = SchemaSettings::draft2020_12();
        settings.definitions_path = "/components/schemas".into();
        Api {
            router: Router::new(),
            generator: settings.into_generator(),
            paths: BTreeMap::new(),
            prefix,
            problem,
            default_security: &[],
            idempotency_key: false,
        }
    }

    /// How callers sign in unless an operation says otherwise.
    pub fn signed_in_by(mut self, schemes: &'static [&'static str]) -> Api<S> {
        self.default_security = schemes;
        self
    }

    /// Every `POST` takes an optional `Idempotency-Key` header.
    pub fn idempotency_key_on_post(mut self) -> Api<S> {
        self.idempotency_key = true;
        self
    }

    /// Registers `method_router` at `path` with its documentation for `method`.
    pub fn op(
        mut self,
        method: &'static str,
        path: &'static str,
        handler: MethodRouter<S>,
        op: Op,
    ) -> Api<S> {
        let problem = (self.problem)(&mut self.generator);
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
            .map(path_param)
            .collect();
        if op.if_match {
            params.push(json!({ "name": "If-Match", "in": "header", "required": true, "description": "The version (ETag) the decision is based on", "schema": { "type": "string" } }));
        }
        if method == "post" && self.idempotency_key {
            params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "description": "Retry-safe key: the same key and request replay the first response", "schema": { "type": "string" } }));
        }
        for (name, desc) in op.required_query {
            params.push(json!({ "name": name, "in": "query", "required": true, "description": desc, "schema": { "type": "string", "minLength": 1 } }));
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
            Some(BodyKind::Multipart(fields)) => {
                o.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": { "multipart/form-data": { "schema": fields() } } }),
                );
            }
            None => {}
        }
        let mut responses = Map::new();
        for (status, f) in op.responses {
            let description = match status {
                200 => "OK",
                201 => "Created",
                202 => "Accepted",
                _ => "Answered",
            };
            let mut content = json!({ "application/json": { "schema": f(&mut self.generator) } });
            if status >= 400 {
                // An answer of this status may also be a refusal.
                content["application/problem+json"] = json!({ "schema": problem.clone() });
            }
            responses.insert(status.to_string(), json!({ "description": description, "content": content }));
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
        let security = op.security.unwrap_or(self.default_security);
        if !security.is_empty() {
            let alternatives: Vec<Value> = security.iter().map(|s| json!({ *s: [] })).collect();
            o.insert("security".into(), Value::Array(alternatives));
        }
        self.paths
            .entry(format!("{}{path}", self.prefix))
            .or_default()
            .insert(method.into(), Value::Object(o));
        self.router = self.router.route(path, handler);
        self
    }

    /// The router and the finished document.
    pub fn finish(mut self, info: Info) -> (Router<S>, Value) {
        let schemas = self.generator.take_definitions(true);
        let doc = json!({
            "openapi": "3.1.0",
            "info": { "title": info.title, "version": info.version, "description": info.description },
            "paths": self.paths,
            "components": { "schemas": schemas, "securitySchemes": info.security_schemes }
        });
        (self.router, doc)
    }
}

/// Whether the committed copy of a document (`docs/…json`, relative to the workspace root) is
/// `doc` as generated; with `BEIAN_BLESS` set it is rewritten first. The error says how to
/// regenerate it.
pub fn committed_copy_is_current(doc: &Value, relative: &str, crate_dir: &str) -> Result<(), String> {
    let text = serde_json::to_string_pretty(doc).map_err(|e| e.to_string())? + "\n";
    let path = std::path::Path::new(crate_dir).join("../..").join(relative);
    if std::env::var_os("BEIAN_BLESS").is_some() {
        std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == text {
        Ok(())
    } else {
        Err(format!("{relative} is out of date: run BEIAN_BLESS=1 cargo test committed_document_is_current"))
    }
}

/// Every `$ref` in `doc` names a schema it defines; the names of those that do not, or that
/// point outside the document.
pub fn dangling_refs(doc: &Value) -> Vec<String> {
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
    let mut all = Vec::new();
    refs(doc, &mut all);
    let schemas = doc["components"]["schemas"].as_object();
    all.into_iter()
        .filter(|r| {
            r.strip_prefix("#/components/schemas/")
                .is_none_or(|name| !schemas.is_some_and(|s| s.contains_key(name)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
    }

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Problem {
        code: String,
    }

    fn info() -> Info {
        Info { title: "t", version: "0", description: "d", security_schemes: json!({}) }
    }

    #[test]
    fn an_operation_is_routed_and_documented_with_its_parameters_and_security() {
        let (_, doc) = Api::<()>::new("/api/v1", schema::<Problem>)
            .signed_in_by(&["token"])
            .idempotency_key_on_post()
            .op(
                "get",
                "/things/{id}",
                get(|| async { "" }),
                Op::new("things", "One thing").returns::<Thing>(200),
            )
            .op(
                "post",
                "/places/{domain}",
                axum::routing::post(|| async { "" }),
                Op::new("things", "Add").public(),
            )
            .finish(info());
        let get_op = &doc["paths"]["/api/v1/things/{id}"]["get"];
        assert_eq!(get_op["parameters"][0]["schema"]["format"], "uuid");
        assert_eq!(get_op["security"], json!([{ "token": [] }]));
        assert_eq!(
            get_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Thing"
        );
        let post_op = &doc["paths"]["/api/v1/places/{domain}"]["post"];
        assert_eq!(post_op["parameters"][0]["schema"]["type"], "string");
        assert!(post_op["parameters"][0]["schema"].get("format").is_none(), "a domain is not a UUID");
        assert_eq!(post_op["parameters"][1]["name"], "Idempotency-Key");
        assert!(post_op.get("security").is_none(), "public");
        assert_eq!(dangling_refs(&doc), Vec::<String>::new());
    }

    #[test]
    fn a_reference_to_a_missing_schema_is_found() {
        let doc = json!({ "a": { "$ref": "#/components/schemas/Gone" }, "components": { "schemas": { "Here": {} } } });
        assert_eq!(dangling_refs(&doc), vec!["#/components/schemas/Gone".to_owned()]);
    }
}

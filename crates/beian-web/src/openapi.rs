//! The provider's OpenAPI 3.1 document, generated from the same table that builds the router
//! (`beian_openapi::Api`, shared with the regulator): every route is registered with
//! `Api::op`, which adds the handler to the router *and* its description to the document. This
//! module says what is the provider's own: its error body, how callers sign in, the `Idempotency-Key`
//! on every `POST`, and the upload form.

use beian_openapi::{Info, schema};
use serde_json::{Value, json};

use crate::AppState;

pub use beian_openapi::Op;

/// The provider API's table.
pub type Api = beian_openapi::Api<AppState>;

/// An empty table under `/api/v1`: signed in by session or token unless public, an
/// `Idempotency-Key` on every `POST`, errors as [`crate::problem::Problem`].
pub fn api() -> Api {
    Api::new("/api/v1", schema::<crate::problem::Problem>)
        .signed_in_by(&["session", "token"])
        .idempotency_key_on_post()
}

/// The fields of a document upload (`multipart/form-data`).
pub fn upload_fields() -> Value {
    json!({
        "type": "object",
        "required": ["kind", "subject_path", "file"],
        "properties": {
            "kind": { "type": "string", "enum": beian_app::documents::DOCUMENT_KINDS },
            "subject_path": { "type": "string", "description": "subject, subject.head, websites[0].head, …" },
            "file": { "type": "string", "contentMediaType": "application/octet-stream", "description": "JPEG, PNG or PDF; the type is decided by content" }
        }
    })
}

/// What the document says about itself and how callers sign in.
pub fn info() -> Info {
    Info {
        title: "beian provider API",
        version: env!("CARGO_PKG_VERSION"),
        description: "ICP filing (备案) service of an access provider: accounts, subjects, orders, documents, review. Errors are application/problem+json with a stable `code`.",
        security_schemes: json!({
            "session": { "type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE, "description": "Session cookie from /auth/login; unsafe methods also need the X-CSRF-Token header" },
            "token": { "type": "http", "scheme": "bearer", "description": "API token from POST /tokens" }
        }),
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(beian_openapi::dangling_refs(&doc), Vec::<String>::new());
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in ["OrderView", "Order", "Finding", "Problem", "SubjectInput"] {
            assert!(schemas.contains_key(name), "{name}");
        }
    }

    /// `docs/openapi.json` is the generated document; `BEIAN_BLESS=1` rewrites it.
    #[test]
    fn committed_document_is_current() {
        let (_, doc) = crate::api_routes();
        beian_openapi::committed_copy_is_current(&doc, "docs/openapi.json", env!("CARGO_MANIFEST_DIR"))
            .unwrap();
    }
}

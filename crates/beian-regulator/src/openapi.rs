//! The regulator's OpenAPI 3.1 document, built from the same table as its JSON routes
//! (`beian_openapi::Api`, shared with the provider): each API file registers its operations
//! (`operations`), so a route cannot exist without its description. Served at
//! `/api/openapi.json`; `docs/regulator-openapi.json` is the committed copy.
//!
//! What it says of the regulator: errors are `application/problem+json`; the provider API is
//! signed (`beian-seam`'s four headers — a document can only name one of them); the bureau's and
//! the PSB officers' APIs take the bearer token of `/api/v1/bureau/login`; the SMS entry and the
//! public queries take nothing. Times are RFC 3339, China time. The MIIT V3.0 SOAP interface is
//! described by its own WSDL (`/miit/…?wsdl`), not here.

use axum::Router;
use beian_openapi::{Info, schema};
use serde_json::{Value, json};

use crate::service::{Api, Service};

/// The JSON routes and their document.
pub(crate) fn routes() -> (Router<Service>, Value) {
    let api = Api::new("", schema::<crate::http::ProblemBody<'static>>).signed_in_by(&["bureau"]);
    let api = crate::provider_api::operations(api);
    let api = crate::bureau_api::operations(api);
    let api = crate::psb_api::operations(api);
    let api = crate::public_api::operations(api);
    api.finish(info())
}

/// The document, as `/api/openapi.json` serves it.
pub fn document() -> Value {
    routes().1
}

fn info() -> Info {
    Info {
        title: "beian regulator simulator API",
        version: env!("CARGO_PKG_VERSION"),
        description: "The simulated regulator: MIIT's filing system, the provincial bureaus (管局) and the public-security platform. Providers submit over the signed JSON seam (or MIIT's V3.0 SOAP interface, described by its WSDL); bureau and PSB officers decide; the public verifies SMS codes and queries records. Errors are application/problem+json with a stable `code`; times are RFC 3339 (China time).",
        security_schemes: json!({
            "seam": {
                "type": "apiKey", "in": "header", "name": beian_seam::HEADER_SIGNATURE,
                "description": "HMAC-SHA256 with the provider's key over `METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body))`, lower-case hex; sent with x-beian-provider, x-beian-timestamp (Unix seconds) and x-beian-nonce (unique per request)"
            },
            "bureau": { "type": "http", "scheme": "bearer", "description": "Token from POST /api/v1/bureau/login (a bureau, PSB or admin account)" }
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_is_complete_and_self_consistent() {
        let doc = super::document();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v1/submissions",
            "/api/v1/submissions/{submission_id}",
            "/api/v1/bureau/login",
            "/api/v1/psb/applications/{id}/approve",
            "/api/v1/sms/verify",
            "/api/v1/query",
        ] {
            assert!(paths.contains_key(p), "{p}");
        }
        assert_eq!(beian_openapi::dangling_refs(&doc), Vec::<String>::new());
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for (schema, field) in [("Event", "at"), ("Submission", "received_at"), ("QueueItem", "received_at")]
        {
            let at = &schemas[schema]["properties"][field];
            assert_eq!(
                (&at["type"], &at["format"]),
                (&"string".into(), &"date-time".into()),
                "{schema}.{field}"
            );
        }
        assert!(paths["/api/v1/query"]["get"].get("security").is_none(), "the public query is public");
        assert_eq!(paths["/api/v1/submissions"]["post"]["security"], serde_json::json!([{ "seam": [] }]));
    }

    /// `docs/regulator-openapi.json` is the generated document; `BEIAN_BLESS=1` rewrites it.
    #[test]
    fn committed_document_is_current() {
        let doc = super::document();
        beian_openapi::committed_copy_is_current(
            &doc,
            "docs/regulator-openapi.json",
            env!("CARGO_MANIFEST_DIR"),
        )
        .unwrap();
    }
}

//! The regulator's HTTP surface in one place: which module answers which path. The JSON API's
//! paths are registered with their documentation (`crate::openapi`).

use axum::Router;
use axum::routing::get;

use crate::service::Service;

/// The regulator's HTTP routes. Serve with `into_make_service_with_connect_info::<SocketAddr>()`
/// so audit entries carry the peer address.
pub fn router(svc: Service) -> Router {
    let (api, doc) = crate::openapi::routes();
    // Serialised once: the document does not change while the service runs.
    let doc = axum::body::Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    Router::new()
        .route("/", get(crate::pages::index))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], doc) }
            }),
        )
        .merge(api)
        .merge(crate::public_api::pages())
        .merge(crate::console::routes())
        .merge(crate::miit::http::routes())
        .with_state(svc)
}

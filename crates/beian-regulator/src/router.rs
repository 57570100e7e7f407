//! The regulator's HTTP surface in one place: which module answers which path.

use axum::Router;
use axum::routing::get;

use crate::service::Service;

/// The regulator's HTTP routes. Serve with `into_make_service_with_connect_info::<SocketAddr>()`
/// so audit entries carry the peer address.
pub fn router(svc: Service) -> Router {
    Router::new()
        .route("/", get(crate::pages::index))
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::provider_api::routes())
        .merge(crate::public_api::routes())
        .merge(crate::psb_api::routes())
        .merge(crate::bureau_api::routes())
        .merge(crate::console::routes())
        .merge(crate::miit::http::routes())
        .with_state(svc)
}

//! Every route of the emulator: each domain's routes merged, then the log-id layer and the
//! gateway's 404 around them all.

use std::sync::Arc;

use axum::Router;
use axum::middleware;

use crate::http::envelope::{not_found, stamp};
use crate::shared::Shared;

/// Every route of the emulator.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(crate::auth::http::routes())
        .merge(crate::reserves::http::routes())
        .merge(crate::meetings::http::routes())
        .merge(crate::calendar::http::routes())
        .merge(crate::events::http::routes())
        .merge(crate::control::http::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), stamp))
        .with_state(shared)
}

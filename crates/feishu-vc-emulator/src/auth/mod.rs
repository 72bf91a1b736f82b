//! Auth: tenant and user tokens, store apps (tickets, app tokens), OAuth codes and refresh tokens.

pub(crate) mod grants;
pub(crate) mod http;
pub(crate) mod rules;
pub(crate) mod state;
pub(crate) mod store_apps;

//! Store (marketplace) apps' state: the tickets pushed for each app (the newest two stay valid)
//! and the app access tokens issued, in memory only. Pushing a ticket (a schema 1.0 event, on a
//! schedule and on resend) is in `auth/rules.rs`; the endpoints (10012 for a bad or missing
//! ticket, one tenant token per tenant, acting only for that tenant) in `auth/http.rs`.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::apps::StoreApp;

/// The store apps, their valid tickets and their app tokens (in memory only).
#[derive(Debug, Default)]
pub(crate) struct StoreApps {
    pub(crate) apps: Vec<StoreApp>,
    /// The tickets pushed per app: the newest and the one before stay valid.
    tickets: Mutex<HashMap<String, Vec<String>>>,
    /// App access token → (app id, expiry in token time).
    pub(crate) app_tokens: Mutex<HashMap<String, (String, i64)>>,
}

impl StoreApps {
    pub(crate) fn new(apps: Vec<StoreApp>) -> Self {
        Self {
            apps,
            ..Self::default()
        }
    }

    pub(crate) fn app(&self, app_id: &str) -> Option<&StoreApp> {
        self.apps.iter().find(|a| a.app_id == app_id)
    }

    /// A new ticket for `app_id`; the one before it stays valid too.
    pub(crate) fn new_ticket(&self, app_id: &str) -> String {
        let ticket = crate::ids::token("ticket-");
        let mut tickets = self
            .tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let valid = tickets.entry(app_id.to_owned()).or_default();
        valid.push(ticket.clone());
        if valid.len() > 2 {
            valid.remove(0);
        }
        ticket
    }

    pub(crate) fn ticket_valid(&self, app_id: &str, ticket: &str) -> bool {
        self.tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(app_id)
            .is_some_and(|valid| valid.iter().any(|t| t == ticket))
    }
}

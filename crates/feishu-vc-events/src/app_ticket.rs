//! Store apps' `app_ticket` events (schema 1.0): saved into an [`AppTicketStore`] for the
//! client's `StoreAppTokenSource`, before any other handler sees the delivery.

use std::sync::Arc;

use feishu_vc::AppTicketStore;
use feishu_vc_model::SecretString;
use feishu_vc_model::events::Event;

use crate::decode::Delivery;
use crate::router::{EventHandler, HandlerError};

/// The event type of the ticket push.
pub const APP_TICKET_EVENT: &str = "app_ticket";

/// An [`EventHandler`] that saves each `app_ticket` event's ticket into a store and hands every
/// other event to `inner`. Wrap the handler given to the webhook router or the long connection:
///
/// ```
/// use std::sync::Arc;
/// use feishu_vc::InMemoryAppTicketStore;
/// use feishu_vc_events::{AppTickets, Decoder, Delivery, HandlerError, Receiver, router};
///
/// let tickets = Arc::new(InMemoryAppTicketStore::new());
/// let handler = AppTickets::new(tickets, |_delivery: Delivery| async { Ok::<_, HandlerError>(()) });
/// let _router: axum::Router = router(Receiver::new(Decoder::new()), handler);
/// ```
#[derive(Debug)]
pub struct AppTickets<H> {
    store: Arc<dyn AppTicketStore>,
    inner: H,
}

impl<H> AppTickets<H> {
    /// Saves tickets into `store`, passes other events to `inner`.
    pub fn new(store: Arc<dyn AppTicketStore>, inner: H) -> Self {
        Self { store, inner }
    }
}

/// The ticket an `app_ticket` event carries, with its app id: none for any other event.
pub fn app_ticket_of(delivery: &Delivery) -> Option<(String, SecretString)> {
    let Event::Other(other) = &delivery.event else {
        return None;
    };
    if other.event_type != APP_TICKET_EVENT {
        return None;
    }
    let app_id = other.event.get("app_id")?.as_str()?.to_owned();
    let ticket = other.event.get("app_ticket")?.as_str()?;
    (!app_id.is_empty() && !ticket.is_empty()).then(|| (app_id, SecretString::from(ticket)))
}

impl<H: EventHandler> EventHandler for AppTickets<H> {
    async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
        if let Event::Other(other) = &delivery.event
            && other.event_type == APP_TICKET_EVENT
        {
            let Some((app_id, ticket)) = app_ticket_of(&delivery) else {
                return Err("an app_ticket event without app_id or app_ticket".into());
            };
            return self.store.save(&app_id, &ticket).await;
        }
        self.inner.handle(delivery).await
    }
}

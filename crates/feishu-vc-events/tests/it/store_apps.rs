//! A store app end to end on loopback: the emulator pushes its `app_ticket` to the webhook router,
//! `AppTickets` stores it, and the facade books for two tenants with one tenant token each.

use std::sync::Arc;
use std::time::Duration;

use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, SecretString};
use feishu_vc::{AppTicketStore, Client, Error, InMemoryAppTicketStore, StoreAppTokenSource};
use feishu_vc_emulator::{
    DEMO_TENANT_KEY, DEMO_USER_ALICE, Emulator, OTHER_TENANT_KEY, OTHER_TENANT_USER,
};
use feishu_vc_events::{AppTickets, Decoder, Delivery, HandlerError, Receiver, router};

use crate::support::{KEY, TOKEN};

const STORE_APP: &str = "cli_5707e2e0a1b2c3d4";
const STORE_SECRET: &str = "store-secret-e2e-Vb52";

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// Waits (up to 5 s) until the store holds a ticket other than `before`.
async fn ticket_after(tickets: &InMemoryAppTicketStore, before: Option<&str>) -> SecretString {
    for _ in 0..500 {
        if let Some(t) = tickets.load(STORE_APP).await.unwrap()
            && Some(t.expose_secret()) != before
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no app_ticket event arrived");
}

fn apply(emulator: &Emulator, owner: &str, topic: &str) -> ApplyReserveRequest {
    let end = emulator
        .now()
        .checked_add(Duration::from_secs(3600))
        .unwrap();
    ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic(topic))
        .set_end_time(end)
        .set_owner_id(owner)
}

#[tokio::test]
async fn a_store_app_books_for_two_tenants_after_a_resend_recovers_its_missing_ticket() {
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    let handler = AppTickets::new(tickets.clone(), |_: Delivery| async {
        Ok::<(), HandlerError>(())
    });
    let receiver = Receiver::new(Decoder::new().verification_token(TOKEN).encrypt_key(KEY));
    let url = serve(router(receiver, handler)).await;
    let emulator = Emulator::builder()
        .add_store_app(STORE_APP, STORE_SECRET, [DEMO_TENANT_KEY, OTHER_TENANT_KEY])
        .event_callback(&url)
        .verification_token(TOKEN)
        .encrypt_key(KEY)
        .start()
        .await
        .unwrap();
    let plain = Client::builder()
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let source = StoreAppTokenSource::new(
        plain.transport().clone(),
        STORE_APP,
        STORE_SECRET,
        tickets.clone(),
    );
    let now = emulator.now();
    let client = Client::builder()
        .base_url(emulator.base_url())
        .store_app(source.clone())
        .validation_clock(move || now)
        .build()
        .unwrap();

    // No ticket yet: a typed error at once, and a resend asked for.
    let err = client
        .reserves()
        .apply(apply(&emulator, DEMO_USER_ALICE, "early"))
        .with_tenant_key(DEMO_TENANT_KEY)
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(token.ticket_missing(), "{token:?}");
    // The resend makes the emulator push the ticket; the receiver stores it.
    ticket_after(&tickets, None).await;

    let in_demo = client
        .reserves()
        .apply(apply(&emulator, DEMO_USER_ALICE, "demo tenant"))
        .with_tenant_key(DEMO_TENANT_KEY)
        .await
        .unwrap()
        .data;
    let in_other = client
        .reserves()
        .apply(apply(&emulator, OTHER_TENANT_USER, "other tenant"))
        .with_tenant_key(OTHER_TENANT_KEY)
        .await
        .unwrap()
        .data;

    // One token per tenant, never the same.
    let demo_token = source.tenant_access_token(DEMO_TENANT_KEY).await.unwrap();
    let other_token = source.tenant_access_token(OTHER_TENANT_KEY).await.unwrap();
    assert_ne!(demo_token.expose_secret(), other_token.expose_secret());

    // Each reservation is visible with its own tenant's token only.
    for (booked, own, foreign) in [
        (&in_demo, DEMO_TENANT_KEY, OTHER_TENANT_KEY),
        (&in_other, OTHER_TENANT_KEY, DEMO_TENANT_KEY),
    ] {
        let got = client
            .reserves()
            .get(booked.reserve_id.clone())
            .with_tenant_key(own)
            .await
            .unwrap();
        assert_eq!(
            got.data.reserve.and_then(|r| r.id).as_ref(),
            Some(&booked.reserve_id)
        );
        let refused = client
            .reserves()
            .get(booked.reserve_id.clone())
            .with_tenant_key(foreign)
            .await
            .expect_err("another tenant's token must not see the reservation");
        assert!(matches!(refused, Error::Api(_)), "{refused:?}");
    }
    // An owner of another tenant is refused: the token acts for its own tenant only.
    let refused = client
        .reserves()
        .apply(apply(&emulator, OTHER_TENANT_USER, "crossing"))
        .with_tenant_key(DEMO_TENANT_KEY)
        .await
        .expect_err("a demo-tenant token cannot book for another tenant's user");
    assert!(matches!(refused, Error::Api(_)), "{refused:?}");
}

#[tokio::test]
async fn the_emulator_pushes_a_new_ticket_on_its_schedule() {
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    let handler = AppTickets::new(tickets.clone(), |_: Delivery| async {
        Ok::<(), HandlerError>(())
    });
    let receiver = Receiver::new(Decoder::new().verification_token(TOKEN));
    let url = serve(router(receiver, handler)).await;
    let _emulator = Emulator::builder()
        .add_store_app(STORE_APP, STORE_SECRET, [DEMO_TENANT_KEY])
        .app_ticket_interval(Duration::from_millis(100))
        .event_callback(&url)
        .verification_token(TOKEN)
        .start()
        .await
        .unwrap();
    // No resend is asked for: the schedule alone brings one ticket, then a newer one.
    let first = ticket_after(&tickets, None).await;
    let second = ticket_after(&tickets, Some(first.expose_secret())).await;
    assert_ne!(first.expose_secret(), second.expose_secret());
}

//! Store apps' tickets shared through Redis: saved by the instance that received the push, read
//! by every other, namespaced, kept 12 hours.

use std::time::Duration;

use feishu_vc::model::SecretString;
use feishu_vc::transport::AppTicketStore;
use feishu_vc_redis::APP_TICKET_TTL;

use crate::support::{RedisServer, keys};

#[tokio::test]
async fn a_ticket_saved_by_one_instance_is_read_by_another_under_the_prefix_with_a_ttl() {
    let server = RedisServer::start();
    let receiving = server.handle("fleet-t").app_tickets();
    let booking = server.handle("fleet-t").app_tickets();
    assert!(booking.load("cli_store").await.unwrap().is_none());
    receiving
        .save("cli_store", &SecretString::from("ticket-one"))
        .await
        .unwrap();
    receiving
        .save("cli_store", &SecretString::from("ticket-two"))
        .await
        .unwrap();
    let got = booking.load("cli_store").await.unwrap().unwrap();
    assert_eq!(got.expose_secret(), "ticket-two");
    // Another app's ticket is its own.
    assert!(booking.load("cli_other").await.unwrap().is_none());

    let found = keys(&server.url(), "*").await;
    assert_eq!(found, vec!["fleet-t:app_ticket:cli_store".to_owned()]);
    let raw = redis::Client::open(server.url()).unwrap();
    let mut connection = raw.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&found[0])
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= APP_TICKET_TTL.as_millis() as i64, "{ttl}");
    assert!(
        ttl > (APP_TICKET_TTL - Duration::from_secs(60)).as_millis() as i64,
        "{ttl}"
    );
}

//! The booking hook: told what each successful apply, update and delete did; never told of a
//! failed one.

use std::sync::{Arc, Mutex};

use feishu_vc::model::{ReserveId, Timestamp, UpdateReserveBody, UserIdType};
use feishu_vc::{Booking, BookingObserver};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    APPLY_PATH, OWNER, RESERVE_ID, builder, catch_all, in_one_hour, mount_token, ok, reserve_data,
    reserve_path, valid_apply,
};

#[derive(Debug, Default)]
struct Seen {
    booked: Mutex<Vec<Booking>>,
    deleted: Mutex<Vec<(ReserveId, Timestamp)>>,
}

impl BookingObserver for Seen {
    fn booked(&self, booking: &Booking) {
        self.booked.lock().unwrap().push(booking.clone());
    }

    fn deleted(&self, reserve_id: &ReserveId, at: Timestamp) {
        self.deleted.lock().unwrap().push((reserve_id.clone(), at));
    }
}

#[tokio::test]
async fn the_observer_hears_each_successful_apply_update_and_delete() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let seen = Arc::new(Seen::default());
    let now = Timestamp::now();
    let client = builder(&server.uri())
        .validation_clock(move || now)
        .booking_observer(seen.clone())
        .build()
        .unwrap();
    let end = in_one_hour();
    client.reserves().apply(valid_apply()).await.unwrap();
    let later = end
        .checked_add(std::time::Duration::from_secs(600))
        .unwrap();
    client
        .reserves()
        .update(RESERVE_ID, UpdateReserveBody::default().set_end_time(later))
        .await
        .unwrap();
    client.reserves().delete(RESERVE_ID).await.unwrap();

    let booked = seen.booked.lock().unwrap().clone();
    assert_eq!(booked.len(), 2, "{booked:?}");
    assert_eq!(booked[0].reserve_id.as_str(), RESERVE_ID);
    assert_eq!(booked[0].meeting_no.as_str(), "112000358");
    assert_eq!(booked[0].owner_id.as_ref().map(|o| o.as_str()), Some(OWNER));
    assert_eq!(booked[0].user_id_type, UserIdType::OpenId);
    assert_eq!(booked[0].at, now);
    assert!(!booked[0].is_update);
    assert!(booked[0].end_time.is_some());
    assert!(booked[1].is_update);
    assert_eq!(booked[1].end_time, Some(later));
    assert_eq!(
        *seen.deleted.lock().unwrap(),
        vec![(ReserveId::new(RESERVE_ID), now)]
    );
}

#[tokio::test]
async fn a_failed_booking_is_not_observed() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"code": 121004, "msg": "data not exist"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let seen = Arc::new(Seen::default());
    let client = builder(&server.uri())
        .booking_observer(seen.clone())
        .build()
        .unwrap();
    assert!(client.reserves().apply(valid_apply()).await.is_err());
    assert!(seen.booked.lock().unwrap().is_empty());
}

//! Expiry by the emulator's clock: meeting numbers released, renewals keeping them.

use std::time::Duration;

use feishu_vc::model::{ErrorCode, ExpireStatus, UpdateReserveBody};
use feishu_vc_emulator::Emulator;

use crate::{alice_meeting, client, later};

#[tokio::test]
async fn meeting_number_is_released_when_the_reservation_expires() {
    let emulator = Emulator::builder()
        .meeting_no_pool(123_456_789..=123_456_789)
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    let first = client
        .reserves()
        .apply(alice_meeting(&emulator, "first"))
        .await
        .unwrap()
        .data
        .reserve;
    assert_eq!(first.meeting_no.as_ref().unwrap(), "123456789");
    let state = emulator.state();
    assert!(state.is_taken("123456789"));
    assert!(
        state
            .reservation(first.id.as_ref().unwrap().as_str())
            .unwrap()
            .holds_meeting_no
    );

    // The only number is taken while the first reservation lives.
    let err = client
        .reserves()
        .apply(alice_meeting(&emulator, "second"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InternalError), "{err}");

    // Past its end_time the number is free again, and the next booking gets it.
    emulator.advance(Duration::from_secs(3601)).await.unwrap();
    let state = emulator.state();
    assert!(!state.is_taken("123456789"));
    let summary = state
        .reservation(first.id.as_ref().unwrap().as_str())
        .unwrap();
    assert!(summary.expired && !summary.holds_meeting_no);
    let r = client
        .reserves()
        .get(first.id.clone().unwrap())
        .await
        .unwrap()
        .data
        .reserve
        .unwrap();
    assert_eq!(r.expire_status, Some(ExpireStatus::Expired));

    let third = client
        .reserves()
        .apply(alice_meeting(&emulator, "third"))
        .await
        .unwrap()
        .data
        .reserve;
    assert_eq!(third.meeting_no.as_ref().unwrap(), "123456789");
    assert_ne!(third.id, first.id);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn renewal_keeps_the_meeting_number_and_moves_end_time() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let booked = client
        .reserves()
        .apply(alice_meeting(&emulator, "renew me"))
        .await
        .unwrap()
        .data
        .reserve;
    let id = booked.id.unwrap();
    let no = booked.meeting_no.unwrap();
    let new_end = later(&emulator, 2 * 86_400);
    let renewed = client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default().set_end_time(new_end),
        )
        .await
        .unwrap()
        .data
        .reserve;
    assert_eq!(renewed.meeting_no.as_ref(), Some(&no));
    assert_eq!(renewed.end_time, Some(new_end));
    assert_eq!(renewed.expire_status, Some(ExpireStatus::NotExpired));

    // Past the old end_time it still lives and still holds its number.
    emulator
        .advance(Duration::from_secs(3 * 3600))
        .await
        .unwrap();
    let r = client
        .reserves()
        .get(id.clone())
        .await
        .unwrap()
        .data
        .reserve
        .unwrap();
    assert_eq!(r.expire_status, Some(ExpireStatus::NotExpired));
    assert_eq!(r.meeting_no.as_ref(), Some(&no));
    assert_eq!(r.end_time, Some(new_end));
    assert!(emulator.state().is_taken(no.as_str()));
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn renewal_after_expiry_gets_a_new_number_if_its_own_was_reissued() {
    let emulator = Emulator::builder()
        .meeting_no_pool(200_000_000..=200_000_001)
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    let mut booked = Vec::new();
    for topic in ["a", "b"] {
        let r = client
            .reserves()
            .apply(alice_meeting(&emulator, topic))
            .await
            .unwrap()
            .data
            .reserve;
        booked.push((r.id.unwrap(), r.meeting_no.unwrap()));
    }
    emulator.advance(Duration::from_secs(3601)).await.unwrap();
    let third = client
        .reserves()
        .apply(alice_meeting(&emulator, "c"))
        .await
        .unwrap()
        .data
        .reserve;
    let reissued = third.meeting_no.unwrap();
    let (lost_id, _) = booked.iter().find(|(_, no)| *no == reissued).unwrap();
    let (_, other_no) = booked.iter().find(|(_, no)| *no != reissued).unwrap();
    let renewed = client
        .reserves()
        .update(
            lost_id.clone(),
            UpdateReserveBody::default().set_end_time(later(&emulator, 3600)),
        )
        .await
        .unwrap()
        .data
        .reserve;
    assert_eq!(renewed.meeting_no.as_ref(), Some(other_no));
    assert_eq!(emulator.state().taken_meeting_nos.len(), 2);
    emulator.shutdown().await.unwrap();
}

//! Many bookings at once: distinct meeting numbers, none lost.

use std::collections::HashSet;

use feishu_vc_emulator::Emulator;

use crate::{alice_meeting, client};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_concurrent_applies_get_distinct_numbers_and_none_is_lost() {
    const N: usize = 1000;
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let calls: Vec<_> = (0..N)
        .map(|i| {
            let client = client.clone();
            let request = alice_meeting(&emulator, &format!("meeting {i}"));
            tokio::spawn(async move { client.reserves().apply(request).await })
        })
        .collect();
    let mut booked = Vec::with_capacity(N);
    for call in calls {
        let reserve = call.await.unwrap().unwrap().data.reserve;
        booked.push((reserve.id.unwrap(), reserve.meeting_no.unwrap()));
    }
    let ids: HashSet<_> = booked.iter().map(|(id, _)| id.clone()).collect();
    let numbers: HashSet<_> = booked.iter().map(|(_, no)| no.clone()).collect();
    assert_eq!(ids.len(), N, "reservation ids are distinct");
    assert_eq!(numbers.len(), N, "meeting numbers are distinct");

    let state = emulator.state();
    assert_eq!(state.reservations.len(), N);
    assert_eq!(state.taken_meeting_nos.len(), N);

    // Every one of them can be read back, with its number.
    let reads: Vec<_> = booked
        .into_iter()
        .map(|(id, no)| {
            let client = client.clone();
            tokio::spawn(async move {
                let got = client.reserves().get(id).await.unwrap();
                assert_eq!(got.data.reserve.unwrap().meeting_no.unwrap(), no);
            })
        })
        .collect();
    for read in reads {
        read.await.unwrap();
    }
    emulator.shutdown().await.unwrap();
}

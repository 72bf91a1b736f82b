//! Book a meeting two hours long.
//!
//! ```sh
//! FEISHU_APP_ID=cli_... FEISHU_APP_SECRET=... FEISHU_OWNER_ID=ou_... cargo run -p feishu-vc --example apply
//! ```
//! `FEISHU_BASE_URL` points it elsewhere (the emulator, a gateway).

use std::time::{Duration, SystemTime};

use feishu_vc::Client;
use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, Timestamp};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name}"))
}

/// The client, from `FEISHU_APP_ID`, `FEISHU_APP_SECRET` and optionally `FEISHU_BASE_URL`.
fn client() -> feishu_vc::Result<Client> {
    let mut builder =
        Client::builder().app_credentials(env("FEISHU_APP_ID"), env("FEISHU_APP_SECRET"));
    if let Ok(url) = std::env::var("FEISHU_BASE_URL") {
        builder = builder.base_url(url);
    }
    builder.build()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = client()?;
    let request =
        ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("Weekly sync"))
            .set_end_time(Timestamp::from(
                SystemTime::now() + Duration::from_secs(2 * 3600),
            ))
            .set_owner_id(env("FEISHU_OWNER_ID"));
    match client.reserves().apply(request).await {
        Ok(booked) => {
            // Persist the id at once: apply has no idempotency key.
            let booked_meeting = &booked.data;
            println!(
                "reserve id {}, meeting no {}, url {:?}",
                booked_meeting.reserve_id, booked_meeting.meeting_no, booked_meeting.url
            );
            for warning in &booked.warnings {
                eprintln!("warning: {warning}");
            }
        }
        Err(e) if e.is_outcome_unknown() => {
            eprintln!("{e}\nDo not book again blindly: a reservation may exist.");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

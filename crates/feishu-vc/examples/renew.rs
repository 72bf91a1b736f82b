//! Renew a reservation for another 7 days (its meeting number is kept).
//!
//! ```sh
//! FEISHU_APP_ID=cli_... FEISHU_APP_SECRET=... cargo run -p feishu-vc --example renew -- 6911188411934973028
//! ```

use std::time::{Duration, SystemTime};

use feishu_vc::Client;
use feishu_vc::model::{Timestamp, UpdateReserveBody};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reserve_id = std::env::args().nth(1).ok_or("usage: renew RESERVE_ID")?;
    let mut builder = Client::builder().app_credentials(
        std::env::var("FEISHU_APP_ID")?,
        std::env::var("FEISHU_APP_SECRET")?,
    );
    if let Ok(url) = std::env::var("FEISHU_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    let until = Timestamp::from(SystemTime::now() + Duration::from_secs(7 * 24 * 3600));
    let renewed = client
        .reserves()
        .update(reserve_id, UpdateReserveBody::default().set_end_time(until))
        .await?;
    println!(
        "renewed until {:?} (meeting no {}, log id {:?})",
        renewed.data.end_time, renewed.data.meeting_no, renewed.log_id
    );
    Ok(())
}

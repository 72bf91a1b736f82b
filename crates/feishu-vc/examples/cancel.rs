//! Cancel (delete) a reservation for good.
//!
//! ```sh
//! FEISHU_APP_ID=cli_... FEISHU_APP_SECRET=... cargo run -p feishu-vc --example cancel -- 6911188411934973028
//! ```

use feishu_vc::Client;
use feishu_vc::model::ErrorCode;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reserve_id = std::env::args().nth(1).ok_or("usage: cancel RESERVE_ID")?;
    let mut builder = Client::builder().app_credentials(
        std::env::var("FEISHU_APP_ID")?,
        std::env::var("FEISHU_APP_SECRET")?,
    );
    if let Ok(url) = std::env::var("FEISHU_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    match client.reserves().delete(reserve_id).await {
        Ok(done) => println!("deleted (log id {:?})", done.log_id),
        Err(e) if e.code() == Some(ErrorCode::DataNotExist) => println!("already gone"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

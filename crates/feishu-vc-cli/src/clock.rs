//! "Now" for a command: the system clock, or a served or in-process emulator's.

use std::time::{Duration, SystemTime};

use feishu_vc::model::Timestamp;

use crate::outcome::Failure;

/// "Now" for the command: the system clock, moved by an emulator's offset when running against
/// one whose clock was advanced.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Clock {
    offset_seconds: i64,
}

impl Clock {
    /// The system clock moved by `offset_seconds`.
    pub(crate) fn offset(offset_seconds: i64) -> Self {
        Self { offset_seconds }
    }

    pub(crate) fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        let by = Duration::from_secs(self.offset_seconds.unsigned_abs());
        if self.offset_seconds >= 0 {
            now + by
        } else {
            now - by
        }
    }

    pub(crate) fn timestamp(&self) -> Timestamp {
        Timestamp::from(self.now())
    }

    /// Reads a served emulator's offset (`GET {base_url}/_emulator/clock`).
    pub(crate) async fn of_emulator(base_url: &str) -> Result<Self, Failure> {
        let url = format!("{}/_emulator/clock", base_url.trim_end_matches('/'));
        let failed = |e: String| Failure::network(format!("reading the emulator's clock: {e}"));
        // This client is built before the facade's, which would install the provider: reqwest
        // panics without one.
        feishu_vc::transport::install_rustls_provider();
        let answer = feishu_vc::transport::reqwest::Client::new()
            .get(&url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let text = answer
            .text()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| failed(e.to_string()))?;
        let offset = value["offset_seconds"]
            .as_i64()
            .ok_or_else(|| failed("no offset_seconds in the answer".to_owned()))?;
        Ok(Self::offset(offset))
    }
}

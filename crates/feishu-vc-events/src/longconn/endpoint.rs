//! `POST /callback/ws/endpoint`: the connection URL and the server's config, with the answer read
//! within a size cap and every message from it scrubbed.

use std::time::Duration;

use feishu_vc_model::SecretString;

use super::error::{Failed, LongConnectionError};
use super::frame::{self, EndpointData, EndpointResponse};
use super::scrub::Scrubber;
use super::status::FailureKind;

/// How to ask: where, as whom, within what time and size.
#[derive(Debug)]
pub(crate) struct EndpointRequest<'a> {
    pub(crate) base_url: &'a str,
    pub(crate) app_id: &'a str,
    pub(crate) app_secret: &'a SecretString,
    pub(crate) timeout: Duration,
    pub(crate) max_answer: usize,
}

impl EndpointRequest<'_> {
    /// The endpoint's data, or why not: a retryable [`FailureKind::Endpoint`], or
    /// [`LongConnectionError::Rejected`] for any code but 0, 1 and 1000040343.
    pub(crate) async fn send(&self, scrubber: &Scrubber) -> Result<EndpointData, Failed> {
        let retry = |why: String| Failed::Retry(FailureKind::Endpoint, scrubber.clean(&why));
        let url = format!("{}{}", self.base_url, frame::ENDPOINT_PATH);
        let body = serde_json::json!({
            "AppID": self.app_id,
            "AppSecret": self.app_secret.expose_secret(),
        });
        // The endpoint client and the WebSocket's TLS both need rustls's provider (ring).
        feishu_vc_transport::install_rustls_provider();
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| retry(format!("endpoint client: {}", e.without_url())))?;
        let mut response = client
            .post(&url)
            .header("locale", "zh")
            .json(&body)
            .send()
            .await
            .map_err(|e| retry(format!("{}", e.without_url())))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(retry(format!("HTTP {status}")));
        }
        let cap = self.max_answer;
        let over = || retry(format!("the answer is over its {cap}-byte cap"));
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(over());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| retry(format!("reading the answer: {}", e.without_url())))?
        {
            if bytes.len() + chunk.len() > cap {
                return Err(over());
            }
            bytes.extend_from_slice(&chunk);
        }
        let answer: EndpointResponse = serde_json::from_slice(&bytes)
            .map_err(|e| retry(format!("the answer is not the endpoint's JSON: {e}")))?;
        match answer.code {
            0 => match answer.data {
                Some(data) if !data.url.is_empty() => Ok(data),
                _ => Err(retry("an answer without a URL".to_owned())),
            },
            frame::CODE_SYSTEM_BUSY | frame::CODE_INTERNAL_ERROR => {
                Err(retry(format!("code {}: {}", answer.code, answer.msg)))
            }
            code => Err(Failed::Fatal(LongConnectionError::Rejected {
                code,
                msg: scrubber.clean(&answer.msg),
            })),
        }
    }
}

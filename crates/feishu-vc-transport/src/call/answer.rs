//! Reading an answer: the body up to the client's limit, its head (`code`, `msg`, `error`)
//! without parsing a success twice, the log id and rate-limit headers, and decoding the body
//! into the type a call returns.

use std::sync::Arc;

use bytes::Bytes;
use feishu_vc_model::{ErrorInfo, SecretString};
use reqwest::header::{HeaderMap, HeaderName};
use serde::Deserialize;

use crate::auth::Credential;
use crate::client::Transport;
use crate::error::{DecodeError, Error, Result};
use crate::redact::{Known, excerpt};

/// A successful answer: code 0.
pub(crate) struct Answer {
    pub(crate) http_status: u16,
    pub(crate) log_id: Option<String>,
    pub(crate) body: Bytes,
    /// The token the call sent, to scrub from an excerpt if the body cannot be decoded.
    pub(crate) token: Option<Arc<Credential>>,
}

impl Transport {
    /// Decodes `answer`'s body as `T`; a failure keeps the status, log id and an excerpt without
    /// secrets (`extra` and `carried`: the call's own, besides the app secret and the token it
    /// sent).
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        &self,
        answer: &Answer,
        extra: &[SecretString],
        carried: Option<&SecretString>,
    ) -> Result<T> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            let known = Known {
                app_secret: self.app_secret(),
                token: answer.token.as_deref().map(|c| &c.value),
                extra,
                carried,
            };
            Error::Decode(DecodeError {
                http_status: answer.http_status,
                excerpt: excerpt(&answer.body, &known),
                log_id: answer.log_id.clone(),
                source: Some(Box::new(e)),
            })
        })
    }
}

/// The envelope's head, read before the typed `data`.
#[derive(Deserialize)]
pub(crate) struct Head {
    pub(crate) code: i64,
    #[serde(default)]
    pub(crate) msg: String,
    /// The Open Platform's error detail; OAuth endpoints put a string here (`invalid_grant`),
    /// which is read as no detail.
    #[serde(default, deserialize_with = "error_detail")]
    pub(crate) error: Option<ErrorInfo>,
}

/// The head of an OAuth endpoint's answer, whose `code` may be absent on success.
#[derive(Deserialize)]
pub(crate) struct OAuthHead {
    #[serde(default)]
    pub(crate) code: i64,
}

/// The `error` object if it is one; anything else (the OAuth endpoints' error string) is ignored.
fn error_detail<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<ErrorInfo>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

const TT_LOGID: HeaderName = HeaderName::from_static("x-tt-logid");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub(crate) const RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ogw-ratelimit-reset");
pub(crate) const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ogw-ratelimit-limit");

/// The host a URL goes to, with its port when it names one: what errors say, rather than the URL.
pub(crate) fn host(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `X-Tt-Logid`, falling back to `X-Request-Id`, scrubbed of `known` secrets (it is recorded in
/// the span before any error is built).
pub(crate) fn log_id(headers: &HeaderMap, known: &Known<'_>) -> Option<String> {
    [&TT_LOGID, &REQUEST_ID]
        .into_iter()
        .find_map(|name| headers.get(name)?.to_str().ok().filter(|v| !v.is_empty()))
        .map(|id| known.scrub(id).into_owned())
}

/// Why a body was not read.
pub(crate) enum BodyFailure {
    /// It is larger than the limit: announced so in `Content-Length`, or found so while reading.
    TooLarge {
        announced: Option<u64>,
        /// What was read before the limit was crossed, for an excerpt.
        head: Bytes,
    },
    /// Reading failed.
    Read(reqwest::Error),
}

/// Reads a body of at most `limit` bytes, chunk by chunk; stops as soon as `Content-Length`
/// announces more or the chunks read cross it. Memory stays within `limit` plus one chunk.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, BodyFailure> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyFailure::TooLarge {
            announced,
            head: Bytes::new(),
        });
    }
    let too_large = |head: Bytes| BodyFailure::TooLarge { announced, head };
    // Most answers arrive in one chunk: keep it without copying.
    let first = match response.chunk().await.map_err(BodyFailure::Read)? {
        None => return Ok(Bytes::new()),
        Some(chunk) if chunk.len() > limit => return Err(too_large(chunk)),
        Some(chunk) => chunk,
    };
    let Some(second) = response.chunk().await.map_err(BodyFailure::Read)? else {
        return Ok(first);
    };
    let capacity = announced.map_or(first.len() + second.len(), |n| n as usize);
    let mut body = bytes::BytesMut::with_capacity(capacity.min(limit));
    let mut next = Some(second);
    body.extend_from_slice(&first);
    while let Some(chunk) = next {
        if body.len() + chunk.len() > limit {
            return Err(too_large(body.freeze()));
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await.map_err(BodyFailure::Read)?;
    }
    Ok(body.freeze())
}

/// Whether a body begins `{"code":0,` or `{"code":0}` (white space allowed): the code is then 0
/// without parsing the rest.
pub(crate) fn starts_with_code_zero(body: &[u8]) -> bool {
    fn skip_ws(b: &[u8]) -> &[u8] {
        let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
        &b[n..]
    }
    let Some(rest) = skip_ws(body).strip_prefix(b"{") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b"\"code\"") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b":") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b"0") else {
        return false;
    };
    matches!(skip_ws(rest).first(), Some(b',' | b'}'))
}

pub(crate) fn body_log_id(head: &Head) -> Option<String> {
    head.error
        .as_ref()?
        .log_id
        .clone()
        .filter(|id| !id.is_empty())
}

pub(crate) fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::starts_with_code_zero;

    #[test]
    fn only_a_leading_code_zero_is_taken_without_parsing() {
        assert!(starts_with_code_zero(
            br#"{"code":0,"msg":"success","data":{}}"#
        ));
        assert!(starts_with_code_zero(b" {\n  \"code\" : 0 }"));
        assert!(!starts_with_code_zero(br#"{"code":0.5}"#));
        assert!(!starts_with_code_zero(br#"{"code":01}"#));
        assert!(!starts_with_code_zero(br#"{"code":99991663,"msg":"x"}"#));
        assert!(
            !starts_with_code_zero(br#"{"msg":"ok","code":0}"#),
            "parsed the slow way instead"
        );
        assert!(!starts_with_code_zero(b"<html>"));
        assert!(!starts_with_code_zero(b""));
    }
}

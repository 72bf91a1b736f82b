//! What an apply's answer or failure means for its record: booked, unknown, refused, or not
//! booked and sendable again; and Feishu's "no such reservation".

use std::time::Duration;

use feishu_vc::model::{Booked, ErrorCode, Timestamp};

use crate::record::{Outcome, Refusal};

/// How long a reservation lives when the booking does not say (a 1-to-1 call booked without
/// `end_time`): Feishu's longest, 30 days.
pub(crate) const LONGEST_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Whether Feishu answered that the reservation does not exist (121004).
pub(crate) fn is_not_found(error: &feishu_vc::Error) -> bool {
    error.code() == Some(ErrorCode::DataNotExist)
}

/// The outcome of an answered apply.
pub(crate) fn booked(
    booked: Booked,
    log_id: Option<String>,
    intended_end: Option<Timestamp>,
    at: Timestamp,
) -> Outcome {
    let end_time = booked
        .end_time
        .or(intended_end)
        .or_else(|| at.checked_add(LONGEST_LIFETIME))
        .unwrap_or(at);
    Outcome::Booked {
        reserve_id: booked.reserve_id,
        meeting_no: booked.meeting_no,
        url: booked.url,
        end_time,
        log_id,
        at,
    }
}

/// The outcome of a failed apply. The rule, from how far the request got
/// ([`feishu_vc::Error`]):
///
/// - **Unknown** (never sent again unless reopened): the transport says the outcome is unknown
///   (sent, and no answer says whether it was carried out: timeouts, broken connections, server
///   errors, an answer that cannot be read).
/// - **Not booked, may be sent again** (the record goes back to pending): the request never
///   reached Feishu, or Feishu turned it away for now without carrying it out: no connection
///   (refused, DNS, TLS), no access token (the token endpoint unreachable or failing; fixing the
///   app's credentials and running again sends it), rate limited (HTTP 429 or 99991400) past the
///   client's wait, and an access token Feishu rejected (99991663, 99991664, 99991671, 99991668,
///   99991677) even after the transport's one replay with a fresh one.
/// - **Refused** (final): anything else: local validation and requests that cannot be built or
///   sent as they are, the client's configuration, Feishu's API errors with any other code
///   (121005, 123006, ...), an answer the transport could not decode that says nothing was
///   done.
///
/// One error is a booking: with `strict_host_check`, assigned hosts Feishu rejected are an
/// error, but the reservation was created all the same; it is recorded as booked (and the error
/// still returned), so the row is neither lost nor sent again.
pub(crate) fn failed(
    error: &feishu_vc::Error,
    intended_end: Option<Timestamp>,
    at: Timestamp,
) -> Outcome {
    if let feishu_vc::Error::HostsRejected(rejected) = error
        && let (Some(reserve_id), Some(meeting_no)) = (&rejected.reserve_id, &rejected.meeting_no)
    {
        return Outcome::Booked {
            reserve_id: reserve_id.clone(),
            meeting_no: meeting_no.clone(),
            url: None,
            end_time: intended_end
                .or_else(|| at.checked_add(LONGEST_LIFETIME))
                .unwrap_or(at),
            log_id: rejected.log_id.clone(),
            at,
        };
    }
    let log_id = error.log_id().map(str::to_owned);
    // `Display` shows code, msg and log id, never a secret (the transport scrubs what it knows).
    let message = error.to_string();
    if error.is_outcome_unknown() {
        return Outcome::Unknown {
            log_id,
            detail: message,
            at,
        };
    }
    let code = error
        .code()
        .or_else(|| error.violations().and_then(|v| v.code()))
        .map(ErrorCode::code);
    let refusal = Refusal { code, message };
    if is_not_booked(error) {
        Outcome::NotBooked {
            refusal,
            log_id,
            at,
        }
    } else {
        Outcome::Refused {
            refusal,
            log_id,
            at,
        }
    }
}

/// Whether a failed apply (not outcome unknown) was certainly not carried out and may be sent
/// again as it is: see [`failed`].
fn is_not_booked(error: &feishu_vc::Error) -> bool {
    let token_rejected =
        |code: ErrorCode| code.is_token_rejected() || code.is_user_token_rejected();
    error.is_connect()
        || error.is_token()
        || error.is_rate_limited()
        || (error.is_api() && error.code().is_some_and(token_rejected))
}

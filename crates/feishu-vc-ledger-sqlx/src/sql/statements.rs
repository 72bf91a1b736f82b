//! The statement text both backends run: numbered `$n` parameters, which SQLite and PostgreSQL
//! both accept, and the columns every statement returns.

/// The columns every statement returns, in this order.
pub(crate) const COLUMNS: &str = "seq, key, fingerprint, owner_kind, owner_id, topic, \
    intent_end_time, keep, batch, request, created_at, state, attempts, reserve_id, meeting_no, \
    url, end_time, booked_at, ended_at, log_id, refusal_code, refusal_message, updated_at, \
    checked_at, calendar_id, calendar_event_id";

/// `INSERT` of an intent (`$1` to `$10`, bound by the stores' `bind_intent`) with the state
/// columns `rest` gives (`state, attempts, end_time, updated_at[, ...]` and their values),
/// unless its key is recorded.
fn insert_intent(rest: (&str, &str)) -> String {
    let (columns, values) = rest;
    format!(
        "INSERT INTO feishu_vc_ledger (key, fingerprint, owner_kind, owner_id, topic, \
         intent_end_time, keep, batch, request, created_at, {columns}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, {values}) ON CONFLICT (key) DO NOTHING"
    )
}

/// Writes an intent pending unless its key is recorded, returning the row written; none when
/// the key was recorded (then the existing row is read and compared).
pub(crate) fn insert() -> String {
    let insert = insert_intent((
        "state, attempts, end_time, updated_at",
        "'pending', 0, $6, $10",
    ));
    format!("{insert} RETURNING {COLUMNS}")
}

/// Writes an intent directly as sending since `$11` (one attempt) unless its key is recorded.
pub(crate) fn insert_sending() -> String {
    insert_intent((
        "state, attempts, end_time, updated_at, sending_since",
        "'sending', 1, $6, $11, $11",
    ))
}

/// [`MARK_SENDING`] of a record with fingerprint `$3` only.
pub(crate) fn mark_sending_same() -> String {
    format!("{MARK_SENDING} AND fingerprint = $3")
}

/// Pending to sending, one statement: the rows affected tell whether this caller took it.
pub(crate) const MARK_SENDING: &str = "UPDATE feishu_vc_ledger SET state = 'sending', \
    attempts = attempts + 1, updated_at = $2, sending_since = $2 \
    WHERE key = $1 AND state = 'pending'";

pub(crate) const RELEASE: &str = "UPDATE feishu_vc_ledger SET claim_worker = NULL, \
    claim_until = NULL WHERE reserve_id = $1 AND claim_worker = $2";

/// `SELECT {COLUMNS} FROM feishu_vc_ledger {rest}`.
pub(crate) fn select(rest: &str) -> String {
    format!("SELECT {COLUMNS} FROM feishu_vc_ledger {rest}")
}

/// `UPDATE feishu_vc_ledger SET {set} RETURNING {COLUMNS}`.
pub(crate) fn update(set: &str) -> String {
    format!("UPDATE feishu_vc_ledger SET {set} RETURNING {COLUMNS}")
}

pub(crate) fn get() -> String {
    select("WHERE key = $1")
}

pub(crate) fn by_reserve_id() -> String {
    select("WHERE reserve_id = $1 ORDER BY seq LIMIT 1")
}

/// `$1` batch or NULL, `$2` kept only; the states are filtered after.
pub(crate) fn list() -> String {
    select(
        "WHERE (CAST($1 AS TEXT) IS NULL OR batch = $1) AND (NOT $2 OR keep = TRUE) \
         ORDER BY created_at, seq",
    )
}

/// Those that may have held `$1` at `$2`; [`Record::held_number_at`] decides.
pub(crate) fn by_meeting_no() -> String {
    select("WHERE meeting_no = $1 AND booked_at <= $2 ORDER BY booked_at DESC, seq")
}

/// Sending to an outcome; every value comes from `row::Settled`.
pub(crate) fn settle() -> String {
    update(
        "state = $2, reserve_id = $3, meeting_no = $4, url = $5, \
         end_time = COALESCE($6, end_time), booked_at = COALESCE($7, booked_at), log_id = $8, \
         refusal_code = $9, refusal_message = $10, updated_at = $11, \
         checked_at = COALESCE($12, checked_at), sending_since = NULL \
         WHERE key = $1 AND state = 'sending'",
    )
}

/// `$1` before, `$2` batch or NULL.
pub(crate) fn settle_interrupted() -> String {
    update(&format!(
        "state = 'unknown', refusal_code = NULL, refusal_message = '{INTERRUPTED}', \
         updated_at = $1, sending_since = NULL \
         WHERE state = 'sending' AND sending_since < $1 \
         AND (CAST($2 AS TEXT) IS NULL OR batch = $2)"
    ))
}

pub(crate) fn reopen() -> String {
    update("state = 'pending' WHERE key = $1 AND state = 'unknown'")
}

/// `$1` reserve id, `$2` end time, `$3` at.
pub(crate) fn set_end_time() -> String {
    update("end_time = $2, updated_at = $3, checked_at = $3 WHERE reserve_id = $1")
}

/// `$1` reserve id, `$2` state, `$3` at; the claim goes with it.
pub(crate) fn set_ended() -> String {
    update(
        "state = $2, ended_at = $3, updated_at = $3, checked_at = $3, claim_worker = NULL, \
         claim_until = NULL WHERE reserve_id = $1",
    )
}

pub(crate) fn set_keep() -> String {
    update("keep = $2 WHERE reserve_id = $1")
}

/// `$1` reserve id, `$2` calendar id, `$3` event id: both set, or both NULL.
pub(crate) fn set_calendar() -> String {
    update("calendar_id = $2, calendar_event_id = $3 WHERE reserve_id = $1")
}

/// The rows `claim_due` may take: `$3` due, `$4` now, `$5` limit (`$1` worker and `$2` until
/// are set by the outer `UPDATE`). `lock` is appended to the sub-select (PostgreSQL's
/// `FOR UPDATE SKIP LOCKED`).
pub(crate) fn claim_due(lock: &str) -> String {
    update(&format!(
        "claim_worker = $1, claim_until = $2 WHERE seq IN (SELECT seq FROM feishu_vc_ledger \
         WHERE state = 'booked' AND keep = TRUE AND end_time < $3 \
         AND (claim_until IS NULL OR claim_until <= $4) ORDER BY end_time, seq LIMIT $5{lock})"
    ))
}

/// What a record interrupted in flight says.
const INTERRUPTED: &str = "interrupted while in flight";

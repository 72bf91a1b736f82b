//! What SQLite and PostgreSQL share: the statements (numbered `$n` parameters, which both
//! accept), the row's columns and their meaning, and the `LedgerStore` methods, written once and
//! expanded for each backend's pool by [`ledger_store!`].

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use feishu_vc_events::OwnerId;
use feishu_vc_ledger::{
    BoxFuture, Intent, IntentKey, LedgerError, Outcome, Record, Refusal, State,
};
use feishu_vc_model::{MeetingNo, ReserveId, Timestamp, UserIdType};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// What the store's methods return, by shape.
pub(crate) type RecordFuture<'a> = BoxFuture<'a, Result<Record, LedgerError>>;
pub(crate) type MaybeRecordFuture<'a> = BoxFuture<'a, Result<Option<Record>, LedgerError>>;
pub(crate) type RecordsFuture<'a> = BoxFuture<'a, Result<Vec<Record>, LedgerError>>;

/// The columns every statement returns, in this order.
pub(crate) const COLUMNS: &str = "seq, key, fingerprint, owner_kind, owner_id, topic, \
    intent_end_time, keep, batch, request, created_at, state, attempts, reserve_id, meeting_no, \
    url, end_time, booked_at, ended_at, log_id, refusal_code, refusal_message, updated_at, \
    checked_at";

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

/// Sending to an outcome; every value comes from [`Settled`].
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

/// The values [`settle`] writes for an outcome.
pub(crate) struct Settled {
    pub(crate) state: &'static str,
    pub(crate) reserve_id: Option<String>,
    pub(crate) meeting_no: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) end_time: Option<i64>,
    pub(crate) booked_at: Option<i64>,
    pub(crate) log_id: Option<String>,
    pub(crate) refusal_code: Option<i64>,
    pub(crate) refusal_message: Option<String>,
    pub(crate) updated_at: i64,
    pub(crate) checked_at: Option<i64>,
}

impl Settled {
    pub(crate) fn new(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Booked {
                reserve_id,
                meeting_no,
                url,
                end_time,
                log_id,
                at,
            } => Self {
                state: State::Booked.as_str(),
                reserve_id: Some(reserve_id.as_str().to_owned()),
                meeting_no: Some(meeting_no.as_str().to_owned()),
                url,
                end_time: Some(end_time.unix_seconds()),
                booked_at: Some(at.unix_seconds()),
                log_id,
                refusal_code: None,
                refusal_message: None,
                updated_at: at.unix_seconds(),
                checked_at: Some(at.unix_seconds()),
            },
            Outcome::Unknown { log_id, detail, at } => {
                Self::unsettled(State::Unknown, log_id, None, detail, at)
            }
            Outcome::Refused {
                refusal,
                log_id,
                at,
            } => Self::unsettled(State::Refused, log_id, refusal.code, refusal.message, at),
            // Not booked: pending again, sent by the next run; attempts are kept.
            Outcome::NotBooked {
                refusal,
                log_id,
                at,
            } => Self::unsettled(State::Pending, log_id, refusal.code, refusal.message, at),
            // `Outcome` is non-exhaustive: a new kind of outcome is recorded as unknown rather
            // than lost, so the record is never sent again without the user saying so.
            _ => Self::unsettled(
                State::Unknown,
                None,
                None,
                "an outcome this store does not know".to_owned(),
                Timestamp::now(),
            ),
        }
    }

    fn unsettled(
        state: State,
        log_id: Option<String>,
        code: Option<i64>,
        message: String,
        at: Timestamp,
    ) -> Self {
        Self {
            state: state.as_str(),
            reserve_id: None,
            meeting_no: None,
            url: None,
            end_time: None,
            booked_at: None,
            log_id,
            refusal_code: code,
            refusal_message: Some(message),
            updated_at: at.unix_seconds(),
            checked_at: None,
        }
    }
}

/// The owner's columns (`owner_kind`, `owner_id`) of an intent.
pub(crate) fn owner_columns(intent: &Intent) -> (Option<&'static str>, Option<&str>) {
    match &intent.owner {
        Some(owner) => (Some(owner.kind.as_str()), Some(owner.id.as_str())),
        None => (None, None),
    }
}

/// One row, as read (see [`COLUMNS`]).
pub(crate) struct Row {
    pub(crate) seq: i64,
    pub(crate) key: String,
    pub(crate) fingerprint: String,
    pub(crate) owner_kind: Option<String>,
    pub(crate) owner_id: Option<String>,
    pub(crate) topic: Option<String>,
    pub(crate) intent_end_time: i64,
    pub(crate) keep: bool,
    pub(crate) batch: Option<String>,
    pub(crate) request: String,
    pub(crate) created_at: i64,
    pub(crate) state: String,
    pub(crate) attempts: i64,
    pub(crate) reserve_id: Option<String>,
    pub(crate) meeting_no: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) end_time: i64,
    pub(crate) booked_at: Option<i64>,
    pub(crate) ended_at: Option<i64>,
    pub(crate) log_id: Option<String>,
    pub(crate) refusal_code: Option<i64>,
    pub(crate) refusal_message: Option<String>,
    pub(crate) updated_at: i64,
    pub(crate) checked_at: Option<i64>,
}

impl Row {
    /// The record this row holds; a row that no record can come from is a backend failure.
    pub(crate) fn into_record(self) -> Result<Record, LedgerError> {
        let corrupt = |what: String| LedgerError::Backend {
            message: format!("ledger row {} ({}): {what}", self.seq, self.key),
            source: None,
        };
        let state = State::from_name(&self.state)
            .ok_or_else(|| corrupt(format!("unknown state `{}`", self.state)))?;
        let attempts = u32::try_from(self.attempts)
            .map_err(|_| corrupt(format!("attempts out of range: {}", self.attempts)))?;
        let owner = match (&self.owner_kind, &self.owner_id) {
            (Some(kind), Some(id)) => {
                let kind = UserIdType::ALL
                    .iter()
                    .copied()
                    .find(|k| k.as_str() == kind)
                    .ok_or_else(|| corrupt(format!("unknown owner id kind `{kind}`")))?;
                Some(OwnerId::new(kind, id.clone()))
            }
            _ => None,
        };
        let mut intent = Intent::new(
            IntentKey::new(self.key),
            self.fingerprint,
            Timestamp::from_unix_seconds(self.intent_end_time),
            self.request,
            Timestamp::from_unix_seconds(self.created_at),
        )
        .with_keep(self.keep);
        intent.owner = owner;
        intent.topic = self.topic;
        intent.batch = self.batch;
        let mut record = Record::pending(intent);
        record.state = state;
        record.attempts = attempts;
        record.reserve_id = self.reserve_id.map(ReserveId::new);
        record.meeting_no = self.meeting_no.map(MeetingNo::new);
        record.url = self.url;
        record.end_time = Timestamp::from_unix_seconds(self.end_time);
        record.booked_at = self.booked_at.map(Timestamp::from_unix_seconds);
        record.ended_at = self.ended_at.map(Timestamp::from_unix_seconds);
        record.log_id = self.log_id;
        record.refusal = self.refusal_message.map(|message| Refusal {
            code: self.refusal_code,
            message,
        });
        record.updated_at = Timestamp::from_unix_seconds(self.updated_at);
        record.checked_at = self.checked_at.map(Timestamp::from_unix_seconds);
        Ok(record)
    }
}

/// The error for a change that matched no row: the record is missing, or in another state.
pub(crate) fn no_change(
    key: &IntentKey,
    found: Option<Record>,
    expected: &'static str,
) -> LedgerError {
    match found {
        None => LedgerError::NotFound(format!("intent `{key}`")),
        Some(record) => LedgerError::WrongState {
            key: key.clone(),
            state: record.state,
            expected,
        },
    }
}

/// The error for a reservation the ledger does not hold.
pub(crate) fn no_reservation(reserve_id: &ReserveId) -> LedgerError {
    LedgerError::NotFound(format!("reservation `{reserve_id}`"))
}

/// The error for a `begin` whose key is recorded for another request.
pub(crate) fn conflict(intent: Intent, recorded: &Record) -> LedgerError {
    LedgerError::Conflict {
        key: intent.key,
        recorded: recorded.intent.fingerprint.clone(),
        given: intent.fingerprint,
    }
}

/// The schema's migrations, embedded in the binary: one set per backend.
#[derive(Debug)]
pub(crate) struct Embedded(pub(crate) &'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 's>>
    {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

/// The migrator for `migrations`. Versions are dated, and versions it does not know are left
/// alone, so the ledger can share a database whose own schema is migrated by sqlx too.
pub(crate) async fn migrator(migrations: Embedded) -> Result<Migrator, LedgerError> {
    let mut migrator = Migrator::new(migrations)
        .await
        .map_err(|e| LedgerError::backend("cannot load the ledger's migrations", e))?;
    migrator.set_ignore_missing(true);
    Ok(migrator)
}

/// Implements `LedgerStore` for `$store` (a struct with a `pool: sqlx::Pool<$db>` field and an
/// inherent `async fn take_batch_lock(&self, &str)`, its batch lock) with the shared statements;
/// `$claim_lock` is appended to `claim_due`'s sub-select, and `$name` names the backend in
/// errors.
macro_rules! ledger_store {
    ($store:ty, $db:ty, $name:literal, $claim_lock:literal) => {
        impl $store {
            async fn fetch_one_record<'q>(
                &self,
                query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
            ) -> Result<Option<feishu_vc_ledger::Record>, feishu_vc_ledger::LedgerError> {
                let row = query
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| $crate::sql_error($name, e))?;
                row.map(|row| Self::decode(&row)).transpose()
            }

            async fn fetch_records<'q>(
                &self,
                query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
            ) -> Result<Vec<feishu_vc_ledger::Record>, feishu_vc_ledger::LedgerError> {
                let rows = query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| $crate::sql_error($name, e))?;
                let mut decoded = rows
                    .iter()
                    .map(|row| {
                        let seq: i64 = sqlx::Row::try_get(row, "seq")
                            .map_err(|e| $crate::sql_error($name, e))?;
                        Ok((seq, Self::decode(row)?))
                    })
                    .collect::<Result<Vec<_>, feishu_vc_ledger::LedgerError>>()?;
                // `RETURNING` gives no order: the oldest intent first.
                decoded.sort_by_key(|(seq, _)| *seq);
                Ok(decoded.into_iter().map(|(_, record)| record).collect())
            }

            fn decode(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<feishu_vc_ledger::Record, feishu_vc_ledger::LedgerError> {
                use sqlx::Row as _;
                let get = |e| $crate::sql_error($name, e);
                $crate::sql::Row {
                    seq: row.try_get("seq").map_err(get)?,
                    key: row.try_get("key").map_err(get)?,
                    fingerprint: row.try_get("fingerprint").map_err(get)?,
                    owner_kind: row.try_get("owner_kind").map_err(get)?,
                    owner_id: row.try_get("owner_id").map_err(get)?,
                    topic: row.try_get("topic").map_err(get)?,
                    intent_end_time: row.try_get("intent_end_time").map_err(get)?,
                    keep: row.try_get("keep").map_err(get)?,
                    batch: row.try_get("batch").map_err(get)?,
                    request: row.try_get("request").map_err(get)?,
                    created_at: row.try_get("created_at").map_err(get)?,
                    state: row.try_get("state").map_err(get)?,
                    attempts: row.try_get("attempts").map_err(get)?,
                    reserve_id: row.try_get("reserve_id").map_err(get)?,
                    meeting_no: row.try_get("meeting_no").map_err(get)?,
                    url: row.try_get("url").map_err(get)?,
                    end_time: row.try_get("end_time").map_err(get)?,
                    booked_at: row.try_get("booked_at").map_err(get)?,
                    ended_at: row.try_get("ended_at").map_err(get)?,
                    log_id: row.try_get("log_id").map_err(get)?,
                    refusal_code: row.try_get("refusal_code").map_err(get)?,
                    refusal_message: row.try_get("refusal_message").map_err(get)?,
                    updated_at: row.try_get("updated_at").map_err(get)?,
                    checked_at: row.try_get("checked_at").map_err(get)?,
                }
                .into_record()
            }

            /// `query` with the intent's columns bound as `$1` to `$10` (see `insert_intent`).
            fn bind_intent<'q>(
                query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
                intent: &'q feishu_vc_ledger::Intent,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
                let (owner_kind, owner_id) = $crate::sql::owner_columns(intent);
                query
                    .bind(intent.key.as_str())
                    .bind(&intent.fingerprint)
                    .bind(owner_kind)
                    .bind(owner_id)
                    .bind(intent.topic.as_deref())
                    .bind(intent.end_time.unix_seconds())
                    .bind(intent.keep)
                    .bind(intent.batch.as_deref())
                    .bind(&intent.request)
                    .bind(intent.created_at.unix_seconds())
            }

            /// `begin` on `connection` (the pool's, or a transaction's): the outer `Err` is the
            /// store's failure, the inner one a conflict.
            async fn begin_on(
                connection: &mut <$db as sqlx::Database>::Connection,
                intent: feishu_vc_ledger::Intent,
            ) -> Result<
                Result<feishu_vc_ledger::Record, feishu_vc_ledger::LedgerError>,
                feishu_vc_ledger::LedgerError,
            > {
                let failed = |e| $crate::sql_error($name, e);
                let insert = $crate::sql::insert();
                let written = Self::bind_intent(sqlx::query(&insert), &intent)
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(failed)?;
                if let Some(row) = written {
                    return Self::decode(&row).map(Ok);
                }
                let sql = $crate::sql::get();
                let row = sqlx::query(&sql)
                    .bind(intent.key.as_str())
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| {
                        feishu_vc_ledger::LedgerError::NotFound(format!(
                            "intent `{}` (recorded, then gone)",
                            intent.key
                        ))
                    })?;
                let recorded = Self::decode(&row)?;
                if recorded.intent.fingerprint == intent.fingerprint {
                    Ok(Ok(recorded))
                } else {
                    Ok(Err($crate::sql::conflict(intent, &recorded)))
                }
            }
        }

        impl feishu_vc_ledger::LedgerStore for $store {
            fn begin(&self, intent: feishu_vc_ledger::Intent) -> $crate::sql::RecordFuture<'_> {
                Box::pin(async move {
                    let mut connection = self
                        .pool
                        .acquire()
                        .await
                        .map_err(|e| $crate::sql_error($name, e))?;
                    Self::begin_on(&mut connection, intent).await?
                })
            }

            /// One transaction, one commit: every intent is written, or (on `Err`) none.
            fn begin_many(
                &self,
                intents: Vec<feishu_vc_ledger::Intent>,
            ) -> feishu_vc_ledger::BoxFuture<
                '_,
                Result<
                    Vec<Result<feishu_vc_ledger::Record, feishu_vc_ledger::LedgerError>>,
                    feishu_vc_ledger::LedgerError,
                >,
            > {
                Box::pin(async move {
                    let failed = |e| $crate::sql_error($name, e);
                    if intents.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut transaction = self.pool.begin().await.map_err(failed)?;
                    let mut results = Vec::with_capacity(intents.len());
                    for intent in intents {
                        // A failure drops the transaction unfinished: it is rolled back.
                        results.push(Self::begin_on(&mut transaction, intent).await?);
                    }
                    transaction.commit().await.map_err(failed)?;
                    Ok(results)
                })
            }

            fn mark_sending<'a>(
                &'a self,
                key: &'a feishu_vc_ledger::IntentKey,
                at: feishu_vc_model::Timestamp,
            ) -> feishu_vc_ledger::BoxFuture<'a, Result<bool, feishu_vc_ledger::LedgerError>> {
                Box::pin(async move {
                    let done = sqlx::query($crate::sql::MARK_SENDING)
                        .bind(key.as_str())
                        .bind(at.unix_seconds())
                        .execute(&self.pool)
                        .await
                        .map_err(|e| $crate::sql_error($name, e))?;
                    if done.rows_affected() == 1 {
                        return Ok(true);
                    }
                    match self.get(key).await? {
                        Some(_) => Ok(false),
                        None => Err(feishu_vc_ledger::LedgerError::NotFound(format!(
                            "intent `{key}`"
                        ))),
                    }
                })
            }

            /// One statement for a new key (the insert); else one marking the pending record
            /// of the same fingerprint.
            fn mark_sending_new(
                &self,
                intent: feishu_vc_ledger::Intent,
                at: feishu_vc_model::Timestamp,
            ) -> feishu_vc_ledger::BoxFuture<'_, Result<bool, feishu_vc_ledger::LedgerError>> {
                Box::pin(async move {
                    let failed = |e| $crate::sql_error($name, e);
                    let insert = $crate::sql::insert_sending();
                    let written = Self::bind_intent(sqlx::query(&insert), &intent)
                        .bind(at.unix_seconds())
                        .execute(&self.pool)
                        .await
                        .map_err(failed)?;
                    if written.rows_affected() == 1 {
                        return Ok(true);
                    }
                    let mark = $crate::sql::mark_sending_same();
                    let marked = sqlx::query(&mark)
                        .bind(intent.key.as_str())
                        .bind(at.unix_seconds())
                        .bind(&intent.fingerprint)
                        .execute(&self.pool)
                        .await
                        .map_err(failed)?;
                    if marked.rows_affected() == 1 {
                        return Ok(true);
                    }
                    match self.get(&intent.key).await? {
                        Some(recorded) if recorded.intent.fingerprint != intent.fingerprint => {
                            Err($crate::sql::conflict(intent, &recorded))
                        }
                        Some(_) => Ok(false),
                        None => Err(feishu_vc_ledger::LedgerError::NotFound(format!(
                            "intent `{}` (recorded, then gone)",
                            intent.key
                        ))),
                    }
                })
            }

            fn settle<'a>(
                &'a self,
                key: &'a feishu_vc_ledger::IntentKey,
                outcome: feishu_vc_ledger::Outcome,
            ) -> $crate::sql::RecordFuture<'a> {
                Box::pin(async move {
                    let v = $crate::sql::Settled::new(outcome);
                    let sql = $crate::sql::settle();
                    let query = sqlx::query(&sql)
                        .bind(key.as_str())
                        .bind(v.state)
                        .bind(v.reserve_id)
                        .bind(v.meeting_no)
                        .bind(v.url)
                        .bind(v.end_time)
                        .bind(v.booked_at)
                        .bind(v.log_id)
                        .bind(v.refusal_code)
                        .bind(v.refusal_message)
                        .bind(v.updated_at)
                        .bind(v.checked_at);
                    match self.fetch_one_record(query).await? {
                        Some(record) => Ok(record),
                        None => Err($crate::sql::no_change(key, self.get(key).await?, "sending")),
                    }
                })
            }

            fn settle_interrupted<'a>(
                &'a self,
                batch: Option<&'a str>,
                before: feishu_vc_model::Timestamp,
            ) -> $crate::sql::RecordsFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::settle_interrupted();
                    self.fetch_records(sqlx::query(&sql).bind(before.unix_seconds()).bind(batch))
                        .await
                })
            }

            fn reopen<'a>(
                &'a self,
                key: &'a feishu_vc_ledger::IntentKey,
            ) -> $crate::sql::RecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::reopen();
                    match self
                        .fetch_one_record(sqlx::query(&sql).bind(key.as_str()))
                        .await?
                    {
                        Some(record) => Ok(record),
                        None => Err($crate::sql::no_change(key, self.get(key).await?, "unknown")),
                    }
                })
            }

            fn get<'a>(
                &'a self,
                key: &'a feishu_vc_ledger::IntentKey,
            ) -> $crate::sql::MaybeRecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::get();
                    self.fetch_one_record(sqlx::query(&sql).bind(key.as_str()))
                        .await
                })
            }

            fn by_reserve_id<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
            ) -> $crate::sql::MaybeRecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::by_reserve_id();
                    self.fetch_one_record(sqlx::query(&sql).bind(reserve_id.as_str()))
                        .await
                })
            }

            fn list<'a>(
                &'a self,
                filter: &'a feishu_vc_ledger::RecordFilter,
            ) -> $crate::sql::RecordsFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::list();
                    let query = sqlx::query(&sql)
                        .bind(filter.batch.as_deref())
                        .bind(filter.kept_only);
                    let rows = query
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| $crate::sql_error($name, e))?;
                    let mut records = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let record = Self::decode(row)?;
                        if filter.matches(&record) {
                            records.push(record);
                        }
                    }
                    Ok(records)
                })
            }

            fn set_end_time<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
                end_time: feishu_vc_model::Timestamp,
                at: feishu_vc_model::Timestamp,
            ) -> $crate::sql::RecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::set_end_time();
                    let query = sqlx::query(&sql)
                        .bind(reserve_id.as_str())
                        .bind(end_time.unix_seconds())
                        .bind(at.unix_seconds());
                    self.fetch_one_record(query)
                        .await?
                        .ok_or_else(|| $crate::sql::no_reservation(reserve_id))
                })
            }

            fn set_ended<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
                state: feishu_vc_ledger::State,
                at: feishu_vc_model::Timestamp,
            ) -> $crate::sql::RecordFuture<'a> {
                Box::pin(async move {
                    if !state.is_ended() {
                        let record = self
                            .by_reserve_id(reserve_id)
                            .await?
                            .ok_or_else(|| $crate::sql::no_reservation(reserve_id))?;
                        return Err(feishu_vc_ledger::LedgerError::WrongState {
                            key: record.key().clone(),
                            state,
                            expected: "deleted, expired or gone",
                        });
                    }
                    let sql = $crate::sql::set_ended();
                    let query = sqlx::query(&sql)
                        .bind(reserve_id.as_str())
                        .bind(state.as_str())
                        .bind(at.unix_seconds());
                    self.fetch_one_record(query)
                        .await?
                        .ok_or_else(|| $crate::sql::no_reservation(reserve_id))
                })
            }

            fn set_keep<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
                keep: bool,
            ) -> $crate::sql::RecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::set_keep();
                    let query = sqlx::query(&sql).bind(reserve_id.as_str()).bind(keep);
                    self.fetch_one_record(query)
                        .await?
                        .ok_or_else(|| $crate::sql::no_reservation(reserve_id))
                })
            }

            fn claim_due<'a>(
                &'a self,
                due: feishu_vc_model::Timestamp,
                now: feishu_vc_model::Timestamp,
                claim: &'a feishu_vc_ledger::Claim,
                limit: usize,
            ) -> $crate::sql::RecordsFuture<'a> {
                Box::pin(async move {
                    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                    let sql = $crate::sql::claim_due($claim_lock);
                    let query = sqlx::query(&sql)
                        .bind(claim.worker.as_str())
                        .bind(claim.until.unix_seconds())
                        .bind(due.unix_seconds())
                        .bind(now.unix_seconds())
                        .bind(limit);
                    self.fetch_records(query).await
                })
            }

            fn release<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
                worker: &'a str,
            ) -> feishu_vc_ledger::BoxFuture<'a, Result<(), feishu_vc_ledger::LedgerError>> {
                Box::pin(async move {
                    sqlx::query($crate::sql::RELEASE)
                        .bind(reserve_id.as_str())
                        .bind(worker)
                        .execute(&self.pool)
                        .await
                        .map_err(|e| $crate::sql_error($name, e))?;
                    Ok(())
                })
            }

            fn by_meeting_no<'a>(
                &'a self,
                meeting_no: &'a feishu_vc_model::MeetingNo,
                at: feishu_vc_model::Timestamp,
            ) -> $crate::sql::RecordsFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::by_meeting_no();
                    let query = sqlx::query(&sql)
                        .bind(meeting_no.as_str())
                        .bind(at.unix_seconds());
                    let rows = query
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| $crate::sql_error($name, e))?;
                    let mut records = Vec::new();
                    for row in &rows {
                        let record = Self::decode(row)?;
                        if record.held_number_at(meeting_no, at) {
                            records.push(record);
                        }
                    }
                    Ok(records)
                })
            }

            fn lock_batch<'a>(
                &'a self,
                batch: &'a str,
            ) -> feishu_vc_ledger::BoxFuture<
                'a,
                Result<Option<feishu_vc_ledger::BatchLock>, feishu_vc_ledger::LedgerError>,
            > {
                Box::pin(self.take_batch_lock(batch))
            }
        }
    };
}

pub(crate) use ledger_store;

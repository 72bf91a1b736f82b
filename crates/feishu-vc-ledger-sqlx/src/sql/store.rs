//! The `LedgerStore` methods, written once with the shared statements and expanded for each
//! backend's pool by [`ledger_store!`].

use feishu_vc_ledger::{BoxFuture, LedgerError, Record};

/// What the store's methods return, by shape.
pub(crate) type RecordFuture<'a> = BoxFuture<'a, Result<Record, LedgerError>>;
pub(crate) type MaybeRecordFuture<'a> = BoxFuture<'a, Result<Option<Record>, LedgerError>>;
pub(crate) type RecordsFuture<'a> = BoxFuture<'a, Result<Vec<Record>, LedgerError>>;

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
                $crate::sql::row::Row {
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
                    calendar_id: row.try_get("calendar_id").map_err(get)?,
                    calendar_event_id: row.try_get("calendar_event_id").map_err(get)?,
                }
                .into_record()
            }

            /// `query` with the intent's columns bound as `$1` to `$10` (see `insert_intent`).
            fn bind_intent<'q>(
                query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
                intent: &'q feishu_vc_ledger::Intent,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
                let (owner_kind, owner_id) = $crate::sql::row::owner_columns(intent);
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
                let insert = $crate::sql::statements::insert();
                let written = Self::bind_intent(sqlx::query(&insert), &intent)
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(failed)?;
                if let Some(row) = written {
                    return Self::decode(&row).map(Ok);
                }
                let sql = $crate::sql::statements::get();
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
                    Ok(Err($crate::sql::row::conflict(intent, &recorded)))
                }
            }
        }

        impl feishu_vc_ledger::LedgerStore for $store {
            fn begin(
                &self,
                intent: feishu_vc_ledger::Intent,
            ) -> $crate::sql::store::RecordFuture<'_> {
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
                    let done = sqlx::query($crate::sql::statements::MARK_SENDING)
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
                    let insert = $crate::sql::statements::insert_sending();
                    let written = Self::bind_intent(sqlx::query(&insert), &intent)
                        .bind(at.unix_seconds())
                        .execute(&self.pool)
                        .await
                        .map_err(failed)?;
                    if written.rows_affected() == 1 {
                        return Ok(true);
                    }
                    let mark = $crate::sql::statements::mark_sending_same();
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
                            Err($crate::sql::row::conflict(intent, &recorded))
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
            ) -> $crate::sql::store::RecordFuture<'a> {
                Box::pin(async move {
                    let v = $crate::sql::row::Settled::new(outcome);
                    let sql = $crate::sql::statements::settle();
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
                        None => Err($crate::sql::row::no_change(
                            key,
                            self.get(key).await?,
                            "sending",
                        )),
                    }
                })
            }

            fn settle_interrupted<'a>(
                &'a self,
                batch: Option<&'a str>,
                before: feishu_vc_model::Timestamp,
            ) -> $crate::sql::store::RecordsFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::settle_interrupted();
                    self.fetch_records(sqlx::query(&sql).bind(before.unix_seconds()).bind(batch))
                        .await
                })
            }

            fn reopen<'a>(
                &'a self,
                key: &'a feishu_vc_ledger::IntentKey,
            ) -> $crate::sql::store::RecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::reopen();
                    match self
                        .fetch_one_record(sqlx::query(&sql).bind(key.as_str()))
                        .await?
                    {
                        Some(record) => Ok(record),
                        None => Err($crate::sql::row::no_change(
                            key,
                            self.get(key).await?,
                            "unknown",
                        )),
                    }
                })
            }

            fn get<'a>(
                &'a self,
                key: &'a feishu_vc_ledger::IntentKey,
            ) -> $crate::sql::store::MaybeRecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::get();
                    self.fetch_one_record(sqlx::query(&sql).bind(key.as_str()))
                        .await
                })
            }

            fn by_reserve_id<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
            ) -> $crate::sql::store::MaybeRecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::by_reserve_id();
                    self.fetch_one_record(sqlx::query(&sql).bind(reserve_id.as_str()))
                        .await
                })
            }

            fn list<'a>(
                &'a self,
                filter: &'a feishu_vc_ledger::RecordFilter,
            ) -> $crate::sql::store::RecordsFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::list();
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
            ) -> $crate::sql::store::RecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::set_end_time();
                    let query = sqlx::query(&sql)
                        .bind(reserve_id.as_str())
                        .bind(end_time.unix_seconds())
                        .bind(at.unix_seconds());
                    self.fetch_one_record(query)
                        .await?
                        .ok_or_else(|| $crate::sql::row::no_reservation(reserve_id))
                })
            }

            fn set_ended<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
                state: feishu_vc_ledger::State,
                at: feishu_vc_model::Timestamp,
            ) -> $crate::sql::store::RecordFuture<'a> {
                Box::pin(async move {
                    if !state.is_ended() {
                        let record = self
                            .by_reserve_id(reserve_id)
                            .await?
                            .ok_or_else(|| $crate::sql::row::no_reservation(reserve_id))?;
                        return Err(feishu_vc_ledger::LedgerError::WrongState {
                            key: record.key().clone(),
                            state,
                            expected: "deleted, expired or gone",
                        });
                    }
                    let sql = $crate::sql::statements::set_ended();
                    let query = sqlx::query(&sql)
                        .bind(reserve_id.as_str())
                        .bind(state.as_str())
                        .bind(at.unix_seconds());
                    self.fetch_one_record(query)
                        .await?
                        .ok_or_else(|| $crate::sql::row::no_reservation(reserve_id))
                })
            }

            fn set_keep<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
                keep: bool,
            ) -> $crate::sql::store::RecordFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::set_keep();
                    let query = sqlx::query(&sql).bind(reserve_id.as_str()).bind(keep);
                    self.fetch_one_record(query)
                        .await?
                        .ok_or_else(|| $crate::sql::row::no_reservation(reserve_id))
                })
            }

            fn set_calendar<'a>(
                &'a self,
                reserve_id: &'a feishu_vc_model::ReserveId,
                calendar: Option<feishu_vc_ledger::CalendarPlacement>,
            ) -> $crate::sql::store::RecordFuture<'a> {
                Box::pin(async move {
                    let (calendar_id, event_id) = $crate::sql::row::calendar_columns(calendar);
                    let sql = $crate::sql::statements::set_calendar();
                    let query = sqlx::query(&sql)
                        .bind(reserve_id.as_str())
                        .bind(calendar_id)
                        .bind(event_id);
                    self.fetch_one_record(query)
                        .await?
                        .ok_or_else(|| $crate::sql::row::no_reservation(reserve_id))
                })
            }

            fn claim_due<'a>(
                &'a self,
                due: feishu_vc_model::Timestamp,
                now: feishu_vc_model::Timestamp,
                claim: &'a feishu_vc_ledger::Claim,
                limit: usize,
            ) -> $crate::sql::store::RecordsFuture<'a> {
                Box::pin(async move {
                    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                    let sql = $crate::sql::statements::claim_due($claim_lock);
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
                    sqlx::query($crate::sql::statements::RELEASE)
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
            ) -> $crate::sql::store::RecordsFuture<'a> {
                Box::pin(async move {
                    let sql = $crate::sql::statements::by_meeting_no();
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

//! Keeping reservations alive: renewing those marked to keep before Feishu releases their
//! meeting numbers.

use std::collections::HashSet;
use std::time::Duration;

use feishu_vc::model::{ReserveId, Timestamp, UpdateReserveBody};

use crate::error::LedgerError;
use crate::ledger::{BookError, Ledger, Renewal, reserve_id_of};
use crate::record::{Claim, Record, State};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// How [`Ledger::keep_pass`] renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepOptions {
    /// Renew a kept reservation when its end time is less than this far away (7 days by
    /// default).
    pub margin: Duration,
    /// The renewed end time is now plus this (30 days less an hour by default: Feishu allows at
    /// most 30 days, and the hour absorbs clock differences).
    pub extend_to: Duration,
    /// Who renews: unique per keeper process (claims carry it).
    pub worker: String,
    /// How long a claim holds: past it, another keeper may take a reservation this one claimed
    /// and did not release (it died). Longer than a pass takes (10 minutes by default).
    pub lease: Duration,
    /// How many reservations to claim at a time (50 by default).
    pub batch_size: usize,
}

impl KeepOptions {
    /// The defaults, for the keeper `worker`.
    pub fn new(worker: impl Into<String>) -> Self {
        Self {
            margin: 7 * DAY,
            extend_to: 30 * DAY - Duration::from_secs(3600),
            worker: worker.into(),
            lease: Duration::from_secs(600),
            batch_size: 50,
        }
    }

    /// Renewing within `margin` of the end time.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Renewing to now plus `extend_to`.
    pub fn extend_to(mut self, extend_to: Duration) -> Self {
        self.extend_to = extend_to;
        self
    }

    /// Claims held for `lease`.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Claiming `batch_size` reservations at a time.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }
}

impl Default for KeepOptions {
    /// The defaults, for a keeper named after this process and the moment it was named (process
    /// ids repeat across machines; a claim released by a namesake would be lost).
    fn default() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self::new(format!("keeper-{}-{nanos}", std::process::id()))
    }
}

/// What one [`Ledger::keep_pass`] did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct KeepReport {
    /// Renewed, meeting number unchanged (their new end time recorded).
    pub renewed: Vec<Record>,
    /// Found already expired: Feishu released their meeting numbers (recorded as expired; Feishu
    /// was not asked).
    pub lost: Vec<Record>,
    /// Deleted elsewhere: Feishu answered 121004 (recorded as gone).
    pub gone: Vec<Record>,
    /// Not renewed, or renewed with another meeting number, and why. Tried again next pass.
    pub failed: Vec<(Record, String)>,
    /// Renewed (so also in `renewed`), but its calendar event's end was not moved, and why; the
    /// next renewal moves it.
    pub calendar_not_moved: Vec<(Record, String)>,
}

impl Ledger {
    /// One keeper pass: claims the kept reservations due for renewal (end time within
    /// `options.margin`), `options.batch_size` at a time, and renews each to now plus
    /// `options.extend_to`, checking its meeting number is unchanged. Reservations already past
    /// their end time are recorded as expired and reported lost, without asking Feishu; those
    /// Feishu no longer knows are recorded as gone. Claims are released when the pass ends,
    /// failed or not.
    ///
    /// Any number of keepers may run at once on one store: each reservation is claimed, hence
    /// renewed, by one of them.
    pub async fn keep_pass(&self, options: &KeepOptions) -> Result<KeepReport, LedgerError> {
        let now = self.now();
        let due = now.checked_add(options.margin).unwrap_or(now);
        let claim = Claim {
            worker: options.worker.clone(),
            until: now.checked_add(options.lease).unwrap_or(now),
        };
        let end_time = now.checked_add(options.extend_to).unwrap_or(now);
        let mut report = KeepReport::default();
        // Claims this pass holds and has not released: those claimed and not yet settled, and
        // failures, kept until the end of the pass so the next claim does not hand them back.
        // All are released when the pass ends, also when it fails.
        let mut held: HashSet<ReserveId> = HashSet::new();
        let mut seen: HashSet<ReserveId> = HashSet::new();
        let result = async {
            loop {
                let claimed = self
                    .store
                    .claim_due(due, now, &claim, options.batch_size.max(1))
                    .await?;
                let mut fresh = Vec::new();
                for record in claimed {
                    // Only booked records are claimed, and they have their id.
                    let Some(id) = record.reserve_id.clone() else {
                        continue;
                    };
                    held.insert(id.clone());
                    if seen.insert(id.clone()) {
                        fresh.push((id, record));
                    }
                }
                if fresh.is_empty() {
                    return Ok(());
                }
                for (id, record) in fresh {
                    if self.keep_one(record, now, end_time, &mut report).await? {
                        self.store.release(&id, &options.worker).await?;
                        held.remove(&id);
                    }
                }
            }
        }
        .await;
        let mut released = Ok(());
        for id in &held {
            if let Err(error) = self.store.release(id, &options.worker).await {
                released = Err(error);
            }
        }
        result.and(released).map(|()| report)
    }

    /// Renews one claimed reservation (or records it expired); `Ok(true)` when it is settled
    /// (renewed, lost or gone), `Ok(false)` when it failed and stays due.
    async fn keep_one(
        &self,
        record: Record,
        now: Timestamp,
        end_time: Timestamp,
        report: &mut KeepReport,
    ) -> Result<bool, LedgerError> {
        let id = reserve_id_of(&record)?.clone();
        if now >= record.end_time {
            report
                .lost
                .push(self.store.set_ended(&id, State::Expired, now).await?);
            return Ok(true);
        }
        match self
            .send_update(&record, UpdateReserveBody::default().set_end_time(end_time))
            .await
        {
            Ok(Renewal::Renewed(renewed)) => {
                if let Err(error) = self.move_calendar_event(&renewed).await {
                    let why = format!(
                        "renewed, but its calendar event did not move: {}",
                        describe(&error)
                    );
                    report.calendar_not_moved.push((renewed.clone(), why));
                }
                report.renewed.push(renewed);
            }
            Ok(Renewal::Gone(gone, _)) => report.gone.push(gone),
            Ok(Renewal::Moved {
                record: moved,
                given,
            }) => {
                let was = record
                    .meeting_no
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), ToString::to_string);
                let why = format!("renewed, but its meeting number is now {given}, not {was}");
                report.failed.push((moved, why));
            }
            Err(BookError::Ledger(error)) => return Err(error),
            Err(error) => {
                report.failed.push((record, describe(&error)));
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The error and its causes, one line (no secret: each layer's `Display` shows none).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

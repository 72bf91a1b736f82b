//! The control API's own steps on the hub: moving the emulator's time, and what it holds now.

use std::sync::atomic::Ordering;

use feishu_vc_model::Timestamp;

use crate::clock::MAX_CLOCK_OFFSET;
use crate::control::types::{CalendarEventSummary, ReservationSummary, Snapshot};
use crate::error::Error;
use crate::shared::Shared;

impl Shared {
    // ---- the control API ----

    /// Moves the emulator's time forward.
    pub(crate) async fn advance(&self, seconds: u64) -> Result<Timestamp, Error> {
        let too_far = || Error::ClockOutOfRange {
            seconds,
            max_offset_seconds: MAX_CLOCK_OFFSET,
        };
        let secs = i64::try_from(seconds).map_err(|_| too_far())?;
        // Under the state's lock, so that the offset and the change recorded for the state file
        // go together.
        let version = {
            let mut state = self.lock();
            let offset = self
                .clock_offset()
                .checked_add(secs)
                .filter(|o| *o <= MAX_CLOCK_OFFSET)
                .ok_or_else(too_far)?;
            self.offset.store(offset, Ordering::SeqCst);
            state.touch()
        };
        self.commit_control(version).await?;
        Ok(self.now())
    }

    /// What the emulator holds now.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let now = self.now();
        let now_s = now.unix_seconds();
        let token_now = self.token_now();
        let state = self.lock();
        let reservations = state
            .reservations
            .values()
            .map(|r| ReservationSummary {
                id: r.id.as_str().into(),
                meeting_no: r.meeting_no().into(),
                owner: r.owner.as_str().into(),
                tenant_key: r.tenant_key.clone(),
                app_id: r.app_id.clone(),
                topic: r.settings.topic.clone(),
                end_time: Timestamp::from_unix_seconds(r.end_time),
                expired: !r.is_live(now_s),
                holds_meeting_no: state
                    .holder(r.meeting_no, now_s)
                    .is_some_and(|h| h.id == r.id),
                meeting_id: r.meeting.as_ref().map(|m| m.id.as_str().into()),
                updates: r.updates,
            })
            .collect();
        Snapshot {
            now,
            clock_offset_seconds: self.clock_offset(),
            applies: state.applies,
            reservations,
            taken_meeting_nos: state
                .taken(now_s)
                .into_iter()
                .map(|no| format!("{no:09}").into())
                .collect(),
            live_tokens: state
                .tokens
                .values()
                .filter(|t| t.expires_at > token_now)
                .count(),
            calendar_events: state
                .events
                .values()
                .map(|e| CalendarEventSummary {
                    event_id: e.id.clone(),
                    calendar_id: e.calendar_id.clone(),
                    app_id: e.app_id.clone(),
                    summary: e.summary.clone(),
                    start_time: e.start_time.timestamp,
                    end_time: e.end_time.timestamp,
                    vc_type: e
                        .vchat
                        .as_ref()
                        .and_then(|v| v.vc_type.as_ref())
                        .map(|t| t.as_str().to_owned()),
                    meeting_url: e.vchat.as_ref().and_then(|v| v.meeting_url.clone()),
                    attendees: e.attendees.iter().map(|a| a.id.clone()).collect(),
                    updates: e.updates,
                    deleted: e.deleted,
                })
                .collect(),
        }
    }
}

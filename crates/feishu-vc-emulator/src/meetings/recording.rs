//! The recording operations of the Open API on a meeting: start and stop (the host, with a user
//! token, while the meeting runs) and set_permission (the owner, with a user token, once the
//! recording is ready). Each runs as a meeting step, so recording_started / recording_ended are
//! pushed as the control API's steps push them.

use feishu_vc_model::{
    ErrorCode, SetRecordingPermissionData, StartRecordingData, StopRecordingData,
};

use crate::answer::{Failure, Outcome, data};
use crate::auth::state::Caller;
use crate::meetings::rules::stop_recording;
use crate::meetings::state::ActiveMeeting;
use crate::reserves::state::Reservation;
use crate::shared::Shared;

fn unexpected(why: &str) -> Failure {
    Failure::new(
        ErrorCode::MeetingStatusUnexpected,
        format!("meeting status unexpected: {why}"),
    )
}

/// The user behind a user token; these operations take no tenant token.
fn user_of(caller: &Caller) -> Result<&str, Failure> {
    caller.user.as_deref().ok_or_else(|| {
        Failure::new(
            ErrorCode::NoPermission,
            "no permission: this operation takes a user_access_token",
        )
    })
}

/// The meeting in progress with this id, once `user` is checked to host it.
fn hosted_by<'m>(
    r: &'m mut Reservation,
    meeting_id: &str,
    user: &str,
) -> Result<&'m mut ActiveMeeting, Failure> {
    let m = r
        .meeting
        .as_mut()
        .filter(|m| m.id == meeting_id)
        .ok_or_else(|| unexpected("the meeting is not in progress"))?;
    if !m.participant(user).is_some_and(|p| p.is_host) {
        return Err(Failure::new(
            ErrorCode::OperatorNotInMeeting,
            "operator user not in meeting: only its host records it",
        ));
    }
    Ok(m)
}

impl Shared {
    /// The reservation that held or holds the meeting `meeting_id`.
    fn reservation_of_meeting(&self, meeting_id: &str) -> Result<String, Failure> {
        let state = self.lock();
        state
            .reservations
            .values()
            .find(|r| r.meetings().any(|m| m.id == meeting_id))
            .map(|r| r.id.clone())
            .ok_or_else(|| Failure::new(ErrorCode::MeetingNotExist, "meeting not exist"))
    }

    /// Runs `f` as a step of the meeting's reservation, for a caller of its tenant (who may act
    /// is then the operation's own rule: the host records, the owner shares).
    async fn recording_step(
        &self,
        caller: &Caller,
        meeting_id: &str,
        f: impl FnOnce(&mut Reservation, &mut crate::meetings::events::Happened<'_>, i64) -> Outcome,
    ) -> Outcome {
        let reserve_id = self.reservation_of_meeting(meeting_id)?;
        self.step(&reserve_id, |r, h, now| {
            if caller.tenant_key != r.tenant_key {
                return Ok(Err(Failure::new(ErrorCode::NoPermission, "no permission")));
            }
            Ok(f(r, h, now))
        })
        .await
        .map_err(Failure::internal)?
    }

    /// recording.start: the host starts recording the meeting in progress.
    pub(crate) async fn api_start_recording(&self, caller: &Caller, meeting_id: &str) -> Outcome {
        let user = user_of(caller)?.to_owned();
        self.recording_step(caller, meeting_id, |r, h, now| {
            let m = hosted_by(r, meeting_id, &user)?;
            if m.recording_since.is_some() {
                return Err(unexpected("the meeting is already being recorded"));
            }
            m.recording_since = Some(now);
            h.operator("vc.meeting.recording_started_v1", m, &user);
            data(StartRecordingData::default())
        })
        .await
    }

    /// recording.stop: the host stops the recording under way.
    pub(crate) async fn api_stop_recording(&self, caller: &Caller, meeting_id: &str) -> Outcome {
        let user = user_of(caller)?.to_owned();
        self.recording_step(caller, meeting_id, |r, h, now| {
            let m = hosted_by(r, meeting_id, &user)?;
            if !stop_recording(h, m, &user, now) {
                return Err(unexpected("the meeting is not being recorded"));
            }
            data(StopRecordingData::default())
        })
        .await
    }

    /// recording.set_permission: the owner shares a recording once it is ready.
    pub(crate) async fn api_set_recording_permission(
        &self,
        caller: &Caller,
        meeting_id: &str,
    ) -> Outcome {
        let user = user_of(caller)?.to_owned();
        self.recording_step(caller, meeting_id, |r, _h, _now| {
            if r.owner != user {
                return Err(Failure::new(
                    ErrorCode::NoPermission,
                    "no permission: only the meeting's owner shares its recording",
                ));
            }
            let ready = r
                .meetings()
                .find(|m| m.id == meeting_id)
                .is_some_and(|m| m.recording.is_some());
            if !ready {
                return Err(Failure::new(
                    ErrorCode::RecordProcessing,
                    "record processing: the recording is not ready",
                ));
            }
            data(SetRecordingPermissionData::default())
        })
        .await
    }
}

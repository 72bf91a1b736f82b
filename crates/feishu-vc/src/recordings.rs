//! A meeting's recording: read it once it is ready, share it, and start or stop recording a
//! meeting in progress (those three with the host's or owner's user token only).

use feishu_vc_model::{
    GetRecordingData, GetRecordingRequest, IncompleteResponse, MeetingId, MeetingRecording,
    SetRecordingPermissionBody, SetRecordingPermissionData, SetRecordingPermissionRequest,
    StartRecordingData, StartRecordingRequest, StopRecordingData, StopRecordingRequest,
};

use crate::call::{sealed, user_id_type};
use crate::{Call, CallOperation, Client};

/// Recordings, from [`Client::recordings`].
#[derive(Clone, Copy, Debug)]
pub struct Recordings<'c> {
    client: &'c Client,
}

impl<'c> Recordings<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// The recording of an ended meeting: its link and length in milliseconds
    /// (`GET /open-apis/vc/v1/meetings/{meeting_id}/recording`). Before
    /// `vc.meeting.recording_ready_v1` Feishu answers 124002 (`ErrorCode::RecordProcessing`).
    /// A success answer without the recording is an [`crate::Error::Decode`].
    pub fn get(&self, meeting_id: impl Into<MeetingId>) -> Call<'c, GetRecordingRequest> {
        Call::new(self.client, GetRecordingRequest::new(meeting_id))
    }

    /// Grants or revokes view access to the recording
    /// (`PATCH /open-apis/vc/v1/meetings/{meeting_id}/recording/set_permission`): only the
    /// meeting's owner, with a user token, once the recording is ready.
    pub fn set_permission(
        &self,
        meeting_id: impl Into<MeetingId>,
        permission: SetRecordingPermissionBody,
    ) -> Call<'c, SetRecordingPermissionRequest> {
        Call::new(
            self.client,
            SetRecordingPermissionRequest::from_body(meeting_id, permission),
        )
    }

    /// Starts recording a meeting in progress
    /// (`PATCH /open-apis/vc/v1/meetings/{meeting_id}/recording/start`): the host, with a user
    /// token.
    pub fn start(&self, meeting_id: impl Into<MeetingId>) -> Call<'c, StartRecordingRequest> {
        Call::new(self.client, StartRecordingRequest::new(meeting_id))
    }

    /// Stops the recording of a meeting in progress
    /// (`PATCH /open-apis/vc/v1/meetings/{meeting_id}/recording/stop`): the host, with a user
    /// token.
    pub fn stop(&self, meeting_id: impl Into<MeetingId>) -> Call<'c, StopRecordingRequest> {
        Call::new(self.client, StopRecordingRequest::new(meeting_id))
    }
}

user_id_type!(SetRecordingPermissionRequest);

impl Call<'_, StartRecordingRequest> {
    /// Sets the body's `timezone`: the UTC offset in hours (-12 to 12) of the times shown in
    /// the recording file.
    pub fn set_timezone(mut self, hours: i64) -> Self {
        self.request = self.request.set_timezone(hours);
        self
    }
}

impl sealed::Sealed for GetRecordingRequest {}
impl sealed::Sealed for SetRecordingPermissionRequest {}
impl sealed::Sealed for StartRecordingRequest {}
impl sealed::Sealed for StopRecordingRequest {}

impl CallOperation for GetRecordingRequest {
    type Data = GetRecordingData;
    type Output = MeetingRecording;

    fn output(data: Self::Data) -> Result<MeetingRecording, IncompleteResponse> {
        data.recording
            .ok_or(IncompleteResponse::missing("data.recording"))
    }
}

macro_rules! empty_answer {
    ($($request:ty => $data:ty),*) => {$(
        impl CallOperation for $request {
            type Data = $data;
            type Output = $data;

            fn output(data: Self::Data) -> Result<Self::Output, IncompleteResponse> {
                Ok(data)
            }
        }
    )*};
}
empty_answer!(
    SetRecordingPermissionRequest => SetRecordingPermissionData,
    StartRecordingRequest => StartRecordingData,
    StopRecordingRequest => StopRecordingData
);

//! The meetings held under a reservation's number: one by its id, and the list of a meeting
//! number's meetings in a window, page by page or as one [`Stream`] over every page.

use std::collections::VecDeque;

use feishu_vc_model::{
    GetMeetingData, GetMeetingRequest, IncompleteResponse, ListMeetingsByNoData,
    ListMeetingsByNoRequest, Meeting, MeetingId, MeetingNo, Timestamp,
};
use feishu_vc_transport::{CallOptions, DecodeError};
use futures_util::Stream;

use crate::call::{sealed, user_id_type};
use crate::{Call, CallOperation, Client, Result};

/// Meetings, from [`Client::meetings`].
#[derive(Clone, Copy, Debug)]
pub struct Meetings<'c> {
    client: &'c Client,
}

impl<'c> Meetings<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// One meeting by its long id (`GET /open-apis/vc/v1/meetings/{meeting_id}`): times, host,
    /// status, counts; its participants with [`Call::set_with_participants`]. Only meetings you
    /// own, from the last 90 days. A success answer without the meeting is an [`crate::Error::Decode`].
    pub fn get(&self, meeting_id: impl Into<MeetingId>) -> Call<'c, GetMeetingRequest> {
        Call::new(self.client, GetMeetingRequest::new(meeting_id))
    }

    /// One page of the meetings held under `meeting_no` that started between `start_time` and
    /// `end_time` (`GET /open-apis/vc/v1/meetings/list_by_no`); [`Call::into_stream`] goes
    /// through every page.
    pub fn list_by_no(
        &self,
        meeting_no: impl Into<MeetingNo>,
        start_time: impl Into<Timestamp>,
        end_time: impl Into<Timestamp>,
    ) -> Call<'c, ListMeetingsByNoRequest> {
        Call::new(
            self.client,
            ListMeetingsByNoRequest::new(meeting_no, start_time, end_time),
        )
    }
}

user_id_type!(GetMeetingRequest);

impl Call<'_, GetMeetingRequest> {
    /// Sets the request's `with_participants`: include the participants (off unless set).
    pub fn set_with_participants(mut self, with: bool) -> Self {
        self.request = self.request.set_with_participants(with);
        self
    }

    /// Sets the request's `with_meeting_ability`: include the capabilities used (off unless
    /// set; honoured with a tenant token only, a user-token call gets a [`crate::Warning`]).
    pub fn set_with_meeting_ability(mut self, with: bool) -> Self {
        self.request = self.request.set_with_meeting_ability(with);
        self
    }
}

impl<'c> Call<'c, ListMeetingsByNoRequest> {
    /// Sets the request's `page_size` (20 unless set, at most 50).
    pub fn set_page_size(mut self, size: i64) -> Self {
        self.request = self.request.set_page_size(size);
        self
    }

    /// Sets the request's `page_token`: the page after the one that gave it.
    pub fn set_page_token(mut self, token: impl Into<String>) -> Self {
        self.request = self.request.set_page_token(token);
        self
    }

    /// Every meeting of every page, in the order Feishu lists them (oldest first), each page
    /// asked for only once the one before is used up. A failed page is the stream's last item,
    /// an `Err`: the stream never ends early without saying why. A page that says there is
    /// more but gives no new `page_token` ends the stream, after its meetings, with an
    /// [`crate::Error::Decode`]. Each page is one call with this call's options; list_by_no
    /// allows 100 calls a minute.
    pub fn into_stream(self) -> impl Stream<Item = Result<Meeting>> + Send + 'c {
        let Call {
            client,
            request,
            options,
        } = self;
        let state = Pages {
            client,
            request: Some(request),
            options,
            buffered: VecDeque::new(),
            failed: None,
        };
        futures_util::stream::unfold(state, |mut pages| async move {
            loop {
                if let Some(meeting) = pages.buffered.pop_front() {
                    return Some((Ok(meeting), pages));
                }
                if let Some(e) = pages.failed.take() {
                    return Some((Err(e), pages));
                }
                let request = pages.request.take()?;
                let call = Call {
                    client: pages.client,
                    request: request.clone(),
                    options: pages.options.clone(),
                };
                let page = match call.await {
                    Ok(page) => page,
                    Err(e) => return Some((Err(e), pages)),
                };
                let ListMeetingsByNoData {
                    has_more,
                    page_token,
                    meeting_briefs,
                    ..
                } = page.data;
                pages.buffered.extend(meeting_briefs.unwrap_or_default());
                if has_more != Some(true) {
                    continue;
                }
                // A page that says there is more must say where it is, and somewhere new:
                // anything else would end the list silently or loop for ever.
                match page_token.filter(|t| !t.is_empty()) {
                    Some(token) if request.page_token.as_deref() != Some(token.as_str()) => {
                        pages.request = Some(request.set_page_token(token));
                    }
                    _ => {
                        pages.failed = Some(crate::Error::Decode(DecodeError::incomplete(
                            page.http_status,
                            page.log_id,
                            IncompleteResponse::missing("data.page_token"),
                        )));
                    }
                }
            }
        })
    }
}

/// Where [`Call::into_stream`] is: the next page's request (none once the last has come), and
/// the meetings of the page in hand not yet given out.
struct Pages<'c> {
    client: &'c Client,
    request: Option<ListMeetingsByNoRequest>,
    options: CallOptions,
    buffered: VecDeque<Meeting>,
    /// Why the list cannot go on, given once `buffered` is used up.
    failed: Option<crate::Error>,
}

impl sealed::Sealed for GetMeetingRequest {}
impl sealed::Sealed for ListMeetingsByNoRequest {}

impl CallOperation for GetMeetingRequest {
    type Data = GetMeetingData;
    type Output = Meeting;

    fn output(data: Self::Data) -> std::result::Result<Meeting, IncompleteResponse> {
        data.meeting
            .ok_or(IncompleteResponse::missing("data.meeting"))
    }
}

impl CallOperation for ListMeetingsByNoRequest {
    type Data = ListMeetingsByNoData;
    type Output = ListMeetingsByNoData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }
}

//! The `vc.meeting.*` event bodies a meeting step produces, in order: who they are about (all
//! three ids of directory users, their role) and the meeting as the events show it. The steps
//! that call these are in `meetings/rules.rs`; `events/` carries the events out.

use feishu_vc_model::UserIdType;
use serde_json::{Value, json};

use crate::control::types::RecordingFile;
use crate::directory::Directory;
use crate::meetings::state::ActiveMeeting;
use crate::reserves::state::Reservation;

/// `meeting_source` of a meeting booked through the Open API.
const OPEN_PLATFORM_MEETING: i64 = 4;
/// What the events need to know of the reservation.
struct About {
    meeting_no: String,
    topic: String,
    owner: String,
}

impl About {
    fn of(r: &Reservation) -> Self {
        Self {
            meeting_no: r.meeting_no(),
            topic: r.settings.topic.clone().unwrap_or_default(),
            owner: r.owner.clone(),
        }
    }
}

/// The events one step produces, in order: `(event_type, event object)`.
pub(crate) struct Happened<'a> {
    dir: &'a Directory,
    about: About,
    pub(crate) events: Vec<(&'static str, Value)>,
}

impl<'a> Happened<'a> {
    pub(crate) fn new(dir: &'a Directory, r: &Reservation) -> Self {
        Self {
            dir,
            about: About::of(r),
            events: Vec::new(),
        }
    }

    /// `meeting_event_user`: all three ids (only the id as given for someone outside the
    /// directory), the role in `m` and the user type.
    fn user(&self, m: &ActiveMeeting, id: &str) -> Value {
        let ids = match self.dir.find(UserIdType::OpenId, id) {
            Some(u) => {
                json!({"union_id": u.union_id(), "user_id": u.user_id(), "open_id": u.open_id()})
            }
            None => json!({ "open_id": id }),
        };
        let (role, user_type) = match m.participant(id) {
            Some(p) if p.is_host => (2, p.user_type),
            Some(p) if p.is_cohost => (3, p.user_type),
            Some(p) => (1, p.user_type),
            None => (1, 1),
        };
        json!({"id": ids, "user_role": role, "user_type": user_type})
    }

    fn meeting(&self, m: &ActiveMeeting, calendar: bool) -> Value {
        let mut meeting = json!({
            "id": m.id,
            "topic": self.about.topic,
            "meeting_no": self.about.meeting_no,
            "meeting_source": OPEN_PLATFORM_MEETING,
            "start_time": m.start_time.to_string(),
            "owner": self.user(m, &self.about.owner),
        });
        if let Some(end) = m.end_time {
            meeting["end_time"] = Value::String(end.to_string());
        }
        if let Some(host) = m.participants.iter().find(|p| p.is_host) {
            meeting["host_user"] = self.user(m, &host.id);
        }
        if calendar {
            meeting["calendar_event_id"] = Value::String(format!("{}_0", m.id));
        }
        meeting
    }

    /// The host, or the owner when the host has left: who acts for the meeting.
    pub(crate) fn chair(&self, m: &ActiveMeeting) -> String {
        m.participants
            .iter()
            .find(|p| p.is_host)
            .map_or_else(|| self.about.owner.clone(), |p| p.id.clone())
    }

    /// An event of `meeting` and `operator` only.
    pub(crate) fn operator(&mut self, event_type: &'static str, m: &ActiveMeeting, operator: &str) {
        let calendar = matches!(
            event_type,
            "vc.meeting.meeting_started_v1" | "vc.meeting.meeting_ended_v1"
        );
        let event =
            json!({"meeting": self.meeting(m, calendar), "operator": self.user(m, operator)});
        self.events.push((event_type, event));
    }

    pub(crate) fn leave(&mut self, m: &ActiveMeeting, leaver: &str, operator: &str, reason: i64) {
        let event = json!({
            "meeting": self.meeting(m, false),
            "operator": self.user(m, operator),
            "leave_reason": reason,
            "leave_user": self.user(m, leaver),
        });
        self.events.push(("vc.meeting.leave_meeting_v1", event));
    }

    pub(crate) fn recording_ready(&mut self, m: &ActiveMeeting, file: &RecordingFile) {
        let owner = self.user(m, &self.about.owner);
        let event = json!({
            "meeting": {
                "id": m.id,
                "topic": self.about.topic,
                "meeting_no": self.about.meeting_no,
                "meeting_source": OPEN_PLATFORM_MEETING,
                "owner": {"id": owner["id"]},
            },
            "url": file.url,
            "duration": file.duration_ms.to_string(),
        });
        self.events.push(("vc.meeting.recording_ready_v1", event));
    }
}

//! The tools: what each does, over the ledger and its client. Arguments are in [`crate::args`],
//! answers in [`crate::views`], failures in [`crate::errors`].

use std::time::{Duration, SystemTime};

use feishu_vc::model::{
    ApplyReserveBody, ApplyReserveRequest, ReserveId, ReserveMeetingSetting, Timestamp, TokenKind,
    UpdateReserveBody, UpdateReserveRequest,
};
use feishu_vc::validate::{Context, Validate};
use feishu_vc::when::parse_when;
use feishu_vc_ledger::{BookOptions, IntentKey, Ledger, Record, RecordFilter, State};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use sha2::{Digest, Sha256};

use crate::args::{BookArgs, MeetingArgs, RenewArgs, ReportArgs, ReservationArgs, UpdateArgs};
use crate::errors::{book_error, error, sdk_error, store_error, violations_result};
use crate::views::{
    ActiveMeeting, Booking, ReportView, ReservationList, ReservationView, meeting_view,
    report_view, view,
};

/// The tools that change something: hidden by [`VcTools::read_only`].
const CHANGING: [&str; 4] = [
    "book_meeting",
    "renew_reservation",
    "update_reservation",
    "cancel_reservation",
];

/// The reservation tools over a ledger.
#[derive(Clone)]
pub struct VcTools {
    ledger: Ledger,
    owner: Option<String>,
    tool_router: ToolRouter<Self>,
}

impl std::fmt::Debug for VcTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VcTools").finish_non_exhaustive()
    }
}

fn system_time(at: Timestamp) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(at.unix_seconds().max(0).unsigned_abs())
}

fn when(field: &str, text: &str, now: Timestamp) -> Result<Timestamp, CallToolResult> {
    parse_when(text, system_time(now)).map_err(|e| error(format!("{field}: {e}")))
}

/// The meeting settings a call gives; what it leaves out stays unset.
fn settings_of(topic: Option<String>, password: Option<String>) -> ReserveMeetingSetting {
    let mut settings = ReserveMeetingSetting::default();
    if let Some(topic) = topic {
        settings = settings.set_topic(topic);
    }
    if let Some(password) = password {
        settings = settings.set_password(password);
    }
    settings
}

/// The key of a `book_meeting` call that names none: the same owner, topic and end time (as
/// written) give the same key. The password is left out: a key is shown, and a short digit
/// password would be found again from its hash.
fn derived_key(owner: Option<&str>, args: &BookArgs) -> IntentKey {
    let written = serde_json::json!([owner, args.topic, args.end_time.as_deref().map(str::trim)]);
    let digest = Sha256::digest(written.to_string().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    IntentKey::new(format!("mcp-{hex}"))
}

#[tool_router]
impl VcTools {
    /// Tools over `ledger`; `owner` is who owns what is booked when a call names nobody.
    pub fn new(ledger: Ledger, owner: Option<String>) -> Self {
        Self {
            ledger,
            owner,
            tool_router: Self::tool_router(),
        }
    }

    /// The tools it serves, as `tools/list` gives them (sorted by name).
    pub fn tool_list(&self) -> Vec<rmcp::model::Tool> {
        self.tool_router.list_all()
    }

    /// Hides every tool that changes something.
    pub fn read_only(mut self) -> Self {
        for name in CHANGING {
            self.tool_router.disable_route(name);
        }
        self
    }

    /// The rules' context: the token kind the client calls with, at `now`.
    fn context(&self, now: Timestamp) -> Context {
        let kind = self
            .ledger
            .client()
            .transport()
            .token_kind(&feishu_vc::CallOptions::new())
            .unwrap_or(TokenKind::Tenant);
        Context::new(kind).at(now)
    }

    async fn recorded(&self, id: &ReserveId) -> Result<Record, CallToolResult> {
        self.ledger
            .store()
            .by_reserve_id(id)
            .await
            .map_err(|e| store_error(&e))?
            .ok_or_else(|| error(format!("reserve_id: `{id}` is not in the ledger")))
    }

    /// Books a meeting under an idempotency key, validated first; the same key again returns the
    /// first booking and books nothing.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn book_meeting(
        &self,
        Parameters(args): Parameters<BookArgs>,
    ) -> Result<Json<Booking>, CallToolResult> {
        let owner = args.owner_id.clone().or_else(|| self.owner.clone());
        let key = match &args.key {
            Some(key) => IntentKey::new(key.clone()),
            None => derived_key(owner.as_deref(), &args),
        };
        // A repeated call is read as of the first one, so `+2h` names the same time again.
        let first = self
            .ledger
            .store()
            .get(&key)
            .await
            .map_err(|e| store_error(&e))?;
        let at = first
            .as_ref()
            .map_or_else(|| self.ledger.now(), |r| r.intent.created_at);
        let mut body = ApplyReserveBody::new(settings_of(args.topic, args.password));
        if let Some(end) = &args.end_time {
            body = body.set_end_time(when("end_time", end, at)?);
        }
        if let Some(owner) = owner {
            body = body.set_owner_id(owner);
        }
        let request = ApplyReserveRequest::from_body(body);
        request
            .validate(&self.context(at))
            .map_err(|v| violations_result(&v))?;
        let shown_key = key.as_str().to_owned();
        if args.dry_run {
            return Ok(Json(Booking {
                dry_run: true,
                key: shown_key,
                reservation: None,
            }));
        }
        let (record, failure) = self
            .ledger
            .book_with_error(key.clone(), request, BookOptions::default())
            .await
            .map_err(|e| book_error(&e))?;
        match (record.state, failure) {
            (State::Unknown, _) => Err(error(format!(
                "outcome unknown: the booking under key `{key}` may or may not exist on Feishu; do not book it under another key, ask the user to check"
            ))),
            (State::Booked, _) => Ok(Json(Booking {
                dry_run: false,
                key: shown_key,
                reservation: Some(view(&record)),
            })),
            (_, Some(e)) => Err(sdk_error(&e)),
            (_, None) => Err(error(format!(
                "key `{key}` is {}{}; give another key to book a new meeting",
                record.state,
                record
                    .refusal
                    .map(|r| format!(": {}", r.message))
                    .unwrap_or_default()
            ))),
        }
    }

    /// Reads a reservation from Feishu and gives what the ledger then knows of it.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    pub async fn get_reservation(
        &self,
        Parameters(args): Parameters<ReservationArgs>,
    ) -> Result<Json<ReservationView>, CallToolResult> {
        let record = self
            .ledger
            .refresh(&ReserveId::from(args.reserve_id))
            .await
            .map_err(|e| book_error(&e))?;
        Ok(Json(view(&record)))
    }

    /// Renews (or shortens) a reservation to a new expiry, keeping its meeting number.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn renew_reservation(
        &self,
        Parameters(args): Parameters<RenewArgs>,
    ) -> Result<Json<ReservationView>, CallToolResult> {
        self.update_reservation(Parameters(UpdateArgs {
            reserve_id: args.reserve_id,
            topic: None,
            password: None,
            end_time: Some(args.end_time),
            dry_run: args.dry_run,
        }))
        .await
    }

    /// Changes a reservation's topic, password or expiry; what is not given stays. Its meeting
    /// number stays the same.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn update_reservation(
        &self,
        Parameters(args): Parameters<UpdateArgs>,
    ) -> Result<Json<ReservationView>, CallToolResult> {
        if args.topic.is_none() && args.password.is_none() && args.end_time.is_none() {
            return Err(error(
                "nothing to change: give topic, password or end_time; nothing sent",
            ));
        }
        let now = self.ledger.now();
        let id = ReserveId::from(args.reserve_id);
        let mut body = UpdateReserveBody::default();
        if let Some(end) = &args.end_time {
            body = body.set_end_time(when("end_time", end, now)?);
        }
        if args.topic.is_some() || args.password.is_some() {
            body = body.set_meeting_settings(settings_of(args.topic, args.password));
        }
        let request = UpdateReserveRequest::from_body(id.clone(), body);
        request
            .validate(&self.context(now))
            .map_err(|v| violations_result(&v))?;
        if args.dry_run {
            let mut shown = view(&self.recorded(&id).await?);
            if let Some(end) = request.body.end_time {
                shown.end_time = end.unix_seconds();
            }
            return Ok(Json(shown));
        }
        let record = self
            .ledger
            .update(&id, request.body)
            .await
            .map_err(|e| book_error(&e))?;
        Ok(Json(view(&record)))
    }

    /// Cancels (deletes) a reservation for good; its meeting number is released.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn cancel_reservation(
        &self,
        Parameters(args): Parameters<ReservationArgs>,
    ) -> Result<Json<ReservationView>, CallToolResult> {
        let id = ReserveId::from(args.reserve_id);
        if args.dry_run {
            return Ok(Json(view(&self.recorded(&id).await?)));
        }
        let record = self.ledger.cancel(&id).await.map_err(|e| book_error(&e))?;
        Ok(Json(view(&record)))
    }

    /// The meeting in progress for a reservation, if any: its number, link, status, start and
    /// how many are in it (who, with with_participants).
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    pub async fn active_meeting(
        &self,
        Parameters(args): Parameters<MeetingArgs>,
    ) -> Result<Json<ActiveMeeting>, CallToolResult> {
        let answer = self
            .ledger
            .client()
            .reserves()
            .get_active_meeting(ReserveId::from(args.reserve_id))
            .set_with_participants(args.with_participants)
            .await
            .map_err(|e| sdk_error(&e))?;
        Ok(Json(ActiveMeeting {
            meeting: answer.data.meeting.as_ref().map(meeting_view),
        }))
    }

    /// The meetings a reservation held: when each started and ended, who was in it and for how
    /// long, and its recording's link. For reservations booked through this server's ledger.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    pub async fn meeting_report(
        &self,
        Parameters(args): Parameters<ReportArgs>,
    ) -> Result<Json<ReportView>, CallToolResult> {
        let report = self
            .ledger
            .report(&ReserveId::from(args.reserve_id))
            .await
            .map_err(|e| book_error(&e))?;
        Ok(Json(report_view(&report)))
    }

    /// Lists the reservations booked through this server's ledger.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    pub async fn list_reservations(&self) -> Result<Json<ReservationList>, CallToolResult> {
        let records = self
            .ledger
            .store()
            .list(&RecordFilter::default())
            .await
            .map_err(|e| store_error(&e))?;
        Ok(Json(ReservationList {
            reservations: records.iter().map(view).collect(),
        }))
    }
}

/// What the server tells an agent when the session starts.
const INSTRUCTIONS: &str = "Books and manages Feishu / Lark meeting reservations. Every change is \
validated before it is sent; an invalid call is an error result with one line per field to fix. \
book_meeting books once per key: repeat a call with the same key (or the same arguments and no \
key) and you get the first booking back, never a second meeting. Times are ISO 8601 with an \
offset, unix seconds, or relative (+2h). Pass dry_run to see what a change would do.";

// The served router is this value's (with the routes `read_only` disabled), not a fresh one.
#[tool_handler(router = self.tool_router)]
impl ServerHandler for VcTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("feishu-vc", env!("CARGO_PKG_VERSION"))
                    .with_title("Feishu / Lark meeting reservations"),
            )
            .with_instructions(INSTRUCTIONS)
    }
}

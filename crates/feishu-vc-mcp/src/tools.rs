//! The tools: their arguments and answers (schemas through schemars) and what each does.

use feishu_vc::model::{
    ApplyReserveBody, ApplyReserveRequest, ReserveId, ReserveMeetingSetting, TokenKind,
};
use feishu_vc::validate::{Context, Validate};
use feishu_vc_ledger::{BookError, BookOptions, IntentKey, Ledger, Record, RecordFilter, State};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::schemars::JsonSchema;
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};

use crate::when::parse_when;

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

/// Arguments of `book_meeting`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct BookArgs {
    /// Idempotency key: the same key again returns the first booking and books nothing. Use one
    /// key per meeting you mean to book.
    pub key: String,
    /// Meeting topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// Reservation expiry: ISO 8601 (2026-11-24T10:00:00+08:00), unix seconds, or relative to now
    /// (+90m, +2h, +7d); at most 30 days ahead.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Meeting password: empty for none, or 4 to 9 digits; absent lets the owner's settings decide.
    #[serde(default)]
    pub password: Option<String>,
    /// Meeting owner (open_id); required with the app's tenant token unless the server has a
    /// default owner.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Validate and show what would be booked, sending nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A reservation, by id.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReservationArgs {
    /// The reservation id (not the meeting number).
    pub reserve_id: String,
    /// Validate and show what would be done, sending nothing (ignored by reading tools).
    #[serde(default)]
    pub dry_run: bool,
}

/// Arguments of `renew_reservation`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct RenewArgs {
    /// The reservation id.
    pub reserve_id: String,
    /// The new expiry: ISO 8601, unix seconds or relative (+2h); at most 30 days ahead.
    pub end_time: String,
    /// Validate and show what would be done, sending nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A reservation as the ledger knows it. Never carries the meeting password.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReservationView {
    /// The idempotency key it was booked under.
    pub key: String,
    /// booked, unknown, refused, deleted, expired, gone, pending or sending.
    pub state: String,
    /// The reservation id, once booked.
    pub reserve_id: Option<String>,
    /// The 9-digit meeting number, once booked.
    pub meeting_no: Option<String>,
    /// The meeting link, when known.
    pub url: Option<String>,
    /// Expiry, unix seconds.
    pub end_time: i64,
    /// Why it was refused or its outcome is unknown.
    pub note: Option<String>,
}

/// What `book_meeting` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct Booking {
    /// True for a dry run: nothing was sent.
    pub dry_run: bool,
    /// The reservation (absent for a dry run).
    pub reservation: Option<ReservationView>,
}

/// The ledger's reservations.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReservationList {
    /// Oldest first.
    pub reservations: Vec<ReservationView>,
}

fn view(record: &Record) -> ReservationView {
    ReservationView {
        key: record.key().as_str().to_owned(),
        state: record.state.as_str().to_owned(),
        reserve_id: record.reserve_id.as_ref().map(|r| r.as_str().to_owned()),
        meeting_no: record.meeting_no.as_ref().map(|m| m.as_str().to_owned()),
        url: record.url.clone(),
        end_time: record.end_time.unix_seconds(),
        note: record.refusal.as_ref().map(|r| r.message.clone()),
    }
}

fn error(lines: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(lines.into())])
}

fn violations_result(violations: &feishu_vc::validate::Violations) -> CallToolResult {
    let lines: Vec<String> = violations
        .iter()
        .filter(|v| v.is_error())
        .map(|v| format!("{}: {} (code {})", v.path(), v.rule(), v.code().code()))
        .collect();
    error(format!(
        "invalid request, nothing sent:\n{}",
        lines.join("\n")
    ))
}

fn book_error(e: &BookError) -> CallToolResult {
    match e {
        BookError::Sdk(e) => sdk_error(e),
        BookError::Ledger(feishu_vc_ledger::LedgerError::Conflict { key, .. }) => error(format!(
            "key: `{key}` already booked another request; nothing was sent (use another key)"
        )),
        other => error(format!("{other}")),
    }
}

fn sdk_error(e: &feishu_vc::Error) -> CallToolResult {
    if let Some(v) = e.violations() {
        return violations_result(v);
    }
    // The transport's Display scrubs secrets it knows.
    error(e.to_string())
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
        for name in ["book_meeting", "renew_reservation", "cancel_reservation"] {
            self.tool_router.disable_route(name);
        }
        self
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
        let now = self.ledger.now();
        let mut settings = ReserveMeetingSetting::default();
        if let Some(topic) = args.topic {
            settings = settings.set_topic(topic);
        }
        if let Some(password) = args.password {
            settings = settings.set_password(password);
        }
        let mut body = ApplyReserveBody::new(settings);
        if let Some(end) = &args.end_time {
            let system = std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(now.unix_seconds().max(0).unsigned_abs());
            body = body.set_end_time(
                parse_when(end, system).map_err(|e| error(format!("end_time: {e}")))?,
            );
        }
        if let Some(owner) = args.owner_id.or_else(|| self.owner.clone()) {
            body = body.set_owner_id(owner);
        }
        let request = ApplyReserveRequest::from_body(body);
        let kind = self
            .ledger
            .client()
            .transport()
            .token_kind(&feishu_vc::CallOptions::new())
            .unwrap_or(TokenKind::Tenant);
        request
            .validate(&Context::new(kind).at(now))
            .map_err(|v| violations_result(&v))?;
        if args.dry_run {
            return Ok(Json(Booking {
                dry_run: true,
                reservation: None,
            }));
        }
        let key = IntentKey::new(args.key);
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
                reservation: Some(view(&record)),
            })),
            (_, Some(e)) => Err(sdk_error(&e)),
            (_, None) => Err(error(format!(
                "key `{key}` is {}: {}",
                record.state,
                record.refusal.map(|r| r.message).unwrap_or_default()
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
        let now = self.ledger.now();
        let system = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(now.unix_seconds().max(0).unsigned_abs());
        let end =
            parse_when(&args.end_time, system).map_err(|e| error(format!("end_time: {e}")))?;
        let id = ReserveId::from(args.reserve_id);
        let request = feishu_vc::model::UpdateReserveRequest::from_body(
            id.clone(),
            feishu_vc::model::UpdateReserveBody::default().set_end_time(end),
        );
        request
            .validate(&Context::new(TokenKind::Tenant).at(now))
            .map_err(|v| violations_result(&v))?;
        if args.dry_run {
            let record = self
                .ledger
                .store()
                .by_reserve_id(&id)
                .await
                .map_err(|e| error(e.to_string()))?
                .ok_or_else(|| error(format!("reserve_id: `{id}` is not in the ledger")))?;
            let mut shown = view(&record);
            shown.end_time = end.unix_seconds();
            return Ok(Json(shown));
        }
        let record = self
            .ledger
            .renew(&id, end)
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
            let record = self
                .ledger
                .store()
                .by_reserve_id(&id)
                .await
                .map_err(|e| error(e.to_string()))?
                .ok_or_else(|| error(format!("reserve_id: `{id}` is not in the ledger")))?;
            return Ok(Json(view(&record)));
        }
        let record = self.ledger.cancel(&id).await.map_err(|e| book_error(&e))?;
        Ok(Json(view(&record)))
    }

    /// Lists the reservations booked through this server's ledger.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    pub async fn list_reservations(&self) -> Result<Json<ReservationList>, CallToolResult> {
        let records = self
            .ledger
            .store()
            .list(&RecordFilter::default())
            .await
            .map_err(|e| error(e.to_string()))?;
        Ok(Json(ReservationList {
            reservations: records.iter().map(view).collect(),
        }))
    }
}

#[tool_handler]
impl ServerHandler for VcTools {}

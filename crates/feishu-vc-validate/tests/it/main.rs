//! Integration tests of the validator: a corpus of invalid requests with the exact violations each
//! must produce, requests that must pass, and the shape of the reported violations.
//!
//! Every check runs against a fixed clock ([`NOW`]) so that the `end_time` window is exact.

mod corpus;
mod fast;
mod report;
mod valid;

use feishu_vc_model::{
    ApplyReserveBody, ApplyReserveRequest, DeleteReserveRequest, GetActiveMeetingRequest,
    GetReserveRequest, Timestamp, UpdateReserveRequest,
};
use feishu_vc_validate::{Context, TokenKind, Validate, Violation};
use serde_json::{Value, json};

/// The fixed clock every test checks against.
const NOW: i64 = 1_700_000_000;

/// 30 days, in seconds: the farthest `end_time` may be ahead of now.
const THIRTY_DAYS: i64 = 2_592_000;

/// The open_id used throughout Lark's examples.
const OWNER: &str = "ou_3ec3f6a28a0d08c45d895276e8e5e19b";

/// The context of a call made with `token` at [`NOW`].
fn ctx(token: TokenKind) -> Context {
    Context::new(token).at(Timestamp::from_unix_seconds(NOW))
}

/// The context of a call made with a tenant token at [`NOW`].
fn tenant() -> Context {
    ctx(TokenKind::Tenant)
}

/// `NOW + seconds`.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(NOW + seconds)
}

/// The request body of the seed example (reserve-apply.md), verbatim but for `end_time`, which is
/// moved into the booking window (an hour after [`NOW`]).
fn seed_json() -> Value {
    json!({
        "end_time": (NOW + 3600).to_string(),
        "owner_id": OWNER,
        "meeting_settings": {
            "topic": "my meeting",
            "action_permissions": [
                {
                    "permission": 1,
                    "permission_checkers": [
                        {
                            "check_field": 1,
                            "check_mode": 1,
                            "check_list": [OWNER]
                        }
                    ]
                }
            ],
            "meeting_initial_type": 1,
            "meeting_connect": true,
            "call_setting": {
                "callee": {
                    "id": OWNER,
                    "user_type": 1,
                    "pstn_sip_info": {
                        "nickname": "dodo",
                        "main_address": "+86-02187654321"
                    }
                }
            },
            "auto_record": true,
            "assign_host_list": [
                {
                    "user_type": 1,
                    "id": OWNER
                }
            ],
            "password": "971024"
        }
    })
}

/// Decodes an apply body from JSON and wraps it in a request.
fn apply_from_json(body: Value) -> ApplyReserveRequest {
    let body: ApplyReserveBody = serde_json::from_value(body).expect("the body decodes");
    ApplyReserveRequest::from_body(body)
}

/// The seed request of reserve-apply.md, with `end_time` an hour after [`NOW`].
fn seed() -> ApplyReserveRequest {
    apply_from_json(seed_json())
}

/// The seed request after `edit` changed its JSON body.
fn seed_with(edit: impl FnOnce(&mut Value)) -> ApplyReserveRequest {
    let mut body = seed_json();
    edit(&mut body);
    apply_from_json(body)
}

/// A request of any reserve operation.
#[derive(Clone, Debug)]
enum Req {
    Apply(ApplyReserveRequest),
    Update(UpdateReserveRequest),
    Get(GetReserveRequest),
    Delete(DeleteReserveRequest),
    GetActiveMeeting(GetActiveMeetingRequest),
}

impl Req {
    fn violations(&self, ctx: &Context) -> Vec<Violation> {
        match self {
            Self::Apply(r) => r.violations(ctx),
            Self::Update(r) => r.violations(ctx),
            Self::Get(r) => r.violations(ctx),
            Self::Delete(r) => r.violations(ctx),
            Self::GetActiveMeeting(r) => r.violations(ctx),
        }
    }

    fn validate(&self, ctx: &Context) -> Result<Vec<Violation>, feishu_vc_validate::Violations> {
        match self {
            Self::Apply(r) => r.validate(ctx),
            Self::Update(r) => r.validate(ctx),
            Self::Get(r) => r.validate(ctx),
            Self::Delete(r) => r.validate(ctx),
            Self::GetActiveMeeting(r) => r.validate(ctx),
        }
    }
}

impl From<ApplyReserveRequest> for Req {
    fn from(r: ApplyReserveRequest) -> Self {
        Self::Apply(r)
    }
}

impl From<UpdateReserveRequest> for Req {
    fn from(r: UpdateReserveRequest) -> Self {
        Self::Update(r)
    }
}

impl From<GetReserveRequest> for Req {
    fn from(r: GetReserveRequest) -> Self {
        Self::Get(r)
    }
}

impl From<DeleteReserveRequest> for Req {
    fn from(r: DeleteReserveRequest) -> Self {
        Self::Delete(r)
    }
}

impl From<GetActiveMeetingRequest> for Req {
    fn from(r: GetActiveMeetingRequest) -> Self {
        Self::GetActiveMeeting(r)
    }
}

/// `(path, code)` of each violation, in the order reported.
fn pairs(found: &[Violation]) -> Vec<(String, i64)> {
    found
        .iter()
        .map(|v| (v.path().to_owned(), v.code().code()))
        .collect()
}

/// Every violation, one per line, for failure messages.
fn describe(found: &[Violation]) -> String {
    if found.is_empty() {
        return "  (none)".to_owned();
    }
    found
        .iter()
        .map(|v| format!("  {} | {} | {}", v.path(), v.code().code(), v.rule()))
        .collect::<Vec<_>>()
        .join("\n")
}

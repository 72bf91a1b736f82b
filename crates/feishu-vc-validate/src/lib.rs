//! Every documented rule of Feishu / Lark meeting reservations, checked on your machine before
//! anything is sent, each violation carrying the error code the server would have answered.
//!
//! ```
//! use feishu_vc_model::{ApplyReserveRequest, ErrorCode, Password, ReserveMeetingSetting, Timestamp};
//! use feishu_vc_validate::{Context, TokenKind, Validate};
//!
//! let now = Timestamp::from_unix_seconds(1_700_000_000);
//! let request = ApplyReserveRequest::new(
//!     ReserveMeetingSetting::default().set_password(Password::digits("12")),
//! );
//! // A tenant token is used, so `owner_id` is required; a group meeting needs `end_time`;
//! // the password is too short.
//! let err = request.validate(&Context::new(TokenKind::Tenant).at(now)).unwrap_err();
//! let found: Vec<(&str, ErrorCode)> = err.iter().map(|v| (v.path(), v.code())).collect();
//! assert_eq!(found, [
//!     ("end_time", ErrorCode::ParamError),
//!     ("meeting_settings.password", ErrorCode::InvalidPassword),
//!     ("owner_id", ErrorCode::ParamError),
//! ]);
//! ```
//!
//! Single-field rules (the password's digits, at most 10 hosts, known enum values, required fields)
//! come from the schema through the generator, as `validator` rules on the model's types. Rules that
//! need context (the clock, the kind of token the call will use, other fields) are written here.
//! Nothing in this crate invents a limit Lark does not document.
//!
//! A value Feishu accepts but ignores (`owner_id` with a user token) is reported as a
//! [`Severity::Warning`]: [`Validate::violations`] lists it, [`Validate::validate`] returns it in
//! `Ok` rather than refusing the request.
#![deny(missing_docs)]

mod calendar;
mod context;
mod flatten;
mod meetings;
mod rules;
mod violation;

pub use context::{Context, MAX_AHEAD};
pub use feishu_vc_model::TokenKind;
pub use meetings::MAX_PAGE_SIZE;
pub use violation::{Severity, Violation, Violations};

/// Implemented by the request type of every operation feishu-vc sends (reserves, meetings,
/// recordings).
pub trait Validate {
    /// Every rule the request breaks, in path order, warnings included; empty when it may be
    /// sent as it is.
    fn violations(&self, ctx: &Context) -> Vec<Violation>;

    /// `Err` with every [`Severity::Error`] violation when Feishu would refuse the request;
    /// otherwise `Ok` with the warnings (values Feishu would ignore), usually none.
    fn validate(&self, ctx: &Context) -> Result<Vec<Violation>, Violations> {
        let (errors, warnings): (Vec<_>, Vec<_>) = self
            .violations(ctx)
            .into_iter()
            .partition(Violation::is_error);
        if errors.is_empty() {
            Ok(warnings)
        } else {
            Err(Violations::new(errors))
        }
    }
}

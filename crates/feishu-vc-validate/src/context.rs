//! What a rule may depend on besides the request: the token kind and the clock.

use std::time::Duration;

use feishu_vc_model::{Timestamp, TokenKind};

/// How far ahead a reservation may expire: 30 days (支持预约最近30天内的会议).
pub const MAX_AHEAD: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The context a request is checked in.
///
/// `end_time` must be after [`Context::now`] and at most [`MAX_AHEAD`] after it: exactly 30 days
/// ahead is accepted, one second more is not; `end_time` equal to now is refused. The clock is the
/// system's unless [`Context::at`] injects one; keep some slack for the time the request takes to
/// reach Feishu when booking close to either edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    token: TokenKind,
    now: Timestamp,
}

impl Context {
    /// A context for a call made with `token`, at the current system time.
    pub fn new(token: TokenKind) -> Self {
        Self {
            token,
            now: Timestamp::now(),
        }
    }

    /// The same context, with the clock set to `now`.
    pub fn at(mut self, now: impl Into<Timestamp>) -> Self {
        self.now = now.into();
        self
    }

    /// The kind of token the call will use.
    pub fn token(&self) -> TokenKind {
        self.token
    }

    /// The time rules are checked against.
    pub fn now(&self) -> Timestamp {
        self.now
    }
}

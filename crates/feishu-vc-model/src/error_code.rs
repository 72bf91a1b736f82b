//! What a client does with an error code: the hand-written half of the generated [`ErrorCode`].

use crate::ErrorCode;

impl ErrorCode {
    /// The API rejected the access token (99991663, 99991664, 99991671): a cached token should be
    /// dropped and the call replayed once with a fresh one.
    pub fn is_token_rejected(self) -> bool {
        matches!(
            self,
            Self::AccessTokenInvalid | Self::AppAccessTokenInvalid | Self::AccessTokenFormatError
        )
    }

    /// The API refused a user_access_token as expired (99991677) or invalid (99991668): a
    /// refreshable user token should be refreshed and the call replayed once.
    pub fn is_user_token_rejected(self) -> bool {
        matches!(
            self,
            Self::UserAccessTokenExpired | Self::UserAccessTokenInvalid
        )
    }

    /// The call was throttled (99991400, or Calendar's 190004, 190005 and 190010): wait as the
    /// `x-ogw-ratelimit-reset` header says.
    pub fn is_rate_limited(self) -> bool {
        matches!(
            self,
            Self::RateLimited
                | Self::CalendarMethodRateLimited
                | Self::CalendarAppRateLimited
                | Self::CalendarOperationRateLimited
        )
    }

    /// A server-side fault (121001, Calendar's 190003) that may pass on a retry of an
    /// idempotent call.
    pub fn is_server_fault(self) -> bool {
        matches!(self, Self::InternalError | Self::CalendarInternalError)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.msg() {
            Some(msg) => write!(f, "{} ({msg})", self.code()),
            None => write!(f, "{}", self.code()),
        }
    }
}

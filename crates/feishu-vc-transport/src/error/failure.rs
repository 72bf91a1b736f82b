//! Failures below HTTP: connecting, a timeout, a broken connection, and what the error chain
//! says failed.

use std::fmt;

use crate::BoxError;

/// A failure below HTTP: connecting, a timeout, a broken connection.
#[derive(Debug)]
pub struct Failure {
    pub(crate) target: String,
    pub(crate) host: String,
    pub(crate) kind: FailureKind,
    pub(crate) attempts: u32,
    pub(crate) source: Option<BoxError>,
}

impl Failure {
    /// A failure of `target` (`METHOD path`) on `host`, classified from `source`'s chain. The
    /// source is kept without its URL, whose query may carry what should not be logged.
    pub(crate) fn of(target: String, host: String, attempts: u32, source: reqwest::Error) -> Self {
        Self {
            target,
            host,
            kind: FailureKind::of(&source),
            attempts,
            source: Some(Box::new(source.without_url())),
        }
    }

    /// `METHOD path` of the call.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The host (and port, when the base URL names one) the call went to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// What failed: DNS, a refused connection, TLS, a timeout, a reset connection.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// What failed below HTTP, as far as the error chain tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The host name could not be resolved.
    Dns,
    /// The host refused the connection: nothing listens on that port.
    Refused,
    /// The TLS handshake failed: not TLS on that port, or a certificate that is not trusted.
    Tls,
    /// Connecting or waiting for the answer took too long.
    Timeout,
    /// The connection was reset, or closed before the answer was complete.
    Reset,
    /// Any other failure; the `source()` chain says more.
    Other,
}

impl FailureKind {
    /// Classifies a failure by walking its `source()` chain, and into `io::Error`s, which hide
    /// what they wrap from that chain.
    fn of(error: &reqwest::Error) -> Self {
        let mut kind = if error.is_timeout() {
            Self::Timeout
        } else {
            Self::Other
        };
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = next {
            if let Some(found) = Self::of_one(e).filter(|_| kind == Self::Other) {
                kind = found;
            }
            next = e.source().or_else(|| {
                let io = e.downcast_ref::<std::io::Error>()?;
                io.get_ref().map(|inner| inner as _)
            });
        }
        kind
    }

    /// What one error of the chain says, if anything.
    fn of_one(e: &(dyn std::error::Error + 'static)) -> Option<Self> {
        use std::io::ErrorKind;
        #[cfg(feature = "rustls")]
        if e.is::<rustls::Error>() {
            return Some(Self::Tls);
        }
        #[cfg(feature = "native-tls")]
        if e.is::<native_tls::Error>() {
            return Some(Self::Tls);
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return Some(Self::Timeout);
            }
            if h.is_incomplete_message() || h.is_canceled() {
                return Some(Self::Reset);
            }
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => return Some(Self::Refused),
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => return Some(Self::Reset),
                ErrorKind::TimedOut => return Some(Self::Timeout),
                _ => {}
            }
        }
        // The resolver's errors have no public type; hyper-util and the system name them so.
        let text = e.to_string().to_ascii_lowercase();
        let dns = [
            "dns error",
            "error resolving dns",
            "failed to lookup address",
        ];
        dns.iter()
            .any(|needle| text.contains(needle))
            .then_some(Self::Dns)
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dns => "the host name could not be resolved (DNS)",
            Self::Refused => "the connection was refused",
            Self::Tls => "the TLS handshake failed",
            Self::Timeout => "timed out",
            Self::Reset => "the connection was reset or closed early",
            Self::Other => "network error",
        })
    }
}

//! A loopback server answering every request with a large HTML page (a proxy's error page), and
//! the process's memory figures. Shared by the `big_answer` test and the `big_answer` bench, which
//! also include the transport tests' `raw_server.rs` as `raw_server`.

use std::time::{Duration, Instant};

/// One line of the page, repeated to any size: the server never holds more than 64 KiB of it.
const LINE: &[u8] = b"<p>502 Bad Gateway: the upstream server did not answer in time.</p>\n";

/// Starts the server on 127.0.0.1:0 and returns its base URL. Each answer is `HTTP 502` with
/// `body_len` bytes of HTML; with `announce`, its `Content-Length` says so, otherwise the body
/// ends when the connection closes.
pub(crate) async fn start(body_len: u64, announce: bool) -> String {
    let length = if announce {
        format!("content-length: {body_len}\r\n")
    } else {
        String::new()
    };
    let head = format!(
        "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\nconnection: close\r\n{length}"
    );
    crate::raw_server::raw_server(head, LINE, body_len).await.0
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`), where there is one (Linux).
pub(crate) fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// What running something cost.
#[derive(Debug)]
pub(crate) struct Cost {
    /// Wall time.
    pub(crate) elapsed: Duration,
    /// How far the peak resident set (`VmHWM`) rose above the resident set before the run.
    pub(crate) peak_rss_growth: u64,
}

/// Runs `f`, measuring its time and how much it raised the process's peak memory. The peak is reset
/// first (`/proc/self/clear_refs`), so earlier work does not hide the figure.
pub(crate) fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak RSS (Linux only)");
    let before = status_bytes("VmRSS").expect("VmRSS");
    let started = Instant::now();
    let out = f();
    let elapsed = started.elapsed();
    let peak = status_bytes("VmHWM").expect("VmHWM");
    (
        out,
        Cost {
            elapsed,
            peak_rss_growth: peak.saturating_sub(before),
        },
    )
}

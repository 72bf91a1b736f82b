//! A loopback HTTP server written by hand, shared by the tests of feishu-vc-transport and the
//! `big_answer` test and bench of the feishu-vc facade (included there by path).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A loopback HTTP server written by hand, for answers wiremock cannot give: bodies far larger
/// than any test should hold in memory, a `Content-Length` that announces more than is sent.
///
/// Each connection's request is read (head and `Content-Length` body), then `head` is written
/// (status line and headers, without the blank line), then `body_len` bytes cycling through
/// `fill`, then the connection is closed. Returns the base URL and the count of requests.
pub(crate) async fn raw_server(
    head: String,
    fill: &'static [u8],
    body_len: u64,
) -> (String, Arc<AtomicUsize>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let head = head.clone();
            tokio::spawn(async move {
                if read_request(&mut stream).await.is_err() {
                    return;
                }
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(b"\r\n").await;
                // A buffer of a few KiB, written again and again: the server holds no large body.
                let chunk: Vec<u8> = fill.iter().copied().cycle().take(64 << 10).collect();
                let mut left = body_len;
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    if stream.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    left -= n as u64;
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), requests)
}

/// Reads one request: its head up to the blank line, then its `Content-Length` body.
async fn read_request(stream: &mut tokio::net::TcpStream) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    let end = loop {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&byte[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - end;
    while have < length {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Ok(())
}

#![doc = include_str!("../README.md")]
// A test harness: failing loudly on a broken setup is its job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use liangxin_sdk::rpc::RpcError;
use liangxin_types::Uscc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use liangxin_testnet::net;
pub use liangxin_testnet::process::{NodeProcess as DevNode, START_TIMEOUT, bin, bin_dir};

/// Runs the `liangxin` CLI with `args` against `rpc_url` and returns its output.
pub fn cli(rpc_url: &str, args: &[&str]) -> Output {
    Command::new(bin("liangxin"))
        .arg("--rpc")
        .arg(rpc_url)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run liangxin")
}

/// Runs the CLI and returns stdout, failing the test with stderr if it failed.
pub fn cli_ok(rpc_url: &str, args: &[&str]) -> String {
    let out = cli(rpc_url, args);
    assert!(
        out.status.success(),
        "liangxin {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Polls `f` (every 20 ms) until it gives `Some`, and fails the test naming `what` if that
/// takes longer than `timeout`. The way to wait for the node: never a bare sleep.
pub async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A USCC with the right check character: `first17` followed by its check character.
pub fn uscc(first17: &str) -> Uscc {
    let c = liangxin_types::uscc::check_char(first17)
        .unwrap_or_else(|| panic!("{first17:?} is not 17 USCC characters"));
    Uscc::parse(&format!("{first17}{c}")).unwrap()
}

/// A USCC whose check character is wrong (well-formed otherwise), and the right one.
pub fn uscc_with_bad_check(first17: &str) -> (Uscc, char) {
    let right = liangxin_types::uscc::check_char(first17).unwrap();
    let wrong = if right == '0' { '1' } else { '0' };
    let u = Uscc::parse_override(&format!("{first17}{wrong}")).unwrap();
    assert!(!u.check_ok());
    (u, right)
}

/// The JSON-RPC code of an SDK error, and for a rejected transaction (code 1002) the
/// rejection's own code and message. Fails the test for a transport error.
pub fn rpc_error(e: &liangxin_sdk::Error) -> (i32, Option<u16>, String) {
    match e {
        liangxin_sdk::Error::Rpc(r) => match r {
            RpcError::Rejected { rejection, .. } => {
                (r.code(), Some(rejection.code), rejection.message.clone())
            }
            other => (other.code(), None, other.to_string()),
        },
        other => panic!("expected a JSON-RPC error object, got {other}"),
    }
}

/// An HTTP response read off the wire.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as JSON (fails the test if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "HTTP {} body is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error.code` of a single JSON-RPC error response.
    pub fn error_code(&self) -> i64 {
        let v = self.json();
        v["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("not a JSON-RPC error response: {v}"))
    }
}

/// POSTs `body` as `application/json` to `addr` (`host:port`) over a fresh loopback TCP
/// connection with a hand-written HTTP/1.1 request, so that any bytes at all can be sent.
/// The body is written while the response is read (a server may answer and close before it
/// has read a large body). If the connection is reset before a whole response arrived (a
/// server closing on unread request bytes makes the kernel send a reset, which may overtake
/// the answer), the request is sent again, at most five times. Bounded by 30 s.
pub async fn http_post(addr: &str, body: &[u8]) -> HttpResponse {
    let fut = async {
        let mut last = String::new();
        for _ in 0..5 {
            match try_http_post(addr, body).await {
                Ok(r) => return r,
                Err(e) => last = e,
            }
        }
        panic!("no complete HTTP response from {addr} in five attempts: {last}");
    };
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .expect("HTTP request timed out")
}

async fn try_http_post(addr: &str, body: &[u8]) -> Result<HttpResponse, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let writer = tokio::spawn(async move {
        // The server may close early (e.g. a body above its limit): not an error here.
        let _ = wr.write_all(&request).await;
        let _ = wr.flush().await;
        wr
    });
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut reset = None;
    loop {
        match rd.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) => {
                reset = Some(e);
                break;
            }
        }
    }
    drop(writer.await);
    parse_http_response(&raw).ok_or_else(|| {
        format!(
            "incomplete response ({} bytes{})",
            raw.len(),
            reset.map(|e| format!(", {e}")).unwrap_or_default()
        )
    })
}

/// A whole HTTP/1.1 response (status line, headers, a body of its `Content-Length` or a
/// complete chunked body), or `None` if `raw` is cut short.
fn parse_http_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())?;
    let mut chunked = false;
    let mut length = None;
    for l in lines {
        let l = l.to_ascii_lowercase();
        if let Some(v) = l.strip_prefix("transfer-encoding:") {
            chunked |= v.contains("chunked");
        } else if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    if !chunked {
        return match length {
            Some(n) if rest.len() >= n => Some(HttpResponse {
                status,
                body: rest[..n].to_vec(),
            }),
            Some(_) => None,
            // No length: the body runs to the end of the connection.
            None => Some(HttpResponse {
                status,
                body: rest.to_vec(),
            }),
        };
    }
    let mut body = Vec::new();
    let mut rest = rest;
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_line = String::from_utf8_lossy(&rest[..eol]).to_string();
        let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Some(HttpResponse { status, body });
        }
        if rest.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

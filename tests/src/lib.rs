#![doc = include_str!("../README.md")]
// A test harness: failing loudly on a broken setup is its job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use liangxin_sdk::rpc::RpcError;
use liangxin_types::Uscc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub mod net;

/// How long a node may take to start (open RocksDB, replay nothing, bind).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The directory holding the workspace's binaries (`target/<profile>`), found from this test
/// executable's path (`target/<profile>/deps/<test>`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("deps dir");
    if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent().expect("profile dir").to_path_buf()
    } else {
        deps.to_path_buf()
    }
}

/// The path of a workspace binary (`liangxin-node`, `liangxin`). `cargo test --workspace`
/// builds them (the node and sdk packages have integration tests, which makes cargo build
/// their binaries); a clear message otherwise.
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p liangxin-node -p liangxin-sdk` (or the workspace \
         tests) first",
        path.display()
    );
    path
}

/// A `liangxin-node dev` process on loopback ports chosen by the OS.
pub struct DevNode {
    /// Its home directory.
    pub home: PathBuf,
    /// Its RPC URL (`http://127.0.0.1:PORT`).
    pub rpc_url: String,
    child: Option<Child>,
    log: PathBuf,
}

impl DevNode {
    /// Starts `liangxin-node dev --home HOME` with RPC on a free port and metrics off (or on
    /// a free port with `metrics`), and waits (bounded) for its ready line.
    pub fn start(home: &Path, extra: &[&str]) -> DevNode {
        let os = |s: &'static str| std::ffi::OsStr::new(s);
        let mut args = vec![os("dev"), os("--home"), home.as_os_str()];
        args.extend(
            [
                "--rpc-listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ]
            .map(os),
        );
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        DevNode::spawn(home, &args)
    }

    /// Starts `liangxin-node ARGS` (its log in `home`) and waits (bounded) for its ready line.
    pub fn spawn(home: &Path, args: &[&std::ffi::OsStr]) -> DevNode {
        std::fs::create_dir_all(home).unwrap();
        let log = home.join(format!(
            "node-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let stderr = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(bin("liangxin-node"))
            .args(args)
            // LX_NODE_LOG (e.g. `liangxin_node=debug`) for a test that needs the nodes' detail.
            .env(
                "RUST_LOG",
                std::env::var("LX_NODE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start liangxin-node");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let rpc_url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("liangxin-node ready: rpc ") {
                        break rest.split_whitespace().next().unwrap().to_string();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "liangxin-node did not become ready within {START_TIMEOUT:?}; log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
            }
        };
        DevNode {
            home: home.to_path_buf(),
            rpc_url,
            child: Some(child),
            log,
        }
    }

    /// Kills the process with SIGKILL (no clean shutdown) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the process with SIGTERM and waits (bounded) for a clean exit; returns whether
    /// it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let Some(mut c) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = c.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The node's log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `host:port` the RPC server listens on.
    pub fn rpc_addr(&self) -> &str {
        self.rpc_url
            .strip_prefix("http://")
            .unwrap_or(&self.rpc_url)
            .trim_end_matches('/')
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        self.kill();
    }
}

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

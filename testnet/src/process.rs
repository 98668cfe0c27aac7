//! Node processes: find the workspace's binaries, start `liangxin-node` with its log in its
//! home directory, wait (bounded) for its ready line, stop it. A harness: a broken setup panics
//! with what went wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
pub struct NodeProcess {
    /// Its home directory.
    pub home: PathBuf,
    /// Its RPC URL (`http://127.0.0.1:PORT`).
    pub rpc_url: String,
    /// Its metrics listener (`127.0.0.1:PORT`), unless metrics are off.
    pub metrics_addr: Option<String>,
    child: Option<Child>,
    log: PathBuf,
}

impl NodeProcess {
    /// Starts `liangxin-node dev --home HOME` with RPC on a free port and metrics off (or on
    /// a free port with `metrics`), and waits (bounded) for its ready line.
    pub fn start(home: &Path, extra: &[&str]) -> NodeProcess {
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
        NodeProcess::spawn(home, &args)
    }

    /// Starts `liangxin-node ARGS` (its log in `home`) and waits (bounded) for its ready line.
    pub fn spawn(home: &Path, args: &[&std::ffi::OsStr]) -> NodeProcess {
        std::fs::create_dir_all(home).unwrap();
        let log = home.join(format!(
            "node-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let stderr = std::fs::File::create(&log).unwrap();
        // Stdout goes to a file too (not a pipe): a node outlives a `liangxin-testnet up`
        // that started it, and must never write into a closed pipe.
        let out_path = log.with_extension("stdout");
        let stdout = std::fs::File::create(&out_path).unwrap();
        let mut child = Command::new(bin("liangxin-node"))
            .args(args)
            // LX_NODE_LOG (e.g. `liangxin_node=debug`) for a test that needs the nodes' detail.
            .env(
                "RUST_LOG",
                std::env::var("LX_NODE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start liangxin-node");
        // Bounded wait for the ready line (or for the process to exit).
        let deadline = Instant::now() + START_TIMEOUT;
        let (rpc_url, metrics_addr) = loop {
            let text = std::fs::read_to_string(&out_path).unwrap_or_default();
            // `liangxin-node ready: rpc URL metrics http://ADDR/metrics` (or `metrics off`).
            if let Some(rest) = text
                .lines()
                .find_map(|l| l.strip_prefix("liangxin-node ready: rpc "))
            {
                let mut words = rest.split_whitespace();
                let url = words.next().unwrap_or_default().to_string();
                let metrics = words
                    .nth(1)
                    .and_then(|m| m.strip_prefix("http://"))
                    .and_then(|m| m.strip_suffix("/metrics"))
                    .map(str::to_string);
                break (url, metrics);
            }
            let exited = matches!(child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "liangxin-node {} within {START_TIMEOUT:?}; log:\n{}",
                    if exited {
                        "exited before it was ready"
                    } else {
                        "did not become ready"
                    },
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        NodeProcess {
            home: home.to_path_buf(),
            rpc_url,
            metrics_addr,
            child: Some(child),
            log,
        }
    }

    /// Lets the process run on after this handle is gone; returns its pid.
    pub fn detach(mut self) -> Option<u32> {
        self.child.take().map(|c| c.id())
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

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

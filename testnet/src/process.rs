//! Node processes: find the workspace's binaries, start `liangxin-node` with its log in its
//! home directory, wait (bounded) for its ready line, stop it. A harness: a broken setup panics
//! with what went wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
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
        NodeProcess {
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

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

//! A short chaos run (CI's version of `liangxin-testnet chaos`): four validators under load
//! while validators are killed, restarted, paused and resumed, and have their links cut (one
//! link, or isolated from every peer) and healed, at most one at a time; then
//! nothing answered final is missing, every node holds the same checkpoints, and every
//! checkpoint a node served is consistent with its latest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use liangxin_testnet::chaos::{ChaosConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing_final_and_nodes_agree() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ChaosConfig {
        validators: 4,
        rate: 20,
        duration: Duration::from_secs(20),
        period: Duration::from_secs(2),
        seed: 12,
        dir: dir.path().to_path_buf(),
        settle: Duration::from_secs(60),
    };
    let r = run(&cfg).await.unwrap_or_else(|e| panic!("{e:#}"));
    for e in &r.timeline {
        eprintln!("{:>7} ms  {}", e.at_ms, e.what);
    }
    eprintln!(
        "{} accepted, {} seen final, {} heights, {} served checkpoints checked",
        r.accepted, r.seen_final, r.heights_checked, r.checkpoints_checked
    );
    assert!(r.timeline.len() >= 4, "faults happened: {:?}", r.timeline);
    // Seed 12's schedule has every kind of fault in its first 16 s (the schedule is a function
    // of the seed alone).
    for kind in [
        "kill",
        "restart",
        "pause",
        "resume",
        "cut the link",
        "isolate",
        "heal",
    ] {
        assert!(
            r.timeline.iter().any(|e| e.what.starts_with(kind)),
            "no '{kind}' in the timeline"
        );
    }
    assert!(r.seen_final > 0 && r.heights_checked > 0);
}

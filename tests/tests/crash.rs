//! Crash safety: a `liangxin-node dev` process is killed with SIGKILL at pseudo-random moments
//! while several signers stream `lx_submitAndWait` calls, then restarted. After every restart:
//! every record answered "final" before the crash is present at the same leaf, every
//! checkpoint seen before the crash is still the checkpoint of its height and the new log is
//! consistent with it (consistency proofs verify against checkpoints signed by the
//! validator), and the node serves again.
//!
//! The kill moments come from a seeded generator; the seed is printed, and
//! `LIANGXIN_CRASH_SEED=<seed>` replays a run. `LIANGXIN_CRASH_KILLS` sets the number of kill
//! points (default 20).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use liangxin_contracts::model::Sector;
use liangxin_rpc::dto::{CheckpointInfo, TxStatus};
use liangxin_sdk::builders::{self, InstrumentRegistrationBuilder, OperatorRegistrationBuilder};
use liangxin_sdk::verify::{ValidatorSet, verify_checkpoint, verify_consistency};
use liangxin_sdk::{Client, Signer};
use liangxin_tests::DevNode;
use liangxin_types::uscc::check_char;
use liangxin_types::{Hash, Uscc};

const SIGNERS: usize = 4;

fn uscc(i: usize) -> Uscc {
    let first17 = format!("9135010{:03}MA{:05}", 100 + i, i);
    let c = check_char(&first17).unwrap();
    Uscc::parse(&format!("{first17}{c}")).unwrap()
}

/// A small deterministic generator (SplitMix64), so a failing run replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a client was told: "final at this leaf and height, under this checkpoint".
#[derive(Clone, Debug)]
struct Final {
    leaf_index: u64,
    height: u64,
    round: usize,
}

async fn client(node: &DevNode) -> Client {
    Client::with_timeout(&node.rpc_url, Duration::from_secs(10)).unwrap()
}

/// Submits instrument registrations from `signer` until the node goes away (or `deadline`),
/// returning every answer "final" it got.
async fn stream(
    url: String,
    signer: Signer,
    owner: Uscc,
    tag: String,
    deadline: Instant,
) -> Vec<(Hash, Final, CheckpointInfo)> {
    let c = Client::with_timeout(&url, Duration::from_secs(10)).unwrap();
    let mut out = Vec::new();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let id = builders::instrument(owner.clone(), "9.1", &format!("{tag}-{n}")).unwrap();
        let record = InstrumentRegistrationBuilder::new(id, "DJY-2226")
            .build()
            .unwrap();
        match c
            .submit_and_wait(&signer, &record, Duration::from_secs(5))
            .await
        {
            Ok(fin) => {
                assert_eq!(fin.status, TxStatus::Final);
                out.push((
                    fin.tx_id,
                    Final {
                        leaf_index: fin.leaf_index,
                        height: fin.height,
                        round: 0,
                    },
                    fin.checkpoint,
                ));
            }
            // The node was killed (connection refused or reset), or a submission raced
            // another of the same signer: stop; the next round re-reads the sequence.
            Err(_) => break,
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_loses_nothing_final() {
    let seed: u64 = std::env::var("LIANGXIN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let kills: usize = std::env::var("LIANGXIN_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    println!("crash test seed {seed} ({kills} kill points): LIANGXIN_CRASH_SEED={seed} replays");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let args = ["--block-interval-ms", "10"];
    let mut node = DevNode::start(&home, &args);

    // Setup: the regulator registers the operators that will stream records.
    let regulator = Signer::dev("dev-regulator");
    let signers: Vec<Signer> = (0..SIGNERS)
        .map(|i| Signer::dev(&format!("crash-operator-{i}")))
        .collect();
    {
        let c = client(&node).await;
        for (i, s) in signers.iter().enumerate() {
            let r = OperatorRegistrationBuilder::new(
                uscc(i),
                format!("福州市第{i}加油站有限公司"),
                "350102",
                Sector::FuelStation,
                s.public_key(),
            )
            .build()
            .unwrap();
            c.submit_and_wait(&regulator, &r, Duration::from_secs(10))
                .await
                .unwrap();
        }
    }

    let mut finals: BTreeMap<Hash, Final> = BTreeMap::new();
    let mut seen: BTreeMap<u64, (CheckpointInfo, usize)> = BTreeMap::new();
    let mut set: Option<ValidatorSet> = None;
    let started = Instant::now();
    for round in 0..=kills {
        let c = client(&node).await;
        let info = c.chain_info().await.unwrap();
        let set = set.get_or_insert_with(|| ValidatorSet::from_chain_info(&info).unwrap());
        let latest = c.checkpoint(None).await.unwrap();
        let latest_cp = verify_checkpoint(set, &latest).unwrap().checkpoint;

        // Everything answered "final" before is there, at the same place: what the last round
        // was told after each crash, everything at the end.
        let last = round == kills;
        for (id, f) in finals.iter().filter(|(_, f)| last || f.round + 1 == round) {
            let t = c.tx(id).await.unwrap();
            assert_eq!(
                (t.status, t.leaf_index, t.height),
                (TxStatus::Final, Some(f.leaf_index), Some(f.height)),
                "round {round}: tx {id} was answered final at leaf {} height {} (seed {seed})",
                f.leaf_index,
                f.height
            );
        }
        // Every checkpoint seen before is still the one of its height, and the log now is
        // consistent with it.
        for (h, (old, _)) in seen.iter().filter(|(_, (_, r))| last || r + 1 == round) {
            let now = c.checkpoint(Some(*h)).await.unwrap();
            assert_eq!(
                (now.root, now.log_size, now.state_root, now.block_hash),
                (old.root, old.log_size, old.state_root, old.block_hash),
                "round {round}: checkpoint {h} changed after a crash (seed {seed})"
            );
            let old_cp = verify_checkpoint(set, old).unwrap().checkpoint;
            if old_cp.log_size > 0 && old_cp.log_size < latest_cp.log_size {
                let proof = c
                    .consistency_proof(old_cp.log_size, latest_cp.log_size)
                    .await
                    .unwrap();
                verify_consistency(&old_cp, &latest_cp, &proof).unwrap_or_else(|e| {
                    panic!(
                        "round {round}: log not consistent with checkpoint {h}: {e} (seed {seed})"
                    )
                });
            }
        }
        if last {
            break;
        }

        // Load, then a kill at a pseudo-random moment.
        let deadline = Instant::now() + Duration::from_secs(20);
        let tasks: Vec<_> = signers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                tokio::spawn(stream(
                    node.rpc_url.clone(),
                    s.clone(),
                    uscc(i),
                    format!("R{round}S{i}"),
                    deadline,
                ))
            })
            .collect();
        let wait = Duration::from_millis(50 + rng.below(400));
        tokio::time::sleep(wait).await;
        node.kill();
        for t in tasks {
            let got = tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .expect("a submitter did not stop after the kill")
                .unwrap();
            for (id, f, cp) in got {
                seen.entry(cp.height).or_insert((cp, round));
                finals.insert(id, Final { round, ..f });
            }
        }
        node = DevNode::start(&home, &args);
    }
    // The node serves again: a new record becomes final.
    let c = client(&node).await;
    let id = builders::instrument(uscc(0), "9.1", "after-the-crashes").unwrap();
    let r = InstrumentRegistrationBuilder::new(id, "DJY-2226")
        .build()
        .unwrap();
    c.submit_and_wait(&signers[0], &r, Duration::from_secs(10))
        .await
        .unwrap();
    println!(
        "{kills} kill points, {} records answered final and all found after restarts, {} checkpoints \
         checked, {:.1} s",
        finals.len(),
        seen.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        finals.len() >= kills,
        "too few records became final to test anything ({})",
        finals.len()
    );
}

//! The public portal (`docs/portal.md`) in a real browser: a real `liangxin-node dev`, seeded
//! through the SDK, serves the page; headless Chromium driven by Playwright
//! (`tests/portal/browser.mjs`) looks operators up, checks grades and reasons, uploads a
//! certificate file, recomputes a draw, follows the live feed, and sees the red warning when a
//! proxy between it and the node alters one byte of a record, a proof, a checkpoint or a
//! signature. Also here: the verification library's own unit tests (`node --test`) and the
//! check that the checked-in build `node/portal/dist` is what the sources build to.
//!
//! Needs Node.js, Debian's `chromium` and `npm ci` in `node/portal` and `tests/portal`;
//! `.ci/run` installs them. Screenshots go to `target/portal-artefacts/` (or
//! `$LX_PORTAL_ARTEFACTS`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use liangxin_contracts::model::{CommendationLevel, FindingKind, InstrumentId, Sector, Severity};
use liangxin_contracts::records::GovernanceAction;
use liangxin_contracts::{Record, RuleParams};
use liangxin_sdk::builders::{
    self, InspectionResultBuilder, InstitutionRegistrationBuilder, InstrumentRegistrationBuilder,
    OperatorRegistrationBuilder, PenaltyDecisionBuilder, RandomDrawBuilder, SelfCommitmentBuilder,
    VerificationResultBuilder,
};
use liangxin_sdk::rpc::dto::Finalized;
use liangxin_sdk::{Client, Signer};
use liangxin_tests::{DevNode, poll, uscc};
use liangxin_types::Uscc;
use liangxin_types::hash::document_digest;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// What the browser tests need installed, or a message saying how to install it.
fn prerequisites() -> (PathBuf, String) {
    let chromium = std::env::var("LX_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut missing = Vec::new();
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("Node.js (`node`)".to_string());
    }
    if !Path::new(&chromium).exists() {
        missing.push(format!(
            "Chromium at {chromium} (`apt-get install chromium`, or set LX_CHROMIUM)"
        ));
    }
    for dir in ["node/portal", "tests/portal"] {
        if !repo().join(dir).join("node_modules").exists() {
            missing.push(format!("its npm packages (`npm ci` in {dir})"));
        }
    }
    assert!(
        missing.is_empty(),
        "the portal tests need: {}. `.ci/run` installs all of them.",
        missing.join("; ")
    );
    (repo(), chromium)
}

fn run_node(args: &[&str], cwd: &Path, limit: Duration) -> String {
    let started = Instant::now();
    let mut child = Command::new("node")
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    // Bounded: the scripts have their own timeouts; this is the backstop.
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("node {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "node {args:?} failed: {}\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

#[test]
fn portal_library_unit_tests() {
    let (repo, _) = prerequisites();
    let out = run_node(
        &["--test", "test/"],
        &repo.join("node/portal"),
        Duration::from_secs(300),
    );
    assert!(out.contains("# fail 0"), "{out}");
}

#[test]
fn portal_dist_is_built_from_sources() {
    let (repo, _) = prerequisites();
    let out = run_node(
        &["build.mjs", "--check"],
        &repo.join("node/portal"),
        Duration::from_secs(120),
    );
    assert!(out.contains("dist/ matches the sources"), "{out}");
}

struct Ledger {
    client: Client,
}

impl Ledger {
    async fn submit(&self, who: &Signer, record: Record) -> Finalized {
        let kind = record.kind_name();
        self.client
            .submit_and_wait(who, &record, WAIT)
            .await
            .unwrap_or_else(|e| panic!("{kind} was not accepted: {e}"))
    }

    /// Signs `records` with consecutive sequence numbers, submits them all, waits for the last.
    async fn burst(&self, who: &Signer, records: Vec<Record>) -> Finalized {
        let chain = self.client.chain_id().await.unwrap();
        let first = self
            .client
            .account(&who.public_key())
            .await
            .unwrap()
            .pending_next_seq;
        let n = records.len();
        let mut last = None;
        for (i, r) in records.into_iter().enumerate() {
            let tx = who.sign(&chain, first + i as u64, &r).unwrap();
            if i + 1 == n {
                last = Some(self.client.submit_tx_and_wait(&tx, WAIT).await.unwrap());
            } else {
                self.client.submit_tx(&tx).await.unwrap();
            }
        }
        last.unwrap()
    }
}

fn fd(owner: &Uscc, serial: &str) -> InstrumentId {
    builders::instrument(owner.clone(), "9.1", serial).unwrap()
}

fn texts(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_in_a_real_browser() {
    let (repo, chromium) = prerequisites();
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(&dir.path().join("node"), &["--block-interval-ms", "50"]);
    let l = Ledger {
        client: Client::new(&node.rpc_url).unwrap(),
    };
    let regulator = Signer::dev("dev-regulator");

    // ---- seed: an institution, a fuel station with a whole story, a busy market ----------
    // Sample rates of 100% from a governance change, so that the draw below selects every
    // candidate and the browser recomputes a real selection.
    let effective = l.client.chain_info().await.unwrap().height + 12;
    l.submit(
        &regulator,
        builders::governance_proposal(
            GovernanceAction::SetParams(RuleParams {
                sample_rates_ppm: [1_000_000; 4],
                ..RuleParams::default()
            }),
            effective,
            effective,
        ),
    )
    .await;
    let institution = Signer::generate().unwrap();
    l.submit(
        &regulator,
        InstitutionRegistrationBuilder::new(
            "(闽)法计(2026)WEB01号",
            "福建省计量科学研究院",
            texts(&["9.1", "5.1"]),
            institution.public_key(),
        )
        .build()
        .unwrap(),
    )
    .await;
    let station = uscc("91350100MAWEB0001");
    let station_key = Signer::generate().unwrap();
    l.submit(
        &regulator,
        OperatorRegistrationBuilder::new(
            station.clone(),
            "福州市鼓楼区门户测试加油站有限公司",
            "350102",
            Sector::FuelStation,
            station_key.public_key(),
        )
        .build()
        .unwrap(),
    )
    .await;
    l.submit(
        &station_key,
        SelfCommitmentBuilder::new(
            station.clone(),
            document_digest("本单位承诺诚信计量，自觉接受监督。".as_bytes()),
            "营业大厅入口",
        )
        .hotline("0591-12315")
        .build()
        .unwrap(),
    )
    .await;
    let fd1 = fd(&station, "WEB-FD-0001");
    let fd2 = fd(&station, "WEB-FD-0002");
    for (id, island) in [(&fd1, "1号岛"), (&fd2, "2号岛")] {
        l.submit(
            &station_key,
            InstrumentRegistrationBuilder::new(id.clone(), "DJY-222A")
                .location(island)
                .build()
                .unwrap(),
        )
        .await;
    }
    // The certificate is a file the browser will read and hash itself.
    let certificate_bytes = "<dcc:digitalCalibrationCertificate>门户测试 WEB-0001</dcc:digitalCalibrationCertificate>\n".as_bytes();
    let certificate_file = dir.path().join("certificate-WEB-0001.xml");
    std::fs::write(&certificate_file, certificate_bytes).unwrap();
    let unknown_file = dir.path().join("not-on-the-ledger.xml");
    std::fs::write(&unknown_file, b"<dcc>not on the ledger</dcc>\n").unwrap();
    let digest = document_digest(certificate_bytes);
    l.submit(
        &institution,
        VerificationResultBuilder::new(
            fd1.clone(),
            "闽检字〔2026〕第WEB01号",
            digest,
            "JJG 443-2023",
        )
        .build()
        .unwrap(),
    )
    .await;
    l.submit(
        &regulator,
        builders::commendation(station.clone(), CommendationLevel::Provincial, None, None),
    )
    .await;
    let inspection = l
        .submit(
            &regulator,
            InspectionResultBuilder::new(
                station.clone(),
                texts(&["FJ-WEB-001", "FJ-WEB-002"]),
                document_digest(b"inspection report WEB"),
            )
            .items_checked(3u32)
            .finding(FindingKind::Unverified, Some(fd2.clone()), "备案后未检定")
            .build()
            .unwrap(),
        )
        .await;
    let penalty = l
        .submit(
            &regulator,
            PenaltyDecisionBuilder::new(
                station.clone(),
                "榕市监罚〔2026〕WEB1号",
                "使用未经检定的计量器具",
                Severity::Minor,
            )
            .build()
            .unwrap(),
        )
        .await;
    let objection = l
        .submit(
            &station_key,
            builders::objection(penalty.tx_id, "处罚所涉计量器具已送检合格").unwrap(),
        )
        .await;
    l.submit(
        &regulator,
        builders::objection_decision(objection.tx_id, false, "经复核，异议不成立").unwrap(),
    )
    .await;
    l.submit(
        &regulator,
        builders::credit_repair(inspection.tx_id, None, "已完成整改并复查合格").unwrap(),
    )
    .await;

    // A market with 200 entries: registration, 100 scales, 99 verifications.
    let market = uscc("92350100MAWEB0002");
    let market_key = Signer::generate().unwrap();
    l.submit(
        &regulator,
        OperatorRegistrationBuilder::new(
            market.clone(),
            "福州市台江区门户测试农贸市场",
            "350103",
            Sector::MarketStall,
            market_key.public_key(),
        )
        .build()
        .unwrap(),
    )
    .await;
    let scales: Vec<InstrumentId> = (0..100)
        .map(|i| builders::instrument(market.clone(), "5.1", &format!("PS-{i:04}")).unwrap())
        .collect();
    l.burst(
        &market_key,
        scales
            .iter()
            .map(|id| {
                InstrumentRegistrationBuilder::new(id.clone(), "ACS-15")
                    .build()
                    .unwrap()
            })
            .collect(),
    )
    .await;
    l.burst(
        &institution,
        scales[..99]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                VerificationResultBuilder::new(
                    id.clone(),
                    format!("闽检字〔2026〕第PS{i:04}号"),
                    document_digest(format!("scale certificate {i}").as_bytes()),
                    "JJG 539-2016",
                )
                .build()
                .unwrap()
            })
            .collect(),
    )
    .await;

    // A random draw over the city's operators, resolved by the next block's seed, once the
    // sample rates are in effect.
    let client = &l.client;
    poll("the sample rates in effect", WAIT, || async {
        (client.chain_info().await.unwrap().height > effective).then_some(())
    })
    .await;
    let draw = l
        .submit(
            &regulator,
            RandomDrawBuilder::new(
                "3501",
                texts(&["FJ-WEB-001", "FJ-WEB-002", "FJ-WEB-003", "FJ-WEB-004"]),
                "2026年门户测试专项检查",
            )
            .build()
            .unwrap(),
        )
        .await;
    let drawn = poll("the draw's resolution", WAIT, || async {
        client.draw(&draw.tx_id).await.unwrap().resolution
    })
    .await;
    assert_eq!(drawn.targets.len(), 2, "both operators are drawn at 100%");

    // What the page must show, as the node computes it (the SDK verified these paths in the
    // journey test; here the browser verifies them itself).
    let station_info = l.client.operator(&station).await.unwrap();
    let market_info = l.client.operator(&market).await.unwrap();
    assert_eq!(market_info.entries.len(), 200);
    let facts = json!({
        "url": node.rpc_url,
        "chromium": chromium,
        "artefacts": std::env::var("LX_PORTAL_ARTEFACTS").unwrap_or_else(|_| repo.join("target/portal-artefacts").display().to_string()),
        "station": {
            "uscc": station.as_str(),
            "name": "福州市鼓楼区门户测试加油站有限公司",
            "search": "门户测试加油站",
            "grade": station_info.grade.grade,
            "score": station_info.grade.score,
            "reasons": station_info.grade.reasons.iter().map(|r| r.text.clone()).collect::<Vec<_>>(),
            "entries": station_info.entries.len(),
            "instrument": {"owner": station.as_str(), "category": "9.1", "serial": "WEB-FD-0001"},
        },
        "market": {"uscc": market.as_str(), "entries": market_info.entries.len()},
        "certificate": {
            "file": certificate_file.display().to_string(),
            "digest": digest.to_string(),
            "number": "闽检字〔2026〕第WEB01号",
            "unknown_file": unknown_file.display().to_string(),
        },
        "draw": draw.tx_id.to_string(),
    });
    let facts_file = dir.path().join("facts.json");
    std::fs::write(&facts_file, serde_json::to_vec_pretty(&facts).unwrap()).unwrap();

    let out = run_node(
        &["browser.mjs", facts_file.to_str().unwrap()],
        &repo.join("tests/portal"),
        Duration::from_secs(600),
    );
    assert!(out.contains("all portal checks passed"), "{out}");
    drop(node);
}

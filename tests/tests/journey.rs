//! The whole journey over a real `liangxin-node dev` process: every record kind submitted
//! through the SDK in a realistic order, every query answered and checked against the rules of
//! `docs/records.md`, every answer verified by the SDK (checkpoint signatures, inclusion,
//! consistency, draw recomputation), tampered proofs, roots, records and signatures rejected,
//! and part of the journey driven through the real `liangxin` CLI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use liangxin_contracts::genesis::Genesis;
use liangxin_contracts::instruments::InstrumentStatus;
use liangxin_contracts::model::{
    CatalogueItem, CommendationLevel, ControlMode, DAY, FindingKind, Grade, InstrumentId,
    Jurisdiction, RetirementReason, Sector, Severity, VerificationModeKind,
};
use liangxin_contracts::records::GovernanceAction;
use liangxin_contracts::store::Holder;
use liangxin_contracts::{Record, RuleParams};
use liangxin_sdk::builders::{
    self, InspectionResultBuilder, InstitutionRegistrationBuilder, InstrumentRegistrationBuilder,
    OperatorRegistrationBuilder, PenaltyDecisionBuilder, RandomDrawBuilder, SelfCommitmentBuilder,
    VerificationResultBuilder,
};
use liangxin_sdk::rpc::dto::{CheckpointInfo, EntryInfo, Finalized, TxStatus};
use liangxin_sdk::verify::{self, LightClient, Link, ValidatorSet};
use liangxin_sdk::{Client, Signer, VerifyError};
use liangxin_tests::{DevNode, cli, cli_ok, poll, rpc_error, uscc};
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::hash::document_digest;
use liangxin_types::{Hash, SigningKey, Uscc};

/// How long one `submit_and_wait` may wait for finality.
const WAIT: Duration = Duration::from_secs(20);

const REGULATOR: &str = "dev-regulator";
const INSTITUTION: &str = "(闽)法计(2026)E2E01号";
const INSTITUTION_NAME: &str = "福建省计量科学研究院（端到端测试）";

/// The ledger as this test sees it: a client and every record it made final.
struct Ledger {
    client: Client,
    /// (record, its finality answer), in submission order.
    fins: Vec<(Record, Finalized)>,
}

impl Ledger {
    /// Submits `record` signed by `who` and waits until it is final.
    async fn submit(&mut self, who: &Signer, record: Record) -> Finalized {
        let kind = record.kind_name();
        let fin = self
            .client
            .submit_and_wait(who, &record, WAIT)
            .await
            .unwrap_or_else(|e| panic!("{kind} was not accepted: {e}"));
        assert_eq!(fin.status, TxStatus::Final, "{kind}");
        assert_eq!(fin.checkpoint.height, fin.height, "{kind}");
        assert!(fin.leaf_index < fin.checkpoint.log_size, "{kind}");
        self.fins.push((record, fin.clone()));
        fin
    }

    async fn height(&self) -> u64 {
        self.client.chain_info().await.unwrap().height
    }

    /// (points, record) of an operator's grade reasons, and its score and grade.
    async fn grade(&self, u: &Uscc) -> (i64, Grade, Vec<(i64, Option<Hash>)>) {
        let g = self.client.operator(u).await.unwrap().grade;
        let sum: i64 = g.reasons.iter().map(|r| r.points).sum();
        assert_eq!(g.score, 100 + sum, "score = base + reasons: {g:?}");
        for r in &g.reasons {
            assert!(!r.text.is_empty(), "every reason has a text: {g:?}");
        }
        (
            g.score,
            g.grade,
            g.reasons.iter().map(|r| (r.points, r.record)).collect(),
        )
    }
}

fn fd(owner: &Uscc, serial: &str) -> InstrumentId {
    builders::instrument(owner.clone(), "9.1", serial).unwrap()
}

fn texts(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(&dir.path().join("node"), &["--block-interval-ms", "50"]);
    let client = Client::new(&node.rpc_url).unwrap();

    // ---- the chain -----------------------------------------------------------------------
    let genesis = Genesis::dev();
    let info = client.chain_info().await.unwrap();
    assert_eq!(info.chain_id, genesis.chain_id().unwrap());
    assert_eq!(info.origin, format!("liangxin/{}", info.chain_id.as_str()));
    assert_eq!(info.height, 0);
    assert_eq!(info.log_size, 0);
    assert_eq!(info.quorum, 1);
    let regulator = Signer::dev(REGULATOR);
    assert_eq!(info.validators.len(), 1);
    assert_eq!(info.validators[0].name, REGULATOR);
    assert_eq!(info.validators[0].public_key, regulator.public_key());
    // Pinned from the genesis document, not from the node.
    let set = ValidatorSet::from_genesis(&genesis).unwrap();
    assert_eq!(set, ValidatorSet::from_chain_info(&info).unwrap());

    let mut l = Ledger {
        client,
        fins: Vec::new(),
    };
    let t0 = Instant::now();

    // ---- registry ------------------------------------------------------------------------
    let institution = Signer::generate().unwrap();
    l.submit(
        &regulator,
        InstitutionRegistrationBuilder::new(
            INSTITUTION,
            INSTITUTION_NAME,
            texts(&["9.1", "5.1"]),
            institution.public_key(),
        )
        .build()
        .unwrap(),
    )
    .await;
    let station = uscc("91350100MA2E2E001");
    let op_key = Signer::generate().unwrap();
    l.submit(
        &regulator,
        OperatorRegistrationBuilder::new(
            station.clone(),
            "福州市鼓楼区端到端加油站有限公司",
            "350102",
            Sector::FuelStation,
            op_key.public_key(),
        )
        .build()
        .unwrap(),
    )
    .await;

    // ---- governance, early: its effective height must be reached later ------------------
    // A second regulator (not a validator: the dev node signs checkpoints alone), and sample
    // rates of 100% so that the random draw below selects the station for certain.
    let regulator2 = Signer::generate().unwrap();
    let effective = l.height().await + 12;
    l.submit(
        &regulator,
        builders::governance_proposal(
            GovernanceAction::AddRegulator {
                name: builders::text("name", "fujian-e2e").unwrap(),
                key: regulator2.public_key(),
                jurisdiction: Jurisdiction::new("35").unwrap(),
                validator: false,
            },
            effective,
            effective,
        ),
    )
    .await;
    let params = RuleParams {
        sample_rates_ppm: [1_000_000; 4],
        ..RuleParams::default()
    };
    l.submit(
        &regulator,
        builders::governance_proposal(GovernanceAction::SetParams(params), effective, effective),
    )
    .await;

    // ---- the operator's own records ----------------------------------------------------
    let commitment = l
        .submit(
            &op_key,
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
    let fd1 = fd(&station, "E2E-FD-0001");
    let fd2 = fd(&station, "E2E-FD-0002");
    for (id, island) in [(&fd1, "1号岛"), (&fd2, "2号岛")] {
        l.submit(
            &op_key,
            InstrumentRegistrationBuilder::new(id.clone(), "DJY-222A")
                .accuracy_class("0.3")
                .range("5-60 L/min")
                .manufacturer("某加油机制造有限公司")
                .location(island)
                .build()
                .unwrap(),
        )
        .await;
    }

    // ---- verification with a certificate digest ------------------------------------------
    let certificate = document_digest(b"<dcc:digitalCalibrationCertificate>E2E-0001</dcc>");
    let verification = l
        .submit(
            &institution,
            VerificationResultBuilder::new(
                fd1.clone(),
                "闽检字〔2026〕第E2E01号",
                certificate,
                "JJG 443-2023",
            )
            .certificate_uri(Some("https://dcc.example.invalid/e2e-0001.xml".to_string()))
            .build()
            .unwrap(),
        )
        .await;
    let Record::VerificationResult(vr) = &l.fins.last().unwrap().0 else {
        unreachable!()
    };
    let vr = vr.clone();
    let cert = l.client.certificate(&certificate).await.unwrap();
    assert!(cert.on_ledger);
    assert!(cert.valid, "a current pass is valid: {}", cert.validity);
    assert_eq!(cert.institution_name.as_deref(), Some(INSTITUTION_NAME));
    let entry = cert.entry.as_ref().unwrap();
    assert_eq!(entry.tx, verification.tx_id);
    assert_eq!(entry.instrument, fd1);
    assert_eq!(entry.institution.as_str(), INSTITUTION);
    assert!(entry.passed);
    assert_eq!(entry.valid_until, vr.valid_until);
    assert_eq!(
        cert.record.as_ref().unwrap().leaf_index,
        verification.leaf_index
    );
    let fd1_info = l.client.instrument(&fd1).await.unwrap();
    assert_eq!(
        fd1_info.status,
        InstrumentStatus::Verified {
            until: Some(vr.valid_until)
        }
    );

    // ---- commendation and its revocation --------------------------------------------------
    let commendation = l
        .submit(
            &regulator,
            builders::commendation(station.clone(), CommendationLevel::Provincial, None, None),
        )
        .await;
    let (score, grade, reasons) = l.grade(&station).await;
    assert_eq!((score, grade), (115, Grade::A), "{reasons:?}");
    assert_eq!(
        reasons,
        vec![(5, Some(commitment.tx_id)), (10, Some(commendation.tx_id))]
    );
    l.submit(
        &regulator,
        builders::commendation_revocation(commendation.tx_id, "发现计量违法行为").unwrap(),
    )
    .await;

    // ---- inspection with a finding, penalties, objection, decision, repair ----------------
    let inspection = l
        .submit(
            &regulator,
            InspectionResultBuilder::new(
                station.clone(),
                texts(&["FJ-E2E-001", "FJ-E2E-002"]),
                document_digest(b"inspection report A"),
            )
            .items_checked(3u32)
            .finding(FindingKind::Unverified, Some(fd2.clone()), "备案后未检定")
            .build()
            .unwrap(),
        )
        .await;
    let penalty1 = l
        .submit(
            &regulator,
            PenaltyDecisionBuilder::new(
                station.clone(),
                "榕市监罚〔2026〕E2E1号",
                "使用未经检定的计量器具",
                Severity::Minor,
            )
            .build()
            .unwrap(),
        )
        .await;
    let penalty2 = l
        .submit(
            &regulator,
            PenaltyDecisionBuilder::new(
                station.clone(),
                "榕市监罚〔2026〕E2E2号",
                "计量器具失准",
                Severity::General,
            )
            .build()
            .unwrap(),
        )
        .await;
    // 100 + 5 (commitment) − 10 (finding) − 10 (minor) − 25 (general); the revoked
    // commendation no longer counts.
    let (score, grade, reasons) = l.grade(&station).await;
    assert_eq!((score, grade), (60, Grade::C), "{reasons:?}");
    assert_eq!(reasons[0], (-25, Some(penalty2.tx_id)));
    assert_eq!(reasons.last(), Some(&(5, Some(commitment.tx_id))));
    let objection = l
        .submit(
            &op_key,
            builders::objection(penalty1.tx_id, "处罚所涉计量器具已送检合格").unwrap(),
        )
        .await;
    l.submit(
        &regulator,
        builders::objection_decision(objection.tx_id, true, "经复核，异议成立").unwrap(),
    )
    .await;
    l.submit(
        &regulator,
        builders::credit_repair(inspection.tx_id, None, "已完成整改并复查合格").unwrap(),
    )
    .await;
    // The upheld objection voids the minor penalty; the repair ends the inspection's finding.
    let (score, grade, reasons) = l.grade(&station).await;
    assert_eq!((score, grade), (80, Grade::B), "{reasons:?}");
    assert_eq!(
        reasons,
        vec![(-25, Some(penalty2.tx_id)), (5, Some(commitment.tx_id))]
    );

    // ---- the random draw ------------------------------------------------------------------
    // The governance actions apply at `effective`; records of other operators (outside the
    // draw's jurisdiction) make blocks until then, if needed.
    let mut filler = 0;
    while l.height().await < effective {
        filler += 1;
        let key = Signer::generate().unwrap();
        l.submit(
            &regulator,
            OperatorRegistrationBuilder::new(
                uscc(&format!("91110108MA2E2F{filler:03}")),
                format!("填充{filler}"),
                "110108",
                Sector::Shop,
                key.public_key(),
            )
            .build()
            .unwrap(),
        )
        .await;
    }
    let pool = texts(&[
        "FJ-E2E-001",
        "FJ-E2E-002",
        "FJ-E2E-003",
        "FJ-E2E-004",
        "FJ-E2E-005",
    ]);
    let draw = l
        .submit(
            &regulator,
            RandomDrawBuilder::new("3501", pool, "2026年加油机端到端专项检查")
                .sectors(vec![Sector::FuelStation])
                .exclude("FJ-E2E-005", station.clone())
                .build()
                .unwrap(),
        )
        .await;
    // The node makes the follow-up block by itself; the draw is resolved with its seed.
    let client = &l.client;
    let drawn = poll("the draw's resolution", Duration::from_secs(20), || async {
        let d = client.draw(&draw.tx_id).await.unwrap();
        d.resolution.is_some().then_some(d)
    })
    .await;
    let res = drawn.resolution.as_ref().unwrap();
    assert_eq!(drawn.request_height, draw.height);
    assert_eq!(res.height, draw.height + 1);
    assert_eq!(drawn.sample_rates_ppm, [1_000_000; 4]);
    assert_eq!(drawn.candidates.len(), 1, "{:?}", drawn.candidates);
    assert_eq!(drawn.candidates[0].operator, station);
    assert_eq!(drawn.candidates[0].grade, Grade::B);
    assert_eq!(res.targets.len(), 1);
    assert_eq!(res.targets[0].operator, station);
    // The pool minus the exclusion minus the last inspectors (001, 002): exactly 003 and 004.
    let inspectors: BTreeSet<String> = res.targets[0]
        .inspectors
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        inspectors,
        ["FJ-E2E-003", "FJ-E2E-004"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let drawn_inspection = l
        .submit(
            &regulator,
            InspectionResultBuilder::new(
                station.clone(),
                inspectors.iter().cloned().collect(),
                document_digest(b"inspection report B (drawn)"),
            )
            .draw(Some(draw.tx_id))
            .items_checked(4u32)
            .build()
            .unwrap(),
        )
        .await;

    // ---- governance with two regulators: proposal, then approval ---------------------------
    let account2 = l.client.account(&regulator2.public_key()).await.unwrap();
    assert!(
        matches!(&account2.holder, Some(Holder::Regulator(n)) if n.as_str() == "fujian-e2e"),
        "the second regulator was added at height {effective}: {account2:?}"
    );
    let h = l.height().await;
    let proposal = l
        .submit(
            &regulator,
            builders::governance_proposal(
                GovernanceAction::SetCatalogueItem(CatalogueItem {
                    code: builders::text("code", "5.9").unwrap(),
                    name: builders::text("name", "端到端测试衡器").unwrap(),
                    control: ControlMode::Both,
                    modes: vec![VerificationModeKind::Periodic],
                }),
                h + 20,
                h + 15,
            ),
        )
        .await;
    l.submit(&regulator2, builders::governance_approval(proposal.tx_id))
        .await;

    // ---- keys, withdrawal, retirement ----------------------------------------------------
    let op_key2 = Signer::generate().unwrap();
    l.submit(
        &op_key,
        builders::key_rotation(op_key.public_key(), op_key2.public_key()),
    )
    .await;
    l.submit(
        &op_key2,
        builders::commitment_withdrawal(commitment.tx_id, "经营范围变更").unwrap(),
    )
    .await;
    l.submit(
        &op_key2,
        builders::instrument_retirement(
            fd1.clone(),
            RetirementReason::Inaccurate,
            Some(fd2.clone()),
        ),
    )
    .await;
    l.submit(
        &regulator,
        builders::key_revocation(institution.public_key(), "授权证书换发，旧密钥停用").unwrap(),
    )
    .await;
    let journey_time = t0.elapsed();

    // Every kind was submitted and is final.
    let kinds: BTreeSet<&str> = l.fins.iter().map(|(r, _)| r.kind_name()).collect();
    let all: BTreeSet<&str> = Record::KINDS.iter().map(|(_, n)| *n).collect();
    assert_eq!(kinds, all, "every record kind");
    assert_eq!(all.len(), 19);

    // ---- the CLI --------------------------------------------------------------------------
    cli_journey(&l, dir.path()).await;

    // ---- every query ---------------------------------------------------------------------
    let client = &l.client;
    let latest = client.checkpoint(None).await.unwrap();
    let vlatest = verify::verify_checkpoint(&set, &latest).unwrap();
    assert_eq!(vlatest.signed_by, vec![REGULATOR.to_string()]);

    // lx_operator: the grade and its reasons (docs/records.md §5): the withdrawn commitment,
    // revoked commendation, voided penalty and repaired inspection no longer count.
    let op = client.operator(&station).await.unwrap();
    assert_eq!(op.uscc, station);
    assert_eq!(op.profile.key, op_key2.public_key());
    assert_eq!(op.profile.commitment, None);
    let last: BTreeSet<String> = op
        .profile
        .last_inspectors
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(last, inspectors);
    let g = &op.grade;
    assert_eq!(g.operator, station);
    assert_eq!((g.score, g.grade), (78, Grade::B), "{g:?}");
    let reasons: Vec<(i64, Option<Hash>)> =
        g.reasons.iter().map(|r| (r.points, r.record)).collect();
    assert_eq!(
        reasons,
        vec![
            (-25, Some(penalty2.tx_id)),
            (3, Some(drawn_inspection.tx_id))
        ],
        "{g:?}"
    );
    let Record::PenaltyDecision(p2) = &record_of(&l, &penalty2.tx_id) else {
        unreachable!()
    };
    assert_eq!(g.reasons[0].until, Some(p2.public_until));
    assert!(g.reasons[0].text.contains("−25") || g.reasons[0].text.contains("-25"));
    let Record::InspectionResult(drawn_record) = &record_of(&l, &drawn_inspection.tx_id) else {
        unreachable!()
    };
    assert_eq!(
        g.reasons[1].until,
        Some(drawn_record.date.plus(365 * DAY)),
        "a clean inspection counts for a year from its date"
    );
    // Its entries: every record about it, in log order, and nothing about others.
    let leaves: Vec<u64> = op.entries.iter().map(|e| e.leaf_index).collect();
    assert!(leaves.windows(2).all(|w| w[0] < w[1]), "{leaves:?}");
    let ids: BTreeSet<Hash> = op
        .entries
        .iter()
        .map(|e| {
            l.fins
                .iter()
                .find(|(_, f)| f.leaf_index == e.leaf_index)
                .map(|(_, f)| f.tx_id)
        })
        .map(|id| id.expect("an entry this test made"))
        .collect();
    for (record, fin) in &l.fins {
        let about_station = match record {
            Record::OperatorRegistration(r) => r.uscc == station,
            Record::SelfCommitment(_)
            | Record::CommitmentWithdrawal(_)
            | Record::InstrumentRegistration(_)
            | Record::InstrumentRetirement(_)
            | Record::VerificationResult(_)
            | Record::InspectionResult(_)
            | Record::PenaltyDecision(_)
            | Record::Commendation(_)
            | Record::Objection(_) => true,
            Record::InstitutionRegistration(_)
            | Record::GovernanceProposal(_)
            | Record::GovernanceApproval(_) => false,
            Record::KeyRevocation(r) => r.key != institution.public_key(),
            _ => continue,
        };
        assert_eq!(
            ids.contains(&fin.tx_id),
            about_station,
            "{} (leaf {}) in the station's entries",
            record.kind_name(),
            fin.leaf_index
        );
    }
    for e in &op.entries {
        assert_eq!(e.record, record_at(&l, e.leaf_index));
    }
    // Its instruments with their status.
    assert_eq!(op.instruments.len(), 2);
    let status = |id: &InstrumentId| {
        op.instruments
            .iter()
            .find(|i| &i.state.registration.instrument == id)
            .map(|i| i.status.clone())
            .unwrap()
    };
    assert_eq!(
        status(&fd1),
        InstrumentStatus::Retired {
            reason: RetirementReason::Inaccurate,
            replaced_by: Some(fd2.clone())
        }
    );
    assert_eq!(status(&fd2), InstrumentStatus::Registered);

    // lx_instrument.
    let i1 = client.instrument(&fd1).await.unwrap();
    assert_eq!(i1.id, fd1);
    assert_eq!(i1.status, status(&fd1));
    assert_eq!(
        i1.state.last_verification.as_ref().map(|v| v.tx),
        Some(verification.tx_id)
    );
    assert_eq!(
        i1.state.last_pass.as_ref().map(|v| v.certificate_digest),
        Some(certificate)
    );
    assert!(i1.state.retired.is_some());
    let kinds: Vec<&str> = i1.entries.iter().map(|e| e.record.kind_name()).collect();
    for k in [
        "instrument_registration",
        "verification_result",
        "instrument_retirement",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let i2 = client.instrument(&fd2).await.unwrap();
    assert_eq!(i2.status, InstrumentStatus::Registered);
    assert_eq!(i2.state.replaces.as_ref(), Some(&fd1));
    let unknown = client
        .instrument(&fd(&station, "NO-SUCH-SERIAL"))
        .await
        .unwrap_err();
    assert_eq!(rpc_error(&unknown).0, 1000, "{unknown}");

    // lx_certificate: on the ledger, from whom; no longer valid once its instrument retired.
    let cert = client.certificate(&certificate).await.unwrap();
    assert!(cert.on_ledger);
    assert_eq!(cert.digest, certificate);
    assert_eq!(cert.institution_name.as_deref(), Some(INSTITUTION_NAME));
    assert_eq!(cert.entry.as_ref().unwrap().tx, verification.tx_id);
    assert!(!cert.valid, "the instrument was retired: {}", cert.validity);
    assert!(!cert.validity.is_empty());
    let nothing = client
        .certificate(&document_digest(b"a certificate nobody filed"))
        .await
        .unwrap();
    assert!(!nothing.on_ledger);
    assert!(!nothing.valid);
    assert!(nothing.entry.is_none() && nothing.record.is_none());
    assert!(nothing.institution_name.is_none());

    // lx_tx: each final with its place; an unknown id is "unknown", not an error.
    for (record, fin) in &l.fins {
        let tx = client.tx(&fin.tx_id).await.unwrap();
        assert_eq!(tx.status, TxStatus::Final, "{}", record.kind_name());
        assert_eq!(tx.height, Some(fin.height));
        assert_eq!(tx.leaf_index, Some(fin.leaf_index));
        assert!(tx.rejection.is_none());
    }
    let tx = client.tx(&document_digest(b"no such tx")).await.unwrap();
    assert_eq!(tx.status, TxStatus::Unknown);

    // lx_entry / lx_entries: every leaf, as submitted.
    let entries = client.entries(0, latest.log_size).await.unwrap();
    assert_eq!(entries.len() as u64, latest.log_size);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.leaf_index, i as u64);
    }
    for (record, fin) in &l.fins {
        let e = &entries[fin.leaf_index as usize];
        assert_eq!(&e.record, record);
        assert_eq!(e.height, fin.height);
        assert_eq!(client.entry(fin.leaf_index).await.unwrap(), *e);
        let bytes = e.tx_bytes().unwrap();
        assert_eq!(liangxin_types::tx::tx_id(&bytes), fin.tx_id);
    }
    let past = client.entry(latest.log_size).await.unwrap_err();
    assert_eq!(rpc_error(&past).0, 1000, "{past}");
    let past = client.entries(0, latest.log_size + 1).await.unwrap_err();
    assert_eq!(rpc_error(&past).0, 1000, "{past}");

    // lx_checkpoint(height): the checkpoint each answer was final under; every one verifies
    // against the genesis validator set, and every entry is included under it and under the
    // latest checkpoint.
    let mut by_height: BTreeMap<u64, CheckpointInfo> = BTreeMap::new();
    for (record, fin) in &l.fins {
        let cp = client.checkpoint(Some(fin.height)).await.unwrap();
        assert_eq!(cp, fin.checkpoint, "{}", record.kind_name());
        let v = verify::verify_checkpoint(&set, &cp).unwrap();
        assert_eq!(v.signed_by, vec![REGULATOR.to_string()]);
        let entry = &entries[fin.leaf_index as usize];
        for c in [&v.checkpoint, &vlatest.checkpoint] {
            let proof = client
                .inclusion_proof(fin.leaf_index, c.log_size)
                .await
                .unwrap();
            let tx = verify::verify_entry(entry, &proof, c).unwrap();
            assert_eq!(tx.id, fin.tx_id);
        }
        by_height.insert(fin.height, cp);
    }
    // A light client walks every checkpoint, each an extension of the one before.
    let mut lc = LightClient::new(set.clone());
    let mut prev: Option<u64> = None;
    for cp in by_height.values() {
        let (_, link) = client.accept(&mut lc, cp).await.unwrap();
        match prev {
            None => assert_eq!(link, Link::First),
            Some(size) => assert_eq!(
                link,
                Link::Extends {
                    from_size: size,
                    to_size: cp.log_size
                }
            ),
        }
        prev = Some(cp.log_size);
    }
    let (_, link) = client.sync(&mut lc).await.unwrap();
    assert!(
        matches!(link, Link::Extends { .. } | Link::Same),
        "{link:?}"
    );

    // ---- the SDK's verify_* ----------------------------------------------------------------
    let mut lc = LightClient::new(set.clone());
    let (op2, v) = client.verify_operator(&mut lc, &station).await.unwrap();
    assert_eq!(v.checkpoint.signed_by, vec![REGULATOR.to_string()]);
    assert_eq!(
        v.entries_included,
        op2.entries.iter().map(|e| e.leaf_index).collect::<Vec<_>>()
    );
    for id in [&fd1, &fd2] {
        let (ii, v) = client.verify_instrument(&mut lc, id).await.unwrap();
        assert_eq!(v.checkpoint.signed_by, vec![REGULATOR.to_string()]);
        assert_eq!(
            v.entries_included,
            ii.entries.iter().map(|e| e.leaf_index).collect::<Vec<_>>()
        );
    }
    let (_, v) = client
        .verify_certificate(&mut lc, &certificate)
        .await
        .unwrap();
    assert_eq!(v.entries_included, vec![verification.leaf_index]);
    let (d, v) = client.verify_draw(&mut lc, &draw.tx_id).await.unwrap();
    assert_eq!(v.entries_included, vec![draw.leaf_index]);
    assert_eq!(d.resolution.as_ref().unwrap().targets, res.targets);
    // The recomputation is exact: a selection with the inspectors in another order is not it.
    let mut wrong = d.clone();
    wrong.resolution.as_mut().unwrap().targets[0]
        .inspectors
        .reverse();
    let recomputed = liangxin_contracts::draws::compute_selection(
        &res.seed,
        &d.request,
        d.sample_rates_ppm,
        &d.candidates,
    )
    .unwrap();
    assert_eq!(recomputed, res.targets);
    assert_ne!(recomputed, wrong.resolution.unwrap().targets);
    for (_, fin) in l.fins.iter().take(3) {
        let (e, v) = client.verify_entry(&mut lc, fin.leaf_index).await.unwrap();
        assert_eq!(v.entries_included, vec![fin.leaf_index]);
        assert_eq!(e.leaf_index, fin.leaf_index);
    }

    // Keys as the ledger knows them now.
    let a = client.account(&op_key.public_key()).await.unwrap();
    assert!(a.revoked, "rotated away: {a:?}");
    let a = client.account(&op_key2.public_key()).await.unwrap();
    assert!(!a.revoked);
    assert!(matches!(&a.holder, Some(Holder::Operator(u)) if *u == station));
    assert_eq!(a.next_seq, 2);
    let a = client.account(&institution.public_key()).await.unwrap();
    assert!(a.revoked, "revoked: {a:?}");

    // ---- tampering --------------------------------------------------------------------------
    tampering(&l, &set, &entries, &by_height, verification.leaf_index).await;

    assert!(node_alive(&l).await);
    eprintln!(
        "journey: {} records ({} kinds) final in {:.1?}; whole test {:.1?}",
        l.fins.len(),
        all.len(),
        journey_time,
        started.elapsed()
    );
}

async fn node_alive(l: &Ledger) -> bool {
    l.client.chain_info().await.is_ok()
}

fn record_of(l: &Ledger, id: &Hash) -> Record {
    l.fins
        .iter()
        .find(|(_, f)| f.tx_id == *id)
        .map(|(r, _)| r.clone())
        .unwrap()
}

fn record_at(l: &Ledger, leaf: u64) -> Record {
    l.fins
        .iter()
        .find(|(_, f)| f.leaf_index == leaf)
        .map(|(r, _)| r.clone())
        .unwrap_or_else(|| panic!("leaf {leaf} was not made by this test"))
}

/// Real answers and proofs, each with one flipped byte (or a wrong size), refused by the
/// SDK's pure verification functions and by a light client.
async fn tampering(
    l: &Ledger,
    set: &ValidatorSet,
    entries: &[EntryInfo],
    by_height: &BTreeMap<u64, CheckpointInfo>,
    leaf: u64,
) {
    let client = &l.client;
    let cp_info = client.checkpoint(None).await.unwrap();
    let cp = verify::verify_checkpoint(set, &cp_info).unwrap().checkpoint;
    let entry = entries[leaf as usize].clone();
    let proof = client.inclusion_proof(leaf, cp.log_size).await.unwrap();
    verify::verify_entry(&entry, &proof, &cp).unwrap();
    assert!(!proof.hashes.is_empty());

    // A flipped byte in any hash of the inclusion proof.
    for i in 0..proof.hashes.len() {
        for byte in [0, 31] {
            let mut p = proof.clone();
            p.hashes[i].0[byte] ^= 0x01;
            let e = verify::verify_entry(&entry, &p, &cp).unwrap_err();
            assert!(matches!(e, VerifyError::Inclusion(_)), "hash {i}: {e}");
        }
    }
    // A proof with a hash missing, one too many, or for another leaf or size.
    let mut p = proof.clone();
    p.hashes.pop();
    assert!(verify::verify_entry(&entry, &p, &cp).is_err());
    let mut p = proof.clone();
    p.hashes.push(Hash::ZERO);
    assert!(verify::verify_entry(&entry, &p, &cp).is_err());
    let other = client.inclusion_proof(leaf + 1, cp.log_size).await.unwrap();
    let e = verify::verify_entry(&entry, &other, &cp).unwrap_err();
    assert!(matches!(e, VerifyError::Mismatch(_)), "{e}");
    let smaller = client.inclusion_proof(leaf, cp.log_size - 1).await.unwrap();
    let e = verify::verify_entry(&entry, &smaller, &cp).unwrap_err();
    assert!(matches!(e, VerifyError::Mismatch(_)), "{e}");

    // A flipped byte in the checkpoint's root: in the convenience field (disagrees with the
    // note), in the note itself (its signature no longer verifies), and in the checkpoint
    // an inclusion proof is checked against.
    let mut bad = cp_info.clone();
    bad.root.0[7] ^= 0x01;
    let e = verify::verify_checkpoint(set, &bad).unwrap_err();
    assert!(matches!(e, VerifyError::Checkpoint(_)), "{e}");
    let signed = SignedCheckpoint::parse_note(&cp_info.note).unwrap();
    let mut forged_cp = signed.checkpoint().clone();
    forged_cp.log_root.0[7] ^= 0x01;
    let mut forged = SignedCheckpoint::unsigned(forged_cp.clone());
    for line in signed.signatures() {
        forged.add_line(line.clone()).unwrap();
    }
    let forged_note = forged.to_note().unwrap();
    let e = verify::verify_note(set, &forged_note).unwrap_err();
    assert!(matches!(e, VerifyError::Checkpoint(_)), "{e}");
    let mut bad = bad.clone();
    bad.note = forged_note;
    let e = verify::verify_checkpoint(set, &bad).unwrap_err();
    assert!(matches!(e, VerifyError::Checkpoint(_)), "{e}");
    let e = verify::verify_entry(&entry, &proof, &forged_cp).unwrap_err();
    assert!(matches!(e, VerifyError::Inclusion(_)), "{e}");
    // The other fields of the note are covered by the signature too.
    let mut other_state = signed.checkpoint().clone();
    other_state.state_root.0[0] ^= 0x01;
    let mut forged = SignedCheckpoint::unsigned(other_state);
    for line in signed.signatures() {
        forged.add_line(line.clone()).unwrap();
    }
    assert!(verify::verify_note(set, &forged.to_note().unwrap()).is_err());

    // A flipped byte anywhere in an entry's transaction bytes (body or signature).
    let bytes = entry.tx_bytes().unwrap();
    for pos in [
        0,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 33,
        bytes.len() - 1,
    ] {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let mut e2 = entry.clone();
        e2.tx = hex::encode(&b);
        let e = verify::verify_entry(&e2, &proof, &cp).unwrap_err();
        assert!(matches!(e, VerifyError::Inclusion(_)), "byte {pos}: {e}");
    }
    // The right bytes with another record shown.
    let mut e2 = entry.clone();
    e2.record = entries[0].record.clone();
    let e = verify::verify_entry(&e2, &proof, &cp).unwrap_err();
    assert!(matches!(e, VerifyError::Mismatch(_)), "{e}");

    // A flipped byte in the note's signature.
    for byte in [0, 31, 63] {
        let mut line = signed.signatures()[0].clone();
        line.signature[byte] ^= 0x01;
        let mut s = SignedCheckpoint::unsigned(signed.checkpoint().clone());
        s.add_line(line).unwrap();
        let note = s.to_note().unwrap();
        let e = verify::verify_note(set, &note).unwrap_err();
        assert!(
            matches!(e, VerifyError::Checkpoint(_)),
            "signature byte {byte}: {e}"
        );
        let mut bad = cp_info.clone();
        bad.note = note;
        assert!(verify::verify_checkpoint(set, &bad).is_err());
    }
    // Signed by someone else under the validator's name, or for a validator set that does
    // not hold the signer.
    let impostor = SignedCheckpoint::sign(
        signed.checkpoint().clone(),
        REGULATOR,
        &SigningKey::dev("impostor"),
    )
    .unwrap();
    assert!(verify::verify_note(set, &impostor.to_note().unwrap()).is_err());
    let stranger = ValidatorSet::new(
        set.chain_id().clone(),
        vec![(
            REGULATOR.to_string(),
            SigningKey::dev("stranger").public_key(),
        )],
        1,
    )
    .unwrap();
    assert!(verify::verify_note(&stranger, &cp_info.note).is_err());

    // A light client refuses a checkpoint that is not shown to extend its own.
    let heights: Vec<u64> = by_height.keys().copied().collect();
    let old = by_height[&heights[heights.len() / 2]].clone();
    let new = cp_info.clone();
    assert!(old.log_size > 1 && new.log_size > old.log_size);
    let mut lc = LightClient::new(set.clone());
    assert_eq!(lc.update(&old, None).unwrap().1, Link::First);
    let before = lc.latest().cloned();
    // A consistency proof from another size.
    for size1 in [old.log_size - 1, old.log_size + 1] {
        let p = client.consistency_proof(size1, new.log_size).await.unwrap();
        let e = lc.update(&new, Some(&p)).unwrap_err();
        assert!(
            matches!(e, VerifyError::Mismatch(_) | VerifyError::Consistency(_)),
            "proof from {size1}: {e}"
        );
        assert_eq!(lc.latest().cloned(), before, "unchanged after a refusal");
    }
    // The right sizes with a flipped hash; no proof at all.
    let good = client
        .consistency_proof(old.log_size, new.log_size)
        .await
        .unwrap();
    for i in 0..good.hashes.len() {
        let mut p = good.clone();
        p.hashes[i].0[3] ^= 0x01;
        let e = lc.update(&new, Some(&p)).unwrap_err();
        assert!(matches!(e, VerifyError::Consistency(_)), "hash {i}: {e}");
    }
    let e = lc.update(&new, None).unwrap_err();
    assert!(matches!(e, VerifyError::Consistency(_)), "{e}");
    assert_eq!(lc.latest().cloned(), before);
    // A validly signed checkpoint (the dev key is public) whose log is not an extension: the
    // genuine proof does not link it.
    let mut fake = SignedCheckpoint::parse_note(&new.note)
        .unwrap()
        .checkpoint()
        .clone();
    fake.log_root.0[0] ^= 0x01;
    let fake_info = CheckpointInfo::from_signed(
        &SignedCheckpoint::sign(fake.clone(), REGULATOR, &SigningKey::dev(REGULATOR)).unwrap(),
    )
    .unwrap();
    verify::verify_checkpoint(set, &fake_info).unwrap();
    let e = lc.update(&fake_info, Some(&good)).unwrap_err();
    assert!(matches!(e, VerifyError::Consistency(_)), "{e}");
    assert_eq!(lc.latest().cloned(), before);
    // The genuine one is accepted; then the older one is a rollback and a same-height
    // checkpoint with another root a fork.
    let (_, link) = lc.update(&new, Some(&good)).unwrap();
    assert_eq!(
        link,
        Link::Extends {
            from_size: old.log_size,
            to_size: new.log_size
        }
    );
    let e = lc.update(&old, None).unwrap_err();
    assert!(matches!(e, VerifyError::Rollback(_)), "{e}");
    let e = lc.update(&fake_info, None).unwrap_err();
    assert!(matches!(e, VerifyError::Fork(_)), "{e}");
    // check_older: the old checkpoint is a prefix only with the right proof.
    let (_, link) = lc.check_older(&old, Some(&good)).unwrap();
    assert!(matches!(link, Link::Prefix { .. }), "{link:?}");
    let mut p = good.clone();
    p.hashes[0].0[0] ^= 0x01;
    assert!(lc.check_older(&old, Some(&p)).is_err());
}

/// Part of the journey through the real `liangxin` CLI: keygen, register an operator,
/// commit, query and verify it; exit codes, key output text, and `--json` that parses.
async fn cli_journey(l: &Ledger, dir: &std::path::Path) {
    let url = l.client.url().to_string();
    let run = move |args: Vec<String>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                cli(&url, &a)
            })
            .await
            .unwrap()
        }
    };
    let ok = |out: &std::process::Output, what: &str| -> String {
        assert!(
            out.status.success(),
            "liangxin {what} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout.clone()).unwrap()
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();

    // keygen: a key file, its public key printed; never overwritten.
    let key = dir.join("shop.key");
    let key_s = key.to_str().unwrap().to_string();
    let out = ok(&run(s(&["keygen", "--out", &key_s])).await, "keygen");
    let public_key = out
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .unwrap_or_else(|| panic!("keygen printed no public key: {out}"))
        .trim()
        .to_string();
    let signer = Signer::load(&key).unwrap();
    assert_eq!(public_key, signer.public_key().to_hex());
    let again = run(s(&["keygen", "--out", &key_s])).await;
    assert!(
        !again.status.success(),
        "keygen must not overwrite a key file"
    );
    assert_eq!(
        Signer::load(&key).unwrap().public_key(),
        signer.public_key()
    );
    let key2 = dir.join("shop2.key");
    let out = ok(
        &run(s(&["--json", "keygen", "--out", key2.to_str().unwrap()])).await,
        "--json keygen",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["public_key"].as_str().unwrap().len(), 64);

    // register-operator, signed with the dev regulator's key.
    let shop = uscc("91110108MA2E2E002");
    let shop_s = shop.to_string();
    let out = ok(
        &run(s(&[
            "--dev-key",
            REGULATOR,
            "register-operator",
            "--uscc",
            &shop_s,
            "--name",
            "北京市海淀区端到端眼镜店",
            "--region",
            "110108",
            "--sector",
            "optical_shop",
            "--public-key",
            &key_s,
        ]))
        .await,
        "register-operator",
    );
    assert!(out.contains("operator_registration is final"), "{out}");
    let tx_id = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("tx id"))
        .unwrap()
        .trim()
        .to_string();
    let reg_tx = Hash::from_hex(&tx_id).unwrap();
    assert_eq!(l.client.tx(&reg_tx).await.unwrap().status, TxStatus::Final);

    // commit, with --json; a second commitment without --renews is refused (exit code,
    // rejection code 23 in the message).
    let pledge = dir.join("pledge.txt");
    std::fs::write(&pledge, "本店承诺诚信计量。").unwrap();
    let pledge_s = pledge.to_str().unwrap().to_string();
    let commit = s(&[
        "--key",
        &key_s,
        "--json",
        "commit",
        "--uscc",
        &shop_s,
        "--posted-at",
        "收银台",
        "--pledge-file",
        &pledge_s,
    ]);
    let out = ok(&run(commit.clone()).await, "commit");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "final");
    let commit_tx = Hash::from_hex(v["tx_id"].as_str().unwrap()).unwrap();
    let commit_leaf = v["leaf_index"].as_u64().unwrap();
    // With --json the error is JSON on stdout; without, a line on stderr.
    let twice = run(commit.clone()).await;
    assert_eq!(twice.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&twice.stdout).unwrap();
    assert_eq!(v["rpc_code"], 1002, "{v}");
    assert!(v["error"].as_str().unwrap().contains("code 23"), "{v}");
    let text: Vec<String> = commit.into_iter().filter(|a| a != "--json").collect();
    let twice = run(text).await;
    assert_eq!(twice.status.code(), Some(1));
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(err.contains("code 23"), "{err}");

    // query operator: text and JSON agree with the SDK.
    let out = ok(
        &run(s(&["query", "operator", &shop_s])).await,
        "query operator",
    );
    assert!(out.contains(&shop_s), "{out}");
    assert!(out.contains("grade A (score 105)"), "{out}");
    assert!(out.contains("self-commitment"), "{out}");
    let out = ok(
        &run(s(&["--json", "query", "operator", &shop_s])).await,
        "--json query operator",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["grade"]["grade"], "A");
    assert_eq!(v["grade"]["score"], 105);
    assert_eq!(v["grade"]["reasons"][0]["record"], commit_tx.to_hex());
    assert_eq!(v["profile"]["key"], public_key);
    let leaves: Vec<u64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["leaf_index"].as_u64().unwrap())
        .collect();
    assert_eq!(leaves.len(), 2);
    assert_eq!(leaves[1], commit_leaf);
    let sdk = l.client.operator(&shop).await.unwrap();
    assert_eq!(sdk.grade.score, 105);

    // verify operator: which validators signed, every entry included.
    let out = ok(
        &run(s(&["verify", "operator", &shop_s])).await,
        "verify operator",
    );
    assert!(out.contains(REGULATOR), "{out}");
    assert!(out.contains("verified"), "{out}");
    let out = ok(
        &run(s(&["--json", "verify", "operator", &shop_s])).await,
        "--json verify operator",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["verified"]["checkpoint"]["signed_by"],
        serde_json::json!([REGULATOR])
    );
    let included: Vec<u64> = v["verified"]["entries_included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(included, leaves);
    let out = ok(
        &run(s(&["verify", "checkpoint"])).await,
        "verify checkpoint",
    );
    assert!(out.contains(REGULATOR), "{out}");

    // verify draw: the block seed (its proposer's VRF proof, its block final under a quorum)
    // and the recomputed selection.
    let draw_id = l
        .fins
        .iter()
        .find(|(r, _)| matches!(r, Record::RandomDrawRequest(_)))
        .map(|(_, f)| f.tx_id.to_hex())
        .unwrap();
    let out = ok(&run(s(&["verify", "draw", &draw_id])).await, "verify draw");
    assert!(out.contains("block seed  VRF output of proposer"), "{out}");
    assert!(out.contains("selection   recomputed"), "{out}");

    // A USCC with a wrong check character is refused before any request, naming the
    // expected character.
    let (bad, right) = liangxin_tests::uscc_with_bad_check("91110108MA2E2E002");
    let out = run(s(&["query", "operator", bad.as_str()])).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(right),
        "expected check character {right} named: {err}"
    );
    // cli_ok, for completeness of the harness.
    let url = l.client.url().to_string();
    let status = tokio::task::spawn_blocking(move || cli_ok(&url, &["status"]))
        .await
        .unwrap();
    assert!(status.contains(REGULATOR), "{status}");
}

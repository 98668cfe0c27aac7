//! The regulators' network over real processes on loopback: four validators and an observer
//! agree on every checkpoint, survive a SIGKILLed validator that then catches up and signs
//! again, rejoin a validator whose data directory was deleted without it ever signing a
//! conflicting vote, and refuse a stranger's key. Governance adds a fifth validator, which then
//! signs, and removes one, after which three of the remaining four finalise and the removed
//! one no longer counts; both changes are provable from the genesis validators
//! (`lx_validatorSets`), checked by the SDK and by the portal's JavaScript.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Duration;

use liangxin_contracts::model::Sector;
use liangxin_sdk::Client;
use liangxin_sdk::builders::OperatorRegistrationBuilder;
use liangxin_sdk::rpc::dto::TxStatus;
use liangxin_tests::net::{Testnet, validator_name};
use liangxin_tests::{poll, uscc};
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::{Canonical, Hash, SigningKey};

/// Bound on each wait for the network.
const WAIT: Duration = Duration::from_secs(60);

/// Operator registrations signed by validator `signer` (a national regulator) with sequence
/// numbers from `first_seq`.
fn registrations(
    net: &Testnet,
    signer: usize,
    first_seq: u64,
    count: usize,
    tag: usize,
) -> Vec<(Hash, Vec<u8>)> {
    let chain = net.genesis.chain_id().unwrap();
    let s = &net.nodes[signer].signer;
    (0..count)
        .map(|i| {
            let n = tag * 10_000 + i;
            let r = OperatorRegistrationBuilder::new(
                uscc(&format!("91350{:06}MA{:04}", n / 10_000, n % 10_000)),
                format!("第{n}号网络测试有限公司"),
                "350102",
                Sector::FuelStation,
                SigningKey::dev(&format!("net operator {n}")).public_key(),
            )
            .build()
            .unwrap();
            let tx = s.sign(&chain, first_seq + i as u64, &r).unwrap();
            let bytes = tx.to_canonical().unwrap();
            (liangxin_types::tx::tx_id(&bytes), bytes)
        })
        .collect()
}

async fn submit(url: &str, txs: &[(Hash, Vec<u8>)]) {
    let client = Client::new(url).unwrap();
    for (_, bytes) in txs {
        let tx = liangxin_types::tx::SignedTx::from_canonical(bytes).unwrap();
        client.submit_tx(&tx).await.unwrap();
    }
}

/// Waits until every transaction is final on node `i`.
async fn final_on(net: &Testnet, i: usize, txs: &[(Hash, Vec<u8>)]) {
    let client = Client::new(&net.rpc(i)).unwrap();
    for (id, _) in txs {
        poll(&format!("tx {id} final on node {i}"), WAIT, || async {
            let t = client.tx(id).await.ok()?;
            assert_ne!(t.status, TxStatus::Rejected, "{t:?}");
            (t.status == TxStatus::Final).then_some(())
        })
        .await;
    }
}

/// A governance change made final on nodes `on`: node 0 proposes `action` (effective and
/// expiring at `effective`, its first sequence number), and nodes `approvers` approve it.
async fn govern(
    net: &Testnet,
    action: liangxin_contracts::records::GovernanceAction,
    effective: u64,
    approvers: &[usize],
    on: std::ops::Range<usize>,
) {
    let chain = net.genesis.chain_id().unwrap();
    let proposal = net.nodes[0]
        .signer
        .sign(
            &chain,
            0,
            &liangxin_sdk::builders::governance_proposal(action, effective, effective),
        )
        .unwrap();
    let proposal_id = liangxin_types::tx::tx_id(&proposal.to_canonical().unwrap());
    let mut txs = vec![(proposal_id, proposal.to_canonical().unwrap())];
    for &i in approvers {
        let a = net.nodes[i]
            .signer
            .sign(
                &chain,
                0,
                &liangxin_sdk::builders::governance_approval(proposal_id),
            )
            .unwrap();
        let bytes = a.to_canonical().unwrap();
        txs.push((liangxin_types::tx::tx_id(&bytes), bytes));
    }
    submit(&net.rpc(0), &txs[..1]).await;
    final_on(net, 0, &txs[..1]).await;
    submit(&net.rpc(1), &txs[1..]).await;
    for i in on {
        final_on(net, i, &txs).await;
    }
}

/// Waits (bounded) until a checkpoint note above height `after`, as `client` serves it,
/// satisfies `ok`.
async fn wait_for_note(
    client: &Client,
    what: &str,
    after: u64,
    ok: impl Fn(&SignedCheckpoint) -> bool,
) {
    poll(what, WAIT, || async {
        let top = client.chain_info().await.ok()?.height;
        for h in after + 1..=top {
            let cp = client.checkpoint(Some(h)).await.ok()?;
            let note = SignedCheckpoint::parse_note(&cp.note).ok()?;
            if ok(&note) {
                return Some(());
            }
        }
        None
    })
    .await;
}

/// Whether validator `name` signed `note`.
fn signed_by(note: &SignedCheckpoint, name: &str) -> bool {
    note.signatures().iter().any(|s| s.name == name)
}

async fn height(net: &Testnet, i: usize) -> u64 {
    Client::new(&net.rpc(i))
        .unwrap()
        .chain_info()
        .await
        .unwrap()
        .height
}

/// Every running node holds the same checkpoint at every height up to the lowest tip; the
/// notes that carry signatures verify under a quorum of the validators. Returns, per
/// validator name, how many notes it signed.
async fn check_agreement(net: &Testnet) -> BTreeMap<String, usize> {
    let running = net.running();
    let mut top = u64::MAX;
    for &i in &running {
        top = top.min(height(net, i).await);
    }
    assert!(top > 0);
    let info = Client::new(&net.rpc(running[0]))
        .unwrap()
        .chain_info()
        .await
        .unwrap();
    let quorum = liangxin_sdk::verify::bft_quorum(info.validators.len());
    assert_eq!(info.quorum as usize, quorum);
    let validators: Vec<(String, liangxin_types::PublicKey)> = info
        .validators
        .iter()
        .map(|v| (v.name.clone(), v.public_key))
        .collect();
    let mut signed: BTreeMap<String, usize> = BTreeMap::new();
    let clients: Vec<Client> = running
        .iter()
        .map(|i| Client::new(&net.rpc(*i)).unwrap())
        .collect();
    for h in 1..=top {
        let mut first = None;
        for (c, i) in clients.iter().zip(&running) {
            let cp = c.checkpoint(Some(h)).await.unwrap();
            let note = SignedCheckpoint::parse_note(&cp.note).unwrap();
            match &first {
                None => first = Some(note.checkpoint().clone()),
                Some(f) => assert_eq!(note.checkpoint(), f, "node {i} at height {h}"),
            }
            // A quorum's finalization, or (a block final only through a descendant's) the
            // node's own attestation, one signature.
            match note.verify(&validators, quorum) {
                Ok(who) => {
                    for w in who {
                        *signed.entry(validators[w].0.clone()).or_default() += 1;
                    }
                    *signed.entry("(quorum notes)".into()).or_default() += 1;
                }
                Err(e) => assert_eq!(
                    note.signatures().len(),
                    1,
                    "node {i} height {h}: neither a quorum's nor one attestation: {e}"
                ),
            }
        }
    }
    signed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_and_an_observer_agree_through_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Testnet::create(dir.path(), "crash", 4, 1);
    let t0 = std::time::Instant::now();
    net.start_all();
    eprintln!("started in {:?}", t0.elapsed());

    // Records submitted to different nodes (the observer too) become final on all five.
    let a = registrations(&net, 0, 0, 20, 1);
    let b = registrations(&net, 1, 0, 20, 2);
    let c = registrations(&net, 2, 0, 20, 3);
    submit(&net.rpc(0), &a).await;
    submit(&net.rpc(3), &b).await;
    submit(&net.rpc(4), &c).await;
    for i in 0..5 {
        final_on(&net, i, &a).await;
        final_on(&net, i, &b).await;
        final_on(&net, i, &c).await;
    }

    eprintln!("60 records final on five nodes at {:?}", t0.elapsed());
    // SIGKILL validator 2: finality continues with three of four.
    net.kill(2);
    let d = registrations(&net, 0, 20, 30, 4);
    submit(&net.rpc(1), &d).await;
    for i in [0, 1, 3, 4] {
        final_on(&net, i, &d).await;
    }

    eprintln!("30 more final with one down at {:?}", t0.elapsed());
    // Restarted, it catches up and signs again.
    let before = height(&net, 0).await;
    net.start(2);
    final_on(&net, 2, &d).await;
    let e = registrations(&net, 1, 20, 30, 5);
    submit(&net.rpc(2), &e).await;
    for i in 0..5 {
        final_on(&net, i, &e).await;
    }
    let name = validator_name(2);
    let client = Client::new(&net.rpc(0)).unwrap();
    wait_for_note(
        &client,
        "validator 2 signs a checkpoint again",
        before,
        |n| signed_by(n, &name),
    )
    .await;

    eprintln!("validator 2 back and signing at {:?}", t0.elapsed());
    let signed = check_agreement(&net).await;
    eprintln!("notes signed: {signed:?}");
    assert!(signed.len() >= 4, "{signed:?}");

    // A stranger (a key no node allows) can neither connect nor inject a message.
    let stranger = SigningKey::dev("a stranger");
    let mut cfg = liangxin_p2p::Config::new(
        net.genesis.chain_id().unwrap().as_str(),
        stranger.seed(),
        "127.0.0.1:0".parse().unwrap(),
    );
    cfg.peers = (0..2)
        .map(|i| liangxin_p2p::PeerAddress {
            key: net.nodes[i].signer.public_key().into(),
            addr: net.nodes[i].p2p,
        })
        .collect();
    cfg.redial_interval = Duration::from_millis(100);
    let (p2p, _events) = liangxin_p2p::Network::start(cfg).await.unwrap();
    // It tries to inject a valid transaction (validator 0's next one) for 2 s (about 20 dial
    // attempts to each of two validators, which drop it after the Noise handshake).
    let injected = registrations(&net, 0, 50, 1, 7);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut published = 0;
    while tokio::time::Instant::now() < deadline {
        if p2p
            .publish(liangxin_p2p::Topic::Txs, injected[0].1.clone())
            .await
            .is_ok()
        {
            published += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // (The stranger's own peer list is not checked: from its side each redial briefly
    // establishes a connection before the validator closes it.)
    for i in 0..5 {
        let t = Client::new(&net.rpc(i))
            .unwrap()
            .tx(&injected[0].0)
            .await
            .unwrap();
        assert_eq!(
            t.status,
            TxStatus::Unknown,
            "node {i} took a stranger's message ({published} published)"
        );
    }
    // And the network goes on.
    let f = registrations(&net, 2, 20, 5, 6);
    submit(&net.rpc(4), &f).await;
    for i in 0..5 {
        final_on(&net, i, &f).await;
    }
}

/// The votes in a vote log.
fn votes(path: &std::path::Path) -> (Vec<liangxin_consensus::Vote>, u64) {
    let (_, restored) = liangxin_node::votelog::VoteLog::open(path).unwrap();
    (restored.votes, restored.floor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_that_lost_its_disk_syncs_and_never_signs_a_conflicting_vote() {
    let dir = tempfile::tempdir().unwrap();
    // Four validators; the observer (node 4) joins late, below.
    let mut net = Testnet::create(dir.path(), "disk", 4, 1);
    for i in 0..4 {
        net.start(i);
    }
    let a = registrations(&net, 0, 0, 20, 1);
    submit(&net.rpc(0), &a).await;
    for i in 0..4 {
        final_on(&net, i, &a).await;
    }

    // Validator 3 loses its data directory (ledger and vote log) while the others go on.
    net.kill(3);
    let db = net.nodes[3].home.join("db");
    let old_log = dir.path().join("votes-before-loss.log");
    std::fs::copy(db.join("votes.log"), &old_log).unwrap();
    std::fs::remove_dir_all(&db).unwrap();
    let (old, _) = votes(&old_log);
    assert!(!old.is_empty());
    let newest_old = old.iter().map(|v| v.view()).max().unwrap();
    // Enough blocks that it must sync in batches (more than SYNC_LAG behind).
    let b = registrations(&net, 1, 0, 40, 2);
    submit(&net.rpc(1), &b).await;
    for i in 0..3 {
        final_on(&net, i, &b).await;
    }
    let client = Client::new(&net.rpc(0)).unwrap();
    let target = liangxin_node::network::SYNC_LAG + 2;
    poll("the others move past the sync lag", WAIT, || async {
        (client.chain_info().await.ok()?.height > target).then_some(())
    })
    .await;

    // It rejoins: syncs, learns the newest view from its peers, and signs again.
    net.start(3);
    // An observer that joins now syncs the whole chain too.
    net.start(4);
    final_on(&net, 3, &b).await;
    final_on(&net, 4, &a).await;
    final_on(&net, 4, &b).await;
    let before = height(&net, 0).await;
    let c = registrations(&net, 2, 0, 20, 3);
    submit(&net.rpc(3), &c).await;
    for i in 0..5 {
        final_on(&net, i, &c).await;
    }
    let name = validator_name(3);
    wait_for_note(
        &client,
        "validator 3 signs a checkpoint after its disk loss",
        before,
        |n| signed_by(n, &name),
    )
    .await;
    let log = net.log(3);
    assert!(log.contains("rejoined after disk loss"), "{log}");
    net.kill(3);

    // Every vote it signed after the loss is in a view past every vote before it: no conflict
    // is possible.
    let (new, floor) = votes(&db.join("votes.log"));
    assert!(floor > newest_old, "floor {floor} ≤ old view {newest_old}");
    assert!(!new.is_empty(), "it voted again");
    let oldest_new = new.iter().map(|v| v.view()).min().unwrap();
    assert!(
        oldest_new > newest_old,
        "a vote in view {oldest_new} after the loss, one in view {newest_old} before"
    );
    eprintln!(
        "votes before the loss up to view {newest_old}; floor {floor}; votes after from view \
         {oldest_new}"
    );
    check_agreement(&net).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_added_by_governance_signs_from_its_effective_height() {
    let dir = tempfile::tempdir().unwrap();
    // Four validators and an observer: the observer's key is the one governance adds.
    let mut net = Testnet::create(dir.path(), "governance", 4, 1);
    net.start_all();
    let chain = net.genesis.chain_id().unwrap();
    let newcomer = net.nodes[4].signer.public_key();
    let client = Client::new(&net.rpc(0)).unwrap();
    let effective = height(&net, 0).await + 15;
    // Three of four regulators (more than two thirds): the proposer and two approvals.
    govern(
        &net,
        liangxin_contracts::records::GovernanceAction::AddRegulator {
            name: liangxin_sdk::builders::text("name", "regulator-5").unwrap(),
            key: newcomer,
            jurisdiction: liangxin_contracts::model::Jurisdiction::national(),
            validator: true,
        },
        effective,
        &[1, 2],
        0..5,
    )
    .await;

    // From the effective height on, five validators, quorum four, and the newcomer signs.
    poll("the new validator set in effect", WAIT, || async {
        let info = client.chain_info().await.ok()?;
        (info.validators.len() == 5 && info.height > effective).then_some(())
    })
    .await;
    let records = registrations(&net, 0, 1, 20, 8);
    submit(&net.rpc(4), &records).await;
    for i in 0..5 {
        final_on(&net, i, &records).await;
    }
    let info = client.chain_info().await.unwrap();
    assert_eq!(info.quorum, 4);
    let validators: Vec<(String, liangxin_types::PublicKey)> = info
        .validators
        .iter()
        .map(|v| (v.name.clone(), v.public_key))
        .collect();
    wait_for_note(&client, "regulator-5 in a quorum note", effective, |n| {
        n.verify(&validators, 4)
            .is_ok_and(|who| who.iter().any(|w| validators[*w].0 == "regulator-5"))
    })
    .await;
    // Every node can prove the change to a client that pins only the genesis validators: the
    // checkpoint of the changing block, signed by the old set, and the new set under its state
    // root. Checked by the portal's JavaScript (the browser's code), against every node.
    let genesis_set: Vec<serde_json::Value> = net
        .genesis
        .validators()
        .iter()
        .map(|(name, key)| serde_json::json!({"name": name, "public_key": key.to_string()}))
        .collect();
    let pinned = dir.path().join("pinned.json");
    std::fs::write(
        &pinned,
        serde_json::json!({"chainId": chain.as_str(), "validators": genesis_set, "quorum": 3})
            .to_string(),
    )
    .unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    for i in 0..5 {
        use liangxin_rpc::LxApiClient;
        let sets = Client::new(&net.rpc(i))
            .unwrap()
            .rpc()
            .validator_sets()
            .await
            .unwrap();
        assert_eq!(sets.changes.len(), 1, "node {i}: {sets:?}");
        let change = &sets.changes[0];
        assert_eq!(change.height, effective, "node {i}");
        assert_eq!(change.validators.len(), 5, "node {i}");
        let note = SignedCheckpoint::parse_note(&change.checkpoint.note).unwrap();
        let old: Vec<_> = net.genesis.validators();
        assert!(
            note.verify(&old, 3).is_ok(),
            "node {i}: signed by the genesis set"
        );
        // The SDK follows it the same way.
        let genesis_set = liangxin_sdk::verify::ValidatorSet::from_genesis(&net.genesis).unwrap();
        let followed = liangxin_sdk::verify::follow_validator_sets(&genesis_set, &sets).unwrap();
        assert_eq!(followed.len(), 2, "node {i}");
        assert_eq!(followed[1].0, effective + 1, "node {i}");
        assert_eq!(followed[1].1.validators().len(), 5, "node {i}");
        assert_eq!(followed[1].1.quorum(), 4, "node {i}");
        // A forged change is refused: a set the proof does not hold, or a checkpoint of
        // another height.
        let mut forged = sets.clone();
        forged.changes[0].validators.pop();
        assert!(liangxin_sdk::verify::follow_validator_sets(&genesis_set, &forged).is_err());
        let mut forged = sets.clone();
        forged.changes[0].checkpoint = sets.checkpoint.clone();
        assert!(liangxin_sdk::verify::follow_validator_sets(&genesis_set, &forged).is_err());
        let answer = dir.path().join(format!("validator-sets-{i}.json"));
        std::fs::write(&answer, serde_json::to_vec(&sets).unwrap()).unwrap();
        let out = std::process::Command::new("node")
            .arg(repo.join("tests/portal/follow.mjs"))
            .arg(&answer)
            .arg(&pinned)
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "node {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let followed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(followed[1]["from"], effective + 1, "node {i}: {followed}");
        assert_eq!(followed[1]["quorum"], 4, "node {i}: {followed}");
        assert!(
            followed[1]["names"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == "regulator-5"),
            "node {i}: {followed}"
        );
    }
    // Every node holds the same checkpoints.
    let top = height(&net, 4).await;
    for h in 1..=top {
        let mut first = None;
        for i in 0..5 {
            let cp = Client::new(&net.rpc(i))
                .unwrap()
                .checkpoint(Some(h))
                .await
                .unwrap();
            let c = SignedCheckpoint::parse_note(&cp.note)
                .unwrap()
                .checkpoint()
                .clone();
            match &first {
                None => first = Some(c),
                Some(f) => assert_eq!(&c, f, "node {i} height {h}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_removed_by_governance_is_no_longer_counted() {
    let dir = tempfile::tempdir().unwrap();
    // Five validators (quorum 4); governance removes regulator-5.
    let mut net = Testnet::create(dir.path(), "removal", 5, 0);
    net.start_all();
    let removed = net.nodes[4].signer.public_key();
    let client = Client::new(&net.rpc(0)).unwrap();
    let effective = height(&net, 0).await + 15;
    // Four of five regulators (more than two thirds): the proposer and three approvals.
    govern(
        &net,
        liangxin_contracts::records::GovernanceAction::RemoveRegulator { key: removed },
        effective,
        &[1, 2, 3],
        0..4,
    )
    .await;

    // From the effective height on: four validators, quorum three, and the set change is
    // provable from genesis.
    poll("the smaller validator set in effect", WAIT, || async {
        let info = client.chain_info().await.ok()?;
        (info.validators.len() == 4 && info.height > effective + 1).then_some(())
    })
    .await;
    let info = client.chain_info().await.unwrap();
    assert_eq!(info.quorum, 3);
    assert!(info.validators.iter().all(|v| v.name != "regulator-5"));
    {
        use liangxin_rpc::LxApiClient;
        let sets = client.rpc().validator_sets().await.unwrap();
        let genesis_set = liangxin_sdk::verify::ValidatorSet::from_genesis(&net.genesis).unwrap();
        let followed = liangxin_sdk::verify::follow_validator_sets(&genesis_set, &sets).unwrap();
        assert_eq!(followed.len(), 2);
        assert_eq!(followed[1].0, effective + 1);
        assert_eq!(followed[1].1.validators().len(), 4);
    }
    let validators: Vec<(String, liangxin_types::PublicKey)> = info
        .validators
        .iter()
        .map(|v| (v.name.clone(), v.public_key))
        .collect();

    // With regulator-5 and one of the four down, the other three finalise: only a quorum of
    // three of four can do that (the old set needed four of five).
    net.kill(4);
    net.kill(3);
    let records = registrations(&net, 0, 1, 20, 4);
    submit(&net.rpc(0), &records).await;
    for i in 0..3 {
        final_on(&net, i, &records).await;
    }
    let h = height(&net, 0).await;
    // No note after the change counts regulator-5, even where it reached a node.
    for n in effective + 1..=h {
        let cp = client.checkpoint(Some(n)).await.unwrap();
        let note = SignedCheckpoint::parse_note(&cp.note).unwrap();
        if note.signatures().len() > 1 {
            let who = note.verify(&validators, 3).unwrap();
            assert!(who.iter().all(|w| validators[*w].0 != "regulator-5"));
        }
    }
    // Regulator-5 back, and two of the four down: regulator-5 and two validators would make
    // three votes, but regulator-5 no longer counts (it knows it was removed, and the others
    // would not count it): nothing new becomes final. Observed for a bounded window.
    net.start(4);
    net.kill(2);
    let stalled = height(&net, 0).await;
    let more = registrations(&net, 0, 21, 5, 5);
    submit(&net.rpc(0), &more).await;
    let window = std::time::Instant::now();
    while window.elapsed() < Duration::from_secs(4) {
        assert!(
            height(&net, 0).await <= stalled + 1,
            "a block became final with regulator-5's votes counted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A third validator back: finality resumes and the waiting records become final.
    net.start(2);
    for i in [0, 1, 2] {
        final_on(&net, i, &more).await;
    }
}

//! `liangxin-testnet seed` against a real four-validator network: every phase's records
//! become final, and the population is what the seed says.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use liangxin_sdk::Client;
use liangxin_testnet::seed::{SeedConfig, seed, uscc};
use liangxin_tests::net::Testnet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_fills_a_network_with_every_kind_of_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = Testnet::create(dir.path(), "seed", 4, 0);
    net.start_all();
    let cfg = SeedConfig {
        rpcs: (0..4).map(|i| net.rpc(i)).collect(),
        regulator: net.nodes[0].signer.clone(),
        operators: 80,
        seed: 11,
        batch: 100,
        stall: Duration::from_secs(60),
    };
    let r = seed(&cfg).await.unwrap();
    assert_eq!(r.operators, 80);
    assert!(r.commitments > 40 && r.commitments < 80, "{r:?}");
    assert!(r.instruments >= 80 && r.instruments <= 240, "{r:?}");
    assert_eq!(r.verifications, r.instruments);
    assert_eq!(r.draws, 4);
    assert!(r.inspections >= 2, "{r:?}");
    assert_eq!(
        r.records,
        1 + r.operators
            + r.commitments
            + r.instruments
            + r.verifications
            + r.draws
            + r.inspections
            + r.penalties
            + r.objections
            + r.objection_decisions
            + r.repairs
    );
    // The ledger holds them, and an operator's page lists its records.
    let client = Client::new(&net.rpc(1)).unwrap();
    assert!(client.chain_info().await.unwrap().log_size >= r.records);
    let op = client.operator(&uscc(11, 0).unwrap()).await.unwrap();
    assert!(!op.instruments.is_empty());
    // Its registration, and each instrument's registration and verification.
    assert!(op.entries.len() > op.instruments.len() * 2);

    // Every draw, resolved under consensus, verifies through the SDK: the block seed is the
    // VRF output of the resolving block's proposer, under that height's quorum checkpoint.
    let mut lc = client.light_client().await.unwrap();
    let size = client.chain_info().await.unwrap().log_size;
    let mut draws = Vec::new();
    let mut start = 0;
    while start < size {
        let end = (start + 1_000).min(size);
        for e in client.entries(start, end).await.unwrap() {
            if matches!(e.record, liangxin_contracts::Record::RandomDrawRequest(_)) {
                draws.push(liangxin_types::tx::tx_id(&e.tx_bytes().unwrap()));
            }
        }
        start = end;
    }
    assert_eq!(draws.len() as u64, r.draws);
    let mut proposers = std::collections::BTreeSet::new();
    for id in &draws {
        let (d, v) = client.verify_draw(&mut lc, id).await.unwrap();
        let res = d.resolution.expect("resolved");
        assert_eq!(res.header.seed().unwrap(), res.block_seed);
        assert!(v.checkpoint.signed_by.len() >= 3, "{v:?}");
        proposers.insert(res.header.proposer);
    }
    assert!(!proposers.is_empty());
}

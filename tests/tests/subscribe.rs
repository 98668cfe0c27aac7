//! Subscriptions against a real `liangxin-node dev` over WebSocket: every new checkpoint, and
//! new entries filtered by operator and by kind (other operators' and other kinds' entries
//! never arrive), each checked against what `lx_submitAndWait` answered.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use liangxin_contracts::model::Sector;
use liangxin_rpc::dto::EntryFilter;
use liangxin_sdk::builders::{self, InstrumentRegistrationBuilder, OperatorRegistrationBuilder};
use liangxin_sdk::{Client, Signer};
use liangxin_tests::{DevNode, uscc};

/// Bounded wait for one subscription item.
const ITEM: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_and_filtered_entries_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(&dir.path().join("node"), &["--block-interval-ms", "20"]);
    let c = Client::new(&node.rpc_url).unwrap();
    let regulator = Signer::dev("dev-regulator");
    let a = Signer::dev("subscriber-a");
    let b = Signer::dev("subscriber-b");
    let ua = uscc("91350100MA0000001");
    let ub = uscc("91350100MA0000002");

    let mut checkpoints = c.watch_checkpoints().await.unwrap();
    let mut of_a = c
        .watch_entries(EntryFilter {
            operator: Some(ua.to_string()),
            kind: None,
        })
        .await
        .unwrap();
    let mut instruments = c
        .watch_entries(EntryFilter {
            operator: None,
            kind: Some("instrument_registration".into()),
        })
        .await
        .unwrap();
    let bad = c
        .watch_entries(EntryFilter {
            operator: Some("91350100MA0000001X".into()),
            kind: None,
        })
        .await;
    assert!(bad.is_err(), "a bad USCC in the filter is refused");

    let mut finals = Vec::new();
    for (u, k, name) in [(&ua, &a, "甲"), (&ub, &b, "乙")] {
        let r = OperatorRegistrationBuilder::new(
            u.clone(),
            format!("福州{name}加油站有限公司"),
            "350102",
            Sector::FuelStation,
            k.public_key(),
        )
        .build()
        .unwrap();
        finals.push(c.submit_and_wait(&regulator, &r, ITEM).await.unwrap());
    }
    for (u, k) in [(&ub, &b), (&ua, &a)] {
        let id = builders::instrument(u.clone(), "9.1", "SUB-1").unwrap();
        let r = InstrumentRegistrationBuilder::new(id, "DJY-2226")
            .build()
            .unwrap();
        finals.push(c.submit_and_wait(k, &r, ITEM).await.unwrap());
    }

    // Checkpoints: every final answer's checkpoint arrives, in height order.
    let last = finals.iter().map(|f| f.checkpoint.height).max().unwrap();
    let mut heights = Vec::new();
    while heights.last() != Some(&last) {
        let cp = tokio::time::timeout(ITEM, checkpoints.next())
            .await
            .expect("a checkpoint within the bound")
            .expect("subscription open")
            .unwrap();
        if let Some(f) = finals.iter().find(|f| f.checkpoint.height == cp.height) {
            assert_eq!(cp, f.checkpoint);
        }
        heights.push(cp.height);
    }
    assert!(heights.windows(2).all(|w| w[0] < w[1]), "{heights:?}");

    // Operator A's entries: its registration and its instrument, nothing of B.
    let want_a = [finals[0].leaf_index, finals[3].leaf_index];
    for want in want_a {
        let e = tokio::time::timeout(ITEM, of_a.next())
            .await
            .expect("an entry within the bound")
            .expect("subscription open")
            .unwrap();
        assert_eq!(e.leaf_index, want);
    }
    // Instrument registrations of both, in log order, nothing else.
    for want in [finals[2].leaf_index, finals[3].leaf_index] {
        let e = tokio::time::timeout(ITEM, instruments.next())
            .await
            .expect("an entry within the bound")
            .expect("subscription open")
            .unwrap();
        assert_eq!(e.leaf_index, want);
        assert_eq!(e.record.kind_name(), "instrument_registration");
    }
    // Nothing more is pending for A: one more record of B, then its checkpoint, and A's
    // subscription must still be empty.
    let id = builders::instrument(ub.clone(), "9.1", "SUB-2").unwrap();
    let r = InstrumentRegistrationBuilder::new(id, "DJY-2226")
        .build()
        .unwrap();
    let fin = c.submit_and_wait(&b, &r, ITEM).await.unwrap();
    let e = tokio::time::timeout(ITEM, instruments.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(e.leaf_index, fin.leaf_index);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), of_a.next())
            .await
            .is_err(),
        "B's record reached A's subscription"
    );

    // The node's metrics count what happened, the state row cache's lookups included (each
    // admission reads its signer's rows; the regulator's were read for several records).
    let addr = node.metrics_addr.as_deref().expect("metrics are on");
    let text = liangxin_testnet::admin::call(addr, "GET", "/metrics").unwrap();
    let value = |name: &str| -> u64 {
        liangxin_testnet::bench::metric(&text, name)
            .unwrap_or_else(|| panic!("{name} is not in the metrics:\n{text}"))
    };
    assert!(value("liangxin_records_total") >= 5);
    assert!(value("liangxin_state_cache_hits") > 0);
    assert!(value("liangxin_state_cache_misses") > 0);
    assert!(value("liangxin_state_cache_bytes") > 0);
}

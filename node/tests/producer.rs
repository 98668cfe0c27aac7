//! The single-validator producer under a stream of consecutive transactions from few signers,
//! many small blocks long: everything becomes final in order, one transaction the contracts
//! reject is rejected without stranding the other signers' transactions, and the committed
//! ledger is exactly what a second validator re-derives (every block re-executed on a fresh
//! store gives the same header, and the same final state root).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Dev, uscc};
use liangxin_node::engine::{BlockConfig, Engine};
use liangxin_node::exec::{build_genesis, load_tip, verify_block};
use liangxin_node::mempool::MempoolConfig;
use liangxin_rpc::dto::TxStatus;
use liangxin_sdk::builders::{self, InstrumentRegistrationBuilder};
use liangxin_storage::{MemStore, Store};
use liangxin_types::Canonical;

#[test]
fn a_long_stream_commits_in_order_and_replays() {
    let dev = Dev::new();
    let (genesis, chain, validator) = (&dev.genesis, &dev.chain, &dev.validator);
    let store = Arc::new(dev.fresh_store());
    let tip = load_tip(&*store).unwrap().unwrap();
    let engine = Arc::new(Engine::new(
        Arc::clone(&store),
        tip,
        Some(validator.clone()),
        // Small blocks, so the stream spans many blocks.
        BlockConfig {
            max_txs: 7,
            interval_ms: 5,
        },
        MempoolConfig::default(),
    ));
    let e = Arc::clone(&engine);
    let producer = std::thread::spawn(move || e.run_producer());

    // Three operators, each filing 40 instruments with consecutive sequence numbers; one of
    // operator 1's is a duplicate (rejected by the contracts at execution) and nothing follows
    // it for operator 1.
    let (keys, regs) = dev.registrations("producer", 0, 3);
    let ids: Vec<_> = regs
        .iter()
        .map(|r| engine.admit(r.bytes.clone(), false).unwrap().0)
        .collect();
    // Admission needs the operators registered.
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids
        .iter()
        .any(|id| engine.store().tx_location(id).unwrap().is_none())
    {
        assert!(
            Instant::now() < deadline,
            "registrations not final within 30 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut seqs = [0u64; 3];
    let mut want_final = ids.clone();
    let mut duplicate = None;
    let mut followers = Vec::new();
    for n in 0..40 {
        for (i, k) in keys.iter().enumerate() {
            if i == 1 && duplicate.is_some() {
                continue;
            }
            let serial = if i == 1 && n == 20 {
                "SN-0000".to_string() // already registered at n = 0
            } else {
                format!("SN-{n:04}")
            };
            let id = builders::instrument(uscc(i), "9.1", &serial).unwrap();
            let r = InstrumentRegistrationBuilder::new(id, "DJY-2226")
                .build()
                .unwrap();
            let tx = k.sign(chain, seqs[i], &r).unwrap();
            let id = engine.admit(tx.to_canonical().unwrap(), false).unwrap().0;
            if i == 1 && n == 20 {
                duplicate = Some(id);
                // Two more of operator 1 follow it at once; they cannot become final (the
                // duplicate's sequence number stays unused), and operator 1 sends nothing else.
                for extra in 1..=2u64 {
                    let id = builders::instrument(uscc(i), "9.1", &format!("SN-X{extra}")).unwrap();
                    let r = InstrumentRegistrationBuilder::new(id, "DJY-2226")
                        .build()
                        .unwrap();
                    let tx = k.sign(chain, seqs[i] + extra, &r).unwrap();
                    // Admitted and later rejected, or (once the duplicate's rejection is
                    // known) refused at once: never left waiting.
                    match engine.admit(tx.to_canonical().unwrap(), false) {
                        Ok((id, _)) => followers.push(id),
                        Err(e) => assert!(
                            e.to_string().contains("was rejected, so sequence number"),
                            "{e}"
                        ),
                    }
                }
                continue;
            }
            seqs[i] += 1;
            want_final.push(id);
        }
    }

    // Bounded wait until every expected record is final.
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in &want_final {
        loop {
            let (status, _) = engine.pool_status(id).unwrap_or((TxStatus::Unknown, None));
            let final_now =
                status == TxStatus::Final || engine.store().tx_location(id).unwrap().is_some();
            if final_now {
                break;
            }
            assert!(Instant::now() < deadline, "{id} not final within 60 s");
            assert!(engine.failure().is_none(), "{:?}", engine.failure());
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let dup = duplicate.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while engine.pool_status(&dup).map(|(s, _)| s) != Some(TxStatus::Rejected) {
        assert!(Instant::now() < deadline, "the duplicate was not rejected");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(engine.store().tx_location(&dup).unwrap().is_none());
    for id in &followers {
        let deadline = Instant::now() + Duration::from_secs(10);
        while engine.pool_status(id).map(|(s, _)| s) != Some(TxStatus::Rejected) {
            assert!(
                Instant::now() < deadline,
                "a follower of the duplicate was not rejected"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(engine.store().tx_location(id).unwrap().is_none());
    }
    engine.shutdown();
    producer.join().unwrap().unwrap();
    // Nothing stranded: the blocks executed ahead of their commits left nothing waiting. (Asked
    // once the producer has stopped: a block's records are in the store a moment before its
    // committer takes them out of the mempool.)
    assert_eq!(engine.waiting(), 0);

    // The committed ledger: every expected record once, nothing else, and every block
    // re-executes to the same header on a fresh store (what a second validator would do).
    let top = engine.read().height;
    assert!(
        top >= 10,
        "{top} blocks: the stream was not spread over many"
    );
    assert_eq!(engine.read().log.size(), want_final.len() as u64);
    let replay = MemStore::default();
    let (write, _) = build_genesis(&replay, genesis, Some(validator)).unwrap();
    replay.commit(&write).unwrap();
    for h in 1..=top {
        let tip = load_tip(&replay).unwrap().unwrap();
        let header = store.header(h).unwrap().unwrap();
        let body = store.body(h).unwrap().unwrap();
        let block = liangxin_types::Block { header, body };
        let built = verify_block(&replay, &[], &tip, &block)
            .unwrap()
            .unwrap_or_else(|e| panic!("block {h} does not re-execute: {e}"));
        let mut write = built.write;
        write.checkpoint(store.checkpoint(Some(h)).unwrap().unwrap());
        replay.commit(&write).unwrap();
    }
    assert_eq!(
        load_tip(&replay).unwrap().unwrap().state_root(),
        engine.read().state_root()
    );
}

/// A full mempool answers "busy, retry" before it checks a transaction's signature (a client
/// retrying must not cost a verification each time), and changes nothing; a transaction it
/// already holds is still taken as the duplicate it is, and malformed bytes are still refused
/// as malformed.
#[test]
fn a_full_mempool_answers_busy_before_checking_the_signature() {
    use liangxin_contracts::Code;
    use liangxin_rpc::RpcError;

    let dev = Dev::new();
    let store = Arc::new(dev.fresh_store());
    let tip = load_tip(&*store).unwrap().unwrap();
    // No producer runs: what is admitted stays waiting.
    let engine = Engine::new(
        Arc::clone(&store),
        tip,
        Some(dev.validator.clone()),
        BlockConfig::default(),
        MempoolConfig {
            max_txs: 2,
            ..MempoolConfig::default()
        },
    );
    let (_, regs) = dev.registrations("full", 0, 3);
    let first = engine.admit(regs[0].bytes.clone(), false).unwrap().0;
    engine.admit(regs[1].bytes.clone(), false).unwrap();

    // The third, valid, is refused as busy.
    let third = engine.admit(regs[2].bytes.clone(), false).unwrap_err();
    assert!(matches!(third, RpcError::Busy(_)), "{third:?}");
    // So is one whose signature is broken: busy, not "bad signature", because its signature
    // was not checked.
    let mut forged = regs[2].bytes.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let e = engine.admit(forged.clone(), false).unwrap_err();
    assert!(matches!(e, RpcError::Busy(_)), "{e:?}");
    // Malformed bytes are still named as such.
    let e = engine.admit(vec![0xff; 10], false).unwrap_err();
    assert!(
        matches!(&e, RpcError::Rejected { rejection, .. } if rejection.code == Code::Malformed.number()),
        "{e:?}"
    );
    // A transaction already waiting is accepted again (nothing new is added).
    assert_eq!(engine.admit(regs[0].bytes.clone(), false).unwrap().0, first);
    assert_eq!(engine.waiting(), 2);
    assert!(engine.pooled(&regs[2].id).is_none());

    // With room again, the forged one gets its real answer.
    let roomy = Engine::new(
        Arc::clone(&store),
        load_tip(&*store).unwrap().unwrap(),
        Some(dev.validator.clone()),
        BlockConfig::default(),
        MempoolConfig::default(),
    );
    let e = roomy.admit(forged, false).unwrap_err();
    assert!(
        matches!(&e, RpcError::Rejected { rejection, .. } if rejection.code == Code::BadSignature.number()),
        "{e:?}"
    );
}

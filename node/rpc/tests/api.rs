//! The API end to end: a server over a mock backend, the generated HTTP and WebSocket clients,
//! and raw HTTP for what a well-behaved client cannot send.

// Test helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use common::*;
use liangxin_contracts::Record;
use liangxin_contracts::store::Holder;
use liangxin_contracts::testkit::example_records;
use liangxin_rpc::backend::EntryEvent;
use liangxin_rpc::dto::*;
use liangxin_rpc::jsonrpsee::core::client::ClientT;
use liangxin_rpc::jsonrpsee::core::params::ArrayParams;
use liangxin_rpc::jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use liangxin_rpc::jsonrpsee::rpc_params;
use liangxin_rpc::jsonrpsee::ws_client::WsClientBuilder;
use liangxin_rpc::{LxApiClient, MAX_ENTRIES_PER_CALL, MAX_WAIT_MS, RpcConfig, RpcError, codes};
use liangxin_types::SigningKey;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

fn http(run: &Running) -> HttpClient {
    HttpClientBuilder::default()
        .request_timeout(WAIT)
        .build(run.http_url())
        .unwrap()
}

/// Asserts that the server still answers.
async fn still_up(client: &HttpClient) {
    let info = timeout(WAIT, client.chain_info()).await.unwrap().unwrap();
    assert_eq!(info.chain_id.as_str(), "liangxin-test");
}

/// Expects a JSON-RPC error object from `call`, and returns its client-side view.
async fn error_of<T: std::fmt::Debug>(
    call: impl Future<Output = Result<T, liangxin_rpc::jsonrpsee::core::client::Error>>,
) -> RpcError {
    let r = timeout(WAIT, call).await.unwrap();
    rpc_err(r.expect_err("expected an error"))
}

#[tokio::test]
async fn every_method_over_http() {
    let run = start(RpcConfig::default()).await;
    let c = http(&run);
    let m = &run.mock;

    let info = c.chain_info().await.unwrap();
    assert_eq!(info.origin, "liangxin/liangxin-test");
    assert_eq!((info.height, info.log_size, info.quorum), (3, 12, 1));
    assert_eq!(info.validators[0].name, "validator-1");

    // lx_account: the validator's key is a regulator's; any other valid key is unknown.
    let dev = SigningKey::dev("validator-1").public_key();
    let acct = c.account(dev.to_hex()).await.unwrap();
    assert!(matches!(acct.holder, Some(Holder::Regulator(_))));
    let other = c
        .account(SigningKey::dev("nobody").public_key().to_hex())
        .await
        .unwrap();
    assert_eq!((other.holder, other.next_seq), (None, 0));

    // lx_submit, then lx_tx says pending.
    let record = &example_records()[0];
    let tx = signed("merchant", 1, record);
    let submitted = c.submit(tx_hex(&tx)).await.unwrap();
    assert_eq!(submitted.tx_id, tx.id().unwrap());
    let status = c.tx(submitted.tx_id.to_hex()).await.unwrap();
    assert_eq!(status.status, TxStatus::Pending);
    assert_eq!((status.height, status.leaf_index), (None, None));

    // lx_submitAndWait, then lx_tx says final.
    let tx2 = signed("merchant", 2, record);
    let fin = c.submit_and_wait(tx_hex(&tx2), 2_000).await.unwrap();
    assert_eq!(fin.tx_id, tx2.id().unwrap());
    assert_eq!(fin.status, TxStatus::Final);
    assert_eq!((fin.height, fin.leaf_index), (3, 19));
    assert_eq!(fin.checkpoint, m.checkpoints[2]);
    let status = c.tx(fin.tx_id.to_hex()).await.unwrap();
    assert_eq!(status.status, TxStatus::Final);
    assert_eq!((status.height, status.leaf_index), (Some(3), Some(19)));

    // An unknown id is an answer, not an error.
    let unknown = c.tx("ab".repeat(32)).await.unwrap();
    assert_eq!(unknown.status, TxStatus::Unknown);

    // Checkpoints: latest, by height, and the note agrees with the fields.
    let latest = c.checkpoint(None).await.unwrap();
    assert_eq!(latest, m.checkpoints[2]);
    let cp1 = c.checkpoint(Some(1)).await.unwrap();
    assert_eq!(cp1.height, 1);
    let signed_cp = cp1.to_signed().unwrap();
    assert_eq!(signed_cp.checkpoint().log_size, cp1.log_size);
    let e = error_of(c.checkpoint(Some(99))).await;
    assert!(
        matches!(e, RpcError::NotFound(ref s) if s.contains("99")),
        "{e:?}"
    );

    // Entries: the record view and the leaf bytes survive the round trip.
    let e5 = c.entry(5).await.unwrap();
    assert_eq!(e5, m.entries[5].0);
    assert_eq!(e5.record, example_records()[5]);
    let leaf = e5.tx_bytes().unwrap();
    let decoded: liangxin_types::tx::SignedTx =
        liangxin_types::Canonical::from_canonical(&leaf).unwrap();
    assert_eq!(decoded.body.seq, 5);
    let range = c.entries(2, 6).await.unwrap();
    assert_eq!(
        range.iter().map(|e| e.leaf_index).collect::<Vec<_>>(),
        vec![2, 3, 4, 5]
    );
    let all = c.entries(0, 19).await.unwrap();
    assert_eq!(all.len(), 19);
    let e = error_of(c.entry(19)).await;
    assert_eq!(e.code(), codes::NOT_FOUND);
    let e = error_of(c.entries(10, 20)).await;
    assert_eq!(e.code(), codes::NOT_FOUND);

    // Proofs.
    let p = c.inclusion_proof(3, 12).await.unwrap();
    assert_eq!((p.leaf_index, p.tree_size, p.hashes.len()), (3, 12, 4));
    let p = c.consistency_proof(4, 12).await.unwrap();
    assert_eq!((p.size1, p.size2, p.hashes.len()), (4, 12, 3));
    let p = c.consistency_proof(12, 12).await.unwrap();
    assert!(p.hashes.is_empty());
    let e = error_of(c.inclusion_proof(3, 100)).await;
    assert!(
        matches!(e, RpcError::BadRequest(ref s) if s.contains("beyond")),
        "{e:?}"
    );

    // Operator, instrument, certificate, draw.
    let op = c.operator(STATION.into()).await.unwrap();
    assert_eq!(op, m.operator);
    assert_eq!(op.profile.registration.uscc.as_str(), STATION);
    assert_eq!(op.entries.len(), 10);
    assert!(op.state_proof.is_null());
    let other = uscc("91350100M00020000");
    let e = error_of(c.operator(other.to_string())).await;
    assert!(matches!(e, RpcError::NotFound(_)), "{e:?}");

    let id = InstrumentRef::from(&m.instrument.id);
    let inst = c.instrument(id.clone()).await.unwrap();
    assert_eq!(inst, m.instrument);
    let e = error_of(c.instrument(InstrumentRef {
        serial: "NOPE".into(),
        ..id
    }))
    .await;
    assert_eq!(e.code(), codes::NOT_FOUND);

    let cert = c.certificate(m.certificate.digest.to_hex()).await.unwrap();
    assert_eq!(cert, m.certificate);
    assert!(cert.on_ledger && cert.valid);
    let absent = c.certificate("00".repeat(32)).await.unwrap();
    assert!(!absent.on_ledger && !absent.valid && absent.entry.is_none());

    let draw = c.draw(m.draw.id.to_hex()).await.unwrap();
    assert_eq!(draw, m.draw);
    // The answer carries what a verifier needs: the block seed is the resolving header's VRF
    // output, and the draw seed recomputes from it.
    let res = draw.resolution.unwrap();
    assert_eq!(res.header.seed().unwrap(), res.block_seed);
    let mut forged = res.header.clone();
    forged.seed_proof.0[40] ^= 1;
    assert!(forged.seed().is_err());
    assert_eq!(
        res.seed,
        liangxin_contracts::draws::draw_seed(&res.block_seed, &draw.id)
    );
    let e = error_of(c.draw("11".repeat(32))).await;
    assert_eq!(e.code(), codes::NOT_FOUND);

    run.handle.stop().unwrap();
    timeout(WAIT, run.handle.stopped()).await.unwrap();
}

#[tokio::test]
async fn submission_outcomes_have_stable_codes() {
    let run = start(RpcConfig::default()).await;
    let c = http(&run);
    let record = &example_records()[0];

    // Rejected: code 1002 with the contracts' code and message in `data`, and the tx id.
    let tx = signed("merchant", 7, record);
    let e = error_of(c.submit(tx_hex(&tx))).await;
    match e {
        RpcError::Rejected { tx_id, rejection } => {
            assert_eq!(tx_id, Some(tx.id().unwrap()));
            assert_eq!(
                rejection.code,
                liangxin_contracts::Code::BadSequence.number()
            );
            assert!(rejection.message.contains("sequence number 7"));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let status = c.tx(tx.id().unwrap().to_hex()).await.unwrap();
    assert_eq!(status.status, TxStatus::Rejected);
    assert_eq!(status.rejection.unwrap().code, 14);
    // The raw object: the numbers a non-Rust client sees.
    let raw: Value = raw_call(run.addr, "lx_submit", json!([tx_hex(&tx)])).await;
    assert_eq!(raw["error"]["code"], 1002);
    assert_eq!(raw["error"]["data"]["code"], 14);
    assert!(
        raw["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("transaction rejected (code 14)")
    );

    // Busy: retry later.
    let tx = signed("merchant", 8, record);
    let e = error_of(c.submit(tx_hex(&tx))).await;
    assert!(
        matches!(e, RpcError::Busy(ref s) if s.contains("mempool full")),
        "{e:?}"
    );
    assert_eq!(e.code(), codes::BUSY);

    // Timeout: bounded by the caller, with the tx id to ask about later.
    let tx = signed("merchant", 9, record);
    let e = error_of(c.submit_and_wait(tx_hex(&tx), 200)).await;
    assert_eq!(
        e,
        RpcError::Timeout {
            tx_id: tx.id().unwrap(),
            waited_ms: 200
        }
    );
    let e = error_of(c.submit_and_wait(tx_hex(&tx), MAX_WAIT_MS + 1)).await;
    assert!(
        matches!(e, RpcError::BadRequest(ref s) if s.contains("timeout_ms")),
        "{e:?}"
    );

    still_up(&c).await;
}

#[tokio::test]
async fn bad_params_get_clear_errors_and_the_server_stays_up() {
    let run = start(RpcConfig::default()).await;
    let c = http(&run);
    let good = tx_hex(&signed("merchant", 1, &example_records()[0]));

    // Bad hex, each with a message that says what is wrong.
    let cases: Vec<(String, &str)> = vec![
        (format!("0x{good}"), "0x"),
        (good.to_uppercase(), "lowercase"),
        (good[..good.len() - 1].to_string(), "odd number"),
        (format!("{}zz", &good[..good.len() - 2]), "'z'"),
        (String::new(), "empty"),
        ("ab".repeat(64 * 1024 + 1), "above the limit"),
        ("00".repeat(10), "tx:"),
    ];
    for (tx, needle) in cases {
        let e = error_of(c.submit(tx)).await;
        assert_eq!(e.code(), codes::BAD_REQUEST, "{e:?}");
        assert!(e.to_string().contains(needle), "{needle:?} not in {e}");
        still_up(&c).await;
    }
    for bad in ["abc", &"g".repeat(64), &"AB".repeat(32), &"00".repeat(32)] {
        let e = error_of(c.account(bad.to_string())).await;
        assert_eq!(e.code(), codes::BAD_REQUEST, "{e:?}");
    }
    for bad in ["abc", &"g".repeat(64), &"AB".repeat(32)] {
        let e = error_of(c.tx(bad.to_string())).await;
        assert_eq!(e.code(), codes::BAD_REQUEST, "{e:?}");
        let e = error_of(c.certificate(bad.to_string())).await;
        assert_eq!(e.code(), codes::BAD_REQUEST, "{e:?}");
        let e = error_of(c.draw(bad.to_string())).await;
        assert_eq!(e.code(), codes::BAD_REQUEST, "{e:?}");
    }

    // Searches: empty, too long, control characters, limits out of range.
    let long = "名".repeat(43);
    for (q, limit, needle) in [
        ("", None, "query is empty"),
        ("   ", None, "query is empty"),
        (long.as_str(), None, "above the limit of 128"),
        ("a\u{7}b", None, "control character"),
        ("加油站", Some(0), "outside 1..=50"),
        ("加油站", Some(51), "outside 1..=50"),
    ] {
        let e = error_of(c.search_operators(q.to_string(), limit)).await;
        assert_eq!(e.code(), codes::BAD_REQUEST, "{q:?}: {e:?}");
        assert!(e.to_string().contains(needle), "{needle:?} not in {e}");
    }
    for (q, needle) in [
        ("", "number is empty"),
        ("\n", "number is empty"),
        (long.as_str(), "above the limit"),
    ] {
        let e = error_of(c.find_certificates(q.to_string())).await;
        assert_eq!(e.code(), codes::BAD_REQUEST, "{q:?}: {e:?}");
        assert!(e.to_string().contains(needle), "{needle:?} not in {e}");
    }
    still_up(&c).await;

    // A USCC with a wrong check character: the message names the expected one.
    let wrong = format!("{}0", &STATION[..17]);
    let e = error_of(c.operator(wrong)).await;
    assert_eq!(e.code(), codes::BAD_REQUEST);
    assert!(e.to_string().contains("expected '3'"), "{e}");
    let e = error_of(c.operator("123".into())).await;
    assert!(e.to_string().contains("18 characters"), "{e}");
    let e = error_of(c.instrument(InstrumentRef {
        owner: format!("{}0", &STATION[..17]),
        category: "9.1".into(),
        serial: "FD-0042".into(),
    }))
    .await;
    assert!(e.to_string().contains("expected '3'"), "{e}");
    let e = error_of(c.instrument(InstrumentRef {
        owner: STATION.into(),
        category: "x".repeat(17),
        serial: "FD-0042".into(),
    }))
    .await;
    assert!(e.to_string().contains("instrument category"), "{e}");

    // Out-of-range sizes.
    let e = error_of(c.entries(0, MAX_ENTRIES_PER_CALL + 1)).await;
    assert!(e.to_string().contains("at most 1000"), "{e}");
    let e = error_of(c.entries(5, 5)).await;
    assert_eq!(e.code(), codes::BAD_REQUEST);
    let e = error_of(c.inclusion_proof(12, 12)).await;
    assert!(e.to_string().contains("below the tree size"), "{e}");
    let e = error_of(c.consistency_proof(0, 4)).await;
    assert!(e.to_string().contains("at least 1"), "{e}");
    let e = error_of(c.consistency_proof(5, 4)).await;
    assert!(e.to_string().contains("above size2"), "{e}");

    // Wrong JSON types: jsonrpsee's -32602.
    let r: Result<Value, _> = c.request("lx_entry", rpc_params!["five"]).await;
    assert_eq!(rpc_err(r.unwrap_err()).code(), codes::INVALID_PARAMS);
    let r: Result<Value, _> = c.request("lx_entries", rpc_params![1]).await;
    assert_eq!(rpc_err(r.unwrap_err()).code(), codes::INVALID_PARAMS);
    let r: Result<Value, _> = c.request("lx_submit", rpc_params![42]).await;
    assert_eq!(rpc_err(r.unwrap_err()).code(), codes::INVALID_PARAMS);
    // Unknown fields in an input object.
    let r: Result<Value, _> = c
        .request(
            "lx_instrument",
            rpc_params![json!({"owner": STATION, "category": "9.1", "serial": "x", "extra": 1})],
        )
        .await;
    let e = rpc_err(r.unwrap_err());
    assert_eq!(e.code(), codes::INVALID_PARAMS);
    assert!(format!("{e:?}").contains("extra"), "{e:?}");

    // Unknown method: -32601.
    let r: Result<Value, _> = c.request("lx_nope", ArrayParams::new()).await;
    assert_eq!(rpc_err(r.unwrap_err()).code(), codes::METHOD_NOT_FOUND);

    still_up(&c).await;
}

/// POSTs `body` to the server over a bare TCP connection and returns the HTTP status and the
/// response body. Writes from a separate task so that a server that answers before reading
/// everything cannot deadlock the test.
async fn raw_post(addr: SocketAddr, body: Vec<u8>) -> (u16, String) {
    let stream = timeout(WAIT, tokio::net::TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let writer = tokio::spawn(async move {
        // The server may close early (e.g. on an oversized body): ignore write errors.
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(&body).await;
        wr
    });
    let mut resp = Vec::new();
    let _ = timeout(WAIT, rd.read_to_end(&mut resp)).await.unwrap();
    let _ = timeout(WAIT, writer).await;
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// One call over raw HTTP, returning the whole response object.
async fn raw_call(addr: SocketAddr, method: &str, params: Value) -> Value {
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, body) = raw_post(addr, serde_json::to_vec(&req).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn malformed_oversized_and_batched_requests() {
    let config = RpcConfig::default();
    let run = start(config.clone()).await;
    let c = http(&run);

    // Malformed JSON: -32700.
    let (_, body) = raw_post(
        run.addr,
        b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ".to_vec(),
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], codes::PARSE_ERROR, "{body}");
    let (status, _) = raw_post(run.addr, b"not json at all".to_vec()).await;
    assert_eq!(status, 400);
    still_up(&c).await;

    // Not a request object: -32600.
    let v = raw_post(run.addr, br#"{"jsonrpc": "2.0", "id": 1}"#.to_vec()).await;
    let v: Value = serde_json::from_str(&v.1).unwrap();
    assert_eq!(v["error"]["code"], codes::INVALID_REQUEST, "{v}");

    // A body above max_request_body_size: HTTP 413 and -32007.
    let big = "ab".repeat(config.max_request_body_size as usize / 2 + 1024);
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": "lx_submit", "params": [big]});
    let (status, body) = raw_post(run.addr, serde_json::to_vec(&req).unwrap()).await;
    assert_eq!(status, 413, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], codes::OVERSIZED_REQUEST);
    still_up(&c).await;

    // A batch within the limit works; one above it is refused as a whole: -32010.
    let batch = |n: u32| -> Vec<u8> {
        let calls: Vec<Value> = (0..n)
            .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "lx_checkpoint", "params": []}))
            .collect();
        serde_json::to_vec(&calls).unwrap()
    };
    let (status, body) = raw_post(run.addr, batch(config.max_batch_size)).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), config.max_batch_size as usize);
    assert_eq!(v[0]["result"]["height"], 3);
    let (_, body) = raw_post(run.addr, batch(config.max_batch_size + 1)).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], codes::TOO_BIG_BATCH, "{body}");
    still_up(&c).await;

    // A raw unknown method and a bad-USCC error, as a non-Rust client sees them.
    let v = raw_call(run.addr, "lx_nope", json!([])).await;
    assert_eq!(v["error"]["code"], codes::METHOD_NOT_FOUND);
    let v = raw_call(
        run.addr,
        "lx_operator",
        json!([format!("{}0", &STATION[..17])]),
    )
    .await;
    assert_eq!(v["error"]["code"], codes::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expected '3'")
    );
    still_up(&c).await;
}

#[tokio::test]
async fn subscriptions_over_websocket() {
    let run = start(RpcConfig::default()).await;
    let ws = timeout(WAIT, WsClientBuilder::default().build(run.ws_url()))
        .await
        .unwrap()
        .unwrap();
    let m = &run.mock;

    // Checkpoints.
    let mut cps = ws.subscribe_checkpoints().await.unwrap();
    for h in [4, 5] {
        m.cp_tx.send(checkpoint(h, 12)).unwrap();
    }
    for h in [4, 5] {
        let got = timeout(WAIT, cps.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(got.height, h);
        assert!(got.to_signed().is_ok());
    }

    // Entries: by operator, by kind, and unfiltered.
    let by_operator = EntryFilter {
        operator: Some(STATION.into()),
        kind: None,
    };
    let by_kind = EntryFilter {
        operator: None,
        kind: Some("self_commitment".into()),
    };
    let mut s_op = ws.subscribe_entries(by_operator).await.unwrap();
    let mut s_kind = ws.subscribe_entries(by_kind).await.unwrap();
    let mut s_all = ws.subscribe_entries(EntryFilter::default()).await.unwrap();
    let other = uscc("91350100M00020000");
    let events: Vec<EntryEvent> = m
        .entries
        .iter()
        .take(6)
        .enumerate()
        .map(|(i, (e, _))| EntryEvent {
            entry: e.clone(),
            operator: Some(if i % 3 == 0 { station() } else { other.clone() }),
        })
        .collect();
    for ev in &events {
        m.entry_tx.send(ev.clone()).unwrap();
    }
    let expect_op: Vec<u64> = vec![0, 3];
    let expect_kind: Vec<u64> = events
        .iter()
        .filter(|ev| matches!(ev.entry.record, Record::SelfCommitment(_)))
        .map(|ev| ev.entry.leaf_index)
        .collect();
    assert_eq!(expect_kind, vec![4]);
    for (sub, expected) in [
        (&mut s_op, expect_op),
        (&mut s_kind, expect_kind),
        (&mut s_all, (0..6).collect()),
    ] {
        let mut got = Vec::new();
        for _ in 0..expected.len() {
            let e = timeout(WAIT, sub.next()).await.unwrap().unwrap().unwrap();
            got.push(e.leaf_index);
        }
        assert_eq!(got, expected);
    }
    // Nothing else arrives for the filtered ones: the next matching event is the next item.
    let marker = EntryEvent {
        entry: m.entries[4].0.clone(),
        operator: Some(station()),
    };
    m.entry_tx.send(marker).unwrap();
    for sub in [&mut s_op, &mut s_kind] {
        let e = timeout(WAIT, sub.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(e.leaf_index, 4);
    }

    // A bad filter is refused with a clear error; the connection stays usable.
    let bad = EntryFilter {
        operator: Some(format!("{}0", &STATION[..17])),
        kind: None,
    };
    let e = rpc_err(ws.subscribe_entries(bad).await.unwrap_err());
    assert_eq!(e.code(), codes::BAD_REQUEST);
    assert!(e.to_string().contains("expected '3'"), "{e}");
    let e = rpc_err(
        ws.subscribe_entries(EntryFilter {
            operator: None,
            kind: Some("gossip".into()),
        })
        .await
        .unwrap_err(),
    );
    assert!(e.to_string().contains("unknown record kind"), "{e}");

    // Unsubscribing works and calls still work on the same connection.
    s_all.unsubscribe().await.unwrap();
    cps.unsubscribe().await.unwrap();
    let info = timeout(WAIT, ws.chain_info()).await.unwrap().unwrap();
    assert_eq!(info.height, 3);
    let op = timeout(WAIT, ws.operator(STATION.into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(op.uscc, station());
}

#[tokio::test]
async fn subscription_limit_per_connection() {
    let config = RpcConfig {
        max_subscriptions_per_connection: 2,
        ..RpcConfig::default()
    };
    let run = start(config).await;
    let ws = WsClientBuilder::default()
        .build(run.ws_url())
        .await
        .unwrap();
    let _a = ws.subscribe_checkpoints().await.unwrap();
    let _b = ws.subscribe_checkpoints().await.unwrap();
    let e = rpc_err(ws.subscribe_checkpoints().await.unwrap_err());
    assert_eq!(e.code(), codes::TOO_MANY_SUBSCRIPTIONS);
    assert!(timeout(WAIT, ws.chain_info()).await.unwrap().is_ok());
}

/// `#[tokio::test]` runs on one thread: the 40 sends below happen before the server's
/// subscription task runs again, so its receiver (capacity 16) lags deterministically.
#[tokio::test]
async fn a_lagging_subscriber_is_closed_not_silently_skipped() {
    let run = start(RpcConfig::default()).await;
    let ws = WsClientBuilder::default()
        .build(run.ws_url())
        .await
        .unwrap();
    let mut sub = ws.subscribe_checkpoints().await.unwrap();
    for h in 0..40 {
        let _ = run.mock.cp_tx.send(checkpoint(100 + h, 12));
    }
    // The subscription ends (with an error notification) instead of skipping items.
    let end = timeout(WAIT, sub.next()).await.unwrap();
    assert!(
        end.is_none(),
        "expected the subscription to close, got {end:?}"
    );
    // The connection is fine, and a new subscription works.
    assert!(timeout(WAIT, ws.chain_info()).await.unwrap().is_ok());
    let mut again = ws.subscribe_checkpoints().await.unwrap();
    run.mock.cp_tx.send(checkpoint(200, 12)).unwrap();
    let cp = timeout(WAIT, again.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(cp.height, 200);
}

#[test]
fn config_defaults_serde_and_validation() {
    let d = RpcConfig::default();
    assert_eq!(d.listen.to_string(), "127.0.0.1:8770");
    assert_eq!(d.max_request_body_size, 1 << 20);
    assert_eq!(d.max_response_body_size, 16 << 20);
    assert_eq!(d.max_batch_size, 100);
    assert_eq!(d.max_connections, 256);
    assert_eq!(d.max_subscriptions_per_connection, 64);
    // Missing fields take their defaults; unknown ones are refused.
    let c: RpcConfig = serde_json::from_value(json!({"listen": "0.0.0.0:9000"})).unwrap();
    assert_eq!(c.listen.port(), 9000);
    assert_eq!(c.max_batch_size, 100);
    let e = serde_json::from_value::<RpcConfig>(json!({"max_batch": 3})).unwrap_err();
    assert!(e.to_string().contains("max_batch"), "{e}");
    let zero = RpcConfig {
        max_request_body_size: 0,
        ..RpcConfig::default()
    };
    assert!(matches!(zero.validate(), Err(RpcError::Config(_))));
}

#[tokio::test]
async fn start_server_reports_a_busy_port() {
    let run = start(RpcConfig::default()).await;
    let config = RpcConfig {
        listen: run.addr,
        ..RpcConfig::default()
    };
    let e = liangxin_rpc::start_server(&config, std::sync::Arc::new(Mock::new()))
        .await
        .unwrap_err();
    assert!(matches!(e, RpcError::Bind { .. }), "{e:?}");
}

#[test]
fn error_objects_round_trip() {
    let cases = vec![
        RpcError::not_found("leaf 9"),
        RpcError::bad_request("tx: odd number of hex digits (3)"),
        RpcError::Busy("mempool full".into()),
        RpcError::Rejected {
            tx_id: Some(liangxin_types::Domain::TxId.hash(b"x")),
            rejection: RejectionInfo {
                code: 14,
                message: "bad sequence".into(),
            },
        },
        RpcError::Timeout {
            tx_id: liangxin_types::Domain::TxId.hash(b"y"),
            waited_ms: 10,
        },
    ];
    for e in cases {
        let obj = e.to_error_object();
        assert_eq!(obj.code(), e.code());
        assert_eq!(RpcError::from_error_object(&obj), e);
    }
    let internal = RpcError::Internal("disk".into()).to_error_object();
    assert_eq!(internal.code(), codes::INTERNAL_ERROR);
}

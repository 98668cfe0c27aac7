//! Bad input against a real `liangxin-node dev` process: raw HTTP requests with malformed
//! JSON, wrong parameter types, unknown methods, oversized bodies and batches, and bad
//! parameter values; then, through the SDK, transactions with a flipped signature byte, a
//! replay, an unknown signer, a wrong role, a bad USCC check character, another chain id and
//! an unknown kind. Each gets a clear error with a stable code; afterwards the checkpoint
//! (height, log size, root, block hash, state root) and the signer's sequence numbers are
//! unchanged, the process is running, and it still answers and accepts a valid record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use liangxin_contracts::Record;
use liangxin_contracts::model::{Sector, Severity};
use liangxin_sdk::builders::{OperatorRegistrationBuilder, PenaltyDecisionBuilder};
use liangxin_sdk::rpc::dto::{CheckpointInfo, TxStatus};
use liangxin_sdk::verify::{self, ValidatorSet};
use liangxin_sdk::{Client, Signer};
use liangxin_tests::{DevNode, HttpResponse, http_post, rpc_error, uscc, uscc_with_bad_check};
use liangxin_types::encoding::{BoundedBytes, Canonical};
use liangxin_types::tx::{ChainId, RecordKind, SignedTx, TxBody};
use liangxin_types::{Hash, Uscc};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

fn call(method: &str, params: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}))
        .unwrap()
}

fn registration(u: Uscc, key: &Signer) -> Record {
    OperatorRegistrationBuilder::new(
        u,
        "福州市端到端坏输入商店",
        "350102",
        Sector::Shop,
        key.public_key(),
    )
    .build()
    .unwrap()
}

/// The state that must not move: the latest checkpoint and chain info.
async fn snapshot(client: &Client) -> (CheckpointInfo, u64, u64) {
    let cp = client.checkpoint(None).await.unwrap();
    let info = client.chain_info().await.unwrap();
    (cp, info.height, info.log_size)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut node = DevNode::start(&dir.path().join("node"), &["--block-interval-ms", "50"]);
    let client = Client::new(&node.rpc_url).unwrap();
    let regulator = Signer::dev("dev-regulator");
    let set = ValidatorSet::from_chain_info(&client.chain_info().await.unwrap()).unwrap();

    // A little history: an operator, registered with a transaction this test keeps (to
    // replay it later).
    let shop = uscc("91350100MA2BAD001");
    let shop_key = Signer::generate().unwrap();
    let first = client
        .sign(&regulator, &registration(shop.clone(), &shop_key))
        .await
        .unwrap();
    let fin = client.submit_tx_and_wait(&first, WAIT).await.unwrap();
    assert_eq!(fin.status, TxStatus::Final);
    let before = snapshot(&client).await;
    assert_eq!(before.0.height, fin.height);
    let account = client.account(&regulator.public_key()).await.unwrap();
    assert_eq!(account.next_seq, 1);

    // ---- raw HTTP -------------------------------------------------------------------------
    let addr = node.rpc_addr().to_string();
    let hash = |c: char| c.to_string().repeat(64);
    let (bad_check, right) = uscc_with_bad_check("91350100MA2BAD001");
    let bad_check_s = bad_check.as_str().to_string();
    let cases: Vec<(&str, Vec<u8>, &[i64], &str)> = vec![
        // Not JSON, or not a request.
        (
            "truncated JSON",
            br#"{"jsonrpc":"2.0","id":1,"method":"lx_chainInfo""#.to_vec(),
            &[-32700],
            "",
        ),
        ("not JSON", b"hello, ledger".to_vec(), &[-32700], ""),
        ("empty body", Vec::new(), &[-32700], ""),
        (
            "invalid UTF-8",
            vec![0xff, 0xfe, 0x00, b'{', 0x80],
            &[-32700],
            "",
        ),
        (
            "deep nesting",
            "[".repeat(100_000).into_bytes(),
            &[-32700, -32600],
            "",
        ),
        ("empty batch", b"[]".to_vec(), &[-32600], ""),
        (
            "no method",
            br#"{"jsonrpc":"2.0","id":1}"#.to_vec(),
            &[-32600],
            "",
        ),
        (
            "method not a string",
            br#"{"jsonrpc":"2.0","id":1,"method":42}"#.to_vec(),
            &[-32600],
            "",
        ),
        // Unknown methods.
        ("unknown method", call("lx_nope", json!([])), &[-32601], ""),
        (
            "another API's method",
            call("eth_blockNumber", json!([])),
            &[-32601],
            "",
        ),
        // Wrong parameter types or counts.
        (
            "string for u64",
            call("lx_entry", json!(["x"])),
            &[-32602],
            "",
        ),
        (
            "number for USCC",
            call("lx_operator", json!([91350100])),
            &[-32602],
            "",
        ),
        (
            "negative u64",
            call("lx_inclusionProof", json!([-1, 2])),
            &[-32602],
            "",
        ),
        (
            "string for height",
            call("lx_checkpoint", json!(["latest"])),
            &[-32602],
            "",
        ),
        (
            "missing param",
            call("lx_entries", json!([0])),
            &[-32602],
            "",
        ),
        (
            "string for timeout",
            call("lx_submitAndWait", json!(["00", "soon"])),
            &[-32602],
            "",
        ),
        (
            "object for hash",
            call("lx_tx", json!([{"tx_id": hash('0')}])),
            &[-32602],
            "",
        ),
        (
            "unknown field",
            call(
                "lx_instrument",
                json!([{"owner": shop.to_string(), "category": "9.1", "serial": "x", "extra": 1}]),
            ),
            &[-32602],
            "",
        ),
        // Right types, bad values: BAD_REQUEST (1001) naming the problem.
        (
            "bad hex",
            call("lx_tx", json!([hash('z')])),
            &[1001],
            "not a lowercase hex digit",
        ),
        (
            "uppercase hex",
            call("lx_tx", json!([hash('A')])),
            &[1001],
            "lowercase",
        ),
        (
            "0x prefix",
            call("lx_tx", json!([format!("0x{}", "0".repeat(62))])),
            &[1001],
            "0x",
        ),
        (
            "short hash",
            call("lx_certificate", json!(["abcd"])),
            &[1001],
            "64",
        ),
        (
            "bad key",
            call("lx_account", json!([hash('z')])),
            &[1001],
            "public_key",
        ),
        (
            "bad USCC check character",
            call("lx_operator", json!([bad_check_s])),
            &[1001],
            "check character",
        ),
        (
            "short USCC",
            call("lx_operator", json!(["9135"])),
            &[1001],
            "18 characters",
        ),
        (
            "odd hex tx",
            call("lx_submit", json!(["abc"])),
            &[1001],
            "odd",
        ),
        (
            "garbage tx",
            call("lx_submit", json!(["00".repeat(200)])),
            &[1001],
            "tx",
        ),
        (
            "too many entries",
            call("lx_entries", json!([0, 5000])),
            &[1001],
            "1000",
        ),
        (
            "inverted range",
            call("lx_consistencyProof", json!([2, 1])),
            &[1001],
            "",
        ),
        (
            "wait above the limit",
            call("lx_submitAndWait", json!(["00", u64::MAX])),
            &[1001],
            "30000",
        ),
        // Well-formed, but nothing there: NOT_FOUND (1000).
        (
            "entry past the log",
            call("lx_entry", json!([1_000_000_000u64])),
            &[1000],
            "",
        ),
        (
            "height past the chain",
            call("lx_checkpoint", json!([1_000_000_000u64])),
            &[1000],
            "",
        ),
        (
            "unknown draw",
            call("lx_draw", json!([hash('0')])),
            &[1000],
            "",
        ),
        (
            "unknown operator",
            call(
                "lx_operator",
                json!([uscc("91350100MA2BAD999").to_string()]),
            ),
            &[1000],
            "",
        ),
    ];
    for (name, body, codes, needle) in &cases {
        let resp = http_post(&addr, body).await;
        let v = resp.json();
        let code = resp.error_code();
        assert!(
            codes.contains(&code),
            "{name}: code {code}, expected {codes:?}: {v}"
        );
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{name}: no message: {v}");
        let text = v["error"].to_string();
        assert!(text.contains(needle), "{name}: {needle:?} not in {text}");
        if *name == "bad USCC check character" {
            assert!(
                message.contains(&format!("'{right}'")),
                "the expected check character {right} is named: {message}"
            );
        }
    }

    // Oversized body: above the 1 MiB limit, refused with 413 and -32007 before parsing.
    let big = call("lx_submit", json!(["ab".repeat(600 * 1024)]));
    assert!(big.len() > 1 << 20);
    let resp = http_post(&addr, &big).await;
    assert_eq!(
        resp.status,
        413,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_eq!(resp.error_code(), -32007);

    // Batches: 100 calls are answered one by one; 101 are refused whole with -32010.
    let batch = |n: usize| {
        let calls: Vec<Value> = (0..n)
            .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "lx_chainInfo", "params": []}))
            .collect();
        serde_json::to_vec(&calls).unwrap()
    };
    let resp = http_post(&addr, &batch(100)).await;
    let answers = resp.json();
    let answers = answers.as_array().expect("a batch answer is an array");
    assert_eq!(answers.len(), 100);
    assert!(answers.iter().all(|a| a["result"]["chain_id"].is_string()));
    let resp: HttpResponse = http_post(&addr, &batch(101)).await;
    assert_eq!(resp.error_code(), -32010, "{}", resp.json());
    // A batch of bad calls: each answered with its own error.
    let mixed = serde_json::to_vec(&json!([
        {"jsonrpc": "2.0", "id": 1, "method": "lx_nope", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "lx_tx", "params": [hash('Z')]},
        {"jsonrpc": "2.0", "id": 3, "method": "lx_chainInfo", "params": []},
    ]))
    .unwrap();
    let resp = http_post(&addr, &mixed).await;
    let mut answers = resp.json().as_array().unwrap().clone();
    answers.sort_by_key(|a| a["id"].as_i64());
    assert_eq!(answers[0]["error"]["code"], -32601);
    assert_eq!(answers[1]["error"]["code"], 1001);
    assert!(answers[2]["result"]["chain_id"].is_string());
    // A subscription over plain HTTP cannot work: an error, not a hang or a crash.
    let resp = http_post(&addr, &call("lx_subscribeCheckpoints", json!([]))).await;
    assert!(resp.json()["error"]["code"].is_i64(), "{}", resp.json());

    assert!(node.is_running(), "the node died:\n{}", node.log());
    assert_eq!(
        snapshot(&client).await,
        before,
        "raw HTTP changed the ledger"
    );

    // ---- bad transactions through the SDK -------------------------------------------------
    let chain = client.chain_id().await.unwrap();
    let other = uscc("91350100MA2BAD002");
    let other_key = Signer::generate().unwrap();
    let valid = registration(other.clone(), &other_key);
    let penalty = PenaltyDecisionBuilder::new(
        shop.clone(),
        "榕市监罚〔2026〕BAD1号",
        "使用作弊装置",
        Severity::Minor,
    )
    .build()
    .unwrap();
    let (bad_uscc, right) = uscc_with_bad_check("91350100MA2BAD003");
    let bad_uscc_key = Signer::generate().unwrap();
    let with_kind = |kind: u16, payload: Vec<u8>| {
        let body = TxBody {
            chain_id: chain.clone(),
            signer: regulator.public_key(),
            seq: 1,
            kind: RecordKind(kind),
            payload: BoundedBytes::new(payload).unwrap(),
        };
        SignedTx::sign(body, regulator.signing_key()).unwrap()
    };

    // One flipped byte of the signature (in `s`, so the encoding stays canonical).
    let good = client.sign(&regulator, &valid).await.unwrap();
    let mut bytes = good.to_canonical().unwrap();
    let at = bytes.len() - 32;
    bytes[at] ^= 0x01;
    let flipped = SignedTx::from_canonical(&bytes).expect("still a canonical encoding");
    assert_ne!(flipped, good);

    let (valid_kind, _) = valid.encode().unwrap();
    let txs: Vec<(&str, SignedTx, u16, &str)> = vec![
        ("flipped signature byte", flipped, 3, "signature"),
        ("replay of a final transaction", first.clone(), 14, "replay"),
        (
            "unknown signer",
            Signer::generate()
                .unwrap()
                .sign(&chain, 0, &penalty)
                .unwrap(),
            10,
            "not registered",
        ),
        (
            "wrong role: an operator signs a penalty decision",
            shop_key.sign(&chain, 0, &penalty).unwrap(),
            12,
            "regulator",
        ),
        (
            "bad USCC check character",
            regulator
                .sign(&chain, 1, &registration(bad_uscc.clone(), &bad_uscc_key))
                .unwrap(),
            20,
            "check character",
        ),
        (
            "another chain",
            regulator
                .sign(
                    &ChainId::new("liangxin-other-0123456789abcdef").unwrap(),
                    1,
                    &valid,
                )
                .unwrap(),
            2,
            "chain",
        ),
        ("unknown kind", with_kind(99, vec![1, 2, 3]), 1, "99"),
        (
            "payload that is not its kind",
            with_kind(valid_kind.0, vec![0xff; 7]),
            1,
            "",
        ),
    ];
    for (name, tx, code, needle) in &txs {
        let id = tx.id().unwrap();
        // Both submission methods refuse it with the same code.
        for wait in [true, false] {
            let err = if wait {
                client.submit_tx_and_wait(tx, WAIT).await.unwrap_err()
            } else {
                match client.submit_tx(tx).await {
                    Err(e) => e,
                    // Admitted to the mempool first: the contracts' rejection comes with the
                    // block, and `lx_tx` reports it.
                    Ok(s) => {
                        assert_eq!(*code, 20, "{name} was admitted");
                        assert_eq!(s.tx_id, id);
                        let info = liangxin_tests::poll(
                            "the rejection",
                            Duration::from_secs(20),
                            || async {
                                let t = client.tx(&id).await.unwrap();
                                (t.status != TxStatus::Pending).then_some(t)
                            },
                        )
                        .await;
                        assert_eq!(info.status, TxStatus::Rejected, "{name}: {info:?}");
                        assert_eq!(info.rejection.unwrap().code, *code);
                        continue;
                    }
                }
            };
            let (rpc, rejection, message) = rpc_error(&err);
            assert_eq!(rpc, 1002, "{name}: {err}");
            assert_eq!(rejection, Some(*code), "{name}: {err}");
            assert!(
                message.to_lowercase().contains(needle),
                "{name}: {needle:?} not in {message:?}"
            );
        }
        if *code == 20 {
            assert!(
                err_names_char(&client, &id, right).await,
                "the expected check character {right} is named"
            );
        }
    }

    // Nothing changed: same checkpoint, same sequence numbers, nothing waiting.
    assert!(node.is_running(), "the node died:\n{}", node.log());
    assert_eq!(
        snapshot(&client).await,
        before,
        "bad transactions changed the ledger"
    );
    let account = client.account(&regulator.public_key()).await.unwrap();
    assert_eq!((account.next_seq, account.pending_next_seq), (1, 1));
    assert!(
        client
            .account(&shop_key.public_key())
            .await
            .unwrap()
            .next_seq
            == 0
    );
    assert!(
        client.operator(&bad_uscc).await.is_err(),
        "the bad USCC was not registered"
    );
    assert!(!node.log().contains("panicked"), "{}", node.log());

    // Still serving: a valid record (the very one whose signature was flipped) is final, and
    // the new log extends the old one.
    let fin = client.submit_tx_and_wait(&good, WAIT).await.unwrap();
    assert_eq!(fin.status, TxStatus::Final);
    assert_eq!(fin.checkpoint.log_size, before.2 + 1);
    let old = verify::verify_checkpoint(&set, &before.0)
        .unwrap()
        .checkpoint;
    let new = verify::verify_checkpoint(&set, &fin.checkpoint)
        .unwrap()
        .checkpoint;
    let proof = client
        .consistency_proof(old.log_size, new.log_size)
        .await
        .unwrap();
    verify::verify_consistency(&old, &new, &proof).unwrap();
    assert_eq!(client.operator(&other).await.unwrap().uscc, other);
    assert!(node.is_running());
    eprintln!("bad_input: {:.1?}", started.elapsed());
}

/// Whether the rejection `lx_tx` reports for `id` names the expected check character.
async fn err_names_char(client: &Client, id: &Hash, right: char) -> bool {
    let t = client.tx(id).await.unwrap();
    t.rejection
        .map(|r| r.message.contains(&format!("'{right}'")))
        .unwrap_or(false)
}

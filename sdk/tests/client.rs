//! The client, the light client and the importer over real HTTP against an in-process mock
//! node: one validator, a real Merkle log, one block (and one signed checkpoint) per accepted
//! transaction, strict sequence numbers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use liangxin_contracts::testkit::example_records;
use liangxin_contracts::{Code, Record};
use liangxin_rpc::backend::{Backend, EntryEvent};
use liangxin_rpc::dto::*;
use liangxin_rpc::{RpcConfig, RpcError, start_server};
use liangxin_sdk::import::{self, Progress};
use liangxin_sdk::{Client, Error, Signer, VerifyError};
use liangxin_types::checkpoint::{Checkpoint, SignedCheckpoint};
use liangxin_types::log::{Blake3, MemTileStore, MerkleLog};
use liangxin_types::tx::ChainId;
use liangxin_types::{Domain, Hash, PublicKey, SigningKey, Uscc};
use tokio::sync::broadcast;

const VALIDATOR: &str = "validator-1";

fn chain() -> ChainId {
    ChainId::new("liangxin-test").unwrap()
}

#[derive(Default)]
struct Inner {
    log: MerkleLog<Blake3>,
    store: MemTileStore<Blake3>,
    entries: Vec<EntryInfo>,
    checkpoints: Vec<CheckpointInfo>,
    seqs: HashMap<PublicKey, u64>,
    txs: HashMap<Hash, u64>,
    /// Serve inclusion proofs with one hash flipped.
    tamper_proofs: bool,
}

struct Mock(Mutex<Inner>);

fn checkpoint(i: &Inner) -> CheckpointInfo {
    let height = i.checkpoints.len() as u64;
    let cp = Checkpoint {
        chain_id: chain(),
        log_size: i.log.size(),
        log_root: i.log.root(),
        height,
        block_hash: Domain::Header.hash(&height.to_le_bytes()),
        state_root: Domain::State.hash(&height.to_le_bytes()),
    };
    let s = SignedCheckpoint::sign(cp, VALIDATOR, &SigningKey::dev(VALIDATOR)).unwrap();
    CheckpointInfo::from_signed(&s).unwrap()
}

impl Mock {
    fn new() -> Self {
        let mut i = Inner::default();
        let cp = checkpoint(&i);
        i.checkpoints.push(cp);
        Mock(Mutex::new(i))
    }

    fn accept(&self, tx: &TxSubmission) -> Result<u64, RpcError> {
        let mut i = self.0.lock().unwrap();
        let signer = tx.tx.body.signer;
        let next = i.seqs.get(&signer).copied().unwrap_or(0);
        let reject = |code: Code, message: String| RpcError::Rejected {
            tx_id: Some(tx.id),
            rejection: RejectionInfo {
                code: code.number(),
                message,
            },
        };
        if tx.tx.body.seq != next {
            return Err(reject(
                Code::BadSequence,
                format!("sequence {} is not the next ({next})", tx.tx.body.seq),
            ));
        }
        let record = Record::decode(tx.tx.body.kind, &tx.tx.body.payload)
            .map_err(|r| reject(r.code, r.message))?;
        if matches!(record, Record::Objection(_)) {
            return Err(reject(Code::NotFound, "no such record".into()));
        }
        i.seqs.insert(signer, next + 1);
        let leaf = i.log.append(&tx.bytes);
        let height = i.checkpoints.len() as u64;
        i.entries
            .push(EntryInfo::new(leaf, height, &tx.bytes, record));
        let dirty = i.log.take_dirty_tiles();
        i.store.insert_all(dirty);
        i.txs.insert(tx.id, leaf);
        let cp = checkpoint(&i);
        i.checkpoints.push(cp);
        Ok(leaf)
    }
}

impl Backend for Mock {
    async fn chain_info(&self) -> Result<ChainInfo, RpcError> {
        let i = self.0.lock().unwrap();
        Ok(ChainInfo {
            chain_id: chain(),
            genesis_hash: liangxin_types::Hash::ZERO,
            origin: chain().origin(),
            height: i.checkpoints.len() as u64 - 1,
            log_size: i.log.size(),
            validators: vec![ValidatorInfo {
                name: VALIDATOR.into(),
                public_key: SigningKey::dev(VALIDATOR).public_key(),
            }],
            quorum: 1,
        })
    }

    async fn account(&self, public_key: PublicKey) -> Result<AccountInfo, RpcError> {
        let i = self.0.lock().unwrap();
        let n = i.seqs.get(&public_key).copied().unwrap_or(0);
        Ok(AccountInfo {
            public_key,
            holder: None,
            revoked: false,
            next_seq: n,
            pending_next_seq: n,
        })
    }

    async fn submit(&self, tx: TxSubmission) -> Result<Submitted, RpcError> {
        self.accept(&tx)?;
        Ok(Submitted { tx_id: tx.id })
    }

    async fn submit_and_wait(&self, tx: TxSubmission) -> Result<Finalized, RpcError> {
        let leaf = self.accept(&tx)?;
        let i = self.0.lock().unwrap();
        Ok(Finalized {
            tx_id: tx.id,
            status: TxStatus::Final,
            height: i.checkpoints.len() as u64 - 1,
            leaf_index: leaf,
            checkpoint: i.checkpoints.last().unwrap().clone(),
        })
    }

    async fn tx(&self, tx_id: Hash) -> Result<TxInfo, RpcError> {
        let i = self.0.lock().unwrap();
        let leaf = i.txs.get(&tx_id).copied();
        Ok(TxInfo {
            tx_id,
            status: if leaf.is_some() {
                TxStatus::Final
            } else {
                TxStatus::Unknown
            },
            height: leaf.map(|l| i.entries[l as usize].height),
            leaf_index: leaf,
            rejection: None,
        })
    }

    async fn checkpoint(&self, height: Option<u64>) -> Result<CheckpointInfo, RpcError> {
        let i = self.0.lock().unwrap();
        let h = height.unwrap_or(i.checkpoints.len() as u64 - 1);
        i.checkpoints
            .get(h as usize)
            .cloned()
            .ok_or_else(|| RpcError::not_found(format!("height {h}")))
    }

    async fn entry(&self, leaf_index: u64) -> Result<EntryInfo, RpcError> {
        let i = self.0.lock().unwrap();
        i.entries
            .get(leaf_index as usize)
            .cloned()
            .ok_or_else(|| RpcError::not_found(format!("leaf {leaf_index}")))
    }

    async fn entries(&self, start: u64, end: u64) -> Result<Vec<EntryInfo>, RpcError> {
        let i = self.0.lock().unwrap();
        Ok(i.entries[start as usize..end as usize].to_vec())
    }

    async fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> Result<InclusionProof, RpcError> {
        let i = self.0.lock().unwrap();
        let mut hashes = i
            .log
            .reader(&i.store)
            .inclusion_proof(leaf_index, tree_size)
            .map_err(|e| RpcError::bad_request(e.to_string()))?;
        if i.tamper_proofs
            && let Some(h) = hashes.first_mut()
        {
            *h = Domain::Document.hash(h.as_bytes());
        }
        Ok(InclusionProof {
            leaf_index,
            tree_size,
            hashes,
        })
    }

    async fn consistency_proof(
        &self,
        size1: u64,
        size2: u64,
    ) -> Result<ConsistencyProof, RpcError> {
        let i = self.0.lock().unwrap();
        let hashes = i
            .log
            .reader(&i.store)
            .consistency_proof(size1, size2)
            .map_err(|e| RpcError::bad_request(e.to_string()))?;
        Ok(ConsistencyProof {
            size1,
            size2,
            hashes,
        })
    }

    async fn operator(&self, _: Uscc) -> Result<OperatorInfo, RpcError> {
        Err(RpcError::not_found("operator"))
    }

    async fn instrument(
        &self,
        _: liangxin_contracts::InstrumentId,
    ) -> Result<InstrumentInfo, RpcError> {
        Err(RpcError::not_found("instrument"))
    }

    async fn certificate(&self, _: Hash) -> Result<CertificateInfo, RpcError> {
        Err(RpcError::not_found("certificate"))
    }

    async fn draw(&self, _: Hash) -> Result<DrawInfo, RpcError> {
        Err(RpcError::not_found("draw"))
    }

    fn subscribe_checkpoints(&self) -> broadcast::Receiver<CheckpointInfo> {
        broadcast::channel(1).1
    }

    fn subscribe_entries(&self) -> broadcast::Receiver<EntryEvent> {
        broadcast::channel(1).1
    }
}

async fn start() -> (
    Arc<Mock>,
    Client,
    liangxin_rpc::jsonrpsee::server::ServerHandle,
) {
    let mock = Arc::new(Mock::new());
    let config = RpcConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..RpcConfig::default()
    };
    let (addr, handle) = start_server(&config, mock.clone()).await.unwrap();
    let client = Client::new(&format!("http://{addr}")).unwrap();
    (mock, client, handle)
}

fn record(i: usize) -> Record {
    // Any kind but objection (the mock rejects objections).
    let r = example_records();
    let r: Vec<Record> = r
        .into_iter()
        .filter(|r| !matches!(r, Record::Objection(_)))
        .collect();
    r[i % r.len()].clone()
}

#[tokio::test]
async fn submit_picks_the_sequence_and_entries_verify() {
    let (_mock, client, _h) = start().await;
    let a = Signer::dev("a");
    let b = Signer::dev("b");
    for i in 0..5 {
        let s = if i % 2 == 0 { &a } else { &b };
        let f = client
            .submit_and_wait(s, &record(i), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(f.leaf_index, i as u64);
    }
    let sub = client.submit(&a, &record(7)).await.unwrap();
    assert_eq!(client.tx(&sub.tx_id).await.unwrap().status, TxStatus::Final);
    assert_eq!(client.account(&a.public_key()).await.unwrap().next_seq, 4);

    let mut lc = client.light_client().await.unwrap();
    for leaf in 0..6 {
        let (e, v) = client.verify_entry(&mut lc, leaf).await.unwrap();
        assert_eq!(e.leaf_index, leaf);
        assert_eq!(v.entries_included, vec![leaf]);
        assert_eq!(v.checkpoint.signed_by, vec![VALIDATOR.to_string()]);
        assert_eq!(v.state_proof, liangxin_sdk::StateProofStatus::NotProvided);
        assert!(!v.is_complete());
    }
    // The light client moves on with consistency proofs.
    client
        .submit_and_wait(&b, &record(3), Duration::from_secs(5))
        .await
        .unwrap();
    let (cp, link) = client.sync(&mut lc).await.unwrap();
    assert_eq!(cp.checkpoint.log_size, 7);
    assert_eq!(
        link,
        liangxin_sdk::verify::Link::Extends {
            from_size: 6,
            to_size: 7
        }
    );
    // An older checkpoint is checked as a prefix.
    let old = client.checkpoint(Some(2)).await.unwrap();
    let (_, link) = client.accept(&mut lc, &old).await.unwrap();
    assert!(matches!(link, liangxin_sdk::verify::Link::Prefix { .. }));
}

#[tokio::test]
async fn rejections_keep_their_codes_and_tampering_is_caught() {
    let (mock, client, _h) = start().await;
    let a = Signer::dev("a");
    let objection = liangxin_sdk::builders::objection(Hash::ZERO, "no").unwrap();
    let err = client
        .submit_and_wait(&a, &objection, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(liangxin_rpc::codes::REJECTED));
    match &err {
        Error::Rpc(RpcError::Rejected { rejection, .. }) => {
            assert_eq!(rejection.code, Code::NotFound.number())
        }
        other => panic!("{other:?}"),
    }
    // A stale sequence number is the node's bad_sequence.
    let chain = client.chain_id().await.unwrap();
    client
        .submit_and_wait(&a, &record(0), Duration::from_secs(5))
        .await
        .unwrap();
    let stale = a.sign(&chain, 0, &record(1)).unwrap();
    let err = client.submit_tx(&stale).await.unwrap_err();
    match &err {
        Error::Rpc(RpcError::Rejected { rejection, .. }) => {
            assert_eq!(rejection.code, Code::BadSequence.number())
        }
        other => panic!("{other:?}"),
    }
    // Not found keeps its code too.
    let err = client.entry(99).await.unwrap_err();
    assert_eq!(err.rpc_code(), Some(liangxin_rpc::codes::NOT_FOUND));

    // A node serving a tampered proof is caught (a log of two leaves: proofs are not empty).
    client
        .submit_and_wait(&a, &record(1), Duration::from_secs(5))
        .await
        .unwrap();
    mock.0.lock().unwrap().tamper_proofs = true;
    let mut lc = client.light_client().await.unwrap();
    let err = client.verify_entry(&mut lc, 0).await.unwrap_err();
    assert!(
        matches!(err, Error::Verify(VerifyError::Inclusion(_))),
        "{err}"
    );

    // A node that is unreachable is a transport error.
    let dead = Client::new("http://127.0.0.1:9").unwrap();
    assert!(matches!(
        dead.chain_info().await.unwrap_err(),
        Error::Transport(_)
    ));
}

#[tokio::test]
async fn import_is_resumable() {
    let (mock, client, _h) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bulk.csv");
    // kind "objection" rows are rejected by the mock; the others become example records.
    let mut text = String::from("kind,n\n");
    for n in 0..10 {
        let kind = if n == 4 { "objection" } else { "example" };
        text.push_str(&format!("{kind},{n}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let rows = import::read_rows(&csv).unwrap();
    let to_record = |row: &import::Row| -> liangxin_sdk::Result<Record> {
        let n: usize = row.get("n").unwrap().parse().unwrap();
        if row.kind == "objection" {
            Ok(liangxin_sdk::builders::objection(Hash::ZERO, "x")?)
        } else {
            Ok(record(n))
        }
    };
    let signer = Signer::dev("importer");
    let options = import::Options {
        window: 3,
        ..import::Options::default()
    };
    let mut progress = Progress::open(&csv).unwrap();
    let mut events = Vec::new();
    let s = import::run(
        &client,
        &signer,
        &rows,
        &mut progress,
        &options,
        to_record,
        |e| events.push(e.clone()),
    )
    .await
    .unwrap();
    assert_eq!((s.rows, s.done, s.skipped), (10, 9, 0));
    assert_eq!(s.failed.len(), 1);
    assert_eq!(mock.0.lock().unwrap().entries.len(), 9);

    // A rerun skips what is done and tries the failed row again.
    drop(progress);
    let mut progress = Progress::open(&csv).unwrap();
    let s = import::run(
        &client,
        &signer,
        &rows,
        &mut progress,
        &options,
        to_record,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((s.done, s.skipped, s.failed.len()), (0, 9, 1));
    assert_eq!(mock.0.lock().unwrap().entries.len(), 9);
}

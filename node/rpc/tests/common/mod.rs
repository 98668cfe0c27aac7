//! A mock in-memory backend with realistic contents (built with the contracts' testkit), and
//! small helpers shared by the API tests.

// Test helpers fail loudly on bad test data.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use liangxin_contracts::credit;
use liangxin_contracts::draws::{Candidate, draw_seed};
use liangxin_contracts::instruments;
use liangxin_contracts::model::ShortText;
use liangxin_contracts::model::{Sector, VerificationMode};
use liangxin_contracts::records::RandomDrawRequest;
use liangxin_contracts::store::{CertificateEntry, DrawTarget, Holder, tables};
use liangxin_contracts::testkit::{self, Ledger, example_records, text};
use liangxin_contracts::{Code, Grade, InstrumentId, Record, Rejection};
use liangxin_rpc::backend::{Backend, EntryEvent};
use liangxin_rpc::dto::*;
use liangxin_rpc::jsonrpsee::core::client::Error as ClientError;
use liangxin_rpc::jsonrpsee::server::ServerHandle;
use liangxin_rpc::{RpcConfig, RpcError, start_server};
use liangxin_types::checkpoint::{Checkpoint, SignedCheckpoint};
use liangxin_types::tx::{ChainId, SignedTx};
use liangxin_types::{Domain, Hash, PublicKey, SigningKey, Uscc};
use tokio::sync::broadcast;

/// The test operator (a Fuzhou fuel station), with a valid check character.
pub const STATION: &str = "91350100M000100Y43";

/// Bounded wait for anything a test awaits.
pub const WAIT: Duration = Duration::from_secs(5);

/// A USCC with its check character computed.
pub fn uscc(first17: &str) -> Uscc {
    let c = liangxin_types::uscc::check_char(first17).unwrap();
    Uscc::parse(&format!("{first17}{c}")).unwrap()
}

/// The station's USCC.
pub fn station() -> Uscc {
    Uscc::parse(STATION).unwrap()
}

/// A signed transaction of `record` by `label`'s dev key at `seq` (the mock's behaviour
/// depends on `seq`: 7 rejected, 8 busy, 9 never final).
pub fn signed(label: &str, seq: u64, record: &Record) -> SignedTx {
    let ledger = Ledger::new();
    ledger.sign(&SigningKey::dev(label), seq, record).unwrap()
}

/// Its `tx` parameter.
pub fn tx_hex(tx: &SignedTx) -> String {
    tx_to_hex(tx).unwrap()
}

/// A checkpoint signed by one validator.
pub fn checkpoint(height: u64, log_size: u64) -> CheckpointInfo {
    let cp = Checkpoint {
        chain_id: ChainId::new("liangxin-test").unwrap(),
        log_size,
        log_root: Domain::Document.hash(&log_size.to_le_bytes()),
        height,
        block_hash: Domain::Header.hash(&height.to_le_bytes()),
        state_root: Domain::State.hash(&height.to_le_bytes()),
    };
    let signed =
        SignedCheckpoint::sign(cp, "validator-1", &SigningKey::dev("validator-1")).unwrap();
    CheckpointInfo::from_signed(&signed).unwrap()
}

/// The client-side view of an error.
pub fn rpc_err(e: ClientError) -> RpcError {
    match e {
        ClientError::Call(obj) => RpcError::from_error_object(&obj),
        other => panic!("expected a JSON-RPC error object, got {other:?}"),
    }
}

/// What the mock knows of a submitted transaction.
#[derive(Clone, Debug)]
enum Known {
    Pending,
    Final { height: u64, leaf_index: u64 },
    Rejected(RejectionInfo),
}

/// The mock backend.
pub struct Mock {
    pub ledger_time: liangxin_contracts::Time,
    pub entries: Vec<(EntryInfo, Option<Uscc>)>,
    pub checkpoints: Vec<CheckpointInfo>,
    pub operator: OperatorInfo,
    pub instrument: InstrumentInfo,
    pub certificate: CertificateInfo,
    pub draw: DrawInfo,
    pub cp_tx: broadcast::Sender<CheckpointInfo>,
    pub entry_tx: broadcast::Sender<EntryEvent>,
    known: Mutex<HashMap<Hash, Known>>,
}

impl Mock {
    /// A ledger with the station registered, one entry of every record kind, three
    /// checkpoints, an instrument, a certificate and a resolved draw.
    pub fn new() -> Self {
        let mut ledger = Ledger::new();
        ledger
            .register_operator(
                STATION,
                "福州市鼓楼区某加油站有限公司",
                "350102",
                Sector::FuelStation,
            )
            .unwrap();
        let station = station();
        let records = example_records();
        let entries: Vec<(EntryInfo, Option<Uscc>)> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let tx = signed("writer", i as u64, r);
                let bytes = liangxin_types::Canonical::to_canonical(&tx).unwrap();
                let operator = (i % 2 == 0).then(|| station.clone());
                (
                    EntryInfo::new(i as u64, 1 + i as u64 / 4, &bytes, r.clone()),
                    operator,
                )
            })
            .collect();
        let checkpoints: Vec<CheckpointInfo> = (1..=3)
            .map(|h| checkpoint(h, (h * 4).min(entries.len() as u64)))
            .collect();
        let latest = checkpoints[checkpoints.len() - 1].clone();
        let profile = tables::operator(&ledger.state, &station).unwrap().unwrap();
        let grade = credit::grade(&ledger.state, &station, ledger.time).unwrap();
        let inst_state = testkit::instrument_state(
            &station,
            "FD-0042",
            VerificationMode::Periodic,
            Domain::TxId.hash(b"reg"),
        );
        let status = instruments::status(&inst_state, ledger.time);
        let id = inst_state.registration.instrument.clone();
        let operator = OperatorInfo {
            uscc: station.clone(),
            profile,
            grade,
            entries: entries
                .iter()
                .filter(|(_, o)| o.as_ref() == Some(&station))
                .map(|(e, _)| e.clone())
                .collect(),
            instruments: vec![InstrumentInfoBrief {
                state: inst_state.clone(),
                status: status.clone(),
            }],
            state_proof: serde_json::Value::Null,
            checkpoint: latest.clone(),
        };
        let instrument = InstrumentInfo {
            id: id.clone(),
            state: inst_state,
            status,
            entries: vec![entries[6].0.clone()],
            state_proof: serde_json::Value::Null,
            checkpoint: latest.clone(),
        };
        let cert_digest = Domain::Document.hash(b"certificate FD-0042");
        let certificate = CertificateInfo {
            digest: cert_digest,
            on_ledger: true,
            entry: Some(CertificateEntry {
                tx: Domain::TxId.hash(b"verification"),
                instrument: id,
                institution: text("(闽)法计(2026)01001号"),
                number: text("JD-2026-0001"),
                passed: true,
                date: ledger.time,
                valid_until: ledger.time.plus(365 * 86_400),
            }),
            institution_name: Some("福建省计量科学研究院".into()),
            record: Some(entries[8].0.clone()),
            valid: true,
            validity: "a pass, valid until 2027-01-01".into(),
            at: ledger.time,
            state_proof: serde_json::Value::Null,
            checkpoint: latest.clone(),
        };
        let request: RandomDrawRequest = records
            .iter()
            .find_map(|r| match r {
                Record::RandomDrawRequest(r) => Some(r.clone()),
                _ => None,
            })
            .unwrap();
        let request_entry = entries
            .iter()
            .find(|(e, _)| matches!(e.record, Record::RandomDrawRequest(_)))
            .map(|(e, _)| e.clone())
            .unwrap();
        let draw_id = liangxin_types::tx::tx_id(&request_entry.tx_bytes().unwrap());
        let proposer = liangxin_types::SigningKey::dev("regulator-1");
        let parent = Domain::Header.hash(b"block 4");
        let (seed_proof, block_seed) = liangxin_types::block::prove_seed(&proposer, 5, &parent);
        let header = liangxin_types::BlockHeader {
            chain_id: liangxin_types::ChainId::new("liangxin-test").unwrap(),
            height: 5,
            view: 5,
            parent,
            time: 1_767_225_600,
            proposer: proposer.public_key().into(),
            seed_proof,
            tx_count: 0,
            body_hash: Domain::Header.hash(b"body"),
            log_size: 0,
            log_root: Domain::Header.hash(b"log"),
            state_root: Domain::Header.hash(b"state"),
        };
        let draw = DrawInfo {
            id: draw_id,
            request,
            request_height: request_entry.height,
            request_entry,
            sample_rates_ppm: [50_000, 100_000, 300_000, 1_000_000],
            candidates: vec![Candidate {
                operator: station.clone(),
                grade: Grade::B,
                last_inspectors: vec![],
            }],
            resolution: Some(DrawResolution {
                height: 5,
                block_seed,
                header,
                descendants: vec![],
                final_checkpoint: latest.clone(),
                seed: draw_seed(&block_seed, &draw_id),
                targets: vec![DrawTarget {
                    operator: station.clone(),
                    grade: Grade::B,
                    inspectors: vec![text("FJ-INS-007"), text("FJ-INS-019")],
                }],
            }),
            state_proof: serde_json::Value::Null,
            checkpoint: latest,
        };
        let (cp_tx, _) = broadcast::channel(16);
        let (entry_tx, _) = broadcast::channel(16);
        Mock {
            ledger_time: ledger.time,
            entries,
            checkpoints,
            operator,
            instrument,
            certificate,
            draw,
            cp_tx,
            entry_tx,
            known: Mutex::new(HashMap::new()),
        }
    }

    fn log_size(&self) -> u64 {
        self.entries.len() as u64
    }

    fn hashes(n: u64, label: &str) -> Vec<Hash> {
        (0..n)
            .map(|i| Domain::Document.hash(format!("{label} {i}").as_bytes()))
            .collect()
    }

    fn admit(&self, tx: &TxSubmission) -> Result<(), RpcError> {
        match tx.tx.body.seq {
            7 => {
                let r = Rejection::new(Code::BadSequence, "sequence number 7 is not the next (0)");
                self.known
                    .lock()
                    .unwrap()
                    .insert(tx.id, Known::Rejected(r.clone().into()));
                Err(r.into())
            }
            8 => Err(RpcError::Busy("mempool full (10000 transactions)".into())),
            _ => {
                self.known.lock().unwrap().insert(tx.id, Known::Pending);
                Ok(())
            }
        }
    }
}

impl Backend for Mock {
    async fn chain_info(&self) -> Result<ChainInfo, RpcError> {
        let latest = &self.checkpoints[self.checkpoints.len() - 1];
        Ok(ChainInfo {
            chain_id: ChainId::new("liangxin-test").unwrap(),
            genesis_hash: liangxin_types::Hash::ZERO,
            origin: "liangxin/liangxin-test".into(),
            height: latest.height,
            log_size: latest.log_size,
            validators: vec![ValidatorInfo {
                name: "validator-1".into(),
                public_key: SigningKey::dev("validator-1").public_key(),
            }],
            quorum: 1,
        })
    }

    async fn account(&self, public_key: PublicKey) -> Result<AccountInfo, RpcError> {
        let dev = SigningKey::dev("validator-1").public_key();
        Ok(AccountInfo {
            public_key,
            holder: (public_key == dev)
                .then(|| Holder::Regulator(ShortText::new("validator-1").unwrap())),
            revoked: false,
            next_seq: 0,
            pending_next_seq: 0,
        })
    }

    async fn submit(&self, tx: TxSubmission) -> Result<Submitted, RpcError> {
        self.admit(&tx)?;
        Ok(Submitted { tx_id: tx.id })
    }

    async fn submit_and_wait(&self, tx: TxSubmission) -> Result<Finalized, RpcError> {
        self.admit(&tx)?;
        if tx.tx.body.seq == 9 {
            // Never final: the server's timeout must end the wait.
            std::future::pending::<()>().await;
        }
        let leaf_index = self.log_size();
        let latest = self.checkpoints[self.checkpoints.len() - 1].clone();
        self.known.lock().unwrap().insert(
            tx.id,
            Known::Final {
                height: latest.height,
                leaf_index,
            },
        );
        Ok(Finalized {
            tx_id: tx.id,
            status: TxStatus::Final,
            height: latest.height,
            leaf_index,
            checkpoint: latest,
        })
    }

    async fn tx(&self, tx_id: Hash) -> Result<TxInfo, RpcError> {
        let known = self.known.lock().unwrap().get(&tx_id).cloned();
        let mut info = TxInfo {
            tx_id,
            status: TxStatus::Unknown,
            height: None,
            leaf_index: None,
            rejection: None,
        };
        match known {
            None => {}
            Some(Known::Pending) => info.status = TxStatus::Pending,
            Some(Known::Final { height, leaf_index }) => {
                info.status = TxStatus::Final;
                info.height = Some(height);
                info.leaf_index = Some(leaf_index);
            }
            Some(Known::Rejected(r)) => {
                info.status = TxStatus::Rejected;
                info.rejection = Some(r);
            }
        }
        Ok(info)
    }

    async fn checkpoint(&self, height: Option<u64>) -> Result<CheckpointInfo, RpcError> {
        match height {
            None => Ok(self.checkpoints[self.checkpoints.len() - 1].clone()),
            Some(h) => self
                .checkpoints
                .iter()
                .find(|c| c.height == h)
                .cloned()
                .ok_or_else(|| RpcError::not_found(format!("no checkpoint at height {h}"))),
        }
    }

    async fn entry(&self, leaf_index: u64) -> Result<EntryInfo, RpcError> {
        self.entries
            .get(leaf_index as usize)
            .map(|(e, _)| e.clone())
            .ok_or_else(|| {
                RpcError::not_found(format!(
                    "leaf {leaf_index}: the log has {} leaves",
                    self.log_size()
                ))
            })
    }

    async fn entries(&self, start: u64, end: u64) -> Result<Vec<EntryInfo>, RpcError> {
        if end > self.log_size() {
            return Err(RpcError::not_found(format!(
                "entries up to {end}: the log has {} leaves",
                self.log_size()
            )));
        }
        Ok(self.entries[start as usize..end as usize]
            .iter()
            .map(|(e, _)| e.clone())
            .collect())
    }

    async fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> Result<InclusionProof, RpcError> {
        if tree_size > self.log_size() {
            return Err(RpcError::bad_request(format!(
                "tree size {tree_size} is beyond the log size {}",
                self.log_size()
            )));
        }
        Ok(InclusionProof {
            leaf_index,
            tree_size,
            hashes: Self::hashes(64 - tree_size.leading_zeros() as u64, "inclusion"),
        })
    }

    async fn consistency_proof(
        &self,
        size1: u64,
        size2: u64,
    ) -> Result<ConsistencyProof, RpcError> {
        if size2 > self.log_size() {
            return Err(RpcError::bad_request(format!(
                "size2 {size2} is beyond the log size {}",
                self.log_size()
            )));
        }
        let n = if size1 == size2 { 0 } else { 3 };
        Ok(ConsistencyProof {
            size1,
            size2,
            hashes: Self::hashes(n, "consistency"),
        })
    }

    async fn operator(&self, uscc: Uscc) -> Result<OperatorInfo, RpcError> {
        if uscc == self.operator.uscc {
            Ok(self.operator.clone())
        } else {
            Err(RpcError::not_found(format!(
                "operator {uscc} is not registered"
            )))
        }
    }

    async fn instrument(&self, id: InstrumentId) -> Result<InstrumentInfo, RpcError> {
        if id == self.instrument.id {
            Ok(self.instrument.clone())
        } else {
            Err(RpcError::not_found(format!(
                "instrument {id} is not registered"
            )))
        }
    }

    async fn certificate(&self, digest: Hash) -> Result<CertificateInfo, RpcError> {
        if digest == self.certificate.digest {
            return Ok(self.certificate.clone());
        }
        Ok(CertificateInfo {
            digest,
            on_ledger: false,
            entry: None,
            institution_name: None,
            record: None,
            valid: false,
            validity: "no verification record carries this certificate digest".into(),
            at: self.ledger_time,
            state_proof: serde_json::Value::Null,
            checkpoint: self.checkpoints[self.checkpoints.len() - 1].clone(),
        })
    }

    async fn draw(&self, id: Hash) -> Result<DrawInfo, RpcError> {
        if id == self.draw.id {
            Ok(self.draw.clone())
        } else {
            Err(RpcError::not_found(format!("no draw request {id}")))
        }
    }

    fn subscribe_checkpoints(&self) -> broadcast::Receiver<CheckpointInfo> {
        self.cp_tx.subscribe()
    }

    fn subscribe_entries(&self) -> broadcast::Receiver<EntryEvent> {
        self.entry_tx.subscribe()
    }
}

/// A running server over a fresh mock.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
    pub mock: Arc<Mock>,
}

impl Running {
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

/// Starts a server on a free loopback port with `config` (its `listen` is replaced).
pub async fn start(mut config: RpcConfig) -> Running {
    config.listen = "127.0.0.1:0".parse().unwrap();
    let mock = Arc::new(Mock::new());
    let (addr, handle) = start_server(&config, Arc::clone(&mock)).await.unwrap();
    Running { addr, handle, mock }
}

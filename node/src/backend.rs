//! The RPC [`Backend`] over the engine: every answer is read under one tip (a read lock), so
//! the data and the checkpoint it names belong to the same block.

use std::sync::Arc;
use std::time::Instant;

use liangxin_contracts::store::{self, keys, tables};
use liangxin_contracts::{InstrumentId, Record, Time, credit, instruments};
use liangxin_rpc::RpcError;
use liangxin_rpc::backend::{Backend, EntryEvent};
use liangxin_rpc::dto::{
    AccountInfo, CertificateHit, CertificateInfo, ChainInfo, CheckpointInfo, ConsistencyProof,
    DrawInfo, DrawResolution, EntryInfo, Finalized, InclusionProof, InstrumentInfo,
    InstrumentInfoBrief, OperatorHit, OperatorInfo, ProvenRow, StateProofSet, Submitted, TxInfo,
    TxStatus, TxSubmission, ValidatorInfo, ValidatorSetChange, ValidatorSets,
};
use liangxin_storage::{IndexedLeaf, MAX_READ_ROWS, Store};
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::log::{Blake3, LogReader};
use liangxin_types::{Canonical, Hash, PublicKey, SignedTx, Uscc};
use tokio::sync::broadcast;

use crate::engine::Engine;
use crate::exec::{ReadState, Tip, ValidatorSetProof};

/// The node's RPC backend.
pub struct NodeBackend<S: Store> {
    engine: Arc<Engine<S>>,
}

impl<S: Store + 'static> NodeBackend<S> {
    /// A backend over `engine`.
    pub fn new(engine: Arc<Engine<S>>) -> Self {
        NodeBackend { engine }
    }

    fn store(&self) -> &S {
        self.engine.store()
    }

    /// Observes the call's duration in `liangxin_rpc_seconds` when dropped.
    fn timer(&self) -> CallTimer<'_> {
        CallTimer(&self.engine.metrics.rpc_seconds, Instant::now())
    }

    /// The entry's view. `height` is its block's, when the caller knows it (an index row
    /// records it); otherwise it is read from the transaction index.
    fn entry_info(
        &self,
        leaf_index: u64,
        bytes: &[u8],
        height: Option<u64>,
    ) -> Result<EntryInfo, RpcError> {
        // The log's own bytes, checked canonical when they were admitted.
        let tx = SignedTx::from_stored(bytes).map_err(internal)?;
        let record = Record::decode_stored(tx.body.kind, &tx.body.payload).map_err(internal)?;
        let height = match height {
            Some(h) => h,
            None => self
                .store()
                .tx_location(&liangxin_types::tx::tx_id(bytes))
                .map_err(internal)?
                .map(|l| l.height)
                .ok_or_else(|| RpcError::Internal(format!("leaf {leaf_index} is not indexed")))?,
        };
        Ok(EntryInfo::new(leaf_index, height, bytes, record))
    }

    /// The entries at `leaves` (those below `size`), read in one batch.
    fn entries_at(&self, leaves: &[IndexedLeaf], size: u64) -> Result<Vec<EntryInfo>, RpcError> {
        let leaves: Vec<IndexedLeaf> = leaves
            .iter()
            .copied()
            .filter(|l| l.leaf_index < size)
            .collect();
        let indexes: Vec<u64> = leaves.iter().map(|l| l.leaf_index).collect();
        let entries = self.store().entries_at(&indexes).map_err(internal)?;
        leaves
            .iter()
            .zip(entries)
            .map(|(l, bytes)| {
                let bytes = bytes.ok_or_else(|| {
                    RpcError::Internal(format!("leaf {} is missing", l.leaf_index))
                })?;
                self.entry_info(l.leaf_index, &bytes, l.height)
            })
            .collect()
    }

    /// Proofs of state rows at the tip's height, against its state root.
    fn prove_rows(
        &self,
        tip: &Tip,
        rows: &[(&str, Vec<u8>)],
    ) -> Result<serde_json::Value, RpcError> {
        let mut out = Vec::with_capacity(rows.len());
        for (row, key) in rows {
            // The tip is read-locked by the caller: the store's rows are the tip's.
            let value = self.store().state_get(key).map_err(internal)?;
            let proof = tip.state.prove(key).map_err(internal)?;
            let leaf_value = proof
                .leaf
                .filter(|l| l.key_hash == liangxin_state::key_hash(key))
                .map(|l| l.value_hash);
            if leaf_value != value.as_deref().map(liangxin_state::value_hash) {
                return Err(internal(format!(
                    "state row {} and the state tree disagree",
                    liangxin_types::encoding::to_hex(key)
                )));
            }
            out.push(ProvenRow {
                row: (*row).to_string(),
                key: liangxin_types::encoding::to_hex(key),
                value: value.map(liangxin_types::encoding::to_hex),
                proof,
            });
        }
        Ok(StateProofSet {
            state_root: tip.state_root(),
            rows: out,
        }
        .to_value())
    }

    /// Every row of one state table, decoded, through `pick`, keeping at most `limit` hits: a
    /// scan of the whole table, so it runs off the async threads.
    async fn scan_table<T, H, F>(
        &self,
        table: store::Table,
        limit: usize,
        mut pick: F,
    ) -> Result<Vec<H>, RpcError>
    where
        T: serde::de::DeserializeOwned,
        H: Send + 'static,
        F: FnMut(&[u8], T) -> Result<Option<H>, RpcError> + Send + 'static,
    {
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || {
            let state = ReadState(engine.store());
            let mut hits = Vec::new();
            for (key, row) in store::scan::<T>(&state, &[table as u8]).map_err(internal)? {
                if let Some(hit) = pick(&key, row)? {
                    hits.push(hit);
                    if hits.len() == limit {
                        break;
                    }
                }
            }
            Ok(hits)
        })
        .await
        .map_err(internal)?
    }

    fn checkpoint_info(tip: &Tip) -> Result<CheckpointInfo, RpcError> {
        CheckpointInfo::from_signed(&tip.checkpoint)
    }

    /// What shows that the block at `height` is final: the first checkpoint at or above it that
    /// a quorum of the current validators signed, and the headers from `height + 1` up to that
    /// checkpoint's block (empty when the block's own checkpoint has a quorum). A block final
    /// only through a descendant's finalization keeps a note of this node alone; the chain of
    /// parent hashes links it to the descendant the quorum signed. At most
    /// [`FINALITY_SEARCH`] blocks are searched; past that (or at the tip, when its note has no
    /// quorum) the latest checkpoint is given and a verifier will refuse it.
    fn finality_of(
        &self,
        height: u64,
        tip: &Tip,
    ) -> Result<(Vec<liangxin_types::BlockHeader>, CheckpointInfo), RpcError> {
        let set: Vec<(String, PublicKey)> = self
            .validators()?
            .into_iter()
            .map(|v| (v.name, v.public_key))
            .collect();
        let q = quorum(set.len()) as usize;
        let mut headers = Vec::new();
        let last = tip.height.min(height.saturating_add(FINALITY_SEARCH));
        for h in height..=last {
            if h > height {
                headers.push(
                    self.store()
                        .header(h)
                        .map_err(internal)?
                        .ok_or_else(|| RpcError::Internal(format!("block {h} is missing")))?,
                );
            }
            let Some(note) = self.store().checkpoint(Some(h)).map_err(internal)? else {
                continue;
            };
            let cp = SignedCheckpoint::parse_note(&note).map_err(internal)?;
            if cp.verify(&set, q).is_ok() {
                return Ok((headers, CheckpointInfo::from_signed(&cp)?));
            }
        }
        Ok((headers, Self::checkpoint_info(tip)?))
    }

    fn validators(&self) -> Result<Vec<ValidatorInfo>, RpcError> {
        let regs = tables::regulators(&ReadState(self.store())).map_err(internal)?;
        regs.into_iter()
            .filter(|r| r.validator && !r.removed)
            .map(|r| {
                Ok(ValidatorInfo {
                    name: r.name.to_string(),
                    public_key: r.key.to_public_key().map_err(internal)?,
                })
            })
            .collect()
    }
}

/// How many blocks past a draw's resolving block [`NodeBackend::finality_of`] looks for a
/// quorum-signed checkpoint.
const FINALITY_SEARCH: u64 = 64;

/// Times one RPC call (every method, whichever way it returns).
struct CallTimer<'a>(
    &'a prometheus_client::metrics::histogram::Histogram,
    Instant,
);

impl Drop for CallTimer<'_> {
    fn drop(&mut self) {
        self.0.observe(self.1.elapsed().as_secs_f64());
    }
}

fn internal(e: impl std::fmt::Display) -> RpcError {
    RpcError::Internal(e.to_string())
}

/// 2f+1 of n = 3f+1 (the most faults n tolerates: f = ⌊(n−1)/3⌋).
pub fn quorum(n: usize) -> u32 {
    let f = n.saturating_sub(1) / 3;
    (n - f) as u32
}

impl<S: Store + 'static> Backend for NodeBackend<S> {
    async fn chain_info(&self) -> Result<ChainInfo, RpcError> {
        let _timer = self.timer();
        let tip = self.engine.read();
        let validators = self.validators()?;
        let r = Ok(ChainInfo {
            chain_id: tip.chain_id.clone(),
            genesis_hash: self
                .store()
                .genesis_hash()
                .map_err(internal)?
                .ok_or_else(|| RpcError::Internal("the store has no genesis hash".into()))?,
            origin: tip.chain_id.origin(),
            height: tip.height,
            log_size: tip.log.size(),
            quorum: quorum(validators.len()),
            validators,
        });
        drop(tip);
        r
    }

    async fn account(&self, public_key: PublicKey) -> Result<AccountInfo, RpcError> {
        let _timer = self.timer();
        let state = ReadState(self.store());
        let p = tables::participant(&state, &public_key).map_err(internal)?;
        let next = tables::next_seq(&state, &public_key).map_err(internal)?;
        Ok(AccountInfo {
            public_key,
            revoked: p.as_ref().is_some_and(|p| p.revoked),
            holder: p.map(|p| p.holder),
            next_seq: next,
            pending_next_seq: self.engine.pending_next_seq(&public_key, next),
        })
    }

    async fn submit(&self, tx: TxSubmission) -> Result<Submitted, RpcError> {
        let _timer = self.timer();
        self.engine
            .admit(tx.bytes, false)
            .map(|(tx_id, _)| Submitted { tx_id })
    }

    async fn submit_and_wait(&self, tx: TxSubmission) -> Result<Finalized, RpcError> {
        let _timer = self.timer();
        let (tx_id, rx) = self.engine.admit(tx.bytes, true)?;
        let Some(rx) = rx else {
            return Err(RpcError::Internal("no waiter registered".into()));
        };
        match rx.await {
            Ok(Ok(fin)) => Ok(fin),
            Ok(Err(rejection)) => Err(RpcError::Rejected {
                tx_id: Some(tx_id),
                rejection,
            }),
            Err(_) => {
                // The waiter was dropped: the transaction was already final when we
                // registered (a duplicate submission), or the node is stopping.
                match self.tx(tx_id).await? {
                    TxInfo {
                        status: TxStatus::Final,
                        height: Some(height),
                        leaf_index: Some(leaf_index),
                        ..
                    } => {
                        let checkpoint = self.checkpoint(Some(height)).await?;
                        Ok(Finalized {
                            tx_id,
                            status: TxStatus::Final,
                            height,
                            leaf_index,
                            checkpoint,
                        })
                    }
                    _ => Err(RpcError::Internal(
                        "the node stopped before the transaction was final".into(),
                    )),
                }
            }
        }
    }

    async fn tx(&self, tx_id: Hash) -> Result<TxInfo, RpcError> {
        let _timer = self.timer();
        if let Some(loc) = self.store().tx_location(&tx_id).map_err(internal)? {
            return Ok(TxInfo {
                tx_id,
                status: TxStatus::Final,
                height: Some(loc.height),
                leaf_index: Some(loc.leaf_index),
                rejection: None,
            });
        }
        let (status, rejection) = self
            .engine
            .pool_status(&tx_id)
            .unwrap_or((TxStatus::Unknown, None));
        Ok(TxInfo {
            tx_id,
            status,
            height: None,
            leaf_index: None,
            rejection,
        })
    }

    async fn checkpoint(&self, height: Option<u64>) -> Result<CheckpointInfo, RpcError> {
        let _timer = self.timer();
        let tip = self.engine.read();
        match height {
            None => Self::checkpoint_info(&tip),
            Some(h) if h > tip.height => Err(RpcError::not_found(format!(
                "height {h} is above the latest height {}",
                tip.height
            ))),
            Some(h) => {
                let note = self
                    .store()
                    .checkpoint(Some(h))
                    .map_err(internal)?
                    .ok_or_else(|| RpcError::not_found(format!("no checkpoint at height {h}")))?;
                let cp = SignedCheckpoint::parse_note(&note).map_err(internal)?;
                CheckpointInfo::from_signed(&cp)
            }
        }
    }

    async fn entry(&self, leaf_index: u64) -> Result<EntryInfo, RpcError> {
        let _timer = self.timer();
        let size = self.engine.read().log.size();
        if leaf_index >= size {
            return Err(RpcError::not_found(format!(
                "leaf {leaf_index} is beyond the log size {size}"
            )));
        }
        let bytes = self
            .store()
            .entry(leaf_index)
            .map_err(internal)?
            .ok_or_else(|| RpcError::Internal(format!("leaf {leaf_index} is missing")))?;
        self.entry_info(leaf_index, &bytes, None)
    }

    async fn entries(&self, start: u64, end: u64) -> Result<Vec<EntryInfo>, RpcError> {
        let _timer = self.timer();
        let size = self.engine.read().log.size();
        if end > size {
            return Err(RpcError::not_found(format!(
                "entries up to {end} asked, the log has {size}"
            )));
        }
        let rows = self.store().entries(start, end).map_err(internal)?;
        rows.iter()
            .enumerate()
            .map(|(i, b)| self.entry_info(start + i as u64, b, None))
            .collect()
    }

    async fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> Result<InclusionProof, RpcError> {
        let _timer = self.timer();
        let tip = self.engine.read();
        let size = tip.log.size();
        if tree_size > size {
            return Err(RpcError::bad_request(format!(
                "tree size {tree_size} is beyond the log size {size}"
            )));
        }
        let reader: LogReader<Blake3, &S> = LogReader::new(self.store(), size);
        let hashes = reader
            .inclusion_proof(leaf_index, tree_size)
            .map_err(internal)?;
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
        let _timer = self.timer();
        let tip = self.engine.read();
        let size = tip.log.size();
        if size2 > size {
            return Err(RpcError::bad_request(format!(
                "size {size2} is beyond the log size {size}"
            )));
        }
        let reader: LogReader<Blake3, &S> = LogReader::new(self.store(), size);
        let hashes = reader.consistency_proof(size1, size2).map_err(internal)?;
        Ok(ConsistencyProof {
            size1,
            size2,
            hashes,
        })
    }

    async fn operator(&self, uscc: Uscc) -> Result<OperatorInfo, RpcError> {
        let _timer = self.timer();
        let tip = self.engine.read();
        let state = ReadState(self.store());
        let profile = tables::operator(&state, &uscc)
            .map_err(internal)?
            .ok_or_else(|| RpcError::not_found(format!("operator {uscc} is not registered")))?;
        let now = Time(tip.time);
        // The instruments are listed and graded: read them once.
        let instruments = tables::instruments_of(&state, &uscc).map_err(internal)?;
        let params = tables::params(&state).map_err(internal)?;
        let grade = credit::grade_with_instruments(&state, &uscc, now, &params, true, &instruments)
            .map_err(internal)?;
        let leaves = self
            .store()
            .entries_of_operator(&uscc, 0, MAX_READ_ROWS)
            .map_err(internal)?;
        let entries = self.entries_at(&leaves, tip.log.size())?;
        let instruments = instruments
            .into_iter()
            .map(|i| InstrumentInfoBrief {
                status: instruments::status(&i, now),
                state: i,
            })
            .collect();
        let state_proof = self.prove_rows(
            &tip,
            &[
                ("operator", keys::operator(&uscc)),
                ("operator_entries", keys::operator_entries(&uscc)),
            ],
        )?;
        let r = Ok(OperatorInfo {
            uscc,
            profile,
            grade,
            entries,
            instruments,
            state_proof,
            checkpoint: Self::checkpoint_info(&tip)?,
        });
        drop(tip);
        r
    }

    async fn instrument(&self, id: InstrumentId) -> Result<InstrumentInfo, RpcError> {
        let _timer = self.timer();
        let tip = self.engine.read();
        let state = ReadState(self.store());
        let st = tables::instrument(&state, &id)
            .map_err(internal)?
            .ok_or_else(|| RpcError::not_found(format!("instrument {id} is not registered")))?;
        let leaves = self
            .store()
            .entries_of_instrument(&store::instrument_key(&id), 0, MAX_READ_ROWS)
            .map_err(internal)?;
        let entries = self.entries_at(&leaves, tip.log.size())?;
        let state_proof = self.prove_rows(
            &tip,
            &[
                ("instrument", keys::instrument(&id)),
                ("instrument_entries", keys::instrument_entries(&id)),
            ],
        )?;
        Ok(InstrumentInfo {
            status: instruments::status(&st, Time(tip.time)),
            id,
            state: st,
            entries,
            state_proof,
            checkpoint: Self::checkpoint_info(&tip)?,
        })
    }

    async fn certificate(&self, digest: Hash) -> Result<CertificateInfo, RpcError> {
        let _timer = self.timer();
        let tip = self.engine.read();
        let state = ReadState(self.store());
        let at = Time(tip.time);
        let checkpoint = Self::checkpoint_info(&tip)?;
        let Some(entry) = tables::certificate(&state, &digest).map_err(internal)? else {
            let state_proof =
                self.prove_rows(&tip, &[("certificate", keys::certificate(&digest))])?;
            return Ok(CertificateInfo {
                digest,
                on_ledger: false,
                entry: None,
                institution_name: None,
                record: None,
                valid: false,
                validity: "no verification record carries this certificate digest".into(),
                at,
                state_proof,
                checkpoint,
            });
        };
        let institution_name = tables::institution(&state, entry.institution.as_str())
            .map_err(internal)?
            .map(|i| i.registration.name.to_string());
        let record = match self.store().certificate_entry(&digest).map_err(internal)? {
            Some(leaf) if leaf < tip.log.size() => self
                .entries_at(
                    &[IndexedLeaf {
                        leaf_index: leaf,
                        height: None,
                    }],
                    tip.log.size(),
                )?
                .pop(),
            _ => None,
        };
        let instrument = tables::instrument(&state, &entry.instrument).map_err(internal)?;
        let superseded = instrument
            .as_ref()
            .and_then(|i| i.last_verification.as_ref())
            .is_some_and(|v| v.tx != entry.tx);
        let retired = instrument.as_ref().is_some_and(|i| i.retired.is_some());
        let (valid, validity) = if !entry.passed {
            (
                false,
                "the verification failed: this certificate is a failure notice".to_string(),
            )
        } else if superseded {
            (
                false,
                "superseded: the instrument was verified again after this certificate".to_string(),
            )
        } else if retired {
            (false, "the instrument was retired".to_string())
        } else if at >= entry.valid_until {
            (false, format!("expired at {}", entry.valid_until))
        } else {
            (true, format!("a pass, valid until {}", entry.valid_until))
        };
        let state_proof = self.prove_rows(
            &tip,
            &[
                ("certificate", keys::certificate(&digest)),
                ("instrument", keys::instrument(&entry.instrument)),
            ],
        )?;
        Ok(CertificateInfo {
            digest,
            on_ledger: true,
            entry: Some(entry),
            institution_name,
            record,
            valid,
            validity,
            at,
            state_proof,
            checkpoint,
        })
    }

    async fn search_operators(
        &self,
        query: String,
        limit: usize,
    ) -> Result<Vec<OperatorHit>, RpcError> {
        let _timer = self.timer();
        self.scan_table(
            store::Table::Operator,
            limit,
            move |_, o: store::OperatorState| {
                Ok(OperatorHit::matches(&o.registration, &query)
                    .then(|| OperatorHit::of(&o.registration)))
            },
        )
        .await
    }

    async fn find_certificates(
        &self,
        number: String,
        limit: usize,
    ) -> Result<Vec<CertificateHit>, RpcError> {
        let _timer = self.timer();
        self.scan_table(
            store::Table::Certificate,
            limit,
            move |key, c: store::CertificateEntry| {
                if c.number.as_str() != number {
                    return Ok(None);
                }
                Ok(Some(CertificateHit {
                    digest: Hash::from_slice(&key[1..]).map_err(internal)?,
                    number: c.number.to_string(),
                    instrument: c.instrument,
                    institution: c.institution.to_string(),
                    date: c.date,
                }))
            },
        )
        .await
    }

    async fn validator_sets(&self) -> Result<ValidatorSets, RpcError> {
        let _timer = self.timer();
        let checkpoint = Self::checkpoint_info(&self.engine.read())?;
        let mut changes = Vec::new();
        for (height, bytes) in self.store().validator_set_changes().map_err(internal)? {
            let stored: ValidatorSetProof = serde_json::from_slice(&bytes).map_err(internal)?;
            let value = hex::decode(&stored.value).map_err(internal)?;
            let row: store::ValidatorSetRow = store::decode(&value).map_err(internal)?;
            let note = self
                .store()
                .checkpoint(Some(height))
                .map_err(internal)?
                .ok_or_else(|| RpcError::Internal(format!("no checkpoint at height {height}")))?;
            let signed = SignedCheckpoint::parse_note(&note).map_err(internal)?;
            let validators = row
                .validators
                .iter()
                .map(|v| {
                    Ok(ValidatorInfo {
                        name: v.name.to_string(),
                        public_key: v.key.to_public_key().map_err(internal)?,
                    })
                })
                .collect::<Result<Vec<_>, RpcError>>()?;
            changes.push(ValidatorSetChange {
                height,
                validators,
                state_proof: StateProofSet {
                    state_root: signed.checkpoint().state_root,
                    rows: vec![ProvenRow {
                        row: "validators".into(),
                        key: liangxin_types::encoding::to_hex(keys::validators()),
                        value: Some(stored.value),
                        proof: stored.proof,
                    }],
                }
                .to_value(),
                checkpoint: CheckpointInfo::from_signed(&signed).map_err(internal)?,
            });
        }
        Ok(ValidatorSets {
            changes,
            checkpoint,
        })
    }

    async fn draw(&self, id: Hash) -> Result<DrawInfo, RpcError> {
        let _timer = self.timer();
        let tip = self.engine.read();
        let state = ReadState(self.store());
        let checkpoint = Self::checkpoint_info(&tip)?;
        let loc = self
            .store()
            .tx_location(&id)
            .map_err(internal)?
            .ok_or_else(|| RpcError::not_found(format!("no draw request {id}")))?;
        let request_entry = self
            .entries_at(
                &[IndexedLeaf {
                    leaf_index: loc.leaf_index,
                    height: Some(loc.height),
                }],
                tip.log.size(),
            )?
            .pop()
            .ok_or_else(|| RpcError::not_found(format!("no draw request {id}")))?;
        let Record::RandomDrawRequest(request) = request_entry.record.clone() else {
            return Err(RpcError::not_found(format!(
                "transaction {id} is not a random draw request"
            )));
        };
        if let Some(p) = tables::pending_draw(&state, &id).map_err(internal)? {
            let state_proof =
                self.prove_rows(&tip, &[("pending_draw", keys::pending_draw(&id))])?;
            return Ok(DrawInfo {
                id,
                request,
                request_entry,
                request_height: p.height,
                sample_rates_ppm: p.sample_rates_ppm,
                candidates: p.candidates,
                resolution: None,
                state_proof,
                checkpoint,
            });
        }
        let result = tables::draw(&state, &id)
            .map_err(internal)?
            .ok_or_else(|| RpcError::not_found(format!("draw {id} has no result")))?;
        let header = self
            .store()
            .header(result.height)
            .map_err(internal)?
            .ok_or_else(|| RpcError::Internal("the resolving block is missing".into()))?;
        let block_seed = header.seed().map_err(internal)?;
        let (descendants, final_checkpoint) = self.finality_of(result.height, &tip)?;
        let state_proof = self.prove_rows(&tip, &[("draw", keys::draw(&id))])?;
        Ok(DrawInfo {
            id,
            request,
            request_entry,
            request_height: result.request_height,
            sample_rates_ppm: result.sample_rates_ppm,
            candidates: result.snapshot.clone(),
            resolution: Some(DrawResolution {
                height: result.height,
                block_seed,
                header,
                descendants,
                final_checkpoint,
                seed: result.seed,
                targets: result.targets,
            }),
            state_proof,
            checkpoint,
        })
    }

    fn subscribe_checkpoints(&self) -> broadcast::Receiver<CheckpointInfo> {
        self.engine.subscribe_checkpoints()
    }

    fn subscribe_entries(&self) -> broadcast::Receiver<EntryEvent> {
        self.engine.subscribe_entries()
    }
}

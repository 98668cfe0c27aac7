//! What the node implements so the server can answer: one method per API call, plus the two
//! subscription sources.
//!
//! The server ([`RpcImpl`](crate::RpcImpl)) checks every input first (hex, lengths, USCC
//! check characters, ranges), so a backend only ever sees well-formed requests, typed.
//!
//! # Generic, not object-safe
//!
//! The methods return `impl Future + Send` (an implementor simply writes `async fn`), so
//! [`RpcImpl`](crate::RpcImpl) is generic over the backend: no boxing of every call's future
//! and no `async-trait` dependency. The node has exactly one backend type, and tests have a
//! mock, so `dyn Backend` is never needed; a caller that wants one can wrap a
//! `Box<dyn ...>` behind its own small concrete type.

use std::future::Future;

use liangxin_contracts::InstrumentId;
use liangxin_types::{Hash, PublicKey, Uscc};
use tokio::sync::broadcast;

use crate::dto::{
    AccountInfo, CertificateHit, CertificateInfo, ChainInfo, CheckpointInfo, ConsistencyProof,
    DrawInfo, EntryInfo, Finalized, InclusionProof, InstrumentInfo, OperatorHit, OperatorInfo,
    Submitted, TxInfo, TxSubmission, ValidatorSets,
};
use crate::error::RpcError;

/// A new final entry, as the entries subscription source sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryEvent {
    /// The entry.
    pub entry: EntryInfo,
    /// The operator the record is about, if any (as the node indexes it), for the
    /// subscribers' operator filter.
    pub operator: Option<Uscc>,
}

/// The node's side of the API. Every method may return any [`RpcError`]; the usual ones are
/// named per method.
pub trait Backend: Send + Sync + 'static {
    /// `lx_chainInfo`.
    fn chain_info(&self) -> impl Future<Output = Result<ChainInfo, RpcError>> + Send;

    /// `lx_account`: any valid key is an answer (an unknown one has no holder and sequence
    /// numbers 0).
    fn account(
        &self,
        public_key: PublicKey,
    ) -> impl Future<Output = Result<AccountInfo, RpcError>> + Send;

    /// `lx_submit`: admission (chain id, signature, role, replay) and the mempool.
    /// [`RpcError::Rejected`] when admission refuses it, [`RpcError::Busy`] when the mempool
    /// is full.
    fn submit(&self, tx: TxSubmission) -> impl Future<Output = Result<Submitted, RpcError>> + Send;

    /// `lx_submitAndWait`: as [`Backend::submit`], then resolves when the transaction is
    /// final ([`RpcError::Rejected`] if execution rejects it). The server bounds the wait with
    /// the caller's timeout and drops the future when it runs out, so the future must be
    /// cancel-safe (dropping it must not undo the submission).
    fn submit_and_wait(
        &self,
        tx: TxSubmission,
    ) -> impl Future<Output = Result<Finalized, RpcError>> + Send;

    /// `lx_tx`: status `unknown` (not an error) for a transaction the node never saw.
    fn tx(&self, tx_id: Hash) -> impl Future<Output = Result<TxInfo, RpcError>> + Send;

    /// `lx_checkpoint`: `None` for the latest; [`RpcError::NotFound`] above the chain's
    /// height.
    fn checkpoint(
        &self,
        height: Option<u64>,
    ) -> impl Future<Output = Result<CheckpointInfo, RpcError>> + Send;

    /// `lx_entry`: [`RpcError::NotFound`] at or beyond the log size.
    fn entry(&self, leaf_index: u64) -> impl Future<Output = Result<EntryInfo, RpcError>> + Send;

    /// `lx_entries`: `start < end`, `end - start <= MAX_ENTRIES_PER_CALL` already checked;
    /// [`RpcError::NotFound`] when `end` is beyond the log size.
    fn entries(
        &self,
        start: u64,
        end: u64,
    ) -> impl Future<Output = Result<Vec<EntryInfo>, RpcError>> + Send;

    /// `lx_inclusionProof`: `leaf_index < tree_size` already checked;
    /// [`RpcError::BadRequest`] when `tree_size` is beyond the log size.
    fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> impl Future<Output = Result<InclusionProof, RpcError>> + Send;

    /// `lx_consistencyProof`: `1 <= size1 <= size2` already checked;
    /// [`RpcError::BadRequest`] when `size2` is beyond the log size.
    fn consistency_proof(
        &self,
        size1: u64,
        size2: u64,
    ) -> impl Future<Output = Result<ConsistencyProof, RpcError>> + Send;

    /// `lx_operator`: the USCC's check character is already verified;
    /// [`RpcError::NotFound`] for an unregistered operator.
    fn operator(&self, uscc: Uscc) -> impl Future<Output = Result<OperatorInfo, RpcError>> + Send;

    /// `lx_instrument`: [`RpcError::NotFound`] for an unregistered instrument.
    fn instrument(
        &self,
        id: InstrumentId,
    ) -> impl Future<Output = Result<InstrumentInfo, RpcError>> + Send;

    /// `lx_certificate`: an unknown digest is an answer (`on_ledger: false`), not an error.
    fn certificate(
        &self,
        digest: Hash,
    ) -> impl Future<Output = Result<CertificateInfo, RpcError>> + Send;

    /// `lx_searchOperators`: at most `limit` operators matching `query`
    /// ([`OperatorHit::matches`]); `query` is non-empty and at most
    /// [`MAX_SEARCH_QUERY`](crate::dto::MAX_SEARCH_QUERY) bytes, `limit` in 1..=
    /// [`MAX_SEARCH_RESULTS`](crate::dto::MAX_SEARCH_RESULTS) (already checked). The default
    /// answers that this backend does not search.
    fn search_operators(
        &self,
        query: String,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OperatorHit>, RpcError>> + Send {
        let _ = (query, limit);
        async { Err(RpcError::not_found("this node does not search operators")) }
    }

    /// `lx_findCertificates`: at most `limit` certificates whose number is `number`
    /// (non-empty, trimmed, at most [`MAX_SEARCH_QUERY`](crate::dto::MAX_SEARCH_QUERY)
    /// bytes: already checked). The default answers that this backend does not search.
    fn find_certificates(
        &self,
        number: String,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<CertificateHit>, RpcError>> + Send {
        let _ = (number, limit);
        async {
            Err(RpcError::not_found(
                "this node does not search certificates",
            ))
        }
    }

    /// `lx_validatorSets`. The default answers that this backend keeps no history.
    fn validator_sets(&self) -> impl Future<Output = Result<ValidatorSets, RpcError>> + Send {
        async {
            Err(RpcError::not_found(
                "this node keeps no validator-set history",
            ))
        }
    }

    /// `lx_draw`: [`RpcError::NotFound`] when no draw request has this tx id.
    fn draw(&self, id: Hash) -> impl Future<Output = Result<DrawInfo, RpcError>> + Send;

    /// A receiver of every new final checkpoint, for `lx_subscribeCheckpoints` (one per
    /// subscriber).
    fn subscribe_checkpoints(&self) -> broadcast::Receiver<CheckpointInfo>;

    /// A receiver of every new final entry, for `lx_subscribeEntries` (one per subscriber;
    /// the server applies the subscriber's filter).
    fn subscribe_entries(&self) -> broadcast::Receiver<EntryEvent>;
}

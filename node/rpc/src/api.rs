//! The API as one jsonrpsee trait. The `rpc` macro turns it into `LxApiServer` (feature
//! `server`: the node implements it through [`RpcImpl`](crate::RpcImpl)) and `LxApiClient`
//! (feature `client`: an extension trait implemented for jsonrpsee's `HttpClient` and
//! `WsClient`; subscriptions need the `WsClient`).
//!
//! Parameters are positional (a JSON array). Hex and USCC parameters are plain strings so that
//! the server can check them itself and answer with a precise [`codes::BAD_REQUEST`] error
//! rather than a generic "invalid params".
//!
//! [`codes::BAD_REQUEST`]: crate::codes::BAD_REQUEST

// The client half rewrites these return types, so a client-only build does not use them.
#[cfg_attr(not(feature = "server"), allow(unused_imports))]
use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;

use crate::dto::{
    AccountInfo, CertificateHit, CertificateInfo, ChainInfo, CheckpointInfo, ConsistencyProof,
    DrawInfo, EntryFilter, EntryInfo, Finalized, InclusionProof, InstrumentInfo, InstrumentRef,
    OperatorHit, OperatorInfo, Submitted, TxInfo, ValidatorSets,
};

/// Liangxin's JSON-RPC API, namespace `lx`.
#[cfg_attr(
    all(feature = "server", feature = "client"),
    rpc(server, client, namespace = "lx")
)]
#[cfg_attr(
    all(feature = "server", not(feature = "client")),
    rpc(server, namespace = "lx")
)]
#[cfg_attr(
    all(feature = "client", not(feature = "server")),
    rpc(client, namespace = "lx")
)]
pub trait LxApi {
    /// `lx_chainInfo()`: chain id, origin, height, log size, validators and quorum.
    #[method(name = "chainInfo")]
    async fn chain_info(&self) -> RpcResult<ChainInfo>;

    /// `lx_account(public_key)`: who holds a key, whether it is revoked, and the sequence
    /// number its next transaction must carry (`pending_next_seq`).
    #[method(name = "account")]
    async fn account(&self, public_key: String) -> RpcResult<AccountInfo>;

    /// `lx_submit(tx)`: admits a transaction to the mempool and returns its id. `tx` is the
    /// canonical signed-transaction bytes as lowercase hex (no `0x`).
    #[method(name = "submit")]
    async fn submit(&self, tx: String) -> RpcResult<Submitted>;

    /// `lx_submitAndWait(tx, timeout_ms)`: submits and waits until the transaction is final
    /// (at most `timeout_ms`, itself at most [`MAX_WAIT_MS`](crate::MAX_WAIT_MS)). A rejection
    /// is a `REJECTED` error, running out of time a `TIMEOUT` error (the transaction may still
    /// become final). Clients must allow a request timeout above `timeout_ms`.
    #[method(name = "submitAndWait")]
    async fn submit_and_wait(&self, tx: String, timeout_ms: u64) -> RpcResult<Finalized>;

    /// `lx_tx(tx_id)`: a transaction's status (`unknown` rather than an error when the node
    /// has never seen it).
    #[method(name = "tx")]
    async fn tx(&self, tx_id: String) -> RpcResult<TxInfo>;

    /// `lx_checkpoint(height?)`: the checkpoint at `height`, or the latest one.
    #[method(name = "checkpoint")]
    async fn checkpoint(&self, height: Option<u64>) -> RpcResult<CheckpointInfo>;

    /// `lx_entry(leaf_index)`: one log entry.
    #[method(name = "entry")]
    async fn entry(&self, leaf_index: u64) -> RpcResult<EntryInfo>;

    /// `lx_entries(start, end)`: the entries with `start <= leaf_index < end`, in order; at
    /// most [`MAX_ENTRIES_PER_CALL`](crate::MAX_ENTRIES_PER_CALL) (a larger range is a
    /// `BAD_REQUEST`; a range past the log end is `NOT_FOUND`).
    #[method(name = "entries")]
    async fn entries(&self, start: u64, end: u64) -> RpcResult<Vec<EntryInfo>>;

    /// `lx_inclusionProof(leaf_index, tree_size)`: RFC 9162 inclusion proof; needs
    /// `leaf_index < tree_size <= log size`.
    #[method(name = "inclusionProof")]
    async fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> RpcResult<InclusionProof>;

    /// `lx_consistencyProof(size1, size2)`: RFC 9162 consistency proof; needs
    /// `1 <= size1 <= size2 <= log size`.
    #[method(name = "consistencyProof")]
    async fn consistency_proof(&self, size1: u64, size2: u64) -> RpcResult<ConsistencyProof>;

    /// `lx_operator(uscc)`: profile, grade with reasons, entries, instruments with status,
    /// state proofs of its profile and of its complete entry list, and the checkpoint it is all
    /// read at.
    #[method(name = "operator")]
    async fn operator(&self, uscc: String) -> RpcResult<OperatorInfo>;

    /// `lx_instrument(id)`: an instrument by `{owner, category, serial}`.
    #[method(name = "instrument")]
    async fn instrument(&self, id: InstrumentRef) -> RpcResult<InstrumentInfo>;

    /// `lx_certificate(digest)`: is the certificate with this document digest on the ledger,
    /// who issued it, is it still valid.
    #[method(name = "certificate")]
    async fn certificate(&self, digest: String) -> RpcResult<CertificateInfo>;

    /// `lx_draw(id)`: a random draw by its request's tx id: request, seed, selection, and the
    /// candidates snapshot a verifier needs to recompute it.
    #[method(name = "draw")]
    async fn draw(&self, id: String) -> RpcResult<DrawInfo>;

    /// `lx_searchOperators(query, limit?)`: registered operators whose name contains `query`
    /// (case-insensitive for ASCII letters) or whose USCC starts with it, at most `limit`
    /// (default and maximum [`MAX_SEARCH_RESULTS`](crate::dto::MAX_SEARCH_RESULTS)). A finding
    /// aid, not proven: look each hit up with `lx_operator`, whose answer is.
    #[method(name = "searchOperators")]
    async fn search_operators(
        &self,
        query: String,
        limit: Option<u32>,
    ) -> RpcResult<Vec<OperatorHit>>;

    /// `lx_findCertificates(number)`: the certificates on the ledger with this certificate
    /// number (exact, after trimming; at most
    /// [`MAX_SEARCH_RESULTS`](crate::dto::MAX_SEARCH_RESULTS)). A finding aid, not proven:
    /// check each with `lx_certificate(digest)`, whose answer is.
    #[method(name = "findCertificates")]
    async fn find_certificates(&self, number: String) -> RpcResult<Vec<CertificateHit>>;

    /// `lx_validatorSets()`: every change of the validator set since genesis, each with the
    /// checkpoint of the block that made it and a proof of the new set under its state root.
    #[method(name = "validatorSets")]
    async fn validator_sets(&self) -> RpcResult<ValidatorSets>;

    /// `lx_subscribeCheckpoints()`: every new final checkpoint (unsubscribe:
    /// `lx_unsubscribeCheckpoints`). A subscriber too slow to keep up is closed with an error
    /// notification; resubscribe and catch up with `lx_checkpoint`.
    #[subscription(name = "subscribeCheckpoints", item = CheckpointInfo)]
    async fn subscribe_checkpoints(&self) -> SubscriptionResult;

    /// `lx_subscribeEntries(filter)`: every new final entry matching `filter` (unsubscribe:
    /// `lx_unsubscribeEntries`). A bad filter rejects the subscription with `BAD_REQUEST`. A
    /// subscriber too slow to keep up is closed with an error notification; resubscribe and
    /// fill the gap with `lx_entries`.
    #[subscription(name = "subscribeEntries", item = EntryInfo)]
    async fn subscribe_entries(&self, filter: EntryFilter) -> SubscriptionResult;
}

//! The server: [`RpcConfig`], [`RpcImpl`] (input checks, then the [`Backend`]) and
//! [`start_server`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use jsonrpsee::server::{
    BatchRequestConfig, PendingSubscriptionSink, Server, ServerConfig, ServerHandle,
    SubscriptionMessage, SubscriptionSink,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::api::LxApiServer;
use crate::backend::Backend;
use crate::dto::{
    AccountInfo, CertificateHit, CertificateInfo, ChainInfo, CheckedFilter, CheckpointInfo,
    ConsistencyProof, DrawInfo, EntryFilter, EntryInfo, Finalized, InclusionProof, InstrumentInfo,
    InstrumentRef, MAX_ENTRIES_PER_CALL, MAX_SEARCH_QUERY, MAX_SEARCH_RESULTS, MAX_WAIT_MS,
    OperatorHit, OperatorInfo, Submitted, TxInfo, TxSubmission, ValidatorSets, parse_hash,
    parse_public_key, parse_uscc,
};
use crate::error::RpcError;
use crate::portal::{Portal, PortalLayer};

/// The server's settings (the `[rpc]` section of the node's config). Every field has a
/// default; unknown fields are an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcConfig {
    /// Where to listen, HTTP and WebSocket on the same port. Default `127.0.0.1:8770`
    /// (loopback only: exposing the API is a deliberate choice). Port 0 picks a free port.
    pub listen: SocketAddr,
    /// Largest request body (HTTP) or message (WebSocket) in bytes. Default 1 MiB.
    pub max_request_body_size: u32,
    /// Largest response in bytes. Default 16 MiB (`lx_entries` of large records may need
    /// smaller ranges).
    pub max_response_body_size: u32,
    /// Most calls in one batch request; 0 disables batches. Default 100.
    pub max_batch_size: u32,
    /// Most simultaneous connections. Default 256.
    pub max_connections: u32,
    /// Most subscriptions on one WebSocket connection. Default 64.
    pub max_subscriptions_per_connection: u32,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8770)),
            max_request_body_size: 1 << 20,
            max_response_body_size: 16 << 20,
            max_batch_size: 100,
            max_connections: 256,
            max_subscriptions_per_connection: 64,
        }
    }
}

impl RpcConfig {
    /// Checks that the limits can work (sizes and connection counts above zero).
    pub fn validate(&self) -> Result<(), RpcError> {
        let positive = [
            ("max_request_body_size", self.max_request_body_size),
            ("max_response_body_size", self.max_response_body_size),
            ("max_connections", self.max_connections),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(RpcError::Config(format!("{name} must be above 0")));
            }
        }
        Ok(())
    }

    fn server_config(&self) -> ServerConfig {
        let batch = match self.max_batch_size {
            0 => BatchRequestConfig::Disabled,
            n => BatchRequestConfig::Limit(n),
        };
        ServerConfig::builder()
            .max_request_body_size(self.max_request_body_size)
            .max_response_body_size(self.max_response_body_size)
            .max_connections(self.max_connections)
            .max_subscriptions_per_connection(self.max_subscriptions_per_connection)
            .set_batch_request_config(batch)
            .build()
    }
}

/// Starts the JSON-RPC server (HTTP and WebSocket on one port) answering through `backend`.
/// Returns the address it listens on (useful with port 0) and the handle that stops it
/// (`handle.stop()`, then `handle.stopped().await`); dropping the handle stops it too.
///
/// Must be called inside a tokio runtime.
pub async fn start_server<B: Backend>(
    config: &RpcConfig,
    backend: Arc<B>,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    start_server_with_portal(config, backend, None).await
}

/// [`start_server`], also serving the public [`Portal`] at `/portal/` on the same port when
/// one is given.
pub async fn start_server_with_portal<B: Backend>(
    config: &RpcConfig,
    backend: Arc<B>,
    portal: Option<Arc<Portal>>,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    config.validate()?;
    let bind_err = |e: std::io::Error| RpcError::Bind {
        addr: config.listen.to_string(),
        reason: e.to_string(),
    };
    let server = Server::builder()
        .set_config(config.server_config())
        .set_http_middleware(tower::ServiceBuilder::new().layer(PortalLayer::new(portal)))
        .build(config.listen)
        .await
        .map_err(bind_err)?;
    let addr = server.local_addr().map_err(bind_err)?;
    let handle = server.start(RpcImpl::new(backend).into_rpc());
    Ok((addr, handle))
}

/// The server side of [`LxApiServer`]: checks inputs, then asks the backend.
#[derive(Debug)]
pub struct RpcImpl<B> {
    backend: Arc<B>,
}

impl<B> Clone for RpcImpl<B> {
    fn clone(&self) -> Self {
        RpcImpl {
            backend: Arc::clone(&self.backend),
        }
    }
}

impl<B: Backend> RpcImpl<B> {
    /// Wraps a backend. `RpcImpl::new(b).into_rpc()` is the `RpcModule` to serve (or to merge
    /// into a larger one).
    pub fn new(backend: Arc<B>) -> Self {
        RpcImpl { backend }
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<B> {
        &self.backend
    }
}

/// A lookup by a USCC (or an id holding one): with a valid code, the answer. A well-formed code
/// whose check character is wrong (`lenient`, parsed only then) is held only by an operator a regulator
/// registered with the check override, so it is looked up too, and if nothing is found the
/// caller gets the `strict` error that names the expected check character.
async fn lookup<K, T, F>(
    strict: Result<K, RpcError>,
    lenient: impl FnOnce() -> Option<K>,
    ask: impl FnOnce(K) -> F,
) -> RpcResult<T>
where
    F: std::future::Future<Output = Result<T, RpcError>>,
{
    match strict {
        Ok(k) => wire(ask(k).await),
        Err(strict) => match lenient() {
            Some(k) => match ask(k).await {
                Err(RpcError::NotFound(_)) => Err(strict.into()),
                r => wire(r),
            },
            None => Err(strict.into()),
        },
    }
}

/// A search string: trimmed, non-empty, at most [`MAX_SEARCH_QUERY`] bytes, no control
/// characters.
fn search_query(raw: &str, what: &str) -> Result<String, RpcError> {
    let q = raw.trim();
    if q.is_empty() {
        return Err(RpcError::bad_request(format!("{what} is empty")));
    }
    if q.len() > MAX_SEARCH_QUERY {
        return Err(RpcError::bad_request(format!(
            "{what} is {} bytes, above the limit of {MAX_SEARCH_QUERY}",
            q.len()
        )));
    }
    if q.chars().any(char::is_control) {
        return Err(RpcError::bad_request(format!(
            "{what} contains a control character"
        )));
    }
    Ok(q.to_string())
}

/// `Result<T, RpcError>` to the wire's `RpcResult<T>`.
fn wire<T>(r: Result<T, RpcError>) -> RpcResult<T> {
    r.map_err(Into::into)
}

#[async_trait]
impl<B: Backend> LxApiServer for RpcImpl<B> {
    async fn chain_info(&self) -> RpcResult<ChainInfo> {
        wire(self.backend.chain_info().await)
    }

    async fn account(&self, public_key: String) -> RpcResult<AccountInfo> {
        let key = parse_public_key("public_key", &public_key)?;
        wire(self.backend.account(key).await)
    }

    async fn submit(&self, tx: String) -> RpcResult<Submitted> {
        let tx = TxSubmission::from_hex(&tx)?;
        let id = tx.id;
        wire(self.backend.submit(tx).await.map_err(|e| with_tx_id(e, id)))
    }

    async fn submit_and_wait(&self, tx: String, timeout_ms: u64) -> RpcResult<Finalized> {
        if timeout_ms > MAX_WAIT_MS {
            return Err(RpcError::bad_request(format!(
                "timeout_ms {timeout_ms} is above the limit of {MAX_WAIT_MS}"
            ))
            .into());
        }
        let tx = TxSubmission::from_hex(&tx)?;
        let id = tx.id;
        let wait = Duration::from_millis(timeout_ms);
        match tokio::time::timeout(wait, self.backend.submit_and_wait(tx)).await {
            Ok(r) => wire(r.map_err(|e| with_tx_id(e, id))),
            Err(_) => Err(RpcError::Timeout {
                tx_id: id,
                waited_ms: timeout_ms,
            }
            .into()),
        }
    }

    async fn tx(&self, tx_id: String) -> RpcResult<TxInfo> {
        let id = parse_hash("tx_id", &tx_id)?;
        wire(self.backend.tx(id).await)
    }

    async fn checkpoint(&self, height: Option<u64>) -> RpcResult<CheckpointInfo> {
        wire(self.backend.checkpoint(height).await)
    }

    async fn entry(&self, leaf_index: u64) -> RpcResult<EntryInfo> {
        wire(self.backend.entry(leaf_index).await)
    }

    async fn entries(&self, start: u64, end: u64) -> RpcResult<Vec<EntryInfo>> {
        if start >= end {
            return Err(RpcError::bad_request(format!(
                "entries: start {start} must be below end {end} (end is exclusive)"
            ))
            .into());
        }
        if end - start > MAX_ENTRIES_PER_CALL {
            return Err(RpcError::bad_request(format!(
                "entries: {} asked, at most {MAX_ENTRIES_PER_CALL} per call",
                end - start
            ))
            .into());
        }
        wire(self.backend.entries(start, end).await)
    }

    async fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> RpcResult<InclusionProof> {
        if leaf_index >= tree_size {
            return Err(RpcError::bad_request(format!(
                "inclusion proof: leaf index {leaf_index} must be below the tree size {tree_size}"
            ))
            .into());
        }
        wire(self.backend.inclusion_proof(leaf_index, tree_size).await)
    }

    async fn consistency_proof(&self, size1: u64, size2: u64) -> RpcResult<ConsistencyProof> {
        if size1 == 0 {
            return Err(RpcError::bad_request(
                "consistency proof: size1 must be at least 1 (every tree extends the empty one)",
            )
            .into());
        }
        if size1 > size2 {
            return Err(RpcError::bad_request(format!(
                "consistency proof: size1 {size1} is above size2 {size2}"
            ))
            .into());
        }
        wire(self.backend.consistency_proof(size1, size2).await)
    }

    async fn operator(&self, uscc: String) -> RpcResult<OperatorInfo> {
        lookup(
            parse_uscc(&uscc),
            || liangxin_types::Uscc::parse_override(&uscc).ok(),
            |u| self.backend.operator(u),
        )
        .await
    }

    async fn instrument(&self, id: InstrumentRef) -> RpcResult<InstrumentInfo> {
        lookup(
            id.check(),
            || id.check_override().ok(),
            |i| self.backend.instrument(i),
        )
        .await
    }

    async fn certificate(&self, digest: String) -> RpcResult<CertificateInfo> {
        let digest = parse_hash("digest", &digest)?;
        wire(self.backend.certificate(digest).await)
    }

    async fn draw(&self, id: String) -> RpcResult<DrawInfo> {
        let id = parse_hash("draw id", &id)?;
        wire(self.backend.draw(id).await)
    }

    async fn search_operators(
        &self,
        query: String,
        limit: Option<u32>,
    ) -> RpcResult<Vec<OperatorHit>> {
        let q = search_query(&query, "query")?;
        let limit = limit.unwrap_or(MAX_SEARCH_RESULTS);
        if limit == 0 || limit > MAX_SEARCH_RESULTS {
            return Err(RpcError::bad_request(format!(
                "limit {limit} is outside 1..={MAX_SEARCH_RESULTS}"
            ))
            .into());
        }
        wire(self.backend.search_operators(q, limit as usize).await)
    }

    async fn find_certificates(&self, number: String) -> RpcResult<Vec<CertificateHit>> {
        let q = search_query(&number, "number")?;
        wire(
            self.backend
                .find_certificates(q, MAX_SEARCH_RESULTS as usize)
                .await,
        )
    }

    async fn validator_sets(&self) -> RpcResult<ValidatorSets> {
        wire(self.backend.validator_sets().await)
    }

    async fn subscribe_checkpoints(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let rx = self.backend.subscribe_checkpoints();
        let sink = pending.accept().await?;
        forward(sink, rx, Some).await
    }

    async fn subscribe_entries(
        &self,
        pending: PendingSubscriptionSink,
        filter: EntryFilter,
    ) -> SubscriptionResult {
        let filter: CheckedFilter = match filter.check() {
            Ok(f) => f,
            Err(e) => {
                pending.reject(e).await;
                return Ok(());
            }
        };
        let rx = self.backend.subscribe_entries();
        let sink = pending.accept().await?;
        forward(sink, rx, move |ev| {
            filter
                .matches(&ev.entry, ev.operator.as_ref())
                .then_some(ev.entry)
        })
        .await
    }
}

/// Adds the transaction id to a rejection that lacks one.
fn with_tx_id(e: RpcError, id: liangxin_types::Hash) -> RpcError {
    match e {
        RpcError::Rejected {
            tx_id: None,
            rejection,
        } => RpcError::Rejected {
            tx_id: Some(id),
            rejection,
        },
        other => other,
    }
}

/// Sends every item `select` keeps from `rx` to `sink` until the subscriber leaves (`Ok`),
/// the source closes (`Ok`), or the subscriber lags behind the source (an error
/// notification saying how many items it missed).
async fn forward<T: Clone + Send, U: Serialize + Send>(
    sink: SubscriptionSink,
    mut rx: broadcast::Receiver<T>,
    mut select: impl FnMut(T) -> Option<U> + Send,
) -> SubscriptionResult {
    loop {
        let item = tokio::select! {
            _ = sink.closed() => return Ok(()),
            item = rx.recv() => item,
        };
        match item {
            Ok(item) => {
                let Some(out) = select(item) else { continue };
                let msg: SubscriptionMessage = serde_json::value::to_raw_value(&out)?.into();
                if sink.send(msg).await.is_err() {
                    return Ok(());
                }
            }
            Err(RecvError::Closed) => return Ok(()),
            Err(RecvError::Lagged(n)) => {
                return Err(format!(
                    "subscriber too slow: {n} items missed; resubscribe and catch up by query"
                )
                .into());
            }
        }
    }
}

//! Prometheus metrics (text exposition format on a separate port, `GET /metrics`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::error::NodeError;

/// The node's metrics. Cheap to update from any thread.
pub struct Metrics {
    registry: Registry,
    /// Transactions received by `lx_submit` / `lx_submitAndWait`.
    pub submitted: Counter,
    /// Transactions refused at admission (bad signature, unknown signer, replay, ...).
    pub admission_rejected: Counter,
    /// Transactions refused because the mempool was full.
    pub busy: Counter,
    /// Transactions the contracts rejected when their block executed.
    pub exec_rejected: Counter,
    /// Blocks committed.
    pub blocks: Counter,
    /// Records committed (log entries).
    pub records: Counter,
    /// Latest height.
    pub height: Gauge,
    /// Log size.
    pub log_size: Gauge,
    /// Transactions waiting.
    pub mempool_txs: Gauge,
    /// Bytes waiting.
    pub mempool_bytes: Gauge,
    /// Time to build and commit a block, seconds.
    pub block_seconds: Histogram,
    /// Time to answer an RPC call, seconds (all methods).
    pub rpc_seconds: Histogram,
    /// Bytes of the store's files on disk (refreshed at each scrape).
    pub store_bytes: Gauge,
    /// Blocks this validator proposed (under consensus).
    pub proposals: Counter,
    /// Views this validator voted to skip: its leader's proposal did not arrive in time, or
    /// was invalid (under consensus).
    pub nullify_votes: Counter,
    /// Most transactions this validator's next proposal may hold: `block.max_txs`, lowered to
    /// what it executes in a fifth of the leader timeout (under consensus).
    pub block_limit_txs: Gauge,
    /// State row lookups answered by the state row cache since start (refreshed at each
    /// scrape; 0 with the cache off).
    pub state_cache_hits: Gauge,
    /// State row lookups that read RocksDB since start (refreshed at each scrape).
    pub state_cache_misses: Gauge,
    /// Bytes the state row cache holds now, as it counts them (refreshed at each scrape).
    pub state_cache_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("liangxin");
        let m = Metrics {
            submitted: Counter::default(),
            admission_rejected: Counter::default(),
            busy: Counter::default(),
            exec_rejected: Counter::default(),
            blocks: Counter::default(),
            records: Counter::default(),
            height: Gauge::default(),
            log_size: Gauge::default(),
            mempool_txs: Gauge::default(),
            mempool_bytes: Gauge::default(),
            block_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            rpc_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 18)),
            store_bytes: Gauge::default(),
            proposals: Counter::default(),
            nullify_votes: Counter::default(),
            block_limit_txs: Gauge::default(),
            state_cache_hits: Gauge::default(),
            state_cache_misses: Gauge::default(),
            state_cache_bytes: Gauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register("submitted", "Transactions received", m.submitted.clone());
        r.register(
            "admission_rejected",
            "Transactions refused at admission",
            m.admission_rejected.clone(),
        );
        r.register(
            "busy",
            "Transactions refused because the mempool was full",
            m.busy.clone(),
        );
        r.register(
            "exec_rejected",
            "Transactions rejected by the contracts in a block",
            m.exec_rejected.clone(),
        );
        r.register("blocks", "Blocks committed", m.blocks.clone());
        r.register("records", "Records committed", m.records.clone());
        r.register("height", "Latest block height", m.height.clone());
        r.register("log_size", "Leaves in the log", m.log_size.clone());
        r.register(
            "mempool_txs",
            "Transactions waiting in the mempool",
            m.mempool_txs.clone(),
        );
        r.register(
            "mempool_bytes",
            "Bytes waiting in the mempool",
            m.mempool_bytes.clone(),
        );
        r.register(
            "block_seconds",
            "Time to build and commit a block",
            m.block_seconds.clone(),
        );
        r.register(
            "rpc_seconds",
            "Time to answer a JSON-RPC call",
            m.rpc_seconds.clone(),
        );
        r.register(
            "store_bytes",
            "Bytes of the store's files on disk",
            m.store_bytes.clone(),
        );
        r.register(
            "proposals",
            "Blocks this validator proposed",
            m.proposals.clone(),
        );
        r.register(
            "nullify_votes",
            "Views this validator voted to skip (no valid proposal in time)",
            m.nullify_votes.clone(),
        );
        r.register(
            "block_limit_txs",
            "Most transactions this validator's next proposal may hold",
            m.block_limit_txs.clone(),
        );
        r.register(
            "state_cache_hits",
            "State row lookups answered by the state row cache since start",
            m.state_cache_hits.clone(),
        );
        r.register(
            "state_cache_misses",
            "State row lookups that read RocksDB since start",
            m.state_cache_misses.clone(),
        );
        r.register(
            "state_cache_bytes",
            "Bytes the state row cache holds",
            m.state_cache_bytes.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// Records a block's build-and-commit time.
    pub fn observe_block(&self, d: Duration) {
        self.block_seconds.observe(d.as_secs_f64());
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Serves `GET /metrics` on `addr` until the task is dropped; `refresh` runs before each
/// scrape (to update gauges that are read rather than pushed). With `admin`, also the p2p
/// admin calls under `/admin/` ([`crate::admin`]). Returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    refresh: Arc<dyn Fn() + Send + Sync>,
    admin: Option<liangxin_p2p::Network>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), NodeError> {
    let listener = TcpListener::bind(addr).await.map_err(|e| NodeError::Io {
        path: format!("metrics listener {addr}"),
        source: e,
    })?;
    let bound = listener.local_addr().map_err(|e| NodeError::Io {
        path: format!("metrics listener {addr}"),
        source: e,
    })?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, remote)) = listener.accept().await else {
                continue;
            };
            let metrics = Arc::clone(&metrics);
            let refresh = Arc::clone(&refresh);
            let admin = admin.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let metrics = Arc::clone(&metrics);
                    let refresh = Arc::clone(&refresh);
                    let admin = admin.clone();
                    async move {
                        let path = req.uri().path();
                        let resp = if path.starts_with(crate::admin::PREFIX) {
                            crate::admin::handle(admin.as_ref(), remote, req.method(), path).await
                        } else if path == "/metrics" {
                            refresh();
                            let mut r = Response::new(Full::new(Bytes::from(metrics.render())));
                            r.headers_mut().insert(
                                hyper::header::CONTENT_TYPE,
                                hyper::header::HeaderValue::from_static(
                                    "text/plain; version=0.0.4; charset=utf-8",
                                ),
                            );
                            r
                        } else {
                            let mut r = Response::new(Full::new(Bytes::from_static(
                                b"not found: the metrics are at /metrics\n",
                            )));
                            *r.status_mut() = StatusCode::NOT_FOUND;
                            r
                        };
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_names_every_metric_with_the_prefix() {
        let m = Metrics::default();
        m.records.inc_by(3);
        m.state_cache_hits.set(7);
        m.state_cache_bytes.set(4096);
        let text = m.render();
        for line in [
            "liangxin_records_total 3",
            "liangxin_state_cache_hits 7",
            "liangxin_state_cache_misses 0",
            "liangxin_state_cache_bytes 4096",
            "liangxin_block_limit_txs 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
        }
    }
}

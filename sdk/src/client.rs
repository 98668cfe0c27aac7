//! [`Client`]: the typed JSON-RPC client (jsonrpsee's `HttpClient`, and a `WsClient` for
//! subscriptions), with submission that picks the signer's sequence number and proof-checking
//! queries that go through a [`LightClient`].

use std::sync::OnceLock;
use std::time::Duration;

use liangxin_contracts::{InstrumentId, Record};
use liangxin_rpc::LxApiClient as _;
use liangxin_rpc::dto::{
    AccountInfo, CertificateInfo, ChainInfo, CheckpointInfo, ConsistencyProof, DrawInfo,
    EntryFilter, EntryInfo, Finalized, InclusionProof, InstrumentInfo, InstrumentRef, OperatorInfo,
    Submitted, TxInfo, tx_to_hex,
};
use liangxin_rpc::jsonrpsee::core::client::Subscription;
use liangxin_rpc::jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use liangxin_rpc::jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use liangxin_types::tx::{ChainId, SignedTx};
use liangxin_types::{Hash, PublicKey, Uscc};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::signer::Signer;
use crate::verify::{self, LightClient, Link, StateProofStatus, ValidatorSet, Verified};

/// The node's default RPC address.
pub const DEFAULT_RPC: &str = "http://127.0.0.1:8770";

/// The default request timeout: above the longest `lx_submitAndWait` (30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one node.
#[derive(Debug)]
pub struct Client {
    http: HttpClient,
    http_url: String,
    ws_url: String,
    timeout: Duration,
    chain_id: OnceLock<ChainId>,
}

/// The HTTP and WebSocket forms of a node URL (`http://` ↔ `ws://`, `https://` ↔ `wss://`).
pub fn node_urls(url: &str) -> Result<(String, String)> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        Error::invalid(
            "rpc url",
            format!("{url:?} has no scheme; use e.g. {DEFAULT_RPC}"),
        )
    })?;
    let (http, ws) = match scheme {
        "http" | "ws" => ("http", "ws"),
        "https" | "wss" => ("https", "wss"),
        other => {
            return Err(Error::invalid(
                "rpc url",
                format!("scheme {other:?} is not http, https, ws or wss"),
            ));
        }
    };
    if rest.is_empty() {
        return Err(Error::invalid("rpc url", format!("{url:?} has no host")));
    }
    Ok((format!("{http}://{rest}"), format!("{ws}://{rest}")))
}

impl Client {
    /// A client of the node at `url` (`http(s)://` or `ws(s)://`; the other form is derived
    /// for subscriptions), with [`DEFAULT_TIMEOUT`]. No request is made yet.
    pub fn new(url: &str) -> Result<Self> {
        Self::with_timeout(url, DEFAULT_TIMEOUT)
    }

    /// A client with a request timeout (keep it above the waits of `submit_and_wait`).
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self> {
        let (http_url, ws_url) = node_urls(url)?;
        let http = HttpClientBuilder::default()
            .request_timeout(timeout)
            .max_response_size(64 << 20)
            .build(&http_url)
            .map_err(|e| Error::Transport(format!("{http_url}: {e}")))?;
        Ok(Client {
            http,
            http_url,
            ws_url,
            timeout,
            chain_id: OnceLock::new(),
        })
    }

    /// The node's HTTP URL.
    pub fn url(&self) -> &str {
        &self.http_url
    }

    /// The node's WebSocket URL.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The underlying jsonrpsee client, for calls this type does not wrap (with
    /// `liangxin_rpc::LxApiClient` in scope).
    pub fn rpc(&self) -> &HttpClient {
        &self.http
    }

    // ---- plain calls -------------------------------------------------------------------------

    /// `lx_chainInfo`.
    pub async fn chain_info(&self) -> Result<ChainInfo> {
        let info = self.http.chain_info().await?;
        let _ = self.chain_id.set(info.chain_id.clone());
        Ok(info)
    }

    /// The chain id (asked once, then remembered).
    pub async fn chain_id(&self) -> Result<ChainId> {
        if let Some(c) = self.chain_id.get() {
            return Ok(c.clone());
        }
        Ok(self.chain_info().await?.chain_id)
    }

    /// `lx_account`: who holds `key` and the sequence number its next transaction must carry.
    pub async fn account(&self, key: &PublicKey) -> Result<AccountInfo> {
        Ok(self.http.account(key.to_hex()).await?)
    }

    /// `lx_tx`.
    pub async fn tx(&self, tx_id: &Hash) -> Result<TxInfo> {
        Ok(self.http.tx(tx_id.to_hex()).await?)
    }

    /// `lx_checkpoint`: at `height`, or the latest.
    pub async fn checkpoint(&self, height: Option<u64>) -> Result<CheckpointInfo> {
        Ok(self.http.checkpoint(height).await?)
    }

    /// `lx_entry`.
    pub async fn entry(&self, leaf_index: u64) -> Result<EntryInfo> {
        Ok(self.http.entry(leaf_index).await?)
    }

    /// `lx_entries`: `start <= i < end`, at most 1,000.
    pub async fn entries(&self, start: u64, end: u64) -> Result<Vec<EntryInfo>> {
        Ok(self.http.entries(start, end).await?)
    }

    /// `lx_inclusionProof`.
    pub async fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> Result<InclusionProof> {
        Ok(self.http.inclusion_proof(leaf_index, tree_size).await?)
    }

    /// `lx_consistencyProof`.
    pub async fn consistency_proof(&self, size1: u64, size2: u64) -> Result<ConsistencyProof> {
        Ok(self.http.consistency_proof(size1, size2).await?)
    }

    /// `lx_operator`.
    pub async fn operator(&self, uscc: &Uscc) -> Result<OperatorInfo> {
        Ok(self.http.operator(uscc.to_string()).await?)
    }

    /// `lx_instrument`.
    pub async fn instrument(&self, id: &InstrumentId) -> Result<InstrumentInfo> {
        Ok(self.http.instrument(InstrumentRef::from(id)).await?)
    }

    /// `lx_certificate`: by the digest of the certificate document.
    pub async fn certificate(&self, digest: &Hash) -> Result<CertificateInfo> {
        Ok(self.http.certificate(digest.to_hex()).await?)
    }

    /// `lx_draw`: by the request's tx id.
    pub async fn draw(&self, id: &Hash) -> Result<DrawInfo> {
        Ok(self.http.draw(id.to_hex()).await?)
    }

    // ---- submission --------------------------------------------------------------------------

    /// Signs `record` with the signer's next sequence number (`pending_next_seq`, which counts
    /// its transactions already in the node's mempool) for this chain.
    pub async fn sign(&self, signer: &Signer, record: &Record) -> Result<SignedTx> {
        let chain = self.chain_id().await?;
        let seq = self.account(&signer.public_key()).await?.pending_next_seq;
        signer.sign(&chain, seq, record)
    }

    /// Signs and submits `record` (admitted to the mempool, not yet final).
    pub async fn submit(&self, signer: &Signer, record: &Record) -> Result<Submitted> {
        let tx = self.sign(signer, record).await?;
        self.submit_tx(&tx).await
    }

    /// Signs and submits `record`, and waits until it is final (at most `wait`, capped at
    /// 30 s by the node). A rejection is an [`Error::Rpc`] with code `1002` and the
    /// contracts' rejection; running out of time is code `1004` (it may still become final).
    pub async fn submit_and_wait(
        &self,
        signer: &Signer,
        record: &Record,
        wait: Duration,
    ) -> Result<Finalized> {
        let tx = self.sign(signer, record).await?;
        self.submit_tx_and_wait(&tx, wait).await
    }

    /// Submits a signed transaction.
    pub async fn submit_tx(&self, tx: &SignedTx) -> Result<Submitted> {
        Ok(self.http.submit(tx_to_hex(tx)?).await?)
    }

    /// Submits a signed transaction and waits until it is final.
    pub async fn submit_tx_and_wait(&self, tx: &SignedTx, wait: Duration) -> Result<Finalized> {
        let ms = wait
            .min(Duration::from_millis(liangxin_rpc::MAX_WAIT_MS))
            .min(self.timeout.saturating_sub(Duration::from_secs(1)))
            .as_millis() as u64;
        Ok(self.http.submit_and_wait(tx_to_hex(tx)?, ms).await?)
    }

    // ---- verification ------------------------------------------------------------------------

    /// A light client whose validator set is pinned from this node's `lx_chainInfo` (trust on
    /// first use; pin from genesis with [`ValidatorSet::from_genesis`] to trust no node).
    pub async fn light_client(&self) -> Result<LightClient> {
        let info = self.chain_info().await?;
        Ok(LightClient::new(ValidatorSet::from_chain_info(&info)?))
    }

    /// Moves the light client to the node's latest checkpoint, with a consistency proof from
    /// the one it has.
    pub async fn sync(&self, lc: &mut LightClient) -> Result<(verify::VerifiedCheckpoint, Link)> {
        let latest = self.checkpoint(None).await?;
        self.accept(lc, &latest).await
    }

    /// Verifies `checkpoint` against the light client: a newer one becomes its latest (with a
    /// consistency proof fetched from the node), an older one must be a prefix of its latest.
    pub async fn accept(
        &self,
        lc: &mut LightClient,
        checkpoint: &CheckpointInfo,
    ) -> Result<(verify::VerifiedCheckpoint, Link)> {
        let Some(latest) = lc.latest().map(|c| c.checkpoint.clone()) else {
            return Ok(lc.update(checkpoint, None)?);
        };
        let newer = checkpoint.height > latest.height
            || (checkpoint.height == latest.height && checkpoint.log_size >= latest.log_size);
        if newer {
            let proof = if checkpoint.log_size > latest.log_size && latest.log_size > 0 {
                Some(
                    self.consistency_proof(latest.log_size, checkpoint.log_size)
                        .await?,
                )
            } else {
                None
            };
            Ok(lc.update(checkpoint, proof.as_ref())?)
        } else {
            let proof = if checkpoint.log_size < latest.log_size && checkpoint.log_size > 0 {
                Some(
                    self.consistency_proof(checkpoint.log_size, latest.log_size)
                        .await?,
                )
            } else {
                None
            };
            Ok(lc.check_older(checkpoint, proof.as_ref())?)
        }
    }

    /// Verifies entries read at `checkpoint`: the checkpoint through the light client
    /// ([`Client::accept`]), then each entry's inclusion under it, with proofs fetched from the
    /// node. `state_proof` is the answer's `state_proof` field.
    pub async fn verify_entries(
        &self,
        lc: &mut LightClient,
        checkpoint: &CheckpointInfo,
        entries: &[EntryInfo],
        state_proof: &serde_json::Value,
    ) -> Result<Verified> {
        let (cp, link) = self.accept(lc, checkpoint).await?;
        let mut included = Vec::with_capacity(entries.len());
        for e in entries {
            let proof = self
                .inclusion_proof(e.leaf_index, cp.checkpoint.log_size)
                .await?;
            verify::verify_entry(e, &proof, &cp.checkpoint)?;
            included.push(e.leaf_index);
        }
        Ok(Verified {
            checkpoint: cp,
            link,
            entries_included: included,
            state_proof: StateProofStatus::of(state_proof),
        })
    }

    /// `lx_operator`, verified: the checkpoint it is read at and the inclusion of every entry.
    pub async fn verify_operator(
        &self,
        lc: &mut LightClient,
        uscc: &Uscc,
    ) -> Result<(OperatorInfo, Verified)> {
        let info = self.operator(uscc).await?;
        let mut v = self
            .verify_entries(lc, &info.checkpoint, &info.entries, &info.state_proof)
            .await?;
        v.state_proof = verify::verify_operator_state(&info, &v.checkpoint.checkpoint)?;
        Ok((info, v))
    }

    /// `lx_instrument`, verified like [`Client::verify_operator`].
    pub async fn verify_instrument(
        &self,
        lc: &mut LightClient,
        id: &InstrumentId,
    ) -> Result<(InstrumentInfo, Verified)> {
        let info = self.instrument(id).await?;
        let mut v = self
            .verify_entries(lc, &info.checkpoint, &info.entries, &info.state_proof)
            .await?;
        v.state_proof = verify::verify_instrument_state(&info, &v.checkpoint.checkpoint)?;
        Ok((info, v))
    }

    /// `lx_certificate`, verified: the verification record's inclusion, when on the ledger,
    /// and the state proof of the certificate row (its absence proves "not on the ledger").
    pub async fn verify_certificate(
        &self,
        lc: &mut LightClient,
        digest: &Hash,
    ) -> Result<(CertificateInfo, Verified)> {
        let info = self.certificate(digest).await?;
        let entries: Vec<EntryInfo> = info.record.iter().cloned().collect();
        let mut v = self
            .verify_entries(lc, &info.checkpoint, &entries, &info.state_proof)
            .await?;
        v.state_proof = verify::verify_certificate_state(&info, &v.checkpoint.checkpoint)?;
        Ok((info, v))
    }

    /// `lx_draw`, verified: the request's inclusion, and, when resolved, the block seed
    /// ([`verify::verify_block_seed`]: the resolving block's VRF proof, final under a
    /// quorum-signed checkpoint), that the selection is what `compute_selection` gives for the
    /// seed, the request, the rates and the candidates shown, and the state proof of the stored result (or pending draw) with its candidates
    /// snapshot. (That the snapshot lists the jurisdiction's operators with those grades is not
    /// proven.)
    pub async fn verify_draw(
        &self,
        lc: &mut LightClient,
        id: &Hash,
    ) -> Result<(DrawInfo, Verified)> {
        let info = self.draw(id).await?;
        if info.request_entry.record != Record::RandomDrawRequest(info.request.clone()) {
            return Err(crate::VerifyError::Mismatch(
                "the draw's request is not the record of its request entry".into(),
            )
            .into());
        }
        if let Some(res) = &info.resolution {
            verify::verify_block_seed(lc.validators(), res)?;
            let seed = liangxin_contracts::draws::draw_seed(&res.block_seed, &info.id);
            if seed != res.seed {
                return Err(crate::VerifyError::Mismatch(
                    "the draw seed is not derived from the block seed and the request".into(),
                )
                .into());
            }
            let selection = liangxin_contracts::draws::compute_selection(
                &res.seed,
                &info.request,
                info.sample_rates_ppm,
                &info.candidates,
            )?;
            if selection != res.targets {
                return Err(crate::VerifyError::Mismatch(
                    "the selection shown is not the one the seed gives".into(),
                )
                .into());
            }
        }
        let entries = [info.request_entry.clone()];
        let mut v = self
            .verify_entries(lc, &info.checkpoint, &entries, &info.state_proof)
            .await?;
        v.state_proof = verify::verify_draw_state(&info, &v.checkpoint.checkpoint)?;
        Ok((info, v))
    }

    /// Entry `leaf_index`, verified against the node's latest checkpoint.
    pub async fn verify_entry(
        &self,
        lc: &mut LightClient,
        leaf_index: u64,
    ) -> Result<(EntryInfo, Verified)> {
        let checkpoint = self.checkpoint(None).await?;
        let entry = self.entry(leaf_index).await?;
        let v = self
            .verify_entries(
                lc,
                &checkpoint,
                std::slice::from_ref(&entry),
                &serde_json::Value::Null,
            )
            .await?;
        Ok((entry, v))
    }

    // ---- subscriptions -----------------------------------------------------------------------

    async fn ws(&self) -> Result<WsClient> {
        WsClientBuilder::default()
            .request_timeout(self.timeout)
            .build(&self.ws_url)
            .await
            .map_err(|e| Error::Transport(format!("{}: {e}", self.ws_url)))
    }

    /// Every new final checkpoint, over WebSocket.
    pub async fn watch_checkpoints(&self) -> Result<Watch<CheckpointInfo>> {
        let ws = self.ws().await?;
        let sub = ws.subscribe_checkpoints().await?;
        Ok(Watch { _ws: ws, sub })
    }

    /// Every new final entry that matches `filter`, over WebSocket.
    pub async fn watch_entries(&self, filter: EntryFilter) -> Result<Watch<EntryInfo>> {
        let ws = self.ws().await?;
        let sub = ws.subscribe_entries(filter).await?;
        Ok(Watch { _ws: ws, sub })
    }
}

/// A subscription and the WebSocket connection it runs on.
#[derive(Debug)]
pub struct Watch<T> {
    _ws: WsClient,
    sub: Subscription<T>,
}

impl<T: DeserializeOwned> Watch<T> {
    /// The next item; `None` when the node closed the subscription (e.g. this subscriber fell
    /// behind: resubscribe and catch up with `lx_checkpoint` / `lx_entries`).
    pub async fn next(&mut self) -> Option<Result<T>> {
        self.sub
            .next()
            .await
            .map(|r| r.map_err(|e| Error::Transport(format!("subscription item: {e}"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            node_urls("http://127.0.0.1:8770/").unwrap(),
            ("http://127.0.0.1:8770".into(), "ws://127.0.0.1:8770".into())
        );
        assert_eq!(
            node_urls("wss://node.example:443").unwrap(),
            (
                "https://node.example:443".into(),
                "wss://node.example:443".into()
            )
        );
        for bad in ["127.0.0.1:8770", "ftp://x", "http://"] {
            assert!(node_urls(bad).is_err(), "{bad}");
        }
        assert!(Client::new(DEFAULT_RPC).is_ok());
    }
}

//! `liangxin-testnet bench`: open-loop, fixed-rate load from many signers against a local
//! network of real node processes, through the public JSON-RPC API (no special path).
//!
//! 1. Measures the raw limits of this machine (strict Ed25519 verifications/s on one core,
//!    blake3 bytes/s).
//! 2. Starts `validators` validators on loopback and waits for the first final block.
//! 3. A regulator registers `operators` operators (the signers of the load) and waits until
//!    they are final.
//! 4. Signs `rate × duration` instrument registrations beforehand, spread over the operators.
//! 5. Sends them open loop: every 10 ms, whatever the schedule says is due, in JSON-RPC batches
//!    of `lx_submit` spread over the validators. A record's latency runs from the moment the
//!    schedule said to send it (so a slow node cannot hide its delay by slowing the sender)
//!    to the moment a watcher saw it in a final block (it polls `lx_chainInfo` every 20 ms
//!    and reads new entries with `lx_entries`).
//! 6. Reports submitted, accepted, busy, rejected, final; committed records/s over the load
//!    window; p50/p90/p99/max latency; CPU seconds and RSS per node; bytes on disk per record;
//!    and the ratio of committed records/s to `cores × strict-verify/s ÷ validators` (each
//!    validator verifies every record's signature at least once).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liangxin_contracts::model::Sector;
use liangxin_rpc::jsonrpsee::core::client::ClientT;
use liangxin_rpc::jsonrpsee::core::params::BatchRequestBuilder;
use liangxin_rpc::jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use liangxin_sdk::builders::{self, InstrumentRegistrationBuilder, OperatorRegistrationBuilder};
use liangxin_sdk::{Client, Signer};
use liangxin_types::{Canonical, Hash, SigningKey, Uscc};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::net::Testnet;
use crate::raw;

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Validators to start.
    pub validators: usize,
    /// Records per second to send.
    pub rate: u64,
    /// Seconds of load.
    pub duration: u64,
    /// Signers of the load (operators registered first).
    pub operators: usize,
    /// Where the nodes' homes go.
    pub dir: PathBuf,
    /// Records per JSON-RPC batch.
    pub batch: usize,
    /// How long to wait after the load for the last records to become final.
    pub drain: Duration,
    /// `block.interval_ms` of every node.
    pub block_interval_ms: u64,
}

/// Latency percentiles, milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// One node's resource use over the load window.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeUse {
    /// Node index.
    pub node: usize,
    /// CPU seconds (user + system) used during the load window.
    pub cpu_s: f64,
    /// Resident memory at the end, MiB.
    pub rss_mib: f64,
    /// Bytes of its home directory at the end.
    pub disk_bytes: u64,
    /// From its `/metrics` at the end (0 if they could not be read): blocks it proposed.
    pub proposals: u64,
    /// Views it voted to skip (no valid proposal in time): each is at least one leader
    /// timeout in which nothing became final.
    pub nullify_votes: u64,
    /// Transactions it refused at admission (most often replays: gossip that arrived after
    /// the block holding it was final).
    pub admission_rejected: u64,
    /// Its proposal size limit at the end (`liangxin_block_limit_txs`).
    pub block_limit_txs: u64,
    /// State row lookups its state row cache answered, and those that read RocksDB, since it
    /// started (`liangxin_state_cache_hits`, `liangxin_state_cache_misses`).
    pub state_cache_hits: u64,
    /// See [`NodeUse::state_cache_hits`].
    pub state_cache_misses: u64,
}

/// The value of the sample `name` (no labels) in a Prometheus text exposition, if present.
pub fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?.strip_prefix(' ')?;
        rest.trim().parse::<f64>().ok().map(|v| v as u64)
    })
}

/// The report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Validators.
    pub validators: usize,
    /// Cores of this machine.
    pub cores: usize,
    /// Strict Ed25519 verifications/s on one core, measured in this run.
    pub raw_strict_verify_per_s: f64,
    /// blake3 bytes/s on one core, measured in this run.
    pub raw_blake3_bytes_per_s: f64,
    /// Target rate.
    pub rate: u64,
    /// Seconds of load.
    pub duration_s: u64,
    /// Signers.
    pub operators: usize,
    /// Records sent.
    pub submitted: u64,
    /// Answered with a transaction id.
    pub accepted: u64,
    /// Answered busy (1003) and not retried (open loop).
    pub busy: u64,
    /// Answered with any other error.
    pub rejected: u64,
    /// Seen final.
    pub final_records: u64,
    /// Final records ÷ (time of the last one seen final − start of the load).
    pub committed_per_s: f64,
    /// Submit-to-final latency of the final records.
    pub latency: Latency,
    /// `committed_per_s ÷ (cores × raw_strict_verify_per_s ÷ validators)`.
    pub ratio_to_verify_limit: f64,
    /// Final height at the end.
    pub height: u64,
    /// Blocks made from the start of the load to the end (of the drain).
    pub load_blocks: u64,
    /// Per node.
    pub nodes: Vec<NodeUse>,
    /// CPU seconds this load generator itself used during the load window (it shares the
    /// machine's cores with the nodes).
    pub client_cpu_s: f64,
    /// Home directory bytes (all nodes) ÷ records on the ledger ÷ nodes.
    pub disk_bytes_per_record_per_node: f64,
    /// Committed records per second, one value per second of the run.
    pub throughput_per_s: Vec<u64>,
    /// Median submit-to-final latency of the records that became final in each second, ms
    /// (`null` for a second in which none did).
    pub latency_p50_per_s: Vec<f64>,
    /// 99th percentile of the same, ms.
    pub latency_p99_per_s: Vec<f64>,
}

/// `--find-max`: runs at rising rates until p99 passes the bound.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FindMax {
    /// The p99 submit-to-final bound, ms.
    pub p99_bound_ms: u64,
    /// The highest offered rate whose run kept p99 within the bound and committed what it was
    /// offered.
    pub max_rate_within_bound: Option<u64>,
    /// Every run, in order.
    pub steps: Vec<Report>,
}

/// Whether a run kept up: p99 within `bound_ms` and at least 95% of the records sent final.
pub fn within(r: &Report, bound_ms: u64) -> bool {
    r.final_records > 0
        && r.latency.p99_ms <= bound_ms as f64
        && r.final_records as f64 >= 0.95 * r.submitted as f64
}

/// Runs `cfg` at `cfg.rate`, then at rates multiplied by `factor` (at least +1 record/s),
/// each on a fresh network, until a run misses the bound ([`within`]) or `max_steps` runs.
pub async fn find_max(
    cfg: &BenchConfig,
    bound_ms: u64,
    factor: f64,
    max_steps: usize,
) -> anyhow::Result<FindMax> {
    let mut out = FindMax {
        p99_bound_ms: bound_ms,
        ..FindMax::default()
    };
    let mut rate = cfg.rate;
    for step in 0..max_steps.max(1) {
        let dir = cfg.dir.join(format!("step-{step}"));
        let r = run(&BenchConfig {
            rate,
            dir,
            ..cfg.clone()
        })
        .await?;
        let ok = within(&r, bound_ms);
        eprintln!(
            "step {step}: {rate} records/s offered, {:.0} committed/s, p99 {:.0} ms: {}",
            r.committed_per_s,
            r.latency.p99_ms,
            if ok { "within" } else { "beyond" }
        );
        out.steps.push(r);
        if !ok {
            break;
        }
        out.max_rate_within_bound = Some(rate);
        rate = ((rate as f64 * factor) as u64).max(rate + 1);
    }
    Ok(out)
}

fn uscc(i: usize) -> anyhow::Result<Uscc> {
    let first17 = format!("91350{:06}MA{:04}", i / 10_000, i % 10_000);
    let c = liangxin_types::uscc::check_char(&first17).context("check character")?;
    Ok(Uscc::parse(&format!("{first17}{c}"))?)
}

/// Signs `jobs` (signer, sequence number, record) on every core; canonical bytes in order.
pub fn sign_all(
    jobs: Vec<(Signer, u64, liangxin_contracts::Record)>,
    chain: &liangxin_types::tx::ChainId,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(k, seq, r)| Ok(k.sign(chain, *seq, r)?.to_canonical()?))
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(jobs.len());
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("signing thread panicked"))??,
            );
        }
        Ok(out)
    })
}

/// What a node answered to one `lx_submit` of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Admitted.
    Accepted,
    /// Busy (1003).
    Busy,
    /// Any other error, or no answer.
    Failed,
}

/// Sends `txs` (hex) as one JSON-RPC batch of `lx_submit`; one answer per transaction.
pub async fn submit_each(client: &HttpClient, txs: &[String]) -> Vec<Answer> {
    let mut batch = BatchRequestBuilder::new();
    for t in txs {
        if batch
            .insert("lx_submit", liangxin_rpc::jsonrpsee::rpc_params![t])
            .is_err()
        {
            return vec![Answer::Failed; txs.len()];
        }
    }
    match client.batch_request::<serde_json::Value>(batch).await {
        Ok(res) => res
            .into_iter()
            .map(|r| match r {
                Ok(_) => Answer::Accepted,
                Err(e) if e.code() == 1003 => Answer::Busy,
                Err(_) => Answer::Failed,
            })
            .collect(),
        Err(_) => vec![Answer::Failed; txs.len()],
    }
}

/// [`submit_each`], counted: (accepted, busy, other).
async fn submit_batch(client: &HttpClient, txs: &[String]) -> (u64, u64, u64) {
    let answers = submit_each(client, txs).await;
    let count = |a: Answer| answers.iter().filter(|x| **x == a).count() as u64;
    (
        count(Answer::Accepted),
        count(Answer::Busy),
        count(Answer::Failed),
    )
}

/// CPU seconds (user + system, all threads) the process `pid` has used, from
/// `/proc/PID/stat`; `None` where it cannot be read (no such process, no procfs).
pub fn process_cpu_secs(pid: u32) -> Option<f64> {
    // utime and stime are fields 14 and 15 of /proc/PID/stat (after the parenthesised command
    // name, fields 3 onwards), in clock ticks: Linux's USER_HZ, 100 per second.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// [`process_cpu_secs`], 0 where it cannot be read.
fn proc_cpu_s(pid: u32) -> f64 {
    process_cpu_secs(pid).unwrap_or(0.0)
}

fn proc_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_bytes(path: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(path) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the benchmark.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<Report> {
    if cfg.validators == 0 || cfg.rate == 0 || cfg.duration == 0 || cfg.operators == 0 {
        bail!("validators, rate, duration and operators must be above 0");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("measuring the raw limits of this machine (4 s)…");
    let raw_verify = raw::strict_verify_rate();
    let raw_blake3 = raw::blake3_rate();
    eprintln!(
        "raw: strict Ed25519 verify {raw_verify:.0}/s, blake3 {:.0} MiB/s (one core, {cores} cores)",
        raw_blake3 / (1 << 20) as f64
    );

    let interval = cfg.block_interval_ms.to_string();
    let mut net = Testnet::create_with(
        &cfg.dir,
        "bench",
        cfg.validators,
        0,
        &["--block-interval-ms", &interval],
    );
    net.start_all();
    let rpcs: Vec<String> = (0..cfg.validators).map(|i| net.rpc(i)).collect();
    let watch = Client::new(&rpcs[cfg.validators.min(2) - 1])?;
    let start_wait = Instant::now();
    while watch.chain_info().await?.height == 0 {
        if start_wait.elapsed() > Duration::from_secs(60) {
            bail!("no final block within 60 s of starting the network");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let chain = net.genesis.chain_id()?;

    // Register the signers.
    let regulator = net.nodes[0].signer.clone();
    let keys: Vec<Signer> = (0..cfg.operators)
        .map(|i| Signer::new(SigningKey::dev(&format!("bench operator {i}"))))
        .collect();
    let mut regs = Vec::with_capacity(cfg.operators);
    for (i, k) in keys.iter().enumerate() {
        let r = OperatorRegistrationBuilder::new(
            uscc(i)?,
            format!("第{i}号压测加油站有限公司"),
            "350102",
            Sector::FuelStation,
            k.public_key(),
        )
        .build()?;
        regs.push((regulator.clone(), i as u64, r));
    }
    let regs = sign_all(regs, &chain)?;
    let last_reg = liangxin_types::tx::tx_id(regs.last().context("no operators")?);
    let http = HttpClientBuilder::default().build(&rpcs[0])?;
    for chunk in regs.chunks(cfg.batch) {
        let hexes: Vec<String> = chunk.iter().map(hex::encode).collect();
        loop {
            let (_, busy, other) = submit_batch(&http, &hexes).await;
            if other > 0 {
                bail!("registering operators: {other} submissions failed");
            }
            if busy == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let reg_wait = Instant::now();
    loop {
        let t = watch.tx(&last_reg).await?;
        if t.status == liangxin_sdk::rpc::dto::TxStatus::Final {
            break;
        }
        if reg_wait.elapsed() > Duration::from_secs(120) {
            bail!("the operators' registrations did not become final within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("{} operators registered", cfg.operators);

    // The load, signed beforehand.
    let total = (cfg.rate * cfg.duration) as usize;
    let mut jobs = Vec::with_capacity(total);
    for n in 0..total {
        let i = n % cfg.operators;
        let seq = (n / cfg.operators) as u64;
        let id = builders::instrument(uscc(i)?, "9.1", &format!("B-{seq:06}"))?;
        let r = InstrumentRegistrationBuilder::new(id, "DJY-2226").build()?;
        jobs.push((keys[i].clone(), seq, r));
    }
    let signed = sign_all(jobs, &chain)?;
    let ids: HashMap<Hash, usize> = signed
        .iter()
        .enumerate()
        .map(|(n, b)| (liangxin_types::tx::tx_id(b), n))
        .collect();
    let hexes: Arc<Vec<String>> = Arc::new(signed.iter().map(hex::encode).collect());
    drop(signed);
    eprintln!(
        "{total} records signed; sending {} records/s for {} s",
        cfg.rate, cfg.duration
    );

    let base = watch.chain_info().await?;
    let base_log = base.log_size;
    let pids: Vec<Option<u32>> = net
        .nodes
        .iter()
        .map(|n| n.process.as_ref().and_then(|p| p.pid()))
        .collect();
    let cpu0: Vec<f64> = pids.iter().map(|p| p.map_or(0.0, proc_cpu_s)).collect();
    let client0 = proc_cpu_s(std::process::id());

    // Watcher: final entries → latency.
    let started = Instant::now();
    let schedule_ms = 1000.0 / cfg.rate as f64;
    let done_watching = Arc::new(AtomicU64::new(0));
    let watcher = {
        let watch = Client::new(&rpcs[cfg.validators.min(2) - 1])?;
        let stop = Arc::clone(&done_watching);
        let expected = total as u64;
        tokio::spawn(async move {
            let mut next = base_log;
            let mut latencies: Vec<f64> = Vec::with_capacity(expected as usize);
            let mut per_second: Vec<u64> = Vec::new();
            let mut by_second: Vec<Vec<f64>> = Vec::new();
            let mut last_final = Duration::ZERO;
            while stop.load(Ordering::Acquire) == 0 && (latencies.len() as u64) < expected {
                let Ok(info) = watch.chain_info().await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                while next < info.log_size {
                    let end = info.log_size.min(next + 1000);
                    let Ok(entries) = watch.entries(next, end).await else {
                        break;
                    };
                    let now = started.elapsed();
                    for e in &entries {
                        let Ok(bytes) = hex::decode(&e.tx) else {
                            continue;
                        };
                        if let Some(&n) = ids.get(&liangxin_types::tx::tx_id(&bytes)) {
                            let due = n as f64 * schedule_ms;
                            let latency = (now.as_secs_f64() * 1000.0 - due).max(0.0);
                            latencies.push(latency);
                            let sec = now.as_secs() as usize;
                            if per_second.len() <= sec {
                                per_second.resize(sec + 1, 0);
                                by_second.resize(sec + 1, Vec::new());
                            }
                            per_second[sec] += 1;
                            by_second[sec].push(latency);
                            last_final = now;
                        }
                    }
                    next += entries.len() as u64;
                    if entries.is_empty() {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (latencies, per_second, by_second, last_final)
        })
    };

    // Open-loop sender.
    let counts = Arc::new(Mutex::new((0u64, 0u64, 0u64, 0u64)));
    let clients: Vec<HttpClient> = rpcs
        .iter()
        .map(|u| HttpClientBuilder::default().build(u))
        .collect::<Result<_, _>>()?;
    let clients = Arc::new(clients);
    let mut sent = 0usize;
    let mut tasks = tokio::task::JoinSet::new();
    let mut turn = 0usize;
    while sent < total {
        // Record n is due at n / rate seconds.
        let due = ((started.elapsed().as_secs_f64() * cfg.rate as f64) as usize + 1).min(total);
        while sent < due {
            let end = (sent + cfg.batch).min(due);
            let range = sent..end;
            sent = end;
            let hexes = Arc::clone(&hexes);
            let clients = Arc::clone(&clients);
            let counts = Arc::clone(&counts);
            let node = turn % clients.len();
            turn += 1;
            tasks.spawn(async move {
                let (ok, busy, other) = submit_batch(&clients[node], &hexes[range.clone()]).await;
                let mut c = counts.lock().await;
                c.0 += range.len() as u64;
                c.1 += ok;
                c.2 += busy;
                c.3 += other;
            });
        }
        // Reap finished sends without blocking the schedule.
        while tasks.try_join_next().is_some() {}
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    while tasks.join_next().await.is_some() {}
    let load_end = started.elapsed();
    let cpu1: Vec<f64> = pids.iter().map(|p| p.map_or(0.0, proc_cpu_s)).collect();
    let client_cpu_s = proc_cpu_s(std::process::id()) - client0;
    let (submitted, accepted, busy, rejected) = *counts.lock().await;
    eprintln!(
        "load sent in {:.1} s: {accepted} accepted, {busy} busy, {rejected} other errors",
        load_end.as_secs_f64()
    );
    // Drain: wait (bounded) for the accepted records to become final.
    let drain_start = Instant::now();
    while !watcher.is_finished() && drain_start.elapsed() < cfg.drain {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done_watching.store(1, Ordering::Release);
    let (mut latencies, per_second, mut by_second, last_final) = watcher.await?;
    let mut latency_p50_per_s = Vec::with_capacity(by_second.len());
    let mut latency_p99_per_s = Vec::with_capacity(by_second.len());
    for second in &mut by_second {
        second.sort_by(|a, b| a.total_cmp(b));
        let (p50, p99) = if second.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (percentile(second, 0.50), percentile(second, 0.99))
        };
        latency_p50_per_s.push(p50);
        latency_p99_per_s.push(p99);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let final_records = latencies.len() as u64;
    let committed_per_s = if last_final.is_zero() {
        0.0
    } else {
        final_records as f64 / last_final.as_secs_f64()
    };
    let info = watch.chain_info().await?;
    let nodes: Vec<NodeUse> = net
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let text = n
                .process
                .as_ref()
                .and_then(|p| p.metrics_addr.as_deref())
                .and_then(|a| crate::admin::call(a, "GET", "/metrics").ok())
                .unwrap_or_default();
            let m = |name: &str| metric(&text, name).unwrap_or(0);
            NodeUse {
                node: i,
                cpu_s: cpu1[i] - cpu0[i],
                rss_mib: pids[i].map_or(0.0, proc_rss_mib),
                disk_bytes: dir_bytes(&n.home),
                proposals: m("liangxin_proposals_total"),
                nullify_votes: m("liangxin_nullify_votes_total"),
                admission_rejected: m("liangxin_admission_rejected_total"),
                block_limit_txs: m("liangxin_block_limit_txs"),
                state_cache_hits: m("liangxin_state_cache_hits"),
                state_cache_misses: m("liangxin_state_cache_misses"),
            }
        })
        .collect();
    let disk: u64 = nodes.iter().map(|n| n.disk_bytes).sum();
    let report = Report {
        validators: cfg.validators,
        cores,
        raw_strict_verify_per_s: raw_verify,
        raw_blake3_bytes_per_s: raw_blake3,
        rate: cfg.rate,
        duration_s: cfg.duration,
        operators: cfg.operators,
        submitted,
        accepted,
        busy,
        rejected,
        final_records,
        committed_per_s,
        latency: Latency {
            p50_ms: percentile(&latencies, 0.50),
            p90_ms: percentile(&latencies, 0.90),
            p99_ms: percentile(&latencies, 0.99),
            max_ms: latencies.last().copied().unwrap_or(0.0),
        },
        ratio_to_verify_limit: committed_per_s
            / (cores as f64 * raw_verify / cfg.validators as f64),
        height: info.height,
        load_blocks: info.height.saturating_sub(base.height),
        disk_bytes_per_record_per_node: disk as f64
            / info.log_size.max(1) as f64
            / cfg.validators as f64,
        nodes,
        client_cpu_s,
        throughput_per_s: per_second,
        latency_p50_per_s,
        latency_p99_per_s,
    };
    for i in 0..net.nodes.len() {
        net.kill(i);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(submitted: u64, final_records: u64, p99_ms: f64) -> Report {
        Report {
            submitted,
            final_records,
            latency: Latency {
                p99_ms,
                ..Latency::default()
            },
            ..Report::default()
        }
    }

    #[test]
    fn a_run_is_within_the_bound_only_if_it_kept_up() {
        assert!(within(&run_with(1000, 1000, 1500.0), 1500));
        assert!(within(&run_with(1000, 950, 900.0), 1500));
        assert!(!within(&run_with(1000, 1000, 1500.1), 1500), "p99 beyond");
        assert!(
            !within(&run_with(1000, 949, 900.0), 1500),
            "records lost or late"
        );
        assert!(!within(&run_with(1000, 0, 0.0), 1500), "nothing final");
    }

    #[test]
    fn cpu_seconds_of_this_process_and_of_none() {
        let mine = process_cpu_secs(std::process::id()).expect("this process's /proc entry");
        assert!(mine >= 0.0);
        // Above /proc/sys/kernel/pid_max's ceiling (2^22): no such process.
        assert_eq!(process_cpu_secs(u32::MAX), None);
        assert_eq!(proc_cpu_s(u32::MAX), 0.0);
    }

    #[test]
    fn metrics_are_read_by_exact_name() {
        let text = "# HELP liangxin_proposals Blocks this validator proposed.\n\
                    liangxin_proposals_total 12\n\
                    liangxin_block_limit_txs 5000\n\
                    liangxin_block_limit_txs_other 7\n";
        assert_eq!(metric(text, "liangxin_proposals_total"), Some(12));
        assert_eq!(metric(text, "liangxin_block_limit_txs"), Some(5000));
        assert_eq!(metric(text, "liangxin_proposals"), None);
        assert_eq!(metric(text, "liangxin_nullify_votes_total"), None);
    }
}

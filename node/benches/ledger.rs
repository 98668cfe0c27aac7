//! The node's figures on one machine, in one run (issue 4): committed records/s through the
//! engine (admission with strict signature checks, execution, state tree, one synced RocksDB
//! batch per block) from many signers; `lx_operator` answers with state proofs per second
//! against the resulting ledger; bytes on disk per record; restart time. Each is reported
//! beside the raw limit measured in the same run (strict Ed25519 verifications/s on one core).
//!
//! `cargo bench -p liangxin-node --bench ledger` (defaults: 50,000 operators × 20 records ≈
//! 10⁶ records). Smaller: `LX_BENCH_OPERATORS=5000 cargo bench -p liangxin-node --bench
//! ledger`. The ledger is written under a temporary directory (about 400 MB at the default
//! size), removed at the end unless `LX_BENCH_KEEP=1`. `LX_BENCH_UNCOMPRESSED=1` writes the
//! table files uncompressed, to compare with the node's compressed ones;
//! `LX_BENCH_BLOCK_CACHE_MB=N` sizes RocksDB's block cache (the node's `[storage]
//! block_cache_mb`, default 512); `LX_BENCH_STATE_CACHE_MB=N` sizes the state row cache
//! (`[storage] state_cache_mb`, default 128; 0 turns it off); `LX_BENCH_QUERIES=N` sets how
//! many `lx_operator` calls are timed (default 20,000). `LX_BENCH_BLOCK_TXS` and `LX_BENCH_BLOCK_MS` set the block shape (default
//! 10,000 transactions or 100 ms; the engine makes the next block as soon as the last one is
//! handed to be committed, so under this load blocks hold 6,000–10,000), and
//! `LX_BENCH_MEMPOOL_TXS` the mempool's size (default 200,000; the node's 100,000 and 30,000
//! gave the same rate within the noise).
//!
//! Phase 2 prints two rates. The whole phase's (all of it signed beforehand, admitted as fast
//! as the mempool takes it, then drained) flatters a sustained load: its last part, after the
//! last transaction is admitted, only executes and commits, with no signature left to check.
//! The **sustained** figure is the second, "while admission ran": from a tenth of the phase
//! committed (the mempool full) until the last transaction is admitted, when checking new
//! transactions and committing old ones share the cores as under a steady stream. At 10⁶
//! records (2026-11-28, 5 runs, raw strict verify 43,300–44,100/s): whole phase 17,074–18,742
//! records/s, sustained 16,199–17,273 records/s (0.37–0.39 × raw strict verify, 110–115 µs of
//! CPU per record on 1.86–1.90 cores). Later that day, with mimalloc's purge delay at 10 s
//! (`node/alloc`) and absent rows no longer cached (two runs), then also `contracts::Writes`
//! (three runs): sustained 16,007–17,878 records/s (107–120 µs) and whole phase
//! 17,279–19,100/s, against 14,901–16,375/s sustained (114–124 µs) for the previous build
//! (5547c25) in three runs alternating with them (raw strict verify 35,300–43,500/s: the
//! machine was slower and noisier than earlier). That night, with the VRF block seed and each
//! block's batch in key order per table (a4d1d74), two runs gave 16,975 and 17,554/s sustained
//! (113 and 110 µs) and 18,357 and 19,028/s whole, against 16,974 and 17,771/s (114 and
//! 109 µs) and 18,193 and 19,246/s for the previous build in alternating runs (raw strict
//! verify 41,500–43,800/s); disk 333 bytes per record (1.82×) and restart 1.4–2.0 s (clean,
//! plus 1.0–1.2 s to save the tree) or 2.0–2.5 s (after a crash) in all four: the same.
//!
//! 2026-11-29, fewer state rows per record: without the `op-instrument/` index (f9468f9) two
//! runs sustained 20,125 and 19,755 records/s (96 and 98 µs) against 18,507 and 18,250/s (104
//! and 106 µs) for the build before, alternating; with an `entry/` row only for the kinds later
//! records cite (b905fb0), 22,594 and 23,484/s (85 and 82 µs; whole phase 23,112 and
//! 24,014/s), against 20,530/s (94 µs) for f9468f9 between them (raw strict verify
//! 43,393–44,215/s: 0.52–0.53 × raw). An instrument registration now writes two new state rows
//! (its `instrument/` row and its entry chain) and updates two (its signer's sequence number and
//! its operator's entry chain), where it wrote four new ones: the tree holds 2.35 million
//! leaves at 1.1 × 10⁶ records instead of 4.5 million. Disk 287 bytes per record (1.57×);
//! restart 1.2–1.3 s (clean, plus 0.3–0.7 s to save the tree) or 1.1–1.7 s (after a crash).
//! With RocksDB's background threads at the lowest CPU priority (fa25978) one run sustained
//! 22,439/s (87 µs; whole phase 23,760/s; raw strict verify 42,935/s, 0.52 ×), restart 0.8 s
//! clean and 1.1 s after a crash: the same within the noise, so the single node loses nothing
//! by it.
//!
//! Right after the writes, `lx_operator` meets a cold block cache and RocksDB still compacting
//! on the same cores (at 10⁶ records: 3,200–4,500 calls/s, 436–600 µs of CPU a call, the
//! compaction's CPU included). A serving node's figure comes from a kept, compacted ledger and
//! a warm cache: `LX_BENCH_KEEP=1` once, then `LX_BENCH_LEDGER=<the printed path>` with the
//! same `LX_BENCH_OPERATORS` and `LX_BENCH_QUERIES=200000` (10,580–10,688 calls/s, 185 µs,
//! 2026-11-28). That evening, with the machine slower (raw strict verify 38,700–43,400/s), the
//! same measurement gave 7,809–9,311 calls/s (203–247 µs) and 8,298–8,670 for the earlier
//! build in alternating runs on one kept ledger: the 10,000/s target was met only on a good day.
//! An operator's instruments are now one prefix scan of their own rows instead of a scan of an
//! index and a batched read of the rows it names (f9468f9): right after the writes 6,698–9,145
//! calls/s (216–282 µs, was 3,681–4,326), and on a kept ledger of b905fb0 12,055 and 11,658
//! calls/s (160 and 170 µs; raw strict verify 41,370 and 44,092/s), 2026-11-29.
//!
//! The engine is driven in-process (the RPC server's handlers call the same `Engine::admit`);
//! JSON-RPC's own cost is not in these figures.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use liangxin_contracts::genesis::Genesis;
use liangxin_contracts::model::Sector;
use liangxin_node::backend::NodeBackend;
use liangxin_node::engine::{BlockConfig, Engine};
use liangxin_node::exec::{Validator, build_genesis, load_tip, load_tip_with};
use liangxin_node::mempool::MempoolConfig;
use liangxin_rpc::RpcError;
use liangxin_rpc::backend::Backend;
use liangxin_sdk::Signer;
use liangxin_sdk::builders::{self, InstrumentRegistrationBuilder, OperatorRegistrationBuilder};
use liangxin_storage::{RocksOptions, RocksStore, Store};
use liangxin_types::uscc::check_char;
use liangxin_types::{SigningKey, Uscc};

/// The node binary's allocator (`src/main.rs`), so these figures are the binary's.
#[global_allocator]
static GLOBAL: liangxin_alloc::MiMalloc = liangxin_alloc::MiMalloc;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Opens the ledger's store: compressed as the node's, or uncompressed with
/// `LX_BENCH_UNCOMPRESSED=1` (to compare); the block cache at the node's default, or
/// `LX_BENCH_BLOCK_CACHE_MB` MiB (`[storage] block_cache_mb`); the state row cache likewise
/// (`LX_BENCH_STATE_CACHE_MB`).
fn open(path: &std::path::Path) -> Result<RocksStore, liangxin_storage::Error> {
    let defaults = RocksOptions::default();
    RocksStore::open_with(
        path,
        RocksOptions {
            compress: std::env::var_os("LX_BENCH_UNCOMPRESSED").is_none(),
            block_cache_bytes: env("LX_BENCH_BLOCK_CACHE_MB", defaults.block_cache_bytes >> 20)
                << 20,
            state_cache_bytes: env("LX_BENCH_STATE_CACHE_MB", defaults.state_cache_bytes >> 20)
                << 20,
            ..defaults
        },
    )
}

fn uscc(i: usize) -> Uscc {
    let first17 = format!("91350{:06}MA{:04}", i / 10_000, i % 10_000);
    let c = check_char(&first17).unwrap();
    Uscc::parse(&format!("{first17}{c}")).unwrap()
}

/// CPU seconds this process has used (user + system, all threads), when known.
fn cpu_secs() -> Option<f64> {
    liangxin_testnet::bench::process_cpu_secs(std::process::id())
}

/// What a load took: wall time, and CPU seconds of the whole process (admission, block
/// production, RocksDB's threads) when known.
struct Took {
    wall: Duration,
    cpu: Option<f64>,
    /// Committed records/s while every thread was busy: from a tenth of the load committed
    /// until the last transaction was admitted (`None` if that window was under 2 s).
    steady: Option<SteadyRate>,
}

/// Records committed over a window of a load, and the process's CPU over it.
struct SteadyRate {
    records: u64,
    wall: Duration,
    cpu: Option<f64>,
}

impl SteadyRate {
    fn rate(&self) -> f64 {
        self.records as f64 / self.wall.as_secs_f64()
    }
}

impl Took {
    /// From `started` and the process's CPU seconds then (`cpu_secs()`) until now.
    fn since(started: Instant, cpu0: Option<f64>) -> Took {
        Took {
            wall: started.elapsed(),
            cpu: cpu0.zip(cpu_secs()).map(|(a, b)| b - a),
            steady: None,
        }
    }

    /// "µs of CPU per `unit`" for `n` of them, or a note that it was not measured.
    fn cpu_per(&self, n: usize, unit: &str) -> String {
        match self.cpu {
            Some(c) => format!(
                "{:.0} µs of CPU per {unit} ({:.2} cores busy)",
                c * 1e6 / n as f64,
                c / self.wall.as_secs_f64()
            ),
            None => "CPU time not measured (no /proc/self/stat)".into(),
        }
    }
}

/// Admits `txs` from two threads (retrying while the mempool is busy) and waits until the log
/// holds `target` leaves.
fn load(engine: &Arc<Engine<RocksStore>>, txs: Vec<Vec<u8>>, target: u64) -> Took {
    let cpu0 = cpu_secs();
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let txs = Arc::new(txs);
    let mut steady = None;
    std::thread::scope(|s| {
        for t in 0..2 {
            let txs = Arc::clone(&txs);
            let next = &next;
            let admit = std::thread::Builder::new().name(format!("admit-{t}"));
            admit
                .spawn_scoped(s, move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(tx) = txs.get(i) else { break };
                        loop {
                            match engine.admit(tx.clone(), false) {
                                Ok(_) => break,
                                Err(RpcError::Busy(_)) => {
                                    std::thread::sleep(Duration::from_micros(200))
                                }
                                Err(e) => panic!("admission refused tx {i}: {e}"),
                            }
                        }
                    }
                })
                .unwrap();
        }
        // The steady window opens when a tenth of the load is committed (the mempool has
        // filled) and closes when the last transaction is admitted (then only the block
        // producer is left working, on a draining mempool).
        let base = engine.read().log.size();
        let tenth = base + (target - base) / 10;
        let mut opened: Option<(Instant, u64, Option<f64>)> = None;
        loop {
            let size = engine.read().log.size();
            if size >= target {
                break;
            }
            if opened.is_none() && size >= tenth {
                opened = Some((Instant::now(), size, cpu_secs()));
            }
            if let Some((at, from, cpu)) = opened
                && steady.is_none()
                && next.load(Ordering::Relaxed) >= txs.len()
            {
                steady = Some(SteadyRate {
                    records: size - from,
                    wall: at.elapsed(),
                    cpu: cpu.zip(cpu_secs()).map(|(a, b)| b - a),
                });
            }
            if let Some(f) = engine.failure() {
                panic!("producer failed: {f}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let mut took = Took::since(started, cpu0);
    took.steady = steady.filter(|s| s.wall >= Duration::from_secs(2));
    took
}

fn start(
    store: Arc<RocksStore>,
    validator: Validator,
) -> (Arc<Engine<RocksStore>>, std::thread::JoinHandle<()>) {
    let tip = load_tip(&*store).unwrap().unwrap();
    let engine = Arc::new(Engine::new(
        store,
        tip,
        Some(validator),
        BlockConfig {
            max_txs: env("LX_BENCH_BLOCK_TXS", 10_000),
            interval_ms: env("LX_BENCH_BLOCK_MS", 100) as u64,
        },
        MempoolConfig {
            max_txs: env("LX_BENCH_MEMPOOL_TXS", 200_000),
            max_bytes: 512 << 20,
            max_per_signer: 100_000,
        },
    ));
    let e = Arc::clone(&engine);
    let producer = std::thread::Builder::new()
        .name("producer".into())
        .spawn(move || e.run_producer().unwrap())
        .unwrap();
    (engine, producer)
}

fn main() {
    liangxin_alloc::configure();
    // `cargo bench` passes `--bench`; nothing else is parsed.
    let operators = env("LX_BENCH_OPERATORS", 50_000);
    let per_operator = env("LX_BENCH_RECORDS_PER_OPERATOR", 19);
    let dir = tempfile::tempdir().unwrap();
    let reuse = std::env::var_os("LX_BENCH_LEDGER");
    let path = match &reuse {
        Some(kept) => std::path::PathBuf::from(kept),
        None => dir.path().join("db"),
    };
    let reuse = reuse.is_some();
    // `LX_BENCH_KEEP=1` leaves the ledger where it was written (printed), for inspection.
    if std::env::var_os("LX_BENCH_KEEP").is_some() {
        println!("ledger kept at {}", path.display());
    }
    let genesis = Genesis::dev();
    let chain = genesis.chain_id().unwrap();
    let regulator = Signer::dev(Genesis::DEV_REGULATOR);
    let validator = || Validator {
        name: Genesis::DEV_REGULATOR.to_string(),
        key: regulator.signing_key().clone(),
    };
    let raw = liangxin_testnet::raw::strict_verify_rate();
    println!("raw limit: strict Ed25519 verify {raw:.0}/s on one core");

    let store = Arc::new(open(&path).unwrap());
    if !reuse {
        let (write, _) = build_genesis(&*store, &genesis, Some(&validator())).unwrap();
        store.commit(&write).unwrap();
    }
    let (engine, producer) = start(Arc::clone(&store), validator());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let backend = Arc::new(NodeBackend::new(Arc::clone(&engine)));
    // `LX_BENCH_LEDGER=DIR` measures the queries, restarts and disk of a ledger kept by an
    // earlier run (`LX_BENCH_KEEP=1`, same `LX_BENCH_OPERATORS`) instead of writing one.
    let (total, mean_tx) = if reuse {
        let total = engine.read().log.size();
        let mut bytes = 0u64;
        store
            .visit_raw(
                liangxin_storage::TableId::Entries,
                &[],
                None,
                &mut |_, v| {
                    bytes += v.len() as u64;
                    true
                },
            )
            .unwrap();
        (total, bytes as f64 / total as f64)
    } else {
        // Phase 1: the regulator registers the operators (one signer).
        let keys: Vec<Signer> = (0..operators)
            .map(|i| Signer::new(SigningKey::dev(&format!("bench operator {i}"))))
            .collect();
        let regs: Vec<_> = (0..operators)
            .map(|i| {
                let r = OperatorRegistrationBuilder::new(
                    uscc(i),
                    format!("第{i}号加油站有限公司"),
                    "350102",
                    Sector::FuelStation,
                    keys[i].public_key(),
                )
                .build()
                .unwrap();
                (regulator.clone(), i as u64, r)
            })
            .collect();
        let txs = liangxin_testnet::bench::sign_all(regs, &chain).unwrap();
        let t1 = load(&engine, txs, operators as u64);
        println!(
            "phase 1: {operators} operator registrations (one signer) committed in {:.1} s = {:.0}/s; {}",
            t1.wall.as_secs_f64(),
            operators as f64 / t1.wall.as_secs_f64(),
            t1.cpu_per(operators, "record")
        );

        // Phase 2: every operator files instruments (many signers), interleaved.
        let mut jobs = Vec::with_capacity(operators * per_operator);
        for seq in 0..per_operator {
            for (i, k) in keys.iter().enumerate() {
                let id = builders::instrument(uscc(i), "9.1", &format!("SN-{seq:04}")).unwrap();
                let r = InstrumentRegistrationBuilder::new(id, "DJY-2226")
                    .build()
                    .unwrap();
                jobs.push((k.clone(), seq as u64, r));
            }
        }
        let t = Instant::now();
        let txs = liangxin_testnet::bench::sign_all(jobs, &chain).unwrap();
        let signed_in = t.elapsed();
        let n2 = txs.len();
        let mean_tx = txs.iter().map(Vec::len).sum::<usize>() as f64 / n2 as f64;
        let total = (operators + n2) as u64;
        let t2 = load(&engine, txs, total);
        let rate = n2 as f64 / t2.wall.as_secs_f64();
        println!(
            "phase 2: {n2} instrument registrations from {operators} signers (signed beforehand in \
         {:.1} s) committed in {:.1} s = {rate:.0} records/s = {:.2} × raw strict verify on one core; {}",
            signed_in.as_secs_f64(),
            t2.wall.as_secs_f64(),
            rate / raw,
            t2.cpu_per(n2, "record")
        );
        if let Some(st) = &t2.steady {
            let cpu = st.cpu.map_or_else(String::new, |c| {
                format!(
                    "; {:.0} µs of CPU per record ({:.2} cores busy)",
                    c * 1e6 / st.records as f64,
                    c / st.wall.as_secs_f64()
                )
            });
            println!(
                "phase 2 while admission ran (from a tenth committed to the last admitted, {:.1} s): \
                 {:.0} records/s = {:.2} × raw strict verify{cpu}",
                st.wall.as_secs_f64(),
                st.rate(),
                st.rate() / raw
            );
        }
        if let Some(c) = engine.store().state_cache_stats() {
            println!(
                "state row cache after phase 2: {} hits, {} misses ({:.0}% hits), {} rows, {:.0} MiB",
                c.hits,
                c.misses,
                c.hits as f64 * 100.0 / (c.hits + c.misses).max(1) as f64,
                c.rows,
                c.bytes as f64 / f64::from(1 << 20)
            );
        }
        // Phase 3: the same kind of load over JSON-RPC on loopback (HTTP, batches of 100
        // `lx_submit` calls, 8 concurrent clients), client and server sharing this machine.
        let rpc_records = env("LX_BENCH_RPC_RECORDS", 100_000).min(operators * 50);
        let rounds = rpc_records.div_ceil(operators);
        let mut jobs = Vec::with_capacity(rpc_records);
        'outer: for r in 0..rounds {
            for (i, k) in keys.iter().enumerate() {
                if jobs.len() == rpc_records {
                    break 'outer;
                }
                let seq = per_operator + r;
                let id = builders::instrument(uscc(i), "9.1", &format!("RPC-{seq:04}")).unwrap();
                let rec = InstrumentRegistrationBuilder::new(id, "DJY-2226")
                    .build()
                    .unwrap();
                jobs.push((k.clone(), seq as u64, rec));
            }
        }
        let hexes: Vec<String> = liangxin_testnet::bench::sign_all(jobs, &chain)
            .unwrap()
            .iter()
            .map(hex::encode)
            .collect();
        let n3 = hexes.len();
        let before = engine.read().log.size();
        let t3 = rt.block_on(async {
            let config = liangxin_rpc::RpcConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                ..Default::default()
            };
            let (addr, handle) = liangxin_rpc::start_server(&config, Arc::clone(&backend))
                .await
                .unwrap();
            let url = format!("http://{addr}");
            let chunks: Vec<Vec<String>> = hexes.chunks(100).map(<[String]>::to_vec).collect();
            let next = Arc::new(AtomicUsize::new(0));
            let chunks = Arc::new(chunks);
            let started = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let url = url.clone();
                let next = Arc::clone(&next);
                let chunks = Arc::clone(&chunks);
                tasks.push(tokio::spawn(async move {
                    use liangxin_rpc::jsonrpsee::core::client::ClientT;
                    use liangxin_rpc::jsonrpsee::core::params::BatchRequestBuilder;
                    let client = liangxin_rpc::jsonrpsee::http_client::HttpClientBuilder::default()
                        .build(&url)
                        .unwrap();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(i) else { break };
                        let mut pending: Vec<&String> = chunk.iter().collect();
                        while !pending.is_empty() {
                            let mut batch = BatchRequestBuilder::new();
                            for h in &pending {
                                batch
                                    .insert("lx_submit", liangxin_rpc::jsonrpsee::rpc_params![*h])
                                    .unwrap();
                            }
                            let res = client
                                .batch_request::<serde_json::Value>(batch)
                                .await
                                .unwrap();
                            let mut retry = Vec::new();
                            for (h, r) in pending.iter().zip(res) {
                                if let Err(e) = r {
                                    // Busy (1003): retry later; anything else is a bench bug.
                                    assert_eq!(e.code(), 1003, "{e:?}");
                                    retry.push(*h);
                                }
                            }
                            if !retry.is_empty() {
                                tokio::time::sleep(Duration::from_millis(2)).await;
                            }
                            pending = retry;
                        }
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            while engine.read().log.size() < before + n3 as u64 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let elapsed = started.elapsed();
            handle.stop().unwrap();
            elapsed
        });
        let rate3 = n3 as f64 / t3.as_secs_f64();
        println!(
            "phase 3: {n3} records over JSON-RPC (HTTP on loopback, batches of 100, 8 clients on the \
         same 2 cores) committed in {:.1} s = {rate3:.0} records/s = {:.2} × raw strict verify",
            t3.as_secs_f64(),
            rate3 / raw
        );
        (total + n3 as u64, mean_tx)
    };
    let height = engine.read().height;
    println!("ledger: {total} records in {height} blocks");

    // lx_operator with state proofs, in-process, two threads.
    let queries = env("LX_BENCH_QUERIES", 20_000);
    let done = Arc::new(AtomicUsize::new(0));
    let cpu0 = cpu_secs();
    let t = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for w in 0..2usize {
            let b = Arc::clone(&backend);
            let done = Arc::clone(&done);
            tasks.push(tokio::spawn(async move {
                let mut x = w as u64 * 7919 + 1;
                for _ in 0..queries / 2 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let i = (x >> 33) as usize % operators;
                    let info = b.operator(uscc(i)).await.unwrap();
                    assert!(info.entries.len() > per_operator);
                    assert!(!info.state_proof.is_null());
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let took = Took::since(t, cpu0);
    let qrate = queries as f64 / took.wall.as_secs_f64();
    println!(
        "lx_operator (profile, grade, ~{:.0} entries and instruments each, 2 state proofs) at \
         {total} records: {qrate:.0}/s on 2 threads (in-process, no JSON); {}",
        total as f64 / operators as f64,
        took.cpu_per(queries, "query")
    );

    // Restart: stop as the node does (saving the state tree), reopen the store and load the tip.
    engine.shutdown();
    producer.join().unwrap();
    let snapshot = liangxin_node::snapshot::path_for(&path);
    let t = Instant::now();
    let leaves = liangxin_node::snapshot::save(&snapshot, &engine.read()).unwrap();
    let save = t.elapsed();
    drop(backend);
    drop(engine);
    drop(store);
    let t = Instant::now();
    let store = open(&path).unwrap();
    let tip = load_tip_with(&store, |h, r| {
        liangxin_node::snapshot::take(&snapshot, h, r)
    })
    .unwrap()
    .unwrap();
    let restart = t.elapsed();
    println!(
        "restart after a clean stop: saving the state tree ({leaves} leaves) took {:.3} s; \
         reopening RocksDB and loading the tip at height {} ({} records) {:.3} s",
        save.as_secs_f64(),
        tip.height,
        tip.log.size(),
        restart.as_secs_f64()
    );
    drop(tip);
    drop(store);
    let t = Instant::now();
    let store = open(&path).unwrap();
    let tip = load_tip(&store).unwrap().unwrap();
    println!(
        "restart after a crash (no saved tree: rebuilt from the state rows): {:.3} s",
        t.elapsed().as_secs_f64()
    );
    drop(tip);
    let bytes_as_left = store.disk_bytes();
    println!(
        "disk as the node left it: {bytes_as_left} bytes = {:.0} bytes per record",
        bytes_as_left as f64 / total as f64
    );
    store.compact().unwrap();
    let mut tables = store.table_bytes().unwrap();
    tables.sort_by_key(|(_, b)| std::cmp::Reverse(*b));
    println!("after a full compaction (pruned tree records and overwritten rows dropped):");
    for (t, b) in &tables {
        println!(
            "  table {:<15} {:>12} bytes = {:>7.1} bytes per record",
            t.name(),
            b,
            *b as f64 / total as f64
        );
    }
    let bytes = store.disk_bytes();
    println!(
        "disk: {bytes} bytes = {:.0} bytes per record; mean canonical record {mean_tx:.0} bytes; \
         ratio {:.2}",
        bytes as f64 / total as f64,
        bytes as f64 / total as f64 / mean_tx
    );
    if std::env::var_os("LX_BENCH_KEEP").is_some() {
        let _ = dir.keep();
    }
}

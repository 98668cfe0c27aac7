//! `liangxin-testnet`: local regulators' networks of real node processes, and their load
//! generator. See `testnet/README.md`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use liangxin_testnet::bench::{self, BenchConfig};
use liangxin_testnet::launch;

/// Liangxin testnet tools.
#[derive(Parser, Debug)]
#[command(
    name = "liangxin-testnet",
    version,
    about = "Liangxin (量信) local networks and load"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn default_dir() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".liangxin").join("testnet"),
        None => PathBuf::from(".liangxin-testnet"),
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start a local network (validators and observers as processes on loopback), wait for
    /// its first final block, print its endpoints and keys. It runs on after this command.
    Up {
        /// Validators.
        #[arg(short = 'n', long, default_value_t = 4)]
        validators: usize,
        /// Observers.
        #[arg(long, default_value_t = 1)]
        observers: usize,
        /// Directory (default $HOME/.liangxin/testnet).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The nodes' `block.interval_ms`.
        #[arg(long, default_value_t = 200)]
        block_interval_ms: u64,
    },
    /// Load a local network while killing, restarting, pausing and resuming random
    /// validators and cutting and healing their links (never more than f at once), then check that nothing answered final was
    /// lost, that all nodes agree on every checkpoint, and that every checkpoint a node served
    /// is consistent with its latest. Prints the fault timeline.
    Chaos {
        /// Validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Seconds of faults.
        #[arg(long, default_value_t = 60)]
        duration: u64,
        /// Seconds between fault events.
        #[arg(long, default_value_t = 3)]
        period: u64,
        /// Records per second offered.
        #[arg(long, default_value_t = 50)]
        rate: u64,
        /// Seed of the fault schedule.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory for the homes (default: a temporary directory, removed after).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Fill the network started by `up` with a realistic population: operators across
    /// sectors and districts, instruments, commitments, a year of verifications, random draws
    /// and their inspections, penalties, objections and repairs.
    Seed {
        /// The testnet's directory (default: $HOME/.liangxin/testnet).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Operators to register.
        #[arg(long, default_value_t = 200)]
        operators: usize,
        /// Seed of every choice (the same seed makes the same records).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Transactions per JSON-RPC batch (the nodes' `rpc.max_batch_size` is 100 by default).
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Seconds a phase may go without progress before seeding gives up (a block holding
        /// random draws over tens of thousands of operators takes minutes at 100,000).
        #[arg(long, default_value_t = 300)]
        stall: u64,
        /// Write the report (JSON) here too.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Stop the network of a directory (SIGTERM, then SIGKILL after 10 s).
    Down {
        /// Directory (default $HOME/.liangxin/testnet).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Heights and latest checkpoints of the nodes of a directory.
    Status {
        /// Directory (default $HOME/.liangxin/testnet).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Start a network on loopback, load it open loop at a fixed rate, and report committed
    /// records/s, submit-to-final latency and the raw limits of this machine.
    Bench {
        /// Validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Records per second.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        /// Seconds of load.
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Signers of the load (operators, registered first).
        #[arg(long, default_value_t = 1000)]
        operators: usize,
        /// Records per JSON-RPC batch.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Seconds to wait after the load for the last records.
        #[arg(long, default_value_t = 30)]
        drain: u64,
        /// The nodes' `block.interval_ms`.
        #[arg(long, default_value_t = 200)]
        block_interval_ms: u64,
        /// Directory for the nodes' homes (default: a temporary directory, removed after).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Write the JSON report here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the plot (SVG) here; default: beside `--json`, with `.svg`.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Raise the rate from `--rate` by `--step` per run, each on a fresh network, until p99
        /// passes `--p99-bound-ms` (or fewer than 95% of the records become final).
        #[arg(long)]
        find_max: bool,
        /// `--find-max`: the p99 bound, ms.
        #[arg(long, default_value_t = 1500)]
        p99_bound_ms: u64,
        /// `--find-max`: the factor between one run's rate and the next.
        #[arg(long, default_value_t = 1.25)]
        step: f64,
        /// `--find-max`: the most runs.
        #[arg(long, default_value_t = 8)]
        max_steps: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Up {
            validators,
            observers,
            dir,
            block_interval_ms,
        } => {
            let dir = dir.unwrap_or_else(default_dir);
            let started = std::time::Instant::now();
            let state = launch::up(&dir, validators, observers, block_interval_ms.max(1)).await?;
            println!(
                "testnet up in {:.1} s: chain {}, first block final; directory {}",
                started.elapsed().as_secs_f64(),
                state.chain_id,
                dir.display()
            );
            println!(
                "{:<3} {:<9} {:<24} {:<16} key file (dev keys: local use only)",
                "#", "role", "rpc", "p2p"
            );
            for n in &state.nodes {
                println!(
                    "{:<3} {:<9} {:<24} {:<16} {}",
                    n.index,
                    n.role,
                    n.rpc,
                    n.p2p,
                    n.key_file.display()
                );
            }
            println!(
                "the validators' keys are national regulators in genesis: sign with `liangxin --rpc {} --key {} …`; stop with `liangxin-testnet down --dir {}`",
                state.nodes[0].rpc,
                state.nodes[0].key_file.display(),
                dir.display()
            );
            Ok(())
        }
        Command::Chaos {
            validators,
            duration,
            period,
            rate,
            seed,
            dir,
        } => {
            let tmp = tempfile::tempdir()?;
            let cfg = liangxin_testnet::chaos::ChaosConfig {
                validators,
                rate: rate.max(1),
                duration: Duration::from_secs(duration),
                period: Duration::from_secs(period.max(1)),
                seed,
                dir: dir.unwrap_or_else(|| tmp.path().to_path_buf()),
                settle: Duration::from_secs(60),
            };
            let r = liangxin_testnet::chaos::run(&cfg).await?;
            for e in &r.timeline {
                println!("{:>8.1} s  {}", e.at_ms as f64 / 1000.0, e.what);
            }
            println!(
                "ok: {} records accepted, {} seen final during the run, 0 lost; {} heights agree on all nodes; {} served checkpoints consistent",
                r.accepted, r.seen_final, r.heights_checked, r.checkpoints_checked
            );
            Ok(())
        }
        Command::Down { dir } => {
            let dir = dir.unwrap_or_else(default_dir);
            let n = launch::down(&dir).await?;
            println!("stopped {n} nodes of {}", dir.display());
            Ok(())
        }
        Command::Seed {
            dir,
            operators,
            seed,
            batch,
            stall,
            json,
        } => {
            let dir = dir.unwrap_or_else(default_dir);
            let state = launch::TestnetState::load(&dir)?;
            let regulator = state
                .nodes
                .iter()
                .find(|n| n.role == "validator")
                .context("the testnet has no validator")?;
            let cfg = liangxin_testnet::seed::SeedConfig {
                rpcs: state.nodes.iter().map(|n| n.rpc.clone()).collect(),
                regulator: liangxin_sdk::Signer::load(&regulator.key_file)?,
                operators,
                seed,
                batch,
                stall: Duration::from_secs(stall),
            };
            let r = liangxin_testnet::seed::seed(&cfg).await?;
            let text = serde_json::to_string_pretty(&r)?;
            write_outputs(json.as_deref(), &text, None, |_| Ok(()))?;
            println!("{text}");
            println!(
                "seeded {} records in {:.1} s ({:.0} records/s)",
                r.records,
                r.seconds,
                r.records as f64 / r.seconds.max(0.001)
            );
            Ok(())
        }
        Command::Status { dir, json } => {
            let dir = dir.unwrap_or_else(default_dir);
            let s = launch::status(&dir).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
                return Ok(());
            }
            println!(
                "{:<3} {:<9} {:<8} {:>7} {:>9} {:>5}  root",
                "#", "role", "process", "height", "log size", "sigs"
            );
            for n in &s {
                let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
                println!(
                    "{:<3} {:<9} {:<8} {:>7} {:>9} {:>5}  {}",
                    n.index,
                    n.role,
                    if n.running { "running" } else { "stopped" },
                    opt(n.height),
                    opt(n.log_size),
                    n.signatures.map_or("-".to_string(), |v| v.to_string()),
                    n.root.as_deref().unwrap_or("-")
                );
            }
            Ok(())
        }
        Command::Bench {
            validators,
            rate,
            duration,
            operators,
            batch,
            drain,
            block_interval_ms,
            dir,
            json,
            plot,
            find_max,
            p99_bound_ms,
            step,
            max_steps,
        } => {
            let tmp = tempfile::tempdir()?;
            let dir = dir.unwrap_or_else(|| tmp.path().to_path_buf());
            let cfg = BenchConfig {
                validators,
                rate,
                duration,
                operators,
                dir,
                batch: batch.max(1),
                drain: Duration::from_secs(drain),
                block_interval_ms,
            };
            let plot = plot.or_else(|| json.as_ref().map(|j| j.with_extension("svg")));
            if find_max {
                if step <= 1.0 || !step.is_finite() {
                    anyhow::bail!("--step must be above 1");
                }
                let f = bench::find_max(&cfg, p99_bound_ms, step, max_steps).await?;
                let text = serde_json::to_string_pretty(&f)?;
                write_outputs(json.as_deref(), &text, plot.as_deref(), |p| {
                    liangxin_testnet::plot::write_find_max(&f, p)
                })?;
                for r in &f.steps {
                    println!(
                        "offered {:>6}/s  committed {:>7.0}/s  p50 {:>6.0} ms  p99 {:>6.0} ms  ratio {:.3}",
                        r.rate,
                        r.committed_per_s,
                        r.latency.p50_ms,
                        r.latency.p99_ms,
                        r.ratio_to_verify_limit
                    );
                }
                match f.max_rate_within_bound {
                    Some(r) => println!("highest rate with p99 ≤ {p99_bound_ms} ms: {r} records/s"),
                    None => println!("no rate tried kept p99 ≤ {p99_bound_ms} ms"),
                }
                return Ok(());
            }
            let r = bench::run(&cfg).await?;
            let text = serde_json::to_string_pretty(&r)?;
            write_outputs(json.as_deref(), &text, plot.as_deref(), |p| {
                liangxin_testnet::plot::write_run(&r, p)
            })?;
            println!("{text}");
            println!(
                "committed {:.0} records/s ({} of {} final), p50 {:.0} ms, p99 {:.0} ms; ratio to \
                 {} cores × {:.0} strict verify/s ÷ {} validators = {:.3}",
                r.committed_per_s,
                r.final_records,
                r.submitted,
                r.latency.p50_ms,
                r.latency.p99_ms,
                r.cores,
                r.raw_strict_verify_per_s,
                r.validators,
                r.ratio_to_verify_limit
            );
            let per_node =
                |f: fn(&bench::NodeUse) -> u64| r.nodes.iter().map(f).collect::<Vec<_>>();
            println!(
                "{} blocks under load, {:.0} records per block; per node: nullify votes {:?}, \
                 proposal limit {:?} txs, admission refusals {:?}, state cache hits {:?} %",
                r.load_blocks,
                r.final_records as f64 / r.load_blocks.max(1) as f64,
                per_node(|n| n.nullify_votes),
                per_node(|n| n.block_limit_txs),
                per_node(|n| n.admission_rejected),
                per_node(|n| n.state_cache_hits * 100
                    / (n.state_cache_hits + n.state_cache_misses).max(1)),
            );
            Ok(())
        }
    }
}

/// Writes the JSON report and the plot where asked.
fn write_outputs(
    json: Option<&std::path::Path>,
    text: &str,
    plot: Option<&std::path::Path>,
    draw: impl FnOnce(&std::path::Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if let Some(path) = json {
        std::fs::write(path, text)?;
        eprintln!("report written to {}", path.display());
    }
    if let Some(path) = plot {
        draw(path)?;
        eprintln!("plot written to {}", path.display());
    }
    Ok(())
}

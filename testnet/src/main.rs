//! `liangxin-testnet`: local regulators' networks of real node processes, and their load
//! generator. See `testnet/README.md`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use liangxin_testnet::bench::{self, BenchConfig};

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

#[derive(Subcommand, Debug)]
enum Command {
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
        /// Directory for the nodes' homes (default: a temporary directory, removed after).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Write the JSON report here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bench {
            validators,
            rate,
            duration,
            operators,
            batch,
            drain,
            dir,
            json,
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
            };
            let r = bench::run(&cfg).await?;
            let text = serde_json::to_string_pretty(&r)?;
            if let Some(path) = json {
                std::fs::write(&path, &text)?;
                eprintln!("report written to {}", path.display());
            }
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
            Ok(())
        }
    }
}

//! `liangxin`: the command line of the Liangxin SDK. See the crate README for usage.

mod records;
mod show;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use liangxin_sdk::contracts::genesis::Genesis;
use liangxin_sdk::rpc::dto::EntryFilter;
use liangxin_sdk::verify::{LightClient, ValidatorSet};
use liangxin_sdk::{Client, DEFAULT_RPC, Error, Signer, builders, import};
use serde::Serialize;

use crate::records::RecordCmd;

/// Liangxin (量信) command line: submit honest-metering records, query the ledger and verify
/// its proofs.
#[derive(Parser, Debug)]
#[command(name = "liangxin", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    cmd: Cmd,
}

/// Flags every command takes.
#[derive(Args, Debug)]
struct Global {
    /// The node's RPC address (http:// or ws://; the other is derived).
    #[arg(long, global = true, env = "LIANGXIN_RPC", default_value = DEFAULT_RPC)]
    rpc: String,
    /// The signing key file (see `liangxin keygen`).
    #[arg(long, global = true, env = "LIANGXIN_KEY")]
    key: Option<PathBuf>,
    /// Sign with the public development key of LABEL (e.g. dev-regulator). Dev chains only.
    #[arg(long, global = true, conflicts_with = "key", value_name = "LABEL")]
    dev_key: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Submit without waiting for finality.
    #[arg(long, global = true)]
    no_wait: bool,
    /// How long to wait for finality, in seconds (at most 30).
    #[arg(long, global = true, default_value_t = 30)]
    wait: u64,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Generate a signing key and write it to a new key file (mode 0600).
    Keygen {
        /// The key file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// Write the public development key of LABEL instead of a random one (dev chains).
        #[arg(long, value_name = "LABEL")]
        dev: Option<String>,
    },
    /// The chain: id, height, log size, validators and quorum.
    Status,
    /// Submit a record (one subcommand per kind).
    #[command(flatten)]
    Record(RecordCmd),
    /// Read from the ledger (not verified: see `verify`).
    #[command(subcommand)]
    Query(Query),
    /// Fetch an answer with its checkpoint and proofs and verify them.
    Verify(VerifyArgs),
    /// Follow new checkpoints or entries over WebSocket.
    #[command(subcommand)]
    Watch(Watch),
    /// Submit the records of a CSV file (one row per record, a `kind` column); resumable.
    Import(ImportArgs),
}

#[derive(Subcommand, Debug)]
enum Query {
    /// An operator: profile, grade with reasons, entries, instruments.
    Operator {
        /// Its USCC.
        uscc: String,
    },
    /// An instrument.
    Instrument {
        /// The owner's USCC.
        owner: String,
        /// Catalogue code.
        category: String,
        /// Serial number.
        serial: String,
    },
    /// A certificate, by the digest of its document (or the document itself).
    Certificate(CertArg),
    /// A random draw, by its request's tx id.
    Draw {
        /// The request's tx id.
        id: String,
    },
    /// A log entry.
    Entry {
        /// Its leaf index.
        leaf_index: u64,
    },
    /// A transaction's status.
    Tx {
        /// Its id.
        tx_id: String,
    },
    /// A key: holder, revocation, next sequence number (default: the signing key).
    Account {
        /// The public key (hex or key file).
        public_key: Option<String>,
    },
    /// A checkpoint (default: the latest).
    Checkpoint {
        /// Its height.
        height: Option<u64>,
    },
}

#[derive(Args, Debug)]
struct CertArg {
    /// The certificate document's digest (64 hex digits).
    digest: Option<String>,
    /// The certificate document, hashed here.
    #[arg(long, conflicts_with = "digest")]
    file: Option<PathBuf>,
}

impl CertArg {
    fn digest(&self) -> Result<liangxin_sdk::types::Hash> {
        match (&self.digest, &self.file) {
            (Some(d), _) => Ok(builders::parse_hash("digest", d)?),
            (None, Some(f)) => Ok(liangxin_sdk::types::hash::document_digest(
                &std::fs::read(f).with_context(|| format!("reading {}", f.display()))?,
            )),
            (None, None) => bail!("give the certificate's digest or --file"),
        }
    }
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// Pin the validator set from this genesis file instead of the node's chain info.
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Keep the last verified checkpoint in this file: later runs accept only checkpoints
    /// that extend it.
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(subcommand)]
    what: VerifyWhat,
}

#[derive(Subcommand, Debug)]
enum VerifyWhat {
    /// An operator's answer: checkpoint and every entry.
    Operator {
        /// Its USCC.
        uscc: String,
    },
    /// An instrument's answer.
    Instrument {
        /// The owner's USCC.
        owner: String,
        /// Catalogue code.
        category: String,
        /// Serial number.
        serial: String,
    },
    /// A certificate's verification record.
    Certificate(CertArg),
    /// A draw: its request's inclusion and the recomputed selection.
    Draw {
        /// The request's tx id.
        id: String,
    },
    /// One log entry, against the latest checkpoint.
    Entry {
        /// Its leaf index.
        leaf_index: u64,
    },
    /// The latest checkpoint only.
    Checkpoint,
}

#[derive(Subcommand, Debug)]
enum Watch {
    /// Every new final checkpoint, each verified against the previous one.
    Checkpoints {
        /// Print them without verifying.
        #[arg(long)]
        no_verify: bool,
    },
    /// Every new final entry (optionally of one operator and/or kind).
    Entries {
        /// Only entries about this operator (USCC).
        #[arg(long)]
        operator: Option<String>,
        /// Only this record kind (e.g. verification_result).
        #[arg(long)]
        kind: Option<String>,
    },
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// The CSV file. Its progress is kept in FILE.progress.
    file: PathBuf,
    /// Rows submitted before waiting for them to be final.
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    let rpc = cli.global.rpc.clone();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            let code = match e.downcast_ref::<Error>() {
                Some(Error::Verify(_)) => 3,
                _ => 1,
            };
            if json {
                let rpc_code = e.downcast_ref::<Error>().and_then(Error::rpc_code);
                // The contracts' rejection, for scripts: `{code, message}` (and the tx id).
                let rejection = match e.downcast_ref::<Error>() {
                    Some(Error::Rpc(liangxin_rpc::RpcError::Rejected { tx_id, rejection })) => {
                        serde_json::json!({
                            "code": rejection.code,
                            "message": rejection.message,
                            "tx_id": tx_id,
                        })
                    }
                    _ => serde_json::Value::Null,
                };
                let v = serde_json::json!({
                    "error": format!("{e:#}"),
                    "rpc_code": rpc_code,
                    "rejection": rejection,
                });
                println!("{v}");
            } else {
                eprintln!("error: {e:#}");
                if let Some(Error::Transport(_)) = e.downcast_ref::<Error>() {
                    eprintln!("(is a Liangxin node answering at {rpc}? see --rpc)");
                }
            }
            ExitCode::from(code)
        }
    }
}

fn signer(g: &Global) -> Result<Option<Signer>> {
    Ok(match (&g.key, &g.dev_key) {
        (Some(path), _) => Some(Signer::load(path)?),
        (None, Some(label)) => Some(Signer::dev(label)),
        (None, None) => None,
    })
}

fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T)) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        text(value);
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let g = &cli.global;
    match &cli.cmd {
        Cmd::Keygen { out, dev } => {
            let s = match dev {
                Some(label) => Signer::dev(label),
                None => Signer::generate()?,
            };
            s.save(out)?;
            let v = serde_json::json!({"file": out, "public_key": s.public_key()});
            print(g.json, &v, |_| {
                println!("wrote {} (mode 0600)", out.display());
                println!("public key: {}", s.public_key());
            })?;
        }
        Cmd::Status => {
            let c = Client::new(&g.rpc)?;
            let info = c.chain_info().await?;
            print(g.json, &info, show::chain_info)?;
        }
        Cmd::Record(cmd) => {
            let s = signer(g)?.ok_or_else(|| {
                anyhow!("submitting a record needs a signing key: --key FILE (or --dev-key LABEL)")
            })?;
            let record = cmd.record(Some(s.public_key()))?;
            let c = Client::new(&g.rpc)?;
            if g.no_wait {
                let sub = c.submit(&s, &record).await?;
                print(g.json, &sub, |s| {
                    println!("submitted {} (tx {})", record.kind_name(), s.tx_id);
                    println!("not final yet: `liangxin query tx {}`", s.tx_id);
                })?;
            } else {
                let fin = c
                    .submit_and_wait(&s, &record, Duration::from_secs(g.wait))
                    .await?;
                print(g.json, &fin, |f| show::finalized(record.kind_name(), f))?;
            }
        }
        Cmd::Query(q) => query(g, q).await?,
        Cmd::Verify(v) => verify(g, v).await?,
        Cmd::Watch(w) => watch(g, w).await?,
        Cmd::Import(a) => return import(g, a).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn query(g: &Global, q: &Query) -> Result<()> {
    let c = Client::new(&g.rpc)?;
    match q {
        Query::Operator { uscc } => {
            let info = c.operator(&builders::parse_uscc(uscc)?).await?;
            print(g.json, &info, show::operator)
        }
        Query::Instrument {
            owner,
            category,
            serial,
        } => {
            let id = builders::instrument(builders::parse_uscc(owner)?, category, serial)?;
            let info = c.instrument(&id).await?;
            print(g.json, &info, show::instrument)
        }
        Query::Certificate(a) => {
            let info = c.certificate(&a.digest()?).await?;
            print(g.json, &info, show::certificate)
        }
        Query::Draw { id } => {
            let info = c.draw(&builders::parse_hash("draw id", id)?).await?;
            print(g.json, &info, show::draw)
        }
        Query::Entry { leaf_index } => {
            let e = c.entry(*leaf_index).await?;
            print(g.json, &e, show::entry)
        }
        Query::Tx { tx_id } => {
            let t = c.tx(&builders::parse_hash("tx id", tx_id)?).await?;
            print(g.json, &t, show::tx)
        }
        Query::Account { public_key } => {
            let key = match public_key {
                Some(k) => records::public_key(k)?,
                None => signer(g)?
                    .ok_or_else(|| anyhow!("give a public key, or --key FILE"))?
                    .public_key(),
            };
            let a = c.account(&key).await?;
            print(g.json, &a, show::account)
        }
        Query::Checkpoint { height } => {
            let cp = c.checkpoint(*height).await?;
            print(g.json, &cp, show::checkpoint)
        }
    }
}

async fn light_client(c: &Client, a: &VerifyArgs) -> Result<LightClient> {
    let set = match &a.genesis {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let genesis =
                Genesis::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            ValidatorSet::from_genesis(&genesis).map_err(Error::from)?
        }
        None => ValidatorSet::from_chain_info(&c.chain_info().await?).map_err(Error::from)?,
    };
    match &a.state {
        Some(path) if path.exists() => {
            let note = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok(LightClient::with_checkpoint(set, &note).map_err(Error::from)?)
        }
        _ => Ok(LightClient::new(set)),
    }
}

async fn verify(g: &Global, a: &VerifyArgs) -> Result<()> {
    let c = Client::new(&g.rpc)?;
    let mut lc = light_client(&c, a).await?;
    let out = match &a.what {
        VerifyWhat::Operator { uscc } => {
            let (info, v) = c
                .verify_operator(&mut lc, &builders::parse_uscc(uscc)?)
                .await?;
            serde_json::json!({"answer": info, "verified": v})
        }
        VerifyWhat::Instrument {
            owner,
            category,
            serial,
        } => {
            let id = builders::instrument(builders::parse_uscc(owner)?, category, serial)?;
            let (info, v) = c.verify_instrument(&mut lc, &id).await?;
            serde_json::json!({"answer": info, "verified": v})
        }
        VerifyWhat::Certificate(d) => {
            let (info, v) = c.verify_certificate(&mut lc, &d.digest()?).await?;
            serde_json::json!({"answer": info, "verified": v})
        }
        VerifyWhat::Draw { id } => {
            let (info, v) = c
                .verify_draw(&mut lc, &builders::parse_hash("draw id", id)?)
                .await?;
            // verify_draw checked a resolution's block seed (the VRF proof and the finality of
            // its block) before recomputing the selection.
            let seed = info.resolution.as_ref().map(|r| {
                serde_json::json!({
                    "height": r.height,
                    "proposer": r.header.proposer,
                    "final_under": r.final_checkpoint.height,
                })
            });
            serde_json::json!({"answer": info, "verified": v, "selection_recomputed": info.resolution.is_some(), "block_seed_checked": seed})
        }
        VerifyWhat::Entry { leaf_index } => {
            let (e, v) = c.verify_entry(&mut lc, *leaf_index).await?;
            serde_json::json!({"answer": e, "verified": v})
        }
        VerifyWhat::Checkpoint => {
            let (cp, link) = c.sync(&mut lc).await?;
            serde_json::json!({"verified": {"checkpoint": cp, "link": link}})
        }
    };
    if let (Some(path), Some(latest)) = (&a.state, lc.latest()) {
        std::fs::write(path, &latest.note)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    print(g.json, &out, show::verified)
}

async fn watch(g: &Global, w: &Watch) -> Result<()> {
    let c = Client::new(&g.rpc)?;
    match w {
        Watch::Checkpoints { no_verify } => {
            let mut lc = if *no_verify {
                None
            } else {
                Some(c.light_client().await?)
            };
            let mut sub = c.watch_checkpoints().await?;
            while let Some(item) = sub.next().await {
                let cp = item?;
                let signed = match &mut lc {
                    Some(lc) => Some(c.accept(lc, &cp).await?.0.signed_by),
                    None => None,
                };
                if g.json {
                    println!(
                        "{}",
                        serde_json::json!({"checkpoint": cp, "verified_signers": signed})
                    );
                } else {
                    show::checkpoint_line(&cp, signed.as_deref());
                }
            }
            bail!("the node closed the subscription (this watcher fell behind or the node stopped)")
        }
        Watch::Entries { operator, kind } => {
            let filter = EntryFilter {
                operator: operator.clone(),
                kind: kind.clone(),
            };
            let mut sub = c.watch_entries(filter).await?;
            while let Some(item) = sub.next().await {
                let e = item?;
                if g.json {
                    println!("{}", serde_json::to_string(&e)?);
                } else {
                    show::entry_line(&e);
                }
            }
            bail!("the node closed the subscription (this watcher fell behind or the node stopped)")
        }
    }
}

async fn import(g: &Global, a: &ImportArgs) -> Result<ExitCode> {
    let s = signer(g)?
        .ok_or_else(|| anyhow!("import needs a signing key: --key FILE (or --dev-key LABEL)"))?;
    let rows = import::read_rows(&a.file)?;
    let mut progress = import::Progress::open(&a.file)?;
    let c = Client::new(&g.rpc)?;
    let me = s.public_key();
    let bar = if a.quiet || g.json {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(rows.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}  {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    };
    let options = import::Options {
        window: a.window,
        ..import::Options::default()
    };
    let summary = import::run(
        &c,
        &s,
        &rows,
        &mut progress,
        &options,
        |row| {
            records::row_record(row, me)
                .map_err(|e| Error::invalid(format!("line {}", row.line), format!("{e:#}")))
        },
        |ev| match ev {
            import::Event::Skipped { .. } | import::Event::Done { .. } => bar.inc(1),
            import::Event::Failed { line, reason } => {
                bar.inc(1);
                bar.println(format!("line {line}: {reason}"));
            }
            import::Event::Retry { line, reason } => {
                bar.set_message(format!("retrying line {line}: {reason}"));
            }
        },
    )
    .await;
    bar.finish_and_clear();
    let summary = summary?;
    print(g.json, &summary, |s| {
        println!(
            "{} rows: {} final now, {} already done earlier, {} failed",
            s.rows,
            s.done,
            s.skipped,
            s.failed.len()
        );
        for (line, reason) in &s.failed {
            println!("  line {line}: {reason}");
        }
        println!("progress: {}", progress.path().display());
    })?;
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

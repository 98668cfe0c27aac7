//! `liangxin-node`: `init`, `run` and `dev`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use liangxin_contracts::genesis::Genesis;
use liangxin_node::config::{CONFIG_FILE, NodeConfig};
use liangxin_node::runtime::{RunningNode, init_home};
use liangxin_sdk::Signer;
use liangxin_types::SigningKey;

/// mimalloc instead of glibc's allocator, with a longer purge delay: see `liangxin-alloc`.
#[global_allocator]
static GLOBAL: liangxin_alloc::MiMalloc = liangxin_alloc::MiMalloc;

/// The Liangxin node.
#[derive(Parser, Debug)]
#[command(name = "liangxin-node", version, about = "Liangxin (量信) ledger node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a single-validator development ledger on embedded defaults: creates the home
    /// directory on first use (dev genesis, dev regulator key), then runs it.
    Dev {
        /// Home directory (default: $HOME/.liangxin/dev).
        #[arg(long)]
        home: Option<PathBuf>,
        /// Delete the home directory's ledger first and start from genesis.
        #[arg(long)]
        reset: bool,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Create a home directory: config, genesis and a validator key.
    Init {
        /// Home directory to create.
        #[arg(long)]
        home: PathBuf,
        /// A genesis document to use (default: a single-validator genesis for a new key).
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// An existing key file for the validator (default: a new key).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Chain name for a generated genesis.
        #[arg(long, default_value = "liangxin-local")]
        chain_name: String,
        /// Validator (regulator) name for a generated genesis.
        #[arg(long, default_value = "regulator-1")]
        name: String,
        /// Join a regulators' network (consensus over p2p) instead of running a
        /// single-validator ledger. The node is a validator if its key is one in genesis,
        /// otherwise an observer.
        #[arg(long)]
        network: bool,
        /// An observer: like `--network`, and refuses a validator's key.
        #[arg(long)]
        observer: bool,
        /// Where the p2p layer listens (with --network), e.g. 127.0.0.1:8771.
        #[arg(long)]
        p2p_listen: Option<SocketAddr>,
        /// A peer to dial, as KEY@HOST:PORT (repeat the flag for each peer).
        #[arg(long = "peer")]
        peers: Vec<String>,
        /// An observer's key allowed to connect (repeatable).
        #[arg(long = "allow-observer")]
        observers: Vec<String>,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Run the node of a home directory.
    Run {
        /// Home directory (holds config.toml).
        #[arg(long)]
        home: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
    },
}

/// Flags that override config.toml.
#[derive(Args, Debug, Default)]
struct Overrides {
    /// JSON-RPC listen address (HTTP and WebSocket), e.g. 127.0.0.1:8770.
    #[arg(long)]
    rpc_listen: Option<SocketAddr>,
    /// Prometheus metrics listen address, e.g. 127.0.0.1:9770.
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
    /// Turn the metrics endpoint off.
    #[arg(long)]
    no_metrics: bool,
    /// Milliseconds between blocks (when something waits).
    #[arg(long)]
    block_interval_ms: Option<u64>,
    /// Most transactions per block.
    #[arg(long)]
    block_max_txs: Option<usize>,
    /// Serve the p2p admin calls (cut/heal a link, list peers) on the loopback metrics
    /// listener, for test and chaos tooling (`[admin] p2p_links`).
    #[arg(long)]
    admin_p2p_links: bool,
}

impl Overrides {
    fn apply(&self, c: &mut NodeConfig) {
        if let Some(a) = self.rpc_listen {
            c.rpc.listen = a;
        }
        if let Some(a) = self.metrics_listen {
            c.metrics.listen = a;
        }
        if self.no_metrics {
            c.metrics.enabled = false;
        }
        if let Some(ms) = self.block_interval_ms {
            c.block.interval_ms = ms;
        }
        if let Some(n) = self.block_max_txs {
            c.block.max_txs = n;
        }
        if self.admin_p2p_links {
            c.admin.p2p_links = true;
        }
    }
}

fn default_dev_home() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(h) => Path::new(&h).join(".liangxin").join("dev"),
        None => PathBuf::from(".liangxin-dev"),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(home: &Path, overrides: &Overrides) -> anyhow::Result<()> {
    let mut config = NodeConfig::load(home)?;
    overrides.apply(&mut config);
    let node = RunningNode::start(home, config).await?;
    // One line on stdout that scripts and tests can wait for.
    println!(
        "liangxin-node ready: rpc http://{} metrics {}",
        node.rpc_addr,
        node.metrics_addr
            .map(|a| format!("http://{a}/metrics"))
            .unwrap_or_else(|| "off".into())
    );
    node.run_until_stopped().await?;
    Ok(())
}

fn dev_setup(home: &Path, reset: bool) -> anyhow::Result<()> {
    let key_path = home.join("validator.key");
    if reset {
        let db = home.join("db");
        if db.exists() {
            std::fs::remove_dir_all(&db).with_context(|| format!("removing {}", db.display()))?;
        }
    }
    if !home.join(CONFIG_FILE).exists() {
        let signer = Signer::new(SigningKey::dev(Genesis::DEV_REGULATOR));
        let report = init_home(home, &Genesis::dev(), &signer, &NodeConfig::default())?;
        eprintln!("created a dev ledger in {}", report.home.display());
    }
    let signer = Signer::load(&key_path)?;
    println!("chain:         {}", Genesis::dev().chain_id()?);
    println!("home:          {}", home.display());
    println!(
        "dev regulator: {} (name {:?}, key file {})",
        signer.public_key(),
        Genesis::DEV_REGULATOR,
        key_path.display()
    );
    println!(
        "               seed {} (public knowledge: dev only)",
        hex::encode(signer.signing_key().seed())
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // Before the runtime's threads start (the option table is not synchronised).
    liangxin_alloc::configure();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?
        .block_on(cli_main())
}

async fn cli_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing();
    match cli.command {
        Command::Dev {
            home,
            reset,
            overrides,
        } => {
            let home = home.unwrap_or_else(default_dev_home);
            dev_setup(&home, reset)?;
            run(&home, &overrides).await
        }
        Command::Init {
            home,
            genesis,
            key,
            chain_name,
            name,
            network,
            observer,
            p2p_listen,
            peers,
            observers,
            overrides,
        } => {
            let signer = match key {
                Some(path) => Signer::load(&path)?,
                None => Signer::generate()?,
            };
            let genesis = match genesis {
                Some(path) => liangxin_node::runtime::read_genesis(&path)?,
                None => {
                    let mut g = Genesis::dev();
                    g.chain_name = chain_name;
                    for r in &mut g.regulators {
                        r.key = signer.public_key();
                        r.name = liangxin_contracts::model::ShortText::new(name.as_str())
                            .map_err(|e| anyhow::anyhow!("--name: {e}"))?;
                    }
                    g
                }
            };
            let mut config = NodeConfig::default();
            overrides.apply(&mut config);
            if network || observer {
                config.network.enabled = true;
                if let Some(a) = p2p_listen {
                    config.network.listen = a;
                }
                for p in &peers {
                    let (key, addr) = p
                        .split_once('@')
                        .ok_or_else(|| anyhow::anyhow!("--peer {p}: expected KEY@HOST:PORT"))?;
                    config
                        .network
                        .peers
                        .push(liangxin_node::network::PeerEntry {
                            key: key
                                .parse()
                                .map_err(|e| anyhow::anyhow!("--peer {p}: {e}"))?,
                            addr: addr
                                .parse()
                                .map_err(|e| anyhow::anyhow!("--peer {p}: {e}"))?,
                        });
                }
                for o in &observers {
                    config.network.observers.push(
                        o.parse()
                            .map_err(|e| anyhow::anyhow!("--allow-observer {o}: {e}"))?,
                    );
                }
            }
            if observer
                && genesis
                    .validators()
                    .iter()
                    .any(|(_, k)| *k == signer.public_key())
            {
                anyhow::bail!("--observer: this key is a validator's in genesis");
            }
            let report = init_home(&home, &genesis, &signer, &config)?;
            println!("home:       {}", report.home.display());
            println!("chain:      {}", report.chain_id);
            println!("{:<11} {}", format!("{}:", report.role), report.public_key);
            println!("start with: liangxin-node run --home {}", home.display());
            Ok(())
        }
        Command::Run { home, overrides } => run(&home, &overrides).await,
    }
}

#![doc = include_str!("../README.md")]

use clap::{Parser, Subcommand};

/// The Liangxin node.
#[derive(Parser, Debug)]
#[command(name = "liangxin-node", version, about = "Liangxin (量信) ledger node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a single-node development ledger on embedded defaults.
    Dev,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Dev => anyhow::bail!(
            "`liangxin-node dev` is not built yet: the single-node ledger arrives with issue 4"
        ),
    }
}

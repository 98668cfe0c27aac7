//! A member of the public checks an operator's credit record without trusting the node: the
//! validator set is pinned from the genesis (here the dev chain's), and the answer is checked
//! against a checkpoint signed by a quorum of it, entry by entry.
//!
//! ```sh
//! cargo run -p liangxin-sdk --example public_verifier -- [RPC_URL] [USCC]
//! ```

use anyhow::Result;
use liangxin_sdk::contracts::genesis::Genesis;
use liangxin_sdk::types::Uscc;
use liangxin_sdk::verify::{LightClient, Link, StateProofStatus, ValidatorSet};
use liangxin_sdk::{Client, DEFAULT_RPC};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| DEFAULT_RPC.to_string());
    let uscc = Uscc::parse(&args.next().unwrap_or_else(|| "91350100M000100Y43".into()))?;

    // Pin the validators from the genesis, not from the node we are about to check. (On a
    // real chain: `Genesis::from_json` of the published genesis file.)
    let set = ValidatorSet::from_genesis(&Genesis::dev())?;
    let mut light = LightClient::new(set);
    let client = Client::new(&url)?;

    // Follow the log to the node's latest checkpoint.
    let (cp, _) = client.sync(&mut light).await?;
    println!(
        "latest checkpoint: height {}, log size {}, signed by {}",
        cp.checkpoint.height,
        cp.checkpoint.log_size,
        cp.signed_by.join(", ")
    );

    // The operator's record, verified.
    let (op, verified) = client.verify_operator(&mut light, &uscc).await?;
    println!(
        "{} {}: grade {:?} (score {})",
        op.uscc, op.profile.registration.name, op.grade.grade, op.grade.score
    );
    println!(
        "checked against the checkpoint at height {} (signed by {} of {}, quorum {})",
        verified.checkpoint.checkpoint.height,
        verified.checkpoint.signed_by.len(),
        verified.checkpoint.validators,
        verified.checkpoint.quorum
    );
    match &verified.link {
        Link::First | Link::Same => {}
        Link::Extends { from_size, to_size } => {
            println!("consistency: log of {from_size} leaves extends to {to_size}")
        }
        Link::Prefix { size, latest_size } => {
            println!("consistency: log of {size} leaves is a prefix of {latest_size}")
        }
    }
    for (e, leaf) in op.entries.iter().zip(&verified.entries_included) {
        println!("  included: leaf {leaf} {}", e.record.kind_name());
    }
    match &verified.state_proof {
        StateProofStatus::Verified { proven, not_proven } => {
            println!("state proof verified: {}", proven.join(", "));
            println!("not proven: {}", not_proven.join(", "));
        }
        other => println!("state proof: {other:?}: the grade and the entry list are not proven"),
    }
    Ok(())
}

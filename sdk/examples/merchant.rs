//! A merchant's first day on a development ledger: the dev regulator registers the merchant,
//! the merchant makes its honest-metering commitment and files a fuel dispenser, then reads
//! back its grade.
//!
//! Start a dev node first (`cargo run -p liangxin-node -- dev`), then:
//!
//! ```sh
//! cargo run -p liangxin-sdk --example merchant -- [RPC_URL] [USCC]
//! ```
//!
//! The merchant's key is generated afresh each run; a USCC can be registered only once, so
//! pass another USCC to run it again on the same ledger.

use std::time::Duration;

use anyhow::Result;
use liangxin_sdk::builders::{
    InstrumentRegistrationBuilder, OperatorRegistrationBuilder, SelfCommitmentBuilder, instrument,
};
use liangxin_sdk::contracts::genesis::Genesis;
use liangxin_sdk::contracts::model::Sector;
use liangxin_sdk::types::Uscc;
use liangxin_sdk::types::hash::document_digest;
use liangxin_sdk::{Client, DEFAULT_RPC, Signer};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| DEFAULT_RPC.to_string());
    let uscc = Uscc::parse(&args.next().unwrap_or_else(|| "91350100M000100Y43".into()))?;

    let client = Client::new(&url)?;
    let info = client.chain_info().await?;
    println!("chain {} at height {}", info.chain_id, info.height);

    // The dev chain's regulator key is public knowledge (never on a real chain).
    let regulator = Signer::dev(Genesis::DEV_REGULATOR);
    let merchant = Signer::generate()?;
    println!("merchant key {}", merchant.public_key());

    // 1. The regulator registers the merchant (a fuel station in Fuzhou's Gulou district).
    let registration = OperatorRegistrationBuilder::new(
        uscc.clone(),
        "福州市鼓楼区某加油站有限公司",
        "350102",
        Sector::FuelStation,
        merchant.public_key(),
    )
    .build()?;
    let done = client
        .submit_and_wait(&regulator, &registration, WAIT)
        .await?;
    println!("registered: tx {} at height {}", done.tx_id, done.height);

    // 2. The merchant pledges honest metering (the pledge text stays off the ledger; its
    //    digest goes on it).
    let pledge = "本单位承诺：诚信计量，明码标价，足斤足两。".as_bytes();
    let commitment =
        SelfCommitmentBuilder::new(uscc.clone(), document_digest(pledge), "营业大厅入口")
            .hotline("12315")
            .build()?;
    let done = client.submit_and_wait(&merchant, &commitment, WAIT).await?;
    println!("committed: tx {} at height {}", done.tx_id, done.height);

    // 3. The merchant files a fuel dispenser for mandatory verification (强检备案).
    let dispenser = instrument(uscc.clone(), "9.1", "FD-0042")?;
    let filing = InstrumentRegistrationBuilder::new(dispenser, "DJY-222A")
        .accuracy_class("0.3")
        .range("5-60 L/min")
        .location("3号岛")
        .build()?;
    let done = client.submit_and_wait(&merchant, &filing, WAIT).await?;
    println!(
        "instrument filed: tx {} at height {}",
        done.tx_id, done.height
    );

    // 4. What the ledger now says about the merchant.
    let op = client.operator(&uscc).await?;
    println!(
        "grade {:?} (score {}), {} entries, {} instruments",
        op.grade.grade,
        op.grade.score,
        op.entries.len(),
        op.instruments.len()
    );
    for r in &op.grade.reasons {
        println!("  {:+4}  {}", r.points, r.text);
    }
    Ok(())
}

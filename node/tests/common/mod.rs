//! What the node's integration tests share: the dev chain with its regulator and validator,
//! fresh stores holding its genesis, USCCs and signed pool transactions.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use liangxin_contracts::genesis::Genesis;
use liangxin_contracts::model::Sector;
use liangxin_node::exec::{Validator, build_genesis};
use liangxin_node::mempool::PoolTx;
use liangxin_sdk::Signer;
use liangxin_sdk::builders::OperatorRegistrationBuilder;
use liangxin_storage::{MemStore, Store};
use liangxin_types::uscc::check_char;
use liangxin_types::{Canonical, SigningKey, Uscc};

pub fn uscc(i: usize) -> Uscc {
    let first17 = format!("91350{:06}MA{:04}", i / 10_000, i % 10_000);
    let c = check_char(&first17).unwrap();
    Uscc::parse(&format!("{first17}{c}")).unwrap()
}

pub fn pool_tx(
    signer: &Signer,
    chain: &liangxin_types::ChainId,
    seq: u64,
    record: liangxin_contracts::Record,
) -> Arc<PoolTx> {
    let tx = signer.sign(chain, seq, &record).unwrap();
    let bytes = tx.to_canonical().unwrap();
    Arc::new(PoolTx {
        id: liangxin_types::tx::tx_id(&bytes),
        bytes,
        tx,
        record,
    })
}

/// The dev chain, its regulator (who signs registrations and checkpoints) and fresh stores.
pub struct Dev {
    pub genesis: Genesis,
    pub chain: liangxin_types::ChainId,
    pub regulator: Signer,
    pub validator: Validator,
}

impl Dev {
    pub fn new() -> Self {
        let genesis = Genesis::dev();
        let chain = genesis.chain_id().unwrap();
        let regulator = Signer::dev(Genesis::DEV_REGULATOR);
        let validator = Validator {
            name: Genesis::DEV_REGULATOR.to_string(),
            key: regulator.signing_key().clone(),
        };
        Dev {
            genesis,
            chain,
            regulator,
            validator,
        }
    }

    /// A store holding only the genesis write.
    pub fn fresh_store(&self) -> MemStore {
        let store = MemStore::new();
        let (write, _) = build_genesis(&store, &self.genesis, Some(&self.validator)).unwrap();
        store.commit(&write).unwrap();
        store
    }

    /// `n` operators (keys labelled `label`) and the regulator's registrations of them, with
    /// USCCs numbered from `first`.
    pub fn registrations(
        &self,
        label: &str,
        first: usize,
        n: usize,
    ) -> (Vec<Signer>, Vec<Arc<PoolTx>>) {
        let operators: Vec<Signer> = (0..n)
            .map(|i| Signer::new(SigningKey::dev(&format!("{label} operator {i}"))))
            .collect();
        let regs = (0..n)
            .map(|i| {
                let r = OperatorRegistrationBuilder::new(
                    uscc(first + i),
                    format!("第{i}号加油站有限公司"),
                    "350102",
                    Sector::FuelStation,
                    operators[i].public_key(),
                )
                .build()
                .unwrap();
                pool_tx(&self.regulator, &self.chain, i as u64, r)
            })
            .collect();
        (operators, regs)
    }
}

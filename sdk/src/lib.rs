#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod builders;
pub mod client;
mod error;
pub mod import;
pub mod signer;
pub mod verify;

pub use client::{Client, DEFAULT_RPC, Watch};
pub use error::{Error, Result, VerifyError};
pub use signer::Signer;
pub use verify::{LightClient, StateProofStatus, ValidatorSet, Verified, VerifiedCheckpoint};

/// The contracts: record types ([`contracts::Record`], [`contracts::records`]), model types
/// ([`contracts::model`]), genesis.
pub use liangxin_contracts as contracts;
/// The RPC API: DTOs ([`rpc::dto`]), error codes ([`rpc::codes`]), the generated client trait.
pub use liangxin_rpc as rpc;
/// The protocol types this crate builds on.
pub use liangxin_types as types;

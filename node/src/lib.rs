#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin;
pub mod backend;
pub mod config;
pub mod engine;
mod error;
pub mod exec;
pub mod gossip;
pub mod host;
pub mod mempool;
pub mod metrics;
pub mod network;
pub mod runtime;
pub mod snapshot;
pub mod votelog;

pub use error::NodeError;

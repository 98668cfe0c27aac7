#![doc = include_str!("../README.md")]

pub mod admin;
pub mod bench;
pub mod chaos;
pub mod launch;
pub mod net;
pub mod plot;
pub mod process;
pub mod raw;
pub mod seed;

/// The protocol types this crate builds on.
pub use liangxin_types as types;

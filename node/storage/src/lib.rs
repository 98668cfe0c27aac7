#![doc = include_str!("../README.md")]

/// The protocol types this crate builds on.
pub use liangxin_types as types;

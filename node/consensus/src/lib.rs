#![doc = include_str!("../README.md")]

mod error;
pub mod machine;
pub mod message;
pub mod scheme;

pub use error::Error;
pub use machine::{
    Anchor, Config, Consensus, Fault, Input, MAX_CERTIFICATES_PER_ANSWER, Output, Stats,
};
pub use message::{
    Finalization, Finalize, MAX_VALIDATORS, Message, Notarization, Notarize, Nullification,
    Nullify, Proposal, Sig, Signable, Signer, ValidatorIndex, View, Vote, checkpoint_of,
};
pub use scheme::{Ed25519Scheme, NamedKey, Scheme, signed_bytes};

/// The protocol types this crate builds on.
pub use liangxin_types as types;

#![doc = include_str!("../README.md")]

mod codec;
mod error;
mod network;

pub use error::Error;
pub use network::{
    Config, Event, Network, PeerAddress, RequestToken, Topic, Validation, peer_id_of,
};

/// The protocol types this crate builds on.
pub use liangxin_types as types;

/// libp2p, as this crate uses it (for peer ids and multiaddrs in the node).
pub use libp2p;

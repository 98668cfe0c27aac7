//! The crate's one error type.

use thiserror::Error;

/// What can go wrong starting the network or asking it for something.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// A key, address or setting that cannot be used.
    #[error("p2p configuration: {0}")]
    Config(String),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The network task has stopped (the node is shutting down).
    #[error("the p2p network has stopped")]
    Stopped,
    /// A message larger than the configured limit.
    #[error("{what} of {size} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Publishing failed (no peer subscribed yet, for instance).
    #[error("publish failed: {0}")]
    Publish(String),
    /// A request failed: the peer is not connected, timed out, or refused.
    #[error("request to {peer} failed: {reason}")]
    Request {
        /// The peer's key (hex).
        peer: String,
        /// Why.
        reason: String,
    },
}

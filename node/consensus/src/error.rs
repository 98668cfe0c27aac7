//! The crate's one error type.

use thiserror::Error;

/// What can go wrong setting up consensus or turning its certificates into notes. Messages from
/// the network never produce errors: the state machine drops bad ones and counts them in
/// [`Stats`](crate::Stats).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// A configuration that cannot work (empty validator set, zero timeouts, a key outside the
    /// set…).
    #[error("consensus configuration: {0}")]
    Config(String),
    /// A validator index outside the set.
    #[error("validator index {0} is not in the validator set")]
    UnknownValidator(u32),
    /// A certificate that cannot be turned into a checkpoint note.
    #[error("certificate: {0}")]
    Certificate(String),
}

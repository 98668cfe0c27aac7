//! Why a record was rejected: a stable code plus a message a person understands.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable rejection codes. The numbers never change meaning; new codes get new numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u16)]
pub enum Code {
    /// The payload does not decode as the record its kind tag names, or the tag is unknown.
    Malformed = 1,
    /// A field's value is out of range or inconsistent with another field.
    BadField = 2,
    /// The transaction's signature does not verify under its signer's key (found at admission;
    /// a block never holds such a transaction).
    BadSignature = 3,
    /// The signer's key is not registered.
    UnknownSigner = 10,
    /// The signer's key was revoked or rotated away.
    RevokedKey = 11,
    /// The signer's role may not sign this kind of record.
    WrongRole = 12,
    /// The signer may not sign about this subject (another operator, a category outside an
    /// institution's scope, a jurisdiction outside a regulator's).
    NotAuthorised = 13,
    /// The sequence number is not the signer's next one (a replay or a gap).
    BadSequence = 14,
    /// A unified social credit code whose check character is wrong, without an override.
    BadUscc = 20,
    /// The subject is already registered.
    AlreadyExists = 21,
    /// A referenced participant, instrument, record or proposal does not exist.
    NotFound = 22,
    /// The record is not allowed in the subject's current state (e.g. verifying a retired
    /// instrument, withdrawing a withdrawn commitment).
    InvalidState = 23,
    /// An institution acting outside its registration's validity period.
    Expired = 24,
    /// A date or period that breaks a rule (publication periods, validity ranges).
    BadPeriod = 25,
    /// A key that may not be registered (e.g. not torsion-free, or already in use).
    BadKey = 26,
    /// A governance proposal or approval that breaks the governance rules.
    Governance = 30,
    /// A random draw request that cannot be carried out.
    Draw = 31,
}

impl Code {
    /// The stable number.
    pub fn number(self) -> u16 {
        self as u16
    }

    /// The stable name (snake case), as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Code::Malformed => "malformed",
            Code::BadField => "bad_field",
            Code::BadSignature => "bad_signature",
            Code::UnknownSigner => "unknown_signer",
            Code::RevokedKey => "revoked_key",
            Code::WrongRole => "wrong_role",
            Code::NotAuthorised => "not_authorised",
            Code::BadSequence => "bad_sequence",
            Code::BadUscc => "bad_uscc",
            Code::AlreadyExists => "already_exists",
            Code::NotFound => "not_found",
            Code::InvalidState => "invalid_state",
            Code::Expired => "expired",
            Code::BadPeriod => "bad_period",
            Code::BadKey => "bad_key",
            Code::Governance => "governance",
            Code::Draw => "draw",
        }
    }
}

/// A rejected record: nothing of it is stored and the state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct Rejection {
    /// The stable code.
    pub code: Code,
    /// What is wrong, for a person.
    pub message: String,
}

impl Rejection {
    /// A rejection with `code` and `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.name(),
            self.code.number(),
            self.message
        )
    }
}

/// A required text field: rejected with [`Code::BadField`] and `message` when it is empty or only
/// white space.
pub fn required(text: &str, message: &str) -> Result<(), Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::new(Code::BadField, message));
    }
    Ok(())
}

/// Shorthand: `Err(Rejection::new(code, message))`.
pub fn reject<T>(code: Code, message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::new(code, message))
}

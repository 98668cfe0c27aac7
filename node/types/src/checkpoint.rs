//! Checkpoints as C2SP signed notes.
//!
//! A checkpoint is the note text ([C2SP tlog-checkpoint]) that commits to the log and the chain
//! state at one height:
//!
//! ```text
//! liangxin/<chain_id>
//! <log size>
//! <base64 log root>
//! <height> <hex block hash> <hex state root>
//! ```
//!
//! Validators co-sign it as a [C2SP signed note]: after a blank line comes one line per signer,
//! `— <name> <base64(key id ‖ signature)>`, where the key id is the first 4 bytes of
//! `SHA-256(name ‖ "\n" ‖ 0x01 ‖ 32-byte Ed25519 key)` and the signature is a plain Ed25519
//! signature over exactly the body bytes (no domain prefix: the origin line is the context).
//!
//! Strictness rules, chosen so that one checkpoint has exactly one body and a note that parses
//! re-renders byte for byte:
//!
//! - A note is at most [`MAX_NOTE_SIZE`] bytes with at most [`MAX_SIGNATURES`] signature lines
//!   (both checked before anything else is decoded), is UTF-8 without control characters other
//!   than `"\n"` (so no `"\r"`), and is split at its last empty line.
//! - The body must be exactly the canonical rendering of a [`Checkpoint`]: four lines, canonical
//!   decimals, canonical padded base64 of 32 bytes, lowercase hex.
//! - Each signature line must be well formed (name non-empty, without Unicode whitespace or `+`;
//!   standard padded canonical base64 of at least 5 bytes), even when its key is unknown.
//!   The signature bytes after the key id are kept as they are, so lines of other signature types
//!   (e.g. timestamped cosignatures) survive a parse and re-render.
//! - Two lines with the same name and key id make the note malformed (there is no way to tell
//!   which one is meant, and a deduplicated note has a single canonical form).
//! - Parsing keeps the line order; [`SignedCheckpoint::add_signature`] and
//!   [`SignedCheckpoint::merge`] keep the lines sorted by name, then key id.
//! - Verification ignores lines whose (name, key id) pair is not in the validator list, and
//!   rejects the whole note when a listed validator's line does not verify (the spec's "SHOULD
//!   reject"); aggregators that collect signatures from the network can drop such lines first
//!   with [`SignedCheckpoint::remove_invalid`].
//!
//! [C2SP tlog-checkpoint]: https://c2sp.org/tlog-checkpoint
//! [C2SP signed note]: https://c2sp.org/signed-note

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::crypto::{PublicKey, Signature, SigningKey};
use crate::hash::{Domain, HASH_LEN, Hash};
use crate::tx::ChainId;

/// The largest note accepted, in bytes (checked before parsing).
pub const MAX_NOTE_SIZE: usize = 1 << 20;

/// The most signature lines a note may carry (the spec requires accepting at least 16).
pub const MAX_SIGNATURES: usize = 512;

/// The C2SP signature type byte of Ed25519 keys, hashed into the key id.
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;

/// The start of every signature line: U+2014 EM DASH and a space.
pub const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";

/// The prefix of the origin line; the chain id follows.
pub const ORIGIN_PREFIX: &str = "liangxin/";

/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 4;

fn note_err(msg: impl Into<String>) -> Error {
    Error::Note(msg.into())
}

/// The first 4 bytes of `SHA-256(name ‖ "\n" ‖ 0x01 ‖ key)`: the C2SP key id of an Ed25519 key.
pub fn key_id(name: &str, key: &PublicKey) -> [u8; KEY_ID_LEN] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519_SIGNATURE_TYPE]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&digest[..KEY_ID_LEN]);
    id
}

/// Checks a key name: non-empty, no Unicode whitespace, no `+`, no ASCII control characters.
pub fn check_key_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(note_err("empty key name"));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '+' || c < ' ')
    {
        return Err(note_err(format!(
            "key name {:?} contains whitespace, '+' or a control character",
            name.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

/// Parses a canonical decimal `u64`: digits only, no sign, no leading zeros except `"0"`.
fn parse_decimal(s: &str, what: &str) -> Result<u64, Error> {
    let bad = || note_err(format!("{what} is not a canonical decimal number"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(bad());
    }
    s.parse::<u64>().map_err(|_| bad())
}

/// Parses 64 lowercase hex digits.
fn parse_lower_hex(s: &str, what: &str) -> Result<Hash, Error> {
    if s.len() != 2 * HASH_LEN || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(note_err(format!("{what} is not 64 lowercase hex digits")));
    }
    Hash::from_hex(s)
}

/// Decodes standard padded base64 and requires the canonical encoding (so that decoding and
/// re-encoding give back the same text).
fn decode_base64_canonical(s: &str) -> Result<Vec<u8>, Error> {
    let bytes = BASE64.decode(s).map_err(|e| Error::Base64(e.to_string()))?;
    if BASE64.encode(&bytes) != s {
        return Err(Error::Base64("not the canonical encoding".into()));
    }
    Ok(bytes)
}

/// A checkpoint: the log and chain state at one height, as the note body validators sign.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The chain; the origin line is `liangxin/<chain_id>`.
    pub chain_id: ChainId,
    /// The number of leaves in the Merkle log.
    pub log_size: u64,
    /// The RFC 9162 root of the log at `log_size`.
    pub log_root: Hash,
    /// The block height this checkpoint finalizes.
    pub height: u64,
    /// The hash of the block at `height`.
    pub block_hash: Hash,
    /// The state root after the block at `height`.
    pub state_root: Hash,
}

impl Checkpoint {
    /// The note body: the exact text (and, as UTF-8, the exact bytes) every signer signs.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n{} {} {}\n",
            self.chain_id.origin(),
            self.log_size,
            BASE64.encode(self.log_root.as_bytes()),
            self.height,
            self.block_hash.to_hex(),
            self.state_root.to_hex(),
        )
    }

    /// Parses a body, accepting only the canonical rendering (so `parse_body(b)?.body() == b`).
    pub fn parse_body(body: &str) -> Result<Self, Error> {
        let text = body
            .strip_suffix('\n')
            .ok_or_else(|| note_err("checkpoint body does not end in a newline"))?;
        let lines: Vec<&str> = text.split('\n').collect();
        let [origin, size, root, ext] = lines.as_slice() else {
            return Err(note_err(format!(
                "checkpoint body has {} lines, expected 4",
                lines.len()
            )));
        };
        let chain = origin.strip_prefix(ORIGIN_PREFIX).ok_or_else(|| {
            note_err(format!("origin line does not start with {ORIGIN_PREFIX:?}"))
        })?;
        let chain_id = ChainId::new(chain)?;
        let log_size = parse_decimal(size, "log size")?;
        let root_bytes = decode_base64_canonical(root)?;
        let log_root = Hash::from_slice(&root_bytes)?;
        let parts: Vec<&str> = ext.split(' ').collect();
        let [height, block_hash, state_root] = parts.as_slice() else {
            return Err(note_err(
                "extension line is not \"<height> <block hash> <state root>\"",
            ));
        };
        let cp = Checkpoint {
            chain_id,
            log_size,
            log_root,
            height: parse_decimal(height, "height")?,
            block_hash: parse_lower_hex(block_hash, "block hash")?,
            state_root: parse_lower_hex(state_root, "state root")?,
        };
        // Every field is parsed canonically, so this holds; it is kept as the definition of
        // "canonical" in case a field's rules are relaxed later.
        if cp.body() != body {
            return Err(note_err("checkpoint body is not in canonical form"));
        }
        Ok(cp)
    }

    /// A blake3 digest of the body (`Domain::Checkpoint`), for indexing checkpoints.
    pub fn digest(&self) -> Hash {
        Domain::Checkpoint.hash(self.body().as_bytes())
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.body())
    }
}

/// One signature line of a note: `— <name> <base64(key id ‖ signature)>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id the line claims (see [`key_id`]).
    pub key_id: [u8; KEY_ID_LEN],
    /// The signature bytes after the key id, as they appear in the note. For an Ed25519 key these
    /// are 64 bytes; lines of unknown keys may carry other signature types and lengths.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// Signs `body` under `name` with `key`.
    pub fn sign(name: &str, key: &SigningKey, body: &str) -> Result<Self, Error> {
        check_key_name(name)?;
        let signature = key.sign_raw(body.as_bytes());
        Ok(NoteSignature {
            name: name.to_string(),
            key_id: key_id(name, &key.public_key()),
            signature: signature.as_bytes().to_vec(),
        })
    }

    /// The signature as Ed25519: exactly 64 bytes in canonical encoding.
    pub fn ed25519(&self) -> Result<Signature, Error> {
        Signature::from_slice(&self.signature)
    }

    /// Whether this line claims to be by `name` with `key` (name and key id match).
    pub fn is_for(&self, name: &str, key: &PublicKey) -> bool {
        self.name == name && self.key_id == key_id(name, key)
    }

    /// Checks that this line is by `name` with `key` and that its signature verifies over `body`.
    pub fn verify(&self, name: &str, key: &PublicKey, body: &str) -> Result<(), Error> {
        if !self.is_for(name, key) {
            return Err(note_err(format!(
                "signature line is not by {name:?} with the given key"
            )));
        }
        let sig = self.ed25519()?;
        key.verify_raw(body.as_bytes(), &sig)
            .map_err(|_| note_err(format!("signature by {name:?} does not verify")))
    }

    /// The line without its final newline.
    pub fn to_line(&self) -> String {
        let mut payload = Vec::with_capacity(KEY_ID_LEN + self.signature.len());
        payload.extend_from_slice(&self.key_id);
        payload.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_LINE_PREFIX}{} {}",
            self.name,
            BASE64.encode(payload)
        )
    }

    /// Parses one line (without its final newline).
    pub fn parse_line(line: &str) -> Result<Self, Error> {
        if line.len() > MAX_NOTE_SIZE {
            return Err(Error::TooLarge {
                what: "signature line",
                size: line.len(),
                limit: MAX_NOTE_SIZE,
            });
        }
        let rest = line
            .strip_prefix(SIGNATURE_LINE_PREFIX)
            .ok_or_else(|| note_err("signature line does not start with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| note_err("signature line has no space after the key name"))?;
        check_key_name(name)?;
        let payload = decode_base64_canonical(b64)?;
        if payload.len() <= KEY_ID_LEN {
            return Err(note_err(format!(
                "signature of {name:?} is {} bytes, shorter than a key id and a signature",
                payload.len()
            )));
        }
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(&payload[..KEY_ID_LEN]);
        Ok(NoteSignature {
            name: name.to_string(),
            key_id,
            signature: payload[KEY_ID_LEN..].to_vec(),
        })
    }

    fn sort_key(&self) -> (&str, [u8; KEY_ID_LEN]) {
        (&self.name, self.key_id)
    }
}

/// A checkpoint with its signature lines: a complete C2SP signed note.
///
/// Invariants (kept by every constructor and method): signature names are valid, no two lines
/// share a name and key id, and the rendered note respects [`MAX_NOTE_SIZE`] and
/// [`MAX_SIGNATURES`], so [`SignedCheckpoint::to_note`] always parses back. A value may have no
/// signatures while it is being assembled; it then has no note form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    signatures: Vec<NoteSignature>,
}

impl SignedCheckpoint {
    /// A checkpoint with no signatures yet.
    pub fn unsigned(checkpoint: Checkpoint) -> Self {
        SignedCheckpoint {
            checkpoint,
            signatures: Vec::new(),
        }
    }

    /// A checkpoint signed by one key.
    pub fn sign(checkpoint: Checkpoint, name: &str, key: &SigningKey) -> Result<Self, Error> {
        let mut s = Self::unsigned(checkpoint);
        s.add_signature(name, key)?;
        Ok(s)
    }

    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The signature lines, in note order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Signs the body with `key` under `name` and adds the line (replacing an existing line with
    /// the same name and key id).
    pub fn add_signature(&mut self, name: &str, key: &SigningKey) -> Result<(), Error> {
        let line = NoteSignature::sign(name, key, &self.checkpoint.body())?;
        self.insert(vec![line], true)
    }

    /// Adds a signature line received from someone else (for instance a validator's vote). The
    /// line is not verified here; see [`SignedCheckpoint::verify_signer`] and
    /// [`SignedCheckpoint::remove_invalid`]. A line with the same name and key id as an existing
    /// one is ignored.
    pub fn add_line(&mut self, line: NoteSignature) -> Result<(), Error> {
        self.insert(vec![line], false)
    }

    /// Adds the other note's signature lines. Both must be for the same checkpoint. Lines whose
    /// name and key id are already present are skipped (the existing line wins). The result is
    /// sorted by name, then key id.
    pub fn merge(&mut self, other: &SignedCheckpoint) -> Result<(), Error> {
        if other.checkpoint != self.checkpoint {
            return Err(note_err("cannot merge signatures of different checkpoints"));
        }
        self.insert(other.signatures.clone(), false)
    }

    /// Inserts lines, keeping the invariants; on error `self` is unchanged.
    fn insert(&mut self, lines: Vec<NoteSignature>, replace: bool) -> Result<(), Error> {
        let mut sigs = self.signatures.clone();
        for line in lines {
            check_key_name(&line.name)?;
            if line.signature.is_empty() {
                return Err(note_err(format!("empty signature from {:?}", line.name)));
            }
            match sigs.iter_mut().find(|s| s.sort_key() == line.sort_key()) {
                Some(existing) if replace => *existing = line,
                Some(_) => {}
                None => sigs.push(line),
            }
        }
        sigs.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        check_limits(&self.checkpoint.body(), &sigs)?;
        self.signatures = sigs;
        Ok(())
    }

    /// Renders the note: body, blank line, one line per signature. Fails only when there are no
    /// signatures (a note needs at least one).
    pub fn to_note(&self) -> Result<String, Error> {
        if self.signatures.is_empty() {
            return Err(note_err("a note needs at least one signature"));
        }
        Ok(render(&self.checkpoint.body(), &self.signatures))
    }

    /// Parses a note (without verifying any signature). See the module docs for the rules.
    pub fn parse_note(note: &str) -> Result<Self, Error> {
        if note.len() > MAX_NOTE_SIZE {
            return Err(Error::TooLarge {
                what: "checkpoint note",
                size: note.len(),
                limit: MAX_NOTE_SIZE,
            });
        }
        if let Some(c) = note.chars().find(|&c| c < ' ' && c != '\n') {
            return Err(note_err(format!(
                "note contains the control character U+{:04X}",
                u32::from(c)
            )));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| note_err("note has no blank line before its signatures"))?;
        let (body, sig_text) = (&note[..split + 1], &note[split + 2..]);
        let sig_text = sig_text
            .strip_suffix('\n')
            .ok_or_else(|| note_err("note does not end with a signature line and a newline"))?;
        // After the last blank line, every line is non-empty; count before decoding any.
        let count = sig_text.split('\n').count();
        if count > MAX_SIGNATURES {
            return Err(note_err(format!(
                "note has {count} signature lines, above the limit of {MAX_SIGNATURES}"
            )));
        }
        let checkpoint = Checkpoint::parse_body(body)?;
        let mut signatures: Vec<NoteSignature> = Vec::with_capacity(count);
        for line in sig_text.split('\n') {
            let sig = NoteSignature::parse_line(line)?;
            if signatures.iter().any(|s| s.sort_key() == sig.sort_key()) {
                return Err(note_err(format!(
                    "two signature lines for key {:?}+{}",
                    sig.name,
                    crate::encoding::to_hex(sig.key_id)
                )));
            }
            signatures.push(sig);
        }
        Ok(SignedCheckpoint {
            checkpoint,
            signatures,
        })
    }

    /// Checks that `name` with `key` signed this checkpoint: a line with that name and key id
    /// exists and verifies over the body.
    pub fn verify_signer(&self, name: &str, key: &PublicKey) -> Result<(), Error> {
        let body = self.checkpoint.body();
        match self.signatures.iter().find(|s| s.is_for(name, key)) {
            Some(line) => line.verify(name, key, &body),
            None => Err(note_err(format!("no signature by {name:?}"))),
        }
    }

    /// Verifies "at least `quorum` of these named keys signed this body".
    ///
    /// `validators` lists (name, key) pairs; names and keys must each be distinct (a name listed
    /// twice, even with different keys, is a configuration error, so no one counts twice). A line
    /// counts for a validator when its name and key id match and its signature verifies over the
    /// exact body bytes. Lines of unknown keys are ignored; a matching line that does not verify
    /// rejects the whole note. Returns the indexes (into `validators`, ascending) of the
    /// validators that signed.
    pub fn verify<S: AsRef<str>>(
        &self,
        validators: &[(S, PublicKey)],
        quorum: usize,
    ) -> Result<Vec<usize>, Error> {
        if quorum == 0 {
            return Err(note_err("quorum must be at least 1"));
        }
        check_validators(validators)?;
        let body = self.checkpoint.body();
        let mut signed = Vec::new();
        for (i, (name, key)) in validators.iter().enumerate() {
            let name = name.as_ref();
            if let Some(line) = self.signatures.iter().find(|s| s.is_for(name, key)) {
                line.verify(name, key, &body)?;
                signed.push(i);
            }
        }
        if signed.len() < quorum {
            return Err(note_err(format!(
                "checkpoint signed by {} of {} validators, quorum is {}",
                signed.len(),
                validators.len(),
                quorum
            )));
        }
        Ok(signed)
    }

    /// Drops the lines that claim to be by one of `validators` but do not verify, and returns
    /// their names. Lines of unknown keys are kept.
    pub fn remove_invalid<S: AsRef<str>>(&mut self, validators: &[(S, PublicKey)]) -> Vec<String> {
        let body = self.checkpoint.body();
        let mut removed = Vec::new();
        self.signatures.retain(|line| {
            let bad = validators.iter().any(|(name, key)| {
                line.is_for(name.as_ref(), key) && line.verify(name.as_ref(), key, &body).is_err()
            });
            if bad {
                removed.push(line.name.clone());
            }
            !bad
        });
        removed
    }
}

fn render(body: &str, sigs: &[NoteSignature]) -> String {
    let mut out = String::with_capacity(body.len() + 1 + sigs.len() * 120);
    out.push_str(body);
    out.push('\n');
    for s in sigs {
        out.push_str(&s.to_line());
        out.push('\n');
    }
    out
}

fn check_limits(body: &str, sigs: &[NoteSignature]) -> Result<(), Error> {
    if sigs.len() > MAX_SIGNATURES {
        return Err(note_err(format!(
            "{} signature lines, above the limit of {MAX_SIGNATURES}",
            sigs.len()
        )));
    }
    // Each line is prefix + name + space + base64 + newline.
    let size = body.len()
        + 1
        + sigs
            .iter()
            .map(|s| {
                SIGNATURE_LINE_PREFIX.len()
                    + s.name.len()
                    + 2
                    + (KEY_ID_LEN + s.signature.len()).div_ceil(3) * 4
            })
            .sum::<usize>();
    if size > MAX_NOTE_SIZE {
        return Err(Error::TooLarge {
            what: "checkpoint note",
            size,
            limit: MAX_NOTE_SIZE,
        });
    }
    Ok(())
}

fn check_validators<S: AsRef<str>>(validators: &[(S, PublicKey)]) -> Result<(), Error> {
    for (i, (name, key)) in validators.iter().enumerate() {
        let name = name.as_ref();
        check_key_name(name)?;
        for (other, other_key) in &validators[..i] {
            if other.as_ref() == name {
                return Err(note_err(format!("validator name {name:?} is listed twice")));
            }
            if other_key == key {
                return Err(note_err(format!(
                    "validators {:?} and {name:?} have the same key",
                    other.as_ref()
                )));
            }
        }
    }
    Ok(())
}

impl Serialize for SignedCheckpoint {
    /// Serializes as the note text.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let note = self.to_note().map_err(serde::ser::Error::custom)?;
        s.serialize_str(&note)
    }
}

impl<'de> Deserialize<'de> for SignedCheckpoint {
    /// Deserializes from the note text (signatures are not verified).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        SignedCheckpoint::parse_note(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NAMES: [&str; 4] = ["regulator-1", "regulator-2", "regulator-3", "regulator-4"];

    fn sample() -> Checkpoint {
        Checkpoint {
            chain_id: ChainId::new("liangxin-dev").unwrap(),
            log_size: 20852163,
            log_root: Domain::Document.hash(b"root"),
            height: 1234,
            block_hash: Domain::Header.hash(b"block"),
            state_root: Domain::State.hash(b"state"),
        }
    }

    fn keys() -> Vec<SigningKey> {
        NAMES.iter().map(|n| SigningKey::dev(n)).collect()
    }

    fn validators() -> Vec<(String, PublicKey)> {
        NAMES
            .iter()
            .zip(keys())
            .map(|(n, k)| (n.to_string(), k.public_key()))
            .collect()
    }

    /// Signed by the first `n` dev keys.
    fn signed_by(n: usize) -> SignedCheckpoint {
        let keys = keys();
        let mut s = SignedCheckpoint::unsigned(sample());
        for i in 0..n {
            s.add_signature(NAMES[i], &keys[i]).unwrap();
        }
        s
    }

    #[test]
    fn body_render_parse_round_trip() {
        let cp = sample();
        let body = cp.body();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], "liangxin/liangxin-dev");
        assert_eq!(lines[1], "20852163");
        assert_eq!(BASE64.decode(lines[2]).unwrap(), cp.log_root.as_bytes());
        assert_eq!(
            lines[3],
            format!("1234 {} {}", cp.block_hash.to_hex(), cp.state_root.to_hex())
        );
        assert_eq!(Checkpoint::parse_body(&body).unwrap(), cp);
        let zero = Checkpoint {
            log_size: 0,
            height: 0,
            ..cp.clone()
        };
        assert_eq!(Checkpoint::parse_body(&zero.body()).unwrap(), zero);
        let max = Checkpoint {
            log_size: u64::MAX,
            height: u64::MAX,
            ..cp.clone()
        };
        assert_eq!(Checkpoint::parse_body(&max.body()).unwrap(), max);
        // JSON face.
        let j = serde_json::to_string(&cp).unwrap();
        assert_eq!(serde_json::from_str::<Checkpoint>(&j).unwrap(), cp);
        assert_ne!(cp.digest(), zero.digest());
    }

    #[test]
    fn key_id_matches_the_spec_formula() {
        let k = SigningKey::dev("regulator-1").public_key();
        let mut pre = b"regulator-1\n\x01".to_vec();
        pre.extend_from_slice(k.as_bytes());
        let h = Sha256::digest(&pre);
        assert_eq!(key_id("regulator-1", &k), h[..4]);
        assert_ne!(key_id("regulator-1", &k), key_id("regulator-2", &k));
    }

    #[test]
    fn note_round_trip_and_quorum() {
        let s = signed_by(3);
        let note = s.to_note().unwrap();
        assert!(note.starts_with(&s.checkpoint().body()));
        assert_eq!(note.matches("\n\u{2014} ").count(), 3);
        let p = SignedCheckpoint::parse_note(&note).unwrap();
        assert_eq!(p, s);
        assert_eq!(p.to_note().unwrap(), note);
        let v = validators();
        assert_eq!(p.verify(&v, 3).unwrap(), vec![0, 1, 2]);
        assert_eq!(p.verify(&v, 1).unwrap(), vec![0, 1, 2]);
        let err = p.verify(&v, 4).unwrap_err();
        assert_eq!(
            err,
            Error::Note("checkpoint signed by 3 of 4 validators, quorum is 4".into())
        );
        assert!(
            err.to_string()
                .contains("signed by 3 of 4 validators, quorum is 4")
        );
        assert!(p.verify(&v, 0).is_err());
        p.verify_signer("regulator-2", &v[1].1).unwrap();
        assert!(p.verify_signer("regulator-4", &v[3].1).is_err());
        // Right name, wrong key: not this line's key id.
        assert!(p.verify_signer("regulator-2", &v[0].1).is_err());
        // &str names work too.
        let vs: Vec<(&str, PublicKey)> = v.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(p.verify(&vs, 3).unwrap(), vec![0, 1, 2]);
        // JSON face of a signed checkpoint is its note.
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<String>(&j).unwrap(), note);
        assert_eq!(serde_json::from_str::<SignedCheckpoint>(&j).unwrap(), p);
    }

    #[test]
    fn unsigned_has_no_note() {
        assert!(SignedCheckpoint::unsigned(sample()).to_note().is_err());
        assert!(
            SignedCheckpoint::unsigned(sample())
                .verify(&validators(), 1)
                .is_err()
        );
    }

    #[test]
    fn merge_partial_notes() {
        let keys = keys();
        let cp = sample();
        let mut a = SignedCheckpoint::sign(cp.clone(), NAMES[2], &keys[2]).unwrap();
        a.add_signature(NAMES[0], &keys[0]).unwrap();
        let mut b = SignedCheckpoint::sign(cp.clone(), NAMES[3], &keys[3]).unwrap();
        b.add_signature(NAMES[0], &keys[0]).unwrap();
        let v = validators();
        assert!(a.verify(&v, 3).is_err());
        let mut m = a.clone();
        m.merge(&b).unwrap();
        assert_eq!(m.signatures().len(), 3);
        assert_eq!(m.verify(&v, 3).unwrap(), vec![0, 2, 3]);
        // Sorted by name, so merge order does not matter.
        let mut m2 = b.clone();
        m2.merge(&a).unwrap();
        assert_eq!(m2.to_note().unwrap(), m.to_note().unwrap());
        // Idempotent.
        let before = m.clone();
        m.merge(&before).unwrap();
        assert_eq!(m, before);
        // Re-signing replaces, never duplicates.
        m.add_signature(NAMES[0], &keys[0]).unwrap();
        assert_eq!(m, before);
        // Different checkpoints do not merge.
        let other =
            SignedCheckpoint::sign(Checkpoint { height: 1235, ..cp }, NAMES[1], &keys[1]).unwrap();
        assert!(m.merge(&other).is_err());
        assert_eq!(m, before);
    }

    #[test]
    fn single_lines_and_remove_invalid() {
        let keys = keys();
        let v = validators();
        let mut s = signed_by(2);
        let body = s.checkpoint().body();
        let line = NoteSignature::sign(NAMES[2], &keys[2], &body).unwrap();
        line.verify(NAMES[2], &v[2].1, &body).unwrap();
        assert_eq!(NoteSignature::parse_line(&line.to_line()).unwrap(), line);
        s.add_line(line).unwrap();
        assert_eq!(s.verify(&v, 3).unwrap(), vec![0, 1, 2]);
        // A line by regulator-4 over another body: claims a known key, fails to verify.
        let other = Checkpoint {
            height: 1,
            ..sample()
        };
        let bad = NoteSignature::sign(NAMES[3], &keys[3], &other.body()).unwrap();
        s.add_line(bad).unwrap();
        let err = s.verify(&v, 3).unwrap_err();
        assert!(err.to_string().contains("regulator-4"), "{err}");
        assert_eq!(s.remove_invalid(&v), vec!["regulator-4".to_string()]);
        assert_eq!(s.verify(&v, 3).unwrap(), vec![0, 1, 2]);
        // Bad names are refused.
        assert!(NoteSignature::sign("a b", &keys[0], &body).is_err());
        assert!(NoteSignature::sign("a+b", &keys[0], &body).is_err());
        assert!(NoteSignature::sign("", &keys[0], &body).is_err());
        assert!(NoteSignature::sign("a\u{3000}b", &keys[0], &body).is_err());
        assert!(NoteSignature::sign("a\u{1}b", &keys[0], &body).is_err());
        assert!(s.add_signature("x y", &keys[0]).is_err());
    }

    #[test]
    fn unknown_signers_are_ignored() {
        let s = signed_by(3);
        let mut note = s.to_note().unwrap();
        // A stranger, a known name with a stranger's key, and a non-Ed25519 line.
        let stranger = SigningKey::dev("stranger");
        let body = s.checkpoint().body();
        for line in [
            NoteSignature::sign("example.com/witness", &stranger, &body).unwrap(),
            NoteSignature::sign(NAMES[3], &stranger, &body).unwrap(),
            NoteSignature {
                name: "pq.example/log".into(),
                key_id: [1, 2, 3, 4],
                signature: vec![7; 2420],
            },
            NoteSignature {
                name: "odd".into(),
                key_id: [0xff; 4],
                signature: vec![0xff; 64], // not a canonical Ed25519 encoding
            },
        ] {
            note.push_str(&line.to_line());
            note.push('\n');
        }
        let p = SignedCheckpoint::parse_note(&note).unwrap();
        assert_eq!(p.signatures().len(), 7);
        assert_eq!(p.to_note().unwrap(), note);
        assert_eq!(p.verify(&validators(), 3).unwrap(), vec![0, 1, 2]);
        assert!(p.verify(&validators(), 4).is_err());
    }

    #[test]
    fn validator_list_rules() {
        let s = signed_by(3);
        let mut v = validators();
        v.push(("regulator-1".into(), SigningKey::dev("other").public_key()));
        assert!(s.verify(&v, 3).is_err());
        let mut v = validators();
        v[3].1 = v[0].1;
        assert!(s.verify(&v, 3).is_err());
        let mut v = validators();
        v[3].0 = "bad name".into();
        assert!(s.verify(&v, 3).is_err());
        // Fewer validators than the quorum can never pass.
        assert!(s.verify(&validators()[..2], 3).is_err());
    }

    #[test]
    fn duplicate_lines_are_malformed() {
        let s = signed_by(2);
        let note = s.to_note().unwrap();
        let first = s.signatures()[0].to_line();
        let dup = format!("{note}{first}\n");
        let err = SignedCheckpoint::parse_note(&dup).unwrap_err();
        assert!(err.to_string().contains("two signature lines"), "{err}");
    }

    #[test]
    fn tampering_never_passes() {
        let s = signed_by(3);
        let note = s.to_note().unwrap();
        let v = validators();
        let bytes = note.as_bytes();
        let mut checked = 0;
        for i in 0..bytes.len() {
            // Every byte with its low bit flipped; case flips on every seventh byte.
            let masks: &[u8] = if i % 7 == 0 { &[0x01, 0x20] } else { &[0x01] };
            for &mask in masks {
                let mut t = bytes.to_vec();
                t[i] ^= mask;
                let Ok(text) = String::from_utf8(t) else {
                    continue;
                };
                if let Ok(p) = SignedCheckpoint::parse_note(&text) {
                    assert!(
                        p.verify(&v, 3).is_err(),
                        "tamper at byte {i} mask {mask:#x} passed"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 0);
        // Dropping any line also never passes.
        let lines: Vec<&str> = note.split_inclusive('\n').collect();
        for skip in 0..lines.len() {
            let t: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            if let Ok(p) = SignedCheckpoint::parse_note(&t) {
                assert!(p.verify(&v, 3).is_err(), "dropping line {skip} passed");
            }
        }
    }

    fn malformed(note: &str) {
        assert!(
            SignedCheckpoint::parse_note(note).is_err(),
            "accepted malformed note {note:?}"
        );
    }

    #[test]
    fn malformed_notes_are_rejected() {
        let s = signed_by(1);
        let note = s.to_note().unwrap();
        let body = s.checkpoint().body();
        let line = s.signatures()[0].to_line();
        let good = format!("{body}\n{line}\n");
        assert_eq!(good, note);
        SignedCheckpoint::parse_note(&good).unwrap();

        // Missing blank line, no trailing newline, no signatures, extra blank lines.
        malformed(&format!("{body}{line}\n"));
        malformed(&format!("{body}\n{line}"));
        malformed(&format!("{body}\n"));
        malformed(&body);
        malformed(&format!("{body}\n\n{line}\n"));
        malformed(&format!("{body}\n{line}\n\n"));
        malformed("");
        malformed("\n\n");
        // CRLF anywhere.
        malformed(&good.replace('\n', "\r\n"));
        malformed(&format!("{body}\n{line}\r\n"));
        // Other control characters.
        malformed(&good.replacen("liangxin/", "liangxin/\t", 1));
        // Signature line shape.
        malformed(&format!("{body}\n{}\n", line.replacen('\u{2014}', "-", 1)));
        malformed(&format!(
            "{body}\n{}\n",
            line.replacen("\u{2014} ", "\u{2014}", 1)
        ));
        malformed(&format!(
            "{body}\n{}\n",
            line.replacen("regulator-1", "", 1)
        ));
        malformed(&format!(
            "{body}\n{}\n",
            line.replacen("regulator-1", "regulator 1", 1)
        ));
        malformed(&format!(
            "{body}\n{}\n",
            line.replacen("regulator-1", "regulator+1", 1)
        ));
        malformed(&format!(
            "{body}\n{}\n",
            line.replacen("regulator-1", "reg\u{a0}1", 1)
        ));
        malformed(&format!("{body}\n{line} \n"));
        malformed(&format!("{body}\n\u{2014} regulator-1\n"));
        // Bad base64: invalid characters, missing padding, too short, non-canonical bits.
        malformed(&format!("{body}\n\u{2014} regulator-1 !!!!\n"));
        let b64 = line.rsplit_once(' ').unwrap().1;
        malformed(&format!(
            "{body}\n\u{2014} regulator-1 {}\n",
            b64.trim_end_matches('=')
        ));
        malformed(&format!("{body}\n\u{2014} regulator-1 AAAAAA==\n"));
        malformed(&format!("{body}\n\u{2014} regulator-1 AAAA\n"));
        malformed(&format!("{body}\n\u{2014} regulator-1 AAAAAAB=\n"));
        // URL-safe alphabet is not standard base64.
        let urlsafe = base64::engine::general_purpose::URL_SAFE.encode([0xfb; 68]);
        malformed(&format!("{body}\n\u{2014} regulator-1 {urlsafe}\n"));

        // Body rules.
        let cp = s.checkpoint().clone();
        let with_body = |b: &str| format!("{b}\n{line}\n");
        let swap = |from: &str, to: &str| with_body(&body.replacen(from, to, 1));
        malformed(&swap("20852163", "020852163"));
        malformed(&swap("20852163", "+20852163"));
        malformed(&swap("20852163", "20852163 "));
        malformed(&swap("20852163", "18446744073709551616"));
        malformed(&swap("20852163", ""));
        malformed(&swap("1234 ", "01234 "));
        malformed(&swap("1234 ", "1234  "));
        malformed(&swap(
            &cp.block_hash.to_hex(),
            &cp.block_hash.to_hex().to_uppercase(),
        ));
        malformed(&swap(
            &cp.state_root.to_hex(),
            &cp.state_root.to_hex()[..62],
        ));
        malformed(&swap("liangxin/", "liangxin:"));
        malformed(&swap("liangxin/liangxin-dev", "liangxin/Liangxin-dev"));
        malformed(&swap("liangxin/liangxin-dev", "liangxin/"));
        let root64 = BASE64.encode(cp.log_root.as_bytes());
        malformed(&swap(&root64, &root64.replace('=', "")));
        malformed(&swap(&root64, &BASE64.encode([0u8; 31])));
        malformed(&swap(&root64, &BASE64.encode([0u8; 33])));
        // Wrong number of body lines.
        malformed(&with_body(&format!("{body}extra\n")));
        malformed(&with_body(&body.replacen('\n', "", 1)));
        let three: String = body.split_inclusive('\n').take(3).collect();
        malformed(&with_body(&three));
        malformed(&with_body(&format!("\n{body}")));

        // Oversized note and too many signature lines are refused before parsing.
        let big = format!("{good}{}", "x".repeat(MAX_NOTE_SIZE));
        assert!(matches!(
            SignedCheckpoint::parse_note(&big),
            Err(Error::TooLarge { .. })
        ));
        let many = format!("{good}{}", "\u{2014} a AAAAAAAA\n".repeat(MAX_SIGNATURES));
        let err = SignedCheckpoint::parse_note(&many).unwrap_err();
        assert!(err.to_string().contains("signature lines"), "{err}");
    }

    #[test]
    fn limits_hold_when_building() {
        let mut s = signed_by(1);
        let mut lines = Vec::new();
        for i in 0..MAX_SIGNATURES {
            lines.push(NoteSignature {
                name: format!("w{i}"),
                key_id: [0; 4],
                signature: vec![1; 64],
            });
        }
        let before = s.clone();
        let mut other = SignedCheckpoint::unsigned(sample());
        for l in lines {
            other.add_line(l).unwrap();
        }
        assert_eq!(other.signatures().len(), MAX_SIGNATURES);
        let note = other.to_note().unwrap();
        assert_eq!(SignedCheckpoint::parse_note(&note).unwrap(), other);
        assert!(s.merge(&other).is_err());
        assert_eq!(s, before);
        let huge = NoteSignature {
            name: "big".into(),
            key_id: [0; 4],
            signature: vec![0; MAX_NOTE_SIZE],
        };
        assert!(s.add_line(huge).is_err());
        assert!(
            s.add_line(NoteSignature {
                name: "empty".into(),
                key_id: [0; 4],
                signature: vec![],
            })
            .is_err()
        );
        assert_eq!(s, before);
    }

    fn valid_note() -> String {
        signed_by(3).to_note().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn parse_arbitrary_never_panics(s in "\\PC*") {
            if let Ok(p) = SignedCheckpoint::parse_note(&s) {
                prop_assert_eq!(p.to_note().unwrap(), s);
            }
        }

        #[test]
        fn parse_note_shaped_text_never_panics(
            lines in proptest::collection::vec("(\u{2014} )?[a-z0-9+/= \n-]{0,40}", 0..8)
        ) {
            let s = format!("{}\n{}", sample().body(), lines.concat());
            if let Ok(p) = SignedCheckpoint::parse_note(&s) {
                prop_assert_eq!(p.to_note().unwrap(), s);
            }
        }

        #[test]
        fn mutated_notes_never_panic_and_round_trip(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..4)
        ) {
            let mut chars: Vec<char> = valid_note().chars().collect();
            for (idx, op, c) in edits {
                if chars.is_empty() {
                    chars.push(c);
                    continue;
                }
                let i = idx.index(chars.len());
                match op {
                    0 => chars[i] = c,
                    1 => chars.insert(i, c),
                    _ => {
                        chars.remove(i);
                    }
                }
            }
            let s: String = chars.into_iter().collect();
            if let Ok(p) = SignedCheckpoint::parse_note(&s) {
                prop_assert_eq!(p.to_note().unwrap(), s.clone());
                // A changed note never verifies with all three signers, unless the edit was a
                // no-op (same character written back).
                if s != valid_note() {
                    prop_assert!(p.verify(&validators(), 3).is_err());
                }
            }
        }

        #[test]
        fn any_checkpoint_round_trips(
            chain in "[a-z0-9][a-z0-9.-]{0,20}",
            log_size in any::<u64>(),
            root in any::<[u8; 32]>(),
            height in any::<u64>(),
            block in any::<[u8; 32]>(),
            state in any::<[u8; 32]>(),
        ) {
            let cp = Checkpoint {
                chain_id: ChainId::new(&chain).unwrap(),
                log_size,
                log_root: Hash(root),
                height,
                block_hash: Hash(block),
                state_root: Hash(state),
            };
            prop_assert_eq!(Checkpoint::parse_body(&cp.body()).unwrap(), cp);
        }
    }
}

//! [`Signer`]: an Ed25519 key that signs records into transactions, and its key file.
//!
//! # Key file format
//!
//! One JSON object (UTF-8, a final newline), written with permissions `0600` on Unix:
//!
//! ```json
//! {
//!   "kind": "liangxin-key",
//!   "version": 1,
//!   "public_key": "<64 lowercase hex digits: the Ed25519 public key>",
//!   "seed": "<64 lowercase hex digits: the RFC 8032 secret seed>"
//! }
//! ```
//!
//! Loading checks `kind` and `version`, that `public_key` is the key the seed derives (so a
//! damaged file is caught before anything is signed), and on Unix that neither the group nor
//! others may read or write the file (like `ssh`, it refuses a key anyone else could read:
//! `chmod 600 FILE`). Saving never overwrites an existing file.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use liangxin_contracts::Record;
use liangxin_types::crypto::SEED_LEN;
use liangxin_types::encoding::BoundedBytes;
use liangxin_types::tx::{ChainId, SignedTx, TxBody};
use liangxin_types::{PublicKey, SigningKey};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The `kind` of a key file.
pub const KEY_FILE_KIND: &str = "liangxin-key";
/// The format version this SDK writes and reads.
pub const KEY_FILE_VERSION: u32 = 1;

/// A key file's JSON content.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Always [`KEY_FILE_KIND`].
    pub kind: String,
    /// Always [`KEY_FILE_VERSION`].
    pub version: u32,
    /// The public key (hex), for people and tools that need it without the seed.
    pub public_key: String,
    /// The secret seed (hex).
    pub seed: String,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("kind", &self.kind)
            .field("version", &self.version)
            .field("public_key", &self.public_key)
            .field("seed", &"<secret>")
            .finish()
    }
}

/// An Ed25519 signing key that signs records into [`SignedTx`]s. Its `Debug` output shows the
/// public key only.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.key.public_key())
    }
}

impl Signer {
    /// A signer for an existing key.
    pub fn new(key: SigningKey) -> Self {
        Signer { key }
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self> {
        let mut seed = [0u8; SEED_LEN];
        getrandom::fill(&mut seed)
            .map_err(|e| Error::invalid("random seed", format!("no system randomness: {e}")))?;
        let key = SigningKey::from_seed(&seed);
        seed.fill(0);
        Ok(Signer { key })
    }

    /// The deterministic development key of `label` (`SigningKey::dev`), e.g. `dev-regulator`
    /// for the dev chain's regulator. Its secret is public knowledge: never for real use.
    pub fn dev(label: &str) -> Self {
        Signer {
            key: SigningKey::dev(label),
        }
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs `record` for `chain_id` with sequence number `seq` (the signer's next one: see
    /// `AccountInfo::pending_next_seq`).
    pub fn sign(&self, chain_id: &ChainId, seq: u64, record: &Record) -> Result<SignedTx> {
        let (kind, payload) = record.encode()?;
        let body = TxBody {
            chain_id: chain_id.clone(),
            signer: self.key.public_key(),
            seq,
            kind,
            payload: BoundedBytes::new(payload)?,
        };
        Ok(SignedTx::sign(body, &self.key)?)
    }

    /// The key file content.
    pub fn to_key_file(&self) -> KeyFile {
        KeyFile {
            kind: KEY_FILE_KIND.to_string(),
            version: KEY_FILE_VERSION,
            public_key: self.key.public_key().to_hex(),
            seed: hex::encode(self.key.seed()),
        }
    }

    /// A signer from key file content: checks the kind, the version and that the public key
    /// is the one the seed derives.
    pub fn from_key_file(file: &KeyFile) -> std::result::Result<Self, String> {
        if file.kind != KEY_FILE_KIND {
            return Err(format!(
                "kind is {:?}, expected {KEY_FILE_KIND:?}",
                file.kind.chars().take(40).collect::<String>()
            ));
        }
        if file.version != KEY_FILE_VERSION {
            return Err(format!(
                "version {} is not supported (this SDK reads version {KEY_FILE_VERSION})",
                file.version
            ));
        }
        let key = SigningKey::from_hex(&file.seed).map_err(|e| format!("seed: {e}"))?;
        let public =
            PublicKey::from_hex(&file.public_key).map_err(|e| format!("public_key: {e}"))?;
        if key.public_key() != public {
            return Err(format!(
                "public_key {public} is not the key of this seed ({}): the file is damaged",
                key.public_key()
            ));
        }
        Ok(Signer { key })
    }

    /// Loads a key file (see the module docs for the format and the checks).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bad = |reason: String| Error::KeyFile {
            path: path.to_path_buf(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
        if meta.len() > 4096 {
            return Err(bad(format!(
                "{} bytes is too large for a key file",
                meta.len()
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(bad(format!(
                    "permissions {mode:03o} let others read or change the key; run `chmod 600 {}`",
                    path.display()
                )));
            }
        }
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let file: KeyFile =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a key file: {e}")))?;
        Signer::from_key_file(&file).map_err(bad)
    }

    /// Writes the key file, readable and writable by the owner only. Refuses to overwrite an
    /// existing file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bad = |reason: String| Error::KeyFile {
            path: path.to_path_buf(),
            reason,
        };
        let mut text =
            serde_json::to_string_pretty(&self.to_key_file()).map_err(|e| bad(e.to_string()))?;
        text.push('\n');
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut f = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                bad("already exists; refusing to overwrite a key".into())
            } else {
                bad(e.to_string())
            }
        })?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| bad(e.to_string()))
    }
}

impl From<SigningKey> for Signer {
    fn from(key: SigningKey) -> Self {
        Signer::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liangxin_contracts::testkit::example_records;
    use liangxin_types::Canonical;
    use liangxin_types::tx::VerifiedTx;

    #[test]
    fn key_file_round_trip_and_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let s = Signer::generate().unwrap();
        s.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let back = Signer::load(&path).unwrap();
        assert_eq!(back.public_key(), s.public_key());
        // never overwrites
        let err = Signer::generate().unwrap().save(&path).unwrap_err();
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        assert_eq!(Signer::load(&path).unwrap().public_key(), s.public_key());
        // the format is the documented one
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["kind"], "liangxin-key");
        assert_eq!(v["version"], 1);
        assert_eq!(v["public_key"], s.public_key().to_hex());
        assert_eq!(v["seed"].as_str().unwrap().len(), 64);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_key_others_can_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        Signer::dev("x").save(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Signer::load(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn damaged_key_files_are_refused() {
        let good = Signer::dev("a").to_key_file();
        let other = Signer::dev("b").to_key_file();
        let cases = [
            KeyFile {
                public_key: other.public_key.clone(),
                ..good.clone()
            },
            KeyFile {
                kind: "ssh-key".into(),
                ..good.clone()
            },
            KeyFile {
                version: 2,
                ..good.clone()
            },
            KeyFile {
                seed: "zz".into(),
                ..good.clone()
            },
        ];
        for c in cases {
            assert!(Signer::from_key_file(&c).is_err(), "{c:?}");
        }
        assert!(Signer::from_key_file(&good).is_ok());
        // Debug never shows the seed
        assert!(!format!("{good:?}").contains(&good.seed));
        assert!(!format!("{:?}", Signer::dev("a")).contains(&good.seed));
    }

    #[test]
    fn signs_every_record_kind() {
        let chain = ChainId::new("liangxin-dev").unwrap();
        let s = Signer::dev("operator");
        for (seq, r) in example_records().iter().enumerate() {
            let tx = s.sign(&chain, seq as u64, r).unwrap();
            let bytes = tx.to_canonical().unwrap();
            let v = VerifiedTx::decode(bytes, &chain).unwrap();
            assert_eq!(v.tx.body.seq, seq as u64);
            assert_eq!(v.tx.body.signer, s.public_key());
            assert_eq!(
                Record::decode(v.tx.body.kind, &v.tx.body.payload).unwrap(),
                *r
            );
        }
    }
}

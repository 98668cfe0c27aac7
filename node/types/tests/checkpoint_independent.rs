//! An independent checkpoint verifier written from the C2SP specs (c2sp.org/signed-note and
//! c2sp.org/tlog-checkpoint), using only `ed25519-compact`, `sha2` and `base64`. It shares no
//! parsing or crypto code with `liangxin_types::checkpoint`: the crate is used only to produce
//! notes and to get public keys' raw bytes, and, in the other direction, to check that the crate
//! accepts a note made here by hand.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use liangxin_types::checkpoint::{Checkpoint, SignedCheckpoint};
use liangxin_types::{ChainId, Domain, Hash, PublicKey, SigningKey};

/// A trusted key as the spec describes it: a name and a raw 32-byte Ed25519 key.
struct TrustedKey {
    name: String,
    key: [u8; 32],
}

/// The parsed checkpoint body per tlog-checkpoint, with our one extension line.
#[derive(Debug, PartialEq, Eq)]
struct Body {
    origin: String,
    tree_size: u64,
    root: [u8; 32],
    height: u64,
    block_hash: [u8; 32],
    state_root: [u8; 32],
}

/// key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte key)[:4]
fn spec_key_id(name: &str, key: &[u8; 32]) -> [u8; 4] {
    let mut pre = Vec::new();
    pre.extend_from_slice(name.as_bytes());
    pre.push(0x0a);
    pre.push(0x01);
    pre.extend_from_slice(key);
    let h = Sha256::digest(&pre);
    [h[0], h[1], h[2], h[3]]
}

fn decimal(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(format!("bad decimal {s:?}"));
    }
    s.parse().map_err(|e| format!("{e}"))
}

fn lower_hex32(s: &str) -> Result<[u8; 32], String> {
    if s.len() != 64 || !s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(format!("bad hex {s:?}"));
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn parse_body(text: &str) -> Result<Body, String> {
    let inner = text
        .strip_suffix('\n')
        .ok_or("text must end in a newline")?;
    let lines: Vec<&str> = inner.split('\n').collect();
    if lines.len() < 3 || lines.iter().any(|l| l.is_empty()) {
        return Err("checkpoint needs at least three non-empty lines".into());
    }
    if lines.len() != 4 {
        return Err("expected exactly one extension line".into());
    }
    let root = B64.decode(lines[2]).map_err(|e| e.to_string())?;
    let root: [u8; 32] = root.try_into().map_err(|_| "root hash is not 32 bytes")?;
    let ext: Vec<&str> = lines[3].split(' ').collect();
    if ext.len() != 3 {
        return Err("extension line needs three fields".into());
    }
    Ok(Body {
        origin: lines[0].to_string(),
        tree_size: decimal(lines[1])?,
        root,
        height: decimal(ext[0])?,
        block_hash: lower_hex32(ext[1])?,
        state_root: lower_hex32(ext[2])?,
    })
}

/// Opens a note: returns the body and the names of trusted keys whose signatures verify.
/// Follows signed-note: split at the last empty line, unknown keys ignored, a failing known key
/// rejects the note, and at least one known key must verify.
fn open(note: &str, trusted: &[TrustedKey]) -> Result<(Body, Vec<String>), String> {
    if note.chars().any(|c| c < ' ' && c != '\n') {
        return Err("control character".into());
    }
    let split = note.rfind("\n\n").ok_or("no blank line")?;
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    let sigs = sigs
        .strip_suffix('\n')
        .ok_or("signatures must end in a newline")?;
    let mut verified = Vec::new();
    for line in sigs.split('\n') {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or("line must start with em dash, space")?;
        let (name, b64) = rest.split_once(' ').ok_or("no space after name")?;
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(format!("bad key name {name:?}"));
        }
        let raw = B64.decode(b64).map_err(|e| e.to_string())?;
        if raw.len() < 5 {
            return Err("signature too short".into());
        }
        let (id, sig) = raw.split_at(4);
        let Some(k) = trusted
            .iter()
            .find(|k| k.name == name && spec_key_id(&k.name, &k.key) == id)
        else {
            continue; // unknown key: ignored
        };
        let pk = ed25519_compact::PublicKey::from_slice(&k.key).map_err(|e| e.to_string())?;
        let sig = ed25519_compact::Signature::from_slice(sig).map_err(|e| e.to_string())?;
        pk.verify(text.as_bytes(), &sig)
            .map_err(|e| format!("signature by {name} does not verify: {e}"))?;
        if !verified.contains(&k.name) {
            verified.push(k.name.clone());
        }
    }
    if verified.is_empty() {
        return Err("no trusted signature".into());
    }
    Ok((parse_body(text)?, verified))
}

const NAMES: [&str; 4] = ["regulator-1", "regulator-2", "regulator-3", "regulator-4"];

fn checkpoint() -> Result<Checkpoint, liangxin_types::Error> {
    Ok(Checkpoint {
        chain_id: ChainId::new("liangxin-test")?,
        log_size: 1_000_003,
        log_root: Domain::Document.hash(b"log root"),
        height: 77,
        block_hash: Domain::Header.hash(b"block 77"),
        state_root: Domain::State.hash(b"state 77"),
    })
}

fn trusted() -> Vec<TrustedKey> {
    NAMES
        .iter()
        .map(|n| TrustedKey {
            name: n.to_string(),
            key: *SigningKey::dev(n).public_key().as_bytes(),
        })
        .collect()
}

fn crate_note() -> Result<String, liangxin_types::Error> {
    let mut s = SignedCheckpoint::unsigned(checkpoint()?);
    for n in &NAMES[..3] {
        s.add_signature(n, &SigningKey::dev(n))?;
    }
    s.to_note()
}

#[test]
fn independent_verifier_accepts_crate_note() {
    let note = crate_note().unwrap();
    let (body, signers) = open(&note, &trusted()).unwrap();
    assert_eq!(signers, vec!["regulator-1", "regulator-2", "regulator-3"]);
    let cp = checkpoint().unwrap();
    assert_eq!(
        body,
        Body {
            origin: "liangxin/liangxin-test".into(),
            tree_size: cp.log_size,
            root: cp.log_root.0,
            height: cp.height,
            block_hash: cp.block_hash.0,
            state_root: cp.state_root.0,
        }
    );
    // Only the fourth key trusted: it did not sign, so the note is rejected.
    assert!(open(&note, &trusted()[3..]).is_err());
}

#[test]
fn independent_verifier_rejects_tampered_crate_notes() {
    let note = crate_note().unwrap();
    let trusted = trusted();
    let bytes = note.as_bytes();
    for i in 0..bytes.len() {
        let mut t = bytes.to_vec();
        t[i] ^= 0x01;
        let Ok(text) = String::from_utf8(t) else {
            continue;
        };
        // Tampering may leave some signatures intact (say, a changed name makes a line unknown),
        // but never all three.
        if let Ok((_, signers)) = open(&text, &trusted) {
            assert!(
                signers.len() < 3,
                "tamper at byte {i} still verified by all"
            );
        }
    }
    // A changed body is rejected outright: every known signature now fails.
    let forged = note.replacen("\n77 ", "\n78 ", 1);
    assert!(open(&forged, &trusted).is_err());
}

#[test]
fn crate_accepts_hand_made_note() {
    let seed = [42u8; 32];
    let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed));
    let mut pk = [0u8; 32];
    pk.copy_from_slice(&kp.pk[..]);
    let name = "witness.example/w1";
    let root = [7u8; 32];
    let block = [0xabu8; 32];
    let state = [0x01u8; 32];
    let hex = |b: &[u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let text = format!(
        "liangxin/liangxin-test\n5\n{}\n9 {} {}\n",
        B64.encode(root),
        hex(&block),
        hex(&state)
    );
    let sig = kp.sk.sign(text.as_bytes(), None);
    let mut payload = spec_key_id(name, &pk).to_vec();
    payload.extend_from_slice(&sig[..]);
    let unknown = "\u{2014} someone.else AAECAwQFBgc=\n";
    let note = format!(
        "{text}\n{unknown}\u{2014} {name} {}\n",
        B64.encode(&payload)
    );

    // Our own verifier agrees.
    let tk = TrustedKey {
        name: name.into(),
        key: pk,
    };
    assert_eq!(open(&note, &[tk]).unwrap().1, vec![name.to_string()]);

    let parsed = SignedCheckpoint::parse_note(&note).unwrap();
    assert_eq!(parsed.to_note().unwrap(), note);
    let cp = parsed.checkpoint();
    assert_eq!(cp.body(), text);
    assert_eq!(cp.log_size, 5);
    assert_eq!(cp.height, 9);
    assert_eq!(cp.log_root, Hash(root));
    assert_eq!(cp.block_hash, Hash(block));
    assert_eq!(cp.state_root, Hash(state));
    let key = PublicKey::from_bytes(&pk).unwrap();
    let validators = vec![(name.to_string(), key)];
    assert_eq!(parsed.verify(&validators, 1).unwrap(), vec![0]);
    parsed.verify_signer(name, &key).unwrap();

    // A hand-made signature over different text is refused by the crate.
    let other_sig = kp.sk.sign(b"something else\n", None);
    let mut bad = spec_key_id(name, &pk).to_vec();
    bad.extend_from_slice(&other_sig[..]);
    let bad_note = format!("{text}\n\u{2014} {name} {}\n", B64.encode(&bad));
    let parsed = SignedCheckpoint::parse_note(&bad_note).unwrap();
    assert!(parsed.verify(&validators, 1).is_err());
    assert!(
        open(
            &bad_note,
            &[TrustedKey {
                name: name.into(),
                key: pk
            }]
        )
        .is_err()
    );
}

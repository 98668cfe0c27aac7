//! Verification over a real log (`MerkleLog` + `MemTileStore`), real signed transactions and
//! real checkpoint signatures by four validators (quorum 3).

use liangxin_contracts::testkit::example_records;
use liangxin_rpc::dto::ValidatorInfo;
use liangxin_types::checkpoint::Checkpoint;
use liangxin_types::log::{MemTileStore, MerkleLog};
use liangxin_types::{Canonical, Domain, SigningKey};

use super::*;
use crate::Signer;

const NAMES: [&str; 4] = ["regulator-1", "regulator-2", "regulator-3", "regulator-4"];

fn chain_id() -> ChainId {
    ChainId::new("liangxin-test").unwrap()
}

fn keys() -> Vec<SigningKey> {
    NAMES.iter().map(|n| SigningKey::dev(n)).collect()
}

fn set() -> ValidatorSet {
    ValidatorSet::new(
        chain_id(),
        NAMES
            .iter()
            .zip(keys())
            .map(|(n, k)| (n.to_string(), k.public_key()))
            .collect(),
        3,
    )
    .unwrap()
}

/// A ledger's log: entries (signed transactions of the example records) and checkpoints.
struct Log {
    log: MerkleLog<Blake3>,
    store: MemTileStore<Blake3>,
    entries: Vec<EntryInfo>,
}

impl Log {
    fn new() -> Self {
        Log {
            log: MerkleLog::new(),
            store: MemTileStore::new(),
            entries: Vec::new(),
        }
    }

    /// Appends `n` records signed by the dev key "operator".
    fn append(&mut self, n: usize) {
        self.append_by("operator", n);
    }

    /// Appends `n` records signed by the dev key of `label`.
    fn append_by(&mut self, label: &str, n: usize) {
        let signer = Signer::dev(label);
        let records = example_records();
        for _ in 0..n {
            let i = self.entries.len();
            let record = records[i % records.len()].clone();
            let tx = signer.sign(&chain_id(), i as u64, &record).unwrap();
            let bytes = tx.to_canonical().unwrap();
            let leaf = self.log.append(&bytes);
            assert_eq!(leaf, i as u64);
            self.entries.push(EntryInfo::new(leaf, 1, &bytes, record));
        }
        self.store.insert_all(self.log.take_dirty_tiles());
    }

    fn size(&self) -> u64 {
        self.log.size()
    }

    fn checkpoint_body(&self, height: u64) -> Checkpoint {
        Checkpoint {
            chain_id: chain_id(),
            log_size: self.size(),
            log_root: self.log.root(),
            height,
            block_hash: Domain::Header.hash(&height.to_le_bytes()),
            state_root: Domain::State.hash(&height.to_le_bytes()),
        }
    }

    /// The current log's checkpoint at `height`, signed by the first `signers` validators.
    fn checkpoint(&self, height: u64, signers: usize) -> CheckpointInfo {
        sign(self.checkpoint_body(height), signers)
    }

    fn inclusion(&self, leaf: u64, size: u64) -> InclusionProof {
        InclusionProof {
            leaf_index: leaf,
            tree_size: size,
            hashes: self
                .log
                .reader(&self.store)
                .inclusion_proof(leaf, size)
                .unwrap(),
        }
    }

    fn consistency(&self, size1: u64, size2: u64) -> ConsistencyProof {
        ConsistencyProof {
            size1,
            size2,
            hashes: self
                .log
                .reader(&self.store)
                .consistency_proof(size1, size2)
                .unwrap(),
        }
    }
}

fn sign(cp: Checkpoint, signers: usize) -> CheckpointInfo {
    let keys = keys();
    let mut s = SignedCheckpoint::unsigned(cp);
    for i in 0..signers {
        s.add_signature(NAMES[i], &keys[i]).unwrap();
    }
    CheckpointInfo::from_signed(&s).unwrap()
}

fn flip_hex_char(s: &str, at: usize) -> String {
    let mut c: Vec<char> = s.chars().collect();
    c[at] = if c[at] == '0' { '1' } else { '0' };
    c.into_iter().collect()
}

fn tamper_hash(h: &Hash) -> Hash {
    let mut b = *h.as_bytes();
    b[0] ^= 1;
    Hash::from_bytes(b)
}

#[test]
fn checkpoint_signatures_and_quorum() {
    let mut l = Log::new();
    l.append(5);
    let s = set();
    let v = verify_checkpoint(&s, &l.checkpoint(1, 3)).unwrap();
    assert_eq!(v.signed_by, ["regulator-1", "regulator-2", "regulator-3"]);
    assert_eq!((v.quorum, v.validators), (3, 4));
    assert_eq!(v.checkpoint.log_size, 5);
    let all = verify_checkpoint(&s, &l.checkpoint(1, 4)).unwrap();
    assert_eq!(all.signed_by.len(), 4);

    // too few signatures
    let err = verify_checkpoint(&s, &l.checkpoint(1, 2)).unwrap_err();
    assert!(matches!(err, VerifyError::Checkpoint(_)), "{err}");
    assert!(err.to_string().contains("quorum"), "{err}");

    // signatures by keys outside the set do not count
    let mut outsider = SignedCheckpoint::unsigned(l.checkpoint_body(1));
    for name in ["mallory-1", "mallory-2", "mallory-3"] {
        outsider
            .add_signature(name, &SigningKey::dev(name))
            .unwrap();
    }
    let info = CheckpointInfo::from_signed(&outsider).unwrap();
    assert!(verify_checkpoint(&s, &info).is_err());

    // another chain
    let mut other = l.checkpoint_body(1);
    other.chain_id = ChainId::new("other").unwrap();
    let err = verify_checkpoint(&s, &sign(other, 4)).unwrap_err();
    assert!(err.to_string().contains("chain"), "{err}");
}

#[test]
fn tampered_signature_is_rejected() {
    let mut l = Log::new();
    l.append(3);
    let info = l.checkpoint(1, 3);
    // Flip one base64 character in the first signature line's signature part.
    let (body, sigs) = info.note.split_once("\n\n").unwrap();
    let mut lines: Vec<String> = sigs.lines().map(str::to_string).collect();
    let line = &lines[0];
    let pos = line.len() - 10;
    let mut chars: Vec<char> = line.chars().collect();
    let idx = chars.len() - (line.len() - pos);
    chars[idx] = if chars[idx] == 'A' { 'B' } else { 'A' };
    lines[0] = chars.into_iter().collect();
    let note = format!("{body}\n\n{}\n", lines.join("\n"));
    assert_ne!(note, info.note);
    let tampered = CheckpointInfo { note, ..info };
    let err = verify_checkpoint(&set(), &tampered).unwrap_err();
    assert!(matches!(err, VerifyError::Checkpoint(_)), "{err}");
}

#[test]
fn tampered_root_is_rejected() {
    let mut l = Log::new();
    l.append(7);
    let s = set();
    let info = l.checkpoint(1, 4);
    // A root changed in the convenience field only: the fields no longer match the note.
    let tampered = CheckpointInfo {
        root: tamper_hash(&info.root),
        ..info.clone()
    };
    assert!(verify_checkpoint(&s, &tampered).is_err());
    // A root changed in the signed body: every signature breaks.
    let mut body = l.checkpoint_body(1);
    body.log_root = tamper_hash(&body.log_root);
    let mut forged = SignedCheckpoint::unsigned(body.clone());
    for line in SignedCheckpoint::parse_note(&info.note)
        .unwrap()
        .signatures()
    {
        forged.add_line(line.clone()).unwrap();
    }
    let forged = CheckpointInfo::from_signed(&forged).unwrap();
    assert!(matches!(
        verify_checkpoint(&s, &forged),
        Err(VerifyError::Checkpoint(_))
    ));
    // And an inclusion proof against a tampered root fails.
    let entry = &l.entries[3];
    let proof = l.inclusion(3, l.size());
    assert!(matches!(
        verify_entry(entry, &proof, &body),
        Err(VerifyError::Inclusion(_))
    ));
}

#[test]
fn inclusion_of_every_entry() {
    let mut l = Log::new();
    l.append(300); // more than one tile
    let cp = verify_checkpoint(&set(), &l.checkpoint(1, 3)).unwrap();
    for e in &l.entries {
        let proof = l.inclusion(e.leaf_index, l.size());
        let tx = verify_entry(e, &proof, &cp.checkpoint).unwrap();
        assert_eq!(tx.tx.body.seq, e.leaf_index);
    }
}

#[test]
fn tampered_proof_hash_is_rejected() {
    let mut l = Log::new();
    l.append(40);
    let cp = verify_checkpoint(&set(), &l.checkpoint(1, 3)).unwrap();
    let e = &l.entries[13];
    let proof = l.inclusion(13, l.size());
    for i in 0..proof.hashes.len() {
        let mut bad = proof.clone();
        bad.hashes[i] = tamper_hash(&bad.hashes[i]);
        assert!(
            matches!(
                verify_entry(e, &bad, &cp.checkpoint),
                Err(VerifyError::Inclusion(_))
            ),
            "hash {i}"
        );
    }
    // a missing or extra hash
    let mut short = proof.clone();
    short.hashes.pop();
    assert!(verify_entry(e, &short, &cp.checkpoint).is_err());
    let mut long = proof.clone();
    long.hashes.push(Hash::ZERO);
    assert!(verify_entry(e, &long, &cp.checkpoint).is_err());
    // a proof of another leaf, or for another size
    assert!(matches!(
        verify_entry(e, &l.inclusion(12, l.size()), &cp.checkpoint),
        Err(VerifyError::Mismatch(_))
    ));
    assert!(matches!(
        verify_entry(e, &l.inclusion(13, 20), &cp.checkpoint),
        Err(VerifyError::Mismatch(_))
    ));
}

#[test]
fn tampered_record_byte_is_rejected() {
    let mut l = Log::new();
    l.append(20);
    let cp = verify_checkpoint(&set(), &l.checkpoint(1, 3)).unwrap();
    let e = &l.entries[9];
    let proof = l.inclusion(9, l.size());
    verify_entry(e, &proof, &cp.checkpoint).unwrap();
    // every single-byte change of the leaf bytes is caught
    for at in (0..e.tx.len()).step_by(2) {
        let tampered = EntryInfo {
            tx: flip_hex_char(&e.tx, at),
            ..e.clone()
        };
        assert!(
            verify_entry(&tampered, &proof, &cp.checkpoint).is_err(),
            "byte {}",
            at / 2
        );
    }
    // the JSON view of the record must be what the bytes carry
    let tampered = EntryInfo {
        record: l.entries[10].record.clone(),
        ..e.clone()
    };
    assert!(matches!(
        verify_entry(&tampered, &proof, &cp.checkpoint),
        Err(VerifyError::Mismatch(_))
    ));
}

#[test]
fn consistency_between_checkpoints() {
    let mut l = Log::new();
    l.append(10);
    let a = l.checkpoint_body(1);
    l.append(250);
    let b = l.checkpoint_body(2);
    let proof = l.consistency(10, 260);
    verify_consistency(&a, &b, &proof).unwrap();
    for i in 0..proof.hashes.len() {
        let mut bad = proof.clone();
        bad.hashes[i] = tamper_hash(&bad.hashes[i]);
        assert!(matches!(
            verify_consistency(&a, &b, &bad),
            Err(VerifyError::Consistency(_))
        ));
    }
    // tampered roots
    let mut a2 = a.clone();
    a2.log_root = tamper_hash(&a.log_root);
    assert!(verify_consistency(&a2, &b, &proof).is_err());
    let mut b2 = b.clone();
    b2.log_root = tamper_hash(&b.log_root);
    assert!(verify_consistency(&a, &b2, &proof).is_err());
    // backwards
    assert!(matches!(
        verify_consistency(&b, &a, &proof),
        Err(VerifyError::Rollback(_))
    ));
    // same size, other root
    assert!(matches!(
        verify_consistency(&a, &a2, &empty_proof(10)),
        Err(VerifyError::Fork(_))
    ));
}

#[test]
fn light_client_follows_the_log() {
    let mut l = Log::new();
    let mut lc = LightClient::new(set());
    l.append(5);
    let c1 = l.checkpoint(1, 3);
    let (v, link) = lc.update(&c1, None).unwrap();
    assert_eq!(link, Link::First);
    assert_eq!(v.signed_by.len(), 3);

    l.append(100);
    let c2 = l.checkpoint(2, 4);
    // without a proof: refused, and nothing changes
    assert!(lc.update(&c2, None).is_err());
    assert_eq!(lc.latest_size(), Some(5));
    // with a wrong proof: refused
    let mut bad = l.consistency(5, 105);
    bad.hashes[0] = tamper_hash(&bad.hashes[0]);
    assert!(matches!(
        lc.update(&c2, Some(&bad)),
        Err(VerifyError::Consistency(_))
    ));
    assert_eq!(lc.latest_size(), Some(5));
    // a proof from the wrong size: refused
    assert!(lc.update(&c2, Some(&l.consistency(4, 105))).is_err());
    // with the proof: accepted
    let (_, link) = lc.update(&c2, Some(&l.consistency(5, 105))).unwrap();
    assert_eq!(
        link,
        Link::Extends {
            from_size: 5,
            to_size: 105
        }
    );
    assert_eq!(lc.latest_size(), Some(105));

    // an empty block: same log, higher height
    let c3 = l.checkpoint(3, 3);
    assert_eq!(lc.update(&c3, None).unwrap().1, Link::Same);

    // the older checkpoint is still a prefix of the latest
    let (_, link) = lc.check_older(&c1, Some(&l.consistency(5, 105))).unwrap();
    assert_eq!(
        link,
        Link::Prefix {
            size: 5,
            latest_size: 105
        }
    );

    // rollback: an older checkpoint (smaller log, lower height) is not accepted as newer
    assert!(matches!(
        lc.update(&c1, None),
        Err(VerifyError::Rollback(_))
    ));
    assert_eq!(lc.latest().unwrap().checkpoint.height, 3);
}

#[test]
fn light_client_rejects_forks_and_weak_checkpoints() {
    let mut honest = Log::new();
    honest.append(8);
    let mut lc = LightClient::new(set());
    lc.update(&honest.checkpoint(1, 3), None).unwrap();

    // A fork: a different log of 8 leaves (signed by someone else), signed by a quorum.
    let mut forked8 = Log::new();
    forked8.append_by("someone else", 8);
    let f = forked8.checkpoint(2, 4);
    let mut fork = Log::new();
    fork.append_by("someone else", 9);
    assert!(matches!(lc.update(&f, None), Err(VerifyError::Fork(_))));

    // A larger forked log: its consistency proof from 8 cannot match the honest root.
    let f2 = fork.checkpoint(2, 4);
    assert!(matches!(
        lc.update(&f2, Some(&fork.consistency(8, 9))),
        Err(VerifyError::Consistency(_))
    ));

    // Two different checkpoints at the same height.
    honest.append(1);
    let same_height = honest.checkpoint(1, 3);
    assert!(matches!(
        lc.update(&same_height, Some(&honest.consistency(8, 9))),
        Err(VerifyError::Fork(_))
    ));

    // Too few signatures on an otherwise valid newer checkpoint.
    let weak = honest.checkpoint(2, 2);
    assert!(matches!(
        lc.update(&weak, Some(&honest.consistency(8, 9))),
        Err(VerifyError::Checkpoint(_))
    ));
    assert_eq!(lc.latest_size(), Some(8));
    lc.update(&honest.checkpoint(2, 3), Some(&honest.consistency(8, 9)))
        .unwrap();
    assert_eq!(lc.latest_size(), Some(9));
}

#[test]
fn validator_sets() {
    let info = ChainInfo {
        chain_id: chain_id(),
        genesis_hash: liangxin_types::Hash::ZERO,
        origin: chain_id().origin(),
        height: 1,
        log_size: 0,
        validators: NAMES
            .iter()
            .zip(keys())
            .map(|(n, k)| ValidatorInfo {
                name: n.to_string(),
                public_key: k.public_key(),
            })
            .collect(),
        quorum: 3,
    };
    assert_eq!(ValidatorSet::from_chain_info(&info).unwrap(), set());
    // a quorum that lets a minority finalise is refused
    for q in [0, 1, 2, 5] {
        let weak = ChainInfo {
            quorum: q,
            ..info.clone()
        };
        assert!(ValidatorSet::from_chain_info(&weak).is_err(), "{q}");
    }
    let dev = ValidatorSet::from_genesis(&Genesis::dev()).unwrap();
    assert_eq!(dev.quorum(), 1);
    assert_eq!(dev.validators()[0].0, "dev-regulator");
    assert_eq!(
        dev.validators()[0].1,
        SigningKey::dev("dev-regulator").public_key()
    );
    assert_eq!(
        [1, 2, 3, 4, 5, 6, 7, 10].map(bft_quorum),
        [1, 2, 3, 3, 4, 5, 5, 7]
    );
}

#[test]
fn state_proofs_are_never_claimed() {
    assert_eq!(
        StateProofStatus::of(&serde_json::Value::Null),
        StateProofStatus::NotProvided
    );
    assert_eq!(
        StateProofStatus::of(&serde_json::json!({"root": "00"})),
        StateProofStatus::NotVerifiable
    );
}

/// A resolved draw's block seed: the resolving header's VRF proof by a validator, and the header
/// final under a quorum checkpoint, directly or through descendants linked by parent hash.
#[test]
fn block_seed_of_a_resolved_draw() {
    use liangxin_types::block::prove_seed;
    use liangxin_types::{BlockHeader, KeyBytes};

    let keys = keys();
    let header = |height: u64, parent: Hash, proposer: &SigningKey| BlockHeader {
        chain_id: chain_id(),
        height,
        view: height + 2,
        parent,
        time: 1_767_225_600,
        proposer: KeyBytes::from(proposer.public_key()),
        seed_proof: prove_seed(proposer, height, &parent).0,
        tx_count: 0,
        body_hash: Domain::Header.hash(b"body"),
        log_size: 40,
        log_root: Domain::Header.hash(b"log"),
        state_root: Domain::Header.hash(b"state"),
    };
    let h41 = header(41, Domain::Header.hash(b"block 40"), &keys[2]);
    let h42 = header(42, h41.hash().unwrap(), &keys[3]);
    let final_at = |h: &BlockHeader, signers: usize| {
        sign(
            Checkpoint {
                chain_id: chain_id(),
                log_size: 40,
                log_root: Domain::Header.hash(b"log"),
                height: h.height,
                block_hash: h.hash().unwrap(),
                state_root: Domain::Header.hash(b"state"),
            },
            signers,
        )
    };
    let res = DrawResolution {
        height: 41,
        block_seed: h41.seed().unwrap(),
        header: h41.clone(),
        descendants: vec![h42.clone()],
        final_checkpoint: final_at(&h42, 3),
        seed: Hash::ZERO,
        targets: vec![],
    };
    let set = set();
    verify_block_seed(&set, &res).unwrap();
    // Final under its own checkpoint, with no descendants.
    let own = DrawResolution {
        descendants: vec![],
        final_checkpoint: final_at(&h41, 3),
        ..res.clone()
    };
    verify_block_seed(&set, &own).unwrap();

    let refused = |r: DrawResolution, what: &str| {
        let e = verify_block_seed(&set, &r).unwrap_err().to_string();
        assert!(e.contains(what), "{e} (expected {what:?})");
    };
    // The seed is not the header's VRF output, or the proof is another key's.
    refused(
        DrawResolution {
            block_seed: Domain::Seed.hash(b"chosen"),
            ..res.clone()
        },
        "not the resolving block's VRF output",
    );
    let mut forged = res.clone();
    forged.header.seed_proof = prove_seed(&keys[0], 41, &forged.header.parent).0;
    refused(forged, "seed proof");
    // A proposer outside the set, with its own valid proof.
    let outsider = SigningKey::dev("outsider");
    let mut out = res.clone();
    out.header = header(41, h41.parent, &outsider);
    out.block_seed = out.header.seed().unwrap();
    refused(out, "not a validator");
    // Not final: the link dropped, a descendant altered, too few signers.
    refused(
        DrawResolution {
            descendants: vec![],
            ..res.clone()
        },
        "not the block final",
    );
    let mut altered = res.clone();
    altered.descendants[0].parent = Domain::Header.hash(b"elsewhere");
    refused(altered, "does not extend");
    let weak = DrawResolution {
        final_checkpoint: final_at(&h42, 2),
        ..res.clone()
    };
    assert!(verify_block_seed(&set, &weak).is_err());
}

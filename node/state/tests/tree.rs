#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use liangxin_state::hash::{leaf_hash, node_hash};
use liangxin_state::{
    DEFAULT_KEEP_VERSIONS, EMPTY, Error, MemNodes, NodeReader, ProofLeaf, StateProof, TreeUpdate,
    apply, apply_keeping, get, key_hash, latest_version, prove, root, value_hash,
};
use liangxin_types::encoding::BoundedVec;
use liangxin_types::{Canonical, Hash};
use proptest::prelude::*;

type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;
type State = BTreeMap<Vec<u8>, Vec<u8>>;

fn bit(h: &Hash, i: usize) -> bool {
    (h.0[i / 8] >> (7 - i % 8)) & 1 == 1
}

/// The root straight from the specification in the README, with no storage at all.
fn spec_root(state: &State) -> Hash {
    fn t(leaves: &[(Hash, Hash)], d: usize) -> Hash {
        match leaves {
            [] => EMPTY,
            [(k, v)] => leaf_hash(k, v),
            _ => {
                let split = leaves.partition_point(|(k, _)| !bit(k, d));
                node_hash(&t(&leaves[..split], d + 1), &t(&leaves[split..], d + 1))
            }
        }
    }
    let mut leaves: Vec<(Hash, Hash)> = state
        .iter()
        .map(|(k, v)| (key_hash(k), value_hash(v)))
        .collect();
    leaves.sort();
    t(&leaves, 0)
}

/// Applies `blocks` as consecutive versions from a fresh store.
fn build(blocks: &[Writes], keep: u64) -> (MemNodes, Vec<TreeUpdate>) {
    let mut store = MemNodes::new();
    let mut updates = Vec::new();
    for (v, w) in blocks.iter().enumerate() {
        let u = apply_keeping(&store, v as u64, w, keep).unwrap();
        store.apply_update(&u);
        updates.push(u);
    }
    (store, updates)
}

fn set(pairs: &[(&[u8], &[u8])]) -> Writes {
    pairs
        .iter()
        .map(|(k, v)| (k.to_vec(), Some(v.to_vec())))
        .collect()
}

fn del(keys: &[&[u8]]) -> Writes {
    keys.iter().map(|k| (k.to_vec(), None)).collect()
}

fn check_all_proofs(store: &MemNodes, version: u64, state: &State, absent: &[Vec<u8>]) {
    let r = root(store, version).unwrap();
    for (k, v) in state {
        let (got, proof) = prove(store, version, k).unwrap();
        assert_eq!(got.as_ref(), Some(v));
        proof.verify(&r, k, Some(v)).unwrap();
        assert!(
            proof.verify(&r, k, None).is_err(),
            "present key claimed absent"
        );
        assert!(
            proof.verify(&r, k, Some(b"other value")).is_err(),
            "wrong value"
        );
        assert_eq!(get(store, version, k).unwrap().as_ref(), Some(v));
    }
    for k in absent {
        if state.contains_key(k) {
            continue;
        }
        let (got, proof) = prove(store, version, k).unwrap();
        assert_eq!(got, None);
        proof.verify(&r, k, None).unwrap();
        assert!(
            proof.verify(&r, k, Some(b"x")).is_err(),
            "absent key claimed present"
        );
        assert_eq!(get(store, version, k).unwrap(), None);
    }
}

/// Records a store holds for `n` live keys when only the latest version is kept: n leaves, n - 1
/// branches, the root record and the meta record.
fn expected_records(n: usize) -> usize {
    if n == 0 { 2 } else { 2 * n + 1 }
}

#[test]
fn empty_tree() {
    let (store, updates) = build(&[Writes::new()], 1);
    assert_eq!(updates[0].root, EMPTY);
    assert_eq!(EMPTY, Hash([0; 32]));
    assert_eq!(root(&store, 0).unwrap(), EMPTY);
    let (value, proof) = prove(&store, 0, b"anything").unwrap();
    assert_eq!(value, None);
    assert_eq!(proof.leaf, None);
    assert!(proof.siblings.is_empty());
    proof.verify(&EMPTY, b"anything", None).unwrap();
    assert!(proof.verify(&EMPTY, b"anything", Some(b"v")).is_err());
    assert!(proof.verify(&Hash([1; 32]), b"anything", None).is_err());
    assert_eq!(store.len(), expected_records(0));
}

#[test]
fn fixed_vectors() {
    // Pinned so that other implementations (the SDK, a browser verifier) can check themselves;
    // the same values come out of a 20-line Python re-implementation of the README's spec.
    let one = set(&[(b"a", b"1")]);
    let (_, u1) = build(&[one], 1);
    assert_eq!(u1[0].root, leaf_hash(&key_hash(b"a"), &value_hash(b"1")));
    assert_eq!(
        key_hash(b"a").to_hex(),
        hex_of(&blake3::derive_key("liangxin 2026-11 state key", b"a"))
    );
    let two = set(&[(b"a", b"1"), (b"b", b"2")]);
    let (_, u) = build(&[two], 1);
    let three = set(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]);
    let (_, u3) = build(&[three], 1);
    let vectors = [
        (key_hash(b"a").to_hex(), VECTOR_KEY_A),
        (value_hash(b"1").to_hex(), VECTOR_VALUE_1),
        (u1[0].root.to_hex(), VECTOR_ROOT_A),
        (u[0].root.to_hex(), VECTOR_ROOT_AB),
        (u3[0].root.to_hex(), VECTOR_ROOT_ABC),
    ];
    for (got, want) in vectors {
        assert_eq!(got, want);
    }
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const VECTOR_KEY_A: &str = "d1f610b8f7a2a2b40a4d022443bc8bc13abbe52d4c3559d9d10f64fd1c4b2689";
const VECTOR_VALUE_1: &str = "5e951a21a1dd9fed4d0665e8200426904c23c9ce882a0c1357611e7f93142328";
const VECTOR_ROOT_A: &str = "ac6ac19e83863d5edb32442afcdf514b5027ae1b42f4a3e8adde3f7b5bb2d5a4";
const VECTOR_ROOT_AB: &str = "1c66d7c159371ce68ce1eb3a322eae841f465680853a5822ca7c48b0522fca12";
const VECTOR_ROOT_ABC: &str = "5fc74d3567349663f94897bbe9d5bb227c9ac64671f34df3f053e4e2debefb4e";

#[test]
fn versions_must_follow_each_other() {
    let mut store = MemNodes::new();
    assert_eq!(latest_version(&store).unwrap(), None);
    assert_eq!(
        apply(&store, 1, &Writes::new()).unwrap_err(),
        Error::VersionOrder {
            expected: 0,
            got: 1
        }
    );
    let u = apply(&store, 0, &set(&[(b"k", b"v")])).unwrap();
    store.apply_update(&u);
    assert_eq!(latest_version(&store).unwrap(), Some(0));
    assert!(matches!(
        apply(&store, 0, &Writes::new()),
        Err(Error::VersionOrder {
            expected: 1,
            got: 0
        })
    ));
    assert!(matches!(
        apply(&store, 2, &Writes::new()),
        Err(Error::VersionOrder { .. })
    ));
    assert!(matches!(
        root(&store, 1),
        Err(Error::VersionUnavailable {
            version: 1,
            latest: Some(0)
        })
    ));
    assert!(matches!(
        prove(&store, 5, b"k"),
        Err(Error::VersionUnavailable { .. })
    ));
}

#[test]
fn deletes_give_the_root_of_a_tree_without_those_keys() {
    let keys: Vec<Vec<u8>> = (0..200u32)
        .map(|i| format!("key-{i}").into_bytes())
        .collect();
    let all: Writes = keys
        .iter()
        .map(|k| (k.clone(), Some(k.repeat(2))))
        .collect();
    let dels: Writes = keys.iter().step_by(3).map(|k| (k.clone(), None)).collect();
    let (store, u) = build(&[all.clone(), dels.clone()], 1);
    let kept: Writes = all
        .into_iter()
        .filter(|(k, _)| !dels.contains_key(k))
        .collect();
    let (_, fresh) = build(std::slice::from_ref(&kept), 1);
    assert_eq!(u[1].root, fresh[0].root);
    let state: State = kept.into_iter().map(|(k, v)| (k, v.unwrap())).collect();
    assert_eq!(u[1].root, spec_root(&state));
    let absent: Vec<Vec<u8>> = dels.keys().cloned().collect();
    check_all_proofs(&store, 1, &state, &absent);
    assert_eq!(store.len(), expected_records(state.len()));

    // Deleting everything gives the empty tree back, and an empty store but for two records.
    let rest: Writes = state.keys().map(|k| (k.clone(), None)).collect();
    let u = apply_keeping(&store, 2, &rest, 1).unwrap();
    assert_eq!(u.root, EMPTY);
    let mut store = store;
    store.apply_update(&u);
    assert_eq!(store.len(), expected_records(0));
}

#[test]
fn no_op_writes_change_nothing() {
    let (store, u) = build(&[set(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])], 1);
    let mut w = set(&[(b"a", b"1")]);
    w.insert(b"zzz".to_vec(), None);
    let u1 = apply_keeping(&store, 1, &w, 1).unwrap();
    assert_eq!(u1.root, u[0].root);
    // Only the root record and meta are written; only the old root record is deleted.
    assert_eq!(u1.puts.len(), 2, "{:?}", u1.puts);
    assert_eq!(u1.deletes.len(), 1);
}

/// Keys whose hashes share many leading bits (found by a birthday search), so that the tree has
/// long runs of single-child levels.
fn colliding_prefix_keys(count: usize) -> (Vec<Vec<u8>>, usize) {
    let mut hashed: Vec<(Hash, Vec<u8>)> = (0..count as u32)
        .map(|i| {
            let k = format!("operator/91350100MA2XXXXX{i:08}").into_bytes();
            (key_hash(&k), k)
        })
        .collect();
    hashed.sort();
    let (best, shared) = hashed
        .windows(2)
        .map(|w| {
            let shared = (0..256)
                .take_while(|&i| bit(&w[0].0, i) == bit(&w[1].0, i))
                .count();
            (vec![w[0].1.clone(), w[1].1.clone()], shared)
        })
        .max_by_key(|(_, s)| *s)
        .unwrap();
    (best, shared)
}

#[test]
fn keys_sharing_long_prefixes() {
    let (pair, shared) = colliding_prefix_keys(1 << 16);
    assert!(shared >= 20, "only {shared} bits shared");
    // Raw keys with long common prefixes too.
    let mut state: State = pair.iter().map(|k| (k.clone(), b"v".to_vec())).collect();
    for i in 0..50u8 {
        let mut k = vec![b'p'; 300];
        k.push(i);
        state.insert(k, vec![i; 100]);
    }
    // Alone, the pair sits under a branch at depth `shared` reached through `shared` empty levels.
    let pair_only: State = pair.iter().map(|k| (k.clone(), b"v".to_vec())).collect();
    let w: Writes = pair_only
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    let (store, u) = build(&[w], 1);
    assert_eq!(u[0].root, spec_root(&pair_only));
    let (_, proof) = prove(&store, 0, &pair[0]).unwrap();
    assert_eq!(proof.siblings.len(), shared + 1);
    check_all_proofs(&store, 0, &pair_only, &[b"x".to_vec(), b"y".to_vec()]);

    // Then with everything else, added one key per version, then removed again.
    let mut blocks = vec![Writes::new()];
    for (k, v) in &state {
        blocks.push([(k.clone(), Some(v.clone()))].into_iter().collect());
    }
    let (store, u) = build(&blocks, 1);
    assert_eq!(u.last().unwrap().root, spec_root(&state));
    let version = u.len() as u64 - 1;
    let absent: Vec<Vec<u8>> = (0..100u32)
        .map(|i| format!("absent-{i}").into_bytes())
        .collect();
    check_all_proofs(&store, version, &state, &absent);
    assert_eq!(store.len(), expected_records(state.len()));

    let mut store = store;
    let mut live = state.clone();
    for (i, k) in state.keys().enumerate() {
        live.remove(k);
        let u = apply_keeping(&store, version + 1 + i as u64, &del(&[k]), 1).unwrap();
        store.apply_update(&u);
        assert_eq!(u.root, spec_root(&live));
        assert_eq!(store.len(), expected_records(live.len()));
    }
}

#[test]
fn tampered_proofs_fail() {
    let state: State = (0..64u32)
        .map(|i| (format!("k{i}").into_bytes(), format!("v{i}").into_bytes()))
        .collect();
    let w: Writes = state
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    let (store, u) = build(&[w], 1);
    let r = u[0].root;
    let (_, proof) = prove(&store, 0, b"k7").unwrap();
    proof.verify(&r, b"k7", Some(b"v7")).unwrap();
    assert!(proof.verify(&r, b"k7", Some(b"v8")).is_err());
    assert!(proof.verify(&r, b"k8", Some(b"v7")).is_err());
    assert!(proof.verify(&r, b"k7", None).is_err());
    let mut wrong_root = r;
    wrong_root.0[0] ^= 1;
    assert!(proof.verify(&wrong_root, b"k7", Some(b"v7")).is_err());

    for i in 0..proof.siblings.len() {
        let mut s = proof.siblings.to_vec();
        s[i].0[31] ^= 0x80;
        let bad = StateProof {
            leaf: proof.leaf,
            siblings: BoundedVec::new(s).unwrap(),
        };
        assert!(bad.verify(&r, b"k7", Some(b"v7")).is_err(), "sibling {i}");
    }
    let shorter = StateProof {
        leaf: proof.leaf,
        siblings: BoundedVec::new(proof.siblings[1..].to_vec()).unwrap(),
    };
    assert!(shorter.verify(&r, b"k7", Some(b"v7")).is_err());
    let mut longer = proof.siblings.to_vec();
    longer.push(Hash([9; 32]));
    let longer = StateProof {
        leaf: proof.leaf,
        siblings: BoundedVec::new(longer).unwrap(),
    };
    assert!(longer.verify(&r, b"k7", Some(b"v7")).is_err());
    let no_leaf = StateProof {
        leaf: None,
        siblings: proof.siblings.clone(),
    };
    assert!(no_leaf.verify(&r, b"k7", None).is_err());

    // An absence proof cannot be turned into a presence proof, nor moved to a present key.
    let (value, absent) = prove(&store, 0, b"nope").unwrap();
    assert_eq!(value, None);
    absent.verify(&r, b"nope", None).unwrap();
    assert!(absent.verify(&r, b"nope", Some(b"")).is_err());
    assert!(absent.verify(&r, b"k7", None).is_err());
    if let Some(leaf) = absent.leaf {
        // The neighbour's leaf, presented as the key's own.
        let forged = StateProof {
            leaf: Some(ProofLeaf {
                key_hash: key_hash(b"nope"),
                value_hash: leaf.value_hash,
            }),
            siblings: absent.siblings.clone(),
        };
        assert!(forged.verify(&r, b"nope", None).is_err());
    }
    // The present key's proof with its leaf dropped, or with an empty deepest sibling.
    let mut s = proof.siblings.to_vec();
    s.push(EMPTY);
    let padded = StateProof {
        leaf: proof.leaf,
        siblings: BoundedVec::new(s).unwrap(),
    };
    assert_eq!(
        padded.verify(&r, b"k7", Some(b"v7")).unwrap_err(),
        Error::InvalidProof("the deepest sibling is empty")
    );
}

#[test]
fn proof_encodings() {
    let (store, _) = build(&[set(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])], 1);
    let r = root(&store, 0).unwrap();
    for key in [b"a".as_slice(), b"zz"] {
        let (value, proof) = prove(&store, 0, key).unwrap();
        let json = serde_json::to_string(&proof).unwrap();
        assert!(!json.chars().any(|c| c.is_ascii_uppercase()), "{json}");
        let back: StateProof = serde_json::from_str(&json).unwrap();
        assert_eq!(back, proof);
        let bytes = proof.to_bytes().unwrap();
        assert_eq!(bytes, proof.to_canonical().unwrap());
        let expected_len =
            1 + if proof.leaf.is_some() { 64 } else { 0 } + 1 + 32 * proof.siblings.len();
        assert_eq!(bytes.len(), expected_len);
        let back = StateProof::from_bytes(&bytes).unwrap();
        assert_eq!(back, proof);
        back.verify(&r, key, value.as_deref()).unwrap();
        // Trailing bytes, truncations and a bad option tag are rejected without panicking.
        let mut long = bytes.clone();
        long.push(0);
        assert!(StateProof::from_bytes(&long).is_err());
        for cut in 0..bytes.len() {
            assert!(StateProof::from_bytes(&bytes[..cut]).is_err());
        }
        let mut tag = bytes.clone();
        tag[0] = 2;
        assert!(StateProof::from_bytes(&tag).is_err());
    }
    let json = r#"{"leaf":null,"siblings":["zz"]}"#;
    assert!(serde_json::from_str::<StateProof>(json).is_err());
    // More than 256 siblings: rejected by both decoders.
    let mut many = vec![0u8, 0x81, 0x02];
    many.extend(std::iter::repeat_n(7u8, 32 * 257));
    assert!(StateProof::from_bytes(&many).is_err());
    let sibs: Vec<String> = (0..257).map(|_| "07".repeat(32)).collect();
    let json = format!(
        r#"{{"leaf":null,"siblings":{}}}"#,
        serde_json::to_string(&sibs).unwrap()
    );
    assert!(serde_json::from_str::<StateProof>(&json).is_err());
    // 256 siblings of junk verify to some root, and never panic.
    let sibs = BoundedVec::new(vec![Hash([7; 32]); 256]).unwrap();
    let p = StateProof {
        leaf: Some(ProofLeaf {
            key_hash: key_hash(b"a"),
            value_hash: value_hash(b"1"),
        }),
        siblings: sibs,
    };
    assert!(p.verify(&r, b"a", Some(b"1")).is_err());
    assert!(p.verify(&r, b"b", None).is_err());
}

#[test]
fn kept_versions_stay_provable_and_older_ones_are_pruned() {
    let keep = 3;
    let mut blocks = Vec::new();
    let mut states = Vec::new();
    let mut state = State::new();
    for v in 0..10u32 {
        let mut w = Writes::new();
        for i in 0..20u32 {
            let k = format!("k{}", (v * 7 + i) % 50).into_bytes();
            if (v + i) % 5 == 0 {
                w.insert(k.clone(), None);
                state.remove(&k);
            } else {
                let val = format!("{v}/{i}").into_bytes();
                w.insert(k.clone(), Some(val.clone()));
                state.insert(k, val);
            }
        }
        blocks.push(w);
        states.push(state.clone());
    }
    let (store, updates) = build(&blocks, keep);
    let latest = 9u64;
    for v in 0..=latest {
        if v + keep > latest {
            let r = root(&store, v).unwrap();
            assert_eq!(r, updates[v as usize].root);
            assert_eq!(r, spec_root(&states[v as usize]));
            let absent: Vec<Vec<u8>> = (50..60).map(|i| format!("k{i}").into_bytes()).collect();
            check_all_proofs(&store, v, &states[v as usize], &absent);
        } else {
            assert!(matches!(
                root(&store, v),
                Err(Error::VersionUnavailable { .. })
            ));
            assert!(prove(&store, v, b"k1").is_err());
        }
    }
    // Keeping fewer versions from now on prunes the backlog in one update.
    let u = apply_keeping(&store, latest + 1, &Writes::new(), 1).unwrap();
    let mut store = store;
    store.apply_update(&u);
    assert_eq!(store.len(), expected_records(state.len()));
    // The default keeps DEFAULT_KEEP_VERSIONS.
    let mut store2 = MemNodes::new();
    for v in 0..(DEFAULT_KEEP_VERSIONS + 3) {
        let u = apply(&store2, v, &set(&[(format!("k{v}").as_bytes(), b"v")])).unwrap();
        store2.apply_update(&u);
    }
    let latest = DEFAULT_KEEP_VERSIONS + 2;
    assert!(root(&store2, latest + 1 - DEFAULT_KEEP_VERSIONS).is_ok());
    assert!(root(&store2, latest - DEFAULT_KEEP_VERSIONS).is_err());
}

/// A reader whose storage fails, or returns garbage: errors, never panics.
struct Broken(u8);

impl NodeReader for Broken {
    fn get_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.0 {
            0 => Err(Error::Storage("disk on fire".into())),
            1 if key == b"m" => Ok(Some(vec![0; 16])),
            1 => Ok(Some(vec![1, 2, 3])),
            _ => Ok(Some(key.repeat(3))),
        }
    }
}

#[test]
fn storage_failures_are_errors() {
    for mode in 0..3 {
        let r = Broken(mode);
        assert!(root(&r, 0).is_err());
        assert!(prove(&r, 0, b"k").is_err());
        assert!(apply(&r, 1, &set(&[(b"a", b"b")])).is_err());
    }
}

fn arb_blocks() -> impl Strategy<Value = Vec<Writes>> {
    let key = prop::collection::vec(0u8..4, 0..4);
    let value = prop::option::weighted(0.75, prop::collection::vec(any::<u8>(), 0..6));
    let block = prop::collection::btree_map(key, value, 0..12);
    prop::collection::vec(block, 1..8)
}

fn final_state(blocks: &[Writes]) -> State {
    let mut s = State::new();
    for b in blocks {
        for (k, v) in b {
            match v {
                Some(v) => {
                    s.insert(k.clone(), v.clone());
                }
                None => {
                    s.remove(k);
                }
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Any sequence of blocks ends at the specification's root of the final state, whatever
    /// the split, and every proof verifies; only the live keys' records remain.
    #[test]
    fn roots_depend_only_on_the_final_state(blocks in arb_blocks(), keep in 1u64..4) {
        let state = final_state(&blocks);
        let (store, updates) = build(&blocks, keep);
        let last = updates.last().unwrap();
        prop_assert_eq!(last.root, spec_root(&state));
        for (v, u) in updates.iter().enumerate() {
            prop_assert_eq!(u.root, spec_root(&final_state(&blocks[..=v])));
        }
        // The same state written as one block.
        let one: Writes = state.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let (_, single) = build(&[one], 1);
        prop_assert_eq!(single[0].root, last.root);
        let absent: Vec<Vec<u8>> = (0..6u8).map(|i| vec![9, i]).chain([vec![], vec![0], vec![3, 3, 3]]).collect();
        check_all_proofs(&store, last.version, &state, &absent);
        if keep == 1 {
            prop_assert_eq!(store.len(), expected_records(state.len()));
        }
        // Every kept version still proves its own state.
        for v in (last.version + 1).saturating_sub(keep)..=last.version {
            let at = final_state(&blocks[..=v as usize]);
            check_all_proofs(&store, v, &at, &absent);
        }
        // Dropping to one kept version leaves exactly the live records: nothing leaked.
        let mut store = store;
        let u = apply_keeping(&store, last.version + 1, &Writes::new(), 1).unwrap();
        prop_assert_eq!(u.root, last.root);
        store.apply_update(&u);
        prop_assert_eq!(store.len(), expected_records(state.len()));
    }

    /// The same final key-value set, written in a different order across versions, with
    /// transient keys and values along the way, has the same root.
    #[test]
    fn order_of_writes_does_not_matter(
        state in prop::collection::btree_map(prop::collection::vec(any::<u8>(), 0..8), prop::collection::vec(any::<u8>(), 0..8), 0..40),
        seed in any::<u64>(),
        chunks in 1usize..6,
    ) {
        let mut items: Vec<(Vec<u8>, Vec<u8>)> = state.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        // A cheap deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..items.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            items.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut blocks: Vec<Writes> = vec![Writes::new(); chunks + 1];
        for (i, (k, v)) in items.iter().enumerate() {
            let b = i % chunks;
            // First a wrong value and a transient key, fixed in a later block.
            blocks[b].insert(k.clone(), Some(b"transient".to_vec()));
            let mut t = b"tmp/".to_vec();
            t.extend_from_slice(k);
            blocks[b].insert(t.clone(), Some(v.clone()));
            blocks[chunks].insert(t, None);
            blocks[chunks].insert(k.clone(), Some(v.clone()));
        }
        // Unless a transient key is itself a key of the state.
        let expect = final_state(&blocks);
        let (_, updates) = build(&blocks, 2);
        prop_assert_eq!(updates.last().unwrap().root, spec_root(&expect));
        let one: Writes = expect.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let (_, single) = build(&[one], 1);
        prop_assert_eq!(single[0].root, updates.last().unwrap().root);
    }

    /// Proof bytes from anywhere decode or fail cleanly, and verify or fail cleanly.
    #[test]
    fn arbitrary_proof_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(p) = StateProof::from_bytes(&bytes) {
            let _ = p.verify(&EMPTY, b"k", None);
            let _ = p.verify(&EMPTY, b"k", Some(b"v"));
        }
    }
}

//! [`MemTree`] against the stored tree and the README's specification: the same roots and the
//! same proofs, version by version, whatever the history; old versions stay as they were.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use liangxin_state::{MemNodes, MemTree, apply_keeping, prove, value_hash};
use proptest::prelude::*;

type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

fn arb_blocks() -> impl Strategy<Value = Vec<Writes>> {
    // Short keys over a small alphabet: many shared prefixes, re-writes and deletes.
    let key = prop::collection::vec(0u8..4, 0..4);
    let value = prop::option::weighted(0.7, prop::collection::vec(any::<u8>(), 0..6));
    let block = prop::collection::btree_map(key, value, 0..14);
    prop::collection::vec(block, 1..10)
}

fn probe_keys() -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = vec![vec![]];
    for a in 0u8..4 {
        keys.push(vec![a]);
        for b in 0u8..4 {
            keys.push(vec![a, b]);
            keys.push(vec![a, b, a]);
        }
    }
    keys.push(b"never written".to_vec());
    keys
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn same_roots_and_proofs_as_the_stored_tree(blocks in arb_blocks()) {
        let mut store = MemNodes::new();
        let mut trees = vec![MemTree::new()];
        let mut roots = Vec::new();
        let mut state: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for (v, w) in blocks.iter().enumerate() {
            let u = apply_keeping(&store, v as u64, w, 1).unwrap();
            store.apply_update(&u);
            let next = trees.last().unwrap().apply(w).unwrap();
            prop_assert_eq!(next.root(), u.root, "version {}", v);
            for (k, val) in w {
                match val {
                    Some(val) => { state.insert(k.clone(), val.clone()); }
                    None => { state.remove(k); }
                }
            }
            prop_assert_eq!(next.len(), state.len() as u64);
            prop_assert_eq!(next.is_empty(), state.is_empty());
            for k in probe_keys() {
                let (value, stored) = prove(&store, v as u64, &k).unwrap();
                let mem = next.prove(&k).unwrap();
                prop_assert_eq!(&mem, &stored, "proof of {:?} at version {}", k, v);
                prop_assert_eq!(next.value_hash(&k), value.as_deref().map(value_hash));
                mem.verify(&next.root(), &k, state.get(&k).map(Vec::as_slice)).unwrap();
            }
            roots.push(u.root);
            trees.push(next);
        }
        // Every older version is untouched by the ones after it.
        for (v, root) in roots.iter().enumerate() {
            prop_assert_eq!(trees[v + 1].root(), *root);
        }
        // Rebuilt from the final rows alone: the same tree.
        let rebuilt = MemTree::from_rows(state.iter()).unwrap();
        prop_assert_eq!(rebuilt.root(), *roots.last().unwrap());
        prop_assert_eq!(rebuilt.len(), state.len() as u64);
    }
}

//! [`MemTree`]: one version of the state tree held in memory, as immutable shared nodes.
//!
//! The same tree as the stored one (the README's specification: same roots, same proofs),
//! without values and without storage. [`MemTree::apply`] returns the next version and leaves
//! this one untouched; the two share every node the block did not change (path copying), so
//! keeping a version per uncommitted block costs only what each block changed, and a reader of
//! one version is never disturbed by the writing of the next. A node that holds its state in
//! a plain key-value table rebuilds the tree from those rows at start
//! ([`MemTree::from_rows`]) and stores no tree records at all.

use std::sync::Arc;

use liangxin_types::Hash;
use liangxin_types::encoding::BoundedVec;

use crate::Error;
use crate::hash::{
    EMPTY, bit, common_prefix_bits, hash_up, key_hash, leaf_hash, node_hash, prefix, value_hash,
};
use crate::proof::{ProofLeaf, StateProof};

/// A node of a [`MemTree`].
#[derive(Debug)]
enum Node {
    /// One key: its key hash, value hash and leaf hash (the same at any depth).
    Leaf { kh: Hash, vh: Hash, hash: Hash },
    /// A branching node: both sides non-empty, split on bit `depth`.
    Branch {
        depth: u8,
        /// The first `depth` bits every key below shares, the rest zero.
        prefix: Hash,
        /// `node_hash(left, right)` at `depth`.
        hash: Hash,
        left: Arc<Node>,
        right: Arc<Node>,
    },
}

impl Node {
    /// The key hash of a leaf, the path prefix of a branch.
    fn path(&self) -> &Hash {
        match self {
            Node::Leaf { kh, .. } => kh,
            Node::Branch { prefix, .. } => prefix,
        }
    }

    /// The subtree's hash seen from depth `at` (at most its own depth): a branch below skipped
    /// levels is hashed up through them with empty siblings.
    fn hash_at(&self, at: usize) -> Hash {
        match self {
            Node::Leaf { hash, .. } => *hash,
            Node::Branch {
                depth,
                prefix,
                hash,
                ..
            } => hash_up(hash, prefix, *depth, at),
        }
    }
}

/// One version of the authenticated state tree in memory: its root and proofs, no values.
///
/// Cloning is cheap (one reference count). Memory: two nodes per key (a leaf and, but for one,
/// a branching node), about 250 bytes per key on 64-bit targets.
#[derive(Clone, Debug, Default)]
pub struct MemTree {
    root: Option<Arc<Node>>,
    len: u64,
}

impl Drop for MemTree {
    /// Frees the nodes only this version holds, breadth first (see [`free`]).
    fn drop(&mut self) {
        if let Some(root) = self.root.take() {
            free(root);
        }
    }
}

/// How many nodes ahead [`free`] loads a node's reference count before unlinking it.
const FREE_LOOKAHEAD: usize = 16;

/// Releases `root`: frees every node no other version shares, level by level.
///
/// A version shares all but the path copies of one block with the next, so dropping it frees
/// scattered nodes deep in a tree far larger than the caches, each a cache miss. Arc's own
/// recursive drop takes those misses one after another; here each level's nodes are a list,
/// and the reference count of the node [`FREE_LOOKAHEAD`] places ahead is read before the
/// current one is unlinked, so the processor has many misses in flight at once. It also
/// keeps the stack flat however deep the tree is.
fn free(root: Arc<Node>) {
    let mut level = vec![root];
    let mut next = Vec::new();
    let mut touched = 0usize;
    while !level.is_empty() {
        while let Some(node) = level.pop() {
            if let Some(ahead) = level
                .len()
                .checked_sub(FREE_LOOKAHEAD)
                .and_then(|i| level.get(i))
            {
                touched = touched.wrapping_add(Arc::strong_count(ahead));
            }
            // The last holder takes the node apart and passes its children on; a shared
            // node only loses this reference.
            if let Some(Node::Branch { left, right, .. }) = Arc::into_inner(node) {
                next.push(left);
                next.push(right);
            }
        }
        std::mem::swap(&mut level, &mut next);
    }
    std::hint::black_box(touched);
}

/// One write of a block, by key hash: `Some(value_hash)` sets, `None` deletes.
struct Write {
    kh: Hash,
    vh: Option<Hash>,
}

/// A leaf of a subtree being rebuilt: one already in the tree, or one this version writes.
enum Entry {
    Existing(Arc<Node>),
    New { kh: Hash, vh: Hash },
}

impl Entry {
    fn kh(&self) -> &Hash {
        match self {
            Entry::Existing(n) => n.path(),
            Entry::New { kh, .. } => kh,
        }
    }
}

fn new_entries(writes: &[Write]) -> Vec<Entry> {
    writes
        .iter()
        .filter_map(|w| w.vh.map(|vh| Entry::New { kh: w.kh, vh }))
        .collect()
}

/// Builds one version from another; counts keys added and removed.
#[derive(Default)]
struct Updater {
    added: u64,
    removed: u64,
}

impl Updater {
    /// Applies `writes` (sorted by key hash, all sharing the first `at` bits) to the subtree
    /// `cur` hanging at depth `at`.
    fn update(
        &mut self,
        at: usize,
        cur: Option<&Arc<Node>>,
        writes: &[Write],
    ) -> Option<Arc<Node>> {
        let (Some(first), Some(last)) = (writes.first(), writes.last()) else {
            return cur.cloned();
        };
        let Some(node) = cur else {
            let entries = new_entries(writes);
            self.added += entries.len() as u64;
            return self.build(at, &entries);
        };
        match &**node {
            Node::Leaf {
                kh: lkh, vh: lvh, ..
            } => {
                let mut entries = Vec::with_capacity(writes.len() + 1);
                let mut placed = false;
                for w in writes {
                    if !placed && w.kh > *lkh {
                        entries.push(Entry::Existing(Arc::clone(node)));
                        placed = true;
                    }
                    if w.kh == *lkh {
                        placed = true;
                        match w.vh {
                            Some(vh) if vh == *lvh => {
                                entries.push(Entry::Existing(Arc::clone(node)))
                            }
                            Some(vh) => entries.push(Entry::New { kh: w.kh, vh }),
                            None => self.removed += 1,
                        }
                    } else if let Some(vh) = w.vh {
                        self.added += 1;
                        entries.push(Entry::New { kh: w.kh, vh });
                    }
                }
                if !placed {
                    entries.push(Entry::Existing(Arc::clone(node)));
                }
                self.build(at, &entries)
            }
            Node::Branch {
                depth,
                prefix: p,
                left,
                right,
                ..
            } => {
                let d = usize::from(*depth);
                let m = common_prefix_bits(&first.kh, p)
                    .min(common_prefix_bits(&last.kh, p))
                    .min(d);
                if m >= d {
                    let split = writes.partition_point(|w| !bit(&w.kh, d));
                    let (wl, wr) = writes.split_at(split);
                    let new_left = self.update(d + 1, Some(left), wl);
                    let new_right = self.update(d + 1, Some(right), wr);
                    let same = |new: &Option<Arc<Node>>, old: &Arc<Node>| {
                        new.as_ref().is_some_and(|n| Arc::ptr_eq(n, old))
                    };
                    if same(&new_left, left) && same(&new_right, right) {
                        return Some(Arc::clone(node));
                    }
                    combine(d, p, new_left, new_right)
                } else {
                    // Some writes leave the branch's path at level m: a new branch forms there.
                    let split = writes.partition_point(|w| !bit(&w.kh, m));
                    let (w0, w1) = writes.split_at(split);
                    let node_right = bit(p, m);
                    let (same, other) = if node_right { (w1, w0) } else { (w0, w1) };
                    let entries = new_entries(other);
                    self.added += entries.len() as u64;
                    let built = self.build(m + 1, &entries);
                    let kept = self.update(m + 1, Some(node), same);
                    let (l, r) = if node_right {
                        (built, kept)
                    } else {
                        (kept, built)
                    };
                    combine(m, p, l, r)
                }
            }
        }
    }

    /// The subtree hanging at depth `at` holding `entries` (sorted by key hash, distinct, all
    /// sharing the first `at` bits).
    fn build(&mut self, at: usize, entries: &[Entry]) -> Option<Arc<Node>> {
        match entries {
            [] => None,
            [Entry::Existing(n)] => Some(Arc::clone(n)),
            [Entry::New { kh, vh }] => Some(Arc::new(Node::Leaf {
                kh: *kh,
                vh: *vh,
                hash: leaf_hash(kh, vh),
            })),
            [first, .., last] => {
                // Distinct key hashes (checked by the callers) differ at some bit below 256.
                let c = common_prefix_bits(first.kh(), last.kh()).max(at);
                let split = entries.partition_point(|e| !bit(e.kh(), c));
                let (el, er) = entries.split_at(split);
                let l = self.build(c + 1, el);
                let r = self.build(c + 1, er);
                combine(c, first.kh(), l, r)
            }
        }
    }
}

/// The subtree at depth `d` on the path `path` with children `l` and `r`: a new branching node
/// if both exist, else the one that exists, moved up.
fn combine(d: usize, path: &Hash, l: Option<Arc<Node>>, r: Option<Arc<Node>>) -> Option<Arc<Node>> {
    match (l, r) {
        (Some(l), Some(r)) => {
            let hash = node_hash(&l.hash_at(d + 1), &r.hash_at(d + 1));
            Some(Arc::new(Node::Branch {
                // Below 256: both sides exist, so their keys differ at bit d.
                depth: u8::try_from(d).unwrap_or(u8::MAX),
                prefix: prefix(path, d),
                hash,
                left: l,
                right: r,
            }))
        }
        (Some(c), None) | (None, Some(c)) => Some(c),
        (None, None) => None,
    }
}

/// Leaves from which [`MemTree::from_hashes`] builds on two threads.
const PARALLEL_BUILD_LEAVES: usize = 1 << 16;

/// The first 8 bytes of a hash as a big-endian integer (its order is the hash's order).
fn head(h: &Hash) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.0[..8]);
    u64::from_be_bytes(b)
}

/// `leaves` sorted by key hash as tree entries; an error if two share a key hash.
fn sorted_entries(mut leaves: Vec<(Hash, Hash)>) -> Result<Vec<Entry>, Error> {
    // Key hashes are uniform: sorting by their first 8 bytes as an integer and then fixing the
    // (rare) runs that share them is a total order by key hash, and much faster than comparing
    // 32-byte arrays throughout.
    leaves.sort_unstable_by_key(|(kh, _)| head(kh));
    let mut i = 0;
    while i < leaves.len() {
        let h = head(&leaves[i].0);
        let run = leaves[i..]
            .iter()
            .take_while(|(kh, _)| head(kh) == h)
            .count();
        if run > 1 {
            leaves[i..i + run].sort_unstable_by_key(|(kh, _)| *kh);
        }
        i += run;
    }
    if let Some(w) = leaves.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::KeyHashCollision(w[0].0.to_hex()));
    }
    Ok(leaves
        .into_iter()
        .map(|(kh, vh)| Entry::New { kh, vh })
        .collect())
}

fn first_collision(sorted: &[Write]) -> Option<Hash> {
    sorted
        .windows(2)
        .find(|w| w[0].kh == w[1].kh)
        .map(|w| w[0].kh)
}

impl MemTree {
    /// The empty tree (root [`EMPTY`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree holding exactly `rows` (key, value), in any order; the same as applying them
    /// all to an empty tree. A node rebuilds its tree from its state table with this.
    pub fn from_rows<K, V>(rows: impl IntoIterator<Item = (K, V)>) -> Result<Self, Error>
    where
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        Self::from_hashes(
            rows.into_iter()
                .map(|(k, v)| (key_hash(k.as_ref()), value_hash(v.as_ref())))
                .collect(),
        )
    }

    /// The tree holding exactly the (key hash, value hash) pairs `leaves`, in any order. A large
    /// set is sorted and built on two threads, one for each half under the root (the keys whose
    /// hash starts with bit 0, and with bit 1); the tree is the same.
    pub fn from_hashes(leaves: Vec<(Hash, Hash)>) -> Result<Self, Error> {
        let (left, right): (Vec<_>, Vec<_>) = leaves.into_iter().partition(|(kh, _)| !bit(kh, 0));
        Self::from_halves(left, right)
    }

    /// Whether a key whose hash is `kh` lies in the right half of the tree (its first bit is
    /// 1), for [`MemTree::from_halves`].
    pub fn in_right_half(kh: &Hash) -> bool {
        bit(kh, 0)
    }

    /// [`MemTree::from_hashes`] of the leaves of `left` and `right`, where every key hash in
    /// `left` starts with bit 0 and every one in `right` with bit 1 (a caller that hashes the
    /// rows itself can split them as it goes, saving a pass). Leaves on the wrong side are an
    /// error ([`Error::Storage`]).
    pub fn from_halves(
        mut left: Vec<(Hash, Hash)>,
        mut right: Vec<(Hash, Hash)>,
    ) -> Result<Self, Error> {
        if left.iter().any(|(kh, _)| bit(kh, 0)) || right.iter().any(|(kh, _)| !bit(kh, 0)) {
            return Err(Error::Storage(
                "a leaf was given for the wrong half of the tree".into(),
            ));
        }
        let len = (left.len() + right.len()) as u64;
        let half = |leaves: &mut Vec<(Hash, Hash)>| -> Result<Option<Arc<Node>>, Error> {
            let entries = sorted_entries(std::mem::take(leaves))?;
            Ok(Updater::default().build(1, &entries))
        };
        let (l, r) = if left.len() + right.len() >= PARALLEL_BUILD_LEAVES {
            std::thread::scope(|s| {
                let l = s.spawn(|| half(&mut left));
                let r = half(&mut right);
                let l = l
                    .join()
                    .map_err(|_| Error::Storage("a tree-building thread failed".into()))?;
                Ok::<_, Error>((l?, r?))
            })?
        } else {
            (half(&mut left)?, half(&mut right)?)
        };
        // Both sides non-empty: the root is the branch at depth 0 over them; otherwise the one
        // side moves up (as `build` would have made it).
        Ok(MemTree {
            root: combine(0, &Hash::ZERO, l, r),
            len,
        })
    }

    /// The next version: this one with `writes` applied (`None` deletes; deleting an absent key
    /// changes nothing), in any order, each key at most once (a key given twice is an error,
    /// [`Error::KeyHashCollision`]). This version is left as it was.
    pub fn apply<'a, I>(&self, writes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)>,
    {
        let mut sorted: Vec<Write> = writes
            .into_iter()
            .map(|(k, v)| Write {
                kh: key_hash(k),
                vh: v.as_deref().map(value_hash),
            })
            .collect();
        sorted.sort_unstable_by_key(|w| w.kh);
        if let Some(kh) = first_collision(&sorted) {
            return Err(Error::KeyHashCollision(kh.to_hex()));
        }
        let mut up = Updater::default();
        let root = up.update(0, self.root.as_ref(), &sorted);
        Ok(MemTree {
            root,
            len: (self.len + up.added).saturating_sub(up.removed),
        })
    }

    /// The root hash ([`EMPTY`] for the empty tree).
    pub fn root(&self) -> Hash {
        self.root.as_ref().map_or(EMPTY, |n| n.hash_at(0))
    }

    /// How many keys the tree holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the tree holds no key.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Every (key hash, value hash) pair, in key-hash order: what [`from_hashes`](Self::from_hashes)
    /// rebuilds this tree from (a node saves them when it stops, so that it starts without
    /// rehashing its whole state).
    pub fn leaves(&self) -> impl Iterator<Item = (Hash, Hash)> + '_ {
        let mut stack: Vec<&Node> = self.root.as_deref().into_iter().collect();
        std::iter::from_fn(move || {
            while let Some(node) = stack.pop() {
                match node {
                    Node::Leaf { kh, vh, .. } => return Some((*kh, *vh)),
                    Node::Branch { left, right, .. } => {
                        stack.push(right);
                        stack.push(left);
                    }
                }
            }
            None
        })
    }

    /// The value hash stored for `key`, if present.
    pub fn value_hash(&self, key: &[u8]) -> Option<Hash> {
        let kh = key_hash(key);
        let mut cur = self.root.as_deref()?;
        loop {
            match cur {
                Node::Leaf { kh: lkh, vh, .. } => return (*lkh == kh).then_some(*vh),
                Node::Branch {
                    depth,
                    prefix: p,
                    left,
                    right,
                    ..
                } => {
                    let d = usize::from(*depth);
                    if common_prefix_bits(&kh, p) < d {
                        return None;
                    }
                    cur = if bit(&kh, d) { right } else { left };
                }
            }
        }
    }

    /// A proof that `key` is present with its value or absent, against [`root`](Self::root).
    /// The leaf names the value by its hash only: the caller sends the value itself (from its
    /// state table, at the same version) and the verifier hashes it.
    pub fn prove(&self, key: &[u8]) -> Result<StateProof, Error> {
        let kh = key_hash(key);
        let mut siblings = Vec::new();
        let mut at = 0usize;
        let mut cur = self.root.as_deref();
        let leaf = loop {
            match cur {
                None => break None,
                Some(Node::Leaf { kh, vh, .. }) => {
                    break Some(ProofLeaf {
                        key_hash: *kh,
                        value_hash: *vh,
                    });
                }
                Some(
                    node @ Node::Branch {
                        depth,
                        prefix: p,
                        left,
                        right,
                        ..
                    },
                ) => {
                    let d = usize::from(*depth);
                    let m = common_prefix_bits(&kh, p).min(d);
                    if m < d {
                        // The key leaves the branch's path at level m: its side there is empty.
                        siblings.resize(siblings.len() + (m - at), EMPTY);
                        siblings.push(node.hash_at(m + 1));
                        break None;
                    }
                    siblings.resize(siblings.len() + (d - at), EMPTY);
                    let (next, other) = if bit(&kh, d) {
                        (right, left)
                    } else {
                        (left, right)
                    };
                    siblings.push(other.hash_at(d + 1));
                    cur = Some(next);
                    at = d + 1;
                }
            }
        };
        let siblings =
            BoundedVec::new(siblings).map_err(|_| Error::InvalidProof("more than 256 siblings"))?;
        Ok(StateProof { leaf, siblings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn writes(pairs: &[(&str, Option<&str>)]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect()
    }

    #[test]
    fn readme_vectors() {
        let t = MemTree::new();
        assert_eq!(t.root(), EMPTY);
        let t1 = t.apply(&writes(&[("a", Some("1"))])).unwrap();
        assert_eq!(
            t1.root().to_hex(),
            "ac6ac19e83863d5edb32442afcdf514b5027ae1b42f4a3e8adde3f7b5bb2d5a4"
        );
        let t3 = t1
            .apply(&writes(&[("b", Some("2")), ("c", Some("3"))]))
            .unwrap();
        assert_eq!(
            t3.root().to_hex(),
            "5fc74d3567349663f94897bbe9d5bb227c9ac64671f34df3f053e4e2debefb4e"
        );
        assert_eq!(t3.len(), 3);
        // The old versions are untouched.
        assert_eq!(
            t1.root().to_hex(),
            "ac6ac19e83863d5edb32442afcdf514b5027ae1b42f4a3e8adde3f7b5bb2d5a4"
        );
        let t2 = t3.apply(&writes(&[("c", None), ("zz", None)])).unwrap();
        assert_eq!(
            t2.root().to_hex(),
            "1c66d7c159371ce68ce1eb3a322eae841f465680853a5822ca7c48b0522fca12"
        );
        assert_eq!(t2.len(), 2);
        let again = MemTree::from_rows([("b", "2"), ("a", "1")]).unwrap();
        assert_eq!(again.root(), t2.root());
        let p = t2.prove(b"a").unwrap();
        p.verify(&t2.root(), b"a", Some(b"1")).unwrap();
        assert!(p.verify(&t2.root(), b"a", Some(b"2")).is_err());
        let p = t2.prove(b"c").unwrap();
        p.verify(&t2.root(), b"c", None).unwrap();
        assert_eq!(t2.value_hash(b"b"), Some(value_hash(b"2")));
        assert_eq!(t2.value_hash(b"c"), None);
    }

    #[test]
    fn a_large_rebuild_on_two_threads_is_the_same_tree() {
        let rows: Vec<(Vec<u8>, Vec<u8>)> = (0u32..PARALLEL_BUILD_LEAVES as u32 + 5_000)
            .map(|i| (format!("key/{i}").into_bytes(), i.to_be_bytes().to_vec()))
            .collect();
        let rebuilt = MemTree::from_rows(rows.iter().map(|(k, v)| (k, v))).unwrap();
        let applied = MemTree::new()
            .apply(
                &rows
                    .iter()
                    .map(|(k, v)| (k.clone(), Some(v.clone())))
                    .collect::<BTreeMap<_, _>>(),
            )
            .unwrap();
        assert_eq!(rebuilt.root(), applied.root());
        assert_eq!(rebuilt.len(), rows.len() as u64);
        let leaves: Vec<(Hash, Hash)> = applied.leaves().collect();
        assert_eq!(leaves.len(), rows.len());
        assert!(
            leaves.windows(2).all(|w| w[0].0 < w[1].0),
            "in key-hash order"
        );
        assert_eq!(
            MemTree::from_hashes(leaves.clone()).unwrap().root(),
            applied.root()
        );
        // Given already split, in any order within each half: the same tree.
        let (mut left, mut right): (Vec<_>, Vec<_>) = leaves
            .iter()
            .copied()
            .partition(|(kh, _)| !MemTree::in_right_half(kh));
        left.reverse();
        right.rotate_left(7);
        assert!(!left.is_empty() && !right.is_empty());
        let halves = MemTree::from_halves(left.clone(), right.clone()).unwrap();
        assert_eq!(
            (halves.root(), halves.len()),
            (applied.root(), applied.len())
        );
        // A leaf on the wrong side is refused, not built into another tree.
        let mut wrong = left.clone();
        wrong.push(right[0]);
        assert!(MemTree::from_halves(wrong, right[1..].to_vec()).is_err());
        assert!(MemTree::from_halves(right.clone(), left.clone()).is_err());
        // One side empty: the other side's tree.
        assert_eq!(
            MemTree::from_halves(left.clone(), Vec::new())
                .unwrap()
                .root(),
            MemTree::from_hashes(left).unwrap().root()
        );
        let p = rebuilt.prove(b"key/12345").unwrap();
        p.verify(&rebuilt.root(), b"key/12345", Some(&12345u32.to_be_bytes()))
            .unwrap();
    }

    #[test]
    fn dropping_a_version_frees_only_what_it_alone_holds() {
        let rows: Vec<(String, String)> = (0..2_000)
            .map(|i| (format!("key/{i}"), format!("{i}")))
            .collect();
        let old = MemTree::from_rows(rows.iter().map(|(k, v)| (k, v))).unwrap();
        let new = old
            .apply(&writes(&[
                ("key/7", Some("changed")),
                ("key/new", Some("1")),
            ]))
            .unwrap();
        let Some(Node::Branch { left, right, .. }) = new.root.as_deref() else {
            panic!("a branch at the root");
        };
        // Each side of the new root is either the old side, shared, or a path copy.
        let old_root = Arc::downgrade(old.root.as_ref().unwrap());
        let shared: Vec<_> = [left, right]
            .into_iter()
            .filter(|side| match old.root.as_deref() {
                Some(Node::Branch { left, right, .. }) => {
                    Arc::ptr_eq(side, left) || Arc::ptr_eq(side, right)
                }
                _ => false,
            })
            .map(Arc::downgrade)
            .collect();
        let before = Arc::strong_count(&shared.first().and_then(|w| w.upgrade()).unwrap()) - 1;
        let old_root_hash = old.root();
        drop(old);
        assert!(old_root.upgrade().is_none(), "the old root is freed");
        let side = shared.first().and_then(|w| w.upgrade()).unwrap();
        assert_eq!(
            Arc::strong_count(&side) - 1,
            before - 1,
            "shared nodes lose one holder"
        );
        drop(side);
        assert_ne!(new.root(), old_root_hash);
        for (k, v) in rows.iter().filter(|(k, _)| k != "key/7") {
            new.prove(k.as_bytes())
                .unwrap()
                .verify(&new.root(), k.as_bytes(), Some(v.as_bytes()))
                .unwrap();
        }
        new.prove(b"key/7")
            .unwrap()
            .verify(&new.root(), b"key/7", Some(b"changed"))
            .unwrap();
        // A clone shares the whole tree: dropping one leaves the other whole.
        let copy = new.clone();
        let root = new.root();
        drop(new);
        assert_eq!(copy.root(), root);
        assert_eq!(copy.leaves().count(), 2_001);
    }

    #[test]
    fn unchanged_writes_share_the_root() {
        let t = MemTree::from_rows([("a", "1"), ("b", "2"), ("c", "3")]).unwrap();
        let same = t
            .apply(&writes(&[("a", Some("1")), ("nope", None)]))
            .unwrap();
        assert!(Arc::ptr_eq(
            t.root.as_ref().unwrap(),
            same.root.as_ref().unwrap()
        ));
        assert_eq!(same.len(), 3);
    }
}

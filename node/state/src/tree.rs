//! The tree: updates per version, roots, reads and proofs over a [`NodeReader`].
//!
//! Stored form: a binary Patricia tree over key hashes. Only branching nodes are stored (both
//! children non-empty); a run of levels where one side is empty is skipped and its hashes are
//! recomputed when needed (rare: key hashes are uniform). Records are immutable and keyed by the
//! version that created them, so a reader of version `v` is never disturbed by the writing of
//! version `v + 1`; records that leave the tree are listed per version and deleted once that
//! version falls out of the kept window.

use std::collections::BTreeMap;

use liangxin_types::Hash;
use liangxin_types::encoding::BoundedVec;

use crate::Error;
use crate::hash::{
    EMPTY, bit, common_prefix_bits, hash_up, key_hash, leaf_hash, node_hash, prefix, value_hash,
};
use crate::proof::{ProofLeaf, StateProof};
use crate::store::{NodeReader, TreeUpdate};

/// How many of the latest versions [`apply`] keeps provable: proofs and roots of the latest
/// version and the 7 before it stay readable while newer versions are written.
pub const DEFAULT_KEEP_VERSIONS: u64 = 8;

const TAG_NODE: u8 = b'n';
const TAG_LEAF: u8 = b'l';
const TAG_ROOT: u8 = b'r';
const TAG_STALE: u8 = b's';
const META_KEY: &[u8] = b"m";

const CHILD_LEAF: u8 = 0;
const CHILD_NODE: u8 = 1;

/// A reference to a stored subtree, as its parent (or a root record) holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Child {
    /// A leaf: found under `l ‖ key_hash ‖ version`.
    Leaf {
        key_hash: Hash,
        version: u64,
        /// `leaf_hash(key_hash, value_hash)`: the same at any depth.
        hash: Hash,
    },
    /// A branching node at `depth` (it splits on bit `depth`): under `n ‖ version ‖ depth ‖ prefix`.
    Node {
        depth: u8,
        /// The first `depth` bits every key below shares, the rest zero.
        prefix: Hash,
        version: u64,
        /// The node's own hash at `depth`: `node_hash(left, right)`.
        hash: Hash,
    },
}

impl Child {
    fn key_hash_or_prefix(&self) -> &Hash {
        match self {
            Child::Leaf { key_hash, .. } => key_hash,
            Child::Node { prefix, .. } => prefix,
        }
    }

    /// The subtree's hash seen from depth `at` (at most its own depth): a node below skipped
    /// levels is hashed up through them with empty siblings.
    fn hash_at(&self, at: usize) -> Hash {
        match self {
            Child::Leaf { hash, .. } => *hash,
            Child::Node {
                depth,
                prefix,
                hash,
                ..
            } => hash_up(hash, prefix, *depth, at),
        }
    }

    fn storage_key(&self) -> Vec<u8> {
        match self {
            Child::Leaf {
                key_hash, version, ..
            } => leaf_key(key_hash, *version),
            Child::Node {
                depth,
                prefix,
                version,
                ..
            } => node_key(*version, *depth, prefix),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Child::Leaf {
                key_hash,
                version,
                hash,
            } => {
                out.push(CHILD_LEAF);
                out.extend_from_slice(&key_hash.0);
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(&hash.0);
            }
            Child::Node {
                depth,
                prefix,
                version,
                hash,
            } => {
                out.push(CHILD_NODE);
                out.push(*depth);
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(&hash.0);
                out.extend_from_slice(&prefix.0[..prefix_len(*depth)]);
            }
        }
    }

    fn decode(r: &mut Cursor<'_>) -> Result<Child, &'static str> {
        match r.u8()? {
            CHILD_LEAF => Ok(Child::Leaf {
                key_hash: r.hash()?,
                version: r.u64()?,
                hash: r.hash()?,
            }),
            CHILD_NODE => {
                let depth = r.u8()?;
                let version = r.u64()?;
                let hash = r.hash()?;
                let mut p = [0u8; 32];
                let n = prefix_len(depth);
                p[..n].copy_from_slice(r.take(n)?);
                let prefix = Hash(p);
                if crate::hash::prefix(&prefix, usize::from(depth)) != prefix {
                    return Err("prefix has bits past its depth");
                }
                Ok(Child::Node {
                    depth,
                    prefix,
                    version,
                    hash,
                })
            }
            _ => Err("unknown child tag"),
        }
    }
}

fn prefix_len(depth: u8) -> usize {
    usize::from(depth).div_ceil(8)
}

fn node_key(version: u64, depth: u8, prefix: &Hash) -> Vec<u8> {
    let mut k = Vec::with_capacity(10 + prefix_len(depth));
    k.push(TAG_NODE);
    k.extend_from_slice(&version.to_be_bytes());
    k.push(depth);
    k.extend_from_slice(&prefix.0[..prefix_len(depth)]);
    k
}

fn leaf_key(key_hash: &Hash, version: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(41);
    k.push(TAG_LEAF);
    k.extend_from_slice(&key_hash.0);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

fn version_key(tag: u8, version: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(tag);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// A bounds-checked reader over a stored record.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if self.rest.len() < n {
            return Err("record is truncated");
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, &'static str> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, &'static str> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(b))
    }

    fn hash(&mut self) -> Result<Hash, &'static str> {
        let mut b = [0u8; 32];
        b.copy_from_slice(self.take(32)?);
        Ok(Hash(b))
    }
}

fn corrupt(key: &[u8], reason: &'static str) -> Error {
    Error::CorruptNode {
        key: liangxin_types::encoding::to_hex(key),
        reason,
    }
}

fn read_required<R: NodeReader + ?Sized>(reader: &R, key: &[u8]) -> Result<Vec<u8>, Error> {
    reader.get_node(key)?.ok_or_else(|| Error::MissingNode {
        key: liangxin_types::encoding::to_hex(key),
    })
}

/// Reads the branching node `child` points to, returning its two children.
fn read_branch<R: NodeReader + ?Sized>(
    reader: &R,
    depth: u8,
    key: &[u8],
) -> Result<(Child, Child), Error> {
    let bytes = read_required(reader, key)?;
    let mut r = Cursor { rest: &bytes };
    let left = Child::decode(&mut r).map_err(|e| corrupt(key, e))?;
    let right = Child::decode(&mut r).map_err(|e| corrupt(key, e))?;
    if !r.rest.is_empty() {
        return Err(corrupt(key, "trailing bytes"));
    }
    for (child, side) in [(&left, false), (&right, true)] {
        if let Child::Node { depth: d, .. } = child
            && *d <= depth
        {
            return Err(corrupt(key, "child is not below its parent"));
        }
        if bit(child.key_hash_or_prefix(), usize::from(depth)) != side {
            return Err(corrupt(key, "child is on the wrong side"));
        }
    }
    Ok((left, right))
}

/// Reads a leaf record: its value hash and value.
fn read_leaf<R: NodeReader + ?Sized>(reader: &R, key: &[u8]) -> Result<(Hash, Vec<u8>), Error> {
    let mut bytes = read_required(reader, key)?;
    if bytes.len() < 32 {
        return Err(corrupt(key, "leaf record is truncated"));
    }
    let value = bytes.split_off(32);
    let mut vh = [0u8; 32];
    vh.copy_from_slice(&bytes);
    Ok((Hash(vh), value))
}

/// The meta record: latest version and the first pruning list not yet pruned.
#[derive(Clone, Copy, Debug)]
struct Meta {
    latest: u64,
    prune_next: u64,
}

fn read_meta<R: NodeReader + ?Sized>(reader: &R) -> Result<Option<Meta>, Error> {
    let Some(bytes) = reader.get_node(META_KEY)? else {
        return Ok(None);
    };
    let mut r = Cursor { rest: &bytes };
    let latest = r.u64().map_err(|e| corrupt(META_KEY, e))?;
    let prune_next = r.u64().map_err(|e| corrupt(META_KEY, e))?;
    if !r.rest.is_empty() {
        return Err(corrupt(META_KEY, "trailing bytes"));
    }
    Ok(Some(Meta { latest, prune_next }))
}

/// Reads the root record of `version`: the root hash and the root subtree.
fn read_root<R: NodeReader + ?Sized>(
    reader: &R,
    version: u64,
) -> Result<(Hash, Option<Child>), Error> {
    let key = version_key(TAG_ROOT, version);
    let Some(bytes) = reader.get_node(&key)? else {
        let latest = read_meta(reader)?.map(|m| m.latest);
        return Err(Error::VersionUnavailable { version, latest });
    };
    let mut r = Cursor { rest: &bytes };
    let hash = r.hash().map_err(|e| corrupt(&key, e))?;
    let child = if r.rest.is_empty() {
        None
    } else {
        Some(Child::decode(&mut r).map_err(|e| corrupt(&key, e))?)
    };
    if !r.rest.is_empty() {
        return Err(corrupt(&key, "trailing bytes"));
    }
    Ok((hash, child))
}

/// The latest version applied, or `None` for a fresh store.
pub fn latest_version(reader: &impl NodeReader) -> Result<Option<u64>, Error> {
    Ok(read_meta(reader)?.map(|m| m.latest))
}

/// The state root at `version` ([`EMPTY`](crate::EMPTY), 32 zero bytes, for an empty state).
/// Fails with [`Error::VersionUnavailable`] for a version not applied yet or no longer kept.
pub fn root(reader: &impl NodeReader, version: u64) -> Result<Hash, Error> {
    Ok(read_root(reader, version)?.0)
}

/// The value of `key` at `version`, without a proof.
pub fn get(reader: &impl NodeReader, version: u64, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
    Ok(walk(reader, version, &key_hash(key), false)?.0)
}

/// The value of `key` at `version` (`None`: absent) and a proof of it against
/// [`root`]`(reader, version)`.
pub fn prove(
    reader: &impl NodeReader,
    version: u64,
    key: &[u8],
) -> Result<(Option<Vec<u8>>, StateProof), Error> {
    let (value, leaf, siblings) = walk(reader, version, &key_hash(key), true)?;
    let siblings =
        BoundedVec::new(siblings).map_err(|_| Error::InvalidProof("more than 256 siblings"))?;
    Ok((value, StateProof { leaf, siblings }))
}

type Walked = (Option<Vec<u8>>, Option<ProofLeaf>, Vec<Hash>);

/// Follows `kh` from the root of `version`, collecting siblings if asked.
fn walk<R: NodeReader + ?Sized>(
    reader: &R,
    version: u64,
    kh: &Hash,
    proof: bool,
) -> Result<Walked, Error> {
    let (_, mut cur) = read_root(reader, version)?;
    let mut at = 0usize;
    let mut siblings = Vec::new();
    loop {
        match cur {
            None => return Ok((None, None, siblings)),
            Some(Child::Leaf {
                key_hash: lkh,
                version: lv,
                ..
            }) => {
                if !proof && lkh != *kh {
                    return Ok((None, None, siblings));
                }
                let (vh, value) = read_leaf(reader, &leaf_key(&lkh, lv))?;
                let leaf = ProofLeaf {
                    key_hash: lkh,
                    value_hash: vh,
                };
                let value = (lkh == *kh).then_some(value);
                return Ok((value, Some(leaf), siblings));
            }
            Some(ref node @ Child::Node { depth, prefix, .. }) => {
                let d = usize::from(depth);
                let m = common_prefix_bits(kh, &prefix).min(d);
                if m < at {
                    return Err(corrupt(
                        &node.storage_key(),
                        "node is off its parent's path",
                    ));
                }
                if m < d {
                    // The key leaves the node's path at level m: its side there is empty.
                    if proof {
                        siblings.resize(siblings.len() + (m - at), EMPTY);
                        siblings.push(node.hash_at(m + 1));
                    }
                    return Ok((None, None, siblings));
                }
                if proof {
                    siblings.resize(siblings.len() + (d - at), EMPTY);
                }
                let (left, right) = read_branch(reader, depth, &node.storage_key())?;
                let (next, other) = if bit(kh, d) {
                    (right, left)
                } else {
                    (left, right)
                };
                if proof {
                    siblings.push(other.hash_at(d + 1));
                }
                cur = Some(next);
                at = d + 1;
            }
        }
    }
}

/// One write of a block, by key hash.
struct Write<'a> {
    kh: Hash,
    /// `Some((value_hash, value))` to set, `None` to delete.
    op: Option<(Hash, &'a [u8])>,
}

impl<'a> Write<'a> {
    /// The leaf this write creates (`None` for a delete).
    fn new_entry(&self) -> Option<Entry<'a>> {
        self.op.map(|(vh, value)| Entry::New {
            kh: self.kh,
            vh,
            value,
        })
    }

    /// The leaves `writes` create, in order (deletes of keys not stored create nothing).
    fn new_entries(writes: &[Write<'a>]) -> Vec<Entry<'a>> {
        writes.iter().filter_map(Write::new_entry).collect()
    }
}

/// A leaf of a subtree being rebuilt: one already stored, or one this version writes.
enum Entry<'a> {
    Existing(Child),
    New { kh: Hash, vh: Hash, value: &'a [u8] },
}

impl Entry<'_> {
    fn kh(&self) -> &Hash {
        match self {
            Entry::Existing(c) => c.key_hash_or_prefix(),
            Entry::New { kh, .. } => kh,
        }
    }
}

struct Updater<'r, R: ?Sized> {
    reader: &'r R,
    version: u64,
    puts: Vec<(Vec<u8>, Vec<u8>)>,
    stale: Vec<Vec<u8>>,
}

impl<R: NodeReader + ?Sized> Updater<'_, R> {
    /// Applies `writes` (sorted by key hash, all sharing the first `at` bits) to the subtree
    /// `cur` hanging at depth `at`; returns the new subtree (equal to `cur` if nothing changed).
    fn update(
        &mut self,
        at: usize,
        cur: Option<Child>,
        writes: &[Write<'_>],
    ) -> Result<Option<Child>, Error> {
        let (Some(first), Some(last)) = (writes.first(), writes.last()) else {
            return Ok(cur);
        };
        match cur {
            None => self.build(at, &Write::new_entries(writes)),
            Some(leaf @ Child::Leaf { .. }) => {
                let lkh = *leaf.key_hash_or_prefix();
                let mut entries = Vec::with_capacity(writes.len() + 1);
                let mut placed = false;
                for w in writes {
                    if !placed && w.kh > lkh {
                        entries.push(Entry::Existing(leaf.clone()));
                        placed = true;
                    }
                    if w.kh == lkh {
                        placed = true;
                        match w.op {
                            Some((vh, value)) => {
                                if let Child::Leaf { hash, .. } = &leaf
                                    && leaf_hash(&w.kh, &vh) == *hash
                                {
                                    entries.push(Entry::Existing(leaf.clone()));
                                } else {
                                    self.stale.push(leaf.storage_key());
                                    entries.push(Entry::New {
                                        kh: w.kh,
                                        vh,
                                        value,
                                    });
                                }
                            }
                            None => self.stale.push(leaf.storage_key()),
                        }
                    } else if let Some(e) = w.new_entry() {
                        entries.push(e);
                    }
                }
                if !placed {
                    entries.push(Entry::Existing(leaf));
                }
                self.build(at, &entries)
            }
            Some(Child::Node {
                depth,
                prefix,
                version,
                hash,
            }) => {
                let node = Child::Node {
                    depth,
                    prefix,
                    version,
                    hash,
                };
                let d = usize::from(depth);
                let m = common_prefix_bits(&first.kh, &prefix)
                    .min(common_prefix_bits(&last.kh, &prefix))
                    .min(d);
                if m < at {
                    return Err(corrupt(
                        &node.storage_key(),
                        "node is off its parent's path",
                    ));
                }
                if m >= d {
                    let key = node.storage_key();
                    let (left, right) = read_branch(self.reader, depth, &key)?;
                    let split = writes.partition_point(|w| !bit(&w.kh, d));
                    let (wl, wr) = writes.split_at(split);
                    let new_left = self.update(d + 1, Some(left.clone()), wl)?;
                    let new_right = self.update(d + 1, Some(right.clone()), wr)?;
                    if new_left.as_ref() == Some(&left) && new_right.as_ref() == Some(&right) {
                        return Ok(Some(node));
                    }
                    self.stale.push(key);
                    self.combine(d, &prefix, new_left, new_right)
                } else {
                    // Some writes leave the node's path at level m: a new branch forms there.
                    let split = writes.partition_point(|w| !bit(&w.kh, m));
                    let (w0, w1) = writes.split_at(split);
                    let node_right = bit(&prefix, m);
                    let (same, other) = if node_right { (w1, w0) } else { (w0, w1) };
                    let built = self.build(m + 1, &Write::new_entries(other))?;
                    let kept = self.update(m + 1, Some(node), same)?;
                    let (l, r) = if node_right {
                        (built, kept)
                    } else {
                        (kept, built)
                    };
                    self.combine(m, &prefix, l, r)
                }
            }
        }
    }

    /// Builds the subtree hanging at depth `at` from `entries` (sorted by key hash, all sharing
    /// the first `at` bits).
    fn build(&mut self, at: usize, entries: &[Entry<'_>]) -> Result<Option<Child>, Error> {
        match entries {
            [] => Ok(None),
            [Entry::Existing(c)] => Ok(Some(c.clone())),
            [Entry::New { kh, vh, value }] => {
                let mut record = Vec::with_capacity(32 + value.len());
                record.extend_from_slice(&vh.0);
                record.extend_from_slice(value);
                self.puts.push((leaf_key(kh, self.version), record));
                Ok(Some(Child::Leaf {
                    key_hash: *kh,
                    version: self.version,
                    hash: leaf_hash(kh, vh),
                }))
            }
            [first, .., last] => {
                let c = common_prefix_bits(first.kh(), last.kh());
                if c >= 256 {
                    return Err(Error::KeyHashCollision(first.kh().to_hex()));
                }
                if c < at {
                    return Err(corrupt(b"", "leaves do not share their subtree's prefix"));
                }
                let split = entries.partition_point(|e| !bit(e.kh(), c));
                let (el, er) = entries.split_at(split);
                let l = self.build(c + 1, el)?;
                let r = self.build(c + 1, er)?;
                self.combine(c, first.kh(), l, r)
            }
        }
    }

    /// The subtree at depth `d` (on the path `path`) with children `l` and `r`: a new branching
    /// node if both exist, else the one that exists, moved up.
    fn combine(
        &mut self,
        d: usize,
        path: &Hash,
        l: Option<Child>,
        r: Option<Child>,
    ) -> Result<Option<Child>, Error> {
        match (l, r) {
            (Some(l), Some(r)) => {
                let depth = u8::try_from(d).map_err(|_| corrupt(b"", "branch below depth 255"))?;
                let prefix = prefix(path, d);
                let hash = node_hash(&l.hash_at(d + 1), &r.hash_at(d + 1));
                let mut record = Vec::with_capacity(2 * 80);
                l.encode(&mut record);
                r.encode(&mut record);
                self.puts
                    .push((node_key(self.version, depth, &prefix), record));
                Ok(Some(Child::Node {
                    depth,
                    prefix,
                    version: self.version,
                    hash,
                }))
            }
            (Some(c), None) | (None, Some(c)) => Ok(Some(c)),
            (None, None) => Ok(None),
        }
    }
}

/// Applies one block's writes (`None` deletes) at `version` on top of the tree at `version - 1`
/// (version 0 starts from the empty tree), keeping the latest [`DEFAULT_KEEP_VERSIONS`] versions
/// provable. Reads through `reader`, writes nothing: the caller commits the returned update.
pub fn apply(
    reader: &impl NodeReader,
    version: u64,
    writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
) -> Result<TreeUpdate, Error> {
    apply_keeping(reader, version, writes, DEFAULT_KEEP_VERSIONS)
}

/// [`apply`], keeping the latest `keep` versions provable (at least 1: only the newest). Records
/// of older versions are deleted by the returned update. `keep` may change from one call to the
/// next; a smaller value prunes the backlog at once.
pub fn apply_keeping(
    reader: &impl NodeReader,
    version: u64,
    writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    keep: u64,
) -> Result<TreeUpdate, Error> {
    let keep = keep.max(1);
    let meta = read_meta(reader)?;
    let expected = meta.map_or(0, |m| m.latest.saturating_add(1));
    if version != expected || meta.is_some_and(|m| m.latest == u64::MAX) {
        return Err(Error::VersionOrder {
            expected,
            got: version,
        });
    }
    let base = if version == 0 {
        None
    } else {
        read_root(reader, version - 1)?.1
    };

    let mut sorted: Vec<Write<'_>> = writes
        .iter()
        .map(|(k, v)| Write {
            kh: key_hash(k),
            op: v.as_deref().map(|v| (value_hash(v), v)),
        })
        .collect();
    sorted.sort_unstable_by_key(|a| a.kh);
    if let Some(w) = sorted.windows(2).find(|w| w[0].kh == w[1].kh) {
        return Err(Error::KeyHashCollision(w[0].kh.to_hex()));
    }

    let mut up = Updater {
        reader,
        version,
        puts: Vec::new(),
        stale: Vec::new(),
    };
    let new_root = up.update(0, base, &sorted)?;
    let root = new_root.as_ref().map_or(EMPTY, |c| c.hash_at(0));
    let mut record = root.0.to_vec();
    if let Some(c) = &new_root {
        c.encode(&mut record);
    }
    let Updater {
        mut puts,
        mut stale,
        ..
    } = up;
    puts.push((version_key(TAG_ROOT, version), record));
    if version > 0 {
        // Once this version's list is pruned, the previous version is no longer provable.
        stale.push(version_key(TAG_ROOT, version - 1));
    }

    // Pruning lists: list `s` names the records version `s` stopped using; deleting them ends
    // version `s - 1`. After this update the versions `version + 1 - keep ..= version` stay.
    let prune_next = meta.map_or(1, |m| m.prune_next);
    let prune_through = (version + 1).saturating_sub(keep);
    let mut deletes = Vec::new();
    let mut s = prune_next.max(1);
    while s <= prune_through {
        if s == version {
            deletes.append(&mut stale);
        } else {
            let key = version_key(TAG_STALE, s);
            if let Some(list) = reader.get_node(&key)? {
                let mut r = Cursor { rest: &list };
                while !r.rest.is_empty() {
                    let n = r.u8().map_err(|e| corrupt(&key, e))?;
                    let k = r.take(usize::from(n)).map_err(|e| corrupt(&key, e))?;
                    deletes.push(k.to_vec());
                }
                deletes.push(key);
            }
        }
        s += 1;
    }
    if !stale.is_empty() {
        let mut list = Vec::with_capacity(stale.len() * 16);
        for k in &stale {
            let n =
                u8::try_from(k.len()).map_err(|_| corrupt(k, "key too long for a pruning list"))?;
            list.push(n);
            list.extend_from_slice(k);
        }
        puts.push((version_key(TAG_STALE, version), list));
    }
    let mut m = Vec::with_capacity(16);
    m.extend_from_slice(&version.to_be_bytes());
    m.extend_from_slice(
        &prune_next
            .max(prune_through.saturating_add(1))
            .to_be_bytes(),
    );
    puts.push((META_KEY.to_vec(), m));

    Ok(TreeUpdate {
        version,
        root,
        puts,
        deletes,
    })
}

//! The state the contracts read and write, as a trait of ordered byte-key reads and writes.
//!
//! The node implements [`State`] over RocksDB and the authenticated state tree; tests use
//! [`MemState`]. Execution always runs on an [`Overlay`], so a rejected record leaves the
//! underlying state byte-identical: the overlay is simply dropped.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use std::ops::Bound;

/// A failure of the storage under the state (a disk error, a corrupt value). Never a reason to
/// reject a record: the node stops instead, because other nodes would not see the same failure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("state storage failed: {0}")]
pub struct StateError(pub String);

/// Key-value pairs in key order, as a prefix scan returns them.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Ordered key-value state.
pub trait State {
    /// The value under `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;
    /// Sets `key` to `value`.
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<(), StateError>;
    /// Removes `key`.
    fn delete(&mut self, key: &[u8]) -> Result<(), StateError>;
    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StateError>;
    /// The values under `keys`, in their order: what [`State::get`] gives for each. A store
    /// that can read many keys in one batch (RocksDB's `MultiGet`) overrides it.
    fn get_many(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        keys.iter().map(|k| self.get(k)).collect()
    }
}

impl<S: State + ?Sized> State for &mut S {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        (**self).get(key)
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<(), StateError> {
        (**self).put(key, value)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        (**self).delete(key)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StateError> {
        (**self).scan_prefix(prefix)
    }
    fn get_many(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        (**self).get_many(keys)
    }
}

/// A hash map of byte-string keys (FxHash: the keys come from the contracts, not from an
/// adversary choosing hash collisions) that also keeps in order the keys whose first byte (the
/// table tag) is marked in `tags`: point reads and writes by hash, and prefix lists in key order,
/// from the ordered keys when the prefix's table is marked, else from a sorted pass over all of
/// them, so they are always complete, only slower. [`MemState`] and [`Writes`] are built on it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Keyed<V> {
    map: FxHashMap<Vec<u8>, V>,
    order: BTreeSet<Vec<u8>>,
    tags: [bool; 256],
}

impl<V> Keyed<V> {
    fn with_tags(tags: [bool; 256]) -> Self {
        Keyed {
            map: FxHashMap::default(),
            order: BTreeSet::new(),
            tags,
        }
    }

    fn get(&self, key: &[u8]) -> Option<&V> {
        self.map.get(key)
    }

    /// Sets `key` to `value`, replacing an earlier value.
    fn set(&mut self, key: &[u8], value: V) {
        match self.map.get_mut(key) {
            Some(v) => *v = value,
            None => {
                if key.first().is_none_or(|b| self.tags[usize::from(*b)]) {
                    self.order.insert(key.to_vec());
                }
                self.map.insert(key.to_vec(), value);
            }
        }
    }

    fn remove(&mut self, key: &[u8]) {
        if self.map.remove(key).is_some() {
            self.order.remove(key);
        }
    }

    /// Whether some key starts with `prefix` (without listing or sorting them).
    fn any_with_prefix(&self, prefix: &[u8]) -> bool {
        if prefix.first().is_some_and(|b| self.tags[usize::from(*b)]) {
            // `order` holds exactly the map's keys of the marked tables.
            return self
                .order
                .range::<Vec<u8>, _>(range_of(prefix))
                .next()
                .is_some();
        }
        self.map.keys().any(|k| k.starts_with(prefix))
    }

    /// Every entry whose key starts with `prefix`, in key order.
    fn with_prefix(&self, prefix: &[u8]) -> Vec<(&Vec<u8>, &V)> {
        if prefix.first().is_some_and(|b| self.tags[usize::from(*b)]) {
            return self
                .order
                .range::<Vec<u8>, _>(range_of(prefix))
                .filter_map(|k| self.map.get_key_value(k))
                .collect();
        }
        let mut out: Vec<(&Vec<u8>, &V)> = self
            .map
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// Every tag byte marked.
const ALL_TAGS: [bool; 256] = [true; 256];

/// The tags of the tables the contracts scan ([`crate::store::Table::SCANNED`]).
const SCANNED_TAGS: [bool; 256] = {
    let mut out = [false; 256];
    let mut i = 0;
    while i < crate::store::Table::SCANNED.len() {
        out[crate::store::Table::SCANNED[i] as usize] = true;
        i += 1;
    }
    out
};

/// An in-memory [`State`] for tests, tools and benchmarks: values in a hash map for point reads
/// and writes, and an ordered set of the keys for prefix scans.
///
/// The ordered set can be limited to keys whose first byte (the table tag) is in a given set
/// ([`MemState::indexing`]; [`MemState::for_contracts`] uses the contracts' scanned tables):
/// keys of other tables are then kept only in the hash map, and a scan of such a prefix falls
/// back to a full pass over the map, so results are always complete and in order, only slower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemState {
    rows: Keyed<Vec<u8>>,
}

impl Default for MemState {
    fn default() -> Self {
        MemState {
            rows: Keyed::with_tags(ALL_TAGS),
        }
    }
}

impl MemState {
    /// An empty state that orders every key.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty state that orders only the keys whose first byte is in `tags`.
    pub fn indexing(tags: &[u8]) -> Self {
        let mut ordered = [false; 256];
        for t in tags {
            ordered[usize::from(*t)] = true;
        }
        MemState {
            rows: Keyed::with_tags(ordered),
        }
    }

    /// An empty state indexed for the contracts' prefix scans ([`crate::store::Table::SCANNED`]).
    pub fn for_contracts() -> Self {
        MemState {
            rows: Keyed::with_tags(SCANNED_TAGS),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.rows.map.len()
    }

    /// Whether the state is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.map.is_empty()
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.rows.with_prefix(&[]).into_iter()
    }

    /// A digest of the whole state (blake3 over length-prefixed keys and values in order): two
    /// states are byte-identical exactly when their digests are (up to collisions).
    pub fn digest(&self) -> liangxin_types::Hash {
        let mut h = liangxin_types::Domain::State.hasher();
        for (k, v) in self.iter() {
            h.update(&(k.len() as u64).to_le_bytes());
            h.update(k);
            h.update(&(v.len() as u64).to_le_bytes());
            h.update(v);
        }
        h.finalize().into()
    }
}

/// Keys strictly after every key starting with `prefix`, or `None` if no such bound exists.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn range_of(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (
        Bound::Included(prefix.to_vec()),
        match prefix_end(prefix) {
            Some(e) => Bound::Excluded(e),
            None => Bound::Unbounded,
        },
    )
}

impl State for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.rows.get(key).cloned())
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<(), StateError> {
        self.rows.set(key, value);
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        self.rows.remove(key);
        Ok(())
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StateError> {
        Ok(self
            .rows
            .with_prefix(prefix)
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// Buffered state writes (`None` = delete), each key once: what an [`Overlay`] holds and a block
/// hands on when it is executed.
///
/// Point lookups go through a hash map; only the keys of the tables the contracts scan
/// ([`crate::store::Table::SCANNED`]) are also kept in order. A block writes thousands of rows
/// and every record reads and writes several of them: in an ordered map each of those was a
/// dozen or more byte-string comparisons. A scan of a prefix outside the scanned tables is still
/// complete and in order, by a pass over all the writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Writes {
    rows: Keyed<Option<Vec<u8>>>,
}

impl Default for Writes {
    fn default() -> Self {
        Writes {
            rows: Keyed::with_tags(SCANNED_TAGS),
        }
    }
}

impl Writes {
    /// No writes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The write of `key`: `Some(Some(value))` sets it, `Some(None)` deletes it, `None` if
    /// `key` is not written.
    pub fn get(&self, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        self.rows.get(key)
    }

    /// Sets (`Some`) or deletes (`None`) `key`, replacing an earlier write of it.
    pub fn set(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        self.rows.set(key, value);
    }

    /// Number of keys written.
    pub fn len(&self) -> usize {
        self.rows.map.len()
    }

    /// Whether nothing is written.
    pub fn is_empty(&self) -> bool {
        self.rows.map.is_empty()
    }

    /// Every write, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Option<Vec<u8>>)> {
        self.rows.map.iter()
    }

    /// Every write whose key starts with `prefix`, in key order.
    pub fn with_prefix(&self, prefix: &[u8]) -> Vec<(&Vec<u8>, &Option<Vec<u8>>)> {
        self.rows.with_prefix(prefix)
    }

    /// Whether some write's key starts with `prefix`.
    pub fn touches(&self, prefix: &[u8]) -> bool {
        self.rows.any_with_prefix(prefix)
    }
}

impl FromIterator<(Vec<u8>, Option<Vec<u8>>)> for Writes {
    /// Later writes of a key replace earlier ones.
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>>(iter: I) -> Self {
        let mut w = Writes::new();
        for (k, v) in iter {
            w.set(&k, v);
        }
        w
    }
}

impl IntoIterator for Writes {
    type Item = (Vec<u8>, Option<Vec<u8>>);
    type IntoIter = std::collections::hash_map::IntoIter<Vec<u8>, Option<Vec<u8>>>;

    /// Every write, in no particular order.
    fn into_iter(self) -> Self::IntoIter {
        self.rows.map.into_iter()
    }
}

impl<'a> IntoIterator for &'a Writes {
    type Item = (&'a Vec<u8>, &'a Option<Vec<u8>>);
    type IntoIter = std::collections::hash_map::Iter<'a, Vec<u8>, Option<Vec<u8>>>;

    /// Every write, in no particular order.
    fn into_iter(self) -> Self::IntoIter {
        self.rows.map.iter()
    }
}

/// Buffered writes over another state. Reads see the buffer first. [`Overlay::commit`] applies
/// the buffer; dropping the overlay discards it.
#[derive(Debug)]
pub struct Overlay<'a, S: State + ?Sized> {
    base: &'a mut S,
    writes: Writes,
}

impl<'a, S: State + ?Sized> Overlay<'a, S> {
    /// An empty overlay over `base`.
    pub fn new(base: &'a mut S) -> Self {
        Overlay {
            base,
            writes: Writes::new(),
        }
    }

    /// The buffered writes.
    pub fn writes(&self) -> &Writes {
        &self.writes
    }

    /// Takes the buffered writes without applying them (a caller that persists them itself).
    pub fn into_writes(self) -> Writes {
        self.writes
    }

    /// Applies the buffered writes to the base state.
    pub fn commit(self) -> Result<(), StateError> {
        for (k, v) in self.writes {
            match v {
                Some(v) => self.base.put(&k, v)?,
                None => self.base.delete(&k)?,
            }
        }
        Ok(())
    }
}

impl<S: State + ?Sized> State for Overlay<'_, S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self.writes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<(), StateError> {
        self.writes.set(key, Some(value));
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        self.writes.set(key, None);
        Ok(())
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StateError> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.scan_prefix(prefix)?.into_iter().collect();
        for (k, v) in self.writes.with_prefix(prefix) {
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        Ok(merged.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_buffers_and_commits() {
        let mut base = MemState::new();
        base.put(b"a/1", b"x".to_vec()).unwrap();
        base.put(b"a/2", b"y".to_vec()).unwrap();
        base.put(b"b/1", b"z".to_vec()).unwrap();
        let before = base.clone();
        {
            let mut o = Overlay::new(&mut base);
            o.put(b"a/3", b"w".to_vec()).unwrap();
            o.delete(b"a/1").unwrap();
            assert_eq!(o.get(b"a/1").unwrap(), None);
            let keys: Vec<Vec<u8>> = o
                .scan_prefix(b"a/")
                .unwrap()
                .into_iter()
                .map(|e| e.0)
                .collect();
            assert_eq!(keys, vec![b"a/2".to_vec(), b"a/3".to_vec()]);
            // dropped: nothing happens
        }
        assert_eq!(base, before);
        let mut o = Overlay::new(&mut base);
        o.put(b"a/3", b"w".to_vec()).unwrap();
        o.delete(b"a/1").unwrap();
        o.commit().unwrap();
        assert_eq!(base.get(b"a/1").unwrap(), None);
        assert_eq!(base.get(b"a/3").unwrap(), Some(b"w".to_vec()));
        assert_ne!(base.digest(), before.digest());
    }

    #[test]
    fn partial_index_scans_like_a_full_one() {
        let mut full = MemState::new();
        let mut partial = MemState::indexing(&[1]);
        for i in 0u32..300 {
            for tag in [0u8, 1, 2, 0xff] {
                let k = [&[tag][..], &(i * 7919 % 301).to_be_bytes()].concat();
                full.put(&k, i.to_le_bytes().to_vec()).unwrap();
                partial.put(&k, i.to_le_bytes().to_vec()).unwrap();
            }
        }
        for i in (0u32..300).step_by(3) {
            let k = [&[2u8][..], &(i * 7919 % 301).to_be_bytes()].concat();
            full.delete(&k).unwrap();
            partial.delete(&k).unwrap();
        }
        for prefix in [&[][..], &[0], &[1], &[2], &[2, 0], &[0xff], &[7]] {
            assert_eq!(
                full.scan_prefix(prefix).unwrap(),
                partial.scan_prefix(prefix).unwrap(),
                "prefix {prefix:?}"
            );
        }
        assert_eq!(full.digest(), partial.digest());
        assert_eq!(full.len(), partial.len());
    }

    proptest::proptest! {
        /// `Writes` answers like an ordered map of the same writes: point reads, prefix lists
        /// in key order and `touches`, for prefixes inside and outside the scanned tables.
        #[test]
        fn writes_behave_like_an_ordered_map(
            ops in proptest::collection::vec(
                (
                    proptest::sample::select(vec![1u8, 3, 4, 8, 0x61, 0xff]),
                    proptest::collection::vec(0u8..4, 0..4),
                    proptest::option::of(proptest::collection::vec(0u8..=255, 0..3)),
                ),
                0..80,
            ),
            probes in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![0u8, 1, 2, 3, 4, 8, 0x61, 0xff]),
                    0..4,
                ),
                1..20,
            ),
        ) {
            let mut writes = Writes::new();
            let mut model: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
            for (tag, rest, value) in ops {
                let key = [&[tag][..], &rest].concat();
                writes.set(&key, value.clone());
                model.insert(key, value);
            }
            proptest::prop_assert_eq!(writes.len(), model.len());
            for (k, v) in &model {
                proptest::prop_assert_eq!(writes.get(k), Some(v));
            }
            for prefix in probes {
                let expected: Vec<(&Vec<u8>, &Option<Vec<u8>>)> =
                    model.iter().filter(|(k, _)| k.starts_with(&prefix)).collect();
                proptest::prop_assert_eq!(&writes.with_prefix(&prefix), &expected);
                proptest::prop_assert_eq!(writes.touches(&prefix), !expected.is_empty());
                if !model.contains_key(&prefix) {
                    proptest::prop_assert_eq!(writes.get(&prefix), None);
                }
            }
            let mut all: Vec<_> = writes.clone().into_iter().collect();
            all.sort();
            let model_all: Vec<_> = model.into_iter().collect();
            proptest::prop_assert_eq!(all, model_all);
        }
    }

    #[test]
    fn prefix_scan_edges() {
        let mut s = MemState::new();
        s.put(&[0xff, 0xff], vec![1]).unwrap();
        s.put(&[0xff], vec![2]).unwrap();
        s.put(&[0xfe, 0xff], vec![3]).unwrap();
        assert_eq!(s.scan_prefix(&[0xff]).unwrap().len(), 2);
        assert_eq!(s.scan_prefix(&[0xfe]).unwrap().len(), 1);
        assert_eq!(s.scan_prefix(&[]).unwrap().len(), 3);
    }
}

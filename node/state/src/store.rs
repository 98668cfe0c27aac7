//! Storage abstraction: the tree reads persisted records through [`NodeReader`] and returns
//! every change as a [`TreeUpdate`] for the caller to commit; [`MemNodes`] keeps them in memory.

use liangxin_types::Hash;
use rustc_hash::FxHashMap;

use crate::Error;

/// Reads the tree's persisted records by key. The node implements it over a RocksDB column
/// family (reading the latest committed data); tests and tools use [`MemNodes`].
///
/// The tree never writes: it returns a [`TreeUpdate`] and the caller commits its `puts` and
/// `deletes` (in one atomic batch with the block). Keys are opaque bytes of at most 42 bytes;
/// values are a leaf's value plus 32 bytes, a node's two child references (under 150 bytes), or
/// a version's pruning list (about 20 bytes per record it names).
pub trait NodeReader {
    /// The record stored under `key`, or `None`. An I/O failure is reported as
    /// [`Error::Storage`].
    fn get_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error>;
}

impl<R: NodeReader + ?Sized> NodeReader for &R {
    fn get_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        (**self).get_node(key)
    }
}

/// What one [`apply`](crate::apply) changes: the new root and the records to write and delete.
/// `puts` and `deletes` never name the same key, so they can be applied in either order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeUpdate {
    /// The version this update creates.
    pub version: u64,
    /// The state root at `version`.
    pub root: Hash,
    /// Records to store (new nodes and leaves, the version's root record, the pruning list, meta).
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    /// Records to delete: nodes that stopped being part of any version still kept.
    pub deletes: Vec<Vec<u8>>,
}

/// An in-memory [`NodeReader`] for tests, tools and an in-memory node.
///
/// A hash map (FxHash) rather than a `BTreeMap`: the tree only does point reads, and ordered
/// lookups over 2 × 10⁵ records spent most of a proof's time in key comparisons. Its keys are
/// derived from blake3 outputs, so they cannot be chosen to collide in the map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemNodes {
    nodes: FxHashMap<Vec<u8>, Vec<u8>>,
}

impl MemNodes {
    /// An empty store (the tree before version 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Commits an update: removes its `deletes`, stores its `puts`.
    pub fn apply_update(&mut self, update: &TreeUpdate) {
        for k in &update.deletes {
            self.nodes.remove(k);
        }
        for (k, v) in &update.puts {
            self.nodes.insert(k.clone(), v.clone());
        }
    }

    /// Number of records stored.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Total bytes of keys and values stored (what a key-value store would hold before its own
    /// overhead).
    pub fn stored_bytes(&self) -> usize {
        self.nodes.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    /// Every record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.nodes.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }
}

impl NodeReader for MemNodes {
    fn get_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.nodes.get(key).cloned())
    }
}

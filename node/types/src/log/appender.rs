//! The appender: frontier, right-edge tiles and dirty-tile tracking.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::Error;

use super::hasher::LogHasher;
use super::read::{LogReader, Lookup};
use super::tile::{MAX_TILE_LEVELS, TILE_HEIGHT, TILE_WIDTH, Tile, TileId, TileStore};

/// The largest size [`MerkleLog::open`] accepts (2^63 leaves): far above anything reachable, and
/// it keeps every index computation of the appender in range.
pub const MAX_LOG_SIZE: u64 = 1 << 63;

/// The rightmost tile of one tile level, which appends extend.
struct EdgeTile<H: LogHasher> {
    index: u64,
    tile: Arc<Tile<H>>,
    /// Changed since the last [`MerkleLog::take_dirty_tiles`].
    dirty: bool,
}

impl<H: LogHasher> Clone for EdgeTile<H> {
    fn clone(&self) -> Self {
        EdgeTile {
            index: self.index,
            tile: self.tile.clone(),
            dirty: self.dirty,
        }
    }
}

/// An append-only RFC 9162 Merkle log.
///
/// It holds only the size, the frontier (the roots of the complete subtrees that make up the
/// current tree, largest first), the rightmost tile of each tile level, and the tiles completed
/// since the last [`MerkleLog::take_dirty_tiles`]. Appending reads nothing from a store and
/// costs one leaf hash plus, amortised, one node hash; the node hashes it computes are exactly
/// the interior hashes the tiles keep, so tiles cost no extra hashing.
pub struct MerkleLog<H: LogHasher> {
    size: u64,
    frontier: Vec<H::Output>,
    edge: Vec<EdgeTile<H>>,
    completed: BTreeMap<TileId, Arc<Tile<H>>>,
}

impl<H: LogHasher> MerkleLog<H> {
    /// An empty log.
    pub fn new() -> Self {
        MerkleLog {
            size: 0,
            frontier: Vec::new(),
            edge: Vec::new(),
            completed: BTreeMap::new(),
        }
    }

    /// Reopens the log of `size` leaves whose tiles `store` holds (e.g. after a restart): reads the
    /// frontier's hashes and the rightmost tile of each level. The store may hold tiles of a larger
    /// size (they are cut down to `size`); it must hold every tile `size` needs.
    pub fn open<S: TileStore<H>>(store: &S, size: u64) -> Result<Self, Error> {
        if size > MAX_LOG_SIZE {
            return Err(Error::Log(format!(
                "log size {size} is above the maximum {MAX_LOG_SIZE}"
            )));
        }
        let mut log = Self::new();
        log.size = size;
        let mut lookup = Lookup::new(store);
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if (size >> level) & 1 == 1 {
                log.frontier.push(lookup.perfect(level, start >> level)?);
                start += 1u64 << level;
            }
        }
        for tile_level in 0..MAX_TILE_LEVELS {
            let count = size >> (TILE_HEIGHT as usize * tile_level);
            if count == 0 {
                break;
            }
            let index = (count - 1) / TILE_WIDTH as u64;
            let width = (count - index * TILE_WIDTH as u64) as usize;
            let tile = lookup.tile(tile_level, index)?;
            if !tile.is_well_formed() || tile.width() < width {
                return Err(Error::Log(format!(
                    "{} has width {}, a log of size {size} needs {width}",
                    TileId::new(tile_level as u8, index),
                    tile.width()
                )));
            }
            let tile = if tile.width() == width {
                tile
            } else {
                Arc::new(tile.truncated(width))
            };
            log.edge.push(EdgeTile {
                index,
                tile,
                dirty: false,
            });
        }
        Ok(log)
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The roots of the complete subtrees that make up the tree, largest (leftmost) first: one per
    /// set bit of the size.
    pub fn frontier(&self) -> &[H::Output] {
        &self.frontier
    }

    /// The tree head `MTH(D[0:size])` (RFC 9162 §2.1.1), folded from the frontier.
    pub fn root(&self) -> H::Output {
        let mut it = self.frontier.iter().rev();
        let Some(last) = it.next() else {
            return H::empty_root();
        };
        it.fold(*last, |acc, left| H::node(left, &acc))
    }

    /// Appends a leaf with data `data` (hashed as `HASH(0x00 ‖ data)`); returns its index.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        self.append_leaf_hash(H::leaf(data))
    }

    /// Appends a leaf whose leaf hash the caller already computed; returns its index.
    pub fn append_leaf_hash(&mut self, leaf_hash: H::Output) -> u64 {
        let index = self.size;
        self.put(0, index, leaf_hash);
        let mut hash = leaf_hash;
        // One merge per trailing 1 bit of the old size: each set bit is a complete subtree of
        // the frontier, and the new leaf completes the ones of the same size.
        for level in 1..=index.trailing_ones() {
            let Some(left) = self.frontier.pop() else {
                break;
            };
            hash = H::node(&left, &hash);
            self.put(level, index.checked_shr(level).unwrap_or(0), hash);
        }
        self.frontier.push(hash);
        self.size = index.saturating_add(1);
        index
    }

    /// Records the complete-subtree hash at tree `level`, index `index` in its tile.
    fn put(&mut self, level: u32, index: u64, hash: H::Output) {
        let tile_level = (level / TILE_HEIGHT) as usize;
        let height = level % TILE_HEIGHT;
        if height == 0 {
            let tile_index = index / TILE_WIDTH as u64;
            if tile_level == self.edge.len() {
                self.edge.push(EdgeTile {
                    index: tile_index,
                    tile: Arc::new(Tile::empty()),
                    dirty: false,
                });
            } else if let Some(edge) = self.edge.get_mut(tile_level)
                && edge.index != tile_index
            {
                // The previous tile is full and complete: it stays readable until taken.
                let done = std::mem::replace(
                    edge,
                    EdgeTile {
                        index: tile_index,
                        tile: Arc::new(Tile::empty()),
                        dirty: false,
                    },
                );
                if done.dirty {
                    self.completed
                        .insert(TileId::new(tile_level as u8, done.index), done.tile);
                }
            }
        }
        if let Some(edge) = self.edge.get_mut(tile_level) {
            Arc::make_mut(&mut edge.tile).push(height, hash);
            edge.dirty = true;
        }
    }

    /// Whether there are tiles the caller has not yet taken.
    pub fn has_dirty_tiles(&self) -> bool {
        !self.completed.is_empty() || self.edge.iter().any(|e| e.dirty)
    }

    /// The tiles written since the last call: every tile completed meanwhile and the current
    /// (possibly partial) rightmost tile of each level that changed. The caller writes them to its
    /// store under their ids, in the same atomic batch as the leaves they cover; afterwards the
    /// log holds only the rightmost tiles, so reads of older parts go to the store.
    pub fn take_dirty_tiles(&mut self) -> Vec<(TileId, Arc<Tile<H>>)> {
        let mut out: Vec<(TileId, Arc<Tile<H>>)> =
            std::mem::take(&mut self.completed).into_iter().collect();
        for (level, edge) in self.edge.iter_mut().enumerate() {
            if edge.dirty {
                out.push((TileId::new(level as u8, edge.index), edge.tile.clone()));
                edge.dirty = false;
            }
        }
        out
    }

    /// The log's tiles not yet taken, layered over `store`.
    pub fn overlay<'a, S: TileStore<H>>(&'a self, store: &'a S) -> LayeredStore<'a, H, S> {
        LayeredStore { log: self, store }
    }

    /// A reader of the current log: tiles not yet taken come from the log, the rest from
    /// `store`. Proofs can be made right after appending, before the tiles are written.
    pub fn reader<'a, S: TileStore<H>>(
        &'a self,
        store: &'a S,
    ) -> LogReader<H, LayeredStore<'a, H, S>> {
        LogReader::new(self.overlay(store), self.size)
    }
}

impl<H: LogHasher> Default for MerkleLog<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: LogHasher> Clone for MerkleLog<H> {
    fn clone(&self) -> Self {
        MerkleLog {
            size: self.size,
            frontier: self.frontier.clone(),
            edge: self.edge.clone(),
            completed: self.completed.clone(),
        }
    }
}

impl<H: LogHasher> fmt::Debug for MerkleLog<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerkleLog")
            .field("size", &self.size)
            .field("root", &self.root())
            .field("completed_tiles", &self.completed.len())
            .finish_non_exhaustive()
    }
}

/// A [`MerkleLog`]'s tiles not yet taken, over a store: the view proofs are made from.
pub struct LayeredStore<'a, H: LogHasher, S: TileStore<H>> {
    log: &'a MerkleLog<H>,
    store: &'a S,
}

impl<H: LogHasher, S: TileStore<H>> TileStore<H> for LayeredStore<'_, H, S> {
    fn get_tile(&self, id: TileId) -> Result<Option<Arc<Tile<H>>>, Error> {
        if let Some(edge) = self.log.edge.get(id.level as usize)
            && edge.index == id.index
        {
            return Ok(Some(edge.tile.clone()));
        }
        if let Some(tile) = self.log.completed.get(&id) {
            return Ok(Some(tile.clone()));
        }
        self.store.get_tile(id)
    }
}

impl<H: LogHasher, S: TileStore<H>> fmt::Debug for LayeredStore<'_, H, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LayeredStore")
            .field("log_size", &self.log.size)
            .finish_non_exhaustive()
    }
}

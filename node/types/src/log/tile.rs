//! Tiles of complete-subtree hashes (C2SP tlog-tiles layout) and the store trait that serves them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::Error;

use super::hasher::LogHasher;

/// Tree levels per tile (C2SP tlog-tiles: tiles of height 8).
pub const TILE_HEIGHT: u32 = 8;
/// Hashes at the base of a full tile (`2^TILE_HEIGHT`).
pub const TILE_WIDTH: usize = 1 << TILE_HEIGHT;
/// Tile levels a 64-bit tree size can need: tree levels 0..=63 live in tile levels 0..=7.
pub const MAX_TILE_LEVELS: usize = 8;

/// Names a tile: the tile at tile level `level`, index `index` holds the hashes at tree level
/// `8 * level` with indexes `256 * index .. 256 * index + width`.
///
/// Stores key tiles by `(level, index)`; a partial tile on the right edge is stored under the same
/// key as the full tile it grows into and is overwritten as it grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Tile level (0 holds leaf hashes).
    pub level: u8,
    /// Index of the tile within its level.
    pub index: u64,
}

impl TileId {
    /// The tile at tile level `level`, index `index`.
    pub const fn new(level: u8, index: u64) -> Self {
        TileId { level, index }
    }

    /// The C2SP tlog-tiles path of this tile with `width` base hashes: `tile/<L>/<N>` with `N` in
    /// zero-padded 3-digit elements, all but the last prefixed by `x`, and `.p/<W>` for a partial
    /// tile (`width < 256`). Example: level 0, index 1234067, width 8 is
    /// `tile/0/x001/x234/067.p/8`.
    pub fn path(&self, width: usize) -> String {
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        let mut out = format!("tile/{}", self.level);
        for (i, g) in groups.iter().rev().enumerate() {
            let prefix = if i + 1 < groups.len() { "x" } else { "" };
            out.push_str(&format!("/{prefix}{g:03}"));
        }
        if width < TILE_WIDTH {
            out.push_str(&format!(".p/{width}"));
        }
        out
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tile {}/{}", self.level, self.index)
    }
}

/// One tile: its `width` (1..=256) base hashes, which are exactly the C2SP tile content, plus the
/// in-tile interior levels (tree levels `8L+1 ..= 8L+7`) computed from them.
///
/// Invariant: the vector of in-tile height `t` holds `width >> t` hashes (the complete nodes).
pub struct Tile<H: LogHasher> {
    levels: [Vec<H::Output>; TILE_HEIGHT as usize],
}

impl<H: LogHasher> Tile<H> {
    /// A tile with no hashes yet (only the appender holds one, briefly).
    pub(crate) fn empty() -> Self {
        Tile {
            levels: std::array::from_fn(|_| Vec::new()),
        }
    }

    /// A tile from its base hashes (1..=256), computing the interior levels (at most 255 node
    /// hashes).
    pub fn from_hashes(hashes: Vec<H::Output>) -> Result<Self, Error> {
        if hashes.is_empty() || hashes.len() > TILE_WIDTH {
            return Err(Error::Log(format!(
                "a tile holds 1 to {TILE_WIDTH} hashes, not {}",
                hashes.len()
            )));
        }
        let mut tile = Tile::empty();
        tile.levels[0] = hashes;
        for t in 1..TILE_HEIGHT as usize {
            let below = &tile.levels[t - 1];
            let level: Vec<H::Output> = below
                .chunks_exact(2)
                .map(|pair| H::node(&pair[0], &pair[1]))
                .collect();
            tile.levels[t] = level;
        }
        Ok(tile)
    }

    /// Decodes the C2SP tile content: `width` hashes concatenated, 1 ≤ width ≤ 256.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let len = H::OUTPUT_LEN;
        if len == 0 || bytes.is_empty() || !bytes.len().is_multiple_of(len) {
            return Err(Error::Log(format!(
                "tile content of {} bytes is not a non-empty sequence of {len}-byte hashes",
                bytes.len()
            )));
        }
        let hashes = bytes
            .chunks_exact(len)
            .map(|c| {
                H::output_from_slice(c)
                    .ok_or_else(|| Error::Log("tile hash of the wrong length".into()))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Self::from_hashes(hashes)
    }

    /// The C2SP tile content: the base hashes concatenated.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.width() * H::OUTPUT_LEN);
        for h in self.hashes() {
            out.extend_from_slice(h.as_ref());
        }
        out
    }

    /// Number of base hashes (256 for a full tile).
    pub fn width(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether the tile holds all 256 base hashes.
    pub fn is_full(&self) -> bool {
        self.width() == TILE_WIDTH
    }

    /// The base hashes (tree level `8L`), left to right.
    pub fn hashes(&self) -> &[H::Output] {
        &self.levels[0]
    }

    /// The hash at in-tile height `height` (0..=7, tree level `8L + height`) and in-tile index
    /// `index` (0..256 >> height), if the tile is wide enough to hold it.
    pub fn node(&self, height: u32, index: usize) -> Option<H::Output> {
        self.levels.get(height as usize)?.get(index).copied()
    }

    /// Appends a hash at in-tile height `height` (the appender keeps the invariant).
    pub(crate) fn push(&mut self, height: u32, hash: H::Output) {
        if let Some(level) = self.levels.get_mut(height as usize) {
            level.push(hash);
        }
    }

    /// This tile cut down to `width` base hashes (the prefix of a wider version of the tile).
    pub(crate) fn truncated(&self, width: usize) -> Self {
        let mut tile = self.clone();
        for (t, level) in tile.levels.iter_mut().enumerate() {
            level.truncate(width >> t);
        }
        tile
    }

    /// Whether the in-tile levels hold `width >> t` hashes (true of every tile built by this
    /// module; checked on tiles coming from a store before the appender extends them).
    pub(crate) fn is_well_formed(&self) -> bool {
        let w = self.width();
        w <= TILE_WIDTH
            && self
                .levels
                .iter()
                .enumerate()
                .all(|(t, level)| level.len() == w >> t)
    }
}

impl<H: LogHasher> Clone for Tile<H> {
    fn clone(&self) -> Self {
        Tile {
            levels: self.levels.clone(),
        }
    }
}

impl<H: LogHasher> PartialEq for Tile<H> {
    fn eq(&self, other: &Self) -> bool {
        self.levels == other.levels
    }
}

impl<H: LogHasher> Eq for Tile<H> {}

impl<H: LogHasher> fmt::Debug for Tile<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tile")
            .field("width", &self.width())
            .field("hashes", &self.hashes())
            .finish()
    }
}

/// Where tiles are read from. Implementations return the newest stored version of a tile (a
/// partial tile may be wider than a reader needs; readers only look at the prefix they need), or
/// `None` if nothing is stored under that id.
pub trait TileStore<H: LogHasher> {
    /// The tile stored under `id`, if any.
    fn get_tile(&self, id: TileId) -> Result<Option<Arc<Tile<H>>>, Error>;
}

impl<H: LogHasher, T: TileStore<H> + ?Sized> TileStore<H> for &T {
    fn get_tile(&self, id: TileId) -> Result<Option<Arc<Tile<H>>>, Error> {
        (**self).get_tile(id)
    }
}

/// Tiles in memory (tests, tools, and small logs).
pub struct MemTileStore<H: LogHasher> {
    tiles: HashMap<TileId, Arc<Tile<H>>>,
}

impl<H: LogHasher> MemTileStore<H> {
    /// An empty store.
    pub fn new() -> Self {
        MemTileStore {
            tiles: HashMap::new(),
        }
    }

    /// Stores `tile` under `id`, replacing what was there.
    pub fn insert(&mut self, id: TileId, tile: Arc<Tile<H>>) {
        self.tiles.insert(id, tile);
    }

    /// Stores every tile of `tiles` (e.g. the output of
    /// [`MerkleLog::take_dirty_tiles`](super::MerkleLog::take_dirty_tiles)).
    pub fn insert_all(&mut self, tiles: impl IntoIterator<Item = (TileId, Arc<Tile<H>>)>) {
        self.tiles.extend(tiles);
    }

    /// Number of stored tiles.
    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    /// Whether no tile is stored.
    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }
}

impl<H: LogHasher> Default for MemTileStore<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: LogHasher> Clone for MemTileStore<H> {
    fn clone(&self) -> Self {
        MemTileStore {
            tiles: self.tiles.clone(),
        }
    }
}

impl<H: LogHasher> fmt::Debug for MemTileStore<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemTileStore")
            .field("tiles", &self.tiles.len())
            .finish()
    }
}

impl<H: LogHasher> TileStore<H> for MemTileStore<H> {
    fn get_tile(&self, id: TileId) -> Result<Option<Arc<Tile<H>>>, Error> {
        Ok(self.tiles.get(&id).cloned())
    }
}

//! The ledger's append-only Merkle log: RFC 9162 §2.1 (the Certificate Transparency v2 tree),
//! with blake3 as the hash, stored as C2SP tlog-tiles.
//!
//! # Pieces
//!
//! - [`LogHasher`]: the hash in the RFC 9162 §2.1.1 construction (`HASH()` for the empty tree,
//!   `HASH(0x00 ‖ d)` for a leaf, `HASH(0x01 ‖ l ‖ r)` for a node). [`Blake3`] is the ledger's;
//!   [`Sha256`] is RFC 6962's, used to check the algorithms against the published test vectors.
//! - [`Tile`], [`TileId`], [`TileStore`], [`MemTileStore`]: storage of complete-subtree hashes in
//!   tiles of height 8 (<https://c2sp.org/tlog-tiles>). The tile at tile level `L`, index `N`
//!   holds the hashes at tree level `8L` with indexes `256N .. 256N + w` (`w ≤ 256`; the tiles on
//!   the right edge are partial and grow in place under the same id).
//! - [`MerkleLog`]: the appender. It keeps the size, the frontier and the rightmost tile of each
//!   tile level, and hands out the tiles to write with [`MerkleLog::take_dirty_tiles`].
//! - [`LogReader`]: roots of earlier sizes and proof generation (RFC 9162 §2.1.3.1 `PATH`,
//!   §2.1.4.1 `PROOF`) over a store, or over a log and its store via [`MerkleLog::reader`].
//! - [`verify_inclusion`], [`verify_consistency`]: the RFC 9162 §2.1.3.2 and §2.1.4.2 verifiers,
//!   over hashes only.
//!
//! # Design
//!
//! **Tile content.** What a tile *is* — what [`Tile::to_bytes`] gives and what a tile server
//! publishes — is the C2SP content, the `w` base hashes concatenated. In memory a [`Tile`] also
//! keeps its interior levels (tree levels `8L+1 ..= 8L+7`, another `w - 1` hashes at most). A
//! proof needs one sibling per tree level, up to 8 of them inside one tile; without the interior
//! each would be recomputed from base hashes, ~247 node hashes per tile and proof, i.e. several
//! hundred hashes per proof instead of none. The appender computes those interior hashes anyway
//! (they are the merges of the frontier), so keeping them is free on the write path, and a store
//! that persists only the C2SP content rebuilds them once per tile read in [`Tile::from_bytes`]
//! (at most 255 hashes; a store can cache decoded tiles).
//!
//! **Dirty tiles.** Appending touches only the rightmost tile of each tile level. When a tile
//! fills up it moves to a set of completed tiles; [`MerkleLog::take_dirty_tiles`] drains that set
//! and copies out (as `Arc`s) the rightmost tiles that changed. The caller writes them in the same
//! atomic batch as the block whose leaves they cover. Until then the log still serves them:
//! [`MerkleLog::reader`] layers them over the store ([`LayeredStore`]), so proofs can be made
//! right after appending.
//!
//! **Store trait.** [`TileStore::get_tile`] returns `Arc<Tile>`: an in-memory store hands out its
//! tile without copying, a database decodes into a fresh `Arc`. A store may return a *wider*
//! version of a partial tile than a reader needs (tiles only grow); readers use only the prefix
//! that their size covers, and [`MerkleLog::open`] cuts the rightmost tiles down to its size.
//!
//! **Reads.** The hash of a complete subtree comes from a single tile. The root of an incomplete
//! range `D[lo:hi]` on the right edge is folded from one complete subtree per set bit of
//! `hi - lo`, so a root or proof costs `O(log n)` tile lookups and `O(log n)` hashes.
//!
//! No function here panics on any input: bad sizes and indexes give [`Error::Log`](crate::Error),
//! proofs that do not verify give [`Error::Proof`](crate::Error).

mod appender;
mod hasher;
mod read;
mod tile;
mod verify;

#[cfg(test)]
mod tests;

pub use appender::{LayeredStore, MAX_LOG_SIZE, MerkleLog};
pub use hasher::{Blake3, LEAF_PREFIX, LogHasher, NODE_PREFIX, Sha256};
pub use read::LogReader;
pub use tile::{MAX_TILE_LEVELS, MemTileStore, TILE_HEIGHT, TILE_WIDTH, Tile, TileId, TileStore};
pub use verify::{
    root_from_inclusion_proof, root_from_leaves, verify_consistency, verify_inclusion,
};

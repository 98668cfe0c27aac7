//! Reads over stored tiles: roots of earlier sizes and proof generation (RFC 9162 §2.1.3.1,
//! §2.1.4.1).

use std::marker::PhantomData;
use std::sync::Arc;

use crate::Error;

use super::hasher::LogHasher;
use super::tile::{MAX_TILE_LEVELS, TILE_HEIGHT, Tile, TileId, TileStore};

/// The largest power of two strictly below `n` (the RFC's split point `k`). `n` must be ≥ 2.
pub(crate) fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n.saturating_sub(1) | 1).leading_zeros())
}

/// Finds complete-subtree hashes in tiles, keeping the last tile seen at each tile level (a proof
/// reads up to eight hashes from the same tile).
pub(crate) struct Lookup<'s, H: LogHasher, S: TileStore<H>> {
    store: &'s S,
    cache: [Option<(u64, Arc<Tile<H>>)>; MAX_TILE_LEVELS],
}

impl<'s, H: LogHasher, S: TileStore<H>> Lookup<'s, H, S> {
    pub(crate) fn new(store: &'s S) -> Self {
        Lookup {
            store,
            cache: std::array::from_fn(|_| None),
        }
    }

    /// The tile `(level, index)`, from the cache or the store; error if the store has none.
    pub(crate) fn tile(&mut self, level: usize, index: u64) -> Result<Arc<Tile<H>>, Error> {
        let slot = self
            .cache
            .get_mut(level)
            .ok_or_else(|| Error::Log(format!("tile level {level} is out of range")))?;
        if let Some((i, tile)) = slot
            && *i == index
        {
            return Ok(tile.clone());
        }
        let id = TileId::new(level as u8, index);
        let tile = self
            .store
            .get_tile(id)?
            .ok_or_else(|| Error::Log(format!("{id} is not stored")))?;
        *slot = Some((index, tile.clone()));
        Ok(tile)
    }

    /// The hash of the complete subtree at tree `level` with index `index`: the root of leaves
    /// `index * 2^level .. (index + 1) * 2^level`.
    pub(crate) fn perfect(&mut self, level: u32, index: u64) -> Result<H::Output, Error> {
        let tile_level = (level / TILE_HEIGHT) as usize;
        let height = level % TILE_HEIGHT;
        let per_tile_shift = TILE_HEIGHT - height; // nodes of this height per tile = 2^shift
        let tile_index = index >> per_tile_shift;
        let in_tile = (index & ((1u64 << per_tile_shift) - 1)) as usize;
        let tile = self.tile(tile_level, tile_index)?;
        tile.node(height, in_tile).ok_or_else(|| {
            Error::Log(format!(
                "{} (width {}) does not hold the hash at tree level {level}, index {index}",
                TileId::new(tile_level as u8, tile_index),
                tile.width()
            ))
        })
    }

    /// `MTH(D[lo:hi])` for `lo < hi` where `lo` is a multiple of the largest power of two not
    /// above `hi - lo` (true of every subtree of the RFC's recursive definition). The range splits
    /// into complete subtrees, one per set bit of `hi - lo`, folded right to left (RFC 9162
    /// §2.1.1: left part of size k complete, the rest recursive).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> Result<H::Output, Error> {
        let len = hi
            .checked_sub(lo)
            .filter(|l| *l > 0)
            .ok_or_else(|| Error::Log(format!("empty or inverted range {lo}..{hi}")))?;
        let top = 63 - len.leading_zeros();
        if lo & ((1u64 << top) - 1) != 0 {
            return Err(Error::Log(format!(
                "range {lo}..{hi} is not a subtree of the log"
            )));
        }
        let mut acc: Option<H::Output> = None;
        let mut end = hi;
        for bit in 0..=top {
            if (len >> bit) & 1 == 1 {
                end -= 1u64 << bit;
                let h = self.perfect(bit, end >> bit)?;
                acc = Some(match acc {
                    None => h,
                    Some(right) => H::node(&h, &right),
                });
            }
        }
        acc.ok_or_else(|| Error::Log("empty range".into()))
    }
}

/// Read access to a log of a known size over a tile store: roots of any earlier size and proofs.
///
/// `size` bounds every request: tiles describe the log only up to the size they were written
/// for. Build one with [`LogReader::new`] over a store whose tiles cover `size`, or with
/// [`MerkleLog::reader`](super::MerkleLog::reader), which also sees the log's unflushed tiles.
pub struct LogReader<H: LogHasher, S: TileStore<H>> {
    store: S,
    size: u64,
    _hasher: PhantomData<fn() -> H>,
}

impl<H: LogHasher, S: TileStore<H>> LogReader<H, S> {
    /// A reader of the first `size` leaves of the log whose tiles `store` holds.
    pub fn new(store: S, size: u64) -> Self {
        LogReader {
            store,
            size,
            _hasher: PhantomData,
        }
    }

    /// The log size this reader answers for.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn check_size(&self, size: u64) -> Result<(), Error> {
        if size > self.size {
            return Err(Error::Log(format!(
                "tree size {size} is above the log size {}",
                self.size
            )));
        }
        Ok(())
    }

    /// `MTH(D[0:size])` for any `size` up to the log size (the empty root for 0).
    pub fn root_at(&self, size: u64) -> Result<H::Output, Error> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(H::empty_root());
        }
        Lookup::new(&self.store).range(0, size)
    }

    /// The hash of leaf `index`.
    pub fn leaf_hash(&self, index: u64) -> Result<H::Output, Error> {
        if index >= self.size {
            return Err(Error::Log(format!(
                "leaf index {index} is not below the log size {}",
                self.size
            )));
        }
        Lookup::new(&self.store).perfect(0, index)
    }

    /// The hash of the complete subtree at tree `level` (0 = leaves) with index `index`, i.e. of
    /// leaves `index * 2^level .. (index + 1) * 2^level`, which must all be in the log.
    pub fn subtree_hash(&self, level: u32, index: u64) -> Result<H::Output, Error> {
        let complete = index
            .checked_add(1)
            .and_then(|e| e.checked_mul(1u64.checked_shl(level)?))
            .is_some_and(|end| end <= self.size);
        if !complete {
            return Err(Error::Log(format!(
                "subtree at level {level}, index {index} is not complete in a log of size {}",
                self.size
            )));
        }
        Lookup::new(&self.store).perfect(level, index)
    }

    /// The inclusion proof `PATH(index, D[0:size])` of RFC 9162 §2.1.3.1: sibling hashes from
    /// the leaf up to the root. Errors if `index >= size` or `size` is above the log size.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<H::Output>, Error> {
        self.check_size(size)?;
        if index >= size {
            return Err(Error::Log(format!(
                "leaf index {index} is not below the tree size {size}"
            )));
        }
        let mut lookup = Lookup::new(&self.store);
        // The recursion, walked top-down; PATH lists the deepest sibling first, so reverse.
        //   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])       for m < k
        //   PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])   for m >= k
        let mut path = Vec::with_capacity(64);
        let (mut lo, mut hi) = (0u64, size);
        while hi - lo > 1 {
            let k = split_point(hi - lo);
            if index < lo + k {
                path.push(lookup.range(lo + k, hi)?);
                hi = lo + k;
            } else {
                path.push(lookup.perfect(k.trailing_zeros(), lo >> k.trailing_zeros())?);
                lo += k;
            }
        }
        path.reverse();
        Ok(path)
    }

    /// The consistency proof `PROOF(m, D[n])` of RFC 9162 §2.1.4.1 that the tree of size `m` is
    /// a prefix of the tree of size `n`. Empty for `m == n`.
    ///
    /// `m == 0` is an error: RFC 9162 defines consistency proofs for `0 < m`, every tree extends
    /// the empty tree, and [`verify_consistency`](super::verify_consistency) rejects `m == 0`.
    /// Errors too if `m > n` or `n` is above the log size.
    pub fn consistency_proof(&self, m: u64, n: u64) -> Result<Vec<H::Output>, Error> {
        self.check_size(n)?;
        if m == 0 {
            return Err(Error::Log(
                "no consistency proof from the empty tree (size 0)".into(),
            ));
        }
        if m > n {
            return Err(Error::Log(format!(
                "old tree size {m} is above the new tree size {n}"
            )));
        }
        let mut lookup = Lookup::new(&self.store);
        // SUBPROOF(m, D[n], b), walked top-down over D[lo:hi] and reversed at the end:
        //   SUBPROOF(m, D[m], true) = {}
        //   SUBPROOF(m, D[m], false) = {MTH(D[m])}
        //   m <= k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
        //   m > k:  SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
        let mut proof = Vec::with_capacity(64);
        let (mut lo, mut hi, mut whole) = (0u64, n, true);
        loop {
            if m == hi {
                if !whole {
                    proof.push(lookup.range(lo, hi)?);
                }
                break;
            }
            let k = split_point(hi - lo);
            if m - lo <= k {
                proof.push(lookup.range(lo + k, hi)?);
                hi = lo + k;
            } else {
                proof.push(lookup.perfect(k.trailing_zeros(), lo >> k.trailing_zeros())?);
                lo += k;
                whole = false;
            }
        }
        proof.reverse();
        Ok(proof)
    }
}

impl<H: LogHasher, S: TileStore<H>> std::fmt::Debug for LogReader<H, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

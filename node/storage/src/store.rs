//! The [`Store`] trait: raw row access that each implementation provides, and every typed read
//! built once on top of it.

use liangxin_types::encoding::{BoundedBytes, BoundedVec};
use liangxin_types::log::{Blake3, LogReader, MerkleLog, TileStore};
use liangxin_types::{Block, BlockBody, BlockHeader, ChainId, Hash, Uscc};

use crate::Error;
use crate::tables::{
    BlockLeaves, ByCertificate, ByInstrument, ByOperator, ByRegion, Checkpoints, Codec, Entries,
    Headers, InstrumentKey, Meta, MetaKey, State, Table, TableId, TxIndex, TxLocation,
    ValidatorSets,
};
use crate::write::{BlockWrite, Tip};

/// An entry found through a secondary index: its leaf index, and the height of its block when
/// the index row records it (rows written by earlier versions do not: see
/// [`crate::tables::IndexHeight`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexedLeaf {
    /// The entry's leaf index.
    pub leaf_index: u64,
    /// The height of the block holding it, if the index row says.
    pub height: Option<u64>,
}

/// Most rows one bounded read returns ([`Store::entries`], [`Store::entries_of_operator`],
/// [`Store::entries_of_instrument`], [`Store::operators_in_region`]); larger requests are cut to
/// this many and continue from where they stopped.
pub const MAX_READ_ROWS: usize = 10_000;

/// One raw row: key and value.
pub type Row = (Vec<u8>, Vec<u8>);

/// Raw rows in key order, as a scan returns them.
pub type Rows = Vec<Row>;

/// Typed rows of table `T` in key order.
pub type TypedRows<T> = Vec<(<T as Table>::Key, <T as Table>::Value)>;

/// The ledger's storage: [`RocksStore`](crate::RocksStore) on disk, [`MemStore`](crate::MemStore)
/// in memory. Implementations provide raw row access and [`Store::commit`]; every typed read is
/// provided on top, so both give the same answers by construction. The log's tiles are read
/// through the [`TileStore`] supertrait, so `LogReader::new(&store, size)` makes proofs.
pub trait Store: TileStore<Blake3> + Send + Sync {
    /// The raw value under `key` in `table`.
    fn get_raw(&self, table: TableId, key: &[u8]) -> Result<Option<Vec<u8>>, Error>;

    /// The raw values under `keys` in `table`, in the keys' order: [`Store::get_raw`] for each,
    /// which a store may do in one batch (RocksDB's `MultiGet` shares index and block reads
    /// between keys, most when they are sorted).
    fn get_many_raw(
        &self,
        table: TableId,
        keys: &[Vec<u8>],
    ) -> Result<Vec<Option<Vec<u8>>>, Error> {
        keys.iter().map(|k| self.get_raw(table, k)).collect()
    }

    /// At most `limit` rows of `table` whose keys start with `prefix` and are `>= start`, in key
    /// order.
    fn scan_raw(
        &self,
        table: TableId,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Rows, Error>;

    /// Calls `visit` with every row of `table` whose key is `>= start` and, if `end` is given,
    /// `< end`, in key order, until it returns `false`. The slices are only valid during the
    /// call: a store may hand out its own buffers instead of copying each row (RocksDB does),
    /// which is what makes this cheaper than [`Store::scan_raw`] for reading a whole table.
    fn visit_raw(
        &self,
        table: TableId,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), Error> {
        const PAGE: usize = 4096;
        let mut from = start.to_vec();
        loop {
            let rows = self.scan_raw(table, &[], &from, PAGE)?;
            for (k, v) in &rows {
                if end.is_some_and(|end| k.as_slice() >= end) || !visit(k, v) {
                    return Ok(());
                }
            }
            match rows.last() {
                Some((k, _)) if rows.len() == PAGE => {
                    // The next page starts just after this key.
                    from.clear();
                    from.extend_from_slice(k);
                    from.push(0);
                }
                _ => return Ok(()),
            }
        }
    }

    /// Up to `parts - 1` ascending keys that cut `table` into `parts` key ranges holding about
    /// the same number of stored bytes each, so that a whole-table read can be shared between
    /// threads ([`Store::visit_raw`] over each range). An estimate: the ranges may be uneven,
    /// and a store that cannot tell (or a table too small to be worth cutting) returns none,
    /// which is always correct.
    fn split_keys(&self, table: TableId, parts: usize) -> Result<Vec<Vec<u8>>, Error> {
        let _ = (table, parts);
        Ok(Vec::new())
    }

    /// The row of `table` with the greatest key.
    fn last_raw(&self, table: TableId) -> Result<Option<Row>, Error>;

    /// Checks `write` against the store (see [`BlockWrite`]) and writes all of it atomically and
    /// durably, or nothing.
    fn commit(&self, write: &BlockWrite) -> Result<(), Error>;

    /// The chain id recorded by the genesis write.
    fn chain_id(&self) -> Result<Option<ChainId>, Error> {
        get::<Meta, _>(self, &MetaKey::ChainId)?
            .map(decode_chain_id)
            .transpose()
    }

    /// The genesis hash recorded by the genesis write.
    fn genesis_hash(&self) -> Result<Option<Hash>, Error> {
        get::<Meta, _>(self, &MetaKey::GenesisHash)?
            .map(|b| Hash::decode(&b).map_err(corrupt::<Meta>))
            .transpose()
    }

    /// The height of the last committed write, `None` on an empty store (0 after genesis).
    fn committed_height(&self) -> Result<Option<u64>, Error> {
        meta_u64(self, MetaKey::LatestHeight)
    }

    /// The latest committed block height (0 when no block is committed).
    fn latest_height(&self) -> Result<u64, Error> {
        Ok(self.committed_height()?.unwrap_or(0))
    }

    /// The log size after the latest committed write.
    fn log_size(&self) -> Result<u64, Error> {
        Ok(meta_u64(self, MetaKey::LogSize)?.unwrap_or(0))
    }

    /// The header at `height`.
    fn header(&self, height: u64) -> Result<Option<BlockHeader>, Error> {
        get::<Headers, _>(self, &height)
    }

    /// The body at `height`: its entries, from its first leaf to its header's log size.
    fn body(&self, height: u64) -> Result<Option<BlockBody>, Error> {
        Ok(self.block(height)?.map(|b| b.body))
    }

    /// The block at `height`: its header, and as its body the entries from its first leaf to
    /// the header's log size.
    fn block(&self, height: u64) -> Result<Option<Block>, Error> {
        let (header, first) = match (self.header(height)?, get::<BlockLeaves, _>(self, &height)?) {
            (Some(header), Some(first)) => (header, first),
            (None, None) => return Ok(None),
            _ => {
                return Err(corrupt::<Headers>(format!(
                    "height {height} has a header or a first leaf, not both"
                )));
            }
        };
        let end = header.log_size;
        let count = end
            .checked_sub(first)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n <= liangxin_types::block::MAX_BLOCK_TXS)
            .ok_or_else(|| {
                corrupt::<BlockLeaves>(format!(
                    "height {height}: first leaf {first}, log size {end}"
                ))
            })?;
        let mut txs = Vec::with_capacity(count);
        while txs.len() < count {
            let at = first + txs.len() as u64;
            let chunk = self.entries(at, end)?;
            if chunk.is_empty() {
                return Err(corrupt::<Entries>(format!(
                    "leaf {at} of block {height} is missing"
                )));
            }
            for bytes in chunk {
                txs.push(BoundedBytes::new(bytes).map_err(|e| corrupt::<Entries>(e.to_string()))?);
            }
        }
        let body = BlockBody {
            txs: BoundedVec::new(txs).map_err(|e| corrupt::<BlockLeaves>(e.to_string()))?,
        };
        Ok(Some(Block { header, body }))
    }

    /// The signed checkpoint note stored at `height`, or the latest stored one if `None`.
    fn checkpoint(&self, height: Option<u64>) -> Result<Option<String>, Error> {
        match height {
            Some(h) => get::<Checkpoints, _>(self, &h),
            None => self
                .last_raw(Checkpoints::ID)?
                .map(|(_, v)| Checkpoints::decode_value(&v))
                .transpose(),
        }
    }

    /// The canonical transaction bytes of leaf `leaf_index`.
    fn entry(&self, leaf_index: u64) -> Result<Option<Vec<u8>>, Error> {
        get::<Entries, _>(self, &leaf_index)
    }

    /// The canonical transaction bytes of each leaf in `leaves`, in their order (read in one
    /// batch: [`Store::get_many_raw`]).
    fn entries_at(&self, leaves: &[u64]) -> Result<Vec<Option<Vec<u8>>>, Error> {
        let keys = leaves
            .iter()
            .map(|l| l.encode())
            .collect::<Result<Vec<_>, _>>()?;
        self.get_many_raw(Entries::ID, &keys)?
            .into_iter()
            .map(|v| v.map(|v| Entries::decode_value(&v)).transpose())
            .collect()
    }

    /// The entries with leaf indexes `start .. end` (at most [`MAX_READ_ROWS`] of them; fewer at
    /// the end of the log), in order: the `i`-th is leaf `start + i`.
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Error> {
        let want = end.saturating_sub(start);
        let limit = usize::try_from(want)
            .unwrap_or(usize::MAX)
            .min(MAX_READ_ROWS);
        let rows = self.scan_raw(Entries::ID, &[], &start.to_be_bytes(), limit)?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, (k, v)) in rows.into_iter().enumerate() {
            let leaf = Entries::decode_key(&k)?;
            if Some(leaf) != start.checked_add(i as u64) {
                return Err(corrupt::<Entries>(format!(
                    "leaf {leaf} where {} was expected (a gap in the entries)",
                    start.saturating_add(i as u64)
                )));
            }
            out.push(v);
        }
        Ok(out)
    }

    /// Where the transaction `tx_id` was committed.
    fn tx_location(&self, tx_id: &Hash) -> Result<Option<TxLocation>, Error> {
        get::<TxIndex, _>(self, tx_id)
    }

    /// The state value under `key`.
    fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.get_raw(State::ID, key)
    }

    /// Every state row whose key starts with `prefix`, in key order (unbounded: the contracts
    /// scan only small tables).
    fn state_scan_prefix(&self, prefix: &[u8]) -> Result<Rows, Error> {
        self.scan_raw(State::ID, prefix, prefix, usize::MAX)
    }

    /// The operator's entries, from leaf `from` on, at most `limit` (and [`MAX_READ_ROWS`]), in
    /// leaf order.
    fn entries_of_operator(
        &self,
        uscc: &Uscc,
        from: u64,
        limit: usize,
    ) -> Result<Vec<IndexedLeaf>, Error> {
        let prefix = uscc.as_str().as_bytes();
        let mut start = prefix.to_vec();
        start.extend_from_slice(&from.to_be_bytes());
        let rows = self.scan_raw(ByOperator::ID, prefix, &start, limit.min(MAX_READ_ROWS))?;
        rows.iter()
            .map(|(k, v)| {
                Ok(IndexedLeaf {
                    leaf_index: ByOperator::decode_key(k)?.leaf_index,
                    height: ByOperator::decode_value(v)?.0,
                })
            })
            .collect()
    }

    /// The instrument's entries, from leaf `from` on, at most `limit` (and [`MAX_READ_ROWS`]),
    /// in leaf order.
    fn entries_of_instrument(
        &self,
        instrument: &[u8],
        from: u64,
        limit: usize,
    ) -> Result<Vec<IndexedLeaf>, Error> {
        let prefix = InstrumentKey::prefix(instrument)?;
        let mut start = prefix.clone();
        start.extend_from_slice(&from.to_be_bytes());
        let rows = self.scan_raw(ByInstrument::ID, &prefix, &start, limit.min(MAX_READ_ROWS))?;
        rows.iter()
            .map(|(k, v)| {
                Ok(IndexedLeaf {
                    leaf_index: ByInstrument::decode_key(k)?.leaf_index,
                    height: ByInstrument::decode_value(v)?.0,
                })
            })
            .collect()
    }

    /// Every block that changed the validator set, oldest first: `(height, the node's proof of
    /// the new set)`, at most [`MAX_READ_ROWS`].
    fn validator_set_changes(&self) -> Result<Vec<(u64, Vec<u8>)>, Error> {
        let rows = self.scan_raw(ValidatorSets::ID, &[], &[], MAX_READ_ROWS)?;
        rows.into_iter()
            .map(|(k, v)| {
                Ok((
                    ValidatorSets::decode_key(&k)?,
                    ValidatorSets::decode_value(&v)?,
                ))
            })
            .collect()
    }

    /// The leaf of the certificate with digest `digest`.
    fn certificate_entry(&self, digest: &Hash) -> Result<Option<u64>, Error> {
        get::<ByCertificate, _>(self, digest)
    }

    /// Operators whose jurisdiction starts with `region_prefix` (0 to 6 digits: `"11"` is
    /// Beijing, `""` every region), at most `limit` (and [`MAX_READ_ROWS`]), ordered by region
    /// then code.
    fn operators_in_region(&self, region_prefix: &str, limit: usize) -> Result<Vec<Uscc>, Error> {
        let prefix = region_prefix.as_bytes();
        let rows = self.scan_raw(ByRegion::ID, prefix, prefix, limit.min(MAX_READ_ROWS))?;
        rows.iter()
            .map(|(k, _)| Ok(ByRegion::decode_key(k)?.uscc))
            .collect()
    }

    /// A reader of the committed log (proofs, roots) at the committed log size.
    fn log_reader(&self) -> Result<LogReader<Blake3, &Self>, Error> {
        Ok(LogReader::new(self, self.log_size()?))
    }

    /// The appender reopened at the committed log size. If a block is committed, its header's
    /// log size and root must match what the stored tiles give (a cheap check at startup: a few
    /// tile reads).
    fn open_log(&self) -> Result<MerkleLog<Blake3>, Error> {
        let size = self.log_size()?;
        let log = MerkleLog::open(&self, size)?;
        let height = self.latest_height()?;
        if height > 0 {
            let header = self.header(height)?.ok_or_else(|| {
                corrupt::<Headers>(format!("latest height {height} has no header"))
            })?;
            if header.log_size != size || header.log_root != log.root() {
                return Err(corrupt::<Headers>(format!(
                    "header {height} says log size {} root {}, the stored log has size {size} root {}",
                    header.log_size,
                    header.log_root,
                    log.root()
                )));
            }
        }
        Ok(log)
    }
}

/// The typed value under `key` in table `T`.
pub fn get<T: Table, S: Store + ?Sized>(
    store: &S,
    key: &T::Key,
) -> Result<Option<T::Value>, Error> {
    store
        .get_raw(T::ID, &key.encode()?)?
        .map(|v| T::decode_value(&v))
        .transpose()
}

/// At most `limit` typed rows of table `T` whose encoded keys start with `prefix` and are
/// `>= start`, in key order.
pub fn scan<T: Table, S: Store + ?Sized>(
    store: &S,
    prefix: &[u8],
    start: &[u8],
    limit: usize,
) -> Result<TypedRows<T>, Error> {
    store
        .scan_raw(T::ID, prefix, start, limit)?
        .iter()
        .map(|(k, v)| Ok((T::decode_key(k)?, T::decode_value(v)?)))
        .collect()
}

fn corrupt<T: Table>(reason: impl Into<String>) -> Error {
    Error::Corrupt {
        table: T::ID.name(),
        reason: reason.into(),
    }
}

fn meta_u64<S: Store + ?Sized>(store: &S, key: MetaKey) -> Result<Option<u64>, Error> {
    get::<Meta, _>(store, &key)?
        .map(|b| u64::decode(&b).map_err(|e| corrupt::<Meta>(format!("{}: {e}", key.name()))))
        .transpose()
}

/// The store's tip, as a write is checked against it, from a getter of raw meta rows.
pub(crate) fn read_tip(
    get_meta: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, Error>,
) -> Result<Tip, Error> {
    let get = |key: MetaKey| get_meta(key.name().as_bytes());
    let as_u64 = |key: MetaKey| {
        get(key)?
            .map(|b| u64::decode(&b).map_err(|e| corrupt::<Meta>(format!("{}: {e}", key.name()))))
            .transpose()
    };
    let chain_id = match get(MetaKey::ChainId)? {
        None => None,
        Some(bytes) => Some(decode_chain_id(bytes)?),
    };
    Ok(Tip {
        latest: as_u64(MetaKey::LatestHeight)?,
        log_size: as_u64(MetaKey::LogSize)?.unwrap_or(0),
        chain_id,
    })
}

fn decode_chain_id(bytes: Vec<u8>) -> Result<ChainId, Error> {
    let s = String::from_utf8(bytes).map_err(|e| corrupt::<Meta>(e.to_string()))?;
    ChainId::new(&s).map_err(|e| corrupt::<Meta>(e.to_string()))
}

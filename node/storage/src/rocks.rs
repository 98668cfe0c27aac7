//! [`RocksStore`]: the tables as RocksDB column families.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use liangxin_types::log::{Blake3, Tile, TileId, TileStore};
use liangxin_types::{BlockBody, BlockHeader, Canonical};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType,
    Direction, Env, IteratorMode, Options, Range, ReadOptions, WriteBatch, WriteOptions,
};

use crate::Error;
use crate::rowcache::{RowCache, RowCacheStats};
use crate::store::{Row, Rows, Store, read_tip};
use crate::tables::{BlockLeaves, Codec, Table, TableId, Tiles};
use crate::write::BlockWrite;

/// Column families written by earlier versions and no longer read, dropped when a database is
/// opened: `state_tree` held the state tree's records until the node kept the tree in memory
/// (rebuilt from the `state` table at start); `bodies` held each block's body, a second copy of
/// its entries, until [`BlockLeaves`] replaced it (its rows are converted first, see
/// [`migrate_bodies`]).
const LEGACY_TABLES: &[&str] = &["state_tree", LEGACY_BODIES];

/// The legacy table of block bodies (height → canonical `BlockBody`).
const LEGACY_BODIES: &str = "bodies";

/// Converts the legacy `bodies` rows to [`BlockLeaves`] rows (a block's first leaf is its
/// header's log size less its body's length), in one synced batch, before the family is
/// dropped. Rows already converted (an earlier open that stopped before the drop) are written
/// again with the same value.
fn migrate_bodies(db: &DB) -> Result<(), Error> {
    let corrupt = |reason: String| Error::Corrupt {
        table: LEGACY_BODIES,
        reason,
    };
    let (Some(bodies), Some(headers), Some(leaves)) = (
        db.cf_handle(LEGACY_BODIES),
        db.cf_handle(TableId::Headers.name()),
        db.cf_handle(BlockLeaves::ID.name()),
    ) else {
        return Err(corrupt("a column family is missing".into()));
    };
    let mut batch = WriteBatch::default();
    for row in db.iterator_cf(&bodies, IteratorMode::Start) {
        let (key, value) = row?;
        let height = <u64 as Codec>::decode(&key).map_err(corrupt)?;
        let body = BlockBody::from_canonical(&value)
            .map_err(|e| corrupt(format!("height {height}: {e}")))?;
        let header = db
            .get_cf(&headers, &key)?
            .ok_or_else(|| corrupt(format!("height {height} has a body but no header")))?;
        let header = BlockHeader::from_canonical(&header)
            .map_err(|e| corrupt(format!("header {height}: {e}")))?;
        let first = header
            .log_size
            .checked_sub(body.txs.len() as u64)
            .ok_or_else(|| corrupt(format!("height {height}: more transactions than leaves")))?;
        batch.put_cf(&leaves, &key, first.to_be_bytes());
    }
    let mut sync = WriteOptions::default();
    sync.set_sync(true);
    db.write_opt(batch, &sync)?;
    Ok(())
}

/// Tuning of a [`RocksStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RocksOptions {
    /// Bytes of RocksDB's block cache, shared by every column family (default 512 MiB). A cap,
    /// not an allocation: the cache grows as blocks are read, up to this.
    pub block_cache_bytes: usize,
    /// Decoded tiles kept in memory, first in first out (default 4,096, about 64 MiB: a decoded
    /// tile holds its 511 hashes). Decoding a tile costs up to 255 hashes, more than the rest of
    /// an inclusion proof. Full tiles never change and are cached after their first read; every
    /// tile a commit writes is cached too (so the right edge's partial tiles stay current). 0
    /// disables the cache.
    pub tile_cache_tiles: usize,
    /// Bytes of state rows kept in memory, with their latest committed values (default 128 MiB,
    /// counting each row's key, value and about 96 bytes of bookkeeping; 0 disables the cache).
    /// Admitting and executing a transaction reads its signer's rows, and from RocksDB each read
    /// searches memtables and table indexes; see [`RocksStore`].
    pub state_cache_bytes: usize,
    /// Whether new table files are compressed (default true; see [`RocksStore`]). Either way,
    /// files written with the other setting are still read.
    pub compress: bool,
    /// Whether RocksDB's background threads (flushes and compactions) run at the lowest CPU
    /// priority (`nice` 19; default true). They then take the cores when the node's own threads
    /// leave them idle instead of competing with block execution and voting: on a busy node a
    /// flush of every table at once (when the write-ahead log reaches its bound) otherwise
    /// held up the commit path for about a second. The setting is process-wide (RocksDB's
    /// default environment).
    pub low_priority_background: bool,
}

impl Default for RocksOptions {
    fn default() -> Self {
        RocksOptions {
            block_cache_bytes: 512 << 20,
            tile_cache_tiles: 4096,
            state_cache_bytes: 128 << 20,
            compress: true,
            low_priority_background: true,
        }
    }
}

/// The tables as RocksDB column families in one database directory.
///
/// Options (see [`RocksStore::open_with`]): the database and missing column families are created
/// on open; table files compressed with Zstandard (level 3) block by block, except the `tiles`
/// table, whose hashes do not compress (the state, entry and index tables come to 0.55–0.70 of
/// their size; measured in `node/benches/ledger.rs`); one block cache shared by all column
/// families, holding blocks uncompressed (RocksDB's HyperClockCache, whose lookups take no
/// lock: 7–12% less CPU per `lx_operator` call than the LRU cache in `node/benches/ledger.rs`);
/// a 10-bit Bloom filter per table file for point reads (tiles, entries, the transaction index)
/// and a whole-key Bloom filter per memtable;
/// two background jobs; four info logs kept. Every commit is one `WriteBatch` written with
/// `sync = true`, so it is on disk when [`Store::commit`] returns.
pub struct RocksStore {
    db: DB,
    path: PathBuf,
    commit_lock: Mutex<()>,
    tiles: Mutex<TileCache>,
    /// `None` when the options asked for no state row cache.
    rows: Option<RowCache>,
    /// `None` when the options asked for no block cache.
    _block_cache: Option<Cache>,
}

impl RocksStore {
    /// Opens (or creates) the store at `path` with the default [`RocksOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with(path, RocksOptions::default())
    }

    /// Opens (or creates) the store at `path`.
    pub fn open_with(path: impl AsRef<Path>, options: RocksOptions) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let mut table = BlockBasedOptions::default();
        // HyperClockCache cannot be made empty (RocksDB aborts the process when it maps a
        // table of 0 bytes), and without a cache of its own a table uses RocksDB's built-in
        // 32 MiB one: 0 bytes turns block caching off instead.
        let cache = (options.block_cache_bytes > 0)
            .then(|| Cache::new_hyper_clock_cache(options.block_cache_bytes, 0));
        match &cache {
            Some(cache) => table.set_block_cache(cache),
            None => table.disable_cache(),
        }
        table.set_bloom_filter(10.0, false);
        let mut cf = Options::default();
        cf.set_compression_type(DBCompressionType::Zstd);
        cf.set_bottommost_compression_type(DBCompressionType::Zstd);
        cf.set_block_based_table_factory(&table);
        // A Bloom filter over each memtable's whole keys: most point reads (entries, the
        // transaction index, state rows of older blocks) ask for keys that are in table files,
        // not in the memtable, and without the filter each searched the memtable's skip list
        // first (14% of `lx_operator`'s profile). 1% of the write buffer, about 16 bits a key.
        cf.set_memtable_whole_key_filtering(true);
        cf.set_memtable_prefix_bloom_ratio(0.01);
        let compress = options.compress;
        let mut db = cf.clone();
        db.create_if_missing(true);
        db.create_missing_column_families(true);
        db.set_max_background_jobs(2);
        // Bound the write-ahead log: past this, the column families whose memtables hold the
        // oldest WAL data are flushed, so reopening after a crash replays at most this much.
        db.set_max_total_wal_size(64 << 20);
        db.set_keep_log_file_num(4);
        if options.low_priority_background {
            // RocksDB's default environment, shared by every database of the process.
            let mut env = Env::new()?;
            env.lower_thread_pool_cpu_priority();
            env.lower_high_priority_thread_pool_cpu_priority();
            db.set_env(&env);
        }
        // Column families of earlier versions that hold nothing this one reads are opened (RocksDB
        // refuses to open a database without all of its families) and then dropped.
        let existing = DB::list_cf(&db, &path).unwrap_or_default();
        let legacy: Vec<&str> = LEGACY_TABLES
            .iter()
            .copied()
            .filter(|name| existing.iter().any(|e| e == name))
            .collect();
        let families = TableId::ALL
            .iter()
            .map(|t| t.name())
            .chain(legacy.iter().copied())
            .map(|name| {
                let mut options = cf.clone();
                if name == Tiles::ID.name() || !compress {
                    // Hashes: compressing them costs time and saves nothing.
                    options.set_compression_type(DBCompressionType::None);
                    options.set_bottommost_compression_type(DBCompressionType::None);
                }
                ColumnFamilyDescriptor::new(name, options)
            });
        let mut db = DB::open_cf_descriptors(&db, &path, families)?;
        if legacy.contains(&LEGACY_BODIES) {
            migrate_bodies(&db)?;
        }
        for name in legacy {
            db.drop_cf(name)?;
        }
        Ok(RocksStore {
            db,
            path,
            commit_lock: Mutex::new(()),
            tiles: Mutex::new(TileCache::new(options.tile_cache_tiles)),
            rows: RowCache::new(options.state_cache_bytes),
            _block_cache: cache,
        })
    }

    /// RocksDB's batched point reads of `keys` in `cf`, in the keys' order (sorted keys share
    /// index and block reads).
    fn multi_get<K: AsRef<[u8]>>(
        &self,
        cf: &ColumnFamily,
        keys: &[K],
    ) -> Result<Vec<Option<Vec<u8>>>, Error> {
        let sorted = keys.windows(2).all(|w| w[0].as_ref() < w[1].as_ref());
        self.db
            .batched_multi_get_cf(cf, keys, sorted)
            .into_iter()
            .map(|v| Ok(v?.map(|v| v.to_vec())))
            .collect()
    }

    /// The state row cache's hits, misses and size so far (`None` when it is off).
    pub fn state_cache_stats(&self) -> Option<RowCacheStats> {
        self.rows.as_ref().map(RowCache::stats)
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes every column family's memtable to SST files (for measuring sizes; commits are
    /// durable without it, through the write-ahead log).
    pub fn flush(&self) -> Result<(), Error> {
        for &t in TableId::ALL {
            self.db.flush_cf(self.cf(t)?)?;
        }
        Ok(())
    }

    /// Compacts every table fully (drops deleted and overwritten rows from the files), for
    /// measuring what the live data costs.
    pub fn compact(&self) -> Result<(), Error> {
        for &t in TableId::ALL {
            self.db
                .compact_range_cf(self.cf(t)?, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Bytes of SST files per table (after [`RocksStore::flush`], everything stored).
    pub fn table_bytes(&self) -> Result<Vec<(TableId, u64)>, Error> {
        TableId::ALL
            .iter()
            .map(|&t| {
                let n = self
                    .db
                    .property_int_value_cf(self.cf(t)?, "rocksdb.total-sst-files-size")?
                    .unwrap_or(0);
                Ok((t, n))
            })
            .collect()
    }

    /// Bytes of the files in the database directory (SST files, write-ahead log, manifest):
    /// what the ledger costs on disk. Files that vanish while counting (compaction) are
    /// skipped.
    pub fn disk_bytes(&self) -> u64 {
        std::fs::read_dir(&self.path)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    fn cf(&self, table: TableId) -> Result<&ColumnFamily, Error> {
        self.db
            .cf_handle(table.name())
            .ok_or_else(|| Error::Rocks(format!("column family {} is missing", table.name())))
    }

    fn cached_tile(&self, id: TileId) -> Option<Arc<Tile<Blake3>>> {
        self.tiles.lock().ok()?.get(id)
    }

    /// Caches a tile read from the database: full tiles only. A partial tile read here could be
    /// older than one a concurrent commit has just cached, so only commits cache partial tiles.
    fn cache_read_tile(&self, id: TileId, tile: &Arc<Tile<Blake3>>) {
        if tile.is_full()
            && let Ok(mut cache) = self.tiles.lock()
        {
            cache.insert(id, tile.clone());
        }
    }

    /// Caches the tiles of a commit, before its batch is written: a reader may then see a tile
    /// wider than the committed log needs, which readers allow, but never an older one.
    fn cache_written_tiles(&self, write: &BlockWrite) {
        if let Ok(mut cache) = self.tiles.lock() {
            for (id, tile) in write.tile_list() {
                cache.insert(*id, tile.clone());
            }
        }
    }

    /// Forgets the tiles of a commit whose batch failed.
    fn forget_tiles(&self, write: &BlockWrite) {
        if let Ok(mut cache) = self.tiles.lock() {
            for (id, _) in write.tile_list() {
                cache.remove(*id);
            }
        }
    }
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl TileStore<Blake3> for RocksStore {
    fn get_tile(&self, id: TileId) -> Result<Option<Arc<Tile<Blake3>>>, liangxin_types::Error> {
        if let Some(tile) = self.cached_tile(id) {
            return Ok(Some(tile));
        }
        let cf = self.cf(TableId::Tiles)?;
        let key = id.encode()?;
        let Some(bytes) = self.db.get_pinned_cf(cf, key).map_err(Error::from)? else {
            return Ok(None);
        };
        let tile = Arc::new(Tiles::decode_value(&bytes)?);
        self.cache_read_tile(id, &tile);
        Ok(Some(tile))
    }
}

impl Store for RocksStore {
    fn get_raw(&self, table: TableId, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let cf = self.cf(table)?;
        let Some(rows) = self.rows.as_ref().filter(|_| table == TableId::State) else {
            return Ok(self.db.get_cf(cf, key)?);
        };
        let lookup = rows.lookup(&[key]);
        if let Some(Some(hit)) = lookup.found.into_iter().next() {
            return Ok(hit);
        }
        let value = self.db.get_cf(cf, key)?;
        rows.fill(lookup.generation, [(key, &value)]);
        Ok(value)
    }

    fn get_many_raw(
        &self,
        table: TableId,
        keys: &[Vec<u8>],
    ) -> Result<Vec<Option<Vec<u8>>>, Error> {
        let cf = self.cf(table)?;
        let Some(rows) = self.rows.as_ref().filter(|_| table == TableId::State) else {
            return self.multi_get(cf, keys);
        };
        let lookup = rows.lookup(keys);
        let missed: Vec<&Vec<u8>> = keys
            .iter()
            .zip(&lookup.found)
            .filter(|(_, found)| found.is_none())
            .map(|(k, _)| k)
            .collect();
        if missed.is_empty() {
            return Ok(lookup.found.into_iter().flatten().collect());
        }
        let read = self.multi_get(cf, &missed)?;
        rows.fill(
            lookup.generation,
            missed.iter().map(|k| k.as_slice()).zip(&read),
        );
        let mut read = read.into_iter();
        Ok(lookup
            .found
            .into_iter()
            .map(|found| found.unwrap_or_else(|| read.next().flatten()))
            .collect())
    }

    fn visit_raw(
        &self,
        table: TableId,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), Error> {
        let mut read = ReadOptions::default();
        // A whole-table read: its blocks would only push hot ones out of the block cache.
        read.fill_cache(false);
        if let Some(end) = end {
            read.set_iterate_upper_bound(end);
        }
        let mut iter = self.db.raw_iterator_cf_opt(self.cf(table)?, read);
        iter.seek(start);
        while let (Some(k), Some(v)) = (iter.key(), iter.value()) {
            if !visit(k, v) {
                return Ok(());
            }
            iter.next();
        }
        Ok(iter.status()?)
    }

    /// Bisects on 16-byte keys with RocksDB's estimate of the file bytes below a key (from the
    /// files' indexes, without reading data blocks; rows still only in the memtable are not
    /// counted). All cut points are searched together, one estimate call per step.
    fn split_keys(&self, table: TableId, parts: usize) -> Result<Vec<Vec<u8>>, Error> {
        /// Tables with fewer file bytes than this are read whole by one thread.
        const MIN_SPLIT_BYTES: u64 = 4 << 20;
        let cf = self.cf(table)?;
        let below = |keys: &[[u8; 16]]| -> Vec<u64> {
            let ranges: Vec<Range<'_>> = keys.iter().map(|k| Range::new(&[], k)).collect();
            self.db.get_approximate_sizes_cf(cf, &ranges)
        };
        let total = self
            .db
            .get_approximate_sizes_cf(cf, &[Range::new(&[], &[0xff; 17])])
            .first()
            .copied()
            .unwrap_or(0);
        if parts < 2 || total < MIN_SPLIT_BYTES {
            return Ok(Vec::new());
        }
        let targets: Vec<u64> = (1..parts as u64)
            .map(|i| (u128::from(total) * u128::from(i) / parts as u128) as u64)
            .collect();
        // For each target, the least 16-byte key with at least that many bytes below it.
        let mut lo = vec![0u128; targets.len()];
        let mut hi = vec![u128::MAX; targets.len()];
        while lo.iter().zip(&hi).any(|(l, h)| l < h) {
            let mid: Vec<u128> = lo.iter().zip(&hi).map(|(&l, &h)| l + (h - l) / 2).collect();
            let keys: Vec<[u8; 16]> = mid.iter().map(|m| m.to_be_bytes()).collect();
            for (i, size) in below(&keys).into_iter().enumerate() {
                if lo[i] < hi[i] {
                    if size >= targets[i] {
                        hi[i] = mid[i];
                    } else {
                        lo[i] = mid[i] + 1;
                    }
                }
            }
        }
        let mut cuts: Vec<Vec<u8>> = Vec::with_capacity(lo.len());
        for key in lo {
            let key = key.to_be_bytes().to_vec();
            if key.iter().any(|&b| b != 0) && cuts.last().is_none_or(|last| *last < key) {
                cuts.push(key);
            }
        }
        Ok(cuts)
    }

    fn scan_raw(
        &self,
        table: TableId,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Rows, Error> {
        let mut read = ReadOptions::default();
        if let Some(end) = successor(prefix) {
            read.set_iterate_upper_bound(end);
        }
        let from = if start < prefix { prefix } else { start };
        let iter = self.db.iterator_cf_opt(
            self.cf(table)?,
            read,
            IteratorMode::From(from, Direction::Forward),
        );
        let mut out = Vec::new();
        for row in iter {
            if out.len() >= limit {
                break;
            }
            let (k, v) = row?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.into_vec(), v.into_vec()));
        }
        Ok(out)
    }

    fn last_raw(&self, table: TableId) -> Result<Option<Row>, Error> {
        let mut iter = self.db.iterator_cf(self.cf(table)?, IteratorMode::End);
        match iter.next() {
            None => Ok(None),
            Some(row) => {
                let (k, v) = row?;
                Ok(Some((k.into_vec(), v.into_vec())))
            }
        }
    }

    fn commit(&self, write: &BlockWrite) -> Result<(), Error> {
        // One committer at a time: the tip check and the write must not interleave.
        let _guard = self.commit_lock.lock().map_err(|_| Error::Poisoned)?;
        let meta = self.cf(TableId::Meta)?;
        let tip = read_tip(|key| Ok(self.db.get_cf(meta, key)?))?;
        let ops = write.encode(&tip)?;
        let mut batch = WriteBatch::default();
        for (table, key, value) in ops {
            let cf = self.cf(table)?;
            match value {
                Some(v) => batch.put_cf(cf, key, v),
                None => batch.delete_cf(cf, key),
            }
        }
        let mut options = WriteOptions::default();
        options.set_sync(true);
        self.cache_written_tiles(write);
        if let Err(e) = self.db.write_opt(batch, &options) {
            self.forget_tiles(write);
            return Err(e.into());
        }
        if let Some(rows) = &self.rows {
            rows.committed(write.state_rows());
        }
        Ok(())
    }
}

/// The smallest key greater than every key that starts with `prefix` (`None` if there is none:
/// the prefix is empty or all `0xff`).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Decoded full tiles, first in first out.
struct TileCache {
    map: HashMap<TileId, Arc<Tile<Blake3>>>,
    order: VecDeque<TileId>,
    capacity: usize,
}

impl TileCache {
    fn new(capacity: usize) -> Self {
        TileCache {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn get(&self, id: TileId) -> Option<Arc<Tile<Blake3>>> {
        self.map.get(&id).cloned()
    }

    fn remove(&mut self, id: TileId) {
        // Its id stays in `order` until it comes up for eviction; evicting a missing id is a
        // no-op.
        self.map.remove(&id);
    }

    fn insert(&mut self, id: TileId, tile: Arc<Tile<Blake3>>) {
        if self.capacity == 0 {
            return;
        }
        if self.map.insert(id, tile).is_none() {
            self.order.push_back(id);
        }
        while self.map.len() > self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
    }
}

impl Drop for RocksStore {
    /// A clean close writes the memtables out, so the next open has no log to replay.
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            // Nothing is lost (the write-ahead log has every commit); the next open replays it.
            let _ = e;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn successor_of_prefixes() {
        assert_eq!(successor(b""), None);
        assert_eq!(successor(&[0xff, 0xff]), None);
        assert_eq!(successor(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(successor(&[1, 0xff]), Some(vec![2]));
    }
}

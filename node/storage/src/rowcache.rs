//! [`RowCache`]: the latest committed value of recently used state rows, in front of RocksDB.
//!
//! Every transaction admitted reads its signer's rows (participant, next sequence number), and
//! executing it reads them again with the rows it changes. From RocksDB each such read searches
//! the memtables, their Bloom filters and the table files' indexes: on a 4-validator network
//! sharing two cores that was about 10% of all CPU. A hit here is one hash lookup.
//!
//! The cache holds exactly what the database holds, for the keys it has: a commit writes its
//! batch first and then gives every row it wrote that the cache holds its new value (a deletion
//! as `None`), and a value read from the database on a miss is kept only if no commit finished
//! between the lookup and the fill (a generation counter, bumped by each commit under the same
//! lock). So a reader that raced a commit may keep nothing, but never an older value than the
//! database's.

use std::sync::{Mutex, MutexGuard};

use quick_cache::Weighter;
use quick_cache::unsync::Cache;

/// Bytes counted for each cached row on top of its key and value: the cache's own entry, two
/// vector headers and their allocations' rounding.
const ROW_OVERHEAD: u64 = 96;

/// A cached row's weight: its key, its value and [`ROW_OVERHEAD`].
#[derive(Clone, Copy, Debug)]
struct RowWeight;

impl Weighter<Vec<u8>, Option<Vec<u8>>> for RowWeight {
    fn weight(&self, key: &Vec<u8>, value: &Option<Vec<u8>>) -> u64 {
        (key.len() + value.as_ref().map_or(0, Vec::len)) as u64 + ROW_OVERHEAD
    }
}

struct Inner {
    rows: Cache<Vec<u8>, Option<Vec<u8>>, RowWeight>,
    /// Commits finished so far.
    generation: u64,
    hits: u64,
    misses: u64,
}

/// What a [`RowCache`] has done so far, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowCacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that read RocksDB.
    pub misses: u64,
    /// Rows held now.
    pub rows: u64,
    /// Their weight now (keys, values and about 96 bytes each), at most the configured size.
    pub bytes: u64,
}

/// A bounded cache of state rows (S3-FIFO eviction by bytes), `None` for a row a commit deleted.
pub(crate) struct RowCache {
    inner: Mutex<Inner>,
}

/// What a lookup found: the cached values (`None` for a miss) and the generation a miss's value,
/// read from the database, must be filled with.
pub(crate) struct Lookup {
    pub(crate) found: Vec<Option<Option<Vec<u8>>>>,
    pub(crate) generation: u64,
}

impl RowCache {
    /// A cache of at most `bytes` (by [`RowWeight`]); `None` for 0.
    pub(crate) fn new(bytes: usize) -> Option<Self> {
        (bytes > 0).then(|| RowCache {
            inner: Mutex::new(Inner {
                rows: Cache::with_weighter((bytes / 256).max(16), bytes as u64, RowWeight),
                generation: 0,
                hits: 0,
                misses: 0,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock left at worst a half-updated cache entry;
        // clearing it once is always correct, and then the lock is healthy again.
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut inner = poisoned.into_inner();
            inner.rows.clear();
            inner.generation += 1;
            self.inner.clear_poison();
            inner
        })
    }

    /// The cached values of `keys`, in order.
    pub(crate) fn lookup<K: AsRef<[u8]>>(&self, keys: &[K]) -> Lookup {
        let mut inner = self.lock();
        let found: Vec<Option<Option<Vec<u8>>>> = keys
            .iter()
            .map(|k| inner.rows.get(k.as_ref()).cloned())
            .collect();
        let hits = found.iter().filter(|f| f.is_some()).count() as u64;
        inner.hits += hits;
        inner.misses += found.len() as u64 - hits;
        Lookup {
            found,
            generation: inner.generation,
        }
    }

    /// Hits, misses and size so far.
    pub(crate) fn stats(&self) -> RowCacheStats {
        let inner = self.lock();
        RowCacheStats {
            hits: inner.hits,
            misses: inner.misses,
            rows: inner.rows.len() as u64,
            bytes: inner.rows.weight(),
        }
    }

    /// Keeps rows read from the database after a [`lookup`](Self::lookup) that returned
    /// `generation`, unless a commit has finished since (its rows may be newer).
    ///
    /// Only rows that exist are kept. A row read as absent is nearly always one the reader is
    /// about to create (a new instrument's row, its entry chain): about two per record, each
    /// read once. Cached, they filled most of the cache with rows nobody reads again and cost
    /// an update each when their block committed; an absent row read twice costs one more
    /// RocksDB lookup, which its Bloom filters answer cheaply.
    pub(crate) fn fill<'a>(
        &self,
        generation: u64,
        rows: impl IntoIterator<Item = (&'a [u8], &'a Option<Vec<u8>>)>,
    ) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        for (key, value) in rows {
            if let Some(value) = value {
                inner.rows.insert(key.to_vec(), Some(value.clone()));
            }
        }
    }

    /// Records a commit whose batch is written: its state rows in order (a later write of a key
    /// wins), `None` for a deletion. Rows already cached take their new values; the others are
    /// left to be read on their first lookup (most rows a block creates are not read soon, and
    /// inserting them would push out rows that are).
    pub(crate) fn committed<'a>(
        &self,
        rows: impl IntoIterator<Item = (&'a [u8], &'a Option<Vec<u8>>)>,
    ) {
        let mut inner = self.lock();
        for (key, value) in rows {
            // The entry's weight is recomputed when the guard drops.
            if let Some(mut cached) = inner.rows.peek_mut(key) {
                cached.clone_from(value);
            }
        }
        inner.generation += 1;
    }

    /// Rows cached now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(cache: &RowCache, key: &[u8]) -> (Option<Option<Vec<u8>>>, u64) {
        let mut l = cache.lookup(&[key]);
        (l.found.pop().flatten(), l.generation)
    }

    #[test]
    fn a_fill_after_a_commit_is_dropped() {
        let cache = RowCache::new(1 << 20).unwrap();
        let (found, generation) = one(&cache, b"k");
        assert_eq!(found, None);
        // A commit writes k while the miss is being read from the database: the fill is
        // dropped (and the commit does not add rows that were not cached).
        cache.committed([(b"k".as_slice(), &Some(b"new".to_vec()))]);
        cache.fill(generation, [(b"k".as_slice(), &Some(b"old".to_vec()))]);
        assert_eq!(one(&cache, b"k").0, None);
        let (_, generation) = one(&cache, b"k");
        cache.fill(generation, [(b"k".as_slice(), &Some(b"new".to_vec()))]);
        assert_eq!(one(&cache, b"k").0, Some(Some(b"new".to_vec())));
        // With no commit in between, the fill is kept, but not a row read as absent.
        let (_, generation) = one(&cache, b"gone");
        cache.fill(generation, [(b"gone".as_slice(), &None)]);
        assert_eq!(one(&cache, b"gone").0, None);
        // A later commit's deletion replaces the value; the last write of a key wins.
        cache.committed([
            (b"k".as_slice(), &Some(b"first".to_vec())),
            (b"k".as_slice(), &None),
        ]);
        assert_eq!(one(&cache, b"k").0, Some(None));
    }

    #[test]
    fn a_poisoned_cache_is_cleared_once_and_works_again() {
        let cache = RowCache::new(1 << 20).unwrap();
        let (_, generation) = one(&cache, b"a");
        cache.fill(generation, [(b"a".as_slice(), &Some(b"1".to_vec()))]);
        std::thread::scope(|s| {
            let poisoner = s.spawn(|| {
                let _guard = cache.inner.lock();
                panic!("poison the lock");
            });
            assert!(poisoner.join().is_err());
        });
        assert_eq!(one(&cache, b"a").0, None, "cleared");
        let (_, generation) = one(&cache, b"a");
        cache.fill(generation, [(b"a".as_slice(), &Some(b"2".to_vec()))]);
        assert_eq!(
            one(&cache, b"a").0,
            Some(Some(b"2".to_vec())),
            "kept after the clear"
        );
    }

    #[test]
    fn counts_hits_and_misses() {
        let cache = RowCache::new(1 << 20).unwrap();
        let (_, generation) = one(&cache, b"a");
        cache.fill(generation, [(b"a".as_slice(), &Some(b"1".to_vec()))]);
        let l = cache.lookup(&[b"a".as_slice(), b"b".as_slice()]);
        assert_eq!(l.found, vec![Some(Some(b"1".to_vec())), None]);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.rows), (1, 2, 1));
        assert_eq!(stats.bytes, 2 + ROW_OVERHEAD);
    }

    #[test]
    fn bounded_by_bytes_and_off_at_zero() {
        assert!(RowCache::new(0).is_none());
        let cache = RowCache::new(64 << 10).unwrap();
        let value = Some(vec![7u8; 200]);
        for i in 0..10_000u32 {
            let (_, generation) = one(&cache, &i.to_be_bytes());
            cache.fill(generation, [(i.to_be_bytes().as_slice(), &value)]);
        }
        // 64 KiB at 300 bytes a row.
        assert!(cache.len() <= (64 << 10) / 300, "{} rows", cache.len());
        assert!(cache.len() > 0);
    }
}

//! [`MemStore`]: the same tables in memory (tests and tools).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use liangxin_types::log::{Blake3, Tile, TileId, TileStore};

use crate::Error;
use crate::store::{Row, Rows, Store, read_tip};
use crate::tables::TableId;
use crate::write::BlockWrite;

#[derive(Default)]
struct Inner {
    tables: Vec<BTreeMap<Vec<u8>, Vec<u8>>>,
    /// Decoded tiles, kept beside their bytes in the `tiles` table.
    tiles: HashMap<TileId, Arc<Tile<Blake3>>>,
}

/// Every table as an ordered map in memory, behind a lock: the same [`Store`] as
/// [`RocksStore`](crate::RocksStore) without durability. A commit is atomic (one lock).
pub struct MemStore {
    inner: RwLock<Inner>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        MemStore {
            inner: RwLock::new(Inner {
                tables: TableId::ALL.iter().map(|_| BTreeMap::new()).collect(),
                tiles: HashMap::new(),
            }),
        }
    }

    fn read<R>(&self, f: impl FnOnce(&Inner) -> R) -> Result<R, Error> {
        let inner = self.inner.read().map_err(|_| Error::Poisoned)?;
        Ok(f(&inner))
    }
}

impl Default for MemStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemStore").finish_non_exhaustive()
    }
}

impl TileStore<Blake3> for MemStore {
    fn get_tile(&self, id: TileId) -> Result<Option<Arc<Tile<Blake3>>>, liangxin_types::Error> {
        Ok(self.read(|i| i.tiles.get(&id).cloned())?)
    }
}

impl Store for MemStore {
    fn get_raw(&self, table: TableId, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.read(|i| i.tables.get(table.index())?.get(key).cloned())
    }

    fn scan_raw(
        &self,
        table: TableId,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Rows, Error> {
        let from = if start < prefix { prefix } else { start };
        self.read(|i| {
            let Some(map) = i.tables.get(table.index()) else {
                return Vec::new();
            };
            map.range(from.to_vec()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
    }

    fn last_raw(&self, table: TableId) -> Result<Option<Row>, Error> {
        self.read(|i| {
            let (k, v) = i.tables.get(table.index())?.last_key_value()?;
            Some((k.clone(), v.clone()))
        })
    }

    fn commit(&self, write: &BlockWrite) -> Result<(), Error> {
        // Check against the tip and encode under the write lock, so no commit slips in between.
        let mut inner = self.inner.write().map_err(|_| Error::Poisoned)?;
        let meta = inner.tables.get(TableId::Meta.index());
        let tip = read_tip(|key| Ok(meta.and_then(|m| m.get(key).cloned())))?;
        let ops = write.encode(&tip)?;
        for (table, key, value) in ops {
            let Some(map) = inner.tables.get_mut(table.index()) else {
                continue;
            };
            match value {
                Some(v) => map.insert(key, v),
                None => map.remove(&key),
            };
        }
        // The decoded tiles: the write's own `Arc`s (a later one of an id replaces an earlier
        // one, as in the table).
        for (id, tile) in write.tile_list() {
            inner.tiles.insert(*id, tile.clone());
        }
        Ok(())
    }
}

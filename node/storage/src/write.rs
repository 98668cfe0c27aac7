//! [`BlockWrite`]: everything one block changes, committed as one atomic batch.

use std::sync::Arc;

use liangxin_types::log::{Blake3, Tile, TileId};
use liangxin_types::{BlockBody, BlockHeader, ChainId, Hash, Uscc};

use crate::Error;
use crate::tables::{
    BlockLeaves, ByCertificate, ByInstrument, ByOperator, ByRegion, Checkpoints, Codec, Entries,
    Headers, IndexHeight, InstrumentKey, Meta, MetaKey, OperatorKey, Region, RegionKey, State,
    Table, TableId, Tiles, TxIndex, TxLocation, ValidatorSets,
};

/// One row write of an encoded batch: table, key, and the value (`None` deletes the key).
pub(crate) type RawOp = (TableId, Vec<u8>, Option<Vec<u8>>);

/// A block's leaf: its index in the log, its transaction id and its canonical bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NewEntry {
    leaf_index: u64,
    tx_id: Hash,
    bytes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Genesis {
        chain_id: ChainId,
        hash: Hash,
    },
    Block {
        // Boxed: a header is several times the size of the genesis variant.
        header: Box<BlockHeader>,
        body: BlockBody,
    },
}

/// State rows a block writes that someone else holds too, handed to a [`BlockWrite`] without a
/// copy ([`BlockWrite::state_shared`]): a node keeps each executed block's writes to serve the
/// reads of the blocks built on it until it is committed.
pub trait StateRows: Send + Sync + std::fmt::Debug {
    /// Every row once: its key and its value, `None` for a deletion.
    fn rows(&self) -> RowIter<'_>;
}

/// The rows of a [`StateRows`]: key, and value or `None` for a deletion.
pub type RowIter<'a> = Box<dyn Iterator<Item = (&'a [u8], &'a Option<Vec<u8>>)> + 'a>;

/// Everything one block changes: header, body, checkpoint note, the new log entries, the log tiles
/// they touched, state writes, index rows and the meta rows (latest height, log size).
///
/// Build one with [`BlockWrite::new`] (or [`BlockWrite::genesis`] for the initial state) and the
/// methods below, then hand it to [`Store::commit`](crate::Store::commit), which checks it against
/// the store and writes it as one synced batch: after a crash the store holds all of it or none of
/// it. Dropping a `BlockWrite` without committing it writes nothing.
///
/// What `commit` checks (and rejects with nothing written):
/// - the height is the next one: `latest + 1`, or 1 on an empty store; a genesis write (height 0)
///   only on a store with nothing committed;
/// - the header's chain id is the store's, if the store has one (from its genesis write);
/// - the entries' leaf indexes are exactly `log_size .. log_size + n` in order, where `log_size`
///   is the store's, and `log_size + n` is the header's `log_size`;
/// - the body's transactions are exactly the entries' bytes, in order (the body is not stored
///   apart: [`Store::body`](crate::Store::body) reads it back from the entries);
/// - index rows name leaves below the new log size; instrument keys are at most 65,535 bytes.
///
/// It does not check the tiles against the entries or the header's log root (the log is the
/// caller's: tiles come from [`MerkleLog::take_dirty_tiles`](liangxin_types::log::MerkleLog)),
/// nor the body against the header's body hash.
#[derive(Clone, Debug)]
pub struct BlockWrite {
    height: u64,
    kind: Kind,
    checkpoint: Option<String>,
    entries: Vec<NewEntry>,
    tiles: Vec<(TileId, Arc<Tile<Blake3>>)>,
    state: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    shared_state: Vec<Arc<dyn StateRows>>,
    by_operator: Vec<(Uscc, u64)>,
    by_instrument: Vec<(Vec<u8>, u64)>,
    by_certificate: Vec<(Hash, u64)>,
    by_region: Vec<(Region, Uscc)>,
    validator_set: Option<Vec<u8>>,
}

impl BlockWrite {
    fn empty(height: u64, kind: Kind) -> Self {
        BlockWrite {
            height,
            kind,
            checkpoint: None,
            entries: Vec::new(),
            tiles: Vec::new(),
            state: Vec::new(),
            shared_state: Vec::new(),
            by_operator: Vec::new(),
            by_instrument: Vec::new(),
            by_certificate: Vec::new(),
            by_region: Vec::new(),
            validator_set: None,
        }
    }

    /// The write for the block with this header and body (height `header.height`; the new log
    /// size is `header.log_size`).
    pub fn new(header: BlockHeader, body: BlockBody) -> Self {
        Self::empty(
            header.height,
            Kind::Block {
                header: Box::new(header),
                body,
            },
        )
    }

    /// The genesis write (height 0): records the chain id and genesis hash; add the initial state
    /// (and any genesis entries) with the other methods. Allowed only on an empty store.
    pub fn genesis(chain_id: ChainId, genesis_hash: Hash) -> Self {
        Self::empty(
            0,
            Kind::Genesis {
                chain_id,
                hash: genesis_hash,
            },
        )
    }

    /// The height this write commits (0 for genesis).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The header, unless this is the genesis write.
    pub fn header(&self) -> Option<&BlockHeader> {
        match &self.kind {
            Kind::Block { header, .. } => Some(header),
            Kind::Genesis { .. } => None,
        }
    }

    /// The block (header and body), unless this is the genesis write: what a proposer sends to
    /// the other validators.
    pub fn block(&self) -> Option<liangxin_types::Block> {
        match &self.kind {
            Kind::Block { header, body } => Some(liangxin_types::Block {
                header: (**header).clone(),
                body: body.clone(),
            }),
            Kind::Genesis { .. } => None,
        }
    }

    /// Sets the block's signed checkpoint note (its text, as
    /// [`SignedCheckpoint::to_note`](liangxin_types::checkpoint::SignedCheckpoint::to_note)
    /// gives it).
    pub fn checkpoint(&mut self, note: impl Into<String>) -> &mut Self {
        self.checkpoint = Some(note.into());
        self
    }

    /// Adds a log entry: leaf `leaf_index` is the transaction `tx_id` with canonical bytes
    /// `bytes`. Entries must be added in leaf order.
    pub fn entry(&mut self, leaf_index: u64, tx_id: Hash, bytes: Vec<u8>) -> &mut Self {
        self.entries.push(NewEntry {
            leaf_index,
            tx_id,
            bytes,
        });
        self
    }

    /// Adds log tiles to write, as
    /// [`MerkleLog::take_dirty_tiles`](liangxin_types::log::MerkleLog::take_dirty_tiles) returns
    /// them. A later tile with the same id replaces an earlier one.
    pub fn tiles(&mut self, tiles: Vec<(TileId, Arc<Tile<Blake3>>)>) -> &mut Self {
        self.tiles.extend(tiles);
        self
    }

    /// The state rows this write sets (`Some`) or deletes (`None`), in order: those added by
    /// [`state_put`](Self::state_put), [`state_delete`](Self::state_delete) and
    /// [`state_writes`](Self::state_writes), then those of [`state_shared`](Self::state_shared).
    pub(crate) fn state_rows(&self) -> impl Iterator<Item = (&[u8], &Option<Vec<u8>>)> {
        self.state
            .iter()
            .map(|(k, v)| (k.as_slice(), v))
            .chain(self.shared_state.iter().flat_map(|s| s.rows()))
    }

    /// Sets a state key.
    pub fn state_put(&mut self, key: Vec<u8>, value: Vec<u8>) -> &mut Self {
        self.state.push((key, Some(value)));
        self
    }

    /// Deletes a state key.
    pub fn state_delete(&mut self, key: Vec<u8>) -> &mut Self {
        self.state.push((key, None));
        self
    }

    /// Adds state rows held elsewhere too, without copying them; they count as written after
    /// every row added by the other state methods (a later write of a key wins).
    pub fn state_shared(&mut self, rows: Arc<dyn StateRows>) -> &mut Self {
        self.shared_state.push(rows);
        self
    }

    /// Adds state writes in order (`None` deletes the key); a later write of a key wins.
    pub fn state_writes(
        &mut self,
        writes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>,
    ) -> &mut Self {
        self.state.extend(writes);
        self
    }

    /// Indexes leaf `leaf_index` under the operator `uscc`.
    pub fn operator_entry(&mut self, uscc: Uscc, leaf_index: u64) -> &mut Self {
        self.by_operator.push((uscc, leaf_index));
        self
    }

    /// Indexes leaf `leaf_index` under the instrument `instrument` (opaque bytes, at most
    /// 65,535).
    pub fn instrument_entry(&mut self, instrument: Vec<u8>, leaf_index: u64) -> &mut Self {
        self.by_instrument.push((instrument, leaf_index));
        self
    }

    /// Records that the certificate with digest `digest` is leaf `leaf_index`.
    pub fn certificate_entry(&mut self, digest: Hash, leaf_index: u64) -> &mut Self {
        self.by_certificate.push((digest, leaf_index));
        self
    }

    /// Lists the operator `uscc` under the jurisdiction `region`.
    pub fn region_operator(&mut self, region: Region, uscc: Uscc) -> &mut Self {
        self.by_region.push((region, uscc));
        self
    }

    /// Records that this block changed the validator set, with the node's proof of the new set
    /// (see [`ValidatorSets`](crate::tables::ValidatorSets)).
    pub fn validator_set_change(&mut self, proof: Vec<u8>) -> &mut Self {
        self.validator_set = Some(proof);
        self
    }

    /// The tiles this write stores, in order.
    pub(crate) fn tile_list(&self) -> &[(TileId, Arc<Tile<Blake3>>)] {
        &self.tiles
    }

    fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::InvalidWrite {
            height: self.height,
            reason: reason.into(),
        }
    }

    /// Checks this write against the store's current tip and encodes every row it writes.
    pub(crate) fn encode(&self, tip: &Tip) -> Result<Vec<RawOp>, Error> {
        // Height: the next one, or genesis on an empty store.
        match (&self.kind, tip.latest) {
            (Kind::Genesis { .. }, None) => {}
            (Kind::Genesis { .. }, Some(latest)) => {
                return Err(Error::OutOfOrder {
                    expected: latest.saturating_add(1),
                    got: 0,
                });
            }
            (Kind::Block { .. }, latest) => {
                let expected = latest.map_or(1, |h| h.saturating_add(1));
                if self.height != expected {
                    return Err(Error::OutOfOrder {
                        expected,
                        got: self.height,
                    });
                }
            }
        }
        if let (Kind::Block { header, .. }, Some(chain)) = (&self.kind, &tip.chain_id)
            && &header.chain_id != chain
        {
            return Err(self.invalid(format!(
                "header is for chain {:?}, the store holds chain {:?}",
                header.chain_id.as_str(),
                chain.as_str()
            )));
        }

        // Entries: exactly the next leaves.
        let mut next_leaf = tip.log_size;
        for e in &self.entries {
            if e.leaf_index != next_leaf {
                return Err(self.invalid(format!(
                    "entry with leaf index {} where leaf {next_leaf} comes next",
                    e.leaf_index
                )));
            }
            next_leaf = next_leaf
                .checked_add(1)
                .ok_or_else(|| self.invalid("log size overflows"))?;
        }
        let log_size = next_leaf;
        if let Kind::Block { header, .. } = &self.kind
            && header.log_size != log_size
        {
            return Err(self.invalid(format!(
                "header says log size {}, the store's {} plus {} entries is {log_size}",
                header.log_size,
                tip.log_size,
                self.entries.len()
            )));
        }
        let check_leaf = |leaf: u64, what: &str| {
            if leaf < log_size {
                Ok(())
            } else {
                Err(self.invalid(format!(
                    "{what} index row names leaf {leaf}, the log size is {log_size}"
                )))
            }
        };

        let mut ops = Ops::default();
        match &self.kind {
            Kind::Genesis { chain_id, hash } => {
                ops.put::<Meta>(&MetaKey::ChainId, &chain_id.as_str().as_bytes().to_vec())?;
                ops.put::<Meta>(&MetaKey::GenesisHash, &hash.0.to_vec())?;
            }
            Kind::Block { header, body } => {
                // The body is stored as the block's entries (read back by `Store::body`).
                if body.txs.len() != self.entries.len()
                    || body
                        .txs
                        .iter()
                        .zip(&self.entries)
                        .any(|(tx, e)| **tx != *e.bytes)
                {
                    return Err(self.invalid(format!(
                        "the body's {} transactions are not the block's {} new entries",
                        body.txs.len(),
                        self.entries.len()
                    )));
                }
                ops.put::<Headers>(&self.height, header)?;
                ops.put::<BlockLeaves>(&self.height, &tip.log_size)?;
            }
        }
        if let Some(note) = &self.checkpoint {
            ops.put::<Checkpoints>(&self.height, note)?;
        }
        for e in &self.entries {
            ops.put::<Entries>(&e.leaf_index, &e.bytes)?;
            let location = TxLocation {
                height: self.height,
                leaf_index: e.leaf_index,
            };
            ops.put::<TxIndex>(&e.tx_id, &location)?;
        }
        for (id, tile) in &self.tiles {
            ops.raw(Tiles::ID, id.encode()?, Some(tile.to_bytes()));
        }
        for (key, value) in self.state_rows() {
            ops.raw(State::ID, key.to_vec(), value.clone());
        }
        for (uscc, leaf_index) in &self.by_operator {
            check_leaf(*leaf_index, "operator")?;
            let key = OperatorKey {
                uscc: uscc.clone(),
                leaf_index: *leaf_index,
            };
            ops.put::<ByOperator>(&key, &IndexHeight(Some(self.height)))?;
        }
        for (instrument, leaf_index) in &self.by_instrument {
            check_leaf(*leaf_index, "instrument")?;
            let prefix =
                InstrumentKey::prefix(instrument).map_err(|e| self.invalid(e.to_string()))?;
            let mut key = prefix;
            key.extend_from_slice(&leaf_index.to_be_bytes());
            ops.raw(
                ByInstrument::ID,
                key,
                Some(IndexHeight(Some(self.height)).encode()?),
            );
        }
        for (digest, leaf_index) in &self.by_certificate {
            check_leaf(*leaf_index, "certificate")?;
            ops.put::<ByCertificate>(digest, leaf_index)?;
        }
        for (region, uscc) in &self.by_region {
            let key = RegionKey {
                region: *region,
                uscc: uscc.clone(),
            };
            ops.put::<ByRegion>(&key, &())?;
        }
        if let Some(proof) = &self.validator_set {
            ops.put::<ValidatorSets>(&self.height, proof)?;
        }
        ops.put::<Meta>(&MetaKey::LatestHeight, &self.height.to_be_bytes().to_vec())?;
        ops.put::<Meta>(&MetaKey::LogSize, &log_size.to_be_bytes().to_vec())?;
        // Each table's rows in key order: RocksDB inserts a batch's rows into the table's
        // memtable (a skip list) one by one, remembering where the last one went, and a key
        // just after the last one reuses the upper levels of that search. Transaction ids,
        // state keys and the index keys of a block arrive in no particular order otherwise.
        // The sort is stable, so two writes of one key (a shared row after a `state_put` of the
        // same key) keep their order: the later one wins.
        ops.0
            .sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        Ok(ops.0)
    }
}

/// What a store is at when a write is checked against it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tip {
    /// The latest committed height (`None` if nothing, not even genesis, is committed).
    pub latest: Option<u64>,
    /// The log size.
    pub log_size: u64,
    /// The chain id recorded by genesis.
    pub chain_id: Option<ChainId>,
}

#[derive(Default)]
struct Ops(Vec<RawOp>);

impl Ops {
    fn put<T: Table>(&mut self, key: &T::Key, value: &T::Value) -> Result<(), Error> {
        self.0.push((T::ID, key.encode()?, Some(value.encode()?)));
        Ok(())
    }

    fn raw(&mut self, table: TableId, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.0.push((table, key, value));
    }
}

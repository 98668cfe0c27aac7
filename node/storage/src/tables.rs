//! Every column family, declared once as a typed table: its name, its key encoding and its value
//! type.
//!
//! Integers in keys are big-endian so that RocksDB's byte order is numeric order; composite keys
//! put the field that is scanned by prefix first. Values of protocol types are their canonical
//! (BCS) bytes; tiles are exactly the C2SP tile content.

use std::fmt;

use liangxin_types::log::{Blake3, Tile, TileId};
use liangxin_types::{BlockBody, BlockHeader, Canonical, Hash, Uscc};
use serde::{Deserialize, Serialize};

use crate::Error;

/// How a key or a value of a table is turned into bytes and back.
pub trait Codec: Sized {
    /// The stored bytes.
    fn encode(&self) -> Result<Vec<u8>, Error>;
    /// Decodes stored bytes; the error says why they are not a valid value.
    fn decode(bytes: &[u8]) -> Result<Self, String>;
}

/// A column family with a typed key and value.
pub trait Table {
    /// Which table.
    const ID: TableId;
    /// The key type.
    type Key: Codec;
    /// The value type.
    type Value: Codec;

    /// Decodes a stored key of this table.
    fn decode_key(bytes: &[u8]) -> Result<Self::Key, Error> {
        Self::Key::decode(bytes).map_err(|reason| Error::Corrupt {
            table: Self::ID.name(),
            reason: format!("key: {reason}"),
        })
    }

    /// Decodes a stored value of this table.
    fn decode_value(bytes: &[u8]) -> Result<Self::Value, Error> {
        Self::Value::decode(bytes).map_err(|reason| Error::Corrupt {
            table: Self::ID.name(),
            reason: format!("value: {reason}"),
        })
    }
}

macro_rules! tables {
    ($( $(#[$doc:meta])* $ty:ident = $name:literal : $key:ty => $value:ty; )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct $ty;

            impl Table for $ty {
                const ID: TableId = TableId::$ty;
                type Key = $key;
                type Value = $value;
            }
        )*

        /// Names every table (one RocksDB column family each).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum TableId {
            $( $(#[$doc])* $ty, )*
        }

        impl TableId {
            /// Every table, in declaration order.
            pub const ALL: &'static [TableId] = &[$(TableId::$ty),*];

            /// The column family name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(TableId::$ty => $name,)*
                }
            }

            /// Position in [`TableId::ALL`].
            pub const fn index(self) -> usize {
                self as usize
            }
        }
    };
}

tables! {
    /// Fixed keys ([`MetaKey`]) → small values: chain id, latest height, log size, genesis hash.
    Meta = "meta": MetaKey => Vec<u8>;
    /// Height (u64 BE) → canonical [`BlockHeader`].
    Headers = "headers": u64 => BlockHeader;
    /// Height (u64 BE) → the block's first leaf index (u64 BE). A block's body is exactly its
    /// new log entries, so it is read back from [`Entries`], from this leaf to its header's log
    /// size, rather than stored twice.
    BlockLeaves = "block_leaves": u64 => u64;
    /// Height (u64 BE) → the block's signed checkpoint note (UTF-8 text).
    Checkpoints = "checkpoints": u64 => String;
    /// Leaf index (u64 BE) → the entry's canonical signed-transaction bytes (the log leaf).
    Entries = "entries": u64 => Vec<u8>;
    /// Transaction id (32) → [`TxLocation`] (BCS).
    TxIndex = "tx_index": Hash => TxLocation;
    /// Tile level (u8) ‖ tile index (u64 BE) → C2SP tile content (1 to 256 hashes of 32 bytes).
    /// Partial tiles on the right edge are overwritten under the same key as they grow.
    Tiles = "tiles": TileId => Tile<Blake3>;
    /// Raw key → raw value: the contracts' state.
    State = "state": Vec<u8> => Vec<u8>;
    /// USCC (18) ‖ leaf index (u64 BE) → the entry's block height ([`IndexHeight`]): an
    /// operator's entries.
    ByOperator = "by_operator": OperatorKey => IndexHeight;
    /// Instrument key length (u16 BE) ‖ instrument key ‖ leaf index (u64 BE) → the entry's
    /// block height ([`IndexHeight`]): an instrument's entries.
    ByInstrument = "by_instrument": InstrumentKey => IndexHeight;
    /// Certificate digest (32) → leaf index (u64 BE).
    ByCertificate = "by_certificate": Hash => u64;
    /// Region (6 ASCII digits) ‖ USCC (18) → empty: the operators of a jurisdiction.
    ByRegion = "by_region": RegionKey => ();
    /// Height of a block that changed the validator set → the node's proof of the new set at
    /// that block (opaque bytes the node encodes): kept for light clients, which follow the set
    /// from genesis through these blocks after the state tree has pruned their versions.
    ValidatorSets = "validator_sets": u64 => Vec<u8>;
}

/// The fixed keys of the [`Meta`] table (stored as their ASCII names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetaKey {
    /// The chain id (UTF-8), written by the genesis write.
    ChainId,
    /// The genesis hash (32 bytes), written by the genesis write.
    GenesisHash,
    /// The height of the last committed write (u64 BE; 0 after genesis).
    LatestHeight,
    /// The log size after the last committed write (u64 BE).
    LogSize,
}

impl MetaKey {
    /// Every meta key.
    pub const ALL: [MetaKey; 4] = [
        MetaKey::ChainId,
        MetaKey::GenesisHash,
        MetaKey::LatestHeight,
        MetaKey::LogSize,
    ];

    /// The stored key.
    pub const fn name(self) -> &'static str {
        match self {
            MetaKey::ChainId => "chain_id",
            MetaKey::GenesisHash => "genesis_hash",
            MetaKey::LatestHeight => "latest_height",
            MetaKey::LogSize => "log_size",
        }
    }
}

impl Codec for MetaKey {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.name().as_bytes().to_vec())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        MetaKey::ALL
            .into_iter()
            .find(|k| k.name().as_bytes() == bytes)
            .ok_or_else(|| format!("unknown meta key {:?}", String::from_utf8_lossy(bytes)))
    }
}

/// Where a transaction is: the block that committed it and its leaf in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLocation {
    /// Height of the block.
    pub height: u64,
    /// Leaf index in the log.
    pub leaf_index: u64,
}

impl Canonical for TxLocation {
    const NAME: &'static str = "transaction location";
    const MAX_SIZE: usize = 16;
}

/// An [`ByOperator`] key: an operator and one of its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorKey {
    /// The operator.
    pub uscc: Uscc,
    /// The entry's leaf index.
    pub leaf_index: u64,
}

/// A [`ByInstrument`] key: an instrument (opaque bytes, at most 65,535) and one of its entries.
///
/// The key bytes are length-prefixed so that the rows of instrument `ab` are never found by a
/// prefix scan for instrument `a`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstrumentKey {
    /// The instrument key.
    pub instrument: Vec<u8>,
    /// The entry's leaf index.
    pub leaf_index: u64,
}

impl InstrumentKey {
    /// The prefix of every row of `instrument`: its length (u16 BE) and its bytes.
    pub fn prefix(instrument: &[u8]) -> Result<Vec<u8>, Error> {
        let len = u16::try_from(instrument.len()).map_err(|_| {
            Error::InvalidKey(format!(
                "an instrument key is at most {} bytes, not {}",
                u16::MAX,
                instrument.len()
            ))
        })?;
        let mut out = Vec::with_capacity(2 + instrument.len() + 8);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(instrument);
        Ok(out)
    }
}

/// A jurisdiction: a six-digit administrative region code (positions 3–8 of a USCC).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region([u8; 6]);

impl Region {
    /// Parses six ASCII digits.
    pub fn parse(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
            return Err(format!("a region code is six digits, not {s:?}"));
        }
        let mut out = [0u8; 6];
        out.copy_from_slice(b);
        Ok(Region(out))
    }

    /// The region a USCC was registered in.
    pub fn of(uscc: &Uscc) -> Self {
        let mut out = [0u8; 6];
        if let Some(digits) = uscc.as_str().as_bytes().get(2..8) {
            out.copy_from_slice(digits);
        }
        Region(out)
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

/// A [`ByRegion`] key: a jurisdiction and one operator in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionKey {
    /// The jurisdiction.
    pub region: Region,
    /// The operator.
    pub uscc: Uscc,
}

fn fixed<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], String> {
    bytes
        .try_into()
        .map_err(|_| format!("{what} is {N} bytes, got {}", bytes.len()))
}

fn split_leaf(bytes: &[u8]) -> Result<(&[u8], u64), String> {
    let cut = bytes
        .len()
        .checked_sub(8)
        .ok_or_else(|| format!("key of {} bytes has no leaf index", bytes.len()))?;
    let (head, tail) = bytes.split_at(cut);
    Ok((head, u64::from_be_bytes(fixed(tail, "leaf index")?)))
}

fn decode_uscc(bytes: &[u8]) -> Result<Uscc, String> {
    let s = std::str::from_utf8(bytes).map_err(|e| format!("uscc is not utf-8: {e}"))?;
    Uscc::parse_override(s).map_err(|e| e.to_string())
}

impl Codec for u64 {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.to_be_bytes().to_vec())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        Ok(u64::from_be_bytes(fixed(bytes, "u64")?))
    }
}

impl Codec for Vec<u8> {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.clone())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        Ok(bytes.to_vec())
    }
}

impl Codec for () {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        if bytes.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "expected an empty value, got {} bytes",
                bytes.len()
            ))
        }
    }
}

/// The value of a secondary-index row: the height of the block holding the entry (u64 BE), so
/// that a query answering with the entry needs no transaction-index read to say where it is.
/// Rows written by earlier versions are empty: `None`, and the height is looked up instead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexHeight(pub Option<u64>);

impl Codec for IndexHeight {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.0.map(|h| h.to_be_bytes().to_vec()).unwrap_or_default())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        if bytes.is_empty() {
            Ok(IndexHeight(None))
        } else {
            Ok(IndexHeight(Some(u64::from_be_bytes(fixed(
                bytes, "height",
            )?))))
        }
    }
}

impl Codec for String {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.as_bytes().to_vec())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        String::from_utf8(bytes.to_vec()).map_err(|e| format!("not utf-8: {e}"))
    }
}

impl Codec for Hash {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.0.to_vec())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        Ok(Hash(fixed(bytes, "hash")?))
    }
}

impl Codec for TileId {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(9);
        out.push(self.level);
        out.extend_from_slice(&self.index.to_be_bytes());
        Ok(out)
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        let b: [u8; 9] = fixed(bytes, "tile id")?;
        let (level, index) = b.split_at(1);
        Ok(TileId::new(
            level[0],
            u64::from_be_bytes(fixed(index, "tile index")?),
        ))
    }
}

impl Codec for Tile<Blake3> {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.to_bytes())
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        Tile::from_bytes(bytes).map_err(|e| e.to_string())
    }
}

macro_rules! canonical_codec {
    ($($t:ty),*) => {$(
        impl Codec for $t {
            fn encode(&self) -> Result<Vec<u8>, Error> {
                Ok(self.to_canonical()?)
            }
            fn decode(bytes: &[u8]) -> Result<Self, String> {
                <$t>::from_canonical(bytes).map_err(|e| e.to_string())
            }
        }
    )*};
}

canonical_codec!(BlockHeader, BlockBody, TxLocation);

impl Codec for OperatorKey {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(26);
        out.extend_from_slice(self.uscc.as_str().as_bytes());
        out.extend_from_slice(&self.leaf_index.to_be_bytes());
        Ok(out)
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (uscc, leaf_index) = split_leaf(bytes)?;
        Ok(OperatorKey {
            uscc: decode_uscc(uscc)?,
            leaf_index,
        })
    }
}

impl Codec for InstrumentKey {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = InstrumentKey::prefix(&self.instrument)?;
        out.extend_from_slice(&self.leaf_index.to_be_bytes());
        Ok(out)
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (head, leaf_index) = split_leaf(bytes)?;
        if head.len() < 2 {
            return Err("instrument key without its length".into());
        }
        let (len, instrument) = head.split_at(2);
        let len = u16::from_be_bytes(fixed(len, "instrument key length")?);
        if usize::from(len) != instrument.len() {
            return Err(format!(
                "instrument key says {len} bytes, has {}",
                instrument.len()
            ));
        }
        Ok(InstrumentKey {
            instrument: instrument.to_vec(),
            leaf_index,
        })
    }
}

impl Codec for RegionKey {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&self.region.0);
        out.extend_from_slice(self.uscc.as_str().as_bytes());
        Ok(out)
    }
    fn decode(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() != 24 {
            return Err(format!("region key is 24 bytes, got {}", bytes.len()));
        }
        let (region, uscc) = bytes.split_at(6);
        let region = std::str::from_utf8(region).map_err(|e| e.to_string())?;
        Ok(RegionKey {
            region: Region::parse(region)?,
            uscc: decode_uscc(uscc)?,
        })
    }
}

//! The canonical binary encoding: BCS (Binary Canonical Serialization).
//!
//! Why BCS rather than a hand-written format: it is a published, language-neutral specification
//! with independent implementations (Rust, TypeScript, Go, Python), it works through `serde`
//! (which the RPC's JSON face already uses), it has exactly one encoding per value, and its
//! decoder already rejects the non-canonical forms that matter (over-long ULEB128 lengths, booleans
//! other than 0/1, option tags other than 0/1, trailing bytes). `docs/protocol.md` restates the
//! subset Liangxin uses so another implementation needs nothing else.
//!
//! On top of BCS this module adds:
//! - a global size limit checked before any decoding ([`MAX_MESSAGE_SIZE`], per type
//!   [`Canonical::MAX_SIZE`]), and a container-depth limit;
//! - allocation bounded by the input: byte strings and strings are borrowed from the input after
//!   their length is checked against the bytes that remain; sequences grow one decoded element at
//!   a time (serde pre-allocates at most 1 MiB);
//! - a round-trip check: a value is accepted only if re-encoding it gives back exactly the input,
//!   so no type can accept two encodings of one value even if its decoder were lax;
//! - bounded containers ([`BoundedBytes`], [`BoundedString`], [`BoundedVec`]) whose limits are
//!   part of the type and checked while decoding.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// No canonical message of any kind may be larger than this (16 MiB): blocks and sync batches
/// included. Checked before decoding starts.
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// No signed transaction may be larger than this (64 KiB).
pub const MAX_TX_SIZE: usize = 64 * 1024;

/// Maximum nesting of structs, enums and sequences while decoding.
pub const MAX_DEPTH: usize = 64;

/// A type with one canonical byte encoding.
pub trait Canonical: Serialize + DeserializeOwned {
    /// Name used in error messages.
    const NAME: &'static str;
    /// Largest accepted encoding of this type.
    const MAX_SIZE: usize = MAX_MESSAGE_SIZE;

    /// The canonical bytes.
    fn to_canonical(&self) -> Result<Vec<u8>, Error> {
        let bytes = bcs::to_bytes_with_limit(self, MAX_DEPTH).map_err(|e| Error::Encode {
            what: Self::NAME,
            reason: e.to_string(),
        })?;
        if bytes.len() > Self::MAX_SIZE {
            return Err(Error::TooLarge {
                what: Self::NAME,
                size: bytes.len(),
                limit: Self::MAX_SIZE,
            });
        }
        Ok(bytes)
    }

    /// Decodes canonical bytes: size limit first, then BCS with a depth limit and no trailing
    /// bytes, then the round-trip check.
    fn from_canonical(bytes: &[u8]) -> Result<Self, Error> {
        let value = Self::from_stored(bytes)?;
        let again = bcs::to_bytes_with_limit(&value, MAX_DEPTH).map_err(|e| Error::Decode {
            what: Self::NAME,
            reason: e.to_string(),
        })?;
        if again != bytes {
            return Err(Error::Decode {
                what: Self::NAME,
                reason: "non-canonical encoding".into(),
            });
        }
        Ok(value)
    }

    /// Decodes bytes this node stored after [`Canonical::from_canonical`] accepted them (a log
    /// entry read back from its own store): the size limit and BCS with a depth limit and no
    /// trailing bytes, without the round-trip check, which re-encodes the value and cost as much
    /// as decoding it. Bytes from anyone else go through [`Canonical::from_canonical`].
    fn from_stored(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > Self::MAX_SIZE {
            return Err(Error::TooLarge {
                what: Self::NAME,
                size: bytes.len(),
                limit: Self::MAX_SIZE,
            });
        }
        bcs::from_bytes_with_limit(bytes, MAX_DEPTH).map_err(|e| Error::Decode {
            what: Self::NAME,
            reason: e.to_string(),
        })
    }
}

/// Lowercase hex of `bytes`: the encoding of every hash, key and byte string in JSON. Byte by
/// byte through `hex::encode_to_slice`, several times faster than `hex::encode` (which builds
/// the string one `char` at a time; it was 7% of an `lx_operator` answer).
pub fn to_hex(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut out = vec![0u8; bytes.len() * 2];
    // The output is exactly twice the input's length, so this cannot fail.
    let _ = hex::encode_to_slice(bytes, &mut out);
    // Hex digits are ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// A byte string of at most `MAX` bytes. Lowercase hex in JSON; `ULEB128(len) ‖ bytes` in the
/// canonical encoding.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BoundedBytes<const MAX: usize>(Vec<u8>);

impl<const MAX: usize> BoundedBytes<MAX> {
    /// Wraps `bytes` if they fit.
    pub fn new(bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.len() > MAX {
            return Err(Error::TooLarge {
                what: "byte string",
                size: bytes.len(),
                limit: MAX,
            });
        }
        Ok(BoundedBytes(bytes))
    }

    /// The bytes.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl<const MAX: usize> Deref for BoundedBytes<MAX> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl<const MAX: usize> TryFrom<Vec<u8>> for BoundedBytes<MAX> {
    type Error = Error;
    fn try_from(v: Vec<u8>) -> Result<Self, Error> {
        Self::new(v)
    }
}

impl<const MAX: usize> fmt::Debug for BoundedBytes<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", to_hex(&self.0))
    }
}

impl<const MAX: usize> Serialize for BoundedBytes<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&to_hex(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

struct BytesVisitor<const MAX: usize>;

impl<'de, const MAX: usize> serde::de::Visitor<'de> for BytesVisitor<MAX> {
    type Value = BoundedBytes<MAX>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at most {MAX} bytes")
    }
    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        if v.len() > MAX {
            return Err(E::invalid_length(v.len(), &self));
        }
        Ok(BoundedBytes(v.to_vec()))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.len() > 2 * MAX {
            return Err(E::invalid_length(v.len() / 2, &self));
        }
        // Lowercase only, so the JSON form is unique too.
        if v.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(E::custom("hex must be lowercase"));
        }
        let b = hex::decode(v).map_err(E::custom)?;
        Ok(BoundedBytes(b))
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for BoundedBytes<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(BytesVisitor::<MAX>)
        } else {
            d.deserialize_bytes(BytesVisitor::<MAX>)
        }
    }
}

/// A UTF-8 string of at most `MAX` bytes (not characters: a Chinese character is 3 bytes).
/// `ULEB128(len) ‖ UTF-8 bytes` in the canonical encoding. Control characters other than none
/// are rejected, so a string is always safe to put on one line of a log or a note.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BoundedString<const MAX: usize>(String);

impl<const MAX: usize> BoundedString<MAX> {
    /// Wraps `s` if it fits and has no control characters.
    pub fn new(s: impl Into<String>) -> Result<Self, Error> {
        let s = s.into();
        check_string::<MAX>(&s)?;
        Ok(BoundedString(s))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

fn check_string<const MAX: usize>(s: &str) -> Result<(), Error> {
    if s.len() > MAX {
        return Err(Error::TooLarge {
            what: "string",
            size: s.len(),
            limit: MAX,
        });
    }
    if s.chars().any(char::is_control) {
        return Err(Error::Decode {
            what: "string",
            reason: "control characters are not allowed".into(),
        });
    }
    Ok(())
}

impl<const MAX: usize> Deref for BoundedString<MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Debug for BoundedString<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<const MAX: usize> fmt::Display for BoundedString<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> TryFrom<&str> for BoundedString<MAX> {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl<const MAX: usize> Serialize for BoundedString<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for BoundedString<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        check_string::<MAX>(&s).map_err(serde::de::Error::custom)?;
        Ok(BoundedString(s.into_owned()))
    }
}

/// A sequence of at most `MAX` elements. `ULEB128(count) ‖ elements` in the canonical encoding.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BoundedVec<T, const MAX: usize>(Vec<T>);

impl<T, const MAX: usize> Default for BoundedVec<T, MAX> {
    fn default() -> Self {
        BoundedVec(Vec::new())
    }
}

impl<T, const MAX: usize> BoundedVec<T, MAX> {
    /// Wraps `v` if it fits.
    pub fn new(v: Vec<T>) -> Result<Self, Error> {
        if v.len() > MAX {
            return Err(Error::TooLarge {
                what: "sequence",
                size: v.len(),
                limit: MAX,
            });
        }
        Ok(BoundedVec(v))
    }

    /// The elements.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T, const MAX: usize> Deref for BoundedVec<T, MAX> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: fmt::Debug, const MAX: usize> fmt::Debug for BoundedVec<T, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<T: Serialize, const MAX: usize> Serialize for BoundedVec<T, MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

struct SeqVisitor<T, const MAX: usize>(PhantomData<T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> serde::de::Visitor<'de> for SeqVisitor<T, MAX> {
    type Value = BoundedVec<T, MAX>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a sequence of at most {MAX} elements")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if let Some(n) = seq.size_hint()
            && n > MAX
        {
            return Err(serde::de::Error::invalid_length(n, &self));
        }
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX).min(1024));
        while let Some(x) = seq.next_element()? {
            if v.len() == MAX {
                return Err(serde::de::Error::invalid_length(MAX + 1, &self));
            }
            v.push(x);
        }
        Ok(BoundedVec(v))
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for BoundedVec<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SeqVisitor::<T, MAX>(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        a: u64,
        flag: bool,
        name: BoundedString<8>,
        data: BoundedBytes<4>,
        list: BoundedVec<u16, 3>,
        opt: Option<u8>,
    }

    impl Canonical for Sample {
        const NAME: &'static str = "sample";
        const MAX_SIZE: usize = 64;
    }

    fn sample() -> Sample {
        Sample {
            a: 1,
            flag: true,
            name: BoundedString::new("量").unwrap(),
            data: BoundedBytes::new(vec![0xab, 0xcd]).unwrap(),
            list: BoundedVec::new(vec![1, 2]).unwrap(),
            opt: Some(9),
        }
    }

    #[test]
    fn layout_is_bcs() {
        let b = sample().to_canonical().unwrap();
        let mut want = vec![1, 0, 0, 0, 0, 0, 0, 0, 1, 3];
        want.extend_from_slice("量".as_bytes());
        want.extend_from_slice(&[2, 0xab, 0xcd, 2, 1, 0, 2, 0, 1, 9]);
        assert_eq!(b, want);
        assert_eq!(Sample::from_canonical(&b).unwrap(), sample());
    }

    #[test]
    fn rejects_non_canonical_and_oversized() {
        let good = sample().to_canonical().unwrap();
        assert_eq!(Sample::from_stored(&good).unwrap(), sample());
        // BCS itself rejects all of these, so `from_stored` (no round trip) must too.
        type Decode = fn(&[u8]) -> Result<Sample, Error>;
        let decoders: [(&str, Decode); 2] = [
            ("from_canonical", Sample::from_canonical),
            ("from_stored", Sample::from_stored),
        ];
        for (name, decode) in decoders {
            // trailing byte
            let mut t = good.clone();
            t.push(0);
            assert!(decode(&t).is_err(), "{name}: trailing byte");
            // bool = 2
            let mut b = good.clone();
            b[8] = 2;
            assert!(decode(&b).is_err(), "{name}: bool 2");
            // over-long ULEB128 length for the name (0x83 0x00 instead of 0x03)
            let mut u = good[..9].to_vec();
            u.extend_from_slice(&[0x83, 0x00]);
            u.extend_from_slice(&good[10..]);
            assert!(decode(&u).is_err(), "{name}: over-long length");
            // too long for the limits of the type
            let mut big = sample();
            big.data = BoundedBytes(vec![0; 5]);
            assert!(decode(&bcs::to_bytes(&big).unwrap()).is_err(), "{name}");
            let mut long = sample();
            long.list = BoundedVec(vec![1, 2, 3, 4]);
            assert!(decode(&bcs::to_bytes(&long).unwrap()).is_err(), "{name}");
            // above MAX_SIZE before decoding
            assert!(
                matches!(decode(&[0u8; 65]), Err(Error::TooLarge { .. })),
                "{name}"
            );
            // a huge claimed length does not allocate: it fails for lack of input
            let mut huge = good[..9].to_vec();
            huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x07]);
            assert!(decode(&huge).is_err(), "{name}: huge length");
        }
    }

    #[test]
    fn strings_reject_control_characters() {
        assert!(BoundedString::<16>::new("a\nb").is_err());
        assert!(BoundedString::<2>::new("量").is_err());
        let json = serde_json::to_string(&BoundedBytes::<4>::new(vec![1, 255]).unwrap()).unwrap();
        assert_eq!(json, "\"01ff\"");
        assert!(serde_json::from_str::<BoundedBytes<4>>("\"01FF\"").is_err());
        assert!(serde_json::from_str::<BoundedBytes<1>>("\"0102\"").is_err());
    }
}

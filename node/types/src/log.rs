//! The RFC 9162 Merkle log (being written).

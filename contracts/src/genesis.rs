//! Genesis: the document that starts a chain (being written).

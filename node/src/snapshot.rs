//! The state tree saved when a node stops, so that it starts again without rehashing its whole
//! state. Only a shortcut: the file is read once at the next start (and removed), used only if
//! it is for the latest committed height and its leaves give exactly that checkpoint's state
//! root (then they are the state's leaves), and otherwise the tree is rebuilt from the state
//! rows ([`exec::rebuild_state_tree`](crate::exec::rebuild_state_tree)). A node that crashes
//! leaves no file, or one for an older height, and rebuilds.
//!
//! Format: the magic line `liangxin state tree 1\n`, the height (u64 big-endian), the state
//! root (32 bytes), the number of leaves (u64 big-endian), then each leaf's key hash and value
//! hash (64 bytes) in key-hash order.

use std::io::Write;
use std::path::{Path, PathBuf};

use liangxin_state::MemTree;
use liangxin_types::Hash;

use crate::NodeError;
use crate::exec::Tip;

const MAGIC: &[u8] = b"liangxin state tree 1\n";
const HEADER: usize = MAGIC.len() + 8 + 32 + 8;

/// Where a node whose database is at `data_dir` keeps its saved tree (inside that directory,
/// so that removing the database removes it too; RocksDB ignores files it does not know).
pub fn path_for(data_dir: &Path) -> PathBuf {
    data_dir.join("LIANGXIN-STATE-TREE")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> NodeError + '_ {
    move |e| NodeError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

/// Saves `tip`'s state tree to `path` (written to a temporary file, synced, then renamed).
/// Returns the number of leaves written.
pub fn save(path: &Path, tip: &Tip) -> Result<u64, NodeError> {
    save_tree(path, tip.height, &tip.state)
}

/// Saves `tree`, the state tree at `height`, to `path`.
pub fn save_tree(path: &Path, height: u64, tree: &MemTree) -> Result<u64, NodeError> {
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&tree.root().0);
    header.extend_from_slice(&tree.len().to_be_bytes());
    out.write_all(&header).map_err(io(&tmp))?;
    let mut n = 0u64;
    for (kh, vh) in tree.leaves() {
        out.write_all(&kh.0).map_err(io(&tmp))?;
        out.write_all(&vh.0).map_err(io(&tmp))?;
        n += 1;
    }
    let file = out.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    Ok(n)
}

/// Reads and removes the tree saved at `path`, and returns it if it is the tree at `height`
/// with `root`; `None` (after logging why, unless there was no file) otherwise.
pub fn take(path: &Path, height: u64, root: &Hash) -> Option<MemTree> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the saved state tree; rebuilding it");
            return None;
        }
    };
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove the saved state tree");
    }
    match parse(&bytes, height, root) {
        Ok(tree) => Some(tree),
        Err(why) => {
            tracing::warn!(path = %path.display(), why, "the saved state tree is not usable; rebuilding it");
            None
        }
    }
}

fn parse(bytes: &[u8], height: u64, root: &Hash) -> Result<MemTree, &'static str> {
    let body = bytes
        .strip_prefix(MAGIC)
        .ok_or("not a saved state tree of this version")?;
    let (h, rest) = body.split_first_chunk::<8>().ok_or("truncated")?;
    let (r, rest) = rest.split_first_chunk::<32>().ok_or("truncated")?;
    let (n, leaves) = rest.split_first_chunk::<8>().ok_or("truncated")?;
    if u64::from_be_bytes(*h) != height {
        return Err("it was saved at another height");
    }
    if Hash(*r) != *root {
        return Err("it was saved with another state root");
    }
    let n = usize::try_from(u64::from_be_bytes(*n)).map_err(|_| "too many leaves")?;
    if leaves.len() / 64 != n || leaves.len() % 64 != 0 {
        return Err("its length does not match its leaf count");
    }
    let pairs: Vec<(Hash, Hash)> = leaves
        .chunks_exact(64)
        .map(|c| {
            let mut kh = [0u8; 32];
            let mut vh = [0u8; 32];
            kh.copy_from_slice(&c[..32]);
            vh.copy_from_slice(&c[32..]);
            (Hash(kh), Hash(vh))
        })
        .collect();
    let tree = MemTree::from_hashes(pairs).map_err(|_| "two leaves have the same key hash")?;
    if tree.root() != *root {
        return Err("its leaves do not give the state root");
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(n: u32) -> MemTree {
        MemTree::from_rows((0..n).map(|i| (format!("k/{i}"), format!("v/{i}")))).expect("tree")
    }

    #[test]
    fn a_saved_tree_comes_back_once_and_only_for_its_height_and_root() {
        let dir = tempfile::tempdir().expect("dir");
        let path = path_for(dir.path());
        let t = tree(1000);
        assert_eq!(save_tree(&path, 7, &t).expect("save"), 1000);
        let back = take(&path, 7, &t.root()).expect("the saved tree");
        assert_eq!(back.root(), t.root());
        assert_eq!(back.len(), 1000);
        assert!(!path.exists(), "read once, then removed");
        assert!(take(&path, 7, &t.root()).is_none(), "no file");

        save_tree(&path, 7, &t).expect("save");
        assert!(take(&path, 8, &t.root()).is_none(), "another height");
        save_tree(&path, 7, &t).expect("save");
        assert!(take(&path, 7, &tree(999).root()).is_none(), "another root");
        assert!(!path.exists());
    }

    #[test]
    fn a_damaged_file_is_not_used() {
        let dir = tempfile::tempdir().expect("dir");
        let path = path_for(dir.path());
        let t = tree(100);
        save_tree(&path, 3, &t).expect("save");
        let good = std::fs::read(&path).expect("read");
        let mut cases = vec![
            good[..good.len() - 1].to_vec(),
            good[..HEADER - 1].to_vec(),
            b"something else".to_vec(),
        ];
        let mut flipped = good.clone();
        flipped[HEADER + 40] ^= 1; // a value hash
        cases.push(flipped);
        let mut dup = good.clone();
        let (a, b) = dup[HEADER..].split_at_mut(64);
        b[..64].copy_from_slice(&a[..64]); // two leaves alike
        cases.push(dup);
        for bytes in cases {
            std::fs::write(&path, &bytes).expect("write");
            assert!(take(&path, 3, &t.root()).is_none());
        }
        std::fs::write(&path, &good).expect("write");
        assert!(take(&path, 3, &t.root()).is_some());
    }
}

//! Proof verification over hashes only (RFC 9162 §2.1.3.2, §2.1.4.2) and the reference `MTH`.

use crate::Error;

use super::hasher::LogHasher;
use super::read::split_point;

/// `MTH(D_n)` of RFC 9162 §2.1.1 over the given leaf hashes, by the recursive definition
/// (`O(n)` hashes, recursion depth `log2 n`). The reference the log is tested against.
pub fn root_from_leaves<H: LogHasher>(leaf_hashes: &[H::Output]) -> H::Output {
    match leaf_hashes {
        [] => H::empty_root(),
        [one] => *one,
        _ => {
            let k = split_point(leaf_hashes.len() as u64) as usize;
            let (left, right) = leaf_hashes.split_at(k.min(leaf_hashes.len()));
            H::node(&root_from_leaves::<H>(left), &root_from_leaves::<H>(right))
        }
    }
}

/// Right-shifts `fnode` and `snode` together until the low bit of `fnode` is set or `fnode` is 0.
fn shift_until_odd_or_zero(fnode: &mut u64, snode: &mut u64) {
    while *fnode != 0 && *fnode & 1 == 0 {
        *fnode >>= 1;
        *snode >>= 1;
    }
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1-4 and the `sn == 0` check
/// of step 5).
pub fn root_from_inclusion_proof<H: LogHasher>(
    leaf_hash: &H::Output,
    index: u64,
    size: u64,
    proof: &[H::Output],
) -> Result<H::Output, Error> {
    // 1. leaf_index >= tree_size fails.
    if index >= size {
        return Err(Error::Proof("leaf index is not below the tree size"));
    }
    // 2. fn = leaf_index, sn = tree_size - 1; 3. r = hash.
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    // 4. for each p in the path:
    for p in proof {
        // a. sn == 0: the proof is too long.
        if snode == 0 {
            return Err(Error::Proof("inclusion proof is too long"));
        }
        // b. LSB(fn) set, or fn == sn: p is a left sibling.
        if fnode & 1 == 1 || fnode == snode {
            r = H::node(p, &r);
            if fnode & 1 == 0 {
                shift_until_odd_or_zero(&mut fnode, &mut snode);
            }
        } else {
            r = H::node(&r, p);
        }
        // c. shift both once.
        fnode >>= 1;
        snode >>= 1;
    }
    // 5. sn must be 0 (else the proof is too short).
    if snode != 0 {
        return Err(Error::Proof("inclusion proof is too short"));
    }
    Ok(r)
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`, given
/// the inclusion proof `proof` (RFC 9162 §2.1.3.2). Fails if `index >= size`, if the proof has
/// the wrong length, or if it leads to another root.
pub fn verify_inclusion<H: LogHasher>(
    leaf_hash: &H::Output,
    index: u64,
    size: u64,
    proof: &[H::Output],
    root: &H::Output,
) -> Result<(), Error> {
    let computed = root_from_inclusion_proof::<H>(leaf_hash, index, size, proof)?;
    if computed != *root {
        return Err(Error::Proof("inclusion proof leads to another root"));
    }
    Ok(())
}

/// Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves
/// with root `root1`, given the consistency proof `proof` (RFC 9162 §2.1.4.2).
///
/// Edge cases, outside the RFC's `0 < size1 < size2`: `size1 == 0` always fails (no proof from
/// the empty tree is meaningful, and
/// [`LogReader::consistency_proof`](super::LogReader::consistency_proof) makes none);
/// `size1 > size2` fails; `size1 == size2` succeeds exactly when the proof is empty and
/// `root1 == root2`.
pub fn verify_consistency<H: LogHasher>(
    size1: u64,
    size2: u64,
    proof: &[H::Output],
    root1: &H::Output,
    root2: &H::Output,
) -> Result<(), Error> {
    if size1 == 0 {
        return Err(Error::Proof(
            "consistency with the empty tree is not provable",
        ));
    }
    if size1 > size2 {
        return Err(Error::Proof("old tree size is above the new tree size"));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(Error::Proof("equal tree sizes need an empty proof"));
        }
        if root1 != root2 {
            return Err(Error::Proof("equal tree sizes with different roots"));
        }
        return Ok(());
    }
    // 1. An empty consistency_path fails.
    let Some((head, tail)) = proof.split_first() else {
        return Err(Error::Proof("consistency proof is empty"));
    };
    // 2. If first is an exact power of 2, prepend first_hash: the walk then starts from root1
    //    and runs over the whole proof; otherwise it starts from the proof's first hash.
    let (start, rest) = if size1.is_power_of_two() {
        (*root1, proof)
    } else {
        (*head, tail)
    };
    // 3. fn = first - 1, sn = second - 1.
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    // 4. If LSB(fn) is set, shift both until it is not.
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // 5. fr = sr = the first value.
    let (mut fr, mut sr) = (start, start);
    // 6. For each subsequent value c:
    for c in rest {
        if snode == 0 {
            return Err(Error::Proof("consistency proof is too long"));
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = H::node(c, &fr);
            sr = H::node(c, &sr);
            if fnode & 1 == 0 {
                shift_until_odd_or_zero(&mut fnode, &mut snode);
            }
        } else {
            sr = H::node(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // 7. fr == first_hash, sr == second_hash, sn == 0.
    if snode != 0 {
        return Err(Error::Proof("consistency proof is too short"));
    }
    if fr != *root1 {
        return Err(Error::Proof(
            "consistency proof does not lead to the old root",
        ));
    }
    if sr != *root2 {
        return Err(Error::Proof(
            "consistency proof does not lead to the new root",
        ));
    }
    Ok(())
}

/**
 * @module log
 * RFC 9162 Merkle log proofs over blake3 (`docs/protocol.md` §5): inclusion (§2.1.3.2) and
 * consistency (§2.1.4.2), with the RFC's exact proof lengths (a truncated or padded proof
 * fails) and its edge cases (`index < size`; `0 < size1 ≤ size2`). Sizes and indexes may be
 * numbers or BigInts. Every failure is a {@link VerifyError}.
 */
import { VerifyError } from './errors.js';
import { bytesEqual, fromHex } from './hex.js';
import { nodeHash } from './hash.js';

function big(v, what) {
  if (typeof v === 'bigint' ? v < 0n : !(Number.isSafeInteger(v) && v >= 0)) {
    throw new VerifyError(`${what} is not a non-negative integer`);
  }
  return BigInt(v);
}

function hashes(list, what) {
  if (!Array.isArray(list)) throw new VerifyError(`${what} is not a list of hashes`);
  return list.map((h, i) => (h instanceof Uint8Array ? h : fromHex(h, 32, `${what} hash ${i}`)));
}

function shiftUntilOddOrZero(s) {
  while (s.fn !== 0n && (s.fn & 1n) === 0n) {
    s.fn >>= 1n;
    s.sn >>= 1n;
  }
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–5).
 * @param {number | bigint} leafIndex
 * @param {number | bigint} treeSize
 * @param {Uint8Array} leafHashBytes
 * @param {Array<string | Uint8Array>} proof
 * @returns {Uint8Array}
 */
export function rootFromInclusion(leafIndex, treeSize, leafHashBytes, proof) {
  const index = big(leafIndex, 'leaf index');
  const size = big(treeSize, 'tree size');
  const path = hashes(proof, 'inclusion proof');
  if (index >= size) throw new VerifyError(`leaf index ${index} is not below the tree size ${size}`);
  const s = { fn: index, sn: size - 1n };
  let r = leafHashBytes;
  for (const p of path) {
    if (s.sn === 0n) throw new VerifyError('inclusion proof is too long');
    if ((s.fn & 1n) === 1n || s.fn === s.sn) {
      r = nodeHash(p, r);
      if ((s.fn & 1n) === 0n) shiftUntilOddOrZero(s);
    } else {
      r = nodeHash(r, p);
    }
    s.fn >>= 1n;
    s.sn >>= 1n;
  }
  if (s.sn !== 0n) throw new VerifyError('inclusion proof is too short');
  return r;
}

/**
 * Verifies that the leaf with hash `leafHashBytes` is leaf `leafIndex` of the tree of
 * `treeSize` leaves with root `rootHex`. Throws {@link VerifyError}.
 * @param {number | bigint} leafIndex
 * @param {number | bigint} treeSize
 * @param {Uint8Array} leafHashBytes `blake3(0x00 ‖ leaf)`
 * @param {string[]} hashesHex the audit path, deepest sibling first
 * @param {string} rootHex
 */
export function verifyInclusion(leafIndex, treeSize, leafHashBytes, hashesHex, rootHex) {
  const root = fromHex(rootHex, 32, 'log root');
  const got = rootFromInclusion(leafIndex, treeSize, leafHashBytes, hashesHex);
  if (!bytesEqual(got, root)) throw new VerifyError('inclusion proof leads to another root');
}

/**
 * Verifies that the tree of `size1` leaves with root `root1Hex` is a prefix of the tree of
 * `size2` leaves with root `root2Hex` (RFC 9162 §2.1.4.2). Throws {@link VerifyError}.
 * @param {number | bigint} size1
 * @param {number | bigint} size2
 * @param {string} root1Hex
 * @param {string} root2Hex
 * @param {string[]} hashesHex
 */
export function verifyConsistency(size1, size2, root1Hex, root2Hex, hashesHex) {
  const first = big(size1, 'old tree size');
  const second = big(size2, 'new tree size');
  const root1 = fromHex(root1Hex, 32, 'old root');
  const root2 = fromHex(root2Hex, 32, 'new root');
  const proof = hashes(hashesHex, 'consistency proof');
  if (first === 0n) throw new VerifyError('consistency with the empty tree is not provable');
  if (first > second) throw new VerifyError('old tree size is above the new tree size');
  if (first === second) {
    if (proof.length !== 0) throw new VerifyError('equal tree sizes need an empty proof');
    if (!bytesEqual(root1, root2)) throw new VerifyError('equal tree sizes with different roots');
    return;
  }
  if (proof.length === 0) throw new VerifyError('consistency proof is empty');
  const powerOfTwo = (first & (first - 1n)) === 0n;
  const [start, rest] = powerOfTwo ? [root1, proof] : [proof[0], proof.slice(1)];
  const s = { fn: first - 1n, sn: second - 1n };
  while ((s.fn & 1n) === 1n) {
    s.fn >>= 1n;
    s.sn >>= 1n;
  }
  let fr = start;
  let sr = start;
  for (const c of rest) {
    if (s.sn === 0n) throw new VerifyError('consistency proof is too long');
    if ((s.fn & 1n) === 1n || s.fn === s.sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((s.fn & 1n) === 0n) shiftUntilOddOrZero(s);
    } else {
      sr = nodeHash(sr, c);
    }
    s.fn >>= 1n;
    s.sn >>= 1n;
  }
  if (s.sn !== 0n) throw new VerifyError('consistency proof is too short');
  if (!bytesEqual(fr, root1)) throw new VerifyError('consistency proof does not lead to the old root');
  if (!bytesEqual(sr, root2)) throw new VerifyError('consistency proof does not lead to the new root');
}

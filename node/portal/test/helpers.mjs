// Test helpers: conformance files, dev keys, transaction signing, a reference RFC 9162 tree
// (MTH, PATH, PROOF written from the RFC's recursive definitions, independently of the
// verifier's iterative algorithms) and a reference sparse Merkle tree (T(S, d) of
// node/state/README.md) that makes proofs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTEXT, deriveKey, leafHash, nodeHash, plainBlake3 } from '../src/lib/hash.js';
import { concat, toHex, utf8 } from '../src/lib/hex.js';
import { publicKeyOf, sign } from '../src/lib/ed25519.js';
import { encodeTxBody, TX_DOMAIN } from '../src/lib/tx.js';
import {
  EMPTY, bit, stateKeyHash, stateLeafHash, stateNodeHash, stateValueHash,
} from '../src/lib/state.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../../..');

/** A JSON file of the repository. */
export function readJson(rel) {
  return JSON.parse(fs.readFileSync(path.join(repo, rel), 'utf8'));
}

/** A text file of the repository. */
export function readText(rel) {
  return fs.readFileSync(path.join(repo, rel), 'utf8');
}

/** `SigningKey::dev(label)`'s seed. */
export function devSeed(label) {
  return deriveKey(CONTEXT.devKey, utf8(label));
}

/** `SigningKey::dev(label)`'s public key. */
export function devKey(label) {
  return publicKeyOf(devSeed(label));
}

/** Canonical SignedTx bytes of `{kind, payload}` signed by the dev key `label`. */
export function signTx(label, chainId, seq, { kind, payload }) {
  const body = encodeTxBody({ chain_id: chainId, signer: devKey(label), seq, kind, payload });
  const sig = sign(devSeed(label), concat(utf8(TX_DOMAIN), body));
  return concat(body, sig);
}

/** Flips one bit of a copy. */
export function flip(bytes, i, mask = 1) {
  const b = Uint8Array.from(bytes);
  b[i] ^= mask;
  return b;
}

// ---- RFC 9162 reference tree over leaf hashes ----

function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes. */
export function mth(leaves) {
  if (leaves.length === 0) return plainBlake3(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** PATH(m, D[n]) (RFC 9162 §2.1.3.1), deepest first. */
export function inclusionPath(m, leaves) {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...inclusionPath(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...inclusionPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

function subproof(m, leaves, b) {
  const n = leaves.length;
  if (m === n) return b ? [] : [mth(leaves)];
  const k = split(n);
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), b), mth(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) (RFC 9162 §2.1.4.1). */
export function consistencyProof(m, leaves) {
  return subproof(m, leaves, true);
}

/** A log of transactions: leaf bytes, with roots and proofs as hex. */
export class TestLog {
  constructor() {
    this.leaves = [];
    this.hashes = [];
  }
  append(bytes) {
    this.leaves.push(bytes);
    this.hashes.push(leafHash(bytes));
    return this.leaves.length - 1;
  }
  get size() {
    return this.leaves.length;
  }
  root(size = this.size) {
    return toHex(mth(this.hashes.slice(0, size)));
  }
  inclusion(index, size = this.size) {
    return inclusionPath(index, this.hashes.slice(0, size)).map(toHex);
  }
  consistency(size1, size2 = this.size) {
    return consistencyProof(size1, this.hashes.slice(0, size2)).map(toHex);
  }
}

// ---- sparse Merkle tree (node/state/README.md) ----

function subtree(pairs, d) {
  if (pairs.length === 0) return EMPTY;
  if (pairs.length === 1) return stateLeafHash(pairs[0].kh, pairs[0].vh);
  const l = pairs.filter((p) => bit(p.kh, d) === 0);
  const r = pairs.filter((p) => bit(p.kh, d) === 1);
  return stateNodeHash(subtree(l, d + 1), subtree(r, d + 1));
}

/** A state tree over raw key → value bytes. */
export class TestState {
  constructor() {
    /** @type {Map<string, {key: Uint8Array, value: Uint8Array}>} */
    this.rows = new Map();
  }
  put(key, value) {
    this.rows.set(toHex(key), { key, value });
    return this;
  }
  pairs() {
    return [...this.rows.values()].map(({ key, value }) => ({
      kh: stateKeyHash(key), vh: stateValueHash(value),
    }));
  }
  root() {
    return toHex(subtree(this.pairs(), 0));
  }
  /** `{leaf, siblings}` for `key`, and its value (or null). */
  prove(key) {
    const kh = stateKeyHash(key);
    let set = this.pairs();
    const siblings = [];
    let d = 0;
    while (set.length > 1) {
      const same = set.filter((p) => bit(p.kh, d) === bit(kh, d));
      const other = set.filter((p) => bit(p.kh, d) !== bit(kh, d));
      siblings.push(toHex(subtree(other, d + 1)));
      set = same;
      d++;
    }
    const leaf = set.length === 1 ? { key_hash: toHex(set[0].kh), value_hash: toHex(set[0].vh) } : null;
    const row = this.rows.get(toHex(key));
    return { proof: { leaf, siblings }, value: row ? row.value : null };
  }
  /** An answer's `state_proof` row. */
  provenRow(row, key) {
    const { proof, value } = this.prove(key);
    return { row, key: toHex(key), value: value === null ? null : toHex(value), proof };
  }
}

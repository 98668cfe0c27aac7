/**
 * @module hash
 * Liangxin's hashes (`docs/protocol.md` §3 and §5): blake3 in derive-key mode with a fixed
 * context string per purpose, and the Merkle log's RFC 9162 leaf and node hashes over plain
 * blake3.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { concat, toHex, utf8 } from './hex.js';

/** The derive-key context strings (`liangxin_types::Domain`, state tree contexts). */
export const CONTEXT = Object.freeze({
  txId: 'liangxin 2026-11 tx-id',
  header: 'liangxin 2026-11 block-header',
  checkpoint: 'liangxin 2026-11 checkpoint',
  document: 'liangxin 2026-11 document',
  state: 'liangxin 2026-11 state',
  seed: 'liangxin 2026-11 seed',
  conformance: 'liangxin 2026-11 conformance',
  genesis: 'liangxin 2026-11 genesis',
  devKey: 'liangxin 2026-11 dev-key',
  stateKey: 'liangxin 2026-11 state key',
  stateValue: 'liangxin 2026-11 state value',
  stateLeaf: 'liangxin 2026-11 state leaf',
  stateNode: 'liangxin 2026-11 state node',
});

/**
 * `blake3::derive_key(context, bytes)`: 32 bytes.
 * @param {string} context
 * @param {Uint8Array} bytes
 * @returns {Uint8Array}
 */
export function deriveKey(context, bytes) {
  return blake3(bytes, { context: utf8(context) });
}

/**
 * A transaction id: `H_tx-id(canonical SignedTx)`, hex.
 * @param {Uint8Array} txBytes
 * @returns {string}
 */
export function txId(txBytes) {
  return toHex(deriveKey(CONTEXT.txId, txBytes));
}

/**
 * The digest of an off-chain document (a certificate, report, pledge) as records carry it
 * (`liangxin_types::hash::document_digest`: `H_document(file bytes)`), hex.
 * @param {Uint8Array} fileBytes
 * @returns {string}
 */
export function documentDigest(fileBytes) {
  return toHex(deriveKey(CONTEXT.document, fileBytes));
}

/**
 * The log's leaf hash `blake3(0x00 ‖ leaf)`.
 * @param {Uint8Array} leafBytes
 * @returns {Uint8Array}
 */
export function leafHash(leafBytes) {
  return blake3(concat(Uint8Array.of(0), leafBytes));
}

/**
 * The log's node hash `blake3(0x01 ‖ left ‖ right)`.
 * @param {Uint8Array} left
 * @param {Uint8Array} right
 * @returns {Uint8Array}
 */
export function nodeHash(left, right) {
  return blake3(concat(Uint8Array.of(1), left, right));
}

/** Plain blake3 (conformance vectors' `blake3` field, the empty log's root). */
export function plainBlake3(bytes) {
  return blake3(bytes);
}

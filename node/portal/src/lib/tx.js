/**
 * @module tx
 * Signed transactions (`docs/protocol.md` §4):
 *
 * ```
 * TxBody   = chain_id: string≤64 ‖ signer: PublicKey ‖ seq: u64 ‖ kind: u16 ‖ payload: bytes≤65280
 * SignedTx = TxBody ‖ signature: Signature
 * message  = "liangxin/2026-11/tx\n" ‖ canonical(TxBody)
 * ```
 */
import { Reader, MAX_TX_SIZE, Writer } from './bcs.js';
import { publicKeyProblem, signatureProblem, verifyStrict } from './ed25519.js';
import { VerifyError } from './errors.js';
import { concat, fromHex, toHex, utf8 } from './hex.js';
import { txId } from './hash.js';
import { jsonU64 } from './json.js';

/** The transaction signing prefix. */
export const TX_DOMAIN = 'liangxin/2026-11/tx\n';
/** Largest payload (`MAX_TX_SIZE − 256`). */
export const MAX_PAYLOAD = MAX_TX_SIZE - 256;
const CHAIN_ID = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/**
 * Why `s` is not a valid chain id (1–64 of `a-z 0-9 - .`, first a letter or digit), or null.
 * @param {string} s
 */
export function chainIdProblem(s) {
  return typeof s === 'string' && CHAIN_ID.test(s)
    ? null
    : `chain id ${JSON.stringify(String(s).slice(0, 80))} must be 1 to 64 of a-z, 0-9, '-', '.', starting with a letter or digit`;
}

/**
 * @typedef {object} SignedTx
 * @property {string} chain_id
 * @property {string} signer hex
 * @property {number | bigint} seq a number when ≤ Number.MAX_SAFE_INTEGER
 * @property {number} kind the record kind tag
 * @property {Uint8Array} payload the record's canonical bytes
 * @property {string} signature hex
 * @property {Uint8Array} message the exact bytes the signature is over
 * @property {string} id the transaction id (hex)
 */

/**
 * Decodes canonical signed-transaction bytes (strict BCS, size first, key and signature
 * encodings checked). Throws {@link VerifyError}.
 * @param {Uint8Array} bytes
 * @returns {SignedTx}
 */
export function decodeSignedTx(bytes) {
  const r = new Reader(bytes, { what: 'signed transaction', maxSize: MAX_TX_SIZE });
  const chain_id = r.string(64);
  const cp = chainIdProblem(chain_id);
  if (cp) r.fail(cp);
  const signer = r.fixed(32);
  const kp = publicKeyProblem(signer);
  if (kp) r.fail(`signer: ${kp}`);
  const seq = r.u64();
  const kind = r.u16();
  const payload = r.bytesSeq(MAX_PAYLOAD);
  const bodyEnd = r.pos;
  const signature = r.fixed(64);
  const sp = signatureProblem(signature);
  if (sp) r.fail(`signature: ${sp}`);
  r.end();
  return {
    chain_id,
    signer: toHex(signer),
    seq: jsonU64(seq),
    kind,
    payload: Uint8Array.from(payload),
    signature: toHex(signature),
    message: concat(utf8(TX_DOMAIN), bytes.subarray(0, bodyEnd)),
    id: txId(bytes),
  };
}

/**
 * Whether the transaction's signature verifies under its signer with the strict rules.
 * @param {SignedTx} tx
 * @returns {boolean}
 */
export function verifyTxSignature(tx) {
  return verifyStrict(fromHex(tx.signer, 32), tx.message, fromHex(tx.signature, 64));
}

/**
 * Decodes, checks the chain and verifies the signature (`VerifiedTx::decode`). Throws
 * {@link VerifyError}.
 * @param {Uint8Array} bytes
 * @param {string} chainId
 * @returns {SignedTx}
 */
export function decodeVerifiedTx(bytes, chainId) {
  const tx = decodeSignedTx(bytes);
  if (tx.chain_id !== chainId) {
    throw new VerifyError(`the transaction is for chain ${tx.chain_id}, not ${chainId}`);
  }
  if (!verifyTxSignature(tx)) throw new VerifyError('the transaction signature does not verify');
  return tx;
}

/**
 * Canonical `TxBody` bytes (for tools and tests that build transactions).
 * @param {{chain_id: string, signer: Uint8Array, seq: number | bigint, kind: number, payload: Uint8Array}} body
 * @returns {Uint8Array}
 */
export function encodeTxBody({ chain_id, signer, seq, kind, payload }) {
  const w = new Writer();
  w.string(chain_id);
  w.fixed(signer);
  w.u64(seq);
  w.u16(kind);
  w.bytesSeq(payload);
  return w.finish();
}

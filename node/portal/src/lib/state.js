/**
 * @module state
 * The authenticated state (`node/state/README.md`, `docs/rpc.md` "State proofs"):
 * sparse Merkle proofs of presence and absence ({@link verifyStateProof}), the state keys
 * answers are proven by ({@link stateKeys}, `contracts/src/store.rs` `keys`), the proven rows'
 * values as serde_json views of the Rust structs ({@link decodeStateValue}), and entry chains
 * ({@link entryChain}, `docs/protocol.md` §4a).
 */
import { decodeAll, Writer } from './bcs.js';
import { VerifyError } from './errors.js';
import { bytesEqual, concat, fromHex, toHex, utf8 } from './hex.js';
import { CONTEXT, deriveKey, txId } from './hash.js';
import {
  grade, instrumentId, instrumentRegistration, randomDrawRequest, retirementReason,
  sector, shortText, time,
} from './model.js';
import { arr, bool, hash, keyBytes, opt, region, struct, u32, u64, uscc, vec } from './schema.js';

/** The empty subtree's hash: 32 zero bytes. */
export const EMPTY = new Uint8Array(32);

/** `H(key, key)`. */
export const stateKeyHash = (key) => deriveKey(CONTEXT.stateKey, key);
/** `H(value, value)`. */
export const stateValueHash = (value) => deriveKey(CONTEXT.stateValue, value);
/** `H(leaf, key_hash ‖ value_hash)`. */
export const stateLeafHash = (kh, vh) => deriveKey(CONTEXT.stateLeaf, concat(kh, vh));
/** `H(node, left ‖ right)`. */
export const stateNodeHash = (l, r) => deriveKey(CONTEXT.stateNode, concat(l, r));

/** Bit `i` of a key hash, most significant first. */
export function bit(kh, i) {
  return (kh[i >> 3] >> (7 - (i & 7))) & 1;
}

function commonPrefixBits(a, b) {
  let n = 0;
  while (n < 256 && bit(a, n) === bit(b, n)) n++;
  return n;
}

/**
 * Verifies a state proof: under `rootHex`, `keyBytes` maps to `valueBytesOrNull` (`null`:
 * the key is absent). `proofJson` is `{leaf: {key_hash, value_hash} | null, siblings: [hex]}`.
 * Throws {@link VerifyError} saying what is wrong.
 * @param {string} rootHex
 * @param {Uint8Array} keyBytes
 * @param {Uint8Array | null} valueBytesOrNull
 * @param {{leaf: {key_hash: string, value_hash: string} | null, siblings: string[]}} proofJson
 */
export function verifyStateProof(rootHex, keyBytes, valueBytesOrNull, proofJson) {
  const root = fromHex(rootHex, 32, 'state root');
  if (!proofJson || typeof proofJson !== 'object' || !Array.isArray(proofJson.siblings)) {
    throw new VerifyError('state proof: not a {leaf, siblings} object');
  }
  const n = proofJson.siblings.length;
  if (n > 256) throw new VerifyError('state proof: more than 256 siblings');
  const siblings = proofJson.siblings.map((s, i) => fromHex(s, 32, `state proof sibling ${i}`));
  if (n > 0 && bytesEqual(siblings[n - 1], EMPTY)) {
    throw new VerifyError('state proof: the deepest sibling is empty (not canonical)');
  }
  const kh = stateKeyHash(keyBytes);
  const leaf = proofJson.leaf ?? null;
  let h;
  if (leaf === null) {
    if (valueBytesOrNull !== null) {
      throw new VerifyError('state proof: the key is claimed present but the proof shows absence');
    }
    h = EMPTY;
  } else {
    const lk = fromHex(leaf.key_hash, 32, 'state proof leaf key hash');
    const lv = fromHex(leaf.value_hash, 32, 'state proof leaf value hash');
    if (valueBytesOrNull !== null) {
      if (!bytesEqual(lk, kh)) throw new VerifyError("state proof: the proof's leaf holds another key");
      if (!bytesEqual(lv, stateValueHash(valueBytesOrNull))) {
        throw new VerifyError("state proof: the proof's leaf holds another value");
      }
    } else {
      if (bytesEqual(lk, kh)) {
        throw new VerifyError('state proof: the key is claimed absent but the proof shows it present');
      }
      if (commonPrefixBits(lk, kh) < n) {
        throw new VerifyError("state proof: the proof's leaf is not on the key's path");
      }
    }
    h = stateLeafHash(lk, lv);
  }
  for (let i = n - 1; i >= 0; i--) {
    h = bit(kh, i) ? stateNodeHash(siblings[i], h) : stateNodeHash(h, siblings[i]);
  }
  if (!bytesEqual(h, root)) throw new VerifyError('state proof: the proof does not lead to the state root');
}

const TABLE = { operator: 0x04, instrument: 0x07, certificate: 0x09, draw: 0x0e, pendingDraw: 0x0f, nodeIndex: 0xf0 };

function instrumentKey(id) {
  const w = new Writer();
  instrumentId.write(w, id);
  return w.finish();
}

/** The state keys of the rows answers are proven by (`liangxin_contracts::store::keys`). */
export const stateKeys = Object.freeze({
  /** `0x04 ‖ uscc` @param {string} u */
  operator: (u) => concat(Uint8Array.of(TABLE.operator), utf8(u)),
  /** `0xf0 ‖ "op" ‖ uscc` @param {string} u */
  operatorEntries: (u) => concat(Uint8Array.of(TABLE.nodeIndex), utf8('op'), utf8(u)),
  /** `0x07 ‖ BCS(InstrumentId)` @param {{owner: string, category: string, serial: string}} id */
  instrument: (id) => concat(Uint8Array.of(TABLE.instrument), instrumentKey(id)),
  /** `0xf0 ‖ "in" ‖ BCS(InstrumentId)` */
  instrumentEntries: (id) => concat(Uint8Array.of(TABLE.nodeIndex), utf8('in'), instrumentKey(id)),
  /** `0x09 ‖ digest` @param {string} digestHex */
  certificate: (digestHex) => concat(Uint8Array.of(TABLE.certificate), fromHex(digestHex, 32, 'digest')),
  /** `0x0e ‖ request tx id` @param {string} txIdHex */
  draw: (txIdHex) => concat(Uint8Array.of(TABLE.draw), fromHex(txIdHex, 32, 'tx id')),
  /** `0x0f ‖ request tx id` @param {string} txIdHex */
  pendingDraw: (txIdHex) => concat(Uint8Array.of(TABLE.pendingDraw), fromHex(txIdHex, 32, 'tx id')),
  /** `0xf0 ‖ "validators"`: the validator set (`store::ValidatorSetRow`). */
  validators: () => concat(Uint8Array.of(TABLE.nodeIndex), utf8('validators')),
});

const verificationSummary = struct([
  ['tx', hash], ['date', time], ['passed', bool], ['valid_until', time],
  ['certificate_digest', hash], ['institution', shortText],
]);
const retirementSummary = struct([
  ['tx', hash], ['at', time], ['reason', retirementReason], ['replacement', opt(instrumentId)],
]);
const candidate = struct([['operator', uscc], ['grade', grade], ['last_inspectors', vec(shortText)]]);
const entryChainRow = struct([['count', u64], ['head', hash]]);

/** Row name → schema of its value (`contracts/src/store.rs`). */
export const ROWS = Object.freeze({
  operator: struct([
    ['registration', struct([
      ['uscc', uscc], ['name', shortText], ['region', region], ['sector', sector],
      ['key', keyBytes], ['check_override', bool],
    ])],
    ['key', keyBytes],
    ['registered_by', hash],
    ['registered_at', time],
    ['commitment', opt(hash)],
    ['last_inspectors', vec(shortText)],
  ]),
  operator_entries: entryChainRow,
  instrument_entries: entryChainRow,
  instrument: struct([
    ['registration', instrumentRegistration],
    ['registered_by', hash],
    ['registered_at', time],
    ['last_verification', opt(verificationSummary)],
    ['last_pass', opt(verificationSummary)],
    ['retired', opt(retirementSummary)],
    ['replaces', opt(instrumentId)],
  ]),
  certificate: struct([
    ['tx', hash], ['instrument', instrumentId], ['institution', shortText], ['number', shortText],
    ['passed', bool], ['date', time], ['valid_until', time],
  ]),
  draw: struct([
    ['request', randomDrawRequest],
    ['seed', hash],
    ['height', u64],
    ['request_height', u64],
    ['candidates', arr(u32, 4)],
    ['sample_rates_ppm', arr(u32, 4)],
    ['targets', vec(struct([['operator', uscc], ['grade', grade], ['inspectors', vec(shortText)]]))],
    ['snapshot', vec(candidate)],
  ]),
  pending_draw: struct([
    ['request', randomDrawRequest],
    ['height', u64],
    ['sample_rates_ppm', arr(u32, 4)],
    ['candidates', vec(candidate)],
  ]),
  validators: struct([['validators', vec(struct([['name', shortText], ['key', keyBytes]]))]]),
});

/**
 * Decodes a proven row's value (BCS as the contracts store it) into the serde_json view of
 * its Rust struct. Throws {@link VerifyError}.
 * @param {string} row one of the keys of {@link ROWS}
 * @param {Uint8Array} bytes
 */
export function decodeStateValue(row, bytes) {
  const schema = ROWS[row];
  if (!schema) throw new VerifyError(`unknown state row ${JSON.stringify(row)}`);
  return decodeAll(bytes, (r) => schema.read(r), { what: `${row} row` });
}

/**
 * Encodes a row's JSON view (for tools and tests).
 * @param {string} row
 * @param {unknown} value
 * @returns {Uint8Array}
 */
export function encodeStateValue(row, value) {
  const schema = ROWS[row];
  if (!schema) throw new VerifyError(`unknown state row ${JSON.stringify(row)}`);
  const w = new Writer();
  schema.write(w, value);
  return w.finish();
}

/**
 * The entry chain of a subject's entries in log order: `head₀ = 0³²`,
 * `headₙ = H_state("entry-chain" ‖ headₙ₋₁ ‖ leaf_index (u64 BE) ‖ tx_id)`, where `tx_id`
 * is the id of the entry's `tx` bytes (or its `tx_id` when given instead).
 * @param {Array<{leaf_index: number | bigint, tx?: string, tx_id?: string}>} entries
 * @returns {{count: number, head: string}}
 */
export function entryChain(entries) {
  let head = new Uint8Array(32);
  for (const e of entries) {
    const id = e.tx !== undefined ? txId(fromHex(e.tx, undefined, 'entry tx')) : e.tx_id;
    const leaf = new Uint8Array(8);
    new DataView(leaf.buffer).setBigUint64(0, BigInt(e.leaf_index), false);
    head = deriveKey(CONTEXT.state, concat(utf8('entry-chain'), head, leaf, fromHex(id, 32, 'tx id')));
  }
  return { count: entries.length, head: toHex(head) };
}

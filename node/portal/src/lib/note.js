/**
 * @module note
 * Checkpoints as C2SP signed notes (`docs/protocol.md` §6, `liangxin_types::checkpoint`):
 * strict parsing ({@link parseNote}), key ids ({@link keyId}) and verification against a
 * pinned validator set ({@link verifyCheckpoint}).
 *
 * ```
 * liangxin/<chain_id>
 * <log size>
 * <base64 log root>
 * <height> <hex block hash> <hex state root>
 *
 * — <name> <base64(key id ‖ signature)>
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { publicKeyOf, publicKeyProblem, sign, signatureProblem, verifyStrict } from './ed25519.js';
import { VerifyError } from './errors.js';
import { bytesEqual, concat, fromBase64, fromHex, toBase64, toHex, utf8 } from './hex.js';
import { chainIdProblem } from './tx.js';

/** A note is at most 1 MiB. */
export const MAX_NOTE_SIZE = 1 << 20;
/** A note has at most 512 signature lines. */
export const MAX_SIGNATURES = 512;
const DASH = '\u2014 ';
const ORIGIN = 'liangxin/';
// Rust's char::is_whitespace (Unicode White_Space).
const WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const U64_MAX = 2n ** 64n - 1n;

const bad = (msg) => new VerifyError(`checkpoint note: ${msg}`);

/**
 * The key id of a signer: `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[0..4]`.
 * @param {string} name
 * @param {Uint8Array} publicKeyBytes
 * @returns {Uint8Array}
 */
export function keyId(name, publicKeyBytes) {
  return sha256(concat(utf8(name), utf8('\n'), Uint8Array.of(1), publicKeyBytes)).subarray(0, 4);
}

/** Why `name` cannot name a key (empty, whitespace, `+`, control characters), or null. */
export function keyNameProblem(name) {
  if (typeof name !== 'string' || name === '') return 'empty key name';
  if (WHITESPACE.test(name) || name.includes('+') || /[\u0000-\u001f]/.test(name)) {
    return `key name ${JSON.stringify(name.slice(0, 80))} contains whitespace, '+' or a control character`;
  }
  return null;
}

function decimal(s, what) {
  if (!/^(?:0|[1-9][0-9]*)$/.test(s)) throw bad(`${what} is not a canonical decimal number`);
  const v = BigInt(s);
  if (v > U64_MAX) throw bad(`${what} is above 2^64 - 1`);
  return v;
}

function lowerHash(s, what) {
  if (!/^[0-9a-f]{64}$/.test(s)) throw bad(`${what} is not 64 lowercase hex digits`);
  return s;
}

/**
 * @typedef {object} CheckpointBody
 * @property {string} chain_id
 * @property {bigint} log_size
 * @property {string} root hex
 * @property {bigint} height
 * @property {string} block_hash hex
 * @property {string} state_root hex
 */

/**
 * The canonical body text of a checkpoint.
 * @param {{chain_id: string, log_size: number|bigint, root: string, height: number|bigint, block_hash: string, state_root: string}} cp
 * @returns {string}
 */
export function renderBody(cp) {
  return `${ORIGIN}${cp.chain_id}\n${cp.log_size}\n${toBase64(fromHex(cp.root, 32, 'root'))}\n` +
    `${cp.height} ${cp.block_hash} ${cp.state_root}\n`;
}

/**
 * Parses a checkpoint body; it must be exactly the canonical rendering.
 * @param {string} body
 * @returns {CheckpointBody}
 */
export function parseBody(body) {
  if (!body.endsWith('\n')) throw bad('checkpoint body does not end in a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length !== 4) throw bad(`checkpoint body has ${lines.length} lines, expected 4`);
  const [origin, size, root, ext] = lines;
  if (!origin.startsWith(ORIGIN)) throw bad(`origin line does not start with "${ORIGIN}"`);
  const chain_id = origin.slice(ORIGIN.length);
  const cp = chainIdProblem(chain_id);
  if (cp) throw bad(cp);
  const log_size = decimal(size, 'log size');
  const rootBytes = fromBase64(root, 'checkpoint note: log root');
  if (rootBytes.length !== 32) throw bad(`log root is ${rootBytes.length} bytes, not 32`);
  const parts = ext.split(' ');
  if (parts.length !== 3) throw bad('extension line is not "<height> <block hash> <state root>"');
  const out = {
    chain_id,
    log_size,
    root: toHex(rootBytes),
    height: decimal(parts[0], 'height'),
    block_hash: lowerHash(parts[1], 'block hash'),
    state_root: lowerHash(parts[2], 'state root'),
  };
  if (renderBody(out) !== body) throw bad('checkpoint body is not in canonical form');
  return out;
}

/**
 * @typedef {object} NoteSignature
 * @property {string} name
 * @property {Uint8Array} keyId 4 bytes
 * @property {Uint8Array} signature the bytes after the key id
 */

/** @param {string} line @returns {NoteSignature} */
function parseLine(line) {
  if (!line.startsWith(DASH)) throw bad('signature line does not start with an em dash and a space');
  const rest = line.slice(DASH.length);
  const sp = rest.indexOf(' ');
  if (sp < 0) throw bad('signature line has no space after the key name');
  const name = rest.slice(0, sp);
  const np = keyNameProblem(name);
  if (np) throw bad(np);
  const payload = fromBase64(rest.slice(sp + 1), `checkpoint note: signature of ${JSON.stringify(name)}`);
  if (payload.length <= 4) {
    throw bad(`signature of ${JSON.stringify(name)} is ${payload.length} bytes, shorter than a key id and a signature`);
  }
  return { name, keyId: payload.slice(0, 4), signature: payload.slice(4) };
}

/**
 * Parses a signed note strictly: size and line count first, no control characters but `\n`,
 * body split at the last blank line and canonical, every signature line well formed, no two
 * lines with the same name and key id. Throws {@link VerifyError}.
 * @param {string} text
 * @returns {CheckpointBody & {body: string, signatures: NoteSignature[]}}
 */
export function parseNote(text) {
  if (typeof text !== 'string') throw bad('not a string');
  // UTF-8 is never shorter than UTF-16 code units, so the first test needs no encoding.
  if (text.length > MAX_NOTE_SIZE || utf8(text).length > MAX_NOTE_SIZE) {
    throw bad(`larger than the limit of ${MAX_NOTE_SIZE} bytes`);
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
    throw bad('not valid Unicode (a lone surrogate)');
  }
  const ctl = /[\u0000-\u0009\u000b-\u001f]/.exec(text);
  if (ctl) {
    throw bad(`contains the control character U+${ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  }
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw bad('no blank line before its signatures');
  const body = text.slice(0, split + 1);
  let sigText = text.slice(split + 2);
  if (!sigText.endsWith('\n')) throw bad('does not end with a signature line and a newline');
  sigText = sigText.slice(0, -1);
  const lines = sigText.split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw bad(`${lines.length} signature lines, above the limit of ${MAX_SIGNATURES}`);
  }
  const cp = parseBody(body);
  const signatures = [];
  for (const line of lines) {
    const sig = parseLine(line);
    if (signatures.some((s) => s.name === sig.name && bytesEqual(s.keyId, sig.keyId))) {
      throw bad(`two signature lines for key ${JSON.stringify(sig.name)}+${toHex(sig.keyId)}`);
    }
    signatures.push(sig);
  }
  return { ...cp, body, signatures };
}

/**
 * Checks a pinned validator set (`ValidatorSet::new`): non-empty, names valid and distinct,
 * keys valid and distinct, quorum more than two thirds and at most all. Returns the keys.
 * @param {{chainId: string, validators: Array<{name: string, public_key: string}>, quorum: number}} trust
 * @returns {Uint8Array[]}
 */
export function checkTrust(trust) {
  const vs = trust?.validators;
  if (!Array.isArray(vs) || vs.length === 0) throw new VerifyError('the validator set is empty');
  const cp = chainIdProblem(trust.chainId);
  if (cp) throw new VerifyError(`pinned chain: ${cp}`);
  const n = vs.length;
  const q = trust.quorum;
  if (!Number.isInteger(q) || q < 1 || q > n || 3 * q <= 2 * n) {
    throw new VerifyError(`a quorum of ${q} of ${n} validators is not more than two thirds; refusing it`);
  }
  const keys = vs.map((v) => {
    const np = keyNameProblem(v?.name);
    if (np) throw new VerifyError(`validator: ${np}`);
    const k = fromHex(v.public_key, 32, `validator ${v.name}'s key`);
    const kp = publicKeyProblem(k);
    if (kp) throw new VerifyError(`validator ${v.name}'s key: ${kp}`);
    return k;
  });
  vs.forEach((v, i) => {
    for (let j = 0; j < i; j++) {
      if (vs[j].name === v.name || bytesEqual(keys[j], keys[i])) {
        throw new VerifyError(`validator ${JSON.stringify(v.name)} is listed twice (by name or key)`);
      }
    }
  });
  return keys;
}

function sameU64(jsonValue, parsed) {
  return (Number.isSafeInteger(jsonValue) || typeof jsonValue === 'bigint') &&
    BigInt(jsonValue) === parsed;
}

/**
 * @typedef {object} VerifiedCheckpoint
 * @property {string} chain_id
 * @property {number} height
 * @property {number} log_size
 * @property {string} root
 * @property {string} block_hash
 * @property {string} state_root
 * @property {string[]} signers names of the validators whose signatures verified, in set order
 * @property {number} quorum
 * @property {number} validators the size of the set
 */

/**
 * Verifies a checkpoint as the API returns it (`{height, log_size, root, block_hash,
 * state_root, note}`) against a pinned validator set: the note parses, is for the pinned
 * chain, its body says what the JSON fields say, every line by a pinned validator (name and
 * key id) verifies (one that does not rejects the note), lines of other keys are ignored, each
 * validator counts once, and at least `quorum` signed. Throws {@link VerifyError}.
 * @param {{height: number, log_size: number, root: string, block_hash: string, state_root: string, note: string}} checkpoint
 * @param {{chainId: string, validators: Array<{name: string, public_key: string}>, quorum: number}} trust
 * @returns {VerifiedCheckpoint}
 */
export function verifyCheckpoint(checkpoint, trust) {
  const keys = checkTrust(trust);
  if (checkpoint === null || typeof checkpoint !== 'object') throw new VerifyError('no checkpoint');
  const note = parseNote(checkpoint.note);
  if (note.chain_id !== trust.chainId) {
    throw new VerifyError(`checkpoint is for chain "${note.chain_id}", the pinned chain is "${trust.chainId}"`);
  }
  for (const f of ['height', 'log_size']) {
    if (!sameU64(checkpoint[f], note[f])) {
      throw new VerifyError(`the checkpoint's ${f} (${checkpoint[f]}) is not the note's (${note[f]})`);
    }
  }
  for (const f of ['root', 'block_hash', 'state_root']) {
    if (checkpoint[f] !== note[f]) {
      throw new VerifyError(`the checkpoint's ${f} is not the note's`);
    }
  }
  const body = utf8(note.body);
  const signers = [];
  trust.validators.forEach((v, i) => {
    const id = keyId(v.name, keys[i]);
    const line = note.signatures.find((s) => s.name === v.name && bytesEqual(s.keyId, id));
    if (!line) return;
    const sp = signatureProblem(line.signature);
    if (sp || !verifyStrict(keys[i], body, line.signature)) {
      throw new VerifyError(`checkpoint note: signature by ${JSON.stringify(v.name)} does not verify${sp ? ` (${sp})` : ''}`);
    }
    signers.push(v.name);
  });
  if (signers.length < trust.quorum) {
    throw new VerifyError(
      `checkpoint signed by ${signers.length} of ${keys.length} validators, quorum is ${trust.quorum}`,
    );
  }
  return {
    chain_id: note.chain_id,
    height: Number(note.height),
    log_size: Number(note.log_size),
    root: note.root,
    block_hash: note.block_hash,
    state_root: note.state_root,
    signers,
    quorum: trust.quorum,
    validators: keys.length,
  };
}

/**
 * Signs a checkpoint body as a note (lines sorted by name, then key id, like
 * `SignedCheckpoint`). For tools and tests.
 * @param {Parameters<typeof renderBody>[0]} cp
 * @param {Array<{name: string, seed: Uint8Array}>} signers
 * @returns {string}
 */
export function signNote(cp, signers) {
  const body = renderBody(cp);
  const lines = signers.map(({ name, seed }) => ({
    name,
    payload: concat(keyId(name, publicKeyOf(seed)), sign(seed, utf8(body))),
  }));
  const order = (a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1)
    : toHex(a.payload.subarray(0, 4)) < toHex(b.payload.subarray(0, 4)) ? -1 : 1);
  return `${body}\n${lines.sort(order).map((l) => `${DASH}${l.name} ${toBase64(l.payload)}\n`).join('')}`;
}

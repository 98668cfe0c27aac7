/**
 * @module vrf
 * The block seed's VRF (`docs/protocol.md` §4a): `ECVRF-EDWARDS25519-SHA512-TAI` of RFC 9381,
 * verification only, matching `liangxin_types::vrf` (strict decoding: canonical points, `s < ℓ`,
 * keys not of small order). Written on `@noble/curves`' point type; the RFC's Appendix B.3
 * vectors are in `test/vrf.test.mjs`.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { CONTEXT, deriveKey } from './hash.js';
import { bytesEqual, concat, fromHex, toHex, utf8 } from './hex.js';
import { publicKeyProblem } from './ed25519.js';
import { Writer } from './bcs.js';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const SUITE = 0x03;

function le(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** A canonical point encoding (RFC 8032 decoding), else `null`. */
function decodePoint(bytes) {
  let p;
  try {
    p = Point.fromBytes(bytes, false);
  } catch {
    return null;
  }
  return bytesEqual(p.toBytes(), bytes) ? p : null;
}

/** RFC 9381 §5.4.1.1, try and increment: the first counter's hash that is a point, times 8. */
function encodeToCurve(publicKey, alpha) {
  for (let ctr = 0; ctr < 256; ctr++) {
    const h = sha512(concat(Uint8Array.of(SUITE, 0x01), publicKey, alpha, Uint8Array.of(ctr, 0x00)));
    const p = decodePoint(h.subarray(0, 32));
    if (p) {
      const q = p.clearCofactor();
      if (!q.is0()) return q;
    }
  }
  return null;
}

/** RFC 9381 §5.4.3: the first 16 bytes of SHA-512(suite ‖ 0x02 ‖ points ‖ 0x00). */
function challenge(points) {
  return sha512(concat(Uint8Array.of(SUITE, 0x02), ...points.map((p) => p.toBytes()), Uint8Array.of(0x00))).subarray(0, 16);
}

/**
 * `ECVRF_prove` with a 32-byte Ed25519 seed (RFC 8032 key expansion): for tests and tools, like
 * `ed25519.sign`.
 * @param {Uint8Array} seed
 * @param {Uint8Array} alpha
 * @returns {Uint8Array} the 80-byte proof
 */
export function vrfProve(seed, alpha) {
  const h = sha512(seed);
  const lower = Uint8Array.from(h.subarray(0, 32));
  lower[0] &= 248;
  lower[31] &= 127;
  lower[31] |= 64;
  const x = le(lower) % L;
  const Y = Point.BASE.multiply(x);
  const H = encodeToCurve(Y.toBytes(), alpha);
  if (!H) throw new Error('the input does not hash to a point');
  const k = le(sha512(concat(h.subarray(32), H.toBytes()))) % L;
  const gamma = H.multiply(x);
  const c = challenge([Y, H, gamma, Point.BASE.multiply(k), H.multiply(k)]);
  let sv = (k + le(c) * x) % L;
  const s = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    s[i] = Number(sv & 0xffn);
    sv >>= 8n;
  }
  return concat(gamma.toBytes(), c, s);
}

/**
 * `ECVRF_verify`: the 64-byte output `beta` if `proof` (80 bytes) is `publicKey`'s proof for
 * `alpha`; throws an `Error` saying why not.
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} alpha
 * @param {Uint8Array} proof
 * @returns {Uint8Array}
 */
export function vrfVerify(publicKey, alpha, proof) {
  const problem = publicKeyProblem(publicKey);
  if (problem) throw new Error(`the proposer key is not acceptable: ${problem}`);
  if (!(proof instanceof Uint8Array) || proof.length !== 80) throw new Error('a VRF proof is 80 bytes');
  const Y = Point.fromBytes(publicKey, false);
  const gamma = decodePoint(proof.subarray(0, 32));
  if (!gamma) throw new Error('Gamma is not a curve point');
  const c = proof.subarray(32, 48);
  const s = le(proof.subarray(48, 80));
  if (s >= L) throw new Error('s is not below the group order');
  const H = encodeToCurve(publicKey, alpha);
  if (!H) throw new Error('the input does not hash to a point');
  const cn = le(c);
  // U = s·B − c·Y, V = s·H − c·Gamma (public values: variable time is fine).
  const U = Point.BASE.multiplyUnsafe(s).subtract(Y.multiplyUnsafe(cn));
  const V = H.multiplyUnsafe(s).subtract(gamma.multiplyUnsafe(cn));
  if (!bytesEqual(challenge([Y, H, gamma, U, V]), c)) throw new Error('the challenge does not match');
  return sha512(concat(Uint8Array.of(SUITE, 0x03), gamma.clearCofactor().toBytes(), Uint8Array.of(0x00)));
}

/**
 * The VRF input of block `height`'s seed: `"liangxin 2026-11 block-seed" ‖ height (u64 BE) ‖ parent`.
 * @param {number} height
 * @param {string} parentHex
 */
export function seedInput(height, parentHex) {
  if (!Number.isSafeInteger(height) || height < 0) throw new Error('a height is a non-negative integer');
  const h = new Uint8Array(8);
  new DataView(h.buffer).setBigUint64(0, BigInt(height));
  return concat(utf8('liangxin 2026-11 block-seed'), h, fromHex(parentHex, 32, 'parent'));
}

/**
 * A block header's seed (hex), after checking its `seed_proof` against its `proposer`; throws
 * if the proof is not the proposer's.
 * @param {{height: number, parent: string, proposer: string, seed_proof: string}} header
 * @returns {string}
 */
export function blockSeedOf(header) {
  const beta = vrfVerify(
    fromHex(header?.proposer, 32, 'proposer'),
    seedInput(header?.height, header?.parent),
    fromHex(header?.seed_proof, 80, 'seed proof'),
  );
  return toHex(deriveKey(CONTEXT.seed, concat(utf8('block-seed-vrf'), beta)));
}

/**
 * A block header's hash (`docs/protocol.md` §4a): `H_block-header(canonical BlockHeader)`, hex.
 * @param {object} header the header's JSON view
 * @returns {string}
 */
export function headerHash(header) {
  if (header === null || typeof header !== 'object') throw new Error('no header');
  const w = new Writer();
  if (typeof header.chain_id !== 'string' || header.chain_id.length > 64) throw new Error('header chain_id');
  w.string(header.chain_id);
  for (const f of ['height', 'view']) {
    if (!Number.isSafeInteger(header[f]) || header[f] < 0) throw new Error(`header ${f}`);
    w.u64(header[f]);
  }
  w.fixed(fromHex(header.parent, 32, 'header parent'));
  if (!Number.isSafeInteger(header.time) || header.time < 0) throw new Error('header time');
  w.u64(header.time);
  w.fixed(fromHex(header.proposer, 32, 'header proposer'));
  w.fixed(fromHex(header.seed_proof, 80, 'header seed proof'));
  if (!Number.isSafeInteger(header.tx_count) || header.tx_count < 0 || header.tx_count > 0xffffffff) {
    throw new Error('header tx_count');
  }
  w.u32(header.tx_count);
  w.fixed(fromHex(header.body_hash, 32, 'header body hash'));
  if (!Number.isSafeInteger(header.log_size) || header.log_size < 0) throw new Error('header log_size');
  w.u64(header.log_size);
  w.fixed(fromHex(header.log_root, 32, 'header log root'));
  w.fixed(fromHex(header.state_root, 32, 'header state root'));
  return toHex(deriveKey(CONTEXT.header, w.finish()));
}

/**
 * Checks that `header` is final under `checkpoint` (already verified against the trusted
 * validators): its hash is the checkpoint's block hash, or `descendants` (oldest first) link it
 * to that block by parent hashes. Throws if not.
 * @param {object} header
 * @param {object[]} descendants
 * @param {{height: number, block_hash: string}} checkpoint
 */
export function checkFinalHeader(header, descendants, checkpoint) {
  let hash = headerHash(header);
  let height = header.height;
  for (const d of descendants ?? []) {
    if (d?.height !== height + 1 || d.parent !== hash) {
      throw new Error(`the header at height ${d?.height} does not extend the one before it`);
    }
    hash = headerHash(d);
    height = d.height;
  }
  if (checkpoint.height !== height || checkpoint.block_hash !== hash) {
    throw new Error(`the header shown is not the block final at height ${header.height}`);
  }
}

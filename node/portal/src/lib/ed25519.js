/**
 * @module ed25519
 * Ed25519 with the ledger's strict rules (`docs/protocol.md` §2), matching `ed25519-dalek`'s
 * `verify_strict` and `liangxin_types::crypto`:
 *
 * - a public key must be a canonical encoding (y < p) of a curve point that is not of small
 *   order;
 * - a signature needs `s < ℓ` and a canonical `R` that is not of small order;
 * - `[s]B − [k]A` must encode to exactly `R` (cofactorless), `k = SHA-512(R ‖ A ‖ M) mod ℓ`.
 *
 * `@noble/curves`' own `verify(…, {zip215: false})` checks the cofactored equation, which
 * accepts some signatures dalek rejects, so the check is written here on noble's point type.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesEqual, concat } from './hex.js';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = 2n ** 255n - 19n;

function le(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Whether the 32 bytes encode y < p (the sign bit aside). */
function canonicalY(bytes) {
  const y = Uint8Array.from(bytes);
  y[31] &= 0x7f;
  return le(y) < P;
}

/**
 * Why `bytes` is not an acceptable public key, or `null` if it is.
 * @param {Uint8Array} bytes
 * @returns {string | null}
 */
export function publicKeyProblem(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) return 'a public key is 32 bytes';
  if (!canonicalY(bytes)) return 'non-canonical point encoding';
  let A;
  try {
    A = Point.fromBytes(bytes, false);
  } catch {
    return 'not a curve point';
  }
  if (A.isSmallOrder()) return 'small-order (weak) key';
  return null;
}

/**
 * Why `sig` is not an acceptable signature encoding, or `null` (s < ℓ, canonical R).
 * @param {Uint8Array} sig
 * @returns {string | null}
 */
export function signatureProblem(sig) {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return 'a signature is 64 bytes';
  if (le(sig.subarray(32)) >= L) return 's is not reduced modulo the group order';
  if (!canonicalY(sig.subarray(0, 32))) return 'R is not canonically encoded';
  return null;
}

/**
 * Strict verification (`verify_strict`). Never throws.
 * @param {Uint8Array} publicKey 32 bytes
 * @param {Uint8Array} message the exact signed bytes
 * @param {Uint8Array} sig 64 bytes
 * @returns {boolean}
 */
export function verifyStrict(publicKey, message, sig) {
  try {
    if (publicKeyProblem(publicKey) || signatureProblem(sig)) return false;
    const A = Point.fromBytes(publicKey, false);
    const rBytes = sig.subarray(0, 32);
    const R = Point.fromBytes(rBytes, false);
    if (R.isSmallOrder()) return false;
    const s = le(sig.subarray(32));
    const k = le(sha512(concat(rBytes, publicKey, message))) % L;
    const sB = s === 0n ? Point.ZERO : Point.BASE.multiplyUnsafe(s);
    const kA = k === 0n ? Point.ZERO : A.multiplyUnsafe(k);
    return bytesEqual(sB.subtract(kA).toBytes(), rBytes);
  } catch {
    return false;
  }
}

/**
 * The public key of a 32-byte seed (RFC 8032).
 * @param {Uint8Array} seed
 * @returns {Uint8Array}
 */
export function publicKeyOf(seed) {
  return ed25519.getPublicKey(seed);
}

/**
 * Signs `message` with a 32-byte seed (RFC 8032, deterministic): for tests and tools.
 * @param {Uint8Array} seed
 * @param {Uint8Array} message
 * @returns {Uint8Array}
 */
export function sign(seed, message) {
  return ed25519.sign(message, seed);
}

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
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesEqual, concat, toHex } from './hex.js';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = 2n ** 255n - 19n;

function le(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

// Public keys that passed `publicKeyProblem` (hex).
const goodKeys = new Set();

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
  // A page checks many transactions of few signers: a key that passed once passes again.
  if (goodKeys.has(toHex(bytes))) return null;
  if (!canonicalY(bytes)) return 'non-canonical point encoding';
  let A;
  try {
    A = Point.fromBytes(bytes, false);
  } catch {
    return 'not a curve point';
  }
  if (A.isSmallOrder()) return 'small-order (weak) key';
  goodKeys.add(toHex(bytes));
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

function keyOk(publicKey) {
  return publicKeyProblem(publicKey) === null;
}

// Signatures the platform's Ed25519 confirmed (see `preverify`): key ‖ signature ‖ blake3(msg).
const confirmed = new Set();
const confirmedKey = (publicKey, message, sig) => toHex(publicKey) + toHex(sig) + toHex(blake3(message));

/**
 * Accelerator only: checks many signatures at once with the platform's Ed25519 (WebCrypto:
 * BoringSSL in Chromium, OpenSSL in Node.js), which computes the same cofactorless equation
 * `[s]B − [k]A = R` on the encoding, and remembers those that verify **and** pass this module's
 * strict encoding rules (canonical key and R, s < ℓ, neither key nor R of small order — the
 * rules the platform does not apply). `verifyStrict` then skips the slow pure-JavaScript
 * equation for them. A signature the platform rejects or cannot check is left to
 * `verifyStrict`, so the verdict never depends on the platform: only the time does.
 * @param {Array<{publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array}>} items
 * @returns {Promise<number>} how many were confirmed
 */
export async function preverify(items) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return 0;
  const imported = new Map();
  const results = await Promise.all(
    items.map(async ({ publicKey, message, sig }) => {
      try {
        if (!keyOk(publicKey) || signatureProblem(sig) || smallOrderR(sig)) return false;
        const k = toHex(publicKey);
        if (!imported.has(k)) imported.set(k, subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']));
        const key = await imported.get(k);
        if (!(await subtle.verify({ name: 'Ed25519' }, key, sig, message))) return false;
        confirmed.add(confirmedKey(publicKey, message, sig));
        return true;
      } catch {
        return false;
      }
    }),
  );
  return results.filter(Boolean).length;
}

// The encodings of the eight points of small order (the 8-torsion, computed from the order-8
// point with noble and checked by a unit test), and the two x = 0 encodings with the sign bit
// set. With R canonical (checked before), R is of small order exactly when it is one of these.
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
]);

/** Whether a signature's R is one of the small-order encodings. */
export function smallOrderR(sig) {
  return SMALL_ORDER.has(toHex(sig.subarray(0, 32)));
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
    if (!(publicKey instanceof Uint8Array) || !keyOk(publicKey) || signatureProblem(sig)) return false;
    if (confirmed.has(confirmedKey(publicKey, message, sig))) return true;
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

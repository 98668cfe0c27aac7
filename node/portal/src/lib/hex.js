/**
 * @module hex
 * Byte helpers with one accepted spelling per value: lowercase even-length hex (the API's
 * form, `docs/rpc.md` conventions) and canonical padded standard base64 (RFC 4648 §4, the
 * checkpoint notes' form). Anything else is a {@link VerifyError}.
 */
import { VerifyError } from './errors.js';

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strict hex: lowercase digits, even length, optionally an exact byte length.
 * @param {string} s
 * @param {number} [len] required length in bytes
 * @param {string} [what] what the value is, for the error message
 * @returns {Uint8Array}
 */
export function fromHex(s, len, what = 'hex value') {
  if (typeof s !== 'string') throw new VerifyError(`${what} is not a string of hex digits`);
  const bad = /[^0-9a-f]/.exec(s);
  if (bad) {
    const hint = /[A-F]/.test(bad[0]) ? ' (hex must be lowercase)' : '';
    throw new VerifyError(
      `${what}: character ${JSON.stringify(bad[0])} at offset ${bad.index} is not a lowercase hex digit${hint}`,
    );
  }
  if (s.length % 2 !== 0) throw new VerifyError(`${what}: odd number of hex digits (${s.length})`);
  if (len !== undefined && s.length !== 2 * len) {
    throw new VerifyError(`${what}: expected ${2 * len} hex digits, got ${s.length}`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Lowercase hex.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += HEX[b >> 4] + HEX[b & 15];
  return s;
}

/**
 * Standard base64 with padding.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    s += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    s += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return s;
}

/**
 * Canonical padded standard base64: the alphabet, the padding, and unused bits zero (the
 * string must be exactly what {@link toBase64} gives for the bytes).
 * @param {string} s
 * @param {string} [what]
 * @returns {Uint8Array}
 */
export function fromBase64(s, what = 'base64 value') {
  if (typeof s !== 'string' || !B64_SHAPE.test(s)) {
    throw new VerifyError(`${what} is not padded standard base64`);
  }
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) n = (n << 6) | (s[i + j] === '=' ? 0 : B64.indexOf(s[i + j]));
    for (let j = 2; j >= 0 && o < out.length; j--) out[o++] = (n >> (8 * j)) & 255;
  }
  if (toBase64(out) !== s) throw new VerifyError(`${what} is not the canonical base64 encoding`);
  return out;
}

/**
 * Constant-shape equality of two byte arrays.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function bytesEqual(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) {
    return false;
  }
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * UTF-8 bytes of a string.
 * @param {string} s
 * @returns {Uint8Array}
 */
export function utf8(s) {
  return encoder.encode(s);
}

/**
 * Strict UTF-8 decoding (invalid sequences throw).
 * @param {Uint8Array} bytes
 * @param {string} [what]
 * @returns {string}
 */
export function fromUtf8(bytes, what = 'string') {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new VerifyError(`${what} is not valid UTF-8`);
  }
}

/**
 * Concatenation.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

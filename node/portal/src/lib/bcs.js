/**
 * @module bcs
 * The subset of BCS that Liangxin uses (`docs/protocol.md` §1), as a bounded, strict
 * {@link Reader} and the matching {@link Writer}.
 *
 * The reader throws a {@link VerifyError} on truncation, trailing bytes, non-canonical
 * ULEB128 (over-long, above 2³¹ − 1, more than 5 bytes), booleans and option tags other than
 * 0/1, invalid UTF-8, control characters in strings (Unicode Cc), and lengths above a field's
 * bound; every length is checked against the bytes that remain before anything is sliced.
 * With those rules each value has exactly one accepted encoding, which is what the reference
 * decoder's re-encoding check enforces. u64 values are `BigInt`.
 */
import { VerifyError } from './errors.js';
import { fromUtf8, utf8 } from './hex.js';

/** Largest input decoded as a signed transaction (`MAX_TX_SIZE`). */
export const MAX_TX_SIZE = 65536;
/** Largest input decoded as anything else (`MAX_MESSAGE_SIZE`). */
export const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
const MAX_ULEB = 2 ** 31 - 1;
// Unicode category Cc: U+0000–U+001F and U+007F–U+009F.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** A bounded reader over one BCS value. */
export class Reader {
  /**
   * @param {Uint8Array} bytes
   * @param {{what?: string, maxSize?: number}} [opts] `what` names the value in errors;
   *   `maxSize` (default 16 MiB) is checked before anything is read
   */
  constructor(bytes, { what = 'value', maxSize = MAX_MESSAGE_SIZE } = {}) {
    if (!(bytes instanceof Uint8Array)) throw new VerifyError(`${what}: not bytes`);
    if (bytes.length > maxSize) {
      throw new VerifyError(`${what} is ${bytes.length} bytes, above the limit of ${maxSize}`);
    }
    this.bytes = bytes;
    this.pos = 0;
    this.what = what;
  }

  /** @param {string} msg */
  fail(msg) {
    throw new VerifyError(`${this.what}: ${msg} (at byte ${this.pos})`);
  }

  /** Bytes not read yet. */
  get remaining() {
    return this.bytes.length - this.pos;
  }

  /** @param {number} n @returns {Uint8Array} */
  take(n) {
    if (n > this.remaining) this.fail(`needs ${n} more bytes, only ${this.remaining} remain`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8() {
    return this.take(1)[0];
  }

  u16() {
    const b = this.take(2);
    return b[0] | (b[1] << 8);
  }

  u32() {
    const b = this.take(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 2 ** 24;
  }

  /** @returns {bigint} */
  u64() {
    const b = this.take(8);
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    return v;
  }

  /** Canonical ULEB128, at most 5 bytes, value ≤ 2³¹ − 1. */
  uleb() {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) this.fail('non-canonical ULEB128 (a trailing zero group)');
        if (v > MAX_ULEB) this.fail(`ULEB128 value ${v} is above 2^31 - 1`);
        return v;
      }
    }
    return this.fail('ULEB128 longer than 5 bytes');
  }

  bool() {
    const b = this.u8();
    if (b > 1) this.fail(`boolean byte is 0x${b.toString(16)}, not 0 or 1`);
    return b === 1;
  }

  /**
   * @template T
   * @param {(r: Reader) => T} inner
   * @returns {T | null}
   */
  option(inner) {
    const tag = this.u8();
    if (tag === 0) return null;
    if (tag !== 1) this.fail(`option tag is 0x${tag.toString(16)}, not 0 or 1`);
    return inner(this);
  }

  /** A length, checked against `max` and (times `minElem` bytes) against what remains. */
  length(max, what, minElem = 1) {
    const n = this.uleb();
    if (n > max) this.fail(`${what} has ${n} elements, above the limit of ${max}`);
    if (n * minElem > this.remaining) {
      this.fail(`${what} claims ${n} elements, more than the ${this.remaining} bytes left`);
    }
    return n;
  }

  /** @param {number} [max] @returns {Uint8Array} */
  bytesSeq(max = MAX_MESSAGE_SIZE) {
    return this.take(this.length(max, 'byte string'));
  }

  /**
   * A UTF-8 string of at most `max` bytes.
   * @param {number} [max]
   * @param {{control?: boolean}} [opts] `control: true` allows control characters (plain
   *   Rust `String`s; every bounded string forbids them)
   * @returns {string}
   */
  string(max = MAX_MESSAGE_SIZE, { control = false } = {}) {
    const s = fromUtf8(this.take(this.length(max, 'string')), `${this.what}: string`);
    if (!control && CONTROL.test(s)) this.fail('string contains a control character');
    return s;
  }

  /** @param {number} n @returns {Uint8Array} */
  fixed(n) {
    return this.take(n);
  }

  /**
   * @template T
   * @param {(r: Reader) => T} inner
   * @param {number} [max]
   * @returns {T[]}
   */
  seq(inner, max = MAX_ULEB) {
    const n = this.length(max, 'sequence');
    const out = [];
    for (let i = 0; i < n; i++) out.push(inner(this));
    return out;
  }

  /** Requires that every byte was read. */
  end() {
    if (this.remaining !== 0) this.fail(`${this.remaining} trailing bytes after the value`);
  }
}

/** Decodes one whole value: `read(reader)`, then no trailing bytes. */
export function decodeAll(bytes, read, opts) {
  const r = new Reader(bytes, opts);
  const v = read(r);
  r.end();
  return v;
}

/** The matching encoder (used to build keys and, in tests, values). */
export class Writer {
  constructor() {
    /** @type {number[]} */
    this.out = [];
  }
  u8(v) {
    this.out.push(v & 255);
  }
  u16(v) {
    this.out.push(v & 255, (v >> 8) & 255);
  }
  u32(v) {
    for (let i = 0; i < 4; i++) this.out.push(Math.floor(v / 2 ** (8 * i)) & 255);
  }
  /** @param {bigint | number} v */
  u64(v) {
    let x = BigInt(v);
    for (let i = 0; i < 8; i++) {
      this.out.push(Number(x & 255n));
      x >>= 8n;
    }
  }
  uleb(n) {
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      this.out.push(b);
    } while (n > 0);
  }
  bool(v) {
    this.out.push(v ? 1 : 0);
  }
  /** @param {Uint8Array} b */
  fixed(b) {
    for (const x of b) this.out.push(x);
  }
  /** @param {Uint8Array} b */
  bytesSeq(b) {
    this.uleb(b.length);
    this.fixed(b);
  }
  /** @param {string} s */
  string(s) {
    this.bytesSeq(utf8(s));
  }
  /** @returns {Uint8Array} */
  finish() {
    return Uint8Array.from(this.out);
  }
}

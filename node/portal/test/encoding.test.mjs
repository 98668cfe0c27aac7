// Hex, base64 and the BCS reader: every primitive conformance vector of
// node/types/conformance/primitives.json, and the non-canonical forms protocol.md §1 rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, decodeAll, Writer } from '../src/lib/bcs.js';
import { VerifyError } from '../src/lib/errors.js';
import { bytesEqual, fromBase64, fromHex, toBase64, toHex, utf8 } from '../src/lib/hex.js';
import { plainBlake3 } from '../src/lib/hash.js';
import { jsonU64, sameJson } from '../src/lib/json.js';
import { readJson } from './helpers.mjs';

const primitives = readJson('node/types/conformance/primitives.json').cases;

/** The reader for each vector, by its name. */
function readerFor(name) {
  if (name.startsWith('u8')) return (r) => r.u8();
  if (name.startsWith('u16')) return (r) => r.u16();
  if (name.startsWith('u32')) return (r) => r.u32();
  if (name.startsWith('u64')) return (r) => r.u64();
  if (name.startsWith('bool')) return (r) => r.bool();
  if (name.startsWith('option')) return (r) => r.option((x) => x.u64());
  if (name.startsWith('bytes')) return (r) => toHex(r.bytesSeq());
  if (name.startsWith('string')) return (r) => r.string(64);
  if (name.startsWith('vec of u16')) return (r) => r.seq((x) => x.u16(), 8);
  throw new Error(`no reader for ${name}`);
}

test('every primitive conformance vector decodes to its value, and its blake3 matches', () => {
  assert.equal(primitives.length, 20);
  for (const c of primitives) {
    const bytes = fromHex(c.hex);
    assert.equal(toHex(plainBlake3(bytes)), c.blake3, c.name);
    const v = decodeAll(bytes, readerFor(c.name));
    const view = typeof v === 'bigint' ? v : v;
    if (c.name === 'u64 max') {
      // JSON.parse cannot hold 2^64 - 1; the reader gives the exact BigInt.
      assert.equal(v, 2n ** 64n - 1n);
      assert.equal(jsonU64(v), v);
    } else if (typeof v === 'bigint') {
      assert.equal(jsonU64(v), c.value, c.name);
    } else {
      assert.ok(sameJson(view, c.value), c.name);
    }
    // trailing bytes and truncation
    assert.throws(() => decodeAll(new Uint8Array([...bytes, 0]), readerFor(c.name)), VerifyError, c.name);
    if (bytes.length > 0) {
      assert.throws(() => decodeAll(bytes.subarray(0, bytes.length - 1), readerFor(c.name)), VerifyError, c.name);
    }
  }
});

test('ULEB128: canonical, at most 5 bytes, at most 2^31 - 1', () => {
  const uleb = (hex) => decodeAll(fromHex(hex), (r) => r.uleb());
  assert.equal(uleb('00'), 0);
  assert.equal(uleb('7f'), 127);
  assert.equal(uleb('8001'), 128);
  assert.equal(uleb('ac02'), 300);
  assert.equal(uleb('ffffffff07'), 2 ** 31 - 1);
  for (const bad of ['8000', '8080808000', 'ff00', '80808080808001', 'ffffffff0f', '80', '808080808001']) {
    assert.throws(() => uleb(bad), VerifyError, bad);
  }
  for (const n of [0, 1, 127, 128, 255, 16383, 16384, 2 ** 31 - 1]) {
    const w = new Writer();
    w.uleb(n);
    assert.equal(uleb(toHex(w.finish())), n);
  }
});

test('booleans and option tags other than 0 and 1 are errors', () => {
  assert.throws(() => decodeAll(fromHex('02'), (r) => r.bool()), /boolean byte/);
  assert.throws(() => decodeAll(fromHex('0207'), (r) => r.option((x) => x.u8())), /option tag/);
  assert.equal(decodeAll(fromHex('00'), (r) => r.option((x) => x.u8())), null);
});

test('strings: UTF-8 only, no control characters, bounded', () => {
  const str = (hex, max = 64) => decodeAll(fromHex(hex), (r) => r.string(max));
  assert.equal(str('03616263'), 'abc');
  assert.throws(() => str('02c328'), /UTF-8/); // invalid continuation
  assert.throws(() => str('01ff'), /UTF-8/);
  assert.throws(() => str('0161' + '', 0), /above the limit/);
  assert.throws(() => str('020a61'), /control/); // "\na"
  assert.throws(() => str('02c285'), /control/); // U+0085
  assert.throws(() => str('05616263'), /more than/); // length beyond the input
});

test('lengths are checked against the remaining bytes before anything is allocated', () => {
  const r = new Reader(fromHex('ffffffff07'));
  assert.throws(() => r.seq((x) => x.u8()), /claims 2147483647 elements/);
  assert.throws(() => new Reader(new Uint8Array(10), { maxSize: 9 }), /above the limit of 9/);
});

test('hex is strict: lowercase, even length, exact size', () => {
  assert.deepEqual(fromHex('00ff10'), Uint8Array.of(0, 255, 16));
  assert.throws(() => fromHex('0A'), /lowercase/);
  assert.throws(() => fromHex('abc'), /odd number/);
  assert.throws(() => fromHex('0x00'), /not a lowercase hex digit/);
  assert.throws(() => fromHex('00', 2), /expected 4 hex digits/);
  assert.throws(() => fromHex(12), VerifyError);
  assert.equal(toHex(fromHex('deadbeef')), 'deadbeef');
});

test('base64 is canonical padded standard base64', () => {
  for (let n = 0; n < 40; n++) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    assert.ok(bytesEqual(fromBase64(toBase64(b)), b));
    assert.equal(toBase64(b), Buffer.from(b).toString('base64'));
  }
  assert.throws(() => fromBase64('YQ'), /padded/); // missing padding
  assert.throws(() => fromBase64('YR=='), /canonical/); // non-zero unused bits
  assert.throws(() => fromBase64('YQ==\n'), /padded/);
  assert.throws(() => fromBase64('Y-E='), /padded/); // URL alphabet
  assert.throws(() => fromBase64('YW Jj'), /padded/);
  assert.deepEqual(fromBase64('YWJj'), utf8('abc'));
});

test('sameJson ignores key order but nothing else', () => {
  assert.ok(sameJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }));
  assert.ok(!sameJson({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!sameJson({ a: 1 }, { a: '1' }));
  assert.ok(!sameJson([1, 2], [2, 1]));
  assert.ok(!sameJson(null, {}));
  assert.ok(!sameJson(2n ** 64n - 1n, 18446744073709551615));
  assert.ok(!sameJson({ a: [] }, { a: {} }));
});

// Identifiers, strict Ed25519, transactions and blocks: the vectors of
// node/types/conformance/{identifiers,transactions,blocks}.json and the full transactions
// captured in docs/rpc.md; every flipped bit of a transaction fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { Reader } from '../src/lib/bcs.js';
import { publicKeyProblem, signatureProblem, verifyStrict } from '../src/lib/ed25519.js';
import { CONTEXT, deriveKey, documentDigest, plainBlake3, txId } from '../src/lib/hash.js';
import { concat, fromHex, toHex, utf8 } from '../src/lib/hex.js';
import { decodeRecord, sameJson } from '../src/lib/records.js';
import { decodeSignedTx, decodeVerifiedTx, TX_DOMAIN, verifyTxSignature } from '../src/lib/tx.js';
import { usccCheckChar, usccProblem } from '../src/lib/schema.js';
import { devKey, flip, readJson, readText } from './helpers.mjs';

const identifiers = readJson('node/types/conformance/identifiers.json').cases;
const transactions = readJson('node/types/conformance/transactions.json').cases;
const blocks = readJson('node/types/conformance/blocks.json').cases;

test('identifier vectors: hashes, dev keys, signatures, USCCs, chain id', () => {
  let n = 0;
  for (const c of identifiers) {
    const bytes = fromHex(c.hex);
    assert.equal(toHex(plainBlake3(bytes)), c.blake3, c.name);
    if (c.name === 'hash of abc (tx-id domain)') {
      assert.equal(txId(utf8('abc')), c.value);
      n++;
    } else if (c.name.startsWith('public key dev ')) {
      const label = c.name.slice('public key dev '.length);
      assert.equal(toHex(devKey(label)), c.value, c.name);
      assert.equal(publicKeyProblem(bytes), null);
      n++;
    } else if (c.name.startsWith('signature dev ')) {
      const label = c.name.split(' ')[2];
      const msg = concat(utf8(TX_DOMAIN), utf8('conformance'));
      assert.equal(signatureProblem(bytes), null);
      assert.ok(verifyStrict(devKey(label), msg, bytes), c.name);
      assert.ok(!verifyStrict(devKey(label), concat(msg, utf8('!')), bytes));
      assert.ok(!verifyStrict(devKey('someone else'), msg, bytes));
      n++;
    } else if (c.name.startsWith('uscc')) {
      const r = new Reader(bytes);
      const s = r.string(64);
      r.end();
      assert.equal(s, c.value);
      assert.equal(usccProblem(s), null);
      assert.equal(usccCheckChar(s.slice(0, 17)), s[17]);
      n++;
    } else if (c.name === 'chain id') {
      const r = new Reader(bytes);
      assert.equal(r.string(64), c.value);
      n++;
    }
  }
  assert.equal(n, 11);
  // protocol.md §2's example
  assert.equal(usccCheckChar('91110108551385082'), 'Q');
});

test('transaction vectors decode, verify and have their ids', () => {
  const signed = transactions.filter((c) => c.tx_id);
  assert.equal(signed.length, 6);
  for (const c of signed) {
    const bytes = fromHex(c.hex);
    const tx = decodeSignedTx(bytes);
    assert.equal(tx.chain_id, c.value.body.chain_id);
    assert.equal(tx.signer, c.value.body.signer);
    assert.equal(tx.seq, c.value.body.seq > Number.MAX_SAFE_INTEGER ? tx.seq : c.value.body.seq);
    assert.equal(tx.kind, c.value.body.kind);
    assert.equal(toHex(tx.payload), c.value.body.payload);
    assert.equal(tx.signature, c.value.signature);
    assert.equal(tx.id, c.tx_id);
    assert.equal(txId(bytes), c.tx_id);
    assert.ok(verifyTxSignature(tx), c.name);
    // the signed message is the domain prefix and the body vector's bytes
    const body = transactions.find((b) => b.name === c.name.replace('signed tx', 'tx body'));
    assert.equal(toHex(tx.message), toHex(concat(utf8(TX_DOMAIN), fromHex(body.hex))));
    assert.equal(decodeVerifiedTx(bytes, 'liangxin-dev').id, c.tx_id);
    assert.throws(() => decodeVerifiedTx(bytes, 'liangxin-other'), /for chain liangxin-dev/);
  }
  // u64::MAX sequence number stays exact
  assert.equal(decodeSignedTx(fromHex(signed[5].hex)).seq, 2n ** 64n - 1n);
});

test('flipping any bit of a signed transaction makes it fail to decode or verify', () => {
  for (const c of transactions.filter((x) => x.tx_id).slice(0, 3)) {
    const bytes = fromHex(c.hex);
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const b = flip(bytes, i, mask);
        assert.throws(() => decodeVerifiedTx(b, 'liangxin-dev'), undefined, `${c.name} byte ${i} mask ${mask}`);
      }
    }
  }
});

test('trailing bytes, truncation and oversize are refused', () => {
  const bytes = fromHex(transactions[1].hex);
  assert.throws(() => decodeSignedTx(concat(bytes, Uint8Array.of(0))), /trailing/);
  assert.throws(() => decodeSignedTx(bytes.subarray(0, bytes.length - 1)), /more bytes/);
  assert.throws(() => decodeSignedTx(new Uint8Array(65537)), /above the limit of 65536/);
});

test('the full transactions captured in docs/rpc.md decode, verify and carry the records shown', () => {
  const doc = readText('docs/rpc.md');
  // lx_entry(3): the whole tx and its record
  const m = /"tx": "(1d6c[0-9a-f]{200,})",\n\s*"record": (\{[\s\S]*?\n    \})/.exec(doc);
  assert.ok(m, 'the lx_entry example is in docs/rpc.md');
  const tx = decodeVerifiedTx(fromHex(m[1]), 'liangxin-dev-caf2c89cd834e883');
  assert.ok(sameJson(decodeRecord(tx.kind, tx.payload), JSON.parse(m[2])));
  // lx_submit's example and the id the node answered
  const sub = /"params":\["(1d6c[0-9a-f]+)"\]/.exec(doc);
  const id = /"tx_id": "([0-9a-f]{64})"/.exec(doc.slice(sub.index));
  const s = decodeVerifiedTx(fromHex(sub[1]), 'liangxin-dev-caf2c89cd834e883');
  assert.equal(s.id, id[1]);
  assert.equal(decodeRecord(s.kind, s.payload).kind, 'instrument_registration');
});

test('block vectors: header hash and body hash in the block-header domain', () => {
  const [header, body] = blocks;
  assert.equal(toHex(deriveKey(CONTEXT.header, fromHex(header.hex))), header.block_hash);
  assert.equal(header.value.body_hash, body.body_hash);
  assert.equal(toHex(deriveKey(CONTEXT.header, concat(utf8('body'), fromHex(body.hex)))), body.body_hash);
  // the body's one transaction is a valid signed transaction
  const r = new Reader(fromHex(body.hex));
  const txs = r.seq((x) => x.bytesSeq(65536), 10000);
  r.end();
  assert.ok(verifyTxSignature(decodeSignedTx(txs[0])));
});

test('document digests are blake3 derive-key in the document domain', () => {
  assert.equal(documentDigest(utf8('DCC 0001')), toHex(deriveKey('liangxin 2026-11 document', utf8('DCC 0001'))));
  // records.json's verification_result carries document_digest("DCC 0001") (testkit example_records)
  const vr = readJson('contracts/conformance/records.json').cases.find((c) => c.name === 'verification_result');
  assert.equal(vr.value.certificate_digest, documentDigest(utf8('DCC 0001')));
});

// ---- strict Ed25519 ----

const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
];

test('small-order keys and non-canonical encodings are refused', () => {
  for (const k of SMALL_ORDER) assert.ok(publicKeyProblem(fromHex(k)), k);
  // y = p (non-canonical encoding of y = 0)
  assert.match(publicKeyProblem(fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')), /non-canonical/);
  // not on the curve (y = 2)
  assert.match(publicKeyProblem(fromHex('0200000000000000000000000000000000000000000000000000000000000000')), /not a curve point/);
});

const L = ed25519.Point.Fn.ORDER;
const le = (b) => b.reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);
const toLe = (n) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));

test('signatures: s must be below the group order; R must not be of small order', () => {
  const c = identifiers.find((x) => x.name.startsWith('signature dev regulator-1'));
  const sig = fromHex(c.hex);
  const msg = concat(utf8(TX_DOMAIN), utf8('conformance'));
  const key = devKey('regulator-1');
  assert.ok(verifyStrict(key, msg, sig));
  const sPlusL = concat(sig.subarray(0, 32), toLe(le(sig.subarray(32)) + L));
  assert.match(signatureProblem(sPlusL), /not reduced/);
  assert.ok(!verifyStrict(key, msg, sPlusL));
  // R of small order with s = 0 verifies for nobody
  for (const r of SMALL_ORDER.slice(0, 1)) {
    assert.ok(!verifyStrict(key, msg, concat(fromHex(r), new Uint8Array(32))));
  }
});

test("the check is cofactorless like dalek's verify_strict: a mixed-order key's cofactored-only signature fails", () => {
  // A' = aB + T (T of order 8) is not of small order, so it is a valid key encoding. A
  // signature made with a and k = H(R ‖ A' ‖ M) satisfies [8][s]B = [8](R + [k]A') but not
  // [s]B = R + [k]A' unless 8 | k.
  const Point = ed25519.Point;
  const { scalar: a } = ed25519.utils.getExtendedPublicKey(fromHex('11'.repeat(32)));
  const T = Point.fromBytes(fromHex(SMALL_ORDER[6])); // order 8
  const A2 = Point.BASE.multiply(a).add(T).toBytes();
  assert.equal(publicKeyProblem(A2), null);
  let checked = 0;
  for (let i = 0; checked < 3 && i < 50; i++) {
    const msg = utf8(`message ${i}`);
    const r = 1234567n + BigInt(i);
    const R = Point.BASE.multiply(r).toBytes();
    const k = le(sha512(concat(R, A2, msg))) % L;
    if (k % 8n === 0n) continue;
    const s = (r + k * a) % L;
    const sig = concat(R, toLe(s));
    assert.ok(ed25519.verify(sig, msg, A2, { zip215: false }), 'noble (cofactored) accepts it');
    assert.ok(!verifyStrict(A2, msg, sig), 'the strict check refuses it');
    checked++;
  }
  assert.equal(checked, 3);
});

test('the small-order R table is the 8-torsion, and preverify never confirms what verifyStrict rejects', async () => {
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const { smallOrderR, preverify, verifyStrict, sign, publicKeyOf } = await import('../src/lib/ed25519.js');
  const { fromHex } = await import('../src/lib/hex.js');
  const P = ed25519.Point;
  const T = P.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  for (let k = 0n; k < 8n; k++) {
    const q = k === 0n ? P.ZERO : T.multiplyUnsafe(k);
    assert.ok(q.isSmallOrder());
    const sig = new Uint8Array(64);
    sig.set(q.toBytes());
    assert.ok(smallOrderR(sig), `[${k}]T is in the table`);
  }
  const seed = new Uint8Array(32).fill(9);
  const msg = new Uint8Array([1, 2, 3]);
  const good = sign(seed, msg);
  assert.ok(!smallOrderR(good));
  const bad = good.slice();
  bad[33] ^= 1;
  const pub = publicKeyOf(seed);
  assert.equal(await preverify([{ publicKey: pub, message: msg, sig: good }, { publicKey: pub, message: msg, sig: bad }]), 1);
  assert.ok(verifyStrict(pub, msg, good));
  assert.ok(!verifyStrict(pub, msg, bad));
  assert.ok(!verifyStrict(pub, new Uint8Array([1, 2, 4]), good), 'a confirmed signature does not verify another message');
  assert.ok(!verifyStrict(fromHex('0100000000000000000000000000000000000000000000000000000000000000'), msg, good));
});

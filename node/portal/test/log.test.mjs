// RFC 9162 proofs: against a reference tree built from the RFC's recursive definitions, and
// against the real log captured in docs/rpc.md (lx_entry 3, lx_inclusionProof(3, 6),
// lx_consistencyProof(6, 11) and the checkpoints at log sizes 6 and 11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifyError } from '../src/lib/errors.js';
import { fromHex, toHex, utf8 } from '../src/lib/hex.js';
import { leafHash, plainBlake3 } from '../src/lib/hash.js';
import { verifyConsistency, verifyInclusion } from '../src/lib/log.js';
import { readText, TestLog } from './helpers.mjs';

function log(n) {
  const l = new TestLog();
  for (let i = 0; i < n; i++) l.append(utf8(`leaf ${i}`));
  return l;
}

const tamper = (hashes, i) => hashes.map((h, j) => (j === i ? toHex(Uint8Array.from(fromHex(h), (b, k) => (k === 0 ? b ^ 1 : b))) : h));

test('every inclusion proof of trees of 1 to 33 leaves verifies; any change fails', () => {
  for (let n = 1; n <= 33; n++) {
    const l = log(n);
    const root = l.root();
    for (let i = 0; i < n; i++) {
      const p = l.inclusion(i);
      const lh = l.hashes[i];
      verifyInclusion(i, n, lh, p, root);
      for (let j = 0; j < p.length; j++) {
        assert.throws(() => verifyInclusion(i, n, lh, tamper(p, j), root), /another root/);
      }
      if (n > 1) {
        assert.throws(() => verifyInclusion(i, n, lh, p.slice(0, -1), root), /too short|another root/);
        assert.throws(() => verifyInclusion(i, n, lh, [...p, p[0]], root), /too long/);
        assert.throws(() => verifyInclusion((i + 1) % n, n, lh, p, root), VerifyError);
      }
      assert.throws(() => verifyInclusion(i, n, leafHash(utf8('other')), p, root), /another root/);
    }
    assert.throws(() => verifyInclusion(n, n, l.hashes[0], [], root), /not below the tree size/);
  }
});

test('every consistency proof between trees of up to 24 leaves verifies; any change fails', () => {
  const l = log(24);
  for (let m = 1; m <= 24; m++) {
    for (let n = m; n <= 24; n++) {
      const p = l.consistency(m, n);
      verifyConsistency(m, n, l.root(m), l.root(n), p);
      for (let j = 0; j < p.length; j++) {
        assert.throws(() => verifyConsistency(m, n, l.root(m), l.root(n), tamper(p, j)), VerifyError);
      }
      if (m < n) {
        assert.throws(() => verifyConsistency(m, n, l.root(m), l.root(n), p.slice(0, -1)), VerifyError);
        assert.throws(() => verifyConsistency(m, n, l.root(m), l.root(n), [...p, p[0]]), VerifyError);
        assert.throws(() => verifyConsistency(m, n, l.root(n), l.root(n), p), VerifyError);
      }
    }
  }
});

test('edge cases: size1 = 0, size1 > size2, equal sizes', () => {
  const l = log(5);
  const empty = toHex(plainBlake3(new Uint8Array(0)));
  assert.throws(() => verifyConsistency(0, 5, empty, l.root(), []), /empty tree/);
  assert.throws(() => verifyConsistency(5, 4, l.root(5), l.root(4), []), /above the new/);
  verifyConsistency(5, 5, l.root(), l.root(), []);
  assert.throws(() => verifyConsistency(5, 5, l.root(), l.root(), [l.root()]), /empty proof/);
  assert.throws(() => verifyConsistency(5, 5, l.root(5), l.root(4), []), /different roots/);
  assert.throws(() => verifyConsistency(3, 5, l.root(3), l.root(5), []), /is empty/);
  assert.throws(() => verifyInclusion(-1, 5, l.hashes[0], [], l.root()), /non-negative/);
  assert.throws(() => verifyInclusion(0, 5, l.hashes[0], ['ZZ'], l.root()), VerifyError);
});

test("the real log of docs/rpc.md: leaf 3's inclusion at size 6 and consistency 6 → 11", () => {
  const doc = readText('docs/rpc.md');
  const entry = /"leaf_index": 3,\n\s*"height": 4,\n\s*"tx": "([0-9a-f]+)"/.exec(doc)[1];
  const inc = /"leaf_index": 3,\n\s*"tree_size": 6,\n\s*"hashes": (\[[^\]]*\])/.exec(doc);
  const cons = /"size1": 6,\n\s*"size2": 11,\n\s*"hashes": (\[[^\]]*\])/.exec(doc);
  const root6 = /"height": 6,\n\s*"log_size": 6,\n\s*"root": "([0-9a-f]{64})"/.exec(doc)[1];
  const root11 = /"log_size": 11,\n\s*"root": "([0-9a-f]{64})"/.exec(doc)[1];
  const hashes = JSON.parse(inc[1]);
  verifyInclusion(3, 6, leafHash(fromHex(entry)), hashes, root6);
  assert.throws(() => verifyInclusion(3, 6, leafHash(fromHex(entry)), hashes, root11), /another root/);
  verifyConsistency(6, 11, root6, root11, JSON.parse(cons[1]));
  assert.throws(() => verifyConsistency(6, 11, root11, root6, JSON.parse(cons[1])), VerifyError);
});

// The state tree: the vectors of node/state/README.md, presence and absence proofs from a
// reference tree, tampering, and the row, key and entry-chain vectors of
// contracts/conformance/state.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifyError } from '../src/lib/errors.js';
import { concat, fromHex, toHex, utf8 } from '../src/lib/hex.js';
import { sameJson } from '../src/lib/json.js';
import {
  decodeStateValue, encodeStateValue, entryChain, stateKeyHash, stateKeys, stateValueHash,
  verifyStateProof,
} from '../src/lib/state.js';
import { readJson, readText, TestState } from './helpers.mjs';

const vectors = readJson('contracts/conformance/state.json');

test('the hashing vectors of node/state/README.md', () => {
  const readme = readText('node/state/README.md');
  const v = (label) => new RegExp(`\\| ${label} \\| \`([0-9a-f]{64})\` \\|`).exec(readme)[1];
  assert.equal(toHex(stateKeyHash(utf8('a'))), v('key hash of `a`'));
  assert.equal(toHex(stateValueHash(utf8('1'))), v('value hash of `1`'));
  const s = new TestState().put(utf8('a'), utf8('1'));
  assert.equal(s.root(), v('root of \\{`a`→`1`\\}'));
  s.put(utf8('b'), utf8('2'));
  assert.equal(s.root(), v('root of \\{`a`→`1`, `b`→`2`\\}'));
  s.put(utf8('c'), utf8('3'));
  assert.equal(s.root(), v('root of \\{`a`→`1`, `b`→`2`, `c`→`3`\\}'));
});

function tree(n) {
  const s = new TestState();
  for (let i = 0; i < n; i++) s.put(utf8(`key ${i}`), utf8(`value ${i}`));
  return s;
}

test('presence and absence proofs verify in trees of 0 to 40 keys', () => {
  for (const n of [0, 1, 2, 3, 5, 17, 40]) {
    const s = tree(n);
    const root = s.root();
    for (let i = 0; i < n; i++) {
      const key = utf8(`key ${i}`);
      const { proof, value } = s.prove(key);
      verifyStateProof(root, key, value, proof);
      assert.throws(() => verifyStateProof(root, key, utf8('other'), proof), /another value/);
      assert.throws(() => verifyStateProof(root, key, null, proof), /claimed absent/);
    }
    for (let i = 0; i < 20; i++) {
      const key = utf8(`absent ${i}`);
      const { proof, value } = s.prove(key);
      assert.equal(value, null);
      verifyStateProof(root, key, null, proof);
      assert.throws(() => verifyStateProof(root, key, utf8('x'), proof), VerifyError);
    }
  }
  // an empty value is present
  const s = new TestState().put(utf8('k'), new Uint8Array(0)).put(utf8('j'), utf8('v'));
  const { proof } = s.prove(utf8('k'));
  verifyStateProof(s.root(), utf8('k'), new Uint8Array(0), proof);
  assert.throws(() => verifyStateProof(s.root(), utf8('k'), null, proof), VerifyError);
});

test('tampered proofs fail: siblings, leaf, root, length', () => {
  const s = tree(40);
  const root = s.root();
  for (const key of [utf8('key 7'), utf8('absent 3')]) {
    const { proof, value } = s.prove(key);
    for (let i = 0; i < proof.siblings.length; i++) {
      const siblings = proof.siblings.map((h, j) => (j === i ? toHex(Uint8Array.from(fromHex(h), (b, k) => (k === 31 ? b ^ 0x80 : b))) : h));
      assert.throws(() => verifyStateProof(root, key, value, { ...proof, siblings }), VerifyError);
    }
    assert.throws(() => verifyStateProof(root, key, value, { ...proof, siblings: proof.siblings.slice(1) }), VerifyError);
    assert.throws(() => verifyStateProof(root, key, value, { ...proof, siblings: [...proof.siblings, proof.siblings[0]] }), VerifyError);
    assert.throws(() => verifyStateProof(root, key, value, { ...proof, siblings: [...proof.siblings, '00'.repeat(32)] }), /deepest sibling is empty/);
    assert.throws(() => verifyStateProof(root.replace(/^./, (c) => (c === '0' ? '1' : '0')), key, value, proof), /state root/);
    if (proof.leaf) {
      const leaf = { ...proof.leaf, value_hash: proof.leaf.key_hash };
      assert.throws(() => verifyStateProof(root, key, value, { ...proof, leaf }), VerifyError);
    }
  }
  // an absence proof whose leaf is off the key's path
  const { proof } = s.prove(utf8('key 1'));
  const other = s.prove(utf8('key 2')).proof;
  assert.throws(() => verifyStateProof(root, utf8('absent 0'), null, { leaf: proof.leaf, siblings: other.siblings }), VerifyError);
  assert.throws(() => verifyStateProof(root, utf8('key 1'), null, { siblings: Array(257).fill(proof.siblings[0]), leaf: null }), /more than 256/);
  assert.throws(() => verifyStateProof(root, utf8('key 1'), null, null), /not a \{leaf, siblings\}/);
});

test('every row vector decodes to its JSON view, and encodes back', () => {
  const rows = new Set();
  for (const r of vectors.rows) {
    const bytes = fromHex(r.value_hex);
    assert.ok(sameJson(decodeStateValue(r.row, bytes), r.value), `${r.row}: ${r.name}`);
    assert.equal(toHex(encodeStateValue(r.row, r.value)), r.value_hex);
    assert.throws(() => decodeStateValue(r.row, concat(bytes, Uint8Array.of(0))), /trailing/);
    assert.throws(() => decodeStateValue(r.row, bytes.subarray(0, -1)), VerifyError);
    rows.add(r.row);
  }
  assert.deepEqual([...rows].sort(), ['certificate', 'draw', 'instrument', 'instrument_entries', 'operator', 'operator_entries', 'pending_draw', 'validators']);
  assert.throws(() => decodeStateValue('seq', new Uint8Array(8)), /unknown state row/);
});

test('flipping a byte of a row either fails to decode or changes the view', () => {
  for (const r of vectors.rows.filter((x) => x.row !== 'draw')) {
    const bytes = fromHex(r.value_hex);
    for (let i = 0; i < bytes.length; i++) {
      const b = Uint8Array.from(bytes);
      b[i] ^= 0x02;
      let v;
      try {
        v = decodeStateValue(r.row, b);
      } catch (e) {
        assert.ok(e instanceof VerifyError);
        continue;
      }
      assert.ok(!sameJson(v, r.value), `${r.name}: byte ${i}`);
    }
  }
});

test('state keys match store::keys', () => {
  const f = {
    operator: 'operator', operator_entries: 'operatorEntries', instrument: 'instrument',
    instrument_entries: 'instrumentEntries', certificate: 'certificate', draw: 'draw', pending_draw: 'pendingDraw',
    validators: 'validators',
  };
  assert.equal(vectors.keys.length, 8);
  for (const k of vectors.keys) assert.equal(toHex(stateKeys[f[k.what]](k.input)), k.key_hex, k.what);
  assert.throws(() => stateKeys.certificate('00'), VerifyError);
  assert.throws(() => stateKeys.instrument({ owner: '91350100M000100Y43', category: '9.1' }), /serial/);
});

test('entry chains match EntryChain::of, including leaf indexes above 2^32', () => {
  for (const c of vectors.entry_chains) {
    const got = entryChain(c.entries);
    assert.equal(got.count, c.count);
    assert.equal(got.head, c.head, c.name);
    if (c.entries.length > 1) {
      const swapped = [c.entries[1], c.entries[0], ...c.entries.slice(2)];
      assert.notEqual(entryChain(swapped).head, c.head);
      assert.notEqual(entryChain(c.entries.slice(1)).head, c.head);
    }
  }
  // the chain row of the vectors is the same {count, head}
  const row = vectors.rows.find((r) => r.name === 'entries far apart');
  const chain = vectors.entry_chains.find((c) => c.name === 'entries far apart');
  assert.ok(sameJson(row.value, { count: chain.count, head: chain.head }));
});

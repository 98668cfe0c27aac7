// Following the validator set from genesis through proven changes (lib/validators.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, utf8 } from '../src/lib/hex.js';
import { CONTEXT, deriveKey } from '../src/lib/hash.js';
import { signNote } from '../src/lib/note.js';
import { encodeStateValue, stateKeys } from '../src/lib/state.js';
import { followValidatorSets, setAt, bftQuorum } from '../src/lib/validators.js';
import { devKey, devSeed, TestState } from './helpers.mjs';

const CHAIN = 'liangxin-test';
const h = (label) => toHex(deriveKey(CONTEXT.conformance, utf8(label)));
const set = (names) => names.map((name) => ({ name, public_key: toHex(devKey(name)) }));
const trustOf = (names) => ({ chainId: CHAIN, validators: set(names), quorum: bftQuorum(names.length) });

/** A change at `height` to `next`, its checkpoint signed by `signers`. */
function change(height, next, signers, { listed = next, extra = [] } = {}) {
  const state = new TestState();
  const value = encodeStateValue('validators', { validators: set(next).map((v) => ({ name: v.name, key: v.public_key })) });
  state.put(stateKeys.validators(), value);
  for (const k of extra) state.put(utf8(k), utf8(`value of ${k}`));
  const body = { chain_id: CHAIN, log_size: height, root: h(`root ${height}`), height, block_hash: h(`block ${height}`), state_root: state.root() };
  return {
    height,
    validators: set(listed),
    state_proof: { state_root: body.state_root, rows: [state.provenRow('validators', stateKeys.validators())] },
    checkpoint: { ...body, note: signNote(body, signers.map((name) => ({ name, seed: devSeed(name) }))) },
  };
}

const G = ['regulator-1', 'regulator-2', 'regulator-3', 'regulator-4'];
const S1 = [...G, 'regulator-5'];
const S2 = ['regulator-2', 'regulator-3', 'regulator-4', 'regulator-5'];

test('the set is followed through changes signed by the set before each', () => {
  const answer = {
    changes: [
      change(10, S1, G.slice(0, 3), { extra: ['a', 'b', 'c'] }),
      change(20, S2, S1.slice(1, 5), { extra: ['d'] }),
    ],
  };
  const sets = followValidatorSets(trustOf(G), answer);
  assert.equal(sets.length, 3);
  assert.deepEqual(setAt(sets, 10).validators, set(G), 'block 10 is signed by the set before it');
  assert.deepEqual(setAt(sets, 11).validators, set(S1));
  assert.equal(setAt(sets, 11).quorum, 4, '4 of 5');
  assert.deepEqual(setAt(sets, 20).validators, set(S1));
  assert.deepEqual(setAt(sets, 21).validators, set(S2));
  assert.deepEqual(setAt(sets, 1).validators, set(G));
  assert.equal(followValidatorSets(trustOf(G), { changes: [] }).length, 1);
});

test('a change not signed by the set before it, or not proven, is refused', () => {
  const refuse = (changes, needle) =>
    assert.throws(() => followValidatorSets(trustOf(G), { changes }), (e) => e.message.includes(needle), needle);
  // Signed by the new set only (regulator-5 is not in the genesis set): no quorum.
  refuse([change(10, S1, ['regulator-5', 'regulator-1', 'regulator-2'])], 'not signed by the set before it');
  // The listed validators are not the proven row.
  refuse([change(10, S1, G.slice(0, 3), { listed: [...G, 'regulator-9'] })], 'not the proven ones');
  // A proof under another state root.
  const c = change(10, S1, G.slice(0, 3));
  refuse([{ ...c, state_proof: { ...c.state_proof, state_root: h('other') } }], 'no proof under');
  // A row value swapped for another set: the proof fails.
  const other = change(10, S2, G.slice(0, 3));
  refuse([{ ...c, validators: other.validators, state_proof: { ...c.state_proof, rows: [{ ...c.state_proof.rows[0], value: other.state_proof.rows[0].value }] } }], 'validator-set change at height 10');
  // Heights must increase; the checkpoint must be the change's.
  refuse([change(10, S1, G.slice(0, 3)), change(10, S2, S1.slice(0, 4))], 'heights must increase');
  refuse([{ ...change(10, S1, G.slice(0, 3)), height: 11 }], 'the checkpoint is of height 10');
  assert.throws(() => followValidatorSets(trustOf(G), null));
});

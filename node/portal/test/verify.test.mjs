// Whole answers: a ledger built in scenario.mjs verifies, and every kind of tampering gives a
// report with ok: false and a check that says what failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../src/lib/hex.js';
import {
  proofsFrom, verifyCertificateAnswer, verifyDrawAnswer, verifyEntries, verifyInstrumentAnswer,
  verifyOperatorAnswer,
} from '../src/lib/verify.js';
import { verifyCheckpoint } from '../src/lib/note.js';
import { NAMES, scenario, trust } from './scenario.mjs';

const failed = (report) => report.checks.filter((c) => !c.ok);
const clone = (x) => structuredClone(x);

function assertFails(report, what, pattern) {
  assert.equal(report.ok, false, JSON.stringify(report.checks));
  const f = failed(report);
  assert.ok(f.some((c) => c.what === what && pattern.test(c.detail)), JSON.stringify(f));
}

test('an honest lx_operator answer verifies, with grade and instruments not proven', async () => {
  const s = scenario();
  const r = await verifyOperatorAnswer(s.answers.operator, trust, s.fetchProof, { uscc: s.answers.operator.uscc });
  assert.equal(r.ok, true, JSON.stringify(failed(r)));
  assert.deepEqual(r.checkpoint.signers, NAMES.slice(0, 3));
  assert.equal(r.checkpoint.quorum, 3);
  assert.equal(r.checkpoint.validators, 4);
  assert.equal(r.stateProof, 'verified');
  assert.deepEqual(r.entriesIncluded, [1, 2, 3, 4, 6]);
  assert.deepEqual(r.proven, ['profile', 'the entry list is complete']);
  assert.deepEqual(r.notProven, ['grade', 'instruments']);
  assert.ok(r.checks.every((c) => typeof c.detail === 'string' && c.detail.length > 0));
});

test('lx_operator tampering: tx bytes, record, missing or reordered entry, profile, proofs, subject', async () => {
  const s = scenario();
  const a = s.answers.operator;
  const tx = fromHex(a.entries[1].tx);
  for (const i of [0, 40, tx.length - 1]) {
    const t = clone(a);
    const b = Uint8Array.from(tx);
    b[i] ^= 1;
    t.entries[1].tx = toHex(b);
    assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'entries', /leaf 2/);
  }
  let t = clone(a);
  t.entries[0].record.name = '另一家加油站';
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'entries', /record shown is not the record/);
  t = clone(a);
  t.entries.splice(2, 1);
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'entry list', /4 entries\) is not the proven one \(5 entries/);
  t = clone(a);
  [t.entries[0], t.entries[1]] = [t.entries[1], t.entries[0]];
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'entry list', /missing, extra or out of order/);
  t = clone(a);
  t.entries[0].leaf_index = 2;
  assert.equal((await verifyOperatorAnswer(t, trust, s.fetchProof)).ok, false);
  t = clone(a);
  t.profile.last_inspectors = [];
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'profile', /not what the proven state holds/);
  t = clone(a);
  t.state_proof.rows[0].proof.siblings[0] = '11'.repeat(32);
  const r = await verifyOperatorAnswer(t, trust, s.fetchProof);
  assertFails(r, 'state proof', /row operator/);
  assert.equal(r.stateProof, 'failed');
  t = clone(a);
  t.state_proof.rows[0].value = t.state_proof.rows[1].value;
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'state proof', /another value/);
  t = clone(a);
  t.state_proof.rows.pop();
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'entry list', /no proof of the operator_entries row/);
  t = clone(a);
  t.state_proof.state_root = '00'.repeat(32);
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'state proof', /the proofs are for state root/);
  assertFails(await verifyOperatorAnswer(a, trust, s.fetchProof, { uscc: '91110108551385082Q' }), 'subject', /not 91110108551385082Q/);
});

test('lx_operator: a tampered inclusion proof, a failing fetch, a short quorum, another chain', async () => {
  const s = scenario();
  const a = s.answers.operator;
  const bad = async (leaf, size) => {
    const p = await s.fetchProof(leaf, size);
    if (leaf === 3) p.hashes[0] = p.hashes[0].replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    return p;
  };
  assertFails(await verifyOperatorAnswer(a, trust, bad), 'entries', /leaf 3 under the checkpoint at height 42: inclusion proof leads to another root/);
  const wrongSize = async (leaf) => s.fetchProof(leaf, 6);
  assertFails(await verifyOperatorAnswer(a, trust, wrongSize), 'entries', /log of 6 leaves, the checkpoint has 7/);
  const offline = async () => { throw new Error('network down'); };
  assertFails(await verifyOperatorAnswer(a, trust, offline), 'entries', /could not get the inclusion proof of leaf 1: network down/);
  const weak = scenario({ signers: ['regulator-1', 'regulator-4'] });
  const r = await verifyOperatorAnswer(weak.answers.operator, trust, weak.fetchProof);
  assertFails(r, 'checkpoint', /signed by 2 of 4 validators, quorum is 3/);
  assert.equal(r.checkpoint, null);
  assertFails(await verifyOperatorAnswer(a, { ...trust, chainId: 'liangxin-other' }, s.fetchProof), 'checkpoint', /pinned chain/);
  const t = clone(a);
  t.checkpoint.state_root = t.checkpoint.root;
  assertFails(await verifyOperatorAnswer(t, trust, s.fetchProof), 'checkpoint', /state_root is not the note's/);
});

test('lx_operator without a state proof: verified entries, everything read from state not proven', async () => {
  const s = scenario();
  const t = clone(s.answers.operator);
  t.state_proof = null;
  const r = await verifyOperatorAnswer(t, trust, s.fetchProof);
  assert.equal(r.ok, true);
  assert.equal(r.stateProof, 'not_provided');
  assert.deepEqual(r.notProven, ['profile', 'the entry list is complete', 'grade', 'instruments']);
  assert.deepEqual(r.proven, []);
});

test('verifyEntries and proofsFrom', async () => {
  const s = scenario();
  const cp = verifyCheckpoint(s.checkpoint, trust);
  const map = new Map(s.entries.map((e) => [e.leaf_index, { hashes: s.log.inclusion(e.leaf_index) }]));
  const r = await verifyEntries(s.entries, cp, proofsFrom(map));
  assert.equal(r.ok, true);
  assert.deepEqual(r.included, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(r.txs[5].record.kind, 'random_draw_request');
  map.delete(4);
  const r2 = await verifyEntries(s.entries, cp, proofsFrom(map));
  assert.equal(r2.ok, false);
  assert.match(r2.checks[0].detail, /no inclusion proof of leaf 4/);
  assert.deepEqual(r2.included, [0, 1, 2, 3]);
  // an entry for another chain
  const other = await verifyEntries(s.entries, { ...cp, chain_id: 'liangxin-other' }, proofsFrom(Object.fromEntries(map)));
  assert.match(other.checks[0].detail, /not a valid transaction: the transaction is for chain liangxin-test/);
});

test('lx_instrument: honest, then tampered state and entries', async () => {
  const s = scenario();
  const a = s.answers.instrument;
  const r = await verifyInstrumentAnswer(a, trust, s.fetchProof, { id: a.id });
  assert.equal(r.ok, true, JSON.stringify(failed(r)));
  assert.deepEqual(r.notProven, ['status (computed from the state and the block time)']);
  let t = clone(a);
  t.state.last_pass = null;
  assertFails(await verifyInstrumentAnswer(t, trust, s.fetchProof), 'instrument state', /not what the proven state holds/);
  t = clone(a);
  t.entries.push(s.entries[4]);
  assertFails(await verifyInstrumentAnswer(t, trust, s.fetchProof), 'entry list', /3 entries\) is not the proven one \(2 entries/);
  t = clone(a);
  t.id = { ...t.id, serial: 'FD-0043' };
  assertFails(await verifyInstrumentAnswer(t, trust, s.fetchProof), 'instrument state', /no proof of the instrument row/);
  t = clone(a);
  t.id = { owner: 'nope' };
  assertFails(await verifyInstrumentAnswer(t, trust, s.fetchProof), 'subject', /no valid instrument id/);
});

test('lx_certificate: on the ledger and valid; absent; and what a node could lie about', async () => {
  const s = scenario();
  const a = s.answers.certificate;
  const r = await verifyCertificateAnswer(a, trust, s.fetchProof, { digest: a.digest });
  assert.equal(r.ok, true, JSON.stringify(failed(r)));
  assert.deepEqual(r.proven, ['the certificate entry', "its instrument's latest verification"]);
  assert.deepEqual(r.notProven, ['the end of validity against the block time']);
  const absent = await verifyCertificateAnswer(s.answers.absentCertificate, trust, s.fetchProof);
  assert.equal(absent.ok, true, JSON.stringify(failed(absent)));
  assert.deepEqual(absent.proven, ['the certificate is not on the ledger']);
  // claiming a certificate that is on the ledger is absent: the proof shows presence
  let t = clone(a);
  t.on_ledger = false;
  delete t.entry;
  delete t.record;
  t.valid = false;
  assert.equal((await verifyCertificateAnswer(t, trust, s.fetchProof)).ok, false);
  // another record shown as the certificate's
  t = clone(a);
  t.record = s.entries[4];
  assertFails(await verifyCertificateAnswer(t, trust, s.fetchProof), 'certificate record', /not a verification result carrying this digest/);
  t = clone(a);
  t.entry.number = '伪造';
  assertFails(await verifyCertificateAnswer(t, trust, s.fetchProof), 'certificate', /not what the proven state holds/);
  // valid claimed while the proven instrument is retired
  const ret = scenario({ retired: true });
  assertFails(await verifyCertificateAnswer(ret.answers.certificate, trust, ret.fetchProof), 'certificate', /superseded, retired or failed/);
  const honest = clone(ret.answers.certificate);
  honest.valid = false;
  assert.equal((await verifyCertificateAnswer(honest, trust, ret.fetchProof)).ok, true);
  // an absent certificate cannot be valid
  t = clone(s.answers.absentCertificate);
  t.valid = true;
  assertFails(await verifyCertificateAnswer(t, trust, s.fetchProof), 'certificate record', /cannot be valid/);
});

test('lx_draw: resolved and pending; a changed selection, seed, snapshot or request fails', async () => {
  const s = scenario();
  const a = s.answers.draw;
  const r = await verifyDrawAnswer(a, trust, s.fetchProof, { id: a.id });
  assert.equal(r.ok, true, JSON.stringify(failed(r)));
  assert.ok(r.proven.includes('seed and selection'));
  assert.ok(r.checks.some((c) => c.what === 'block seed' && c.ok), JSON.stringify(r.checks));
  assert.ok(a.resolution.targets.length > 3);
  const p = await verifyDrawAnswer(s.answers.pendingDraw, trust, s.fetchProof);
  assert.equal(p.ok, true, JSON.stringify(failed(p)));
  let t = clone(a);
  t.resolution.targets.pop();
  let rr = await verifyDrawAnswer(t, trust, s.fetchProof);
  assertFails(rr, 'selection', /not the one the seed gives/);
  assertFails(rr, 'draw', /draw result/);
  t = clone(a);
  t.resolution.block_seed = '00'.repeat(32);
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'selection', /not derived from the block seed/);
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /not the resolving block's VRF output/);
  // The block seed is checked against its proposer's VRF proof.
  t = clone(a);
  t.resolution.header.seed_proof = `${t.resolution.header.seed_proof.slice(0, 100)}${t.resolution.header.seed_proof[100] === '0' ? '1' : '0'}${t.resolution.header.seed_proof.slice(101)}`;
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /seed proof/);
  t = clone(a);
  t.resolution.header.parent = '11'.repeat(32);
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /challenge/);
  t = clone(a);
  t.resolution.header.proposer = trust.validators[0].public_key;
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /seed proof/);
  t = clone(a);
  t.resolution.header.proposer = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /not a trusted validator/);
  t = clone(a);
  t.resolution.header.height = 42;
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /height/);
  // Final only through block 42, whose checkpoint the quorum signed: without the link, or with
  // another block in between, it is not shown final.
  t = clone(a);
  t.resolution.descendants = [];
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /not the block final/);
  t = clone(a);
  t.resolution.descendants[0].time += 1;
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /not the block final/);
  t = clone(a);
  t.resolution.descendants[0].parent = '22'.repeat(32);
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /does not extend/);
  t = clone(a);
  t.resolution.final_checkpoint = { ...t.resolution.final_checkpoint, block_hash: '33'.repeat(32) };
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'block seed', /block_hash/);
  t = clone(a);
  t.candidates = t.candidates.slice(1);
  rr = await verifyDrawAnswer(t, trust, s.fetchProof);
  assert.equal(rr.ok, false);
  t = clone(a);
  t.request_entry = s.entries[4];
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'request', /not the draw's request/);
  t = clone(a);
  t.request = { ...t.request, label: 'another campaign' };
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'request', /not the record of its request entry/);
  t = clone(s.answers.pendingDraw);
  t.request_height = 39;
  assertFails(await verifyDrawAnswer(t, trust, s.fetchProof), 'draw', /pending draw/);
});

test('garbage answers give reports, not exceptions', async () => {
  const s = scenario();
  for (const f of [verifyOperatorAnswer, verifyInstrumentAnswer, verifyCertificateAnswer, verifyDrawAnswer]) {
    for (const answer of [null, {}, { uscc: 5 }, { ...s.answers.operator, entries: 'x' }, { ...s.answers.draw, checkpoint: null }]) {
      const r = await f(answer, trust, s.fetchProof);
      assert.equal(r.ok, false);
      assert.ok(r.checks.length > 0 && r.checks.some((c) => !c.ok && c.detail));
    }
  }
});

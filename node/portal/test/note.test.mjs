// Signed notes: the real checkpoints of docs/rpc.md (signed by the dev node), notes signed
// here by four dev validators (quorum 3), and everything parseNote and verifyCheckpoint refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { VerifyError } from '../src/lib/errors.js';
import { concat, fromBase64, toBase64, toHex, utf8 } from '../src/lib/hex.js';
import { CONTEXT, deriveKey } from '../src/lib/hash.js';
import { keyId, parseNote, renderBody, signNote, verifyCheckpoint } from '../src/lib/note.js';
import { devKey, devSeed, readText } from './helpers.mjs';

const DEV_CHAIN = 'liangxin-dev-caf2c89cd834e883';
const devTrust = {
  chainId: DEV_CHAIN,
  validators: [{ name: 'dev-regulator', public_key: 'ebb1dc9808515739d0e0f4bac4993b7e87292bb31917b887d27dac9924efb974' }],
  quorum: 1,
};

/** Every checkpoint object of docs/rpc.md. */
function docCheckpoints() {
  const doc = readText('docs/rpc.md');
  const re = /\{\s*"height":\s*(\d+),\s*"log_size":\s*(\d+),\s*"root":\s*"([0-9a-f]{64})",\s*"block_hash":\s*"([0-9a-f]{64})",\s*"state_root":\s*"([0-9a-f]{64})",\s*"note":\s*("(?:[^"\\]|\\.)*")\s*\}/g;
  return [...doc.matchAll(re)].map((m) => ({
    height: Number(m[1]), log_size: Number(m[2]), root: m[3], block_hash: m[4], state_root: m[5], note: JSON.parse(m[6]),
  }));
}

test('the checkpoints captured in docs/rpc.md verify against the dev validator', () => {
  const cps = docCheckpoints();
  assert.ok(cps.length >= 4, `found ${cps.length}`);
  for (const cp of cps) {
    const v = verifyCheckpoint(cp, devTrust);
    assert.deepEqual(v.signers, ['dev-regulator']);
    assert.equal(v.height, cp.height);
    assert.equal(v.chain_id, DEV_CHAIN);
    assert.equal(renderBody({ chain_id: DEV_CHAIN, ...cp }), parseNote(cp.note).body);
  }
  // the dev validator's key is SigningKey::dev("dev-regulator") (the block vectors' proposer)
  assert.equal(toHex(devKey('dev-regulator')), devTrust.validators[0].public_key);
});

test('keyId is SHA-256(name ‖ "\\n" ‖ 0x01 ‖ key)[0..4]', () => {
  const k = devKey('dev-regulator');
  const id = keyId('dev-regulator', k);
  assert.equal(toHex(id), toHex(sha256(concat(utf8('dev-regulator\n'), Uint8Array.of(1), k)).subarray(0, 4)));
  const cp = docCheckpoints()[0];
  const line = cp.note.split('\n').at(-2);
  assert.equal(toHex(fromBase64(line.split(' ')[2]).subarray(0, 4)), toHex(id));
});

const NAMES = ['regulator-1', 'regulator-2', 'regulator-3', 'regulator-4'];
const trust = {
  chainId: 'liangxin-test',
  validators: NAMES.map((name) => ({ name, public_key: toHex(devKey(name)) })),
  quorum: 3,
};
const body = {
  chain_id: 'liangxin-test',
  log_size: 20852163,
  root: toHex(deriveKey(CONTEXT.document, utf8('root'))),
  height: 1234,
  block_hash: toHex(deriveKey(CONTEXT.header, utf8('block'))),
  state_root: toHex(deriveKey(CONTEXT.state, utf8('state'))),
};
const signers = (names) => names.map((name) => ({ name, seed: devSeed(name) }));
const cpOf = (note, over = {}) => ({ ...body, note, ...over });

test('a quorum of pinned validators makes a checkpoint; fewer do not', () => {
  const note3 = signNote(body, signers(NAMES.slice(0, 3)));
  const v = verifyCheckpoint(cpOf(note3), trust);
  assert.deepEqual(v.signers, NAMES.slice(0, 3));
  assert.equal(v.quorum, 3);
  assert.equal(v.validators, 4);
  assert.equal(v.log_size, 20852163);
  const note2 = signNote(body, signers(NAMES.slice(1, 3)));
  assert.throws(() => verifyCheckpoint(cpOf(note2), trust), /signed by 2 of 4 validators, quorum is 3/);
});

test('unknown keys are ignored, each validator counts once, a bad pinned line rejects', () => {
  // an outsider's line and a pinned name with another key count for nothing
  const withOutsiders = signNote(body, [
    ...signers(NAMES.slice(0, 2)),
    { name: 'outsider', seed: devSeed('outsider') },
    { name: 'regulator-3', seed: devSeed('impostor') },
  ]);
  assert.throws(() => verifyCheckpoint(cpOf(withOutsiders), trust), /signed by 2 of 4/);
  const ok = signNote(body, [...signers(NAMES.slice(0, 3)), { name: 'outsider', seed: devSeed('outsider') }]);
  assert.deepEqual(verifyCheckpoint(cpOf(ok), trust).signers, NAMES.slice(0, 3));
  // the same validator listed twice in the set is refused, not counted twice
  const doubled = { ...trust, validators: [...trust.validators, trust.validators[0]], quorum: 4 };
  assert.throws(() => verifyCheckpoint(cpOf(ok), doubled), /listed twice/);
  // a pinned validator's line over other bytes rejects the note even with a quorum besides
  const all4 = signNote(body, signers(NAMES));
  const other = signNote({ ...body, height: 1235 }, signers(['regulator-4']));
  const badLine = other.split('\n').at(-2);
  const lines = all4.split('\n');
  const i = lines.findIndex((l) => l.includes('regulator-4'));
  lines[i] = badLine;
  assert.throws(() => verifyCheckpoint(cpOf(lines.join('\n')), trust), /signature by "regulator-4" does not verify/);
});

test('flipping any bit of a signature, or any character of the body, fails', () => {
  const note = signNote(body, signers(NAMES.slice(0, 3)));
  const [head, sigs] = [note.slice(0, note.indexOf('\n\n') + 2), note.slice(note.indexOf('\n\n') + 2)];
  const first = sigs.split('\n')[0];
  const payload = fromBase64(first.split(' ')[2]);
  for (let i = 4; i < payload.length; i++) {
    const p = Uint8Array.from(payload);
    p[i] ^= 1 << (i % 8);
    const forged = head + sigs.replace(first, `— regulator-1 ${toBase64(p)}`);
    assert.throws(() => verifyCheckpoint(cpOf(forged), trust), VerifyError, `byte ${i}`);
  }
  const bodyText = renderBody(body);
  for (let i = 0; i < bodyText.length - 1; i++) {
    if (bodyText[i] === '\n') continue;
    const c = bodyText[i] === '1' ? '2' : bodyText[i] === 'a' ? 'b' : '1';
    const forgedBody = bodyText.slice(0, i) + c + bodyText.slice(i + 1);
    const forged = forgedBody + note.slice(bodyText.length);
    assert.throws(() => verifyCheckpoint(cpOf(forged), trust), VerifyError, `body char ${i}`);
  }
});

test('the JSON fields must say what the note says, for the pinned chain', () => {
  const note = signNote(body, signers(NAMES.slice(0, 3)));
  for (const [f, v] of [['height', 1235], ['log_size', 1], ['root', body.state_root], ['block_hash', body.root], ['state_root', body.root]]) {
    assert.throws(() => verifyCheckpoint(cpOf(note, { [f]: v }), trust), new RegExp(`checkpoint's ${f}`));
  }
  assert.throws(() => verifyCheckpoint(cpOf(note), { ...trust, chainId: 'liangxin-other' }), /pinned chain is "liangxin-other"/);
});

test('malformed notes are refused', () => {
  const note = signNote(body, signers(NAMES.slice(0, 3)));
  const bodyText = renderBody(body);
  const sigs = note.slice(bodyText.length + 1);
  const line = sigs.split('\n')[0];
  const cases = {
    'CRLF line endings': note.replace(/\n/g, '\r\n'),
    'no blank line': bodyText + sigs,
    'no final newline': note.slice(0, -1),
    'leading zero': note.replace('\n20852163\n', '\n020852163\n'),
    'uppercase hex': note.replace(body.block_hash, body.block_hash.toUpperCase()),
    'unpadded root': note.replace(/\n([A-Za-z0-9+/]+)=\n/, '\n$1\n'),
    'five lines in the body': note.replace('\n1234 ', '\nextra\n1234 '),
    'two spaces in the extension line': note.replace('1234 ', '1234  '),
    'origin of another namespace': note.replace('liangxin/', 'other/'),
    'bad chain id': note.replace('liangxin/liangxin-test', 'liangxin/Liangxin-test'),
    'hyphen instead of em dash': note.replace(/— /g, '- '),
    'name with a plus': note.replace('— regulator-1 ', '— regulator+1 '),
    'empty name': note.replace('— regulator-1 ', '—  '),
    'duplicate line': `${note}${line}\n`,
    'short payload': `${note}— x ${toBase64(new Uint8Array(4))}\n`,
    'non-canonical base64': `${note}— x AAAAAAB=\n`,
    'a tab': note.replace('regulator-1', 'regulator-1\t'),
    'too many lines': note + Array.from({ length: 510 }, (_, i) => `— n${i} ${toBase64(new Uint8Array(8))}\n`).join(''),
    'too large': note + `— big ${toBase64(new Uint8Array(800000))}\n`,
    'lone surrogate': note.replace('regulator-1', 'regulator-\ud8001'),
    'empty signature section': `${bodyText}\n\n`,
  };
  for (const [what, text] of Object.entries(cases)) {
    assert.throws(() => parseNote(text), VerifyError, what);
  }
  assert.equal(parseNote(note).signatures.length, 3);
  // 512 lines are allowed
  const many = note + Array.from({ length: 509 }, (_, i) => `— n${i} ${toBase64(new Uint8Array(8))}\n`).join('');
  assert.equal(parseNote(many).signatures.length, 512);
});

test('validator sets with too small a quorum are refused', () => {
  const note = signNote(body, signers(NAMES));
  for (const quorum of [0, 1, 2, 5]) {
    assert.throws(() => verifyCheckpoint(cpOf(note), { ...trust, quorum }), /not more than two thirds/);
  }
  assert.throws(() => verifyCheckpoint(cpOf(note), { ...trust, validators: [] }), /empty/);
  assert.deepEqual(verifyCheckpoint(cpOf(note), { ...trust, quorum: 4 }).signers, NAMES);
});

// A small ledger built for the answer tests: signed entries in a log, proven state rows in a
// state tree, a checkpoint signed by three of four dev validators, and the four answers as the
// node would send them (lx_operator, lx_instrument, lx_certificate, lx_draw).
import { toHex, utf8 } from '../src/lib/hex.js';
import { CONTEXT, deriveKey, txId } from '../src/lib/hash.js';
import { computeSelection, drawSeed } from '../src/lib/draw.js';
import { blockSeedOf, headerHash, seedInput, vrfProve } from '../src/lib/vrf.js';
import { signNote } from '../src/lib/note.js';
import { encodeRecord } from '../src/lib/records.js';
import { encodeStateValue, entryChain, stateKeys } from '../src/lib/state.js';
import { devKey, devSeed, readJson, signTx, TestLog, TestState } from './helpers.mjs';

export const CHAIN = 'liangxin-test';
export const NAMES = ['regulator-1', 'regulator-2', 'regulator-3', 'regulator-4'];
export const trust = {
  chainId: CHAIN,
  validators: NAMES.map((name) => ({ name, public_key: toHex(devKey(name)) })),
  quorum: 3,
};

const h = (label) => toHex(deriveKey(CONTEXT.conformance, utf8(label)));

/** @param {{retired?: boolean, signers?: string[]}} [opts] */
export function scenario({ retired = false, signers = NAMES.slice(0, 3) } = {}) {
  const records = Object.fromEntries(readJson('contracts/conformance/records.json').cases.map((c) => [c.name, c.value]));
  const stateRows = readJson('contracts/conformance/state.json').rows;
  const drawRow = structuredClone(stateRows.find((r) => r.name === 'a draw with targets').value);
  const station = records.operator_registration.uscc;

  const log = new TestLog();
  const entries = [];
  const seqs = {};
  const add = (signer, record, height) => {
    const seq = seqs[signer] ?? 0;
    seqs[signer] = seq + 1;
    const bytes = signTx(signer, CHAIN, seq, encodeRecord(record));
    const leaf_index = log.append(bytes);
    const e = { leaf_index, height, tx: toHex(bytes), record };
    entries.push(e);
    return e;
  };
  add('regulator-1', records.institution_registration, 1);
  const opReg = add('regulator-1', records.operator_registration, 2);
  const instReg = add(`operator ${station}`, records.instrument_registration, 3);
  const verification = add('institution fj-nim', records.verification_result, 4);
  const inspection = add('regulator-1', records.inspection_result, 5);
  const request = add('regulator-1', { kind: 'random_draw_request', ...drawRow.request }, 40);
  const commendation = add('regulator-1', records.commendation, 41);
  const operatorEntries = [opReg, instReg, verification, inspection, commendation];
  const instrumentEntries = [instReg, verification];

  // state rows
  const vr = records.verification_result;
  const vrTx = txId(Buffer.from(verification.tx, 'hex'));
  const operator = structuredClone(stateRows.find((r) => r.name === 'operator with a commitment').value);
  const instrument = structuredClone(stateRows.find((r) => r.name.startsWith('instrument verified')).value);
  instrument.registration = (({ kind, ...f }) => f)(records.instrument_registration);
  instrument.last_verification = {
    tx: vrTx, date: vr.date, passed: true, valid_until: vr.valid_until,
    certificate_digest: vr.certificate_digest, institution: records.institution_registration.authorisation,
  };
  instrument.last_pass = instrument.last_verification;
  if (!retired) instrument.retired = null;
  const certificate = {
    tx: vrTx, instrument: vr.instrument, institution: records.institution_registration.authorisation,
    number: vr.certificate_number, passed: true, date: vr.date, valid_until: vr.valid_until,
  };
  const drawId = txId(Buffer.from(request.tx, 'hex'));
  // Block 41, which resolves the draw: its seed is its proposer's VRF output.
  const parent41 = h('block 40');
  const header41 = {
    chain_id: CHAIN, height: 41, view: 43, parent: parent41, time: 1767225600,
    proposer: toHex(devKey(NAMES[2])),
    seed_proof: toHex(vrfProve(devSeed(NAMES[2]), seedInput(41, parent41))),
    tx_count: 0, body_hash: h('body 41'), log_size: 40, log_root: h('log 41'), state_root: h('state 41'),
  };
  const blockSeed = blockSeedOf(header41);
  // Block 42, whose checkpoint the quorum signed (block 41 was final through it).
  const header42 = {
    ...header41, height: 42, view: 44, parent: headerHash(header41), proposer: toHex(devKey(NAMES[3])),
    seed_proof: toHex(vrfProve(devSeed(NAMES[3]), seedInput(42, headerHash(header41)))),
  };
  drawRow.seed = drawSeed(blockSeed, drawId);
  drawRow.targets = computeSelection(drawRow.seed, drawRow.request, drawRow.sample_rates_ppm, drawRow.snapshot);
  drawRow.request_height = 40;
  drawRow.height = 41;
  const pending = { request: drawRow.request, height: 40, sample_rates_ppm: drawRow.sample_rates_ppm, candidates: drawRow.snapshot };

  const state = new TestState();
  const keys = {
    operator: stateKeys.operator(station),
    operatorEntries: stateKeys.operatorEntries(station),
    instrument: stateKeys.instrument(vr.instrument),
    instrumentEntries: stateKeys.instrumentEntries(vr.instrument),
    certificate: stateKeys.certificate(vr.certificate_digest),
    absentCertificate: stateKeys.certificate(h('not a certificate')),
    draw: stateKeys.draw(drawId),
    pendingDraw: stateKeys.pendingDraw(drawId),
  };
  state.put(keys.operator, encodeStateValue('operator', operator));
  state.put(keys.operatorEntries, encodeStateValue('operator_entries', entryChain(operatorEntries)));
  state.put(keys.instrument, encodeStateValue('instrument', instrument));
  state.put(keys.instrumentEntries, encodeStateValue('instrument_entries', entryChain(instrumentEntries)));
  state.put(keys.certificate, encodeStateValue('certificate', certificate));
  state.put(keys.draw, encodeStateValue('draw', drawRow));
  state.put(keys.pendingDraw, encodeStateValue('pending_draw', pending));
  for (let i = 0; i < 30; i++) state.put(utf8(`filler ${i}`), utf8(`row ${i}`));

  const cpBody = {
    chain_id: CHAIN, log_size: log.size, root: log.root(), height: 42,
    block_hash: headerHash(header42), state_root: state.root(),
  };
  const checkpoint = {
    height: 42, log_size: log.size, root: cpBody.root, block_hash: cpBody.block_hash,
    state_root: cpBody.state_root,
    note: signNote(cpBody, [...signers.map((name) => ({ name, seed: devSeed(name) })), { name: 'outsider', seed: devSeed('outsider') }]),
  };
  const proofSet = (rows) => ({ state_root: cpBody.state_root, rows: rows.map(([row, key]) => state.provenRow(row, key)) });

  const answers = {
    operator: {
      uscc: station,
      profile: operator,
      grade: { operator: station, at: 1767225600, score: 108, grade: 'A', reasons: [] },
      entries: operatorEntries,
      instruments: [{ state: instrument, status: { status: 'verified', until: vr.valid_until } }],
      state_proof: proofSet([['operator', keys.operator], ['operator_entries', keys.operatorEntries]]),
      checkpoint,
    },
    instrument: {
      id: vr.instrument,
      state: instrument,
      status: { status: 'verified', until: vr.valid_until },
      entries: instrumentEntries,
      state_proof: proofSet([['instrument', keys.instrument], ['instrument_entries', keys.instrumentEntries]]),
      checkpoint,
    },
    certificate: {
      digest: vr.certificate_digest,
      on_ledger: true,
      entry: certificate,
      institution_name: records.institution_registration.name,
      record: verification,
      valid: true,
      validity: 'a pass, valid until 2026-07-12',
      at: 1767225600,
      state_proof: proofSet([['certificate', keys.certificate], ['instrument', keys.instrument]]),
      checkpoint,
    },
    absentCertificate: {
      digest: h('not a certificate'),
      on_ledger: false,
      valid: false,
      validity: 'no verification record carries this certificate digest',
      at: 1767225600,
      state_proof: proofSet([['certificate', keys.absentCertificate]]),
      checkpoint,
    },
    draw: {
      id: drawId,
      request: drawRow.request,
      request_entry: request,
      request_height: 40,
      sample_rates_ppm: drawRow.sample_rates_ppm,
      candidates: drawRow.snapshot,
      resolution: {
        height: 41, block_seed: blockSeed, header: header41, descendants: [header42], final_checkpoint: checkpoint,
        seed: drawRow.seed, targets: drawRow.targets,
      },
      state_proof: proofSet([['draw', keys.draw]]),
      checkpoint,
    },
    pendingDraw: {
      id: drawId,
      request: drawRow.request,
      request_entry: request,
      request_height: 40,
      sample_rates_ppm: drawRow.sample_rates_ppm,
      candidates: drawRow.snapshot,
      state_proof: proofSet([['pending_draw', keys.pendingDraw]]),
      checkpoint,
    },
  };
  const fetchProof = async (leafIndex, treeSize) => ({
    leaf_index: leafIndex, tree_size: treeSize, hashes: log.inclusion(leafIndex, treeSize),
  });
  return { log, state, entries, answers, fetchProof, checkpoint, keys };
}

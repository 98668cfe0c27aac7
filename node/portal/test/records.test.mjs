// All 19 record kinds of contracts/conformance/records.json, both ways, and the payloads the
// decoder must refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifyError } from '../src/lib/errors.js';
import { concat, fromHex, toHex } from '../src/lib/hex.js';
import { plainBlake3 } from '../src/lib/hash.js';
import { decodeRecord, encodeRecord, KIND_NAMES, KIND_TAGS, sameJson } from '../src/lib/records.js';
import { readJson } from './helpers.mjs';

const cases = readJson('contracts/conformance/records.json').cases;

test('KIND_NAMES lists the 19 kinds in tag order', () => {
  assert.equal(Object.keys(KIND_NAMES).length, 19);
  assert.deepEqual(cases.map((c) => KIND_NAMES[c.kind]), cases.map((c) => c.name));
  for (const c of cases) assert.equal(KIND_TAGS[c.name], c.kind);
});

for (const c of cases) {
  test(`record ${c.kind} ${c.name}: payload decodes to the JSON view and back`, () => {
    const payload = fromHex(c.payload_hex);
    assert.equal(toHex(plainBlake3(payload)), c.payload_blake3);
    const v = decodeRecord(c.kind, payload);
    assert.ok(sameJson(v, c.value), JSON.stringify(v));
    assert.equal(v.kind, c.name);
    const e = encodeRecord(c.value);
    assert.equal(e.kind, c.kind);
    assert.equal(toHex(e.payload), c.payload_hex);
    // trailing bytes, truncation, another kind's tag
    assert.throws(() => decodeRecord(c.kind, concat(payload, Uint8Array.of(0))), /trailing/);
    assert.throws(() => decodeRecord(c.kind, payload.subarray(0, payload.length - 1)), VerifyError);
  });
}

test('a changed field changes the decoded view (no field is ignored)', () => {
  for (const c of cases) {
    const payload = fromHex(c.payload_hex);
    for (let i = 0; i < payload.length; i++) {
      const b = Uint8Array.from(payload);
      b[i] ^= 0x01;
      let v;
      try {
        v = decodeRecord(c.kind, b);
      } catch (e) {
        assert.ok(e instanceof VerifyError);
        continue;
      }
      assert.ok(!sameJson(v, c.value), `${c.name}: flipping byte ${i} went unnoticed`);
    }
  }
});

test('unknown kinds and garbage are refused', () => {
  assert.throws(() => decodeRecord(999, new Uint8Array(0)), /unknown record kind 999/);
  for (const c of cases) assert.throws(() => decodeRecord(c.kind, new Uint8Array(7).fill(0xff)), VerifyError);
  assert.throws(() => encodeRecord({ kind: 'nope' }), /unknown record kind/);
});

test('field rules of the Rust types hold: USCC, region, jurisdiction, keys, enums, bounds', () => {
  const op = cases.find((c) => c.name === 'operator_registration').value;
  const bad = [
    { ...op, uscc: 'Z1350100M000100Y43' }, // authority
    { ...op, uscc: '91350100M000100Y4' }, // length
    { ...op, uscc: '9135010OM000100Y43' }, // O not in the alphabet
    { ...op, region: '35010' },
    { ...op, sector: 'bakery' },
    { ...op, key: '0100000000000000000000000000000000000000000000000000000000000000' }, // small order
    { ...op, name: 'a'.repeat(129) },
    { ...op, name: 'tab\there' },
  ];
  for (const v of bad) assert.throws(() => encodeRecord(v), VerifyError, JSON.stringify(v).slice(0, 80));
  // a wrong check character is accepted by the decoder (the record rules judge it)
  const ok = { ...op, uscc: '91110108551385082A', check_override: true };
  assert.ok(sameJson(decodeRecord(1, encodeRecord(ok).payload), ok));
  const draw = cases.find((c) => c.name === 'random_draw_request').value;
  assert.throws(() => encodeRecord({ ...draw, jurisdiction: '350' }), /jurisdiction/);
  assert.ok(sameJson(decodeRecord(60, encodeRecord({ ...draw, jurisdiction: '' }).payload), { ...draw, jurisdiction: '' }));
  assert.throws(() => encodeRecord({ ...draw, sectors: Array(9).fill('shop') }), /at most 8/);
});

test('enum shapes: unit, struct and newtype variants round-trip', () => {
  const reg = cases.find((c) => c.name === 'instrument_registration').value;
  const life = { ...reg, mode: { fixed_service_life: { until: 1893456000 } } };
  assert.ok(sameJson(decodeRecord(20, encodeRecord(life).payload), life));
  const gov = cases.find((c) => c.name === 'governance_proposal').value;
  const params = {
    base_score: 100, thresholds: [90, 75, 60], penalty_points: [10, 25, 50],
    finding_points: [10, 10, 10, 20, 60, 60, 20, 60], finding_period: 31536000,
    severe_finding_period: 94608000, failed_instrument_points: 10, overdue_instrument_points: 5,
    commitment_bonus: 5, commendation_bonus: 10, clean_inspection_bonus: 3,
    clean_inspection_period: 31536000, max_clean_bonus: 9,
    publication_periods: [[7689600, 7948800], [7689600, 31622400], [31536000, 94694400]],
    first_verification_grace: 2592000, filing_grace: 2592000, severe_repair_wait: 31536000,
    sample_rates_ppm: [10000, 20000, 100000, 300000], min_governance_delay: 10,
  };
  for (const action of [
    { set_params: params },
    { set_catalogue_item: { code: '5.1', name: '电子计价秤', control: 'both', modes: ['periodic', 'fixed_service_life'] } },
    { remove_regulator: { key: gov.action.add_regulator.key } },
  ]) {
    const v = { ...gov, action };
    assert.ok(sameJson(decodeRecord(70, encodeRecord(v).payload), v), Object.keys(action)[0]);
  }
});

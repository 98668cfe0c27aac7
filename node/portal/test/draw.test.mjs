// Random draws recomputed bit for bit from the draw rows of contracts/conformance/state.json
// (their selections were computed by liangxin_contracts::draws::compute_selection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSelection, drawSeed, recomputeDraw } from '../src/lib/draw.js';
import { sameJson } from '../src/lib/json.js';
import { readJson } from './helpers.mjs';

const vectors = readJson('contracts/conformance/state.json');
const draws = vectors.rows.filter((r) => r.row === 'draw');

test('draw seeds: H_seed(block seed ‖ request tx id)', () => {
  assert.equal(vectors.draw_seeds.length, draws.length);
  vectors.draw_seeds.forEach((s, i) => {
    assert.equal(drawSeed(s.block_seed, s.request_tx), s.seed);
    assert.equal(draws[i].value.seed, s.seed);
  });
});

test('each proven draw row recomputes to its selection', () => {
  assert.ok(draws.some((d) => d.value.targets.length >= 6));
  for (const d of draws) assert.ok(sameJson(recomputeDraw(d.value), d.value.targets), d.name);
});

test('another seed, rate, pool or snapshot gives another selection', () => {
  const d = draws[0].value;
  const other = { ...d, seed: vectors.draw_seeds[1].seed };
  assert.ok(!sameJson(recomputeDraw(other), d.targets));
  assert.ok(!sameJson(recomputeDraw({ ...d, sample_rates_ppm: [0, 0, 0, 1000000] }), d.targets));
  assert.ok(!sameJson(recomputeDraw({ ...d, snapshot: d.snapshot.slice(1) }), d.targets));
  const pool = { ...d.request, inspectors: d.request.inspectors.slice().reverse() };
  assert.ok(!sameJson(recomputeDraw({ ...d, request: pool }), d.targets));
});

test('rates of 0 and 1,000,000 ppm select none and all of a grade', () => {
  const d = draws[0].value;
  const none = computeSelection(d.seed, d.request, [0, 0, 0, 0], d.snapshot);
  assert.equal(none.length, 0);
  const all = computeSelection(d.seed, d.request, [1000000, 1000000, 1000000, 1000000], d.snapshot);
  assert.equal(all.length, d.snapshot.length);
  for (const t of all) {
    const c = d.snapshot.find((x) => x.operator === t.operator);
    assert.equal(t.inspectors.length, d.request.inspectors_per_target);
    assert.ok(t.inspectors.every((i) => !c.last_inspectors.includes(i)));
    assert.ok(t.inspectors.every((i) => !d.request.exclusions.some((e) => e.operator === t.operator && e.inspector === i)));
  }
  assert.throws(() => computeSelection(d.seed, { ...d.request, inspectors_per_target: 9 }, d.sample_rates_ppm, d.snapshot), /eligible inspectors/);
});

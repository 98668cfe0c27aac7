/**
 * @module draw
 * Recomputes a random inspection draw (双随机) exactly as `contracts/src/draws.rs` does
 * (normative algorithm there and in `docs/records.md` §6): the seed
 * `H_seed(block_seed ‖ request tx id)`, a stream of 8-byte little-endian words from BLAKE3's
 * keyed XOF (key = seed, empty message), unbiased `below(n)`, per-grade sample sizes with a
 * random fractional part, partial Fisher–Yates shuffles of each grade's candidates, then of
 * each target's eligible inspectors.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { VerifyError } from './errors.js';
import { concat, fromHex, toHex } from './hex.js';
import { CONTEXT, deriveKey } from './hash.js';

const PPM = 1_000_000n;
const U64 = 2n ** 64n;
const GRADES = ['A', 'B', 'C', 'D'];

/**
 * The draw seed: `H_seed(block_seed ‖ request tx id)`, hex.
 * @param {string} blockSeedHex
 * @param {string} requestTxIdHex
 */
export function drawSeed(blockSeedHex, requestTxIdHex) {
  return toHex(deriveKey(CONTEXT.seed, concat(fromHex(blockSeedHex, 32, 'block seed'), fromHex(requestTxIdHex, 32, 'request tx id'))));
}

/** The word stream of one draw. */
class Stream {
  /** @param {Uint8Array} seed */
  constructor(seed) {
    this.xof = blake3.create({ key: seed });
    this.buf = new Uint8Array(0);
    this.pos = 0;
  }

  nextU64() {
    if (this.pos >= this.buf.length) {
      this.buf = this.xof.xof(64);
      this.pos = 0;
    }
    let w = 0n;
    for (let i = 7; i >= 0; i--) w = (w << 8n) | BigInt(this.buf[this.pos + i]);
    this.pos += 8;
    return w;
  }

  /** Uniform in `[0, n)`, `n ≥ 1` (rejection sampling; `below(1)` consumes one word). */
  below(n) {
    const m = n < 1n ? 1n : n;
    const r = U64 % m;
    for (;;) {
      const w = this.nextU64();
      if (w <= U64 - 1n - r) return w % m;
    }
  }

  partialShuffle(items, k) {
    const n = items.length;
    for (let i = 0; i < Math.min(k, n); i++) {
      const j = i + Number(this.below(BigInt(n - i)));
      [items[i], items[j]] = [items[j], items[i]];
    }
  }
}

function sampleSize(stream, n, ratePpm) {
  const rate = BigInt(Math.min(ratePpm, 1_000_000));
  const prod = BigInt(n) * rate;
  let k = prod / PPM;
  const frac = prod % PPM;
  if (frac > 0n && stream.below(PPM) < frac) k += 1n;
  return Math.min(Number(k), n);
}

function eligible(request, c) {
  return request.inspectors.filter((i) => !c.last_inspectors.includes(i) &&
    !request.exclusions.some((e) => e.operator === c.operator && e.inspector === i));
}

/**
 * The selection (`compute_selection`): targets `[{operator, grade, inspectors}]` in draw
 * order. Throws {@link VerifyError} when the request is infeasible for the candidates (a
 * candidate of a grade with a non-zero rate has fewer eligible inspectors than needed), as
 * the contracts reject such a request before drawing.
 * @param {string} seedHex
 * @param {{inspectors: string[], exclusions: Array<{inspector: string, operator: string}>, inspectors_per_target: number}} request
 * @param {number[]} sampleRatesPpm A–D
 * @param {Array<{operator: string, grade: string, last_inspectors: string[]}>} candidates
 */
export function computeSelection(seedHex, request, sampleRatesPpm, candidates) {
  const m = request.inspectors_per_target;
  for (const c of candidates) {
    if (sampleRatesPpm[GRADES.indexOf(c.grade)] === 0) continue;
    const n = eligible(request, c).length;
    if (n < m) throw new VerifyError(`draw: operator ${c.operator} has ${n} eligible inspectors, ${m} are needed`);
  }
  const stream = new Stream(fromHex(seedHex, 32, 'draw seed'));
  const selected = [];
  GRADES.forEach((g, gi) => {
    const cg = candidates.filter((c) => c.grade === g);
    const k = sampleSize(stream, cg.length, sampleRatesPpm[gi]);
    stream.partialShuffle(cg, k);
    selected.push(...cg.slice(0, k));
  });
  return selected.map((c) => {
    const pool = eligible(request, c);
    stream.partialShuffle(pool, m);
    return { operator: c.operator, grade: c.grade, inspectors: pool.slice(0, m) };
  });
}

/**
 * Recomputes the selection of a proven `draw` row (its JSON view) from its seed, request,
 * rates and candidates snapshot.
 * @param {{seed: string, request: object, sample_rates_ppm: number[], snapshot: object[]}} drawRow
 */
export function recomputeDraw(drawRow) {
  return computeSelection(drawRow.seed, drawRow.request, drawRow.sample_rates_ppm, drawRow.snapshot);
}

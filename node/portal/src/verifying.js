/**
 * Between the pages and the verification library: the pinned trust (`/portal/trust.json`,
 * written by the node from its genesis), inclusion proofs fetched in JSON-RPC batches, the
 * light-client link between checkpoints (a consistency proof from the last checkpoint this
 * browser verified, kept in localStorage), and the time each verification took.
 */

import { call, batch } from './rpc.js';
import { verifyCheckpoint } from './lib/note.js';
import { verifyConsistency } from './lib/log.js';
import { txId } from './lib/hash.js';
import { fromHex } from './lib/hex.js';
import { preverify } from './lib/ed25519.js';
import { decodeSignedTx } from './lib/tx.js';
import { usccProblem, usccCheckChar } from './lib/schema.js';
import { followValidatorSets, setAt } from './lib/validators.js';
import {
  verifyEntries,
  verifyOperatorAnswer,
  verifyInstrumentAnswer,
  verifyCertificateAnswer,
  verifyDrawAnswer,
  proofsFrom,
} from './lib/verify.js';

let trust = null;

/**
 * Loads the pinned validator set once (`trust.json`: `{chain_id, genesis_hash, validators,
 * quorum}`, the genesis set), then follows it to today's through `lx_validatorSets`: each
 * change is signed by the set before it and proven under that block's state root. `sets` is
 * `[{from, trust}]`; `followError` says why following failed (every verdict then fails).
 */
export async function loadTrust() {
  if (trust) return trust;
  const r = await fetch('trust.json', { cache: 'no-cache' });
  if (!r.ok) throw new Error(`trust.json: HTTP ${r.status}`);
  const t = await r.json();
  const pinned = { chainId: t.chain_id, validators: t.validators, quorum: t.quorum };
  let sets = [{ from: 1, trust: pinned }];
  let followError = null;
  let changes = 0;
  try {
    const answer = await call('lx_validatorSets', []);
    sets = followValidatorSets(pinned, answer);
    changes = answer.changes.length;
  } catch (e) {
    followError = `the validator set could not be followed from genesis: ${e?.message ?? e}`;
  }
  const current = sets[sets.length - 1].trust;
  trust = { ...t, chainId: t.chain_id, pinned, sets, changes, followError, current };
  return trust;
}

/** The set that signs checkpoints of `height`. */
function trustAt(t, height) {
  return setAt(t.sets, Number.isSafeInteger(height) ? height : Number.MAX_SAFE_INTEGER);
}

/** Puts the outcome of following the set first among the checks (a failure fails the report). */
function followCheck(t, report) {
  if (t.followError) {
    report.checks.unshift({ what: 'validator set', ok: false, detail: t.followError });
    report.ok = false;
  } else if (t.changes) {
    report.checks.unshift({ what: 'validator set', ok: true, detail: `followed from the genesis validators through ${t.changes} proven change(s)` });
  }
}

/**
 * Why a USCC is invalid (a sentence naming the expected check character), or null. A code with
 * a wrong check character may still be registered (a regulator's override): `lenient` lets the
 * caller look it up anyway.
 */
export function usccError(code) {
  const p = usccProblem(code);
  if (p) return p;
  const want = usccCheckChar(code.slice(0, 17));
  return code[17] === want ? null : `check character is '${code[17]}', expected '${want}'`;
}

/** All inclusion proofs for `entries` under a log of `size` leaves, in batches. */
async function proofs(entries, size) {
  const list = (entries ?? []).filter((e) => Number.isSafeInteger(e?.leaf_index) && e.leaf_index < size);
  const got = await batch(list.map((e) => ['lx_inclusionProof', [e.leaf_index, size]]));
  const map = new Map();
  list.forEach((e, i) => map.set(e.leaf_index, got[i]));
  return map;
}

const STORE_KEY = () => `lx-checkpoint-${trust?.chain_id ?? ''}`;

/**
 * Links a verified checkpoint to the last one this browser verified (consistency proof), and
 * remembers the newer. Adds a check to the report; a failure fails the report.
 */
async function link(report) {
  const cp = report.checkpoint;
  if (!report.ok || !cp) return;
  let seen = null;
  try {
    seen = JSON.parse(localStorage.getItem(STORE_KEY()) ?? 'null');
  } catch {
    seen = null;
  }
  const remember = () => {
    try {
      localStorage.setItem(STORE_KEY(), JSON.stringify({ height: cp.height, log_size: cp.log_size, root: cp.root }));
    } catch {
      // Not remembered: the next page starts again from its own checkpoint.
    }
  };
  const add = (ok, detail) => {
    report.checks.push({ what: 'consistency', ok, detail });
    if (!ok) report.ok = false;
  };
  if (!seen || !Number.isSafeInteger(seen.log_size) || typeof seen.root !== 'string') {
    remember();
    add(true, 'first checkpoint this browser has seen: trusted on its signatures');
    return;
  }
  try {
    if (seen.log_size === cp.log_size) {
      if (seen.root !== cp.root) throw new Error(`log size ${cp.log_size} has another root than the checkpoint seen before: a fork`);
      add(true, `same log as checkpoint #${seen.height} seen before`);
    } else if (seen.log_size === 0 || cp.log_size === 0) {
      if (cp.log_size < seen.log_size) throw new Error('an empty log after a non-empty one: a rollback');
      add(true, `extends the empty log seen before`);
      remember();
    } else if (seen.log_size < cp.log_size) {
      const p = await call('lx_consistencyProof', [seen.log_size, cp.log_size]);
      verifyConsistency(seen.log_size, cp.log_size, seen.root, cp.root, p.hashes);
      add(true, `consistent with checkpoint #${seen.height} seen before (log ${seen.log_size} → ${cp.log_size})`);
      remember();
    } else {
      const p = await call('lx_consistencyProof', [cp.log_size, seen.log_size]);
      verifyConsistency(cp.log_size, seen.log_size, cp.root, seen.root, p.hashes);
      add(true, `an older view of the log of checkpoint #${seen.height} seen before`);
    }
  } catch (e) {
    add(false, `not consistent with checkpoint #${seen.height} this browser verified before: ${e?.message ?? e}`);
  }
}

/** Adds each entry's tx id (from its bytes) so pages can link entries by id. */
function withIds(entries) {
  for (const e of entries ?? []) {
    try {
      e.tx_id = txId(fromHex(e.tx));
    } catch {
      e.tx_id = null;
    }
  }
}

/**
 * Has the browser's own Ed25519 (WebCrypto) check the entries' signatures in parallel first:
 * only an accelerator (`preverify` in lib/ed25519.js): the verdict is the library's.
 */
function signatures(entries) {
  const items = [];
  for (const e of entries ?? []) {
    try {
      const tx = decodeSignedTx(fromHex(e.tx));
      items.push({ publicKey: fromHex(tx.signer, 32), message: tx.message, sig: fromHex(tx.signature, 64) });
    } catch {
      // The verification proper reports it.
    }
  }
  return preverify(items).catch(() => 0);
}

async function run(answer, entries, verify) {
  const started = performance.now();
  const t = await loadTrust();
  const t0 = performance.now();
  const [fetched] = await Promise.all([
    proofs(entries, answer?.checkpoint?.log_size ?? 0).catch(() => new Map()),
    signatures(entries),
  ]);
  const fetchedAt = performance.now();
  const report = await verify(answer, trustAt(t, answer?.checkpoint?.height), proofsFrom(fetched));
  followCheck(t, report);
  await link(report);
  withIds(entries);
  report.ms = performance.now() - started;
  // Where the time went: proofs fetched (with the signatures' WebCrypto pass alongside), then
  // the checks themselves.
  report.proofsMs = fetchedAt - t0;
  globalThis.__lxLastVerification = { ok: report.ok, ms: report.ms, proofsMs: report.proofsMs, entries: (entries ?? []).length };
  return report;
}

/** Verifies an `lx_operator` answer. */
export function verifyOperator(answer) {
  return run(answer, answer?.entries, (a, t, f) => verifyOperatorAnswer(a, t, f, {}));
}

/** Verifies an `lx_instrument` answer. */
export function verifyInstrument(answer) {
  return run(answer, answer?.entries, (a, t, f) => verifyInstrumentAnswer(a, t, f, {}));
}

/** Verifies an `lx_certificate` answer. */
export function verifyCertificate(answer) {
  return run(answer, answer?.record ? [answer.record] : [], (a, t, f) => verifyCertificateAnswer(a, t, f, {}));
}

/** Verifies an `lx_draw` answer; `report.recomputed` says whether the selection was recomputed and matched. */
export async function verifyDraw(answer) {
  const report = await run(answer, answer?.request_entry ? [answer.request_entry] : [], (a, t, f) => verifyDrawAnswer(a, t, f, {}));
  const sel = report.checks.find((c) => c.what === 'selection');
  report.recomputed = sel ? sel.ok : undefined;
  return report;
}

/**
 * The newest `n` entries under the latest checkpoint, verified: the checkpoint's signatures,
 * its link to the last one seen, and each entry's inclusion.
 */
export async function verifyFeed(n) {
  const started = performance.now();
  const t = await loadTrust();
  const checkpoint = await call('lx_checkpoint', []);
  const report = { ok: true, checks: [], notProven: [], checkpoint: null };
  let cp;
  try {
    cp = verifyCheckpoint(checkpoint, trustAt(t, checkpoint?.height));
    report.checkpoint = cp;
    report.checks.push({ what: 'checkpoint', ok: true, detail: `height ${cp.height}, signed by ${cp.signers.join(', ')}` });
  } catch (e) {
    report.ok = false;
    report.checkpoint = { height: checkpoint?.height, signers: [], validators: t.current.validators.length, quorum: t.current.quorum };
    report.checks.push({ what: 'checkpoint', ok: false, detail: e?.message ?? String(e) });
    followCheck(t, report);
    return { report, entries: [], checkpoint };
  }
  const size = cp.log_size;
  let entries = [];
  if (size > 0) {
    entries = await call('lx_entries', [Math.max(0, size - n), size]);
    const [fetched] = await Promise.all([proofs(entries, size), signatures(entries)]);
    const r = await verifyEntries(entries, cp, proofsFrom(fetched));
    report.checks.push(...r.checks);
    if (!r.ok) report.ok = false;
  }
  followCheck(t, report);
  await link(report);
  report.ms = performance.now() - started;
  return { report, entries, checkpoint };
}

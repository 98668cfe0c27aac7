/**
 * @module verify
 * Checks of whole RPC answers (`lx_operator`, `lx_instrument`, `lx_certificate`, `lx_draw`),
 * mirroring the Rust SDK (`sdk/src/verify.rs`, `Client::verify_*`): the checkpoint against a
 * pinned validator set, every entry's inclusion, chain, signature and record, the state proofs
 * against the checkpoint's state root, and that what the answer shows is what the proven rows
 * hold.
 *
 * **Inclusion proofs are fetched through a callback.** Each function takes
 * `fetchProof(leafIndex, treeSize)`, which returns (or resolves to) the result of
 * `lx_inclusionProof(leafIndex, treeSize)`: `{leaf_index, tree_size, hashes}` (or just
 * `{hashes}`). The page passes a function that calls the node; tests and tools that already
 * hold the proofs use {@link proofsFrom}. The functions are therefore `async`.
 *
 * **They never throw on bad input.** Each returns a report
 * `{ok, checkpoint, checks: [{what, ok, detail}], proven, notProven, stateProof, entriesIncluded}`:
 * `ok` is true only when every check passed; a failed check's `detail` says exactly what
 * failed. `stateProof` is `"verified"`, `"not_provided"` (the node sent `null`: the facts read
 * from state are the node's word, listed in `notProven`) or `"failed"`. What proofs do not
 * cover (a grade, instrument statuses, the end of a certificate's validity against the block
 * time) is listed in `notProven`, as the SDK does.
 *
 * Beyond the SDK, these also check that a certificate's record entry is the certificate row's
 * transaction and carries the digest asked about, that a draw's request entry is the draw's
 * id, that `request_height` is the proven one, and, when resolved, that the block seed is the
 * resolving header's VRF output by a trusted validator and that the header is final under a
 * quorum-signed checkpoint ({@link module:vrf}),
 * that the seed derives from the block seed, and that the selection is what the seed gives
 * (recomputed with {@link module:draw}).
 */
import { computeSelection, drawSeed } from './draw.js';
import { VerifyError } from './errors.js';
import { fromHex, toHex } from './hex.js';
import { leafHash } from './hash.js';
import { verifyInclusion } from './log.js';
import { verifyCheckpoint } from './note.js';
import { decodeRecord } from './records.js';
import { sameJson } from './json.js';
import { decodeStateValue, entryChain, stateKeys, verifyStateProof } from './state.js';
import { decodeVerifiedTx } from './tx.js';
import { MAX_TX_SIZE } from './bcs.js';
import { usccProblem } from './schema.js';
import { blockSeedOf, checkFinalHeader } from './vrf.js';

const ZERO_CHAIN = { count: 0, head: '0'.repeat(64) };

/**
 * A `fetchProof` over proofs already at hand: a `Map` or plain object from leaf index to
 * `{hashes}` (or an `lx_inclusionProof` result).
 * @param {Map<number, {hashes: string[]}> | Record<string, {hashes: string[]}>} proofs
 * @returns {(leafIndex: number, treeSize: number) => Promise<{hashes: string[]}>}
 */
export function proofsFrom(proofs) {
  return async (leafIndex) => {
    const p = proofs instanceof Map ? proofs.get(leafIndex) : proofs?.[leafIndex];
    if (!p) throw new VerifyError(`no inclusion proof of leaf ${leafIndex} was given`);
    return p;
  };
}

/**
 * Verifies one entry under a verified checkpoint with its inclusion proof: the proof is for
 * the entry's leaf and the checkpoint's size, the `tx` bytes are that leaf under the root, they
 * decode to a transaction for the checkpoint's chain whose signature verifies, and `record` is
 * the record they carry. Throws {@link VerifyError}; returns the transaction.
 * @param {{leaf_index: number, tx: string, record: object}} entry
 * @param {{leaf_index?: number, tree_size?: number, hashes: string[]}} proof
 * @param {import('./note.js').VerifiedCheckpoint} checkpoint
 */
export function verifyEntry(entry, proof, checkpoint) {
  const leaf = entry?.leaf_index;
  if (!Number.isSafeInteger(leaf) || leaf < 0) throw new VerifyError('an entry has no valid leaf_index');
  if (proof?.leaf_index !== undefined && proof.leaf_index !== leaf) {
    throw new VerifyError(`inclusion proof is for leaf ${proof.leaf_index}, the entry is leaf ${leaf}`);
  }
  if (proof?.tree_size !== undefined && proof.tree_size !== checkpoint.log_size) {
    throw new VerifyError(`inclusion proof is for a log of ${proof.tree_size} leaves, the checkpoint has ${checkpoint.log_size}`);
  }
  if (typeof entry.tx !== 'string' || entry.tx.length > 2 * MAX_TX_SIZE) {
    throw new VerifyError(`entry ${leaf}: tx is missing or longer than a transaction can be`);
  }
  const bytes = fromHex(entry.tx, undefined, `entry ${leaf} tx`);
  try {
    verifyInclusion(leaf, checkpoint.log_size, leafHash(bytes), proof?.hashes, checkpoint.root);
  } catch (e) {
    throw new VerifyError(`leaf ${leaf} under the checkpoint at height ${checkpoint.height}: ${e.message}`);
  }
  let tx;
  try {
    tx = decodeVerifiedTx(bytes, checkpoint.chain_id);
  } catch (e) {
    throw new VerifyError(`entry ${leaf}: the included bytes are not a valid transaction: ${e.message}`);
  }
  let record;
  try {
    record = decodeRecord(tx.kind, tx.payload);
  } catch (e) {
    throw new VerifyError(`entry ${leaf}: record: ${e.message}`);
  }
  if (!sameJson(record, entry.record)) {
    throw new VerifyError(`entry ${leaf}: the record shown is not the record its signed bytes carry`);
  }
  return { ...tx, record };
}

/** Collects checks. */
class Report {
  constructor() {
    this.checks = [];
    this.proven = [];
    this.notProven = [];
    this.checkpoint = null;
    this.stateProof = 'not_provided';
    this.entriesIncluded = [];
  }
  pass(what, detail) {
    this.checks.push({ what, ok: true, detail });
  }
  fail(what, detail) {
    this.checks.push({ what, ok: false, detail });
  }
  /** Runs `fn`; a throw becomes a failed check. Returns fn's value or undefined. */
  async run(what, fn) {
    try {
      const r = await fn();
      if (typeof r === 'string') this.pass(what, r);
      return r;
    } catch (e) {
      this.fail(what, e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }
  done() {
    return {
      ok: this.checks.length > 0 && this.checks.every((c) => c.ok),
      checkpoint: this.checkpoint && {
        height: this.checkpoint.height,
        log_size: this.checkpoint.log_size,
        root: this.checkpoint.root,
        state_root: this.checkpoint.state_root,
        signers: this.checkpoint.signers,
        quorum: this.checkpoint.quorum,
        validators: this.checkpoint.validators,
      },
      checks: this.checks,
      proven: this.proven,
      notProven: this.notProven,
      stateProof: this.stateProof,
      entriesIncluded: this.entriesIncluded,
    };
  }
}

/**
 * Verifies a list of entries under a verified checkpoint, fetching each inclusion proof.
 * Never throws: returns `{ok, checks, included}` (one check for the list, naming the first
 * failure).
 * @param {Array<{leaf_index: number, tx: string, record: object}>} entries
 * @param {import('./note.js').VerifiedCheckpoint} checkpoint from {@link verifyCheckpoint}
 * @param {(leafIndex: number, treeSize: number) => Promise<object> | object} fetchProof
 * @returns {Promise<{ok: boolean, checks: Array<{what: string, ok: boolean, detail: string}>, included: number[], txs: object[]}>}
 */
export async function verifyEntries(entries, checkpoint, fetchProof) {
  const included = [];
  const txs = [];
  const what = 'entries';
  if (!Array.isArray(entries)) {
    return { ok: false, checks: [{ what, ok: false, detail: 'the answer has no entry list' }], included, txs };
  }
  for (const e of entries) {
    try {
      let proof;
      try {
        proof = await fetchProof(e?.leaf_index, checkpoint.log_size);
      } catch (err) {
        throw new VerifyError(`could not get the inclusion proof of leaf ${e?.leaf_index}: ${err?.message ?? err}`);
      }
      txs.push(verifyEntry(e, proof, checkpoint));
      included.push(e.leaf_index);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return { ok: false, checks: [{ what, ok: false, detail }], included, txs };
    }
  }
  const detail = entries.length === 0
    ? 'no entries to verify'
    : `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} verified (bytes under the root, signature, record): ${included.join(', ')}`;
  return { ok: true, checks: [{ what, ok: true, detail }], included, txs };
}

/**
 * The proven rows of a `state_proof` value: `null` when the node sent none; otherwise every
 * row's proof verified against the checkpoint's state root, as `[{row, key, value}]` with
 * the key and value as bytes (`value: null` = proven absent).
 */
function provenRows(stateProof, stateRoot) {
  if (stateProof === null || stateProof === undefined) return null;
  if (typeof stateProof !== 'object' || !Array.isArray(stateProof.rows)) {
    throw new VerifyError('state_proof is not {state_root, rows}');
  }
  if (stateProof.state_root !== stateRoot) {
    throw new VerifyError(`the proofs are for state root ${stateProof.state_root}, the checkpoint's is ${stateRoot}`);
  }
  return stateProof.rows.map((row) => {
    const name = String(row?.row);
    const key = fromHex(row?.key, undefined, `state_proof row ${name} key`);
    const value = row?.value === null ? null : fromHex(row?.value, undefined, `state_proof row ${name} value`);
    try {
      verifyStateProof(stateRoot, key, value, row.proof);
    } catch (e) {
      throw new VerifyError(`row ${name}: ${e.message}`);
    }
    return { row: name, key, value };
  });
}

/** The decoded value of the proven row `name` with key `key` (`null`: proven absent). */
function rowValue(rows, name, key) {
  const hexKey = toHex(key);
  const r = rows.find((x) => x.row === name && toHex(x.key) === hexKey);
  if (!r) throw new VerifyError(`no proof of the ${name} row of this answer`);
  if (r.value === null) return null;
  try {
    return decodeStateValue(name, r.value);
  } catch (e) {
    throw new VerifyError(`row ${name}: ${e.message}`);
  }
}

const mismatch = (what) => new VerifyError(`the answer's ${what} is not what the proven state holds`);

/**
 * The common part: checkpoint, entries, state proof rows. Returns the rows (null when none
 * were sent or they failed) or undefined when the checkpoint failed.
 */
async function common(report, answer, trust, fetchProof, entries) {
  const cp = await report.run('checkpoint', () => {
    const v = verifyCheckpoint(answer?.checkpoint, trust);
    report.checkpoint = v;
    return v;
  });
  if (!cp) return undefined;
  report.pass('checkpoint', `height ${cp.height}, log size ${cp.log_size}; signed by ${cp.signers.length} of ${cp.validators} validators (quorum ${cp.quorum}): ${cp.signers.join(', ')}`);
  const ent = await verifyEntries(entries, cp, fetchProof);
  report.checks.push(...ent.checks);
  report.entriesIncluded = ent.included;
  let rows = null;
  await report.run('state proof', () => {
    rows = provenRows(answer.state_proof, cp.state_root);
    if (rows === null) return 'the node sent no state proof: facts read from state are not proven';
    report.stateProof = 'verified';
    return `${rows.length} rows verified against the state root ${cp.state_root}`;
  });
  if (report.checks.at(-1).ok === false) report.stateProof = 'failed';
  return { cp, rows, txs: ent.txs };
}

function chainMatches(rows, name, key, entries) {
  const proven = rowValue(rows, name, key) ?? ZERO_CHAIN;
  const got = entryChain(entries);
  if (!sameJson(proven, got)) {
    throw new VerifyError(`the entry list (${entries.length} entries) is not the proven one (${proven.count} entries): an entry is missing, extra or out of order`);
  }
  return `the entry list is complete and in log order (${got.count} entries)`;
}

/** Runs the state comparisons in `fn` when rows are present; records what stays unproven. */
async function stateChecks(report, rows, provenWhat, notProvenWhat, fn) {
  if (rows === null || rows === undefined) {
    if (report.stateProof === 'not_provided') report.notProven.push(...provenWhat, ...notProvenWhat);
    return;
  }
  const before = report.checks.length;
  await fn();
  if (report.checks.slice(before).some((c) => !c.ok)) report.stateProof = 'failed';
  else report.proven.push(...provenWhat);
  report.notProven.push(...notProvenWhat);
}

/**
 * Verifies an `lx_operator` answer: the checkpoint, every entry, and against the proven
 * rows the profile and that the entry list is complete. Not proven: the grade and the
 * instruments' statuses.
 * @param {object} answer the `result` of `lx_operator`
 * @param {{chainId: string, validators: Array<{name: string, public_key: string}>, quorum: number}} trust
 * @param {(leafIndex: number, treeSize: number) => Promise<object> | object} fetchProof
 * @param {{uscc?: string}} [asked] what was asked, to check the answer is about it
 */
export async function verifyOperatorAnswer(answer, trust, fetchProof, asked = {}) {
  const report = new Report();
  try {
    if (typeof answer?.uscc !== 'string' || usccProblem(answer.uscc)) {
      report.fail('subject', 'the answer has no valid uscc');
      return report.done();
    }
    if (asked.uscc !== undefined && asked.uscc !== answer.uscc) {
      report.fail('subject', `the answer is about ${answer.uscc}, not ${asked.uscc}`);
    }
    const c = await common(report, answer, trust, fetchProof, answer.entries);
    if (!c) return report.done();
    await stateChecks(report, c.rows, ['profile', 'the entry list is complete'], ['grade', 'instruments'], async () => {
      await report.run('profile', () => {
        const profile = rowValue(c.rows, 'operator', stateKeys.operator(answer.uscc));
        if (profile === null || !sameJson(profile, answer.profile)) throw mismatch('operator profile');
        return 'the profile is the proven operator row';
      });
      await report.run('entry list', () =>
        chainMatches(c.rows, 'operator_entries', stateKeys.operatorEntries(answer.uscc), answer.entries));
    });
  } catch (e) {
    report.fail('answer', `malformed answer: ${e?.message ?? e}`);
  }
  return report.done();
}

/**
 * Verifies an `lx_instrument` answer: the checkpoint, every entry, the state and the entry
 * list's completeness against the proven rows. Not proven: the status (computed from the
 * state and the block time).
 * @param {object} answer
 * @param {object} trust
 * @param {(leafIndex: number, treeSize: number) => Promise<object> | object} fetchProof
 * @param {{id?: {owner: string, category: string, serial: string}}} [asked]
 */
export async function verifyInstrumentAnswer(answer, trust, fetchProof, asked = {}) {
  const report = new Report();
  try {
    const id = answer?.id;
    let key;
    try {
      key = stateKeys.instrument(id);
    } catch (e) {
      report.fail('subject', `the answer has no valid instrument id: ${e.message}`);
      return report.done();
    }
    if (asked.id !== undefined && !sameJson(asked.id, id)) {
      report.fail('subject', 'the answer is about another instrument than the one asked');
    }
    const c = await common(report, answer, trust, fetchProof, answer.entries);
    if (!c) return report.done();
    await stateChecks(report, c.rows, ['instrument state', 'the entry list is complete'],
      ['status (computed from the state and the block time)'], async () => {
        await report.run('instrument state', () => {
          const state = rowValue(c.rows, 'instrument', key);
          if (state === null || !sameJson(state, answer.state)) throw mismatch('instrument state');
          return 'the state is the proven instrument row';
        });
        await report.run('entry list', () =>
          chainMatches(c.rows, 'instrument_entries', stateKeys.instrumentEntries(id), answer.entries));
      });
  } catch (e) {
    report.fail('answer', `malformed answer: ${e?.message ?? e}`);
  }
  return report.done();
}

/**
 * Verifies an `lx_certificate` answer: the checkpoint, the verification record's entry (when
 * on the ledger: it must be the certificate row's transaction and carry this digest), the
 * presence or proven absence of the certificate row, and, when `valid` is claimed, that the
 * proven instrument's latest verification is this certificate, a pass, and not retired. Not
 * proven: the end of validity against the block time.
 * @param {object} answer
 * @param {object} trust
 * @param {(leafIndex: number, treeSize: number) => Promise<object> | object} fetchProof
 * @param {{digest?: string}} [asked]
 */
export async function verifyCertificateAnswer(answer, trust, fetchProof, asked = {}) {
  const report = new Report();
  try {
    let key;
    try {
      key = stateKeys.certificate(answer?.digest);
    } catch (e) {
      report.fail('subject', `the answer has no valid digest: ${e.message}`);
      return report.done();
    }
    if (asked.digest !== undefined && asked.digest !== answer.digest) {
      report.fail('subject', `the answer is about digest ${answer.digest}, not ${asked.digest}`);
    }
    const entries = answer.record === undefined || answer.record === null ? [] : [answer.record];
    const c = await common(report, answer, trust, fetchProof, entries);
    if (!c) return report.done();
    await report.run('certificate record', () => {
      if (!answer.on_ledger) {
        if (entries.length || answer.entry) throw new VerifyError('the answer says not on the ledger but shows a record');
        if (answer.valid) throw new VerifyError('a certificate that is not on the ledger cannot be valid');
        return 'not on the ledger: no record shown';
      }
      if (!entries.length || !answer.entry) throw new VerifyError('on the ledger, but no record or entry is shown');
      const tx = c.txs[0];
      if (!tx) throw new VerifyError('the record entry did not verify');
      const r = tx.record;
      if (r.kind !== 'verification_result' || r.certificate_digest !== answer.digest) {
        throw new VerifyError('the record shown is not a verification result carrying this digest');
      }
      if (tx.id !== answer.entry.tx) throw new VerifyError("the record shown is not the certificate entry's transaction");
      return 'the record is the verification result that carries this digest';
    });
    await stateChecks(report, c.rows,
      answer.on_ledger ? ['the certificate entry', "its instrument's latest verification"] : ['the certificate is not on the ledger'],
      answer.on_ledger ? ['the end of validity against the block time'] : [], async () => {
        await report.run('certificate', () => {
          const entry = rowValue(c.rows, 'certificate', key);
          if ((entry !== null) !== Boolean(answer.on_ledger) || !sameJson(entry, answer.entry ?? null)) {
            throw mismatch('certificate');
          }
          if (entry === null) return 'proven absent: the certificate is not on the ledger';
          const instrument = rowValue(c.rows, 'instrument', stateKeys.instrument(entry.instrument));
          if (answer.valid) {
            const current = instrument !== null && instrument.retired === null &&
              instrument.last_verification !== null && instrument.last_verification.tx === entry.tx;
            if (!entry.passed || !current) {
              throw mismatch('validity (the proven state says superseded, retired or failed)');
            }
          }
          return 'the entry is the proven certificate row' + (answer.valid ? ", the instrument's latest verification, not retired" : '');
        });
      });
  } catch (e) {
    report.fail('answer', `malformed answer: ${e?.message ?? e}`);
  }
  return report.done();
}

/**
 * Verifies an `lx_draw` answer: the checkpoint, the request entry (it must be the draw's id
 * and carry the request shown), when resolved the seed's derivation from the block seed and
 * the selection recomputed from seed, request, rates and candidates, and the proven `draw`
 * (or `pending_draw`) row. Not proven: that the snapshot lists the jurisdiction's operators
 * with their grades.
 * @param {object} answer
 * @param {object} trust
 * @param {(leafIndex: number, treeSize: number) => Promise<object> | object} fetchProof
 * @param {{id?: string}} [asked]
 */
export async function verifyDrawAnswer(answer, trust, fetchProof, asked = {}) {
  const report = new Report();
  try {
    let drawKey;
    let pendingKey;
    try {
      drawKey = stateKeys.draw(answer?.id);
      pendingKey = stateKeys.pendingDraw(answer.id);
    } catch (e) {
      report.fail('subject', `the answer has no valid draw id: ${e.message}`);
      return report.done();
    }
    if (asked.id !== undefined && asked.id !== answer.id) {
      report.fail('subject', `the answer is about draw ${answer.id}, not ${asked.id}`);
    }
    const c = await common(report, answer, trust, fetchProof, [answer.request_entry]);
    if (!c) return report.done();
    await report.run('request', () => {
      const tx = c.txs[0];
      if (!tx) throw new VerifyError('the request entry did not verify');
      if (tx.id !== answer.id) throw new VerifyError("the request entry is not the draw's request (its tx id differs)");
      if (!sameJson(tx.record, { kind: 'random_draw_request', ...answer.request })) {
        throw new VerifyError("the draw's request is not the record of its request entry");
      }
      return 'the request is the record of the draw\'s request entry';
    });
    const res = answer.resolution ?? null;
    if (res !== null) {
      await report.run('block seed', () => {
        const header = res.header;
        if (header?.height !== res.height) throw new VerifyError('the header shown is not of the resolving block\'s height');
        const v = trust.validators.find((x) => x.public_key === header.proposer);
        if (!v) throw new VerifyError('the resolving block\'s proposer is not a trusted validator');
        let seed;
        try {
          seed = blockSeedOf(header);
        } catch (e) {
          throw new VerifyError(`the resolving block's seed proof: ${e.message}`);
        }
        if (seed !== res.block_seed) throw new VerifyError('the block seed is not the resolving block\'s VRF output');
        const fin = verifyCheckpoint(res.final_checkpoint, trust);
        try {
          checkFinalHeader(header, res.descendants, fin);
        } catch (e) {
          throw new VerifyError(e.message);
        }
        return `the block seed is ${v.name}'s VRF output for height ${res.height}, a block final under a quorum`;
      });
      await report.run('selection', () => {
        if (drawSeed(res.block_seed, answer.id) !== res.seed) {
          throw new VerifyError('the draw seed is not derived from the block seed and the request');
        }
        const selection = computeSelection(res.seed, answer.request, answer.sample_rates_ppm, answer.candidates);
        if (!sameJson(selection, res.targets)) throw new VerifyError('the selection shown is not the one the seed gives');
        return `the selection (${selection.length} targets) is the one the seed gives`;
      });
    }
    await stateChecks(report, c.rows, ['request', 'sample rates', 'candidates snapshot', ...(res ? ['seed and selection'] : [])],
      ['that the snapshot lists the jurisdiction\'s operators with their grades',
      ], async () => {
        await report.run('draw', () => {
          if (res !== null) {
            const d = rowValue(c.rows, 'draw', drawKey);
            if (d === null) throw mismatch('draw (the proven state has no result)');
            const same = sameJson(d.request, answer.request) && d.seed === res.seed &&
              d.height === res.height && sameJson(d.targets, res.targets) &&
              sameJson(d.snapshot, answer.candidates) && sameJson(d.sample_rates_ppm, answer.sample_rates_ppm) &&
              d.request_height === answer.request_height;
            if (!same) throw mismatch('draw result');
            return 'request, rates, candidates, seed and selection are the proven draw row';
          }
          const p = rowValue(c.rows, 'pending_draw', pendingKey);
          if (p === null) throw mismatch('pending draw (the proven state has none)');
          if (!sameJson(p.request, answer.request) || !sameJson(p.candidates, answer.candidates) ||
            !sameJson(p.sample_rates_ppm, answer.sample_rates_ppm) || p.height !== answer.request_height) {
            throw mismatch('pending draw');
          }
          return 'request, rates and candidates are the proven pending draw row';
        });
      });
  } catch (e) {
    report.fail('answer', `malformed answer: ${e?.message ?? e}`);
  }
  return report.done();
}

/**
 * @module validators
 * Following the validator set from genesis (`lx_validatorSets`, `docs/portal.md`): a client
 * pins the genesis validators; each change of the set comes with the checkpoint of the block
 * that made it, which the set *before* the change signs, and a proof of the new set (the
 * `node-index/validators` row) under that checkpoint's state root. Checking them in order
 * gives the set that signs today's checkpoints, trusting nothing but the genesis keys.
 */
import { VerifyError } from './errors.js';
import { fromHex, toHex } from './hex.js';
import { verifyCheckpoint } from './note.js';
import { decodeStateValue, stateKeys, verifyStateProof } from './state.js';
import { sameJson } from './json.js';

/** `n − ⌊(n − 1)/3⌋`: 2f+1 of 3f+1. */
export function bftQuorum(n) {
  return n - Math.floor((n - 1) / 3);
}

/**
 * Follows the set through `answer` (the result of `lx_validatorSets`) from `pinned`
 * (`{chainId, validators, quorum}`, the genesis set). Returns the sets in force, oldest first:
 * `[{from, trust}]`, where `from` is the first height the set signs (genesis: 1) and `trust`
 * has the shape `verifyCheckpoint` takes. Throws {@link VerifyError} naming the change that
 * does not verify.
 * @param {{chainId: string, validators: Array<{name: string, public_key: string}>, quorum: number}} pinned
 * @param {{changes: Array<object>}} answer
 */
export function followValidatorSets(pinned, answer) {
  const sets = [{ from: 1, trust: pinned }];
  if (!answer || !Array.isArray(answer.changes)) throw new VerifyError('the validator-set history is not {changes: […]}');
  let last = 0;
  for (const change of answer.changes) {
    const h = change?.height;
    const what = `validator-set change at height ${h}`;
    if (!Number.isSafeInteger(h) || h <= last) throw new VerifyError(`${what}: heights must increase`);
    last = h;
    const current = sets[sets.length - 1].trust;
    let cp;
    try {
      cp = verifyCheckpoint(change.checkpoint, current);
    } catch (e) {
      throw new VerifyError(`${what}: its checkpoint is not signed by the set before it: ${e.message}`);
    }
    if (cp.height !== h) throw new VerifyError(`${what}: the checkpoint is of height ${cp.height}`);
    const proof = change.state_proof;
    if (!proof || proof.state_root !== cp.state_root || !Array.isArray(proof.rows)) {
      throw new VerifyError(`${what}: no proof under the checkpoint's state root`);
    }
    const key = stateKeys.validators();
    const row = proof.rows.find((r) => r?.row === 'validators');
    if (!row || row.value === null || row.value === undefined) throw new VerifyError(`${what}: no proven validator-set row`);
    const value = fromHex(row.value, undefined, 'validator-set row');
    try {
      if (row.key !== undefined && row.key !== toHex(key)) {
        throw new VerifyError('the row is not the validator-set row');
      }
      verifyStateProof(cp.state_root, key, value, row.proof);
    } catch (e) {
      throw new VerifyError(`${what}: ${e.message}`);
    }
    const decoded = decodeStateValue('validators', value);
    const validators = decoded.validators.map((v) => ({ name: v.name, public_key: v.key }));
    if (!validators.length) throw new VerifyError(`${what}: the new set is empty`);
    if (!sameJson(validators, change.validators)) {
      throw new VerifyError(`${what}: the validators listed are not the proven ones`);
    }
    sets.push({ from: h + 1, trust: { chainId: current.chainId, validators, quorum: bftQuorum(validators.length) } });
  }
  return sets;
}

/**
 * The set that signs the checkpoint of `height`, from {@link followValidatorSets}' result.
 * @param {Array<{from: number, trust: object}>} sets
 * @param {number} height
 */
export function setAt(sets, height) {
  let t = sets[0].trust;
  for (const s of sets) if (height >= s.from) t = s.trust;
  return t;
}

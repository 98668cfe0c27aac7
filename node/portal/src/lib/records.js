/**
 * @module records
 * The record schemas (`contracts/src/records.rs`, `docs/records.md` §3): one schema per record
 * kind, as data, and {@link decodeRecord}, which turns a transaction's `kind` and `payload`
 * into exactly the contracts' JSON view (`{"kind": "<name>", …fields}`, what serde_json gives
 * for `liangxin_contracts::Record`). Checked against `contracts/conformance/records.json`.
 */
import { decodeAll, Writer } from './bcs.js';
import { VerifyError } from './errors.js';
import { MAX_PAYLOAD } from './tx.js';
import {
  catalogueCode, commendationLevel, exclusion, finding, governanceAction, inspectionOutcome,
  instrumentId, instrumentRegistration, longText, randomDrawRequest, retirementReason, sector,
  severity, shortText, time, uri,
} from './model.js';
import {
  bool, hash, opt, publicKey, region, struct, u16, u32, u64, uscc, vec,
} from './schema.js';
export { sameJson } from './json.js';

/** Tag → [name, schema], in tag order (`Record::KINDS`). */
const KINDS = [
  [1, 'operator_registration', struct([
    ['uscc', uscc], ['name', shortText], ['region', region], ['sector', sector],
    ['key', publicKey], ['check_override', bool],
  ])],
  [2, 'institution_registration', struct([
    ['authorisation', shortText], ['name', shortText], ['categories', vec(catalogueCode, 128)],
    ['key', publicKey], ['valid_from', time], ['valid_until', time],
  ])],
  [3, 'key_rotation', struct([['old_key', publicKey], ['new_key', publicKey]])],
  [4, 'key_revocation', struct([['key', publicKey], ['reason', longText]])],
  [10, 'self_commitment', struct([
    ['uscc', uscc], ['template_version', u16], ['pledge_digest', hash], ['valid_from', time],
    ['valid_until', time], ['posted_at', shortText], ['hotline', shortText], ['renews', opt(hash)],
  ])],
  [11, 'commitment_withdrawal', struct([['commitment', hash], ['reason', longText]])],
  [20, 'instrument_registration', instrumentRegistration],
  [21, 'instrument_retirement', struct([
    ['instrument', instrumentId], ['reason', retirementReason], ['replacement', opt(instrumentId)],
  ])],
  [30, 'verification_result', struct([
    ['instrument', instrumentId], ['date', time], ['passed', bool],
    ['certificate_number', shortText], ['certificate_digest', hash],
    ['certificate_uri', opt(uri)], ['valid_until', time], ['regulation', shortText],
  ])],
  [40, 'inspection_result', struct([
    ['target', uscc], ['draw', opt(hash)], ['inspectors', vec(shortText, 16)], ['date', time],
    ['items_checked', u32], ['findings', vec(finding, 64)], ['outcome', inspectionOutcome],
    ['report_digest', hash],
  ])],
  [41, 'penalty_decision', struct([
    ['target', uscc], ['decision_number', shortText], ['violation', shortText],
    ['severity', severity], ['date', time], ['public_until', time],
  ])],
  [42, 'commendation', struct([
    ['target', uscc], ['level', commendationLevel], ['awarded', time], ['valid_until', time],
  ])],
  [43, 'commendation_revocation', struct([['commendation', hash], ['reason', longText]])],
  [50, 'objection', struct([['record', hash], ['reason', longText]])],
  [51, 'objection_decision', struct([['objection', hash], ['upheld', bool], ['reason', longText]])],
  [52, 'credit_repair', struct([['record', hash], ['date', time], ['basis', longText]])],
  [60, 'random_draw_request', randomDrawRequest],
  [70, 'governance_proposal', struct([
    ['action', governanceAction], ['effective_height', u64], ['expires_height', u64],
  ])],
  [71, 'governance_approval', struct([['proposal', hash]])],
];

/** Record kind tag → name. */
export const KIND_NAMES = Object.freeze(Object.fromEntries(KINDS.map(([tag, name]) => [tag, name])));
/** Record kind name → tag. */
export const KIND_TAGS = Object.freeze(Object.fromEntries(KINDS.map(([tag, name]) => [name, tag])));
const SCHEMAS = new Map(KINDS.map(([tag, name, schema]) => [tag, { name, schema }]));

/**
 * Decodes a record payload by its kind tag into the contracts' JSON view. Throws
 * {@link VerifyError} for an unknown kind or a payload that is not the kind's canonical
 * encoding.
 * @param {number} kind
 * @param {Uint8Array} payload
 * @returns {{kind: string} & Record<string, unknown>}
 */
export function decodeRecord(kind, payload) {
  const k = SCHEMAS.get(kind);
  if (!k) throw new VerifyError(`unknown record kind ${kind}`);
  const fields = decodeAll(payload, (r) => k.schema.read(r), {
    what: `${k.name} record`,
    maxSize: MAX_PAYLOAD,
  });
  return { kind: k.name, ...fields };
}

/**
 * Encodes a record's JSON view (with its `kind` name) to `{kind: tag, payload}`. For tools
 * and tests; throws {@link VerifyError} on a value that does not fit the schema.
 * @param {{kind: string} & Record<string, unknown>} record
 * @returns {{kind: number, payload: Uint8Array}}
 */
export function encodeRecord(record) {
  const tag = KIND_TAGS[record?.kind];
  if (tag === undefined) throw new VerifyError(`unknown record kind ${JSON.stringify(record?.kind)}`);
  const w = new Writer();
  SCHEMAS.get(tag).schema.write(w, record);
  return { kind: tag, payload: w.finish() };
}

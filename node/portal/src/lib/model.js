/**
 * @module model
 * Schemas of the value types shared by the record schemas and the state rows
 * (`contracts/src/model.rs`, `contracts/src/params.rs`, `contracts/src/records.rs`), in field
 * declaration order. See {@link module:schema} for the notation.
 */
import {
  arr, bool, enumOf, hash, jurisdiction, opt, publicKey, str, struct, tuple, u8, u32, u64,
  unitEnum, uscc, vec,
} from './schema.js';

/** `ShortText`: at most 128 bytes. */
export const shortText = str(128);
/** `LongText`: at most 1,024 bytes. */
export const longText = str(1024);
/** `Uri`: at most 512 bytes. */
export const uri = str(512);
/** `CatalogueCode`: at most 16 bytes. */
export const catalogueCode = str(16);
/** `Time`: seconds since the Unix epoch. */
export const time = u64;

export const sector = unitEnum([
  'market_stall', 'fuel_station', 'restaurant', 'shop', 'optical_shop', 'hospital', 'utility', 'other',
]);
export const instrumentUse = unitEnum(['trade_settlement', 'safety', 'health', 'environment']);
export const verificationMode = enumOf([
  ['periodic'],
  ['first_only_scrap_on_failure'],
  ['fixed_service_life', struct([['until', time]])],
]);
export const controlMode = unitEnum(['type_approval', 'mandatory_verification', 'both']);
export const verificationModeKind = unitEnum([
  'periodic', 'first_only_scrap_on_failure', 'fixed_service_life',
]);
/** `Grade` has no `rename_all`: `"A"` … `"D"`. */
export const grade = unitEnum(['A', 'B', 'C', 'D']);
export const severity = unitEnum(['minor', 'general', 'serious']);
export const findingKind = unitEnum([
  'unverified', 'overdue', 'failed', 'accuracy_damaged', 'forged_data', 'cheating_device',
  'short_weight_prepackaged', 'false_certificate',
]);
export const inspectionOutcome = unitEnum(['compliant', 'rectification_ordered', 'case_opened']);
export const commendationLevel = unitEnum(['local', 'provincial', 'national']);
export const retirementReason = unitEnum([
  'inaccurate', 'failed_verification', 'end_of_life', 'damaged', 'out_of_use',
]);

export const instrumentId = struct([
  ['owner', uscc],
  ['category', catalogueCode],
  ['serial', str(64)],
]);

export const catalogueItem = struct([
  ['code', catalogueCode],
  ['name', shortText],
  ['control', controlMode],
  ['modes', vec(verificationModeKind)],
]);

export const ruleParams = struct([
  ['base_score', u32],
  ['thresholds', arr(u32, 3)],
  ['penalty_points', arr(u32, 3)],
  ['finding_points', arr(u32, 8)],
  ['finding_period', u64],
  ['severe_finding_period', u64],
  ['failed_instrument_points', u32],
  ['overdue_instrument_points', u32],
  ['commitment_bonus', u32],
  ['commendation_bonus', u32],
  ['clean_inspection_bonus', u32],
  ['clean_inspection_period', u64],
  ['max_clean_bonus', u32],
  ['publication_periods', arr(tuple(u64, u64), 3)],
  ['first_verification_grace', u64],
  ['filing_grace', u64],
  ['severe_repair_wait', u64],
  ['sample_rates_ppm', arr(u32, 4)],
  ['min_governance_delay', u64],
]);

export const finding = struct([
  ['kind', findingKind],
  ['instrument', opt(instrumentId)],
  ['note', shortText],
]);

export const exclusion = struct([
  ['inspector', shortText],
  ['operator', uscc],
]);

export const governanceAction = enumOf([
  ['add_regulator', struct([
    ['name', shortText],
    ['key', publicKey],
    ['jurisdiction', jurisdiction],
    ['validator', bool],
  ])],
  ['remove_regulator', struct([['key', publicKey]])],
  ['set_params', ruleParams],
  ['set_catalogue_item', catalogueItem],
]);

export const instrumentRegistration = struct([
  ['instrument', instrumentId],
  ['usage', instrumentUse],
  ['model', shortText],
  ['accuracy_class', shortText],
  ['range', shortText],
  ['manufacturer', shortText],
  ['location', shortText],
  ['mode', verificationMode],
]);

export const randomDrawRequest = struct([
  ['jurisdiction', jurisdiction],
  ['sectors', vec(sector, 8)],
  ['inspectors', vec(shortText, 1024)],
  ['exclusions', vec(exclusion, 1024)],
  ['inspectors_per_target', u8],
  ['label', shortText],
]);


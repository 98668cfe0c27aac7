/**
 * @module json
 * JSON views as serde_json gives them: u64 values become JS numbers when they are at most
 * `Number.MAX_SAFE_INTEGER` and stay `BigInt` above (a JSON number that large cannot be read
 * exactly by `JSON.parse`, so it never compares equal: verification fails closed), and
 * {@link sameJson} compares two views regardless of key order.
 */

/**
 * A u64 as serde_json would show it, within JS's exact range.
 * @param {bigint} v
 * @returns {number | bigint}
 */
export function jsonU64(v) {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Deep equality of two JSON views, ignoring object key order. `undefined` is not a JSON value
 * and never equals anything.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {boolean}
 */
export function sameJson(a, b) {
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number' || typeof a === 'bigint') return a === b;
  if (typeof a === 'string' || typeof a === 'boolean') return a === b;
  if (typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

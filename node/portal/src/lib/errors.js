/**
 * @module errors
 * The one error type of the verification library. Its message says, for a person, exactly what
 * failed ("inclusion proof of leaf 3 is too short", "the profile shown is not the proven
 * operator row"), so a page can show it as it is.
 */

/** A verification or decoding failure. */
export class VerifyError extends Error {
  /** @param {string} message what failed, for a person */
  constructor(message) {
    super(message);
    this.name = 'VerifyError';
  }
}

/**
 * Throws a {@link VerifyError} with `message` unless `cond` holds.
 * @param {unknown} cond
 * @param {string | (() => string)} message
 * @returns {asserts cond}
 */
export function ensure(cond, message) {
  if (!cond) throw new VerifyError(typeof message === 'function' ? message() : message);
}

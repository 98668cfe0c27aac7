/**
 * @module schema
 * A small schema language for BCS values and their serde_json views. A type is an object
 * `{read(reader) → view, write(writer, view)}`; the constructors below mirror serde's data
 * model as BCS and serde_json use it:
 *
 * | constructor | BCS | JSON view |
 * |---|---|---|
 * | `u8 u16 u32` | fixed LE | number |
 * | `u64` | 8 bytes LE | number (BigInt above 2^53 − 1) |
 * | `bool` | 0 / 1 | boolean |
 * | `hash`, `keyBytes`, `publicKey` | 32 bytes | lowercase hex (`publicKey` also checks the point) |
 * | `str(max)` | ULEB length ‖ UTF-8, no control characters | string |
 * | `uscc`, `region`, `jurisdiction` | string, validated like the Rust type | string |
 * | `opt(t)` | 0 / 1 ‖ t | null or the view |
 * | `vec(t, max)` | ULEB count ‖ items | array |
 * | `arr(t, n)`, `tuple(...ts)` | items, no count | array |
 * | `struct([[name, t], …])` | fields in order | object |
 * | `enumOf([[name], [name, t], [name, struct]])` | ULEB variant ‖ payload | `"name"` (unit), `{"name": view}` (newtype or struct variant) |
 * | `unitEnum(names)` | ULEB variant | `"name"` |
 */
import { publicKeyProblem } from './ed25519.js';
import { VerifyError } from './errors.js';
import { fromHex, toHex, utf8 } from './hex.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
import { jsonU64 } from './json.js';

/** @typedef {{read: (r: import('./bcs.js').Reader) => any, write: (w: import('./bcs.js').Writer, v: any) => void}} Type */

function need(cond, msg) {
  if (!cond) throw new VerifyError(msg);
}

function uint(bits, read) {
  const max = 2 ** bits - 1;
  return {
    read,
    write(w, v) {
      need(Number.isInteger(v) && v >= 0 && v <= max, `${v} is not a u${bits}`);
      w[`u${bits}`](v);
    },
  };
}

/** @type {Type} */ export const u8 = uint(8, (r) => r.u8());
/** @type {Type} */ export const u16 = uint(16, (r) => r.u16());
/** @type {Type} */ export const u32 = uint(32, (r) => r.u32());
/** @type {Type} */
export const u64 = {
  read: (r) => jsonU64(r.u64()),
  write(w, v) {
    const b = BigInt(v);
    need(b >= 0n && b < 2n ** 64n, `${v} is not a u64`);
    w.u64(b);
  },
};
/** @type {Type} */
export const bool = {
  read: (r) => r.bool(),
  write(w, v) {
    need(typeof v === 'boolean', `${v} is not a boolean`);
    w.bool(v);
  },
};

function bytes32(check) {
  return {
    read(r) {
      const b = r.fixed(32);
      const p = check?.(b);
      if (p) r.fail(p);
      return toHex(b);
    },
    write(w, v) {
      const b = fromHex(v, 32, 'a 32-byte value');
      const p = check?.(b);
      need(!p, p);
      w.fixed(b);
    },
  };
}
/** A 32-byte hash. @type {Type} */ export const hash = bytes32();
/** 32 key bytes stored without validation (`KeyBytes`). @type {Type} */
export const keyBytes = bytes32();
/** An Ed25519 public key, validated (`PublicKey`). @type {Type} */
export const publicKey = bytes32(publicKeyProblem);

/**
 * A bounded string, checked by `check` (returns a problem or null).
 * @param {number} max
 * @param {(s: string) => string | null} [check]
 * @returns {Type}
 */
export function str(max, check) {
  return {
    read(r) {
      const s = r.string(max);
      const p = check?.(s);
      if (p) r.fail(p);
      return s;
    },
    write(w, v) {
      need(typeof v === 'string', `${v} is not a string`);
      need(utf8(v).length <= max, `string of ${utf8(v).length} bytes is above the limit of ${max}`);
      need(!CONTROL.test(v), 'string contains a control character');
      const p = check?.(v);
      need(!p, p);
      w.string(v);
    },
  };
}

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/**
 * Why `s` is not a well-formed USCC (`Uscc::parse_override`: alphabet, authority, region
 * digits; the check character is not required), or null.
 * @param {string} s
 */
export function usccProblem(s) {
  if (s.length !== 18 || new TextEncoder().encode(s).length !== 18) {
    return `USCC ${JSON.stringify(s.slice(0, 40))} must be 18 characters`;
  }
  for (let i = 0; i < 18; i++) {
    if (!USCC_ALPHABET.includes(s[i])) {
      return `USCC ${s}: character ${i + 1} is not in the alphabet 0-9 A-Y without I, O, S, V, Z`;
    }
  }
  if (!'123456789ANY'.includes(s[0])) return `USCC ${s}: registration authority is not one of 1-9, A, N, Y`;
  if (!/^[0-9]{6}$/.test(s.slice(2, 8))) return `USCC ${s}: region code (positions 3-8) must be digits`;
  return null;
}

/**
 * The check character a USCC's first 17 characters call for (GB 32100-2015).
 * @param {string} first17
 * @returns {string}
 */
export function usccCheckChar(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

/** @type {Type} */ export const uscc = str(Number.MAX_SAFE_INTEGER, usccProblem);
/** @type {Type} */
export const region = str(Number.MAX_SAFE_INTEGER, (s) =>
  /^[0-9]{6}$/.test(s) ? null : `region code ${JSON.stringify(s)} must be six digits`,
);
/** @type {Type} */
export const jurisdiction = str(Number.MAX_SAFE_INTEGER, (s) =>
  /^(?:[0-9]{2}){0,3}$/.test(s) ? null : `jurisdiction ${JSON.stringify(s)} must be 0, 2, 4 or 6 digits`,
);

/** @param {Type} t @returns {Type} */
export function opt(t) {
  return {
    read: (r) => r.option((r2) => t.read(r2)),
    write(w, v) {
      if (v === null) return w.u8(0);
      w.u8(1);
      t.write(w, v);
    },
  };
}

/** @param {Type} t @param {number} [max] @returns {Type} */
export function vec(t, max = 2 ** 31 - 1) {
  return {
    read: (r) => r.seq((r2) => t.read(r2), max),
    write(w, v) {
      need(Array.isArray(v) && v.length <= max, `expected a list of at most ${max} items`);
      w.uleb(v.length);
      for (const x of v) t.write(w, x);
    },
  };
}

/** @param {...Type} ts @returns {Type} */
export function tuple(...ts) {
  return {
    read: (r) => ts.map((t) => t.read(r)),
    write(w, v) {
      need(Array.isArray(v) && v.length === ts.length, `expected a tuple of ${ts.length}`);
      ts.forEach((t, i) => t.write(w, v[i]));
    },
  };
}

/** A fixed-size array `[T; n]`. @param {Type} t @param {number} n @returns {Type} */
export function arr(t, n) {
  return tuple(...Array(n).fill(t));
}

/** @param {Array<[string, Type]>} fields @returns {Type & {fields: Array<[string, Type]>}} */
export function struct(fields) {
  return {
    fields,
    read(r) {
      const o = {};
      for (const [name, t] of fields) o[name] = t.read(r);
      return o;
    },
    write(w, v) {
      need(v !== null && typeof v === 'object', 'expected an object');
      for (const [name, t] of fields) {
        need(Object.hasOwn(v, name), `missing field ${name}`);
        t.write(w, v[name]);
      }
    },
  };
}

/**
 * An externally tagged enum (serde's default, `rename_all` applied to the names).
 * @param {Array<[string] | [string, Type]>} variants unit variants have no type
 * @returns {Type}
 */
export function enumOf(variants) {
  return {
    read(r) {
      const i = r.uleb();
      if (i >= variants.length) r.fail(`variant index ${i} is out of range (${variants.length} variants)`);
      const [name, t] = variants[i];
      return t ? { [name]: t.read(r) } : name;
    },
    write(w, v) {
      const name = typeof v === 'string' ? v : Object.keys(v ?? {})[0];
      const i = variants.findIndex(([n]) => n === name);
      need(i >= 0, `unknown variant ${JSON.stringify(name)}`);
      const t = variants[i][1];
      need(!t === (typeof v === 'string'), `variant ${name} has the wrong shape`);
      w.uleb(i);
      if (t) t.write(w, v[name]);
    },
  };
}

/** @param {string[]} names @returns {Type} */
export function unitEnum(names) {
  return enumOf(names.map((n) => [n]));
}

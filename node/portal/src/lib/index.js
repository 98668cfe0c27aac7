/**
 * @module index
 * The verification library in one import. Every module is also importable by itself (a
 * bundler keeps only what a page uses).
 *
 * | module | what |
 * |---|---|
 * | `errors.js` | `VerifyError` |
 * | `hex.js` | strict hex and base64, UTF-8, byte helpers |
 * | `bcs.js` | the bounded strict BCS `Reader` and its `Writer` |
 * | `hash.js` | derive-key domains, tx ids, document digests, log leaf and node hashes |
 * | `ed25519.js` | strict Ed25519 (`verify_strict`), key and signature encoding checks |
 * | `tx.js` | signed transactions |
 * | `schema.js`, `model.js`, `records.js` | the record schemas and their JSON views |
 * | `log.js` | RFC 9162 inclusion and consistency proofs |
 * | `note.js` | checkpoints as signed notes, against a pinned validator set |
 * | `state.js` | state proofs, state keys, proven rows, entry chains |
 * | `draw.js` | random draw recomputation |
 * | `vrf.js` | the block seed's VRF (RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI), verification |
 * | `verify.js` | whole answers: reports of what verified and what is not proven |
 */
export { VerifyError } from './errors.js';
export { fromHex, toHex, fromBase64, toBase64, bytesEqual, utf8 } from './hex.js';
export { Reader, Writer } from './bcs.js';
export { deriveKey, txId, documentDigest, leafHash, nodeHash } from './hash.js';
export { verifyStrict, publicKeyProblem, signatureProblem } from './ed25519.js';
export { decodeSignedTx, verifyTxSignature, decodeVerifiedTx } from './tx.js';
export { KIND_NAMES, KIND_TAGS, decodeRecord, encodeRecord, sameJson } from './records.js';
export { verifyInclusion, verifyConsistency } from './log.js';
export { parseNote, keyId, verifyCheckpoint } from './note.js';
export { verifyStateProof, stateKeys, decodeStateValue, entryChain } from './state.js';
export { recomputeDraw, computeSelection, drawSeed } from './draw.js';
export { vrfVerify, seedInput, blockSeedOf } from './vrf.js';
export { followValidatorSets, setAt, bftQuorum } from './validators.js';
export {
  proofsFrom, verifyEntry, verifyEntries, verifyOperatorAnswer, verifyInstrumentAnswer,
  verifyCertificateAnswer, verifyDrawAnswer,
} from './verify.js';

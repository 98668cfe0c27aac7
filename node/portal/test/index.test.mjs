// The barrel exports every public function, and the library loads without DOM globals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from '../src/lib/index.js';

test('index.js exports the public API', () => {
  for (const name of [
    'VerifyError', 'fromHex', 'toHex', 'fromBase64', 'bytesEqual', 'utf8', 'Reader', 'deriveKey',
    'txId', 'documentDigest', 'leafHash', 'nodeHash', 'decodeSignedTx', 'verifyTxSignature',
    'KIND_NAMES', 'decodeRecord', 'sameJson', 'verifyInclusion', 'verifyConsistency', 'parseNote',
    'keyId', 'verifyCheckpoint', 'verifyStateProof', 'stateKeys', 'decodeStateValue', 'entryChain',
    'recomputeDraw', 'vrfVerify', 'blockSeedOf', 'verifyEntries', 'verifyOperatorAnswer', 'verifyInstrumentAnswer',
    'verifyCertificateAnswer', 'verifyDrawAnswer',
  ]) {
    assert.ok(lib[name] !== undefined, name);
  }
  assert.equal(typeof globalThis.document, 'undefined');
});

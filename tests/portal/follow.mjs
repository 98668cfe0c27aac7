// Follows the validator set from a pinned genesis set through an `lx_validatorSets` answer with
// the portal's verification library, and prints the sets in force as JSON. Used by
// tests/tests/network.rs to check the browser's code against a real network:
//   node follow.mjs answer.json pinned.json
import { readFileSync } from 'node:fs';
import { followValidatorSets } from '../../node/portal/src/lib/validators.js';

const answer = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const pinned = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const sets = followValidatorSets(pinned, answer);
console.log(JSON.stringify(sets.map((s) => ({ from: s.from, names: s.trust.validators.map((v) => v.name), quorum: s.trust.quorum }))));

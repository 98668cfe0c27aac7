// The block seed's VRF: RFC 9381 Appendix B.3 (ECVRF-EDWARDS25519-SHA512-TAI) and the block
// header of node/types/conformance/blocks.json (its seed computed by liangxin_types).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockSeedOf, checkFinalHeader, headerHash, vrfProve, vrfVerify } from '../src/lib/vrf.js';
import { fromHex, toHex } from '../src/lib/hex.js';
import { readJson } from './helpers.mjs';

// public key, alpha, pi, beta (secret keys below)
const B3 = [
  ['d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    '8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805',
    '90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae'],
  ['3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    'f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02',
    'eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031'],
  ['fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
    '9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e',
    '645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f'],
];

const SECRETS = [
  '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
];

const bytes = (h) => Uint8Array.from(Buffer.from(h, 'hex'));

test('RFC 9381 B.3 vectors verify to their beta, and any changed bit is refused', () => {
  B3.forEach(([, alpha, pi], i) => assert.equal(toHex(vrfProve(bytes(SECRETS[i]), bytes(alpha))), pi));
  for (const [pk, alpha, pi, beta] of B3) {
    assert.equal(toHex(vrfVerify(bytes(pk), bytes(alpha), bytes(pi))), beta);
    assert.throws(() => vrfVerify(bytes(pk), bytes(alpha + '00'), bytes(pi)));
    for (const i of [0, 31, 32, 47, 48, 79]) {
      const bad = bytes(pi);
      bad[i] ^= 1;
      assert.throws(() => vrfVerify(bytes(pk), bytes(alpha), bad), `byte ${i}`);
    }
  }
  const [pk0, , pi0] = B3[0];
  const [pk1] = B3[1];
  assert.throws(() => vrfVerify(bytes(pk1), new Uint8Array(0), bytes(pi0)), /challenge/);
  const highS = bytes(pi0);
  highS.fill(0xff, 48);
  assert.throws(() => vrfVerify(bytes(pk0), new Uint8Array(0), highS), /group order/);
  assert.throws(() => vrfVerify(bytes(pk0), new Uint8Array(0), bytes(pi0).subarray(0, 79)), /80 bytes/);
});

test("a header's seed is its proposer's VRF output, as liangxin_types computes it", () => {
  const cases = readJson('node/types/conformance/blocks.json').cases;
  const h = cases.find((c) => c.name === 'block header');
  assert.ok(h.seed, 'the vector carries the seed');
  assert.equal(blockSeedOf(h.value), h.seed);
  // Another height or parent: the proof no longer verifies.
  assert.throws(() => blockSeedOf({ ...h.value, height: h.value.height + 1 }));
  assert.throws(() => blockSeedOf({ ...h.value, parent: 'ab'.repeat(32) }));
  // Another proposer (a valid key, not the one that proved it).
  assert.throws(() => blockSeedOf({ ...h.value, proposer: B3[0][0] }));
  assert.equal(fromHex(h.value.seed_proof, 80).length, 80);
});

test('header hashes as liangxin_types computes them, and descendants link by parent hash', () => {
  const cases = readJson('node/types/conformance/blocks.json').cases;
  const h = cases.find((c) => c.name === 'block header');
  assert.equal(headerHash(h.value), h.block_hash);
  const child = { ...h.value, height: h.value.height + 1, parent: h.block_hash };
  const grandchild = { ...h.value, height: h.value.height + 2, parent: headerHash(child) };
  const at = (x) => ({ height: x.height, block_hash: headerHash(x) });
  checkFinalHeader(h.value, [], at(h.value));
  checkFinalHeader(h.value, [child, grandchild], at(grandchild));
  assert.throws(() => checkFinalHeader(h.value, [grandchild], at(grandchild)), /does not extend/);
  assert.throws(() => checkFinalHeader(h.value, [child], at(grandchild)), /not the block final/);
  assert.throws(() => checkFinalHeader({ ...h.value, time: 1 }, [child], at(child)), /does not extend/);
});

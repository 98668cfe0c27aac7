// The portal in a real browser: Debian's Chromium, driven by playwright-core (never a browser
// download). Run by tests/tests/portal.rs with a facts file describing the seeded node:
//   node browser.mjs facts.json
// Every check is bounded by Playwright's timeouts; a failed check is printed with its reason and
// the script exits non-zero. Screenshots go to facts.artefacts.
//
// Tampering: `page.route` is the proxy between the browser and the node. It forwards each
// JSON-RPC request to the real node, then alters one byte of the answer (a record, a proof hash,
// a signature, a checkpoint field, a state proof) before the page sees it. The page must then
// show the red warning, never the green verdict.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const facts = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = facts.url.replace(/\/$/, '');
mkdirSync(facts.artefacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: facts.chromium,
  headless: true,
  timeout: 60_000,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ],
});

const failures = [];
const timings = {};

async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** A fresh browser context (empty storage) and page; `tamper(method, params, result)` may alter answers. */
async function open(tamper, viewport = { width: 1100, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
  const tampered = { count: 0 };
  if (tamper) {
    await page.route((url) => url.pathname === '/', async (route) => {
      const req = route.request();
      if (req.method() !== 'POST') return route.continue();
      const sent = JSON.parse(req.postData() ?? 'null');
      const response = await route.fetch();
      const answer = await response.json();
      const pairs = Array.isArray(sent) ? sent.map((s, i) => [s, answer.find((a) => a.id === s.id) ?? answer[i]]) : [[sent, answer]];
      for (const [s, a] of pairs) {
        if (a && 'result' in a && tamper(s.method, s.params, a.result, a)) tampered.count += 1;
      }
      const headers = { ...response.headers() };
      delete headers['content-length'];
      delete headers['content-encoding'];
      await route.fulfill({ status: response.status(), headers, body: JSON.stringify(answer) });
    });
  }
  return { context, page, tampered };
}

/** Waits for the verdict banner to settle; returns its state and text. */
async function verdict(page) {
  const v = page.locator('#verdict:not([data-state="pending"])');
  await v.first().waitFor({ state: 'visible' });
  return {
    state: await v.first().getAttribute('data-state'),
    text: await v.first().innerText(),
    ms: Number(await v.first().getAttribute('data-ms')),
    fetchMs: Number(await v.first().getAttribute('data-fetch-ms')),
    proofsMs: Number(await v.first().getAttribute('data-proofs-ms')),
  };
}

const shot = (page, name) => page.screenshot({ path: join(facts.artefacts, `${name}.png`), fullPage: true });

function flipHex(s, at) {
  const i = Math.min(Math.max(at, 0), s.length - 1);
  const c = s[i] === '0' ? '1' : '0';
  return s.slice(0, i) + c + s.slice(i + 1);
}

/** Flips one bit of the first signature in a signed note (inside the base64 payload, after the key id). */
function flipNoteSignature(note) {
  const lines = note.split('\n');
  const i = lines.findIndex((l) => l.startsWith('— '));
  const parts = lines[i].split(' ');
  const raw = Buffer.from(parts[2], 'base64');
  raw[4 + 10] ^= 0x01;
  parts[2] = raw.toString('base64');
  lines[i] = parts.join(' ');
  return lines.join('\n');
}

const station = facts.station;
const opUrl = (u) => `${base}/portal/#/operator/${u}`;

// ---- the pages, untampered --------------------------------------------------------------------

await check('page weight: script and style ≤ 200 KB gzipped', async () => {
  let total = 0;
  for (const f of ['app.js', 'app.css']) {
    const r = await fetch(`${base}/portal/${f}`, { headers: { 'accept-encoding': 'gzip' } });
    assert(r.ok, `${f}: HTTP ${r.status}`);
    assert(r.headers.get('content-encoding') === 'gzip', `${f} is not served gzipped`);
    total += Number(r.headers.get('content-length'));
  }
  timings.page_weight_gzip_bytes = total;
  assert(total > 0 && total <= 200 * 1024, `${total} bytes`);
});

await check('search by name finds the operator, and its page verifies with grade and reasons', async () => {
  const { context, page } = await open();
  await page.goto(`${base}/`);
  await page.locator('#q').fill(station.search);
  await shot(page, '01-home');
  await page.locator('form.search button[type=submit]').click();
  const hit = page.locator('.hits a', { hasText: station.name });
  await hit.waitFor();
  await shot(page, '02-search-results');
  await hit.click();
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
  assert(/检查点 #\d+/.test(v.text) && v.text.includes('1 个签名'), `verdict text: ${v.text}`);
  const grade = await page.locator('#grade').innerText();
  assert(grade === station.grade, `grade shown ${grade}, the node says ${station.grade}`);
  const reasons = await page.locator('#reasons').innerText();
  for (const r of station.reasons) assert(reasons.includes(r), `reason missing: ${r}`);
  const instruments = await page.locator('#instruments tbody tr').count();
  assert(instruments === 2, `${instruments} instruments shown`);
  const body = await page.locator('main').innerText();
  for (const s of ['营业大厅入口', '0591-12315', '榕市监罚〔2026〕WEB1号', '异议处理决定', '信用修复']) {
    assert(body.includes(s), `the page does not show ${s}`);
  }
  assert(body.includes(`全部账本记录（${station.entries} 条）`), 'entry count');
  await shot(page, '03-operator');
  await context.close();
});

await check('a USCC with a wrong check character is refused with the expected character', async () => {
  const { context, page } = await open();
  await page.goto(`${base}/`);
  const bad = station.uscc.slice(0, 17) + (station.uscc[17] === '0' ? '1' : '0');
  await page.locator('#q').fill(bad);
  await page.locator('form.search button[type=submit]').click();
  const msg = await page.locator('#results [role=alert]').innerText();
  assert(msg.includes(bad), msg);
  await context.close();
});

await check('an operator page with 200 entries renders and verifies (timed, 3 fresh loads)', async () => {
  const wall = [];
  const verify = [];
  const answer = [];
  const proofs = [];
  for (let i = 0; i < 3; i++) {
    const { context, page } = await open();
    await page.goto(`${base}/portal/`);
    await page.locator('#pinned').filter({ hasText: '1' }).waitFor();
    const t0 = await page.evaluate(() => performance.now());
    await page.evaluate((u) => {
      location.hash = `#/operator/${u}`;
    }, facts.market.uscc);
    const v = await verdict(page);
    const t1 = await page.evaluate(() => performance.now());
    assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
    const rows = await page.locator('table.entries tbody tr').count();
    assert(rows === facts.market.entries, `${rows} entries shown`);
    wall.push(t1 - t0);
    verify.push(v.ms);
    answer.push(v.fetchMs);
    proofs.push(v.proofsMs);
    if (i === 0) await shot(page, '04-operator-200-entries');
    await context.close();
  }
  wall.sort((a, b) => a - b);
  verify.sort((a, b) => a - b);
  answer.sort((a, b) => a - b);
  timings.operator_200_entries_ms = {
    render_and_verify: wall.map(Math.round),
    node_answer: answer.map(Math.round),
    verification: verify.map(Math.round),
    of_which_proofs_fetched: proofs.map(Math.round),
    median: Math.round(wall[1]),
  };
});

await check('instrument page verifies', async () => {
  const { context, page } = await open();
  const i = station.instrument;
  await page.goto(`${base}/portal/#/instrument/${i.owner}/${i.category}/${i.serial}`);
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
  const body = await page.locator('main').innerText();
  assert(body.includes('检定有效'), 'status shown');
  await shot(page, '05-instrument');
  await context.close();
});

await check('certificate file chosen in the browser is hashed there and confirmed on the ledger', async () => {
  const { context, page } = await open();
  await page.goto(`${base}/portal/#/certificate`);
  await page.locator('#cert-file').setInputFiles(facts.certificate.file);
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
  const digest = await page.locator('#file-digest').innerText();
  assert(digest.includes(facts.certificate.digest), `digest computed in the browser: ${digest}`);
  const answer = page.locator('#cert-answer');
  assert((await answer.getAttribute('data-on-ledger')) === 'true', 'on the ledger');
  assert((await answer.getAttribute('data-valid')) === 'true', 'valid');
  assert((await answer.innerText()).includes(facts.certificate.number), 'certificate number shown');
  await shot(page, '06-certificate');
  await context.close();
});

await check('a certificate not on the ledger is shown as absent, proven', async () => {
  const { context, page } = await open();
  await page.goto(`${base}/portal/#/certificate`);
  await page.locator('#cert-file').setInputFiles(facts.certificate.unknown_file);
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
  assert((await page.locator('#cert-answer').getAttribute('data-on-ledger')) === 'false', 'absent');
  await shot(page, '07-certificate-absent');
  await context.close();
});

await check('a certificate found by its number is checked and proven', async () => {
  const { context, page } = await open();
  await page.goto(`${base}/portal/#/certificate`);
  await page.locator('#digest').fill(facts.certificate.number);
  await page.locator('form.search button[type=submit]').click();
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
  assert((await page.locator('#digest').inputValue()) === facts.certificate.digest, 'the digest found');
  assert((await page.locator('#cert-answer').getAttribute('data-valid')) === 'true', 'valid');
  await page.locator('#digest').fill('闽检字〔2026〕第NOPE号');
  await page.locator('form.search button[type=submit]').click();
  await page.locator('#cert-answer[data-on-ledger="false"]').waitFor();
  await context.close();
});

await check('draw page verifies and recomputes the selection', async () => {
  const { context, page } = await open();
  await page.goto(`${base}/portal/#/draw/${facts.draw}`);
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
  const rows = await page.locator('#selection tbody tr').count();
  assert(rows === 2, `${rows} operators drawn`);
  const r = page.locator('#recompute');
  assert((await r.getAttribute('class')).includes('ok'), `recomputation: ${await r.innerText()}`);
  await shot(page, '08-draw');
  await context.close();
});

await check('live feed shows the newest entries, verified', async () => {
  const { context, page } = await open();
  await page.goto(`${base}/portal/#/feed`);
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}: ${v.text}`);
  const rows = await page.locator('#feed-entries tbody tr').count();
  assert(rows === 20, `${rows} rows`);
  await shot(page, '09-feed');
  await context.close();
});

await check('English switch, and the operator page on a phone-sized screen', async () => {
  const { context, page } = await open(undefined, { width: 390, height: 844 });
  await page.goto(opUrl(station.uscc));
  await verdict(page);
  await page.locator('#lang').click();
  const v = await verdict(page);
  assert(v.state === 'verified', `verdict ${v.state}`);
  assert(v.text.includes('Verified against checkpoint'), v.text);
  assert((await page.evaluate(() => document.documentElement.lang)) === 'en', 'html lang');
  await shot(page, '10-operator-en-phone');
  await context.close();
});

// ---- tampering: one byte altered between the node and the browser ------------------------------

const result = (method, fn) => (m, params, r) => (m === method ? fn(r, params) : false);

const tamperings = [
  ['a record (JSON view) of an entry', opUrl(station.uscc), result('lx_operator', (r) => {
    const e = r.entries.find((x) => x.record.kind === 'self_commitment');
    e.record.hotline = '0591-12316';
    return true;
  })],
  ['a byte of an entry\'s signed transaction', opUrl(station.uscc), result('lx_operator', (r) => {
    r.entries[2].tx = flipHex(r.entries[2].tx, r.entries[2].tx.length - 40);
    return true;
  })],
  ['an entry left out', opUrl(station.uscc), result('lx_operator', (r) => {
    r.entries.splice(3, 1);
    return true;
  })],
  ['a hash of an inclusion proof', opUrl(station.uscc), (() => {
    let done = false;
    return result('lx_inclusionProof', (r) => {
      if (done || !r.hashes.length) return false;
      done = true;
      r.hashes[0] = flipHex(r.hashes[0], 7);
      return true;
    });
  })()],
  ['a signature of the checkpoint note', opUrl(station.uscc), result('lx_operator', (r) => {
    r.checkpoint.note = flipNoteSignature(r.checkpoint.note);
    return true;
  })],
  ['the checkpoint\'s root field', opUrl(station.uscc), result('lx_operator', (r) => {
    r.checkpoint.root = flipHex(r.checkpoint.root, 0);
    return true;
  })],
  ['the log size in the signed note body', opUrl(station.uscc), result('lx_operator', (r) => {
    const lines = r.checkpoint.note.split('\n');
    lines[1] = String(Number(lines[1]) + 1);
    r.checkpoint.note = lines.join('\n');
    r.checkpoint.log_size += 1;
    return true;
  })],
  ['a sibling of a state proof', opUrl(station.uscc), result('lx_operator', (r) => {
    const row = r.state_proof.rows[0];
    if (!row.proof.siblings.length) return false;
    row.proof.siblings[0] = flipHex(row.proof.siblings[0], 5);
    return true;
  })],
  ['the profile (state-proven)', opUrl(station.uscc), result('lx_operator', (r) => {
    r.profile.registration.name += '（已更名）';
    return true;
  })],
  ['the certificate\'s end of validity', `${base}/portal/#/certificate/${facts.certificate.digest}`, result('lx_certificate', (r) => {
    r.entry.valid_until += 86400 * 365;
    return true;
  })],
  ['the certificate said absent when it is on the ledger', `${base}/portal/#/certificate/${facts.certificate.digest}`, result('lx_certificate', (r) => {
    r.on_ledger = false;
    delete r.entry;
    delete r.record;
    delete r.institution_name;
    r.valid = false;
    return true;
  })],
  ['the draw\'s seed', `${base}/portal/#/draw/${facts.draw}`, result('lx_draw', (r) => {
    if (!r.resolution) return false;
    r.resolution.seed = flipHex(r.resolution.seed, 3);
    return true;
  })],
  ['a feed entry\'s transaction', `${base}/portal/#/feed`, result('lx_entries', (r) => {
    const e = r.at(-1);
    e.tx = flipHex(e.tx, 100);
    return true;
  })],
];

let tamperShot = false;
for (const [what, url, tamper] of tamperings) {
  await check(`tampered: ${what} → red warning, never verified`, async () => {
    const { context, page, tampered } = await open(tamper);
    await page.goto(url);
    const v = await verdict(page);
    assert(tampered.count > 0, 'the proxy did not alter anything');
    assert(v.state === 'failed', `verdict ${v.state}: ${v.text}`);
    assert(v.text.includes('验证失败'), `the warning: ${v.text}`);
    assert((await page.locator('.untrusted').count()) > 0, 'the data below the warning is marked untrusted');
    if (!tamperShot) {
      await shot(page, '11-tampered');
      tamperShot = true;
    }
    await context.close();
  });
}

await browser.close();
console.log(`timings ${JSON.stringify(timings)}`);
if (failures.length) {
  console.log(`${failures.length} portal checks failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log(`all portal checks passed; screenshots in ${facts.artefacts}`);

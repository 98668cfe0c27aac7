/**
 * The portal's pages. A small hash-routed app: `#/` search, `#/operator/<uscc>`,
 * `#/instrument/<owner>/<category>/<serial>`, `#/certificate[/<digest>]`, `#/draw[/<id>]`,
 * `#/feed`. Every answer is verified (./verifying.js) before or while it is shown, and the
 * verdict is the first thing on the page: green with the checkpoint and its signers, or red
 * with exactly what failed. Data from the node is only ever inserted as text, never as HTML.
 */

import { t, kindName, statusName, enumName, currentLang, setLang } from './i18n.js';
import { call, RpcError } from './rpc.js';
import { documentDigest } from './lib/hash.js';
import { toHex } from './lib/hex.js';
import {
  verifyOperator,
  verifyInstrument,
  verifyCertificate,
  verifyDraw,
  verifyFeed,
  usccError,
  loadTrust,
} from './verifying.js';

// ---------------------------------------------------------------------------------------------
// DOM helpers

/** Builds an element: `h('a', {href: '#/'}, 'text', child)`. Strings become text nodes. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const main = () => document.getElementById('main');

/** Marks a container's data as untrusted when its verdict failed (dimmed, dashed red). */
function mark(container) {
  container.classList.toggle('untrusted', !!container.querySelector('#verdict[data-state="failed"]'));
}

function show(...nodes) {
  const m = main();
  m.replaceChildren(...nodes);
  mark(m);
  m.focus({ preventScroll: true });
}

function date(sec) {
  if (typeof sec !== 'number' || !Number.isFinite(sec)) return '—';
  return new Date(sec * 1000).toISOString().slice(0, 10);
}

function short(hex) {
  return typeof hex === 'string' && hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : String(hex ?? '');
}

function field(label, value) {
  return [h('dt', {}, label), h('dd', {}, value ?? '—')];
}

function section(title, ...body) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...body);
}

function table(headers, rows, attrs = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, t('none'));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))),
    ),
  );
}

function loading() {
  return h('p', { class: 'verdict pending', id: 'verdict', 'data-state': 'pending', role: 'status' }, t('loading'));
}

function errorBox(e) {
  const msg = e instanceof RpcError ? `${e.message}${e.code ? ` (${e.code})` : ''}` : e?.message ?? String(e);
  return h('p', { class: 'verdict bad', id: 'verdict', 'data-state': 'error', role: 'alert' }, t('error', msg));
}

/**
 * The verdict banner: green with the checkpoint, its signers and what is not proven, or red
 * with every failed check. `report` is `{ok, checkpoint, checks, notProven, ms}`.
 */
function verdict(report) {
  const failedChecks = report.checks.filter((c) => !c.ok);
  const cp = report.checkpoint;
  const head = report.ok
    ? h('p', { class: 'verdict-line' }, '✓ ', t('verified', cp.height, cp.signers.length, cp.validators, cp.quorum))
    : h('p', { class: 'verdict-line' }, '✗ ', t('failed'));
  const failures = failedChecks.length
    ? h('ul', { class: 'failures' }, failedChecks.map((c) => h('li', {}, `${c.what}: ${c.detail ?? ''}`)))
    : null;
  const signers = report.ok && cp.signers.length ? h('p', { class: 'signers' }, cp.signers.join(' · ')) : null;
  const notProven = report.notProven?.length
    ? h('p', { class: 'muted' }, t('not_proven', report.notProven.map(enumName).join('; ')))
    : null;
  const details = h(
    'details',
    {},
    h('summary', {}, t('checks', report.checks.length)),
    h(
      'ul',
      { class: 'checks' },
      report.checks.map((c) => h('li', { class: c.ok ? 'ok' : 'bad' }, `${c.ok ? '✓' : '✗'} ${c.what}${c.detail ? `: ${c.detail}` : ''}`)),
    ),
  );
  return h(
    'section',
    {
      class: `verdict ${report.ok ? 'ok' : 'bad'}`,
      id: 'verdict',
      'data-state': report.ok ? 'verified' : 'failed',
      'data-ms': report.ms !== undefined ? report.ms.toFixed(1) : undefined,
      'data-fetch-ms': report.fetchMs !== undefined ? report.fetchMs.toFixed(1) : undefined,
      'data-proofs-ms': report.proofsMs !== undefined ? report.proofsMs.toFixed(1) : undefined,
      'data-height': cp?.height,
      role: report.ok ? 'status' : 'alert',
    },
    head,
    failures,
    signers,
    notProven,
    details,
  );
}

/** A record's kind, expandable to its JSON (built when first opened: pages list hundreds). */
function recordDetails(record) {
  const pre = h('pre', {});
  const d = h('details', { class: 'record' }, h('summary', {}, kindName(record?.kind)), pre);
  d.addEventListener('toggle', () => {
    if (d.open && !pre.textContent) pre.textContent = JSON.stringify(record, null, 2);
  });
  return d;
}

function entriesTable(entries) {
  return table(
    [t('leaf'), t('height'), t('kind')],
    entries.map((e) => [String(e.leaf_index), String(e.height), recordDetails(e.record)]),
    { class: 'entries' },
  );
}

function instrumentLink(id) {
  if (!id) return '—';
  const href = `#/instrument/${encodeURIComponent(id.owner)}/${encodeURIComponent(id.category)}/${encodeURIComponent(id.serial)}`;
  return h('a', { href }, `${id.category} · ${id.serial}`);
}

function statusCell(status) {
  if (!status) return '—';
  const name = statusName(status.status);
  const extra = status.until ? ` (${t('until')} ${date(status.until)})` : status.since ? ` (${date(status.since)})` : status.at ? ` (${date(status.at)})` : '';
  return h('span', { class: `status s-${status.status}` }, name + extra);
}

// ---------------------------------------------------------------------------------------------
// Pages

function home() {
  const input = h('input', {
    id: 'q',
    name: 'q',
    type: 'search',
    required: true,
    maxlength: 128,
    autocomplete: 'off',
    'aria-describedby': 'q-hint',
  });
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const q = input.value.trim();
        if (!q) return;
        const upper = q.toUpperCase();
        if (/^[0-9A-Z]{18}$/.test(upper)) {
          const problem = usccError(upper);
          if (!problem) {
            location.hash = `#/operator/${upper}`;
            return;
          }
          results.replaceChildren(h('p', { class: 'verdict bad', role: 'alert' }, t('uscc_bad', upper, problem)));
          return;
        }
        results.replaceChildren(loading());
        try {
          const hits = await call('lx_searchOperators', [q]);
          if (!hits.length) {
            results.replaceChildren(h('p', {}, t('search_none', q)));
            return;
          }
          results.replaceChildren(
            h('p', {}, t('search_results', hits.length)),
            h(
              'ul',
              { class: 'hits' },
              hits.map((x) => h('li', {}, h('a', { href: `#/operator/${encodeURIComponent(x.uscc)}` }, x.name), ' ', h('span', { class: 'muted' }, `${x.uscc} · ${x.region} · ${enumName(x.sector)}`))),
            ),
          );
        } catch (e) {
          results.replaceChildren(errorBox(e));
        }
      },
    },
    h('label', { for: 'q' }, t('search_label')),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, t('search_button'))),
    h('p', { id: 'q-hint', class: 'muted' }, t('search_hint')),
  );
  show(h('h1', {}, t('nav_search')), form, results);
  input.focus();
}

async function operatorPage(uscc) {
  show(h('h1', {}, t('operator'), ' ', uscc), loading());
  let answer;
  let report;
  try {
    const asked = performance.now();
    answer = await call('lx_operator', [uscc]);
    const answered = performance.now();
    report = await verifyOperator(answer);
    report.fetchMs = answered - asked;
  } catch (e) {
    show(h('h1', {}, t('operator'), ' ', uscc), errorBox(e));
    return;
  }
  const p = answer.profile ?? {};
  const reg = p.registration ?? {};
  const now = answer.grade?.at;
  const entries = answer.entries ?? [];
  const byKind = (k) => entries.filter((e) => e.record?.kind === k);
  const commitmentEntry = entries.find((e) => e.record?.kind === 'self_commitment' && e.tx_id === p.commitment);
  const c = commitmentEntry?.record;
  const g = answer.grade ?? {};
  show(
    h('h1', {}, reg.name ?? uscc),
    verdict(report),
    section(
      t('operator'),
      h('dl', { class: 'facts' }, field(t('uscc'), reg.uscc), field(t('region'), reg.region), field(t('sector'), enumName(reg.sector)), field(t('registered_at'), date(p.registered_at))),
    ),
    section(
      t('grade'),
      h('p', { class: 'grade-line' }, h('span', { class: `grade g-${g.grade}`, id: 'grade' }, g.grade ?? '?'), ' ', h('span', {}, `${t('score')} ${g.score ?? '—'}`)),
      h('h3', {}, t('reasons')),
      (g.reasons ?? []).length
        ? h('ul', { class: 'reasons', id: 'reasons' }, g.reasons.map((r) => h('li', {}, r.text, r.until ? h('span', { class: 'muted' }, ` (${t('until')} ${date(r.until)})`) : null)))
        : h('p', { class: 'muted', id: 'reasons' }, t('none')),
    ),
    section(
      t('commitment'),
      c
        ? h('dl', { class: 'facts' }, field(t('valid_from'), date(c.valid_from)), field(t('until'), date(c.valid_until)), field(t('posted_at'), c.posted_at), field(t('hotline'), c.hotline))
        : h('p', { class: 'muted' }, t('no_commitment')),
    ),
    section(
      t('instruments'),
      table(
        [t('instrument'), t('model'), t('location'), t('status'), t('next_due')],
        (answer.instruments ?? []).map((i) => {
          const r = i.state?.registration ?? {};
          const due = i.status?.status === 'verified' ? date(i.status.until) : i.status?.status === 'overdue' ? date(i.status.since) : '—';
          return [instrumentLink(r.instrument), r.model ?? '', r.location ?? '', statusCell(i.status), due];
        }),
        { id: 'instruments' },
      ),
    ),
    section(
      t('inspections'),
      table(
        [t('date'), t('outcome'), t('findings'), t('inspectors')],
        byKind('inspection_result').map((e) => [date(e.record.date), enumName(e.record.outcome), String(e.record.findings?.length ?? 0), (e.record.inspectors ?? []).join(', ')]),
      ),
    ),
    section(
      t('penalties'),
      table(
        [t('date'), t('decision_number'), t('violation'), t('severity'), t('public_until')],
        byKind('penalty_decision')
          .filter((e) => now === undefined || e.record.public_until > now)
          .map((e) => [date(e.record.date), e.record.decision_number, e.record.violation, enumName(e.record.severity), date(e.record.public_until)]),
      ),
    ),
    section(
      t('objections'),
      table(
        [t('kind'), t('reason'), t('date')],
        entries
          .filter((e) => ['objection', 'objection_decision', 'credit_repair'].includes(e.record?.kind))
          .map((e) => {
            const r = e.record;
            const what = r.kind === 'objection_decision' ? `${kindName(r.kind)}: ${r.upheld ? t('upheld') : t('not_upheld')}` : kindName(r.kind);
            return [what, r.reason ?? r.basis ?? '', r.date ? date(r.date) : `#${e.height}`];
          }),
      ),
    ),
    section(t('entries', entries.length), entriesTable(entries)),
  );
}

async function instrumentPage(owner, category, serial) {
  const title = `${t('instrument')} ${category} · ${serial}`;
  show(h('h1', {}, title), loading());
  let answer;
  let report;
  try {
    answer = await call('lx_instrument', [{ owner, category, serial }]);
    report = await verifyInstrument(answer);
  } catch (e) {
    show(h('h1', {}, title), errorBox(e));
    return;
  }
  const s = answer.state ?? {};
  const r = s.registration ?? {};
  const lv = s.last_verification;
  show(
    h('h1', {}, title),
    verdict(report),
    section(
      t('instrument'),
      h(
        'dl',
        { class: 'facts' },
        field(t('owner'), h('a', { href: `#/operator/${encodeURIComponent(owner)}` }, owner)),
        field(t('category'), category),
        field(t('serial'), serial),
        field(t('model'), r.model),
        field(t('usage'), enumName(r.usage)),
        field(t('accuracy_class'), r.accuracy_class),
        field(t('range'), r.range),
        field(t('manufacturer'), r.manufacturer),
        field(t('location'), r.location),
        field(t('mode'), typeof r.mode === 'string' ? enumName(r.mode) : Object.keys(r.mode ?? {}).map(enumName).join(', ')),
        field(t('status'), statusCell(answer.status)),
      ),
    ),
    section(
      t('last_verification'),
      lv
        ? h(
            'dl',
            { class: 'facts' },
            field(t('date'), date(lv.date)),
            field(t('outcome'), lv.passed ? t('passed') : t('failed_check')),
            field(t('until'), date(lv.valid_until)),
            field(t('institution'), lv.institution),
            field(t('certificate'), h('a', { href: `#/certificate/${lv.certificate_digest}` }, short(lv.certificate_digest))),
          )
        : h('p', { class: 'muted' }, t('none')),
    ),
    section(t('entries', (answer.entries ?? []).length), entriesTable(answer.entries ?? [])),
  );
}

function certificatePage(digest) {
  const out = h('div', { id: 'cert-result', 'aria-live': 'polite' });
  const digestInput = h('input', { id: 'digest', name: 'digest', type: 'text', maxlength: 128, spellcheck: 'false', autocomplete: 'off', value: digest ?? '' });
  const fileInput = h('input', { id: 'cert-file', type: 'file' });
  const fileNote = h('p', { class: 'muted', id: 'file-digest' });
  const check = async (d) => {
    out.replaceChildren(loading());
    try {
      const answer = await call('lx_certificate', [d]);
      const report = await verifyCertificate(answer);
      out.replaceChildren(verdict(report), certificateResult(answer));
      mark(out);
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  };
  const useFile = async (file) => {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const d = documentDigest(bytes);
    const hex = typeof d === 'string' ? d : toHex(d);
    fileNote.textContent = t('cert_digest_of', hex);
    digestInput.value = hex;
    await check(hex);
  };
  fileInput.addEventListener('change', () => useFile(fileInput.files?.[0]));
  const drop = h('div', { class: 'drop', id: 'drop' }, t('cert_drop'));
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    useFile(ev.dataTransfer?.files?.[0]);
  });
  const form = h(
    'form',
    {
      class: 'search',
      onsubmit: (ev) => {
        ev.preventDefault();
        const v = digestInput.value.trim();
        if (!v) return;
        if (/^[0-9a-fA-F]{64}$/.test(v)) {
          check(v.toLowerCase());
          return;
        }
        // A certificate number: find its digest(s), then check (and prove) each.
        out.replaceChildren(loading());
        call('lx_findCertificates', [v])
          .then((hits) => {
            if (hits.length === 1) {
              digestInput.value = hits[0].digest;
              return check(hits[0].digest);
            }
            if (!hits.length) {
              out.replaceChildren(h('p', { class: 'cert-answer off', id: 'cert-answer', 'data-on-ledger': 'false' }, t('cert_number_none', v)));
              return undefined;
            }
            out.replaceChildren(
              h('p', {}, t('cert_number_many', hits.length)),
              h('ul', { class: 'hits' }, hits.map((x) => h('li', {}, h('a', { href: `#/certificate/${x.digest}` }, `${x.number} · ${x.instrument.category} ${x.instrument.serial} · ${date(x.date)}`)))),
            );
            return undefined;
          })
          .catch((e) => out.replaceChildren(errorBox(e)));
      },
    },
    h('label', { for: 'cert-file' }, t('cert_file')),
    fileInput,
    drop,
    fileNote,
    h('label', { for: 'digest' }, t('cert_digest_or_number')),
    h('div', { class: 'row' }, digestInput, h('button', { type: 'submit' }, t('cert_check'))),
  );
  show(h('h1', {}, t('certificate')), h('p', {}, t('cert_intro')), form, out);
  if (digest) check(digest);
}

function certificateResult(a) {
  if (!a.on_ledger) return h('p', { class: 'cert-answer off', id: 'cert-answer', 'data-on-ledger': 'false' }, t('cert_off'));
  const e = a.entry ?? {};
  return h(
    'div',
    { class: 'cert-answer on', id: 'cert-answer', 'data-on-ledger': 'true', 'data-valid': String(!!a.valid) },
    h('p', { class: 'big' }, t('cert_on'), ' ', h('strong', {}, a.valid ? t('cert_valid') : t('cert_invalid'))),
    h(
      'dl',
      { class: 'facts' },
      field(t('cert_number'), e.number),
      field(t('institution'), a.institution_name ? `${a.institution_name} (${e.institution})` : e.institution),
      field(t('instrument'), instrumentLink(e.instrument)),
      field(t('date'), date(e.date)),
      field(t('outcome'), e.passed ? t('passed') : t('failed_check')),
      field(t('until'), date(e.valid_until)),
      field(t('validity'), a.validity),
    ),
  );
}

function drawPage(id) {
  const out = h('div', { id: 'draw-result', 'aria-live': 'polite' });
  const input = h('input', { id: 'draw-id', type: 'text', pattern: '[0-9a-f]{64}', maxlength: 64, spellcheck: 'false', autocomplete: 'off', value: id ?? '' });
  const form = h(
    'form',
    {
      class: 'search',
      onsubmit: (ev) => {
        ev.preventDefault();
        const v = input.value.trim().toLowerCase();
        if (v) location.hash = `#/draw/${v}`;
      },
    },
    h('label', { for: 'draw-id' }, t('draw_id')),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, t('draw_show'))),
  );
  show(h('h1', {}, t('draw')), h('p', {}, t('draw_intro')), form, out);
  if (!id) return;
  out.replaceChildren(loading());
  (async () => {
    try {
      const answer = await call('lx_draw', [id]);
      const report = await verifyDraw(answer);
      const req = answer.request ?? {};
      const res = answer.resolution;
      const recomputed = report.recomputed;
      out.replaceChildren(
        verdict(report),
        section(
          t('draw'),
          h('dl', { class: 'facts' }, field(t('draw_label'), req.label), field(t('draw_jurisdiction'), req.jurisdiction), field(t('inspectors'), (req.inspectors ?? []).join(', ')), field(t('height'), answer.request_height)),
        ),
        section(
          t('draw_selection'),
          res
            ? [
                h('p', { class: 'muted' }, `${t('draw_seed')}: ${res.seed ?? ''}`),
                table(
                  [t('operator'), t('inspectors')],
                  (res.selection ?? res.targets ?? []).map((s) => [h('a', { href: `#/operator/${encodeURIComponent(s.operator)}` }, s.operator), (s.inspectors ?? []).join(', ')]),
                  { id: 'selection' },
                ),
                h(
                  'p',
                  { class: `recompute ${recomputed === true ? 'ok' : recomputed === false ? 'bad' : ''}`, id: 'recompute' },
                  recomputed === true ? t('draw_recomputed') : recomputed === false ? t('draw_recompute_failed') : t('draw_not_recomputed'),
                ),
              ]
            : h('p', {}, t('draw_pending')),
        ),
        section(t('draw_candidates', (answer.candidates ?? []).length), table([t('operator'), t('grade')], (answer.candidates ?? []).map((c) => [c.operator, c.grade]))),
      );
      mark(out);
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  })();
}

let feedTimer = null;

function feedPage() {
  const out = h('div', { id: 'feed', 'aria-live': 'polite' }, loading());
  show(h('h1', {}, t('feed')), h('p', {}, t('feed_intro')), out);
  let shownSize = -1;
  const tick = async () => {
    try {
      const { report, entries, checkpoint } = await verifyFeed(20);
      if (checkpoint.log_size !== shownSize || !report.ok) {
        shownSize = checkpoint.log_size;
        out.replaceChildren(
          verdict(report),
          entries.length
            ? table(
                [t('leaf'), t('height'), t('kind'), t('subject')],
                entries
                  .slice()
                  .reverse()
                  .map((e) => [String(e.leaf_index), String(e.height), recordDetails(e.record), subjectOf(e.record)]),
                { class: 'entries', id: 'feed-entries' },
              )
            : h('p', { class: 'muted' }, t('feed_empty')),
        );
        mark(out);
      }
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
    if (location.hash.startsWith('#/feed')) feedTimer = setTimeout(tick, 4000);
  };
  tick();
}

function subjectOf(r) {
  if (!r) return '';
  const op = r.uscc ?? r.target ?? r.instrument?.owner;
  if (op) return h('a', { href: `#/operator/${encodeURIComponent(op)}` }, op);
  return r.name ?? r.label ?? '';
}

// ---------------------------------------------------------------------------------------------
// Frame and routing

function renderFrame() {
  document.documentElement.lang = currentLang() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  const nav = h(
    'nav',
    { 'aria-label': 'main' },
    h('a', { href: '#/' }, t('nav_search')),
    h('a', { href: '#/certificate' }, t('nav_certificate')),
    h('a', { href: '#/draw' }, t('nav_draw')),
    h('a', { href: '#/feed' }, t('nav_feed')),
    h(
      'button',
      {
        type: 'button',
        class: 'lang',
        id: 'lang',
        onclick: () => {
          setLang(currentLang() === 'zh' ? 'en' : 'zh');
          renderFrame();
          route();
        },
      },
      t('lang_switch'),
    ),
  );
  document.getElementById('header').replaceChildren(h('a', { href: '#/', class: 'brand' }, t('title')), h('p', { class: 'tagline' }, t('tagline')), nav);
  pinnedLine();
}

let pinned = null;
function pinnedLine() {
  const cur = pinned?.current;
  const line = pinned
    ? t('pinned', pinned.validators.map((v) => v.name).join(', '), pinned.quorum, pinned.chain_id) +
      (pinned.changes ? ` ${t('followed', pinned.changes, cur.validators.map((v) => v.name).join(', '), cur.quorum)}` : '')
    : '';
  document.getElementById('footer').replaceChildren(h('p', { class: 'muted', id: 'pinned' }, line));
}

/** Shows the pinned validator set in the footer (in the current language). */
function setTrustLine(trust) {
  pinned = trust;
  pinnedLine();
}

function route() {
  if (feedTimer) {
    clearTimeout(feedTimer);
    feedTimer = null;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [page, ...rest] = parts;
  switch (page) {
    case 'operator':
      return operatorPage(rest[0] ?? '');
    case 'instrument':
      return instrumentPage(rest[0] ?? '', rest[1] ?? '', rest.slice(2).join('/'));
    case 'certificate':
      return certificatePage(rest[0]);
    case 'draw':
      return drawPage(rest[0]);
    case 'feed':
      return feedPage();
    default:
      return home();
  }
}

async function start() {
  renderFrame();
  window.addEventListener('hashchange', route);
  try {
    const trust = await loadTrust();
    setTrustLine(trust);
  } catch (e) {
    show(errorBox(e));
    return;
  }
  route();
}

start();

// The reference kiosk screen (/kiosk) and staff view (/kiosk/staff) in headless Chromium,
// against `myna-kiosk run --mock` started by run.sh. Every screen is photographed at 800×480.
//
// Environment (set by run.sh): KIOSK_BASE (http://127.0.0.1:PORT), KIOSK_TOKENS (the
// tokens.json the daemon wrote), SCREENSHOT_DIR, KIOSK_CONFIG and KIOSK_DAEMON_PID (its
// configuration file, reloaded with SIGHUP).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.KIOSK_BASE;
const ORIGIN = new URL(BASE).origin;
const TOKENS = JSON.parse(fs.readFileSync(process.env.KIOSK_TOKENS, 'utf8'));
const SHOTS = process.env.SCREENSHOT_DIR;
// The daemon's configuration file and process, for a scenario that reloads [session].
const CONFIG = process.env.KIOSK_CONFIG;
const DAEMON_PID = Number(process.env.KIOSK_DAEMON_PID);
const VIEWPORT = { width: 800, height: 480 };
const PIN = '1234'; // the virtual card's default PIN

let browser;
/** Every URL any page asked for, with the page it came from. */
const requests = [];
/** Console errors and uncaught exceptions (a CSP violation would show up here). */
const pageErrors = [];
let shotNumber = 0;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  // Checked last, over everything every scenario did.
  assert.ok(requests.length > 0, 'the pages made requests');
  const foreign = requests.filter((r) => new URL(r.url).origin !== ORIGIN);
  assert.deepEqual(foreign, [], `every request stays on ${ORIGIN}`);
  assert.deepEqual(pageErrors, [], 'no console errors');
  console.log(`# ${requests.length} requests from the pages, all to ${ORIGIN}`);
  console.log(`# ${shotNumber} screenshots in ${SHOTS}`);
});

/** A fresh browser context (no shared storage) with an 800×480 page that records requests. */
async function openPage(urlPath, { touch = true } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, hasTouch: touch, locale: 'ja-JP' });
  context.on('request', (r) => requests.push({ url: r.url(), from: urlPath }));
  const page = await context.newPage();
  page.on('console', (m) => {
    // Chromium logs every HTTP error answer: the favicon's 404, and the 401 test 3 provokes
    // with a wrong staff token.
    const expected = m.text().includes('status of 404') || (urlPath === '/kiosk/staff' && m.text().includes('status of 401'));
    if (m.type() === 'error' && !expected) pageErrors.push(`${urlPath}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${urlPath}: ${e.message}`));
  await page.goto(BASE + urlPath);
  return page;
}

async function shot(page, name) {
  shotNumber += 1;
  const file = path.join(SHOTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  // Animations stopped, so the picture does not depend on timing.
  await page.screenshot({ path: file, animations: 'disabled' });
  return file;
}

const screen = (kind, extra = '') => `main[data-screen="${kind}"]${extra}`;

async function waitScreen(page, kind, extra = '') {
  await page.waitForSelector(screen(kind, extra), { timeout: 15000 });
}

/** Photographs the page in English too, then switches back to Japanese. */
async function shotBothLanguages(page, name) {
  await shot(page, name);
  await page.click('#lang');
  await page.waitForSelector('html[lang="en"]');
  await shot(page, name + '-en');
  await page.click('#lang');
  await page.waitForSelector('html[lang="ja"]');
}

// ---------------------------------------------------------------------------------------------
// The API, as the test (not the page) uses it

async function call(method, urlPath, token, body) {
  const headers = { authorization: 'Bearer ' + token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(BASE + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const tapCard = (profile) => call('POST', '/v1/bench/card', TOKENS.bench, { profile });
const removeCard = () => call('DELETE', '/v1/bench/card', TOKENS.bench);

/** Every result so far, oldest first (the reception token pages through them). */
async function allResults() {
  const out = [];
  let after = 0;
  for (;;) {
    const r = await call('GET', `/v1/results?after=${after}&limit=1000`, TOKENS.reception);
    assert.equal(r.status, 200);
    out.push(...r.body.results);
    if (r.body.results.length === 0 || r.body.next_after === after) return out;
    after = r.body.next_after;
  }
}

async function lastSeq() {
  const all = await allResults();
  return all.length ? all[all.length - 1].seq : 0;
}

/** The one result finished since `seq` (waits for it: results are made durable first). */
async function resultSince(seq) {
  for (let i = 0; i < 50; i++) {
    const r = await call('GET', `/v1/results?after=${seq}`, TOKENS.reception);
    if (r.body.results.length > 0) {
      assert.equal(r.body.results.length, 1, 'one session, one result');
      return r.body.results[0];
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`no result after seq ${seq}`);
}

/** Leaves the reader empty and the kiosk on "place your card", whatever happened before. */
async function reset(page) {
  await removeCard();
  if (page) await waitScreen(page, 'place_card');
}

async function typePinWithKeys(page, pin) {
  for (const d of pin) await page.click(`#key-${d}`);
}

async function typePinWithKeyboard(page, pin) {
  for (const d of pin) await page.keyboard.press(d);
}

/** Nothing on the page, in its text or its attributes, holds the digits typed. */
async function assertPinNotInPage(page, pin) {
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!html.includes(pin), 'the PIN is not in the DOM');
  const values = await page.evaluate(() => [...document.querySelectorAll('input')].map((i) => i.value));
  assert.ok(!values.includes(pin), 'no input holds the PIN');
}

async function answerConsent(page, answer, name) {
  await waitScreen(page, 'consent', '[data-item="medication"]');
  if (name) await shotBothLanguages(page, name + '-1');
  await page.click(answer ? '#consent-yes' : '#consent-no');
  await waitScreen(page, 'consent', '[data-item="limit_amount"]');
  if (name) await shot(page, name + '-2');
  await page.click(answer ? '#consent-yes' : '#consent-no');
}

// ---------------------------------------------------------------------------------------------

test('1. PIN check-in, the card tapped through the page\'s bench panel', async () => {
  await reset();
  const seq = await lastSeq();
  const page = await openPage('/kiosk');
  await waitScreen(page, 'place_card');
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  // Phones use the same reader: an iPhone is authorised on the phone before it is held there.
  assert.match(await page.textContent('main'), /iPhone.*Face ID.*かざしてください/);
  await shotBothLanguages(page, 'place-card');

  // The bench panel exists only with --mock; it taps a virtual card.
  await page.click('#bench-open');
  await page.waitForSelector('#bench[open]');
  await shot(page, 'bench-panel');
  await page.click('#bench-valid');
  await page.waitForSelector('#bench', { state: 'hidden' });

  await waitScreen(page, 'choose_method');
  await shotBothLanguages(page, 'choose-method');
  await page.click('#method-pin');

  await waitScreen(page, 'enter_pin');
  assert.match(await page.textContent('#detail'), /あと 3 回/);
  await shot(page, 'pin-pad');
  await typePinWithKeys(page, PIN.slice(0, 2));
  assert.equal(await page.getAttribute('#pin-dots', 'data-length'), '2');
  await shotBothLanguages(page, 'pin-pad-two-digits');
  await typePinWithKeyboard(page, PIN.slice(2));
  assert.equal(await page.getAttribute('#pin-dots', 'data-length'), '4');
  await assertPinNotInPage(page, PIN);
  await page.click('#key-ok');

  await answerConsent(page, true, 'consent');
  await waitScreen(page, 'take_card', '[data-outcome="verified"]');
  assert.match(await page.textContent('#detail'), /カードをお取りください/);
  await shotBothLanguages(page, 'take-card-verified');
  await assertPinNotInPage(page, PIN);

  // Take the card away through the bench panel too.
  await page.click('#bench-open');
  await page.click('#bench-remove');
  await waitScreen(page, 'place_card');

  const r = await resultSince(seq);
  assert.equal(r.outcome, 'verified');
  assert.equal(r.auth.method, 'pin');
  assert.deepEqual(r.consent.items, { medication: true, limit_amount: true });
  await page.context().close();
});

test('2. a wrong PIN, then the right one: tries left shown, "consent to all"', async () => {
  const page = await openPage('/kiosk');
  await reset(page);
  const seq = await lastSeq();
  await tapCard('valid');
  await waitScreen(page, 'choose_method');
  // Keyboard only: Tab to the PIN method, Enter.
  await page.focus('#method-pin');
  await page.keyboard.press('Enter');
  await waitScreen(page, 'enter_pin');
  await typePinWithKeyboard(page, '9999');
  await page.keyboard.press('Enter');

  await page.waitForSelector('.notice[data-code="PIN_WRONG"]');
  await waitScreen(page, 'enter_pin');
  assert.match(await page.textContent('#detail'), /あと 2 回/);
  assert.equal(await page.getAttribute('#pin-dots', 'data-length'), '0');
  await shotBothLanguages(page, 'pin-wrong-tries-left');

  // The language switch has the focus now: Enter would press it. Tab to OK as a keyboard user.
  await typePinWithKeyboard(page, PIN);
  await page.focus('#key-ok');
  await page.keyboard.press('Enter');
  await waitScreen(page, 'consent');
  assert.ok(await page.isVisible('#consent-all'));
  await page.click('#consent-all');
  await waitScreen(page, 'take_card', '[data-outcome="verified"]');
  await assertPinNotInPage(page, PIN);
  await assertPinNotInPage(page, '9999');

  const r = await resultSince(seq);
  assert.equal(r.outcome, 'verified');
  assert.equal(r.auth.method, 'pin');
  assert.deepEqual(r.consent.items, { medication: true, limit_amount: true });
  await reset(page);
  await page.context().close();
});

test('3. a locked card handed to staff, who confirm it in the staff view', async () => {
  const staff = await openPage('/kiosk/staff', { touch: false });
  await staff.waitForSelector('#signin:not([hidden])');
  await shot(staff, 'staff-sign-in');
  // A wrong token is refused and not kept.
  await staff.fill('#token', 'not-a-token');
  await staff.click('#signin-submit');
  await staff.waitForSelector('#signin-error:not(:empty)');
  await staff.fill('#token', TOKENS.staff);
  await staff.fill('#signin-staff-id', 'nurse-7');
  await staff.click('#signin-submit');
  await staff.waitForSelector('#session-panel:not([hidden])');
  assert.equal(await staff.inputValue('#token'), '', 'the token field is cleared');

  const page = await openPage('/kiosk');
  await reset(page);
  const seq = await lastSeq();
  await tapCard('pin-locked');
  await waitScreen(page, 'choose_method');
  assert.equal(await page.$('#method-pin'), null, 'no PIN for a locked card');
  await shotBothLanguages(page, 'choose-method-pin-locked');
  await shot(staff, 'staff-choosing');

  await page.click('#method-visual');
  await waitScreen(page, 'staff_check');
  await shotBothLanguages(page, 'waiting-for-staff');

  await staff.waitForSelector('#visual-needed:not([hidden])');
  await staff.waitForSelector('#visual-confirm:not([disabled])');
  await shot(staff, 'staff-visual-check');
  await staff.click('#lang');
  await shot(staff, 'staff-visual-check-en');
  await staff.click('#lang');
  assert.equal(await staff.inputValue('#staff-id'), 'nurse-7');
  await staff.click('#visual-confirm');
  await staff.waitForSelector('#action-message[data-code="confirmed"]');

  await answerConsent(page, true);
  await waitScreen(page, 'take_card', '[data-outcome="verified"]');
  await staff.waitForSelector('#results li[data-outcome="verified"]');
  // Nothing left for staff to do on this session: the buttons say so.
  await staff.waitForSelector('#visual-confirm[disabled]', { state: 'attached' });
  await shot(staff, 'staff-last-results');

  const r = await resultSince(seq);
  assert.equal(r.outcome, 'verified');
  assert.deepEqual(r.auth, { method: 'visual', staff_id: 'nurse-7' });
  assert.ok(r.guidance.some((g) => g.code === 'PIN_LOCKED'), 'PIN_LOCKED guidance recorded');
  await reset(page);

  // The token lives in this tab's sessionStorage only; "forget" clears it.
  assert.equal(await staff.evaluate(() => sessionStorage.getItem('myna-kiosk.staff-token')), TOKENS.staff);
  assert.equal(await staff.evaluate(() => localStorage.length), 0);
  await staff.click('#signout');
  await staff.waitForSelector('#signin:not([hidden])');
  assert.equal(await staff.evaluate(() => sessionStorage.getItem('myna-kiosk.staff-token')), null);
  await staff.context().close();
  await page.context().close();
});

test('4. consent answered "no" to everything: still checked in, consent false', async () => {
  const page = await openPage('/kiosk');
  await reset(page);
  const seq = await lastSeq();
  await tapCard('valid');
  await waitScreen(page, 'choose_method');
  await page.click('#method-pin');
  await waitScreen(page, 'enter_pin');
  await typePinWithKeys(page, PIN);
  await page.click('#key-ok');
  await answerConsent(page, false);
  await waitScreen(page, 'take_card', '[data-outcome="verified"]');
  const r = await resultSince(seq);
  assert.equal(r.outcome, 'verified');
  assert.equal(r.auth.method, 'pin');
  assert.deepEqual(r.consent.items, { medication: false, limit_amount: false });
  await reset(page);
  await page.context().close();
});

test('5. the last try: warning, explicit confirmation, then cancel during consent', async () => {
  const page = await openPage('/kiosk');
  await reset(page);
  const seq = await lastSeq();
  await tapCard('pin-last-try');
  await waitScreen(page, 'choose_method');
  await page.click('#method-pin');
  await waitScreen(page, 'enter_pin');
  assert.ok((await page.textContent('#warning')).length > 0, 'the last-try warning is shown');
  await shotBothLanguages(page, 'pin-last-try-warning');
  await typePinWithKeys(page, PIN);
  await page.click('#key-ok');
  await page.waitForSelector('#last-try-confirm');
  await shotBothLanguages(page, 'pin-last-try-confirm');
  await page.click('#pin-confirm-send');
  await waitScreen(page, 'consent');
  await page.click('#cancel');
  await waitScreen(page, 'take_card', '[data-outcome="cancelled"]');
  await shotBothLanguages(page, 'take-card-cancelled');
  const r = await resultSince(seq);
  assert.equal(r.outcome, 'cancelled');
  await reset(page);
  await page.context().close();
});

test('6. waiting for the face check; staff cancel it from the staff view', async () => {
  const staff = await openPage('/kiosk/staff', { touch: false });
  await staff.fill('#token', TOKENS.staff);
  await staff.click('#signin-submit');
  await staff.waitForSelector('#session-panel:not([hidden])');
  const page = await openPage('/kiosk');
  await reset(page);
  const seq = await lastSeq();
  await tapCard('valid');
  await waitScreen(page, 'choose_method');
  await page.click('#method-face');
  await waitScreen(page, 'face_check');
  await shotBothLanguages(page, 'waiting-for-face-check');
  await staff.waitForSelector('#session-cancel:not([disabled])');
  await staff.click('#session-cancel');
  await waitScreen(page, 'take_card', '[data-outcome="cancelled"]');
  const r = await resultSince(seq);
  assert.equal(r.outcome, 'cancelled');
  await reset(page);
  await staff.context().close();
  await page.context().close();
});

test('7. guidance and error screens for every other card profile', async () => {
  const page = await openPage('/kiosk');
  for (const profile of ['expiring-soon', 'grace', 'expired', 'no-pin', 'juki', 'android', 'iphone', 'not-jpki']) {
    await reset(page);
    await tapCard(profile);
    await page.waitForSelector('main:not([data-screen="place_card"]):not([data-screen="reading"])', { timeout: 15000 });
    const kind = await page.getAttribute('main', 'data-screen');
    await shot(page, `profile-${profile}-${kind}`);
    if (profile === 'android') {
      // Straight to the PIN pad, saying it is the phone's own PIN.
      assert.equal(kind, 'enter_pin');
      assert.ok(await page.$('.notice[data-code="PHONE_PIN"]'), 'the phone-PIN notice');
    }
    if (profile === 'iphone') {
      // No PIN pad for an iPhone: it signed at once and the patient is at consent.
      assert.equal(kind, 'consent');
      assert.equal(await page.$('#keypad'), null);
    }
    if (['expired', 'juki', 'not-jpki'].includes(profile)) {
      // A card that cannot check in says why, in words.
      const notices = await page.$$eval('.notice', (ns) => ns.map((n) => n.textContent));
      assert.ok(notices.length > 0, `${profile}: a notice on ${kind}`);
    }
  }
  await reset(page);
  // A card removed in the middle.
  await tapCard('valid');
  await waitScreen(page, 'choose_method');
  await page.click('#method-pin');
  await waitScreen(page, 'enter_pin');
  await removeCard();
  await page.waitForSelector('main:not([data-screen="enter_pin"])');
  await shot(page, `card-removed-${await page.getAttribute('main', 'data-screen')}`);
  await reset(page);
  await page.context().close();
});

test('8. the token is refused to a page that does not come from this machine', async () => {
  // The daemon checks the Host header too (DNS rebinding): a page named otherwise gets 403 and
  // shows why, without any token.
  const rebound = await new Promise((resolve, reject) => {
    const u = new URL(BASE + '/kiosk/token');
    const req = http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { host: 'kiosk.example' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body, csp: res.headers['content-security-policy'] }));
    });
    req.on('error', reject);
  });
  assert.equal(rebound.status, 403);
  assert.equal(JSON.parse(rebound.body).code, 'KIOSK_SCREEN_LOCAL_ONLY');
  assert.ok(!rebound.body.includes(TOKENS.kiosk));
  assert.match(rebound.csp, /connect-src 'self'/);
  const ok = await fetch(BASE + '/kiosk/token');
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).kiosk, TOKENS.kiosk);
});

test('9. screens the mock cannot hold still: reading, verifying, out of service', async () => {
  // These last milliseconds with the in-process card (or need a broken journal). The real page
  // is shown the views the daemon would send, from a stand-in event stream inside the page.
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  context.on('request', (r) => requests.push({ url: r.url(), from: 'fixture' }));
  await context.addInitScript(() => {
    const realFetch = window.fetch.bind(window);
    const encoder = new TextEncoder();
    let stream = null;
    window.__streamReady = () => stream !== null;
    window.__showView = (v) => stream.enqueue(encoder.encode(`event: session\ndata: ${JSON.stringify(v)}\n\n`));
    window.fetch = (input, init) => {
      if (String(input) === '/v1/events') {
        const body = new ReadableStream({ start: (c) => { stream = c; } });
        return Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
      }
      return realFetch(input, init);
    };
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`fixture: ${e.message}`));
  await page.goto(BASE + '/kiosk');
  await page.waitForFunction(() => typeof window.__showView === 'function');
  const view = (prompt, extra = {}) => ({
    id: 's-fixture', prompt, allowed_actions: ['cancel'], pin_tries_left: 3, deadline_ms: 20000, notices: [], card: null, ...extra,
  });
  const fixtures = [
    ['reading', view({ kind: 'reading' }, { allowed_actions: [] })],
    ['verifying', view({ kind: 'verifying' }, { allowed_actions: [] })],
    ['out-of-service', view({ kind: 'out_of_service' }, {
      id: null, allowed_actions: [], deadline_ms: null,
      notices: [{ code: 'JOURNAL_UNAVAILABLE', ja: '受付の記録を保存できません。受付窓口へお越しください。', en: 'Check-ins cannot be recorded. Please go to the reception desk.' }],
    })],
    // The reader gone (pcscd stopped, reader unplugged): the national fallback, at the desk.
    ['out-of-service-reader', view({ kind: 'out_of_service' }, {
      id: null, allowed_actions: [], deadline_ms: null,
      notices: [{
        code: 'READER_UNAVAILABLE',
        ja: 'カードリーダーが使えません。受付で、マイナ保険証と資格情報のお知らせをお見せください。スマートフォンのマイナポータルの資格情報の画面でもかまいません。',
        en: 'The card reader is not working. At the desk, please show your My Number card with your Eligibility Information Notice (資格情報のお知らせ), or the eligibility screen of My Portal (マイナポータル) on your phone.',
      }],
    })],
  ];
  for (const [name, v] of fixtures) {
    await page.waitForFunction(() => window.__streamReady());
    await page.evaluate((x) => window.__showView(x), v);
    await waitScreen(page, v.prompt.kind);
    await shotBothLanguages(page, name);
  }
  await context.close();
});

test('10. the idle screen sends phone users to the reader and others to the desk; furigana; larger text', async () => {
  const page = await openPage('/kiosk');
  await reset(page);
  const hints = await page.$$eval('#hints .hint', (hs) => hs.map((h) => h.textContent));
  assert.equal(hints.length, 2, 'a phone line and a desk line');
  assert.match(hints[0], /スマートフォン/);
  assert.match(hints[1], /資格確認書/);
  assert.match(hints[1], /受付/);
  // Key terms carry their reading, as <ruby>; the words themselves stay as written.
  const rubies = await page.$$eval('main ruby', (rs) => rs.map((r) => [r.firstChild.textContent, r.querySelector('rt').textContent]));
  assert.ok(rubies.some(([w, r]) => w === '資格確認書' && r === 'しかくかくにんしょ'), JSON.stringify(rubies));
  assert.ok(rubies.some(([w, r]) => w === '保険証' && r === 'ほけんしょう'), JSON.stringify(rubies));
  await shotBothLanguages(page, 'place-card-desk-and-phone-lines');
  await page.click('#lang');
  await page.waitForSelector('html[lang="en"]');
  assert.equal(await page.$$eval('main ruby', (rs) => rs.length), 0, 'no furigana in English');
  assert.match(await page.textContent('#hints'), /Eligibility Certificate \(資格確認書\)/);
  await page.click('#lang');
  await page.waitForSelector('html[lang="ja"]');

  // Larger text: the prompt grows, the toggle says it is on, and it is for this patient only.
  const size = () => page.$eval('#title', (t) => t.getBoundingClientRect().height);
  const normal = await size();
  await page.click('#large');
  await page.waitForSelector('body.large');
  assert.equal(await page.getAttribute('#large', 'aria-pressed'), 'true');
  assert.ok((await size()) > normal * 1.1, `the title grows: ${normal} → ${await size()}`);
  await shot(page, 'larger-text-place-card');
  await tapCard('valid');
  await waitScreen(page, 'choose_method');
  await shot(page, 'larger-text-choose-method');
  await page.click('#method-pin');
  await waitScreen(page, 'enter_pin');
  await shot(page, 'larger-text-pin-pad');
  await reset(page);
  await page.waitForSelector('body:not(.large)');
  assert.equal(await page.getAttribute('#large', 'aria-pressed'), 'false', 'the next patient starts with normal text');
  await page.context().close();
});

test('11. more time on a step (時間を延長), and the prescription form as a choice', async () => {
  // The clinic asks the prescription form too: a reloaded configuration (SIGHUP), from the next card.
  fs.writeFileSync(CONFIG, '[session]\nconsent_items = ["medication", "limit_amount", "electronic_prescription"]\n');
  process.kill(DAEMON_PID, 'SIGHUP');
  try {
    const page = await openPage('/kiosk');
    await reset(page);
    const seq = await lastSeq();
    await tapCard('valid');
    await waitScreen(page, 'choose_method');
    await page.waitForSelector('#extend');
    const left = async () => Number((await page.textContent('#deadline')).match(/\d+/)[0]);
    const before = await left();
    await page.click('#extend');
    await page.waitForFunction((b) => Number(document.querySelector('#deadline').textContent.match(/\d+/)[0]) > b + 30, before);
    await shot(page, 'choose-method-extended');
    await page.click('#method-pin');
    await waitScreen(page, 'enter_pin');
    await typePinWithKeys(page, PIN);
    await page.click('#key-ok');
    await waitScreen(page, 'consent', '[data-item="medication"]');
    await page.click('#consent-all');
    // まとめて同意 does not choose the prescription form: it is asked on its own, as a choice.
    await waitScreen(page, 'prescription');
    const choices = await page.$$eval('.choices button', (bs) => bs.map((b) => b.id));
    assert.deepEqual(choices, ['prescription-electronic', 'prescription-paper']);
    assert.equal(await page.$('#consent-yes'), null, 'no はい/いいえ on a choice');
    await shotBothLanguages(page, 'prescription-choice');
    await page.click('#prescription-paper');
    await waitScreen(page, 'take_card', '[data-outcome="verified"]');
    const r = await resultSince(seq);
    assert.deepEqual(r.consent.items, { medication: true, limit_amount: true, electronic_prescription: false });
    await reset(page);
    await page.context().close();
  } finally {
    fs.writeFileSync(CONFIG, '');
    process.kill(DAEMON_PID, 'SIGHUP');
  }
});

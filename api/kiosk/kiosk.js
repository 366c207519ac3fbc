// The reference kiosk screen (/kiosk): follows the session over /v1/events and shows what the
// prompt says (`prompt.kind` and its fields), nothing guessed. A vendor may copy this file.
//
// - The kiosk token comes from /kiosk/token, which the daemon answers only on this machine.
// - The PIN lives in this page's memory only, is sent once per submission and is cleared at
//   once; it never reaches the DOM (the dots are drawn from its length).
// - Every control is a real <button>; digits, Backspace and Enter work from the keyboard.

import { api, followEvents, el, noticeText, TEXT, promptTitle, withFurigana } from '/kiosk/common.js';

const BENCH_PROFILES = [
  'valid', 'expiring-soon', 'grace', 'expired', 'pin-last-try', 'pin-locked',
  'no-pin', 'juki', 'android', 'iphone', 'not-jpki',
];

const $ = (id) => document.getElementById(id);

const state = {
  lang: 'ja',
  /** The larger-text toggle: for this patient only. */
  large: false,
  tokens: { kiosk: null, bench: null },
  view: null,
  /** The PIN digits typed so far (memory only). */
  pin: [],
  /** On the last try, the patient has to confirm before the PIN is sent. */
  confirming: false,
  /** A refused command's problem (shown until the screen changes). */
  commandError: null,
  /** A command was sent: ignore further taps until the daemon shows the next screen. */
  locked: false,
  /** Counts the commands sent, so a stale unlock timer does nothing. */
  sent: 0,
  connection: 'connecting',
  fatal: null,
  deadlineAt: null,
  renderedKey: null,
  renderedPromptKey: null,
};

const t = () => TEXT[state.lang];

async function loadTokens() {
  const r = await api('GET', '/kiosk/token');
  if (r.status === 200 && r.body) {
    state.tokens = { kiosk: r.body.kiosk ?? null, bench: r.body.bench ?? null };
    if (!state.tokens.kiosk) state.fatal = { kind: 'no-token' };
    return r.status;
  }
  state.fatal = { kind: 'local-only', problem: r.body };
  return r.status;
}

/** `lock`: ignore taps until the next screen (not for 時間を延長, which keeps the screen). */
async function command(method, path, body, lock = true) {
  if (state.locked) return;
  state.locked = lock;
  state.commandError = null;
  // For the session on screen: if the next patient's session started meanwhile, the daemon
  // refuses this (409 SESSION_MISMATCH) instead of applying it there.
  const r = await api(method, path, state.tokens.kiosk, body, state.view?.id);
  // The same screen with more time: the event stream brings the new deadline.
  if (r.status === 200 && !lock) return;
  if (r.status === 200) {
    // The event stream shows the next screen; until then further taps are ignored, so a double
    // tap cannot answer the next question too. The answer's own view is not applied: it may be
    // older than an event already shown. Should no new screen come, taps work again after a while.
    const sent = ++state.sent;
    setTimeout(() => {
      if (state.locked && state.sent === sent) state.locked = false;
    }, 3000);
    return;
  }
  state.locked = false;
  if (r.status === 401) await loadTokens();
  state.commandError = r.body && r.body.code ? r.body : { code: 'NETWORK', ja: '通信できませんでした。', en: 'Could not reach the kiosk daemon.' };
  render();
}

function applyView(view) {
  const previous = state.view;
  state.view = view;
  const deadline = view.deadline_ms;
  state.deadlineAt = typeof deadline === 'number' ? performance.now() + deadline : null;
  if (previous && previous.id && !view.id) {
    // The patient left: the next one starts in Japanese, with the normal text size.
    state.lang = 'ja';
    state.large = false;
  }
  const p = view.prompt || {};
  const pp = previous?.prompt || {};
  if (p.kind !== 'enter_pin' || view.id !== previous?.id || p.tries_left !== pp.tries_left) {
    state.pin = [];
    state.confirming = false;
  }
  render();
}

// ---------------------------------------------------------------------------------------------
// PIN entry

function addDigit(d) {
  if (state.locked || state.confirming || state.pin.length >= 4) return;
  state.pin.push(d);
  updatePin();
}

function deleteDigit() {
  if (state.locked || state.confirming) return;
  state.pin.pop();
  updatePin();
}

function submitPin() {
  if (state.locked || state.pin.length !== 4) return;
  const prompt = state.view?.prompt;
  if (prompt?.last_try && !state.confirming) {
    state.confirming = true;
    render();
    $('confirm-title')?.focus();
    return;
  }
  const pin = state.pin.join('');
  const confirm = Boolean(prompt?.last_try && state.confirming);
  state.pin = [];
  state.confirming = false;
  updatePin();
  command('POST', '/v1/session/pin', { pin, confirm_last_try: confirm });
}

function updatePin() {
  const n = state.pin.length;
  const dots = $('pin-dots');
  if (dots) {
    dots.setAttribute('aria-label', t().pinDots + ': ' + t().pinEntered(n));
    dots.dataset.length = String(n);
    [...dots.children].forEach((c, i) => c.classList.toggle('filled', i < n));
  }
  const ok = $('key-ok');
  if (ok) ok.disabled = n !== 4;
  const del = $('key-del');
  if (del) del.disabled = n === 0;
}

document.addEventListener('keydown', (e) => {
  if ($('bench').open || e.altKey || e.ctrlKey || e.metaKey) return;
  if (state.view?.prompt?.kind !== 'enter_pin' || state.confirming) return;
  if (/^[0-9]$/.test(e.key)) {
    e.preventDefault();
    addDigit(e.key);
  } else if (e.key === 'Backspace') {
    e.preventDefault();
    deleteDigit();
  } else if (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement)) {
    e.preventDefault();
    submitPin();
  }
});

// ---------------------------------------------------------------------------------------------
// Rendering

function button(id, label, onclick, cls = '', aria) {
  return el('button', { id, type: 'button', class: cls, onclick, 'aria-label': aria }, withFurigana(label, state.lang));
}

/** Sets an element's text, with furigana on the key terms in Japanese. */
function setText(element, text) {
  element.replaceChildren(...withFurigana(text, state.lang));
}

function extendButton(view) {
  if (!view.allowed_actions?.includes('extend')) return null;
  return button('extend', t().extend, () => command('POST', '/v1/session/extend', undefined, false), 'secondary extend', t().extendLabel);
}

function cancelButton(view) {
  if (!view.allowed_actions?.includes('cancel')) return null;
  return button('cancel', t().cancel, () => command('POST', '/v1/session/cancel'), 'secondary cancel', t().cancelLabel);
}

function pinControls(view) {
  const dots = el('div', { id: 'pin-dots', class: 'pin-dots', role: 'img' },
    [0, 1, 2, 3].map(() => el('span', { class: 'dot' })));
  const left = el('div', { class: 'pin-left' }, dots);
  if (state.confirming) {
    const confirm = el('div', { id: 'last-try-confirm', class: 'last-try-confirm', role: 'group', 'aria-labelledby': 'confirm-title' },
      el('h2', { id: 'confirm-title', tabindex: '-1' }, t().lastTryConfirmTitle),
      el('p', {}, t().lastTryConfirm),
      button('pin-confirm-send', t().lastTrySend, () => submitPin(), 'danger'),
      button('pin-confirm-back', t().lastTryBack, () => {
        state.pin = [];
        state.confirming = false;
        render();
        $('key-1')?.focus();
      }, 'secondary'));
    return [left, confirm];
  }
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => button('key-' + d, d, () => addDigit(d), 'key'));
  keys.push(button('key-del', t().del, () => deleteDigit(), 'key key-del', t().delLabel));
  keys.push(button('key-0', '0', () => addDigit('0'), 'key'));
  keys.push(button('key-ok', t().ok, () => submitPin(), 'key key-ok', t().okLabel));
  const pad = el('div', { id: 'keypad', class: 'keypad', role: 'group', 'aria-label': t().keypad }, keys);
  return [left, pad];
}

function controlsFor(view) {
  const p = view.prompt || {};
  switch (p.kind) {
    case 'choose_method':
      return [
        el('div', { class: 'methods', role: 'group', 'aria-labelledby': 'title' }, (p.methods || []).map((m) =>
          button('method-' + m, t()['method_' + m] || m, () => command('POST', '/v1/session/method', { method: m }), 'primary method'))),
      ];
    case 'enter_pin':
      return pinControls(view);
    case 'consent':
      return [
        el('div', { class: 'yes-no', role: 'group', 'aria-labelledby': 'title' },
          button('consent-yes', t().yes, () => command('POST', '/v1/session/consent', { [p.item]: true }), 'yes', t().yesLabel),
          button('consent-no', t().no, () => command('POST', '/v1/session/consent', { [p.item]: false }), 'no', t().noLabel)),
        p.allow_all ? button('consent-all', t().all, () => command('POST', '/v1/session/consent', { all: true }), 'primary all') : null,
      ];
    case 'prescription':
      // A choice, not a consent: two answers, neither a yes nor a no.
      return [
        el('div', { class: 'choices', role: 'group', 'aria-labelledby': 'title' }, (p.choices || []).map((c) =>
          button('prescription-' + c, t()['prescription_' + c] || c,
            () => command('POST', '/v1/session/consent', { prescription: c }), 'primary choice'))),
      ];
    case 'face_check':
    case 'staff_check':
    case 'reading':
    case 'verifying':
      return [el('div', { class: 'spinner', 'aria-hidden': 'true' })];
    default:
      return [];
  }
}

function texts(view) {
  const p = view.prompt || {};
  const tx = t();
  let progress = '';
  let detail = tx[p.kind + '_detail'] || '';
  let warning = '';
  if (p.kind === 'enter_pin') {
    detail = tx.triesLeft(p.tries_left);
    if (p.last_try) warning = tx.lastTryWarning;
  } else if (p.kind === 'face_check') {
    progress = tx.attemptsLeft(p.attempts_left);
  } else if (p.kind === 'consent' || p.kind === 'prescription') {
    progress = tx.progress(p.index, p.total);
  } else if (p.kind === 'take_card') {
    detail = tx.take_card_detail;
  } else if (p.kind === 'place_card') {
    detail = tx.place_card_detail;
  }
  // The idle screen also sends phone users to the reader and holders of a 資格確認書 or an
  // old 保険証 to the desk.
  const hints = p.kind === 'place_card' ? [tx.place_card_phone, tx.place_card_desk] : [];
  return { progress, title: promptTitle(p, state.lang), detail, warning, hints };
}

function renderFatal() {
  const tx = t();
  const f = state.fatal;
  $('main').dataset.screen = f.kind;
  $('progress').textContent = '';
  if (f.kind === 'no-token') {
    $('title').textContent = tx.noKioskTokenTitle;
    $('detail').textContent = tx.noKioskTokenDetail;
  } else {
    $('title').textContent = tx.localOnlyTitle;
    $('detail').textContent = f.problem ? noticeText(f.problem, state.lang) : '';
  }
  $('warning').textContent = '';
  $('notices').replaceChildren();
  $('controls').replaceChildren();
  $('foot-actions').replaceChildren();
}

function render() {
  const tx = t();
  document.documentElement.lang = state.lang;
  document.title = tx.brand;
  $('brand').textContent = tx.brand;
  $('lang').textContent = tx.switchTo;
  $('lang').setAttribute('lang', state.lang === 'ja' ? 'en' : 'ja');
  $('lang').setAttribute('aria-label', tx.switchToLabel);
  document.body.classList.toggle('large', state.large);
  $('large').textContent = state.large ? tx.smaller : tx.larger;
  $('large').setAttribute('aria-label', state.large ? tx.smallerLabel : tx.largerLabel);
  $('large').setAttribute('aria-pressed', String(state.large));
  $('bench-open').textContent = tx.bench;
  $('bench-title').textContent = tx.benchTitle;
  $('bench-remove').textContent = tx.benchRemove;
  $('bench-close').textContent = tx.benchClose;
  for (const b of $('bench-profiles').children) b.setAttribute('aria-label', tx.benchTap(b.dataset.profile));
  const conn = $('conn');
  conn.textContent = state.connection === 'connected' ? '' : state.connection === 'disconnected' ? tx.disconnected : tx.connecting;
  conn.classList.toggle('bad', state.connection === 'disconnected');

  if (state.fatal) {
    renderFatal();
    return;
  }
  const view = state.view;
  if (!view) return;
  const promptKey = JSON.stringify([view.id, view.prompt]);
  const key = JSON.stringify([view.id, view.prompt, view.notices, view.allowed_actions, state.lang, state.large, state.confirming, state.commandError]);
  if (key === state.renderedKey) return;
  const promptChanged = promptKey !== state.renderedPromptKey;
  const focusedId = document.activeElement?.id;

  const p = view.prompt || {};
  const main = $('main');
  main.dataset.screen = p.kind || 'unknown';
  if (p.kind === 'take_card') main.dataset.outcome = p.outcome;
  else delete main.dataset.outcome;
  if (p.kind === 'consent') main.dataset.item = p.item;
  else delete main.dataset.item;
  const s = texts(view);
  $('progress').textContent = s.progress;
  setText($('title'), s.title);
  setText($('detail'), s.detail);
  setText($('warning'), s.warning);
  $('hints').replaceChildren(...s.hints.map((h) => el('p', { class: 'hint' }, withFurigana(h, state.lang))));

  // On the success screen CHECKED_IN says what the title and "take your card" already say.
  const shown = (view.notices || []).filter((n) => !(p.kind === 'take_card' && n.code === 'CHECKED_IN'));
  const notices = shown.map((n) => el('p', { class: 'notice', dataset: { code: n.code } }, withFurigana(noticeText(n, state.lang), state.lang)));
  if (state.commandError) {
    const e = state.commandError;
    notices.push(el('p', { class: 'notice error', role: 'alert', dataset: { code: e.code } }, noticeText(e, state.lang)));
  }
  $('notices').replaceChildren(...notices);
  $('controls').replaceChildren(...controlsFor(view).flat().filter(Boolean));
  $('foot-actions').replaceChildren(...[extendButton(view), cancelButton(view)].filter(Boolean));
  updatePin();
  tick();

  state.renderedKey = key;
  state.renderedPromptKey = promptKey;
  state.locked = false;
  if (state.confirming && $('confirm-title') && focusedId !== 'pin-confirm-send') {
    $('confirm-title').focus();
  } else if (promptChanged) {
    // A new screen: focus its heading, so a screen reader reads it and Tab reaches its first
    // control (not a button that a held Enter key could press by accident).
    $('title').focus();
  } else if (focusedId && $(focusedId)) {
    $(focusedId).focus();
  }
}

function tick() {
  const d = $('deadline');
  if (state.deadlineAt === null || state.fatal || !state.view?.id) {
    d.textContent = '';
    return;
  }
  const secs = Math.max(0, Math.ceil((state.deadlineAt - performance.now()) / 1000));
  d.textContent = t().secondsLeft(secs);
}

// ---------------------------------------------------------------------------------------------
// The bench panel (only with --mock, when the daemon gave this screen a bench token)

async function setupBench() {
  if (!state.tokens.bench) return;
  const h = await api('GET', '/v1/health');
  if (!(h.body && h.body.mock === true)) return;
  const dialog = $('bench');
  const error = $('bench-error');
  const benchCall = async (method, body) => {
    error.textContent = '';
    const r = await api(method, '/v1/bench/card', state.tokens.bench, body);
    if (r.status === 200) dialog.close();
    else error.textContent = r.body ? `${r.body.code}: ${noticeText(r.body, state.lang)}` : 'HTTP ' + r.status;
  };
  $('bench-profiles').replaceChildren(...BENCH_PROFILES.map((profile) =>
    el('button', { id: 'bench-' + profile, type: 'button', dataset: { profile }, 'aria-label': t().benchTap(profile), onclick: () => benchCall('POST', { profile }) }, profile)));
  $('bench-remove').addEventListener('click', () => benchCall('DELETE'));
  $('bench-close').addEventListener('click', () => dialog.close());
  $('bench-open').hidden = false;
  $('bench-open').addEventListener('click', () => {
    error.textContent = '';
    dialog.showModal();
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  $('lang').addEventListener('click', () => {
    state.lang = state.lang === 'ja' ? 'en' : 'ja';
    render();
  });
  $('large').addEventListener('click', () => {
    state.large = !state.large;
    render();
  });
  await loadTokens();
  render();
  if (state.fatal) return;
  await setupBench();
  render();
  followEvents({
    token: () => state.tokens.kiosk,
    onEvent: (type, data) => {
      if (type === 'session') applyView(data);
    },
    onStatus: (s) => {
      state.connection = s === 'connected' ? 'connected' : s === 'connecting' && state.connection !== 'disconnected' ? 'connecting' : 'disconnected';
      render();
    },
    // Tokens may change on a configuration reload: ask again.
    onUnauthorized: async () => {
      await loadTokens();
      if (state.fatal) render();
    },
  });
  setInterval(tick, 1000);
}

main();

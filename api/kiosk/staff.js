// The staff view (/kiosk/staff): the current session, the visual check (confirm / reject),
// cancel, and the results finished while the view is open.
//
// The staff token is typed in by staff. It is kept in this tab's sessionStorage at most (gone
// when the tab closes; "forget" clears it at once) and is never asked of the daemon: the kiosk
// screen's /kiosk/token does not serve staff, and this view may run on another machine.

import { api, followEvents, el, noticeText } from '/kiosk/common.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'myna-kiosk.staff-token';
const STAFF_ID_KEY = 'myna-kiosk.staff-id';
const MAX_RESULTS = 10;

const TEXT = {
  ja: {
    switchTo: 'English',
    switchToLabel: 'Switch to English',
    brand: '職員画面 — マイナ保険証 受付',
    title: '職員画面',
    signout: 'トークンを消去',
    signinTitle: '職員用トークンを入力してください',
    signinHelp: 'トークンはこのタブを閉じると消えます。キオスク本体からは渡されません。',
    tokenLabel: '職員用トークン',
    signinStaffLabel: '職員ID（確認の記録に残ります）',
    signinSubmit: '開始',
    tokenRequired: 'トークンを入力してください。',
    tokenWrong: 'このトークンは使えません。',
    unreachable: 'キオスクと通信できません。',
    connecting: '接続しています…',
    disconnected: '接続が切れました。再接続しています…',
    sessionTitle: '現在の受付',
    shows: (s) => `キオスクの表示：${s}`,
    visualNeeded: '職員の確認が必要です。カードの写真とご本人を見比べてください。',
    staffIdLabel: '職員ID',
    staffIdRequired: '職員IDを入力してください（記録に残ります）。',
    confirm: '本人と一致',
    reject: '一致しない',
    cancel: '受付を中止',
    confirmed: '確認を記録しました。',
    rejected: '不一致を記録しました。',
    cancelled: '受付を中止しました。',
    resultsTitle: '最近の結果',
    resultsNote: 'この画面を開いてからの結果です。',
    noResults: 'まだありません。',
    facts: {
      id: '受付ID',
      card: 'カード',
      cert: '証明書',
      tries: '暗証番号の残り回数',
      deadline: '残り時間',
    },
    seconds: (s) => `${s} 秒`,
    none: 'なし',
    kinds: {
      place_card: '待機中（カードなし）',
      out_of_service: '利用停止中',
      reading: 'カード読み取り中',
      choose_method: '本人確認の方法を選択中',
      enter_pin: (p) => `暗証番号の入力中（残り ${p.tries_left} 回${p.last_try ? '・最後の1回' : ''}）`,
      verifying: '確認中',
      face_check: (p) => `顔認証中（残り ${p.attempts_left} 回）`,
      staff_check: '職員の確認待ち',
      consent: (p) => `同意の質問 ${p.index} / ${p.total}`,
      take_card: (p) => `終了（${TEXT.ja.outcomes[p.outcome] || p.outcome}）`,
    },
    outcomes: {
      verified: '確認済み',
      failed: '失敗',
      cancelled: '中止',
      card_removed: 'カード取り外し',
      timed_out: '時間切れ',
      interrupted: '中断',
    },
    methods: { pin: '暗証番号', face: '顔認証', visual: '職員の目視確認' },
    cards: {
      my_number_card: 'マイナンバーカード',
      android: 'スマートフォン（Android）',
      iphone: 'スマートフォン（iPhone）',
      juki: '住基カード',
      not_jpki: '対象外のカード',
      unknown_jpki: '不明な JPKI カード',
    },
    certs: { valid: '有効', expiring_soon: 'まもなく有効期限', grace: '有効期限切れ（猶予期間）', expired: '有効期限切れ' },
    consent: (yes, total) => `同意 ${yes} / ${total}`,
    by: (id) => `確認者 ${id}`,
  },
  en: {
    switchTo: '日本語',
    switchToLabel: '日本語に切り替え',
    brand: 'Staff view — My Number card check-in',
    title: 'Staff view',
    signout: 'Forget the token',
    signinTitle: 'Enter your staff token',
    signinHelp: 'The token is forgotten when this tab closes. The kiosk never hands it out.',
    tokenLabel: 'Staff token',
    signinStaffLabel: 'Staff ID (recorded with your checks)',
    signinSubmit: 'Start',
    tokenRequired: 'Enter the token.',
    tokenWrong: 'This token is not accepted.',
    unreachable: 'Cannot reach the kiosk.',
    connecting: 'Connecting…',
    disconnected: 'Connection lost. Reconnecting…',
    sessionTitle: 'Current check-in',
    shows: (s) => `The kiosk shows: ${s}`,
    visualNeeded: 'A staff check is needed. Compare the card photo with the patient.',
    staffIdLabel: 'Staff ID',
    staffIdRequired: 'Enter your staff ID (it is recorded).',
    confirm: 'Matches',
    reject: 'Does not match',
    cancel: 'Cancel check-in',
    confirmed: 'Confirmation recorded.',
    rejected: 'Rejection recorded.',
    cancelled: 'Check-in cancelled.',
    resultsTitle: 'Recent results',
    resultsNote: 'Results since this view was opened.',
    noResults: 'None yet.',
    facts: {
      id: 'Session',
      card: 'Card',
      cert: 'Certificate',
      tries: 'PIN tries left',
      deadline: 'Time left',
    },
    seconds: (s) => `${s} s`,
    none: 'none',
    kinds: {
      place_card: 'Idle (no card)',
      out_of_service: 'Out of service',
      reading: 'Reading the card',
      choose_method: 'Choosing the method',
      enter_pin: (p) => `Entering the PIN (${p.tries_left} left${p.last_try ? ', last try' : ''})`,
      verifying: 'Checking',
      face_check: (p) => `Face check (${p.attempts_left} left)`,
      staff_check: 'Waiting for staff',
      consent: (p) => `Consent question ${p.index} of ${p.total}`,
      take_card: (p) => `Finished (${TEXT.en.outcomes[p.outcome] || p.outcome})`,
    },
    outcomes: {
      verified: 'Verified',
      failed: 'Failed',
      cancelled: 'Cancelled',
      card_removed: 'Card removed',
      timed_out: 'Timed out',
      interrupted: 'Interrupted',
    },
    methods: { pin: 'PIN', face: 'Face check', visual: 'Staff visual check' },
    cards: {
      my_number_card: 'My Number card',
      android: 'Smartphone (Android)',
      iphone: 'Smartphone (iPhone)',
      juki: 'Juki card',
      not_jpki: 'Not a JPKI card',
      unknown_jpki: 'Unknown JPKI card',
    },
    certs: { valid: 'Valid', expiring_soon: 'Expiring soon', grace: 'Expired (grace period)', expired: 'Expired' },
    consent: (yes, total) => `Consented ${yes} of ${total}`,
    by: (id) => `Checked by ${id}`,
  },
};

const state = {
  lang: 'ja',
  token: null,
  view: null,
  results: [],
  connection: 'connecting',
  stream: null,
  deadlineAt: null,
  /** The last action's message: {key} for ours, {problem} for the daemon's. */
  message: null,
  busy: false,
};

const t = () => TEXT[state.lang];

function readStorage(key) {
  try {
    return sessionStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

function writeStorage(key, value) {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch (e) {
    // Storage disabled: the token lives in memory only, which is fine.
  }
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

async function signIn(event) {
  event.preventDefault();
  const input = $('token');
  const token = input.value.trim();
  const staffId = $('signin-staff-id').value.trim();
  showSigninError('');
  if (!token) {
    showSigninError(t().tokenRequired);
    input.focus();
    return;
  }
  const r = await api('GET', '/v1/session', token);
  if (r.status === 0) {
    showSigninError(t().unreachable);
    return;
  }
  if (r.status !== 200) {
    showSigninError(t().tokenWrong);
    input.select();
    return;
  }
  input.value = '';
  if (staffId) {
    $('staff-id').value = staffId;
    writeStorage(STAFF_ID_KEY, staffId);
  }
  start(token, r.body);
}

function showSigninError(text) {
  $('signin-error').textContent = text;
}

function start(token, view) {
  state.token = token;
  writeStorage(TOKEN_KEY, token);
  if (view) applyView(view);
  state.stream = followEvents({
    token: () => state.token,
    resume: true,
    onEvent: (type, data) => {
      if (type === 'session') applyView(data);
      // A staff token gets summaries (outcome, method, time, code); a token that is also
      // reception's gets whole results. Both list the same way.
      else if (type === 'result_summary' || type === 'result') addResult(data);
    },
    onStatus: (s, status) => {
      state.connection = s;
      if (s === 'unauthorized') signOut(t().tokenWrong);
      else render();
    },
  });
  render();
  $('session-title').focus();
}

function signOut(reason) {
  state.stream?.close();
  state.stream = null;
  state.token = null;
  state.view = null;
  state.message = null;
  writeStorage(TOKEN_KEY, null);
  render();
  showSigninError(reason || '');
  $('token').focus();
}

// ---------------------------------------------------------------------------------------------
// The session

function applyView(view) {
  state.view = view;
  state.deadlineAt = typeof view.deadline_ms === 'number' ? performance.now() + view.deadline_ms : null;
  render();
}

function addResult(result) {
  if (state.results.some((r) => r.id === result.id)) return;
  state.results.unshift(result);
  state.results.length = Math.min(state.results.length, MAX_RESULTS);
  renderResults();
}

async function act(path, body, okKey) {
  if (state.busy) return;
  state.busy = true;
  state.message = null;
  render();
  // For the session this view shows: a late tap (a double tap, a slow network) after the next
  // patient tapped is refused (409 SESSION_MISMATCH), never applied to their session.
  const r = await api('POST', path, state.token, body, state.view?.id);
  state.busy = false;
  if (r.status === 200) state.message = { key: okKey };
  else if (r.status === 401) return signOut(t().tokenWrong);
  else state.message = { problem: r.body && r.body.code ? r.body : { code: 'NETWORK', ja: TEXT.ja.unreachable, en: TEXT.en.unreachable } };
  render();
}

function visual(confirmed) {
  const input = $('staff-id');
  const staffId = input.value.trim();
  if (!staffId) {
    state.message = { key: 'staffIdRequired', error: true };
    render();
    input.focus();
    return;
  }
  writeStorage(STAFF_ID_KEY, staffId);
  act('/v1/session/visual', { confirmed, staff_id: staffId }, confirmed ? 'confirmed' : 'rejected');
}

// ---------------------------------------------------------------------------------------------
// Rendering

function describe(prompt) {
  const k = t().kinds[prompt?.kind];
  if (typeof k === 'function') return k(prompt);
  return k || prompt?.kind || '';
}

function secondsLeft() {
  if (state.deadlineAt === null || !state.view?.id) return null;
  return Math.max(0, Math.ceil((state.deadlineAt - performance.now()) / 1000));
}

function facts(view) {
  const tx = t();
  const rows = [[tx.facts.id, view.id || tx.none]];
  if (view.card) {
    rows.push([tx.facts.card, tx.cards[view.card.kind] || view.card.kind]);
    const status = view.card.certificate?.status;
    if (status) rows.push([tx.facts.cert, tx.certs[status] || status]);
  }
  if (typeof view.pin_tries_left === 'number') rows.push([tx.facts.tries, String(view.pin_tries_left)]);
  const secs = secondsLeft();
  if (secs !== null) rows.push([tx.facts.deadline, el('span', { id: 'staff-deadline' }, tx.seconds(secs))]);
  return rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]);
}

function render() {
  const tx = t();
  document.documentElement.lang = state.lang;
  document.title = tx.brand;
  $('brand').textContent = tx.title;
  $('lang').textContent = tx.switchTo;
  $('lang').setAttribute('lang', state.lang === 'ja' ? 'en' : 'ja');
  $('lang').setAttribute('aria-label', tx.switchToLabel);
  $('signout').textContent = tx.signout;
  $('signin-title').textContent = tx.signinTitle;
  $('signin-help').textContent = tx.signinHelp;
  $('token-label').textContent = tx.tokenLabel;
  $('signin-staff-label').textContent = tx.signinStaffLabel;
  $('signin-submit').textContent = tx.signinSubmit;
  $('session-title').textContent = tx.sessionTitle;
  $('staff-id-label').textContent = tx.staffIdLabel;
  $('visual-confirm').textContent = tx.confirm;
  $('visual-reject').textContent = tx.reject;
  $('session-cancel').textContent = tx.cancel;
  $('results-title').textContent = tx.resultsTitle;
  $('results-note').textContent = tx.resultsNote;

  const signedIn = state.token !== null;
  $('main').classList.toggle('signed-out', !signedIn);
  $('signin').hidden = signedIn;
  $('session-panel').hidden = !signedIn;
  $('results-panel').hidden = !signedIn;
  $('signout').hidden = !signedIn;
  const conn = $('conn');
  conn.textContent = !signedIn || state.connection === 'connected' ? '' : state.connection === 'connecting' ? tx.connecting : tx.disconnected;
  conn.classList.toggle('bad', signedIn && state.connection !== 'connected' && state.connection !== 'connecting');
  if (!signedIn) return;

  const view = state.view;
  const prompt = view?.prompt;
  $('shows').textContent = view ? tx.shows(describe(prompt)) : tx.connecting;
  const needed = prompt?.kind === 'staff_check';
  $('visual-needed').hidden = !needed;
  $('visual-needed').textContent = needed ? tx.visualNeeded : '';
  $('session-facts').replaceChildren(...(view ? facts(view) : []));
  $('session-notices').replaceChildren(...(view?.notices || []).map((n) =>
    el('p', { class: 'notice', dataset: { code: n.code } }, noticeText(n, state.lang))));
  const allowed = view?.allowed_actions || [];
  $('visual-confirm').disabled = state.busy || !allowed.includes('visual');
  $('visual-reject').disabled = state.busy || !allowed.includes('visual');
  $('session-cancel').disabled = state.busy || !allowed.includes('cancel');

  const m = $('action-message');
  const msg = state.message;
  if (!msg) {
    m.textContent = '';
    m.className = 'message';
  } else if (msg.problem) {
    m.textContent = noticeText(msg.problem, state.lang);
    m.className = 'message error';
    m.dataset.code = msg.problem.code;
  } else {
    m.textContent = tx[msg.key];
    m.className = msg.error ? 'message error' : 'message ok';
    m.dataset.code = msg.key;
  }
  renderResults();
}

function renderResults() {
  const tx = t();
  const list = $('results');
  if (state.results.length === 0) {
    list.replaceChildren(el('li', { class: 'empty' }, tx.noResults));
    return;
  }
  list.replaceChildren(...state.results.map((r) => {
    const time = new Date(r.finished_at);
    const when = isNaN(time) ? '' : time.toLocaleTimeString(state.lang === 'ja' ? 'ja-JP' : 'en-GB');
    const parts = [];
    const method = r.method || (r.auth && r.auth.method);
    if (method) parts.push(tx.methods[method] || method);
    if (r.auth && r.auth.method === 'visual' && r.auth.staff_id) parts.push(tx.by(r.auth.staff_id));
    if (r.consent) {
      const answers = Object.values(r.consent.items || {});
      parts.push(tx.consent(answers.filter(Boolean).length, answers.length));
    }
    return el('li', { class: r.outcome, dataset: { id: r.id, outcome: r.outcome } },
      el('div', {}, el('span', { class: 'outcome' }, tx.outcomes[r.outcome] || r.outcome), ' ', when),
      parts.length ? el('div', {}, parts.join(' · ')) : null,
      r.error ? el('div', {}, noticeText(r.error, state.lang)) : (r.code ? el('div', {}, r.code) : null),
      (r.guidance || []).map((g) => el('div', { class: 'guidance' }, noticeText(g, state.lang))));
  }));
}

function tick() {
  const d = $('staff-deadline');
  const secs = secondsLeft();
  if (d && secs !== null) d.textContent = t().seconds(secs);
}

// ---------------------------------------------------------------------------------------------

function main() {
  $('lang').addEventListener('click', () => {
    state.lang = state.lang === 'ja' ? 'en' : 'ja';
    render();
  });
  $('signin').addEventListener('submit', signIn);
  $('signout').addEventListener('click', () => signOut(''));
  $('visual-confirm').addEventListener('click', () => visual(true));
  $('visual-reject').addEventListener('click', () => visual(false));
  $('session-cancel').addEventListener('click', () => act('/v1/session/cancel', {}, 'cancelled'));
  $('staff-id').addEventListener('change', () => writeStorage(STAFF_ID_KEY, $('staff-id').value.trim()));
  const staffId = readStorage(STAFF_ID_KEY);
  if (staffId) {
    $('staff-id').value = staffId;
    $('signin-staff-id').value = staffId;
  }
  const saved = readStorage(TOKEN_KEY);
  if (saved) start(saved, null);
  else render();
  setInterval(tick, 1000);
}

main();

// Shared by the kiosk screen (kiosk.js) and the staff view (staff.js): the API client, an
// event-stream reader that sends the bearer token (EventSource cannot), and the texts.
//
// Everything here talks to the daemon's own origin only (the page's Content-Security-Policy
// says `connect-src 'self'`): no absolute URL appears in this file.

/**
 * Calls the API. Returns {status, body} where body is the parsed JSON (or null).
 * `session`: the id of the session a command is for (the view on screen), sent as
 * `If-Match: "<id>"`: the daemon refuses it (409 SESSION_MISMATCH) if another session is in
 * progress by then, so a late tap never lands on the next patient's session.
 */
export async function api(method, path, token, body, session) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (session) headers['If-Match'] = '"' + session + '"';
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    return { status: 0, body: null };
  }
  let parsed = null;
  try {
    parsed = await r.json();
  } catch (e) {
    parsed = null;
  }
  return { status: r.status, body: parsed };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows `GET /v1/events` with fetch() so the Authorization header can be sent, and parses the
 * Server-Sent Events framing. Reconnects with a growing pause; with `resume` it sends
 * Last-Event-ID so result events missed while disconnected are replayed.
 *
 * options: token() → string, onEvent(type, data, id), onStatus('connecting'|'connected'|
 * 'disconnected'|'unauthorized'), onUnauthorized() → Promise (e.g. fetch a new token), resume.
 * Returns {close()}.
 */
export function followEvents(options) {
  let stopped = false;
  let controller = null;
  let lastId = null;
  const dispatch = (block) => {
    let type = 'message';
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length === 0) return;
    if (id !== null) lastId = id;
    let parsed;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch (e) {
      return;
    }
    options.onEvent(type, parsed, id);
  };
  (async () => {
    let pause = 500;
    while (!stopped) {
      controller = new AbortController();
      options.onStatus?.('connecting');
      try {
        const headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + options.token() };
        if (options.resume && lastId !== null) headers['Last-Event-ID'] = lastId;
        const r = await fetch('/v1/events', { headers, cache: 'no-store', credentials: 'omit', signal: controller.signal });
        if (r.status === 401 || r.status === 403) {
          options.onStatus?.('unauthorized', r.status);
          if (options.onUnauthorized) await options.onUnauthorized(r.status);
        } else if (r.ok && r.body) {
          options.onStatus?.('connected');
          pause = 500;
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value.replace(/\r\n?/g, '\n');
            let end;
            while ((end = buf.indexOf('\n\n')) >= 0) {
              dispatch(buf.slice(0, end));
              buf = buf.slice(end + 2);
            }
          }
        }
      } catch (e) {
        // Network error or aborted: reconnect below unless closed.
      }
      if (stopped) return;
      options.onStatus?.('disconnected');
      await sleep(pause);
      pause = Math.min(pause * 2, 5000);
    }
  })();
  return {
    close() {
      stopped = true;
      controller?.abort();
    },
  };
}

/** Creates an element: el('button', {class: 'x', onclick: f}, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/**
 * Key terms and their readings, shown as furigana (<ruby>) on the Japanese screen: a patient
 * who cannot read 暗証番号 or 資格確認書 can still follow the screen. Longer terms first.
 */
export const FURIGANA = [
  ['資格情報のお知らせ', 'しかくじょうほうのおしらせ'],
  ['電子証明書', 'でんししょうめいしょ'],
  ['資格確認書', 'しかくかくにんしょ'],
  ['市区町村', 'しくちょうそん'],
  ['暗証番号', 'あんしょうばんごう'],
  ['顔認証', 'かおにんしょう'],
  ['処方箋', 'しょほうせん'],
  ['保険証', 'ほけんしょう'],
  ['受付', 'うけつけ'],
  ['同意', 'どうい'],
  ['延長', 'えんちょう'],
  ['中止', 'ちゅうし'],
];

/**
 * `text` as nodes, each key term's first occurrence in <ruby> with its reading (Japanese
 * only). Text nodes only: nothing from the API is parsed as HTML.
 */
export function withFurigana(text, lang) {
  if (lang !== 'ja' || !text) return [text || ''];
  const out = [];
  const used = new Set();
  let rest = String(text);
  for (;;) {
    let best = null;
    for (const [term, reading] of FURIGANA) {
      if (used.has(term)) continue;
      const at = rest.indexOf(term);
      if (at >= 0 && (best === null || at < best.at)) best = { at, term, reading };
    }
    if (best === null) break;
    used.add(best.term);
    if (best.at > 0) out.push(document.createTextNode(rest.slice(0, best.at)));
    const ruby = document.createElement('ruby');
    ruby.append(best.term);
    const rt = document.createElement('rt');
    rt.textContent = best.reading;
    ruby.append(rt);
    out.push(ruby);
    rest = rest.slice(best.at + best.term.length);
  }
  if (rest) out.push(document.createTextNode(rest));
  return out;
}

/** The text of a notice or problem in the chosen language (the API gives both). */
export function noticeText(n, lang) {
  return (lang === 'en' ? n.en : n.ja) || n.en || n.ja || n.code || '';
}

/** Screen texts. Per language: a key → string, or a function of the prompt. */
export const TEXT = {
  ja: {
    switchTo: 'English',
    switchToLabel: 'Switch to English',
    larger: '文字を大きく',
    largerLabel: '文字を大きくする',
    smaller: '文字を戻す',
    smallerLabel: '文字の大きさを戻す',
    brand: 'マイナ保険証 受付',
    loading: '準備しています…',
    connecting: '接続しています…',
    disconnected: '接続が切れました。再接続しています…',
    localOnlyTitle: 'この画面はキオスク本体でのみ使えます',
    noKioskTokenTitle: 'キオスク用のトークンが設定されていません',
    noKioskTokenDetail: '設定ファイルの [[api.tokens]] に roles = ["kiosk"] のトークンを追加してください。',
    place_card: 'マイナ保険証（マイナンバーカード）をカードリーダーに置いてください',
    place_card_detail: '受付が終わるまで、カードは置いたままにしてください。',
    // Phones are read on the same reader (by their token label): an iPhone is authorised in
    // its wallet before it is held to the reader, an Android phone asks its own PIN after.
    place_card_phone: 'スマートフォンの方：iPhoneは、サイドボタンを2回押してFace ID（またはTouch ID）で認証してから、カードリーダーにかざしてください。Androidは、そのままかざして、スマートフォンに設定した暗証番号を入力してください。',
    place_card_desk: '資格確認書や、以前の健康保険証をお持ちの方は、受付にお越しください。',
    out_of_service: 'ただいま、この端末では受付できません',
    out_of_service_detail: 'お手数ですが、受付にお越しください。',
    reading: 'カードを読み取っています',
    reading_detail: 'カードを動かさずにお待ちください。',
    choose_method: '本人確認の方法を選んでください',
    method_pin: '暗証番号（数字4桁）',
    method_face: '顔認証',
    method_visual: '職員による確認',
    enter_pin: '暗証番号（数字4桁）を入力してください',
    triesLeft: (n) => `入力できるのは、あと ${n} 回です。`,
    lastTryWarning: '暗証番号の入力は残り1回です。間違えると暗証番号がロックされます。',
    pinEntered: (n) => `4桁中 ${n}桁 入力済み`,
    pinDots: '入力した暗証番号（伏せ字）',
    keypad: '暗証番号の入力キー',
    del: '訂正',
    delLabel: '1文字消す',
    ok: '確定',
    okLabel: '暗証番号を確定する',
    lastTryConfirmTitle: '暗証番号の入力は残り1回です',
    lastTryConfirm: '間違えると暗証番号がロックされ、市区町村の窓口での手続きが必要になります。このまま確定しますか？',
    lastTrySend: '確定する',
    lastTryBack: '入力し直す',
    verifying: '確認しています',
    verifying_detail: 'カードを動かさずにお待ちください。',
    face_check: '顔認証を行っています',
    face_check_detail: 'カメラの方を向いてください。',
    attemptsLeft: (n) => `残り ${n} 回`,
    staff_check: '職員が確認します',
    staff_check_detail: 'そのままお待ちください。職員が、カードの顔写真とご本人を確認します。',
    consent: '情報の提供について',
    progress: (i, t) => `質問 ${i} / ${t}`,
    yes: 'はい',
    yesLabel: 'はい、同意します',
    no: 'いいえ',
    noLabel: 'いいえ、同意しません',
    all: 'すべての項目にまとめて同意する',
    prescription_electronic: '電子処方箋',
    prescription_paper: '紙の処方箋',
    prescription_detail: '紙の処方箋か、電子処方箋かを選べます。',
    take_card_verified: '受付が完了しました',
    take_card_failed: '受付できませんでした',
    take_card_cancelled: '受付を中止しました',
    take_card_timed_out: '時間切れになりました',
    take_card_card_removed: 'カードが取り外されました',
    take_card_interrupted: '受付が途中で止まりました',
    take_card_detail: 'カードをお取りください。',
    cancel: '中止する',
    cancelLabel: '受付を中止する',
    extend: '時間を延長',
    extendLabel: 'この画面の時間を延長する',
    secondsLeft: (s) => `あと ${s} 秒`,
    bench: 'ベンチ',
    benchTitle: 'ベンチ（--mock）：仮想カード',
    benchTap: (p) => `${p} をかざす`,
    benchRemove: 'カードを外す',
    benchClose: '閉じる',
    errorPrefix: 'エラー',
  },
  en: {
    switchTo: '日本語',
    switchToLabel: '日本語に切り替え',
    larger: 'Larger text',
    largerLabel: 'Make the text larger',
    smaller: 'Normal text',
    smallerLabel: 'Make the text normal size',
    brand: 'My Number insurance card check-in',
    loading: 'Getting ready…',
    connecting: 'Connecting…',
    disconnected: 'Connection lost. Reconnecting…',
    localOnlyTitle: 'This screen works only on the kiosk itself',
    noKioskTokenTitle: 'No kiosk token is configured',
    noKioskTokenDetail: 'Add a token with roles = ["kiosk"] to [[api.tokens]] in the configuration.',
    place_card: 'Please place your My Number card on the card reader',
    place_card_detail: 'Please leave the card on the reader until check-in is finished.',
    place_card_phone: 'Using your phone? On an iPhone, press the side button twice and authorise with Face ID (or Touch ID) first, then hold it to the reader. On Android, hold it to the reader and enter the PIN you set on your phone.',
    place_card_desk: 'If you have an Eligibility Certificate (資格確認書) or an old health insurance card, please go to the reception desk.',
    out_of_service: 'This kiosk cannot check you in right now',
    out_of_service_detail: 'We are sorry. Please go to the reception desk.',
    reading: 'Reading your card',
    reading_detail: 'Please do not move the card.',
    choose_method: 'Choose how to confirm your identity',
    method_pin: 'PIN (4 digits)',
    method_face: 'Face check',
    method_visual: 'Check by staff',
    enter_pin: 'Enter your 4-digit PIN',
    triesLeft: (n) => `You have ${n} ${n === 1 ? 'try' : 'tries'} left.`,
    lastTryWarning: 'You have one PIN try left. A wrong PIN will lock your PIN.',
    pinEntered: (n) => `${n} of 4 digits entered`,
    pinDots: 'PIN entered (hidden)',
    keypad: 'PIN keypad',
    del: 'Delete',
    delLabel: 'Delete one digit',
    ok: 'OK',
    okLabel: 'Confirm the PIN',
    lastTryConfirmTitle: 'You have one PIN try left',
    lastTryConfirm: 'A wrong PIN will lock your PIN, and resetting it needs a visit to your municipal office. Use this PIN?',
    lastTrySend: 'OK',
    lastTryBack: 'Enter again',
    verifying: 'Checking',
    verifying_detail: 'Please do not move the card.',
    face_check: 'Face check in progress',
    face_check_detail: 'Please look at the camera.',
    attemptsLeft: (n) => `${n} ${n === 1 ? 'attempt' : 'attempts'} left`,
    staff_check: 'A staff member will check',
    staff_check_detail: 'Please wait. Staff will compare the card photo with you.',
    consent: 'Sharing your information',
    progress: (i, t) => `Question ${i} of ${t}`,
    yes: 'Yes',
    yesLabel: 'Yes, I agree',
    no: 'No',
    noLabel: 'No, I do not agree',
    all: 'Agree to all items at once',
    prescription_electronic: 'Electronic prescription (電子処方箋)',
    prescription_paper: 'Paper prescription (紙の処方箋)',
    prescription_detail: 'You can choose a paper prescription or an electronic one.',
    take_card_verified: 'You are checked in',
    take_card_failed: 'Check-in was not possible',
    take_card_cancelled: 'Check-in was cancelled',
    take_card_timed_out: 'The time ran out',
    take_card_card_removed: 'The card was taken off the reader',
    take_card_interrupted: 'Check-in was interrupted',
    take_card_detail: 'Please take your card.',
    cancel: 'Cancel',
    cancelLabel: 'Cancel check-in',
    extend: 'More time',
    extendLabel: 'More time for this screen',
    secondsLeft: (s) => `${s} s left`,
    bench: 'Bench',
    benchTitle: 'Bench (--mock): virtual cards',
    benchTap: (p) => `Tap ${p}`,
    benchRemove: 'Remove the card',
    benchClose: 'Close',
    errorPrefix: 'Error',
  },
};

/** The title of a prompt (also used by the staff view to say what the kiosk shows). */
export function promptTitle(prompt, lang) {
  const t = TEXT[lang];
  if (!prompt) return t.loading;
  if (prompt.kind === 'take_card') return t['take_card_' + prompt.outcome] || t.take_card_detail;
  if (prompt.kind === 'consent' || prompt.kind === 'prescription') {
    return lang === 'en' ? prompt.question_en : prompt.question_ja;
  }
  return t[prompt.kind] || prompt.kind;
}

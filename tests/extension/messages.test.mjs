// extension/messages.js, and the pin between it and the copy in the content script (a classic
// script, which cannot import it).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';

import {
  CODE_PATTERN,
  CREDENTIAL_FIELD,
  INVALID,
  LIMITS,
  MFA_UI,
  MSG,
  NOTHING_REASON,
  SCHEMAS,
  SENDER,
  make,
  senderOf,
  validate,
} from '../../extension/messages.js';
import { createFixtureServer, oauthUrl } from '../fixtures/aws/routes.mjs';
import {
  CONTENT_SCRIPT,
  click,
  close,
  fakeBackground,
  injectContentScript,
  openPage,
  until,
} from './dom-harness.mjs';

/** Evaluates `const NAME = <expr>;` from the content script's source. */
function contentConstant(name) {
  const match = new RegExp(`\\n\\s*const ${name} = ([\\s\\S]*?);\\n`).exec(CONTENT_SCRIPT);
  assert.ok(match, `content script defines ${name}`);
  // The content script is our own source, read from disk: evaluating one literal is the point.
  // eslint-disable-next-line no-new-func
  return new Function(`return ${match[1]};`)();
}

const { CONTENT, EXTENSION, BACKGROUND } = SENDER;

describe('the catalogue', () => {
  test('every type is unique and has a schema', () => {
    const types = Object.values(MSG);
    assert.equal(new Set(types).size, types.length);
    assert.deepEqual(Object.keys(SCHEMAS).sort(), [...types].sort());
    for (const type of types) assert.match(type, /^tessera:[a-z-]+$/);
  });

  test('content scripts may send only the three sign-in messages', () => {
    const fromContent = Object.entries(SCHEMAS)
      .filter(([, s]) => s.from.includes(CONTENT))
      .map(([t]) => t);
    assert.deepEqual(fromContent.sort(), [MSG.CANDIDATE_CHOSEN, MSG.CREDENTIALS_TYPED, MSG.MFA_STEP_SHOWN].sort());
  });

  test('no message a content script receives can carry a seed or key', () => {
    // What reaches the page's neighbour: a code of 6-8 digits, labels, ids, a reason.
    const toContent = [MSG.FILL_CODE, MSG.SHOW_CHOOSER, MSG.NOTHING_TO_FILL, MSG.RESCAN];
    const fields = (shape) =>
      shape.kind === 'object'
        ? Object.entries(shape.fields).flatMap(([k, v]) => [k, ...fields(v)])
        : shape.kind === 'array'
          ? fields(shape.item)
          : [];
    const names = toContent.flatMap((t) => fields(SCHEMAS[t].payload));
    assert.deepEqual(names.sort(), ['autoSubmit', 'candidates', 'code', 'id', 'label', 'reason'].sort());
    assert.equal(SCHEMAS[MSG.FILL_CODE].payload.fields.code.pattern, CODE_PATTERN);
  });
});

describe('validate', () => {
  const valid = [
    [{ type: MSG.CREDENTIALS_TYPED, field: 'account', value: '123456789012' }, CONTENT],
    [{ type: MSG.CREDENTIALS_TYPED, field: 'resolving', value: 'root@example.com' }, CONTENT],
    [{ type: MSG.MFA_STEP_SHOWN, ui: 'unified', manual: false }, CONTENT],
    [{ type: MSG.CANDIDATE_CHOSEN, id: 'e_1-A', remember: true }, CONTENT],
    [{ type: MSG.FILL_CODE, code: '123456', autoSubmit: false }, BACKGROUND],
    [{ type: MSG.FILL_CODE, code: '12345678', autoSubmit: true }, BACKGROUND],
    [{ type: MSG.SHOW_CHOOSER, candidates: [] }, BACKGROUND],
    [{ type: MSG.SHOW_CHOOSER, candidates: [{ id: 'e1', label: 'prod' }] }, BACKGROUND],
    [{ type: MSG.NOTHING_TO_FILL, reason: 'locked' }, BACKGROUND],
    [{ type: MSG.RESCAN }, BACKGROUND],
    [{ type: MSG.VAULT_STATUS }, EXTENSION],
    [{ type: MSG.VAULT_UNLOCK, passphrase: 'correct horse' }, EXTENSION],
    [{ type: MSG.VAULT_LOCK }, EXTENSION],
    [{ type: MSG.FILL_ACTIVE_TAB }, EXTENSION],
    [{ type: MSG.FILL_ACTIVE_TAB, id: 'e1' }, EXTENSION],
    [{ type: MSG.ENTRY_REVEAL, id: 'e1' }, EXTENSION],
    [{ type: MSG.SETTINGS_GET }, EXTENSION],
    [{ type: MSG.SETTINGS_SET, settings: {} }, EXTENSION],
    [{ type: MSG.SETTINGS_SET, settings: { autoSubmit: true, autoLockMinutes: 15, clipboardClearSeconds: 30 } }, EXTENSION],
    [{ type: MSG.TEAM_STATUS }, EXTENSION],
    [{ type: MSG.TEAM_CONNECT, link: 'https://vault.example.com/invite#tsi_abcdefgh' }, EXTENSION],
    [{ type: MSG.TEAM_SYNC }, EXTENSION],
    [{ type: MSG.TEAM_DISCONNECT, origin: 'https://vault.example.com' }, EXTENSION],
    [{ type: MSG.TEAM_EVENTS_DISMISS }, EXTENSION],
    [{ type: MSG.TEAM_EVENTS_DISMISS, origin: 'https://vault.example.com' }, EXTENSION],
  ];

  test('accepts every well-formed message from its sender', () => {
    for (const [message, from] of valid) {
      assert.deepEqual(validate(message, from), { ok: true, message }, JSON.stringify(message));
    }
  });

  test('refuses a message from the wrong part', () => {
    assert.equal(validate({ type: MSG.VAULT_UNLOCK, passphrase: 'x' }, CONTENT).error, INVALID.WRONG_SENDER);
    assert.equal(validate({ type: MSG.FILL_CODE, code: '123456', autoSubmit: false }, CONTENT).error, INVALID.WRONG_SENDER);
    assert.equal(validate({ type: MSG.CREDENTIALS_TYPED, field: 'account', value: 'x' }, EXTENSION).error, INVALID.WRONG_SENDER);
    assert.equal(validate({ type: MSG.VAULT_STATUS }, undefined).error, INVALID.WRONG_SENDER);
    // A seed is revealed to the extension's own pages only, never to a content script.
    assert.equal(validate({ type: MSG.ENTRY_REVEAL, id: 'e1' }, CONTENT).error, INVALID.WRONG_SENDER);
    // Team mode is driven by the extension's own pages only.
    for (const type of [MSG.TEAM_STATUS, MSG.TEAM_SYNC]) {
      assert.equal(validate({ type }, CONTENT).error, INVALID.WRONG_SENDER);
    }
    assert.equal(validate({ type: MSG.TEAM_CONNECT, link: 'https://x/invite#tsi_abcdefgh' }, CONTENT).error, INVALID.WRONG_SENDER);
  });

  test('refuses malformed messages with a stable reason', () => {
    const cases = [
      [null, INVALID.NOT_AN_OBJECT],
      ['tessera:rescan', INVALID.NOT_AN_OBJECT],
      [[MSG.RESCAN], INVALID.NOT_AN_OBJECT],
      [new Date(), INVALID.NOT_AN_OBJECT],
      [{}, INVALID.UNKNOWN_TYPE],
      [{ type: 'toString' }, INVALID.UNKNOWN_TYPE],
      [{ type: '__proto__' }, INVALID.UNKNOWN_TYPE],
      [{ type: MSG.RESCAN, extra: 1 }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.FILL_CODE, code: '12345', autoSubmit: false }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.FILL_CODE, code: '123456789', autoSubmit: false }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.FILL_CODE, code: '１２３４５６', autoSubmit: false }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.FILL_CODE, code: 123456, autoSubmit: false }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.FILL_CODE, code: '123456' }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.FILL_CODE, code: '123456', autoSubmit: 1 }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.SHOW_CHOOSER, candidates: [{ id: 'a b', label: 'x' }] }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.SHOW_CHOOSER, candidates: [{ id: 'a', label: 'x', secret: 'y' }] }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.SHOW_CHOOSER, candidates: Array(LIMITS.CANDIDATES + 1).fill({ id: 'a', label: 'x' }) }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.NOTHING_TO_FILL, reason: 'because' }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.SETTINGS_SET, settings: { autoLockMinutes: 0 } }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.SETTINGS_SET, settings: { autoLockMinutes: 1.5 } }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.SETTINGS_SET, settings: { theme: 'dark' } }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.TEAM_CONNECT }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.TEAM_CONNECT, link: 'x'.repeat(LIMITS.TEAM_LINK + 1) }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.TEAM_CONNECT, link: 'https://x/invite#t', label: 'me' }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.TEAM_DISCONNECT }, INVALID.BAD_PAYLOAD],
      [{ type: MSG.TEAM_SYNC, origin: 'https://x' }, INVALID.BAD_PAYLOAD],
    ];
    for (const [message, error] of cases) {
      const known = typeof message?.type === 'string' && Object.hasOwn(SCHEMAS, message.type);
      const from = known ? SCHEMAS[message.type].from[0] : BACKGROUND;
      assert.deepEqual(validate(message, from), { ok: false, error }, JSON.stringify(message));
    }
  });

  test('limits what the page side can make the background hold', () => {
    const long = 'a'.repeat(LIMITS.FIELD + 1);
    assert.equal(validate({ type: MSG.CREDENTIALS_TYPED, field: 'account', value: long }, CONTENT).ok, false);
    assert.equal(validate({ type: MSG.CREDENTIALS_TYPED, field: 'password', value: 'x' }, CONTENT).ok, false);
    assert.equal(validate({ type: MSG.MFA_STEP_SHOWN, ui: 'anything', manual: false }, CONTENT).ok, false);
  });

  test('the popup\'s messages: codes by vault, the compact list, team notices, copy and reveal by vault', () => {
    const key = 'https://vault.example.com 0123456789abcdef0123456789abcdef';
    const ok = [
      { type: MSG.ENTRIES_CODES, groups: [{ vault: 'personal', ids: ['e1'] }, { vault: key, ids: ['e2', 'e3'] }] },
      { type: MSG.ENTRIES_CODES, groups: [{ vault: key, ids: Array(LIMITS.CODES).fill('e1') }], ahead: 5 },
      { type: MSG.ENTRIES_CODES, groups: [] },
      { type: MSG.POPUP_ENTRIES },
      { type: MSG.POPUP_ENTRIES, first: 24 },
      { type: MSG.TEAM_NOTICES },
      { type: MSG.ENTRY_COPIED, id: 'e1' },
      { type: MSG.ENTRY_COPIED, id: 'e1', vault: key },
      { type: MSG.ENTRY_REVEAL, id: 'e1', vault: 'personal' },
    ];
    for (const message of ok) assert.equal(validate(message, EXTENSION).ok, true, JSON.stringify(message).slice(0, 200));
    const bad = [
      // exactly one of `ids` and `groups`
      { type: MSG.ENTRIES_CODES },
      { type: MSG.ENTRIES_CODES, ids: ['e1'] },
      { type: MSG.ENTRIES_CODES, ids: ['e1'], groups: [{ vault: 'personal', ids: ['e2'] }] },
      // at most LIMITS.CODES ids in all, however they are grouped
      { type: MSG.ENTRIES_CODES, groups: [{ vault: 'personal', ids: Array(LIMITS.CODES).fill('e1') }, { vault: key, ids: ['e2'] }] },
      { type: MSG.ENTRIES_CODES, groups: [{ vault: 'personal' }] },
      { type: MSG.ENTRIES_CODES, groups: [{ vault: 'personal', ids: ['a b'] }] },
      { type: MSG.ENTRIES_CODES, groups: [{ vault: 'x'.repeat(LIMITS.VAULT_KEY + 1), ids: ['e1'] }] },
      { type: MSG.ENTRIES_CODES, groups: [{ vault: 'personal', ids: ['e1'], extra: 1 }] },
      { type: MSG.POPUP_ENTRIES, first: 0 },
      { type: MSG.POPUP_ENTRIES, first: LIMITS.CODES + 1 },
      { type: MSG.TEAM_NOTICES, origin: 'https://x' },
      { type: MSG.ENTRY_COPIED, id: 'e1', vault: 1 },
    ];
    for (const message of bad) {
      assert.equal(validate(message, EXTENSION).error, INVALID.BAD_PAYLOAD, JSON.stringify(message).slice(0, 200));
    }
    for (const type of [MSG.ENTRIES_CODES, MSG.POPUP_ENTRIES, MSG.TEAM_NOTICES]) {
      assert.deepEqual(SCHEMAS[type].from, [EXTENSION], `${type}: the extension's pages only`);
    }
  });

  test('make builds checked messages and throws on programming errors', () => {
    assert.deepEqual(make(MSG.FILL_CODE, { code: '123456', autoSubmit: false }, BACKGROUND), {
      type: MSG.FILL_CODE,
      code: '123456',
      autoSubmit: false,
    });
    assert.throws(() => make(MSG.FILL_CODE, { code: 'x', autoSubmit: false }, BACKGROUND), /bad-payload/);
    assert.throws(() => make('tessera:nope', {}, BACKGROUND), /unknown-type/);
  });
});

describe('senderOf', () => {
  const id = 'abcdefghijklmnop';
  const base = `chrome-extension://${id}/`;
  test('tells extension pages, content scripts and strangers apart', () => {
    assert.equal(senderOf({ id, url: `${base}popup.html` }, id, base), EXTENSION);
    assert.equal(senderOf({ id, url: 'https://signin.aws.amazon.com/signin', tab: { id: 3 }, frameId: 0 }, id, base), CONTENT);
    assert.equal(senderOf({ id, url: 'https://signin.aws.amazon.com/', tab: { id: 3 }, frameId: 7 }, id, base), null);
    assert.equal(senderOf({ id: 'other', url: `${base}popup.html` }, id, base), null);
    assert.equal(senderOf({ id, url: 'https://signin.aws.amazon.com/' }, id, base), null);
    assert.equal(senderOf(undefined, id, base), null);
  });
});

describe('the content script copy is pinned to messages.js', () => {
  test('same message types, UI names, limits and patterns', () => {
    const copy = contentConstant('MSG');
    for (const [name, value] of Object.entries(copy)) assert.equal(value, MSG[name], name);
    // Exactly the messages a content script sends or receives.
    const expected = Object.entries(SCHEMAS)
      .filter(([, s]) => (s.from.includes(CONTENT) || s.from.join() === BACKGROUND) && s.to === undefined)
      .map(([type]) => Object.keys(MSG).find((k) => MSG[k] === type));
    assert.deepEqual(Object.keys(copy).sort(), expected.sort());
    assert.deepEqual(contentConstant('MFA_UI'), { ...MFA_UI });
    assert.deepEqual(contentConstant('NOTHING_REASONS'), Object.values(NOTHING_REASON));
    const limits = contentConstant('LIMITS');
    for (const key of ['FIELD', 'ID', 'LABEL', 'CANDIDATES']) assert.equal(limits[key], LIMITS[key], key);
    assert.equal(String(contentConstant('CODE_PATTERN')), String(CODE_PATTERN));
    assert.equal(String(contentConstant('ID_PATTERN')), String(SCHEMAS[MSG.CANDIDATE_CHOSEN].payload.fields.id.pattern));
    assert.deepEqual(
      Object.values(contentConstant('CREDENTIAL_INPUTS')).sort(),
      Object.values(CREDENTIAL_FIELD).sort(),
    );
  });

  // The content script accepts a pushed message exactly when messages.js does.
  const examples = [
    { type: MSG.FILL_CODE, code: '123456', autoSubmit: false },
    { type: MSG.FILL_CODE, code: '12345678', autoSubmit: false },
    { type: MSG.FILL_CODE, code: '12345', autoSubmit: false },
    { type: MSG.FILL_CODE, code: '1234567a', autoSubmit: false },
    { type: MSG.FILL_CODE, code: '123456', autoSubmit: null },
    { type: MSG.FILL_CODE, code: '123456', autoSubmit: false, extra: true },
    { type: MSG.SHOW_CHOOSER, candidates: [{ id: 'e1', label: 'prod' }] },
    { type: MSG.SHOW_CHOOSER, candidates: [{ id: 'e1', label: 'x'.repeat(LIMITS.LABEL) }] },
    { type: MSG.SHOW_CHOOSER, candidates: [{ id: 'e1', label: 'x'.repeat(LIMITS.LABEL + 1) }] },
    { type: MSG.SHOW_CHOOSER, candidates: [{ id: 'x'.repeat(65), label: 'x' }] },
    { type: MSG.SHOW_CHOOSER, candidates: [{ id: 'e1' }] },
    { type: MSG.SHOW_CHOOSER, candidates: 'e1' },
    { type: MSG.RESCAN },
    { type: MSG.RESCAN, now: true },
  ];
  const pages = [];
  after(() => Promise.all(pages.map(close)));

  for (const example of examples) {
    test(`agrees on ${JSON.stringify(example).slice(0, 80)}`, async () => {
      const page = await openPage(createFixtureServer({ ui: 'unified' }), oauthUrl('123456789012'));
      pages.push(page);
      const bg = fakeBackground(() => ({ type: MSG.NOTHING_TO_FILL, reason: 'no-candidate' }));
      injectContentScript(page, bg);
      click(page, '#signin_button');
      const requests = () => bg.sent.filter((m) => m.type === MSG.MFA_STEP_SHOWN).length;
      await until(() => requests() === 1, 'mfa step');
      bg.push(example);
      await sleep(20);
      const accepted =
        page.document.getElementById('mfaCode').value !== '' ||
        page.shadowRoots.length > 0 ||
        requests() > 1;
      assert.equal(accepted, validate(example, BACKGROUND).ok);
    });
  }
});

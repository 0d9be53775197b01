// Every message between the extension's parts, in one place: its type, who may send it, and the
// exact shape of its payload. Anything else is refused before a handler sees it.
//
// Parts ("senders"):
//   content     the content script on an AWS sign-in page (content/aws-mfa.js). Untrusted in
//               the sense that it runs beside the page: it is sent codes, never seeds or keys.
//   extension   the extension's own pages (popup, options).
//   background  the service worker (Chrome) / event page (Firefox): holds the vault.
//
// content/aws-mfa.js is a classic script (Chrome cannot load content scripts as modules), so it
// repeats the message types and checks the shapes it receives by hand;
// tests/extension/messages.test.mjs pins both copies to this module.

/** Message types. The values are part of the protocol between parts of one build only. */
export const MSG = Object.freeze({
  // content -> background
  CREDENTIALS_TYPED: 'tessera:credentials-typed',
  MFA_STEP_SHOWN: 'tessera:mfa-step-shown',
  CANDIDATE_CHOSEN: 'tessera:candidate-chosen',
  // background -> content (also the replies to the two above)
  FILL_CODE: 'tessera:fill-code',
  SHOW_CHOOSER: 'tessera:show-chooser',
  NOTHING_TO_FILL: 'tessera:nothing-to-fill',
  RESCAN: 'tessera:rescan',
  // background -> its offscreen document (Chrome)
  CLIPBOARD_CLEAR: 'tessera:clipboard-clear',
  // extension pages -> background
  VAULT_STATUS: 'tessera:vault-status',
  VAULT_CREATE: 'tessera:vault-create',
  VAULT_UNLOCK: 'tessera:vault-unlock',
  VAULT_LOCK: 'tessera:vault-lock',
  VAULT_IMPORT_CLI: 'tessera:vault-import-cli',
  ENTRIES_LIST: 'tessera:entries-list',
  POPUP_ENTRIES: 'tessera:popup-entries',
  ENTRIES_CODES: 'tessera:entries-codes',
  ENTRIES_IMPORT: 'tessera:entries-import',
  ENTRY_UPDATE: 'tessera:entry-update',
  ENTRY_DELETE: 'tessera:entry-delete',
  ENTRY_COPIED: 'tessera:entry-copied',
  ENTRY_REVEAL: 'tessera:entry-reveal',
  FILL_ACTIVE_TAB: 'tessera:fill-active-tab',
  ACTIVE_TAB_STATE: 'tessera:active-tab-state',
  SETTINGS_GET: 'tessera:settings-get',
  SETTINGS_SET: 'tessera:settings-set',
  USE_LOG_GET: 'tessera:use-log-get',
  // extension pages -> background: team mode (background/team.js)
  TEAM_STATUS: 'tessera:team-status',
  TEAM_NOTICES: 'tessera:team-notices',
  TEAM_CONNECT: 'tessera:team-connect',
  TEAM_SYNC: 'tessera:team-sync',
  TEAM_DISCONNECT: 'tessera:team-disconnect',
  TEAM_EVENTS_DISMISS: 'tessera:team-events-dismiss',
});

export const SENDER = Object.freeze({
  CONTENT: 'content',
  EXTENSION: 'extension',
  BACKGROUND: 'background',
});

/** The MFA screens content/aws-mfa.js recognises (tests/fixtures/aws/README.md). */
export const MFA_UI = Object.freeze({
  LEGACY_IAM: 'legacy-iam', // input#mfacode, a#submitMfa_button
  LEGACY_ROOT: 'legacy-root', // #mfaCode, #mfa_submit_button
  UNIFIED: 'unified', // input#mfaCode, [data-testid=mfa-submit-button]
  CHOOSER: 'chooser', // radio value=SWHW, [data-testid=mfa-continue-button]
});

/** Credential fields the content script reports. Never the password. */
export const CREDENTIAL_FIELD = Object.freeze({
  RESOLVING: 'resolving', // #resolving_input: root e-mail or account id/alias
  ACCOUNT: 'account', // #account
  USERNAME: 'username', // #username (IAM user name)
});

export const NOTHING_REASON = Object.freeze({
  LOCKED: 'locked',
  NO_CANDIDATE: 'no-candidate',
  NOT_SIGN_IN: 'not-sign-in',
  DECLINED: 'declined',
});

// Limits: generous for real values, small enough that a hostile page cannot make the background
// hold or hash megabytes through the content script.
export const LIMITS = Object.freeze({
  FIELD: 256, // account ids/aliases (63), IAM user names (64), e-mails (254)
  ID: 64,
  LABEL: 200,
  CANDIDATES: 50,
  PASSPHRASE: 1024,
  // Codes asked for at once: the popup asks for the rows on screen only.
  CODES: 500,
  // Vault keys: 'personal' or `${origin} ${vaultId}` (background/vaults.js).
  VAULT_KEY: 2048 + 1 + 64,
  // A paste of otpauth / migration URIs (one per line).
  IMPORT_TEXT: 4 * 1024 * 1024,
  // The CLI's keyring.tessera (190 bytes) and vault.tessera, base64 (runtime messages are JSON).
  CLI_FILE: 64 * 1024 * 1024,
  EDIT_TEXT: 1024,
  // An invite link `${origin}/invite#${token}`, or a server origin.
  TEAM_LINK: 2048,
});

export const CODE_PATTERN = /^[0-9]{6,8}$/;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// ---- shape language ----------------------------------------------------------------------------

const string = (max, pattern) => ({ kind: 'string', max, pattern });
const boolean = () => ({ kind: 'boolean' });
const integer = (min, max) => ({ kind: 'integer', min, max });
const oneOf = (values) => ({ kind: 'enum', values: Object.values(values) });
const list = (item, max) => ({ kind: 'array', item, max });
/** An object with exactly these keys; keys listed in `optional` may be absent. */
const object = (fields, optional = []) => ({ kind: 'object', fields, optional });
/** `shape`, and `test(value)` true (a rule across fields). */
const where = (shape, test) => ({ kind: 'where', shape, test });

const candidate = object({ id: string(LIMITS.ID, ID_PATTERN), label: string(LIMITS.LABEL) });
const settings = object(
  {
    autoSubmit: boolean(),
    autoLockMinutes: integer(1, 24 * 60),
    clipboardClearSeconds: integer(5, 600),
  },
  ['autoSubmit', 'autoLockMinutes', 'clipboardClearSeconds'],
);

const entryId = () => string(LIMITS.ID, ID_PATTERN);
const vaultKey = () => string(LIMITS.VAULT_KEY);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** An entry's editable metadata (the wasm layer's EntryEdit): absent keeps, null clears. */
const nullable = (shape) => ({ kind: 'nullable', shape });
const entryEdit = object(
  {
    label: string(LIMITS.EDIT_TEXT),
    issuer: nullable(string(LIMITS.EDIT_TEXT)),
    awsAccountId: nullable(string(LIMITS.EDIT_TEXT)),
    awsAccountAlias: nullable(string(LIMITS.EDIT_TEXT)),
    awsPrincipal: nullable({ kind: 'enum', values: ['root', 'iam_user'] }),
    iamUserName: nullable(string(LIMITS.EDIT_TEXT)),
    rootEmail: nullable(string(LIMITS.EDIT_TEXT)),
  },
  ['label', 'issuer', 'awsAccountId', 'awsAccountAlias', 'awsPrincipal', 'iamUserName', 'rootEmail'],
);

const { CONTENT, EXTENSION, BACKGROUND } = SENDER;

/** For each type: who may send it and its payload (every key but `type`). */
export const SCHEMAS = Object.freeze({
  [MSG.CREDENTIALS_TYPED]: {
    from: [CONTENT],
    payload: object({ field: oneOf(CREDENTIAL_FIELD), value: string(LIMITS.FIELD) }),
  },
  [MSG.MFA_STEP_SHOWN]: {
    from: [CONTENT],
    // `manual`: the user asked (shortcut, toolbar) rather than the page showing the step.
    payload: object({ ui: oneOf(MFA_UI), manual: boolean() }),
  },
  [MSG.CANDIDATE_CHOSEN]: {
    from: [CONTENT],
    payload: object({ id: string(LIMITS.ID, ID_PATTERN), remember: boolean() }),
  },
  [MSG.FILL_CODE]: {
    from: [BACKGROUND],
    payload: object({ code: string(8, CODE_PATTERN), autoSubmit: boolean() }),
  },
  [MSG.SHOW_CHOOSER]: {
    from: [BACKGROUND],
    payload: object({ candidates: list(candidate, LIMITS.CANDIDATES) }),
  },
  [MSG.NOTHING_TO_FILL]: {
    from: [BACKGROUND],
    payload: object({ reason: oneOf(NOTHING_REASON) }),
  },
  [MSG.RESCAN]: { from: [BACKGROUND], payload: object({}) },
  [MSG.CLIPBOARD_CLEAR]: {
    from: [BACKGROUND],
    // Received by Chrome's offscreen document only, never by a content script.
    to: ['offscreen'],
    payload: object({ code: string(8, CODE_PATTERN), delayMs: integer(1000, 600_000) }),
  },
  [MSG.VAULT_STATUS]: { from: [EXTENSION], payload: object({}) },
  [MSG.VAULT_CREATE]: {
    from: [EXTENSION],
    payload: object({ passphrase: string(LIMITS.PASSPHRASE) }),
  },
  [MSG.VAULT_UNLOCK]: {
    from: [EXTENSION],
    payload: object({ passphrase: string(LIMITS.PASSPHRASE) }),
  },
  [MSG.VAULT_LOCK]: { from: [EXTENSION], payload: object({}) },
  // The CLI's vault home (keyring.tessera + vault.tessera) and its passphrase: every entry is
  // copied into the extension's vault.
  [MSG.VAULT_IMPORT_CLI]: {
    from: [EXTENSION],
    payload: object({
      keyring: string(LIMITS.CLI_FILE, BASE64),
      vault: string(LIMITS.CLI_FILE, BASE64),
      passphrase: string(LIMITS.PASSPHRASE),
    }),
  },
  [MSG.ENTRIES_LIST]: { from: [EXTENSION], payload: object({}) },
  // The popup's compact list (background/codes.js popupEntries); `first`: its first rows only.
  [MSG.POPUP_ENTRIES]: { from: [EXTENSION], payload: object({ first: integer(1, LIMITS.CODES) }, ['first']) },
  [MSG.ENTRIES_CODES]: {
    from: [EXTENSION],
    // `groups`: the ids of each vault, by its key (one batch per vault), at most CODES ids in all.
    // `ahead`: also the codes `ahead` seconds later (the next code near the end of a window).
    payload: where(
      object(
        {
          groups: list(object({ vault: vaultKey(), ids: list(entryId(), LIMITS.CODES) }), LIMITS.CODES),
          ahead: integer(0, 60),
        },
        ['ahead'],
      ),
      (m) => m.groups.reduce((n, g) => n + g.ids.length, 0) <= LIMITS.CODES,
    ),
  },
  [MSG.ENTRIES_IMPORT]: { from: [EXTENSION], payload: object({ text: string(LIMITS.IMPORT_TEXT) }) },
  [MSG.ENTRY_UPDATE]: { from: [EXTENSION], payload: object({ id: entryId(), edit: entryEdit }) },
  [MSG.ENTRY_DELETE]: { from: [EXTENSION], payload: object({ id: entryId() }) },
  // `vault`: the entry's vault key, when the page knows it (the background asks that vault only).
  [MSG.ENTRY_COPIED]: { from: [EXTENSION], payload: object({ id: entryId(), vault: vaultKey() }, ['vault']) },
  // The seed of an entry the member may manage (the options page's "Reveal"); logged as `reveal`.
  [MSG.ENTRY_REVEAL]: { from: [EXTENSION], payload: object({ id: entryId(), vault: vaultKey() }, ['vault']) },
  [MSG.FILL_ACTIVE_TAB]: {
    from: [EXTENSION, BACKGROUND],
    payload: object({ id: string(LIMITS.ID, ID_PATTERN) }, ['id']),
  },
  [MSG.ACTIVE_TAB_STATE]: { from: [EXTENSION], payload: object({}) },
  [MSG.SETTINGS_GET]: { from: [EXTENSION], payload: object({}) },
  [MSG.SETTINGS_SET]: { from: [EXTENSION], payload: object({ settings }) },
  [MSG.USE_LOG_GET]: { from: [EXTENSION], payload: object({}) },
  [MSG.TEAM_STATUS]: { from: [EXTENSION], payload: object({}) },
  // What the popup shows of team mode: `{notices}` only (TEAM_STATUS is the options page's).
  [MSG.TEAM_NOTICES]: { from: [EXTENSION], payload: object({}) },
  // The invite link pasted in the options page (its host permission already granted there).
  [MSG.TEAM_CONNECT]: { from: [EXTENSION], payload: object({ link: string(LIMITS.TEAM_LINK) }) },
  [MSG.TEAM_SYNC]: { from: [EXTENSION], payload: object({}) },
  // Forgets a team server on this device (cache, session, queued events); origin as in TEAM_STATUS.
  [MSG.TEAM_DISCONNECT]: { from: [EXTENSION], payload: object({ origin: string(LIMITS.TEAM_LINK) }) },
  // Removes the audit events the server refused, once shown (all servers when origin is absent).
  [MSG.TEAM_EVENTS_DISMISS]: {
    from: [EXTENSION],
    payload: object({ origin: string(LIMITS.TEAM_LINK) }, ['origin']),
  },
});

// ---- validation --------------------------------------------------------------------------------

/** Why a message was refused: stable strings a caller may log or switch on (no message content). */
export const INVALID = Object.freeze({
  NOT_AN_OBJECT: 'not-an-object',
  UNKNOWN_TYPE: 'unknown-type',
  WRONG_SENDER: 'wrong-sender',
  BAD_PAYLOAD: 'bad-payload',
});

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function conforms(shape, value) {
  switch (shape.kind) {
    case 'string':
      return (
        typeof value === 'string' &&
        value.length <= shape.max &&
        (shape.pattern === undefined || shape.pattern.test(value))
      );
    case 'boolean':
      return typeof value === 'boolean';
    case 'nullable':
      return value === null || conforms(shape.shape, value);
    case 'where':
      return conforms(shape.shape, value) && shape.test(value) === true;
    case 'integer':
      return Number.isInteger(value) && value >= shape.min && value <= shape.max;
    case 'enum':
      return shape.values.includes(value);
    case 'array':
      return (
        Array.isArray(value) &&
        value.length <= shape.max &&
        value.every((item) => conforms(shape.item, item))
      );
    case 'object': {
      if (!isPlainObject(value)) return false;
      const keys = Object.keys(value);
      if (!keys.every((k) => Object.hasOwn(shape.fields, k))) return false;
      return Object.entries(shape.fields).every(([k, field]) =>
        Object.hasOwn(value, k) ? conforms(field, value[k]) : shape.optional.includes(k),
      );
    }
    default:
      return false;
  }
}

/**
 * Checks a received message. `from` is the sender's part as the receiver established it from the
 * browser's `sender` (see senderOf), never from the message itself.
 * @returns {{ok: true, message: object} | {ok: false, error: string}}
 */
export function validate(message, from) {
  if (!isPlainObject(message)) return { ok: false, error: INVALID.NOT_AN_OBJECT };
  const { type, ...payload } = message;
  const schema = typeof type === 'string' && Object.hasOwn(SCHEMAS, type) ? SCHEMAS[type] : null;
  if (schema === null) return { ok: false, error: INVALID.UNKNOWN_TYPE };
  if (!schema.from.includes(from)) return { ok: false, error: INVALID.WRONG_SENDER };
  if (!conforms(schema.payload, payload)) return { ok: false, error: INVALID.BAD_PAYLOAD };
  return { ok: true, message };
}

/**
 * Builds a message to send, checked against its schema as if `from` sent it. Throws on a
 * programming error (unknown type, bad payload): a malformed message must not leave.
 */
export function make(type, payload, from) {
  const message = { type, ...payload };
  const result = validate(message, from);
  if (!result.ok) throw new Error(`invalid ${type} message: ${result.error}`);
  return message;
}

/**
 * Which part sent a runtime message, from the browser's `MessageSender`: the extension's own pages
 * have a URL under `extensionBaseUrl` (runtime.getURL('')); the content script is in a tab's top
 * frame. `null` for anything else (another extension, a sub-frame).
 */
export function senderOf(sender, ownId, extensionBaseUrl) {
  if (!sender || sender.id !== ownId || typeof sender.url !== 'string') return null;
  if (sender.url.startsWith(extensionBaseUrl)) return SENDER.EXTENSION;
  if (sender.tab && sender.frameId === 0) return SENDER.CONTENT;
  return null;
}

// Tessera on AWS console sign-in pages: reports what the user typed at the credentials step,
// detects the MFA step, fills the code the background sends, and shows an in-page chooser when the
// background cannot tell which entry is meant.
//
// Trust zone: this script runs beside the page. It never holds a seed or a key; it receives only
// the code to fill (and candidate labels for the chooser). The background decides whether this
// page is an AWS sign-in page (core matching::classify_host on the sender's URL); the manifest
// injects this script only on those hosts, https, top frame.
//
// A classic script, not a module: Chrome cannot load content scripts as ES modules. The message
// constants below repeat extension/messages.js; tests/extension/messages.test.mjs pins them equal.
(() => {
  'use strict';

  const ext = globalThis.browser ?? globalThis.chrome;
  // Top frame, https only. The manifest says so too (all_frames: false, https match patterns);
  // this guards against a future manifest change.
  if (window.top !== window || location.protocol !== 'https:') return;
  if (!ext?.runtime?.sendMessage) return;

  // ---- protocol (copy of extension/messages.js) -------------------------------------------------
  const MSG = Object.freeze({
    CREDENTIALS_TYPED: 'tessera:credentials-typed',
    MFA_STEP_SHOWN: 'tessera:mfa-step-shown',
    CANDIDATE_CHOSEN: 'tessera:candidate-chosen',
    FILL_CODE: 'tessera:fill-code',
    SHOW_CHOOSER: 'tessera:show-chooser',
    NOTHING_TO_FILL: 'tessera:nothing-to-fill',
    RESCAN: 'tessera:rescan',
  });
  const MFA_UI = Object.freeze({
    LEGACY_IAM: 'legacy-iam',
    LEGACY_ROOT: 'legacy-root',
    UNIFIED: 'unified',
    CHOOSER: 'chooser',
  });
  const NOTHING_REASONS = Object.freeze(['locked', 'no-candidate', 'not-sign-in', 'declined']);
  const LIMITS = Object.freeze({ FIELD: 256, ID: 64, LABEL: 200, CANDIDATES: 50 });
  const CODE_PATTERN = /^[0-9]{6,8}$/;
  const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

  // ---- the pages (tests/fixtures/aws/README.md cites where each selector comes from) ------------
  const SELECTOR = Object.freeze({
    LEGACY_IAM_INPUT: 'input#mfacode',
    LEGACY_IAM_SUBMIT: 'a#submitMfa_button',
    MFA_CODE_INPUT: 'input#mfaCode',
    LEGACY_ROOT_SUBMIT: '#mfa_submit_button',
    UNIFIED_SUBMIT: '[data-testid="mfa-submit-button"]',
    AUTHENTICATOR_APP_RADIO: 'input[type="radio"][value="SWHW"]',
    CHOOSER_CONTINUE: '[data-testid="mfa-continue-button"]',
  });
  /** Credential inputs by id, and the field name reported. Never the password. */
  const CREDENTIAL_INPUTS = Object.freeze({
    resolving_input: 'resolving',
    account: 'account',
    username: 'username',
  });
  /** The page re-renders a fresh MFA input after a wrong code; stop asking after this many. */
  const MAX_AUTOMATIC_REQUESTS = 3;
  /** Lets the page's framework process the input event before the submit click. */
  const SUBMIT_DELAY_MS = 100;

  // ---- detection ----------------------------------------------------------------------------------

  function isShown(element) {
    if (!element || !element.isConnected) return false;
    if (typeof element.checkVisibility === 'function') {
      return element.checkVisibility({ checkVisibilityCSS: true, visibilityProperty: true });
    }
    for (let node = element; node; node = node.parentElement) {
      if (node.hidden) return false;
      const style = getComputedStyle(node);
      if (style.display === 'none' || style.visibility === 'hidden') return false;
    }
    return true;
  }

  function firstShown(selector) {
    for (const element of document.querySelectorAll(selector)) {
      if (isShown(element)) return element;
    }
    return null;
  }

  /**
   * The MFA step on screen, if any: {ui, input, submit} for a code field, {ui: chooser, radio,
   * submit} for the device chooser. Only these exact elements are ever filled or clicked; nothing
   * is guessed from ids that merely contain "code".
   */
  function detectMfaStep() {
    const legacyIam = firstShown(SELECTOR.LEGACY_IAM_INPUT);
    if (legacyIam) {
      return { ui: MFA_UI.LEGACY_IAM, input: legacyIam, submit: firstShown(SELECTOR.LEGACY_IAM_SUBMIT) };
    }
    const input = firstShown(SELECTOR.MFA_CODE_INPUT);
    if (input) {
      const unified = firstShown(SELECTOR.UNIFIED_SUBMIT);
      if (unified) return { ui: MFA_UI.UNIFIED, input, submit: unified };
      return { ui: MFA_UI.LEGACY_ROOT, input, submit: firstShown(SELECTOR.LEGACY_ROOT_SUBMIT) };
    }
    const radio = firstShown(SELECTOR.AUTHENTICATOR_APP_RADIO);
    const next = firstShown(SELECTOR.CHOOSER_CONTINUE);
    if (radio && next) return { ui: MFA_UI.CHOOSER, radio, submit: next };
    return null;
  }

  // ---- filling ------------------------------------------------------------------------------------

  /**
   * Sets an input's value so that React-, Angular- or Vue-controlled inputs register it: React
   * tracks the last value it saw through an own `value` property on the element, so a plain
   * `input.value = x` goes unnoticed. The prototype's native setter bypasses that tracker, and the
   * input/change events make the framework read the new value.
   */
  function setControlledValue(input, value) {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
    input.focus();
    if (setter) setter.call(input, value);
    else input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function fill(code, autoSubmit) {
    const step = detectMfaStep();
    if (!step) return;
    if (step.ui === MFA_UI.CHOOSER) {
      chooseAuthenticatorApp(step);
      return;
    }
    removeChooser();
    setControlledValue(step.input, code);
    if (autoSubmit && step.submit) {
      const submit = step.submit;
      setTimeout(() => {
        if (submit.isConnected) submit.click();
      }, SUBMIT_DELAY_MS);
    }
  }

  /** On the device chooser: pick "Authenticator app" and continue to the code field. */
  function chooseAuthenticatorApp(step) {
    if (!step.radio.checked) step.radio.click();
    step.submit.click();
  }

  // ---- messages from the background ---------------------------------------------------------------

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const hasExactly = (v, keys) =>
    Object.keys(v).length === keys.length && keys.every((k) => Object.hasOwn(v, k));

  /** The same checks extension/messages.js applies to what the background sends; null if bad. */
  function checkIncoming(message) {
    if (!isObject(message)) return null;
    switch (message.type) {
      case MSG.FILL_CODE:
        return hasExactly(message, ['type', 'code', 'autoSubmit']) &&
          typeof message.code === 'string' &&
          CODE_PATTERN.test(message.code) &&
          typeof message.autoSubmit === 'boolean'
          ? message
          : null;
      case MSG.SHOW_CHOOSER: {
        const list = message.candidates;
        const valid =
          hasExactly(message, ['type', 'candidates']) &&
          Array.isArray(list) &&
          list.length <= LIMITS.CANDIDATES &&
          list.every(
            (c) =>
              isObject(c) &&
              hasExactly(c, ['id', 'label']) &&
              typeof c.id === 'string' &&
              ID_PATTERN.test(c.id) &&
              typeof c.label === 'string' &&
              c.label.length <= LIMITS.LABEL,
          );
        return valid ? message : null;
      }
      case MSG.NOTHING_TO_FILL:
        return hasExactly(message, ['type', 'reason']) && NOTHING_REASONS.includes(message.reason)
          ? message
          : null;
      case MSG.RESCAN:
        return hasExactly(message, ['type']) ? message : null;
      default:
        return null;
    }
  }

  function handle(reply) {
    const message = checkIncoming(reply);
    if (!message) return;
    switch (message.type) {
      case MSG.FILL_CODE:
        fill(message.code, message.autoSubmit);
        break;
      case MSG.SHOW_CHOOSER: {
        const step = detectMfaStep();
        // On the device chooser, go on to the code field first; the chooser shows there.
        if (step?.ui === MFA_UI.CHOOSER) chooseAuthenticatorApp(step);
        else if (step) showChooser(message.candidates);
        break;
      }
      case MSG.RESCAN:
        requestCode(true);
        break;
      default:
        break; // NOTHING_TO_FILL: the background says why in its own UI.
    }
  }

  async function send(message) {
    try {
      return await ext.runtime.sendMessage(message);
    } catch {
      return undefined; // Background restarting or extension reloaded: the page works as before.
    }
  }

  // ---- credentials step ---------------------------------------------------------------------------

  const lastReported = new Map();

  /** Sends each credential field whose value changed since it was last reported. */
  async function reportCredentials() {
    const pending = [];
    for (const [id, field] of Object.entries(CREDENTIAL_INPUTS)) {
      const input = document.getElementById(id);
      if (!(input instanceof HTMLInputElement)) continue;
      const value = input.value.trim();
      if (value === '' || value.length > LIMITS.FIELD || lastReported.get(field) === value) continue;
      lastReported.set(field, value);
      pending.push(send({ type: MSG.CREDENTIALS_TYPED, field, value }));
    }
    await Promise.all(pending);
  }

  function onCredentialEvent(event) {
    const target = event.target;
    if (event.type === 'keydown' && event.key !== 'Enter') return;
    if (event.type === 'change' || event.type === 'keydown') {
      if (!(target instanceof HTMLInputElement) || !Object.hasOwn(CREDENTIAL_INPUTS, target.id)) return;
    }
    // click/submit: the user moves on (Next, Sign in); report whatever is typed.
    reportCredentials();
  }

  // ---- MFA step -----------------------------------------------------------------------------------

  let lastStepElement = null;
  let automaticRequests = 0;

  async function requestCode(manual) {
    const step = detectMfaStep();
    if (!step) return;
    await reportCredentials();
    handle(await send({ type: MSG.MFA_STEP_SHOWN, ui: step.ui, manual }));
  }

  /** Called on every DOM change: asks for a code once per newly shown MFA element. */
  function scan() {
    const step = detectMfaStep();
    const element = step ? (step.input ?? step.radio) : null;
    if (element === lastStepElement) return;
    lastStepElement = element;
    if (!step || automaticRequests >= MAX_AUTOMATIC_REQUESTS) return;
    if (step.input && step.input.value !== '') return; // The user is already typing a code.
    automaticRequests += 1;
    requestCode(false);
  }

  // ---- chooser (closed shadow DOM: the page can neither read nor restyle it) ----------------------

  let chooserHost = null;

  function removeChooser() {
    chooserHost?.remove();
    chooserHost = null;
  }

  const CHOOSER_CSS = `
    :host { all: initial; }
    .panel { position: fixed; top: 16px; right: 16px; z-index: 2147483647; max-width: 360px;
      max-height: 70vh; overflow: auto; font: 14px/1.4 system-ui, sans-serif; color: #16191f;
      background: #fff; border: 1px solid #8c8c94; border-radius: 8px; padding: 12px;
      box-shadow: 0 4px 16px rgba(0, 0, 0, .25); }
    @media (prefers-color-scheme: dark) { .panel { color: #e9ebed; background: #232f3e; } }
    h2 { font-size: 14px; margin: 0 0 8px; }
    ul { list-style: none; margin: 0 0 8px; padding: 0; }
    button { font: inherit; width: 100%; text-align: left; margin: 2px 0; padding: 6px 8px;
      border: 1px solid #8c8c94; border-radius: 4px; background: transparent; color: inherit;
      cursor: pointer; }
    button:focus-visible { outline: 2px solid #0972d3; }
    .close { width: auto; }
    label { display: block; margin: 4px 0 8px; }
  `;

  function showChooser(candidates) {
    removeChooser();
    const host = document.createElement('div');
    const root = host.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = CHOOSER_CSS;
    const panel = document.createElement('div');
    panel.className = 'panel';
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', 'Tessera: choose the MFA entry');
    const title = document.createElement('h2');
    title.textContent =
      candidates.length > 0 ? 'Tessera: which MFA code?' : 'Tessera: no matching entry';
    const list = document.createElement('ul');
    const remember = document.createElement('input');
    remember.type = 'checkbox';
    for (const candidate of candidates) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = candidate.label; // Text only: labels never become markup.
      button.addEventListener('click', async () => {
        removeChooser();
        handle(
          await send({ type: MSG.CANDIDATE_CHOSEN, id: candidate.id, remember: remember.checked }),
        );
      });
      item.append(button);
      list.append(item);
    }
    const rememberLabel = document.createElement('label');
    rememberLabel.append(remember, ' Remember for this account');
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'close';
    close.textContent = 'Not now';
    close.addEventListener('click', removeChooser);
    panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') removeChooser();
    });
    panel.append(title, list);
    if (candidates.length > 0) panel.append(rememberLabel);
    panel.append(close);
    root.append(style, panel);
    document.documentElement.append(host);
    chooserHost = host;
    (list.querySelector('button') ?? close).focus();
  }

  // ---- start --------------------------------------------------------------------------------------

  ext.runtime.onMessage.addListener((message, sender) => {
    if (sender?.id !== ext.runtime.id) return undefined;
    handle(message);
    return undefined;
  });
  for (const type of ['change', 'keydown', 'click', 'submit']) {
    document.addEventListener(type, onCredentialEvent, true);
  }
  new MutationObserver(scan).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['class', 'style', 'hidden', 'aria-hidden'],
  });
  scan();
})();

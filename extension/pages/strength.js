// Passphrase strength feedback for the forms that choose a passphrase (the extension's create
// form, the console's setup and join forms): a rough estimate of the guesses an attacker
// needs, from the characters used and the length, discounted for repeats, sequences, keyboard
// runs and the most common passwords. It is a nudge, not a guarantee (SECURITY.md); the floor
// the form enforces is MIN_SCORE.

export const MIN_SCORE = 2;
const COMMON = [
  'password', 'passw0rd', '123456', 'qwerty', 'letmein', 'welcome', 'admin', 'iloveyou',
  'monkey', 'dragon', 'football', 'baseball', 'sunshine', 'princess', 'master', 'shadow',
  'trustno1', 'abc123', 'login', 'secret', 'amazon', 'aws', 'tessera', 'changeme',
];
const RUNS = ['abcdefghijklmnopqrstuvwxyz', '01234567890', 'qwertyuiopasdfghjklzxcvbnm'];

function poolSize(text) {
  let pool = 0;
  if (/[a-z]/.test(text)) pool += 26;
  if (/[A-Z]/.test(text)) pool += 26;
  if (/[0-9]/.test(text)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(text)) pool += 33;
  return pool;
}

/** Characters that add little: repeats of the previous character and steps of a known run. */
function predictable(text) {
  const lower = text.toLowerCase();
  let count = 0;
  for (let i = 1; i < lower.length; i += 1) {
    const pair = lower.slice(i - 1, i + 1);
    if (pair[0] === pair[1] || RUNS.some((run) => run.includes(pair))) count += 1;
  }
  return count;
}

/** `{score: 0..4, bits, feedback}` for a passphrase. */
export function estimateStrength(passphrase) {
  const text = passphrase ?? '';
  if (text.length === 0) return { score: 0, bits: 0, feedback: 'Enter a passphrase.' };
  const lower = text.toLowerCase();
  const effective = Math.max(1, text.length - predictable(text) * 0.75);
  let bits = effective * Math.log2(Math.max(poolSize(text), 10));
  const common = COMMON.find((word) => lower.includes(word));
  if (common) bits -= common.length * Math.log2(26) - Math.log2(COMMON.length);
  bits = Math.max(0, Math.round(bits));
  const score = bits < 35 ? 0 : bits < 50 ? 1 : bits < 65 ? 2 : bits < 80 ? 3 : 4;
  let feedback;
  if (common) feedback = `Avoid common words like "${common}".`;
  else if (text.length < 12) feedback = 'Use at least 12 characters; several unrelated words work well.';
  else if (score < 3) feedback = 'Add another word or mix in digits and symbols.';
  else feedback = 'Strong.';
  return { score, bits, feedback };
}

/**
 * The fields of a form that chooses a new passphrase: the passphrase, its strength meter and
 * feedback line, then the confirmation, with the ids `${prefix}-passphrase`, `${prefix}-strength`,
 * `${prefix}-feedback` and `${prefix}-confirm`. Returns `{pass, again, nodes, check}`: `nodes` go
 * into the form in that order; `check()` refreshes the meter and returns `null` when the
 * passphrase may be used, else `{code, message}` (`weak_passphrase` or `passphrase_mismatch`).
 * Plain DOM only: the console loads this module too.
 */
export function newPassphraseFields(prefix, { label = 'Passphrase', required = false } = {}) {
  const make = (tag, props, attributes = {}, text = '') => {
    const node = Object.assign(document.createElement(tag), props);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.append(text);
    return node;
  };
  const input = (id) => make('input', { type: 'password', id, autocomplete: 'new-password', required });
  const pass = input(`${prefix}-passphrase`);
  const again = input(`${prefix}-confirm`);
  const meter = make(
    'meter',
    { id: `${prefix}-strength`, min: 0, max: 4, low: 2, high: 3, optimum: 4, value: 0 },
    { 'aria-label': 'Passphrase strength' },
  );
  const feedback = make('p', { id: `${prefix}-feedback`, className: 'muted' }, { 'aria-live': 'polite' });
  const update = () => {
    const s = estimateStrength(pass.value);
    meter.value = s.score;
    feedback.textContent = s.feedback;
    return s;
  };
  pass.addEventListener('input', update);
  const check = () => {
    if (update().score < MIN_SCORE) return { code: 'weak_passphrase', message: 'Choose a stronger passphrase.' };
    if (pass.value !== again.value) return { code: 'passphrase_mismatch', message: 'The two passphrases differ.' };
    return null;
  };
  const nodes = [
    make('label', { htmlFor: pass.id }, {}, label),
    pass,
    meter,
    feedback,
    make('label', { htmlFor: again.id }, {}, 'Passphrase again'),
    again,
  ];
  return { pass, again, nodes, check };
}

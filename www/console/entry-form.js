// The entry metadata form (AWS account, principal, labels) and its conversion to the wasm
// `vault.update` edit shape (crate/wasm/src/edit.rs): absent = keep, null = clear.
import { fail, h } from './dom.js';

const FIELDS = [
  ['label', 'entry-label', 'Label'],
  ['issuer', 'entry-issuer', 'Issuer'],
  ['awsAccountId', 'entry-account-id', 'AWS account id (12 digits)'],
  ['awsAccountAlias', 'entry-account-alias', 'AWS account alias'],
  ['iamUserName', 'entry-iam-user', 'IAM user name'],
  ['rootEmail', 'entry-root-email', 'Root user e-mail'],
  ['deviceName', 'entry-device', 'MFA device name'],
  ['notes', 'entry-notes', 'Notes'],
];

/** The form's values as plain data (what a draft keeps across a conflict). */
export function formValues(form) {
  const values = { awsPrincipal: form.querySelector('#entry-principal').value };
  for (const [key, id] of FIELDS) values[key] = form.querySelector(`#${id}`).value;
  return values;
}

/** Form values -> EntryEdit. Throws a coded Error for values the console can check itself. */
export function toEdit(values) {
  const text = (v) => (v ?? '').trim();
  const opt = (v) => text(v) || null;
  const account = text(values.awsAccountId);
  if (account && !/^\d{12}$/.test(account)) {
    throw fail('aws_account_id_invalid', 'An AWS account id is 12 digits.');
  }
  if (!text(values.label)) throw fail('entry_label_missing', 'An entry needs a label.');
  const edit = {
    label: text(values.label),
    issuer: opt(values.issuer),
    awsAccountId: account || null,
    awsAccountAlias: opt(values.awsAccountAlias),
    deviceName: opt(values.deviceName),
    notes: opt(values.notes),
    awsPrincipal: null,
    iamUserName: null,
    rootEmail: null,
  };
  if (values.awsPrincipal === 'iam_user') {
    if (!text(values.iamUserName)) throw fail('iam_user_name_missing', 'Give the IAM user name.');
    edit.awsPrincipal = 'iam_user';
    edit.iamUserName = text(values.iamUserName);
  } else if (values.awsPrincipal === 'root') {
    edit.awsPrincipal = 'root';
    edit.rootEmail = opt(values.rootEmail);
  }
  return edit;
}

/** An entry's info (vault.get) -> form values. */
export function infoValues(info) {
  const values = { awsPrincipal: info.awsPrincipal ?? '' };
  for (const [key] of FIELDS) values[key] = info[key] ?? '';
  return values;
}

/** The form element, filled with `values`; `onSave(values)` and `onCancel()`. */
export function entryForm(entryId, values, { onSave, onCancel }) {
  const principal = h(
    'select',
    { id: 'entry-principal' },
    h('option', { value: '' }, 'not an AWS sign-in'),
    h('option', { value: 'iam_user' }, 'IAM user'),
    h('option', { value: 'root' }, 'root user'),
  );
  principal.value = values.awsPrincipal ?? '';
  const inputs = FIELDS.map(([key, id, label]) =>
    h('label', { className: 'stack' }, label, h('input', { id, type: 'text', value: values[key] ?? '', spellcheck: false })),
  );
  const save = h('button', { id: 'entry-save', type: 'submit', className: 'primary' }, 'Save');
  const cancel = h('button', { id: 'entry-cancel', type: 'button' }, 'Cancel');
  const form = h(
    'form',
    { id: 'entry-form', className: 'stack', 'data-entry': entryId },
    h('h2', {}, 'Edit entry'),
    h('label', { className: 'stack' }, 'Principal', principal),
    inputs,
    h('div', { className: 'row' }, save, cancel),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSave(formValues(form), save);
  });
  cancel.addEventListener('click', () => onCancel());
  return form;
}

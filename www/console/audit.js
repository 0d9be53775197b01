// The organisation's audit log: a filterable table, exports, and verification of the hash chain
// in the browser (wasm verifyAuditLog over the JSON Lines export; the server is not trusted for
// the verdict).
import { busy, download, h, when } from './dom.js';

/** The verdict line for a verifyAuditLog result. */
export function verdictText(result) {
  if (result.ok) return `Chain intact: ${result.records} records, head ${result.head ?? '(empty log)'}`;
  const e = result.error ?? {};
  return `Chain BROKEN at line ${e.line ?? '?'}: ${e.message ?? 'verification failed'} (${e.code ?? 'audit_invalid'})`;
}

export function renderVerdict(target, result) {
  target.textContent = verdictText(result);
  target.className = result.ok ? 'verdict-ok' : 'verdict-bad';
  target.dataset.ok = result.ok ? 'true' : 'false';
}

/** Date input (YYYY-MM-DD, UTC) -> ms; `end` gives the last ms of that day. */
function dayMs(value, end) {
  if (!value) return undefined;
  const t = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(t)) return undefined;
  return end ? t + 86_400_000 - 1 : t;
}

export async function renderAudit(app) {
  const [{ members }, vaults] = await Promise.all([app.client.members(), app.client.vaults()]);
  const names = new Map(members.map((m) => [m.member_id, m.label || m.member_id.slice(0, 8)]));
  const vault = h('select', { id: 'audit-vault' }, h('option', { value: '' }, 'all vaults'), (vaults.body?.vaults ?? []).map((v) => h('option', { value: v.vault_id }, v.vault_id)));
  const member = h('select', { id: 'audit-member' }, h('option', { value: '' }, 'all members'), members.map((m) => h('option', { value: m.member_id }, names.get(m.member_id))));
  const action = h('input', { id: 'audit-action', type: 'text', placeholder: 'action, or prefix like vault.' });
  const since = h('input', { id: 'audit-since', type: 'date' });
  const until = h('input', { id: 'audit-until', type: 'date' });
  const apply = h('button', { id: 'audit-apply', type: 'submit' }, 'Filter');
  const filters = () => ({
    vault: vault.value || undefined,
    member: member.value || undefined,
    action: action.value.trim() || undefined,
    since_ms: dayMs(since.value, false),
    until_ms: dayMs(until.value, true),
  });
  const body = h('tbody', {});
  const more = h('button', { id: 'audit-more', type: 'button', hidden: true }, 'More');
  let after = null;
  const load = async (append) => {
    const answer = await app.client.audit({ ...filters(), after_seq: append ? after : undefined, limit: 200 });
    const rows = answer.events.map((r) =>
      h(
        'tr',
        { id: `audit-${r.seq}` },
        h('td', {}, String(r.seq)),
        h('td', {}, when(r.time_ms)),
        h('td', {}, r.action),
        h('td', {}, r.actor ? names.get(r.actor) ?? r.actor : ''),
        h('td', {}, r.subject ? names.get(r.subject) ?? r.subject : ''),
        h('td', { className: 'mono' }, r.vault ?? ''),
        h('td', { className: 'mono' }, r.entry ?? ''),
        h('td', { className: 'mono' }, r.client ? 'signed by client' : ''),
      ),
    );
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    after = answer.next_after_seq ?? null;
    more.hidden = after === null || answer.events.length === 0;
  };
  const form = h('form', { id: 'audit-filters', className: 'row' }, vault, member, action, h('label', {}, 'from ', since), h('label', {}, 'to ', until), apply);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(apply, () => load(false));
  });
  more.addEventListener('click', () => busy(more, () => load(true)));

  const verdict = h('p', { id: 'audit-verdict', 'aria-live': 'polite' });
  const verify = h('button', { id: 'audit-verify', type: 'button', className: 'primary' }, 'Verify chain');
  verify.addEventListener('click', () =>
    busy(verify, async () => {
      verdict.textContent = 'Verifying…';
      verdict.className = '';
      const text = await app.client.auditExport({}, 'jsonl');
      renderVerdict(verdict, app.wasm.verifyAuditLog(text));
    }),
  );
  const jsonl = h('button', { id: 'audit-export-jsonl', type: 'button' }, 'Export JSON Lines');
  const csv = h('button', { id: 'audit-export-csv', type: 'button' }, 'Export CSV');
  jsonl.addEventListener('click', () => busy(jsonl, async () => download('tessera-audit.jsonl', await app.client.auditExport(filters(), 'jsonl'), 'application/x-ndjson')));
  csv.addEventListener('click', () => busy(csv, async () => download('tessera-audit.csv', await app.client.auditExport(filters(), 'csv'), 'text/csv')));

  app.root.replaceChildren(
    h('h1', {}, 'Audit log'),
    h('div', { className: 'row' }, verify, jsonl, csv),
    verdict,
    h('p', { className: 'muted' }, 'Verify chain downloads the whole log and checks every hash link and client signature here, in the browser. Exports use the filters below.'),
    form,
    h('table', { id: 'audit-table' }, h('thead', {}, h('tr', {}, ['#', 'Time (UTC)', 'Action', 'Actor', 'Subject', 'Vault', 'Entry', ''].map((t) => h('th', {}, t)))), body),
    more,
  );
  await load(false);
}

// Who may see what. The server is the authority (it answers 403 `admin_required`,
// `manage_required`, ...); the console only avoids sending requests it knows will be refused and
// says so plainly instead.
import { h } from './dom.js';

/** Owner or admin of the organisation. */
export function isAdmin(me) {
  return me?.role === 'owner' || me?.role === 'admin';
}

const WHAT = {
  audit: 'The organisation’s audit log',
  revocation: 'Revocations and their seed-rotation checklists',
};

/** The page shown instead of an admin-only page to a member. */
export function renderAdminsOnly(app, page) {
  app.root.replaceChildren(
    h(
      'section',
      { id: 'admins-only', className: 'stack', 'data-page': page },
      h('h1', {}, 'Admins only'),
      h('p', {}, `${WHAT[page] ?? 'This page'} can be seen only by the organisation’s admins and owner. You are signed in as a member.`),
      h('p', {}, h('a', { href: '#vaults' }, 'Back to your vaults')),
    ),
  );
}

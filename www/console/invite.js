// /invite#token: what an invitee does with the link. The token stays in the fragment (never sent
// to a server) and this page makes no request at all: joining happens in the extension or the CLI,
// which create the member's keys.
import { h } from './dom.js';

export function renderInvitePage(root, location) {
  const token = location.hash.replace(/^#/, '');
  const link = `${location.origin}/invite#${token}`;
  const field = h('input', { id: 'invite-page-link', type: 'text', readOnly: true, value: token ? link : '' });
  const copy = h('button', { id: 'invite-page-copy', type: 'button' }, 'Copy link');
  copy.addEventListener('click', () => navigator.clipboard?.writeText(field.value));
  root.replaceChildren(
    h(
      'section',
      { id: 'invite-page', className: 'stack' },
      h('h1', {}, 'You are invited to a Tessera team'),
      token ? h('div', { className: 'row' }, field, copy) : h('p', { id: 'invite-page-missing' }, 'This link is incomplete: ask for the whole link, including the part after #.'),
      h('h2', {}, 'With the browser extension'),
      h('ol', {}, h('li', {}, 'Open the Tessera extension’s Options (right-click its toolbar icon → Options).'), h('li', {}, 'Choose "Connect to a team server" and paste this whole link.'), h('li', {}, 'Read the fingerprint it shows to the admin who invited you (phone or in person); they confirm you.')),
      h('h2', {}, 'With the command line'),
      h('p', {}, 'After `tessera init` (once per computer), run:'),
      h('pre', {}, h('code', { id: 'invite-page-command' }, `tessera team join '${token ? link : 'LINK'}'`)),
      h('p', {}, 'It prints your fingerprint: read it to the admin who invited you.'),
      h('p', { className: 'muted' }, 'This page sends nothing: the invite is used only by the extension or the CLI, which make your keys on your device. The link works once and expires.'),
    ),
  );
}

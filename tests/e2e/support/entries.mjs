// The entries the browser tests import, and their codes computed independently of Tessera (the
// `otpauth` npm package), so a test can say which entry's code landed in a page.
import * as OTPAuth from 'otpauth';

const AWS = 'Amazon%20Web%20Services';
const uri = (label, secret, issuer = AWS) =>
  `otpauth://totp/${issuer}:${encodeURIComponent(label)}?secret=${secret}&issuer=${issuer}`;

/**
 * Each entry: the URI pasted, the metadata edit made in the options page (if any), the secret.
 * Secrets are distinct, so two entries' codes differ except by chance (1 in 10^6 per window).
 */
export const ENTRIES = Object.freeze({
  root: {
    name: 'root-account-mfa-device@123456789012',
    secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    uri: uri('root-account-mfa-device@123456789012', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'),
  },
  alice: {
    name: 'alice@123456789012',
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    uri: uri('alice@123456789012', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'),
    edit: { awsPrincipal: 'iam_user', iamUserName: 'alice' },
  },
  bob: {
    name: 'bob@123456789012',
    secret: 'MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK',
    uri: uri('bob@123456789012', 'MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK'),
    edit: { awsPrincipal: 'iam_user', iamUserName: 'bob' },
  },
  aliceAlias: {
    name: 'alice@my-alias',
    secret: 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU',
    uri: uri('alice@my-alias', 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU'),
    edit: { awsPrincipal: 'iam_user', iamUserName: 'alice' },
  },
  rootEmail: {
    name: 'root-account-mfa-device@210987654321',
    secret: 'ONSWG4TFOQYTEMZUONSWG4TFOQYTEMZU',
    uri: uri('root-account-mfa-device@210987654321', 'ONSWG4TFOQYTEMZUONSWG4TFOQYTEMZU'),
    edit: { rootEmail: 'root@example.com' },
  },
  github: {
    name: 'me',
    secret: 'NBSWY3DPO5XXE3DENBSWY3DPO5XXE3DE',
    uri: uri('me', 'NBSWY3DPO5XXE3DENBSWY3DPO5XXE3DE', 'GitHub'),
  },
});

export const IMPORT_TEXT = Object.values(ENTRIES)
  .map((e) => e.uri)
  .join('\n');

/** The code of `entry` at unix time `seconds`. */
export function codeAt(entry, seconds) {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(entry.secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: seconds * 1000 });
}

/** Codes of `entry` in every window from `fromMs` to `toMs` (and the one after, for the
 * next-code rule near the end of a window). */
export function codesBetween(entry, fromMs, toMs) {
  const codes = new Set();
  for (let t = Math.floor(fromMs / 1000); t <= Math.ceil(toMs / 1000) + 30; t += 1) {
    codes.add(codeAt(entry, t));
  }
  return codes;
}

/** Which entries (by key) had `code` between the two times. */
export function whoseCode(code, fromMs, toMs) {
  return Object.entries(ENTRIES)
    .filter(([, e]) => codesBetween(e, fromMs, toMs).has(code))
    .map(([key]) => key);
}

export const PASSPHRASE = 'violet harbour seventeen lanterns';

/** The entry the QR image test adds (not in ENTRIES: the sign-in tests never see it). */
export const QR_ENTRY = Object.freeze({
  name: 'qr@example.com',
  secret: 'OBQXG43XN5ZGIX3GOJXW2X3ROIQGCZDF',
  uri: 'otpauth://totp/Example:qr%40example.com?secret=OBQXG43XN5ZGIX3GOJXW2X3ROIQGCZDF&issuer=Example',
});

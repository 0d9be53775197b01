// Reader for the language-neutral vector files in tests/vectors/ (syntax: tests/vectors/README.md).
// The Rust tests read the same files; a record this reader's caller does not fully consume fails
// the test (`Record.done()`), so a vector can never be silently ignored.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

const KEY_LINE = /^([a-z0-9_]+): (.*)$/;

/** One record: `key: value` lines; keys may repeat. */
export class Record {
  constructor(file, line) {
    this.file = file;
    this.line = line;
    this.fields = new Map();
    this.used = new Set();
  }

  where() {
    return `${path.basename(this.file)}:${this.line}`;
  }

  has(key) {
    return this.fields.has(key);
  }

  /** Every value of `key`, in file order (empty array when absent). */
  all(key) {
    this.used.add(key);
    return this.fields.get(key) ?? [];
  }

  /** The single value of `key`, or `undefined` when absent. Throws when it repeats. */
  opt(key) {
    const values = this.all(key);
    if (values.length > 1) throw new Error(`${this.where()}: key '${key}' repeats`);
    return values[0];
  }

  /** The single value of `key`. Throws when absent or repeated. */
  get(key) {
    const value = this.opt(key);
    if (value === undefined) throw new Error(`${this.where()}: missing key '${key}'`);
    return value;
  }

  /** Throws unless every key of the record was read: unknown keys mean a misunderstood vector. */
  done() {
    const unread = [...this.fields.keys()].filter((k) => !this.used.has(k));
    if (unread.length > 0) {
      throw new Error(`${this.where()}: keys not understood by this test: ${unread.join(', ')}`);
    }
  }
}

/** Parses vector text into records. Throws on any line that is not a comment, blank or `key: value`. */
export function parseVectors(text, file = '<text>') {
  const records = [];
  let current = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.startsWith('#')) continue;
    if (raw === '') {
      current = null;
      continue;
    }
    const m = KEY_LINE.exec(raw);
    if (!m) throw new Error(`${path.basename(file)}:${i + 1}: not a 'key: value' line: ${JSON.stringify(raw)}`);
    if (current === null) {
      current = new Record(file, i + 1);
      records.push(current);
    }
    const [, key, value] = m;
    if (!current.fields.has(key)) current.fields.set(key, []);
    current.fields.get(key).push(value);
  }
  return records;
}

/** Records of tests/vectors/NAME. */
export function readVectors(name) {
  const file = path.join(VECTORS_DIR, name);
  return parseVectors(fs.readFileSync(file, 'utf8'), file);
}

/** The vector files whose names match `re`, sorted. */
export function vectorFiles(re) {
  return fs.readdirSync(VECTORS_DIR).filter((f) => re.test(f)).sort();
}

export function hex(text) {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error(`not lower-case hex: ${text}`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function b64(text) {
  return Uint8Array.from(Buffer.from(text, 'base64'));
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, no padding (how the tests put vector seeds into otpauth URIs). */
export function base32(bytes) {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

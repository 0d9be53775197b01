//! Versioned schema migrations, applied in order at start (see `Store::migrate`). Written with
//! SQLite's type names; `BLOB` becomes `BYTEA` on PostgreSQL. Never edit a released migration:
//! add the next one.
//!
//! Booleans are `BIGINT` 0/1 and times are milliseconds since the Unix epoch, so the same rows
//! decode the same way on both backends.

pub const MIGRATIONS: &[(&str, &str)] = &[
    ("initial schema", V1),
    ("grants by member, ordered by vault", V2),
    ("archived vaults", V3),
];

const V1: &str = r#"
CREATE TABLE org (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    recovery_public BLOB NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE setup_token (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    token_hash BLOB NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE members (
    id BLOB PRIMARY KEY,
    public_keys BLOB NOT NULL UNIQUE,
    fingerprint BLOB NOT NULL UNIQUE,
    label TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
    created_ms BIGINT NOT NULL,
    confirmed_ms BIGINT,
    revoked_ms BIGINT
);
CREATE TABLE invites (
    id BLOB PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    label TEXT NOT NULL,
    created_by BLOB NOT NULL REFERENCES members(id),
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms BIGINT,
    member_id BLOB REFERENCES members(id)
);
CREATE TABLE challenges (
    id BLOB PRIMARY KEY,
    member_id BLOB NOT NULL REFERENCES members(id),
    nonce BLOB NOT NULL,
    expires_ms BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    member_id BLOB NOT NULL REFERENCES members(id),
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_member ON sessions (member_id);
CREATE TABLE vaults (
    id BLOB PRIMARY KEY,
    epoch BIGINT NOT NULL,
    version BIGINT NOT NULL,
    meta BLOB NOT NULL,
    seal BLOB NOT NULL,
    rotation_required BIGINT NOT NULL DEFAULT 0,
    created_by BLOB NOT NULL REFERENCES members(id),
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE TABLE entries (
    vault_id BLOB NOT NULL REFERENCES vaults(id),
    entry_id BLOB NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (vault_id, entry_id)
);
CREATE TABLE envelopes (
    vault_id BLOB NOT NULL REFERENCES vaults(id),
    kind BIGINT NOT NULL,
    fingerprint BLOB NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (vault_id, kind, fingerprint)
);
CREATE TABLE grants (
    vault_id BLOB NOT NULL REFERENCES vaults(id),
    member_id BLOB NOT NULL REFERENCES members(id),
    role TEXT NOT NULL CHECK (role IN ('manage', 'use')),
    granted_ms BIGINT NOT NULL,
    PRIMARY KEY (vault_id, member_id)
);
CREATE INDEX grants_member ON grants (member_id);
CREATE TABLE revocations (
    id BLOB PRIMARY KEY,
    member_id BLOB NOT NULL REFERENCES members(id),
    revoked_by BLOB NOT NULL REFERENCES members(id),
    created_ms BIGINT NOT NULL
);
CREATE TABLE checklist (
    id BLOB PRIMARY KEY,
    revocation_id BLOB NOT NULL REFERENCES revocations(id),
    kind TEXT NOT NULL CHECK (kind IN ('rotate_vault', 'reenroll_seed')),
    vault_id BLOB NOT NULL REFERENCES vaults(id),
    entry_id BLOB,
    role TEXT NOT NULL,
    done_ms BIGINT,
    done_by BLOB REFERENCES members(id)
);
CREATE INDEX checklist_revocation ON checklist (revocation_id);
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor BLOB,
    subject BLOB,
    vault_id BLOB,
    entry_id BLOB,
    detail TEXT NOT NULL,
    client_event BLOB,
    client_signature BLOB,
    client_signer BLOB,
    prev_hash BLOB NOT NULL,
    vault_prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_vault ON audit_events (vault_id, seq);
CREATE INDEX audit_actor ON audit_events (actor, seq);
CREATE TABLE audit_heads (
    scope TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE client_event_nonces (
    signer BLOB NOT NULL,
    nonce BLOB NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
)
"#;

/// The vault list of a member reads its grants in vault order (the ETag hash is over that order).
const V2: &str = r#"
DROP INDEX grants_member;
CREATE INDEX grants_member_vault ON grants (member_id, vault_id)
"#;

/// A vault can be archived: still stored, granted and synced; clients hide it.
const V3: &str = r#"
ALTER TABLE vaults ADD COLUMN archived BIGINT NOT NULL DEFAULT 0
"#;

//! The team server's audit log: client-signed events and the hash-chained record format
//! (docs/FORMAT.md §13). Shared by the server, which appends records, and by `tessera audit
//! verify`, which checks an export offline.
//!
//! Every record carries the hash of the record before it in the whole log (`prev_hash`) and, when
//! it concerns a vault, the hash of the previous record of the same vault (`vault_prev_hash`). So
//! the whole log and one vault's log alone (an MSP's per-client export) can each be verified: an
//! altered, inserted or removed record breaks a hash or a link. Events that only a client sees
//! (a code revealed, copied, filled) are signed by the member's Ed25519 key over the
//! `audit-event` context; the record keeps the signed bytes, the signature and the signer's
//! public keys, so the signature can be checked again offline.
//!
//! Time is an input (`time_ms` is given by the caller), as everywhere in the core.

use sha2::{Digest, Sha256};

pub mod export;

use crate::keyring::{PublicKeys, SIGNATURE_LEN, SignatureContext, verify};
use crate::vault::{EntryId, VaultId};
use crate::wire::{FORMAT_VERSION_V1, Reader, WireError, Writer};

/// Magic of a client-signed audit event.
pub const CLIENT_EVENT_MAGIC: [u8; 4] = *b"TSAE";
/// Length of a client event's random nonce (its identity for replay detection).
pub const CLIENT_EVENT_NONCE_LEN: usize = 16;
/// Longest page host in a client event (a DNS name's limit).
pub const MAX_HOST_LEN: usize = 253;
/// Hash-input label of an audit record.
pub const AUDIT_RECORD_LABEL: &str = "tessera/v1/audit-record";
/// Length of a record hash (SHA-256).
pub const AUDIT_HASH_LEN: usize = 32;
/// Length of a member id.
pub const MEMBER_ID_LEN: usize = 16;
/// Longest action name.
pub const MAX_ACTION_LEN: usize = 64;
/// Longest detail text (bytes of UTF-8).
pub const MAX_DETAIL_LEN: usize = 4_096;
/// Longest client event (header plus the longest host).
pub const MAX_CLIENT_EVENT_LEN: usize =
    4 + 1 + 1 + 16 + 16 + 8 + CLIENT_EVENT_NONCE_LEN + 1 + MAX_HOST_LEN;

/// A record hash; all zeros stands for "no previous record".
pub type AuditHash = [u8; AUDIT_HASH_LEN];
/// The `prev_hash` of the first record, and the `vault_prev_hash` of a vault's first record or of
/// a record about no vault.
pub const GENESIS_HASH: AuditHash = [0; AUDIT_HASH_LEN];

/// Errors of client events and of chain verification. Each names the first problem found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The client event does not start with [`CLIENT_EVENT_MAGIC`].
    #[error("not a Tessera client audit event")]
    BadMagic,
    /// A client event version this build does not know.
    #[error("unsupported client audit event version {0}")]
    UnsupportedVersion(u8),
    /// An action byte other than those of [`ClientAction`].
    #[error("unknown client audit action {0}")]
    UnknownAction(u8),
    /// Truncated, trailing bytes, or a length out of bounds.
    #[error("malformed client audit event: {0}")]
    Malformed(WireError),
    /// A page host that is not lower-case ASCII letters, digits, `.`, `-`, `:`, `[`, `]`.
    #[error("invalid page host")]
    InvalidHost,
    /// The signature does not verify for the signer's key and the event bytes.
    #[error("bad signature on a client audit event")]
    BadSignature,
    /// A record field out of its bounds (action name, detail length, client event size).
    #[error("invalid audit record field: {0}")]
    InvalidField(&'static str),
    /// Record `seq`'s stored hash is not the hash of its contents: the record was altered.
    #[error("record {seq}: contents do not match its hash (altered)")]
    HashMismatch { seq: u64 },
    /// Record `seq` does not link to the record before it: one was inserted or removed.
    #[error("record {seq}: does not link to the previous record (inserted or removed record)")]
    BrokenLink { seq: u64 },
    /// Sequence numbers not consecutive (whole log) or not increasing (one vault's log).
    #[error("record {seq}: sequence number out of order")]
    BadSequence { seq: u64 },
    /// A record in a vault's log that belongs to another vault.
    #[error("record {seq}: belongs to another vault")]
    WrongVault { seq: u64 },
    /// A client-signed record whose signed event disagrees with the record's fields, or whose
    /// signature does not verify.
    #[error("record {seq}: client signature invalid or not matching the record")]
    BadClientEvent { seq: u64 },
}

impl AuditError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuditError::BadMagic => "audit_bad_magic",
            AuditError::UnsupportedVersion(_) => "audit_unsupported_version",
            AuditError::UnknownAction(_) => "audit_unknown_action",
            AuditError::Malformed(_) => "audit_malformed",
            AuditError::InvalidHost => "audit_invalid_host",
            AuditError::BadSignature => "audit_bad_signature",
            AuditError::InvalidField(_) => "audit_invalid_field",
            AuditError::HashMismatch { .. } => "audit_hash_mismatch",
            AuditError::BrokenLink { .. } => "audit_broken_link",
            AuditError::BadSequence { .. } => "audit_bad_sequence",
            AuditError::WrongVault { .. } => "audit_wrong_vault",
            AuditError::BadClientEvent { .. } => "audit_bad_client_event",
        }
    }
}

impl From<WireError> for AuditError {
    fn from(e: WireError) -> Self {
        AuditError::Malformed(e)
    }
}

/// What a member did with an entry on their own device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAction {
    /// A code was shown.
    Reveal,
    /// A code was copied to the clipboard.
    Copy,
    /// A code was filled into a page.
    Fill,
}

impl ClientAction {
    fn byte(self) -> u8 {
        match self {
            ClientAction::Reveal => 1,
            ClientAction::Copy => 2,
            ClientAction::Fill => 3,
        }
    }

    fn from_byte(b: u8) -> Result<Self, AuditError> {
        match b {
            1 => Ok(ClientAction::Reveal),
            2 => Ok(ClientAction::Copy),
            3 => Ok(ClientAction::Fill),
            other => Err(AuditError::UnknownAction(other)),
        }
    }

    /// The record action name: `code.reveal`, `code.copy`, `code.fill`.
    pub fn name(self) -> &'static str {
        match self {
            ClientAction::Reveal => "code.reveal",
            ClientAction::Copy => "code.copy",
            ClientAction::Fill => "code.fill",
        }
    }
}

/// An event only the client sees, signed by the member (FORMAT.md §13.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEvent {
    pub action: ClientAction,
    pub vault_id: VaultId,
    pub entry_id: EntryId,
    /// The client's clock, milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// Random; the server refuses a second event with the same signer and nonce (replay).
    pub nonce: [u8; CLIENT_EVENT_NONCE_LEN],
    /// The page's host for a fill, lower case; empty when there was no page.
    pub host: String,
}

fn check_host(host: &str) -> Result<(), AuditError> {
    let ok = host.len() <= MAX_HOST_LEN
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-:[]".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AuditError::InvalidHost)
    }
}

impl ClientEvent {
    /// The signed bytes. Fails only on an invalid host.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AuditError> {
        check_host(&self.host)?;
        let mut w = Writer::with_capacity(MAX_CLIENT_EVENT_LEN);
        w.bytes(&CLIENT_EVENT_MAGIC)
            .u8(FORMAT_VERSION_V1)
            .u8(self.action.byte());
        w.bytes(&self.vault_id.0)
            .bytes(&self.entry_id.0)
            .bytes(&self.time_ms.to_be_bytes());
        w.bytes(&self.nonce);
        // check_host bounds the length to 253.
        w.u8(u8::try_from(self.host.len()).map_err(|_| AuditError::InvalidHost)?);
        w.bytes(self.host.as_bytes());
        Ok(w.into_vec())
    }

    /// Parses the signed bytes strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuditError> {
        let mut r = Reader::new(bytes);
        if r.take(4)? != CLIENT_EVENT_MAGIC {
            return Err(AuditError::BadMagic);
        }
        let version = r.u8()?;
        if version != FORMAT_VERSION_V1 {
            return Err(AuditError::UnsupportedVersion(version));
        }
        let action = ClientAction::from_byte(r.u8()?)?;
        let vault_id = VaultId(r.array()?);
        let entry_id = EntryId(r.array()?);
        let time_ms = u64::from_be_bytes(r.array()?);
        let nonce = r.array()?;
        let host_len = usize::from(r.u8()?);
        let host_bytes = r.take(host_len)?;
        r.finish()?;
        let host = core::str::from_utf8(host_bytes)
            .map_err(|_| AuditError::InvalidHost)?
            .to_owned();
        check_host(&host)?;
        Ok(ClientEvent {
            action,
            vault_id,
            entry_id,
            time_ms,
            nonce,
            host,
        })
    }

    /// Signs the event with the member's keyring over the `audit-event` context.
    pub fn sign(
        &self,
        keyring: &crate::keyring::Keyring,
    ) -> Result<(Vec<u8>, [u8; SIGNATURE_LEN]), AuditError> {
        let bytes = self.to_bytes()?;
        let sig = keyring.sign(SignatureContext::AuditEvent, &bytes);
        Ok((bytes, sig))
    }
}

/// Parses `bytes` and checks `signature` by `signer` over the `audit-event` context.
pub fn verify_client_event(
    signer: &PublicKeys,
    bytes: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<ClientEvent, AuditError> {
    let event = ClientEvent::from_bytes(bytes)?;
    verify(signer, SignatureContext::AuditEvent, bytes, signature)
        .map_err(|_| AuditError::BadSignature)?;
    Ok(event)
}

/// A client event as kept in a record: the signed bytes, the signature and the signer's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedClientEvent {
    pub event: Vec<u8>,
    pub signature: [u8; SIGNATURE_LEN],
    pub signer: PublicKeys,
}

/// One audit log record (FORMAT.md §13.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the whole log, from 1, consecutive.
    pub seq: u64,
    /// The server's clock when the record was appended, milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// `vault.fetch`, `entry.write`, `code.fill`... (ASCII, 1 to [`MAX_ACTION_LEN`] bytes).
    pub action: String,
    /// The member who acted, if any.
    pub actor: Option<[u8; MEMBER_ID_LEN]>,
    /// The member acted upon (invited, confirmed, granted, revoked), if any.
    pub subject: Option<[u8; MEMBER_ID_LEN]>,
    pub vault_id: Option<VaultId>,
    pub entry_id: Option<EntryId>,
    /// Server-written details as a JSON text (ids, roles, versions; never a secret).
    pub detail: String,
    pub client: Option<SignedClientEvent>,
    /// Hash of record `seq - 1`, or [`GENESIS_HASH`] for record 1.
    pub prev_hash: AuditHash,
    /// Hash of the previous record of the same vault, or [`GENESIS_HASH`].
    pub vault_prev_hash: AuditHash,
    /// This record's hash ([`AuditRecord::compute_hash`]) as stored.
    pub hash: AuditHash,
}

fn opt16(w: &mut Writer, v: Option<&[u8; 16]>) {
    match v {
        None => {
            w.u8(0);
        }
        Some(b) => {
            w.u8(1).bytes(b);
        }
    }
}

impl AuditRecord {
    /// Checks the bounded fields (action, detail, client event sizes).
    pub fn check_fields(&self) -> Result<(), AuditError> {
        let a = self.action.as_bytes();
        if a.is_empty()
            || a.len() > MAX_ACTION_LEN
            || !a
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b))
        {
            return Err(AuditError::InvalidField("action"));
        }
        if self.detail.len() > MAX_DETAIL_LEN {
            return Err(AuditError::InvalidField("detail"));
        }
        if let Some(c) = &self.client
            && c.event.len() > MAX_CLIENT_EVENT_LEN
        {
            return Err(AuditError::InvalidField("client event"));
        }
        Ok(())
    }

    /// `SHA-256(AUDIT_RECORD_LABEL || 0x00 || encoding)` of every field but `hash`.
    pub fn compute_hash(&self) -> Result<AuditHash, AuditError> {
        self.check_fields()?;
        let mut w = Writer::with_capacity(256 + self.detail.len());
        w.bytes(&self.seq.to_be_bytes())
            .bytes(&self.time_ms.to_be_bytes());
        w.bytes(&self.prev_hash).bytes(&self.vault_prev_hash);
        // check_fields bounds these lengths.
        w.u8(u8::try_from(self.action.len()).map_err(|_| AuditError::InvalidField("action"))?);
        w.bytes(self.action.as_bytes());
        opt16(&mut w, self.actor.as_ref());
        opt16(&mut w, self.subject.as_ref());
        opt16(&mut w, self.vault_id.as_ref().map(|v| &v.0));
        opt16(&mut w, self.entry_id.as_ref().map(|e| &e.0));
        w.u32(u32::try_from(self.detail.len()).map_err(|_| AuditError::InvalidField("detail"))?);
        w.bytes(self.detail.as_bytes());
        match &self.client {
            None => {
                w.u8(0);
            }
            Some(c) => {
                let len = u16::try_from(c.event.len())
                    .map_err(|_| AuditError::InvalidField("client event"))?;
                w.u8(1).bytes(&len.to_be_bytes()).bytes(&c.event);
                w.bytes(&c.signature).bytes(&c.signer.to_bytes());
            }
        }
        let mut h = Sha256::new();
        h.update(AUDIT_RECORD_LABEL.as_bytes());
        h.update([0u8]);
        h.update(w.as_slice());
        Ok(h.finalize().into())
    }

    /// For a client-signed record: the signature verifies and the signed event names this
    /// record's action, vault and entry.
    fn check_client(&self) -> Result<(), AuditError> {
        let Some(c) = &self.client else {
            return Ok(());
        };
        let bad = AuditError::BadClientEvent { seq: self.seq };
        let ev = verify_client_event(&c.signer, &c.event, &c.signature).map_err(|_| bad.clone())?;
        if ev.action.name() != self.action
            || Some(ev.vault_id) != self.vault_id
            || Some(ev.entry_id) != self.entry_id
        {
            return Err(bad);
        }
        Ok(())
    }
}

/// Which chain a list of records is checked along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainScope {
    /// The whole log, or a contiguous part of it: `seq` consecutive, each `prev_hash` the hash of
    /// the record before. If the first record is not record 1, its `prev_hash` is taken as given
    /// (compare it with a hash you trust).
    Log,
    /// One vault's records, from its first: every record of this vault, `seq` increasing, each
    /// `vault_prev_hash` the hash of the record before, the first one [`GENESIS_HASH`].
    Vault(VaultId),
}

/// What a successful verification covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainSummary {
    pub records: u64,
    /// Hash of the last record (compare with a head recorded elsewhere to detect truncation).
    pub head: AuditHash,
    pub last_seq: u64,
}

/// Verifies hashes, links, sequence numbers and client signatures along `scope`.
///
/// Removing the newest records cannot be seen from the records alone: compare
/// [`ChainSummary::head`] with a head kept elsewhere (an earlier export, the server's answer).
pub fn verify_chain(
    records: &[AuditRecord],
    scope: ChainScope,
) -> Result<ChainSummary, AuditError> {
    verify_chain_at(records, scope).map_err(|(_, e)| e)
}

/// [`verify_chain`], naming on error the index of the record at fault (every record before it
/// passed): an error's `seq` alone may be shared by an inserted or reordered record.
pub fn verify_chain_at(
    records: &[AuditRecord],
    scope: ChainScope,
) -> Result<ChainSummary, (usize, AuditError)> {
    let mut prev: Option<&AuditRecord> = None;
    for (i, r) in records.iter().enumerate() {
        check_record(r, prev, scope).map_err(|e| (i, e))?;
        prev = Some(r);
    }
    Ok(ChainSummary {
        records: records.len() as u64,
        head: prev.map_or(GENESIS_HASH, |p| p.hash),
        last_seq: prev.map_or(0, |p| p.seq),
    })
}

/// One step of [`verify_chain_at`]: `r` after `prev` (`None` for the first record).
fn check_record(
    r: &AuditRecord,
    prev: Option<&AuditRecord>,
    scope: ChainScope,
) -> Result<(), AuditError> {
    if r.compute_hash()? != r.hash {
        return Err(AuditError::HashMismatch { seq: r.seq });
    }
    match scope {
        ChainScope::Log => {
            let expected_prev = match prev {
                Some(p) => {
                    if p.seq.checked_add(1) != Some(r.seq) {
                        return Err(AuditError::BadSequence { seq: r.seq });
                    }
                    Some(p.hash)
                }
                None if r.seq == 1 => Some(GENESIS_HASH),
                None if r.seq == 0 => return Err(AuditError::BadSequence { seq: r.seq }),
                None => None,
            };
            if expected_prev.is_some_and(|h| h != r.prev_hash) {
                return Err(AuditError::BrokenLink { seq: r.seq });
            }
        }
        ChainScope::Vault(v) => {
            if r.vault_id != Some(v) {
                return Err(AuditError::WrongVault { seq: r.seq });
            }
            let expected_prev = match prev {
                Some(p) => {
                    if p.seq >= r.seq {
                        return Err(AuditError::BadSequence { seq: r.seq });
                    }
                    p.hash
                }
                None => GENESIS_HASH,
            };
            if r.vault_prev_hash != expected_prev {
                return Err(AuditError::BrokenLink { seq: r.seq });
            }
        }
    }
    r.check_client()?;
    Ok(())
}

/// The JSON Lines export form of a record: ids and hashes in lower-case hex, client bytes in
/// standard base64 (FORMAT.md §13.3).
pub mod json {
    use super::*;
    use crate::json::{JsonError, Reader, once, required};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ClientJson {
        pub event: String,
        pub signature: String,
        pub signer: String,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RecordJson {
        pub seq: u64,
        pub time_ms: u64,
        pub action: String,
        pub actor: Option<String>,
        pub subject: Option<String>,
        pub vault: Option<String>,
        pub entry: Option<String>,
        pub detail: String,
        pub client: Option<ClientJson>,
        pub prev_hash: String,
        pub vault_prev_hash: String,
        pub hash: String,
    }

    fn hex<const N: usize>(s: &str, field: &'static str) -> Result<[u8; N], AuditError> {
        let v = crate::codec::hex_decode(s.as_bytes()).ok_or(AuditError::InvalidField(field))?;
        v.try_into().map_err(|_| AuditError::InvalidField(field))
    }

    impl From<&AuditRecord> for RecordJson {
        fn from(r: &AuditRecord) -> Self {
            let h = |b: &[u8]| crate::codec::hex_encode(b);
            let b64 = |b: &[u8]| crate::codec::base64_encode(b, true);
            RecordJson {
                seq: r.seq,
                time_ms: r.time_ms,
                action: r.action.clone(),
                actor: r.actor.as_ref().map(|a| h(a)),
                subject: r.subject.as_ref().map(|a| h(a)),
                vault: r.vault_id.map(|v| v.to_hex()),
                entry: r.entry_id.map(|e| e.to_hex()),
                detail: r.detail.clone(),
                client: r.client.as_ref().map(|c| ClientJson {
                    event: b64(&c.event),
                    signature: b64(&c.signature),
                    signer: b64(&c.signer.to_bytes()),
                }),
                prev_hash: h(&r.prev_hash),
                vault_prev_hash: h(&r.vault_prev_hash),
                hash: h(&r.hash),
            }
        }
    }

    impl TryFrom<&RecordJson> for AuditRecord {
        type Error = AuditError;
        fn try_from(j: &RecordJson) -> Result<Self, AuditError> {
            let b64 = |s: &str, f: &'static str| {
                crate::codec::base64_decode(s.as_bytes(), true).ok_or(AuditError::InvalidField(f))
            };
            let client = match &j.client {
                None => None,
                Some(c) => Some(SignedClientEvent {
                    event: b64(&c.event, "client.event")?,
                    signature: b64(&c.signature, "client.signature")?
                        .try_into()
                        .map_err(|_| AuditError::InvalidField("client.signature"))?,
                    signer: PublicKeys::from_bytes(&b64(&c.signer, "client.signer")?)
                        .map_err(|_| AuditError::InvalidField("client.signer"))?,
                }),
            };
            Ok(AuditRecord {
                seq: j.seq,
                time_ms: j.time_ms,
                action: j.action.clone(),
                actor: j.actor.as_deref().map(|s| hex(s, "actor")).transpose()?,
                subject: j
                    .subject
                    .as_deref()
                    .map(|s| hex(s, "subject"))
                    .transpose()?,
                vault_id: j
                    .vault
                    .as_deref()
                    .map(|s| hex(s, "vault").map(VaultId))
                    .transpose()?,
                entry_id: j
                    .entry
                    .as_deref()
                    .map(|s| hex(s, "entry").map(EntryId))
                    .transpose()?,
                detail: j.detail.clone(),
                client,
                prev_hash: hex(&j.prev_hash, "prev_hash")?,
                vault_prev_hash: hex(&j.vault_prev_hash, "vault_prev_hash")?,
                hash: hex(&j.hash, "hash")?,
            })
        }
    }

    /// One export line as [`RecordJson`], as serde read it: every member once, no other member,
    /// the optional ones absent or `null`.
    pub(crate) fn read_record(line: &str) -> Result<RecordJson, JsonError> {
        let mut r = Reader::new(line.as_bytes());
        let (mut seq, mut time_ms, mut action, mut detail) = (None, None, None, None);
        let (mut actor, mut subject, mut vault, mut entry) = (None, None, None, None);
        let (mut client, mut prev_hash, mut vault_prev_hash, mut hash) = (None, None, None, None);
        r.object()?;
        let mut first = true;
        while let Some(key) = r.member(&mut first)? {
            match &*key {
                "seq" => once(&mut seq, "seq", r.u64()?)?,
                "time_ms" => once(&mut time_ms, "time_ms", r.u64()?)?,
                "action" => once(&mut action, "action", r.owned_string()?)?,
                "actor" => once(&mut actor, "actor", r.opt_string()?)?,
                "subject" => once(&mut subject, "subject", r.opt_string()?)?,
                "vault" => once(&mut vault, "vault", r.opt_string()?)?,
                "entry" => once(&mut entry, "entry", r.opt_string()?)?,
                "detail" => once(&mut detail, "detail", r.owned_string()?)?,
                "client" => {
                    let c = if r.null()? {
                        None
                    } else {
                        Some(read_client(&mut r)?)
                    };
                    once(&mut client, "client", c)?;
                }
                "prev_hash" => once(&mut prev_hash, "prev_hash", r.owned_string()?)?,
                "vault_prev_hash" => {
                    once(&mut vault_prev_hash, "vault_prev_hash", r.owned_string()?)?
                }
                "hash" => once(&mut hash, "hash", r.owned_string()?)?,
                other => return Err(JsonError::Unknown(other.to_owned())),
            }
        }
        r.end()?;
        Ok(RecordJson {
            seq: required(seq, "seq")?,
            time_ms: required(time_ms, "time_ms")?,
            action: required(action, "action")?,
            actor: actor.flatten(),
            subject: subject.flatten(),
            vault: vault.flatten(),
            entry: entry.flatten(),
            detail: required(detail, "detail")?,
            client: client.flatten(),
            prev_hash: required(prev_hash, "prev_hash")?,
            vault_prev_hash: required(vault_prev_hash, "vault_prev_hash")?,
            hash: required(hash, "hash")?,
        })
    }

    fn read_client(r: &mut Reader<'_>) -> Result<ClientJson, JsonError> {
        let (mut event, mut signature, mut signer) = (None, None, None);
        r.object()?;
        let mut first = true;
        while let Some(key) = r.member(&mut first)? {
            match &*key {
                "event" => once(&mut event, "event", r.owned_string()?)?,
                "signature" => once(&mut signature, "signature", r.owned_string()?)?,
                "signer" => once(&mut signer, "signer", r.owned_string()?)?,
                other => return Err(JsonError::Unknown(other.to_owned())),
            }
        }
        Ok(ClientJson {
            event: required(event, "event")?,
            signature: required(signature, "signature")?,
            signer: required(signer, "signer")?,
        })
    }

    /// Parses a JSON Lines export (blank lines ignored). The error names the 1-based line.
    pub fn parse_jsonl(text: &str) -> Result<Vec<AuditRecord>, (usize, AuditError)> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let j = read_record(line).map_err(|_| (i + 1, AuditError::InvalidField("json")))?;
            out.push(AuditRecord::try_from(&j).map_err(|e| (i + 1, e))?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Keyring;
    use rand_core::UnwrapErr;

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    /// Appends a record the way the server does: links and hash computed from the chain so far.
    fn append(log: &mut Vec<AuditRecord>, mut r: AuditRecord) {
        r.seq = log.len() as u64 + 1;
        r.prev_hash = log.last().map_or(GENESIS_HASH, |p| p.hash);
        r.vault_prev_hash = r
            .vault_id
            .and_then(|v| log.iter().rev().find(|p| p.vault_id == Some(v)))
            .map_or(GENESIS_HASH, |p| p.hash);
        r.hash = r.compute_hash().unwrap();
        log.push(r);
    }

    fn record(action: &str, vault: Option<VaultId>) -> AuditRecord {
        AuditRecord {
            seq: 0,
            time_ms: 1_700_000_000_000,
            action: action.into(),
            actor: Some([7; 16]),
            subject: None,
            vault_id: vault,
            entry_id: None,
            detail: "{}".into(),
            client: None,
            prev_hash: GENESIS_HASH,
            vault_prev_hash: GENESIS_HASH,
            hash: GENESIS_HASH,
        }
    }

    fn sample() -> (Vec<AuditRecord>, VaultId, VaultId, Keyring) {
        let mut rng = rng();
        let (a, b) = (VaultId::generate(&mut rng), VaultId::generate(&mut rng));
        let kr = Keyring::generate(&mut rng);
        let mut log = Vec::new();
        append(&mut log, record("member.setup", None));
        append(&mut log, record("vault.create", Some(a)));
        append(&mut log, record("vault.create", Some(b)));
        let ev = ClientEvent {
            action: ClientAction::Fill,
            vault_id: a,
            entry_id: EntryId([3; 16]),
            time_ms: 1_700_000_000_500,
            nonce: [9; 16],
            host: "signin.aws.amazon.com".into(),
        };
        let (bytes, signature) = ev.sign(&kr).unwrap();
        let mut filled = record("code.fill", Some(a));
        filled.entry_id = Some(ev.entry_id);
        filled.client = Some(SignedClientEvent {
            event: bytes,
            signature,
            signer: *kr.public(),
        });
        append(&mut log, filled);
        append(&mut log, record("vault.fetch", Some(b)));
        append(&mut log, record("entry.write", Some(a)));
        (log, a, b, kr)
    }

    #[test]
    fn whole_log_and_each_vault_verify() {
        let (log, a, b, _) = sample();
        let s = verify_chain(&log, ChainScope::Log).unwrap();
        assert_eq!((s.records, s.last_seq), (6, 6));
        assert_eq!(s.head, log[5].hash);
        let only = |v: VaultId| -> Vec<AuditRecord> {
            log.iter()
                .filter(|r| r.vault_id == Some(v))
                .cloned()
                .collect()
        };
        assert_eq!(
            verify_chain(&only(a), ChainScope::Vault(a))
                .unwrap()
                .records,
            3
        );
        assert_eq!(
            verify_chain(&only(b), ChainScope::Vault(b))
                .unwrap()
                .records,
            2
        );
        // A vault's log checked as another vault's.
        assert_eq!(
            verify_chain(&only(a), ChainScope::Vault(b))
                .unwrap_err()
                .code(),
            "audit_wrong_vault"
        );
        // A contiguous tail of the log verifies on its own (its first prev_hash is the anchor).
        assert!(verify_chain(&log[2..], ChainScope::Log).is_ok());
    }

    #[test]
    fn alteration_insertion_and_removal_are_detected() {
        let (log, a, _, _) = sample();
        let mut altered = log.clone();
        altered[2].detail = "{\"x\":1}".into();
        assert_eq!(
            verify_chain(&altered, ChainScope::Log).unwrap_err(),
            AuditError::HashMismatch { seq: 3 }
        );

        // Removal of a middle record, sequence numbers left as they were.
        let mut removed = log.clone();
        removed.remove(2);
        assert_eq!(
            verify_chain(&removed, ChainScope::Log).unwrap_err(),
            AuditError::BadSequence { seq: 4 }
        );
        // Removal with renumbering and a recomputed hash for the renumbered record: the link
        // still breaks.
        let mut renumbered = log[..2].to_vec();
        let mut next = log[3].clone();
        next.seq = 3;
        next.hash = next.compute_hash().unwrap();
        renumbered.push(next);
        assert_eq!(
            verify_chain(&renumbered, ChainScope::Log).unwrap_err(),
            AuditError::BrokenLink { seq: 3 }
        );

        // Insertion of a well-formed record in the middle: the next record's link breaks.
        let mut inserted = log[..3].to_vec();
        let mut fake = record("grant.create", Some(a));
        fake.seq = 4;
        fake.prev_hash = inserted[2].hash;
        fake.vault_prev_hash = inserted[1].hash;
        fake.hash = fake.compute_hash().unwrap();
        inserted.push(fake);
        for r in &log[3..] {
            let mut r = r.clone();
            r.seq += 1;
            r.hash = r.compute_hash().unwrap();
            inserted.push(r);
        }
        assert_eq!(
            verify_chain(&inserted, ChainScope::Log).unwrap_err(),
            AuditError::BrokenLink { seq: 5 }
        );

        // One vault's log missing its first record.
        let vault_a: Vec<_> = log
            .iter()
            .filter(|r| r.vault_id == Some(a))
            .skip(1)
            .cloned()
            .collect();
        assert_eq!(
            verify_chain(&vault_a, ChainScope::Vault(a))
                .unwrap_err()
                .code(),
            "audit_broken_link"
        );
    }

    #[test]
    fn client_events_sign_parse_and_bind_to_the_record() {
        let (log, _, _, kr) = sample();
        let c = log[3].client.clone().unwrap();
        let ev = verify_client_event(kr.public(), &c.event, &c.signature).unwrap();
        assert_eq!(ev.host, "signin.aws.amazon.com");
        assert_eq!(ev.action, ClientAction::Fill);
        // The same bytes signed for sign-in do not verify as an audit event.
        let wrong = kr.sign(SignatureContext::AuthChallenge, &c.event);
        assert_eq!(
            verify_client_event(kr.public(), &c.event, &wrong).unwrap_err(),
            AuditError::BadSignature
        );
        // A record whose action disagrees with the signed event fails, even with a fresh hash.
        let mut lying = log.clone();
        lying[3].action = "code.copy".into();
        lying[3].hash = lying[3].compute_hash().unwrap();
        lying[4].prev_hash = lying[3].hash;
        lying[4].hash = lying[4].compute_hash().unwrap();
        lying[5].prev_hash = lying[4].hash;
        lying[5].vault_prev_hash = lying[3].hash;
        lying[5].hash = lying[5].compute_hash().unwrap();
        assert_eq!(
            verify_chain(&lying, ChainScope::Log).unwrap_err(),
            AuditError::BadClientEvent { seq: 4 }
        );
    }

    #[test]
    fn client_event_parser_is_strict() {
        let ev = ClientEvent {
            action: ClientAction::Copy,
            vault_id: VaultId([1; 16]),
            entry_id: EntryId([2; 16]),
            time_ms: 5,
            nonce: [0; 16],
            host: String::new(),
        };
        let bytes = ev.to_bytes().unwrap();
        assert_eq!(ClientEvent::from_bytes(&bytes).unwrap(), ev);
        let code = |b: &[u8]| ClientEvent::from_bytes(b).unwrap_err().code();
        let mut b = bytes.clone();
        b[0] = b'X';
        assert_eq!(code(&b), "audit_bad_magic");
        let mut b = bytes.clone();
        b[4] = 2;
        assert_eq!(code(&b), "audit_unsupported_version");
        let mut b = bytes.clone();
        b[5] = 4;
        assert_eq!(code(&b), "audit_unknown_action");
        let mut b = bytes.clone();
        b.push(0);
        assert_eq!(code(&b), "audit_malformed");
        assert_eq!(code(&bytes[..bytes.len() - 1]), "audit_malformed");
        let upper = ClientEvent {
            host: "Evil.example".into(),
            ..ev
        };
        assert_eq!(upper.to_bytes().unwrap_err(), AuditError::InvalidHost);
    }

    #[test]
    fn jsonl_round_trip() {
        let (log, _, _, _) = sample();
        let text: String = log
            .iter()
            .map(|r| serde_json::to_string(&json::RecordJson::from(r)).unwrap() + "\n")
            .collect();
        let parsed = json::parse_jsonl(&text).unwrap();
        assert_eq!(parsed, log);
        let bad = text.replacen("\"seq\":2", "\"seq\":\"2\"", 1);
        assert_eq!(json::parse_jsonl(&bad).unwrap_err().0, 2);
    }

    #[test]
    fn record_reader_reads_what_serde_read() {
        let (log, _, _, _) = sample();
        for r in &log {
            let line = serde_json::to_string(&json::RecordJson::from(r)).unwrap();
            let variants = [
                line.clone(),
                format!(" {line} "),
                line.replacen("\"detail\"", "\"extra\":1,\"detail\"", 1),
                line.replacen("\"detail\"", "\"seq\":1,\"detail\"", 1),
                line.replacen("\"actor\":null,", "", 1),
                line.replacen("\"vault\":null", "\"vault\":1", 1),
                line.replacen(
                    "\"client\":null",
                    "\"client\":{\"event\":\"\",\"signature\":\"\",\"signer\":\"\"}",
                    1,
                ),
                line.replacen(
                    "\"client\":null",
                    "\"client\":{\"event\":\"\",\"signer\":\"\"}",
                    1,
                ),
                line.replacen("\"hash\":", "\"hash\":1,\"x\":", 1),
                line.replacen("\"time_ms\":", "\"time_ms\":-", 1),
                line.replacen("{\"seq\"", "{\"\\u0073eq\"", 1),
                line[..line.len() - 1].to_owned(),
                line.clone() + "x",
            ];
            for v in variants {
                let theirs = serde_json::from_str::<json::RecordJson>(&v).ok();
                assert_eq!(json::read_record(&v).ok(), theirs, "{v}");
            }
        }
    }

    fn jsonl(log: &[AuditRecord]) -> String {
        log.iter()
            .map(|r| serde_json::to_string(&json::RecordJson::from(r)).unwrap() + "\n")
            .collect()
    }

    #[test]
    fn export_verification_names_the_line() {
        use export::verify_jsonl;
        let (log, a, _, _) = sample();
        let text = jsonl(&log);
        let ok = verify_jsonl(&text, None, None);
        assert_eq!((ok.records, ok.error.clone()), (6, None));
        let head = ok.head.unwrap();
        assert_eq!(head, log[5].hash);
        assert_eq!(verify_jsonl(&text, None, Some(&head)).error, None);
        // One vault's chain.
        let va: Vec<AuditRecord> = log
            .iter()
            .filter(|r| r.vault_id == Some(a))
            .cloned()
            .collect();
        let rep = verify_jsonl(&jsonl(&va), Some(a), None);
        assert_eq!((rep.records, rep.error), (3, None));
        // The whole log checked as one vault's: the first record is about no vault.
        let (line, e) = verify_jsonl(&text, Some(a), None).error.unwrap();
        assert_eq!((line, e.code()), (1, "audit_wrong_vault"));

        // A tampered detail on line 4 (a blank line before it does not shift the count).
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[3] = lines[3].replace("\"detail\":\"{}\"", "\"detail\":\"{\\\"x\\\":1}\"");
        let tampered = format!("\n{}\n", lines.join("\n"));
        let rep = verify_jsonl(&tampered, None, None);
        let (line, e) = rep.error.unwrap();
        assert_eq!((rep.records, line, e.code()), (3, 5, "audit_hash_mismatch"));
        assert_eq!(rep.head, None);

        // A record repeated: the copy (line 4, sharing record 3's seq) is the one at fault.
        let mut doubled = log.clone();
        doubled.insert(3, log[2].clone());
        let rep = verify_jsonl(&jsonl(&doubled), None, None);
        let (line, e) = rep.error.unwrap();
        assert_eq!((rep.records, line, e.code()), (3, 4, "audit_bad_sequence"));

        // Truncation: the oldest records (caught), the newest (caught by the head only).
        let (_, e) = verify_jsonl(&jsonl(&log[2..]), None, None).error.unwrap();
        assert_eq!(e.code(), "audit_missing_start");
        let short = jsonl(&log[..5]);
        assert_eq!(verify_jsonl(&short, None, None).error, None);
        let (line, e) = verify_jsonl(&short, None, Some(&head)).error.unwrap();
        assert_eq!((line, e.code()), (5, "audit_head_mismatch"));
        // A line that is not a record.
        let (line, e) = verify_jsonl(&format!("{}not json\n", jsonl(&log[..2])), None, None)
            .error
            .unwrap();
        assert_eq!((line, e.code()), (3, "audit_invalid_field"));
        // Empty: nothing to check, no head.
        let empty = verify_jsonl("", None, None);
        assert_eq!((empty.records, empty.head, empty.error), (0, None, None));
        assert_eq!(
            verify_jsonl("", None, Some(&head)).error.unwrap().1.code(),
            "audit_head_mismatch"
        );
    }
}

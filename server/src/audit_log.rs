//! Appending to the hash-chained audit log (record format: `tessera_core::audit`, FORMAT.md
//! §13). Records are appended inside the transaction of the action they describe, so an action
//! and its record commit together or not at all.
//!
//! The log head row (`audit_heads.scope = 'log'`) is read `FOR UPDATE` on PostgreSQL, which
//! serializes appends across instances; SQLite's single writer connection does the same in one
//! process. Each vault's own chain head sits in the same table under the vault id in hex.

use serde_json::Value;
use sqlx::Row;
use tessera_core::audit::{AuditRecord, GENESIS_HASH, SignedClientEvent};
use tessera_core::vault::{EntryId, VaultId};

use crate::api::hex;
use crate::error::{ApiError, ApiResult};
use crate::store::{Store, Tx, now_ms};

/// A record to append; the chain fields are filled in by [`append`].
#[derive(Debug)]
pub struct Event {
    action: String,
    actor: Option<[u8; 16]>,
    subject: Option<[u8; 16]>,
    vault: Option<[u8; 16]>,
    entry: Option<[u8; 16]>,
    detail: Value,
    client: Option<SignedClientEvent>,
}

impl Event {
    pub fn new(action: &str) -> Self {
        Event {
            action: action.to_owned(),
            actor: None,
            subject: None,
            vault: None,
            entry: None,
            detail: Value::Object(Default::default()),
            client: None,
        }
    }
    pub fn actor(mut self, id: [u8; 16]) -> Self {
        self.actor = Some(id);
        self
    }
    pub fn subject(mut self, id: [u8; 16]) -> Self {
        self.subject = Some(id);
        self
    }
    pub fn vault(mut self, id: [u8; 16]) -> Self {
        self.vault = Some(id);
        self
    }
    pub fn entry(mut self, id: [u8; 16]) -> Self {
        self.entry = Some(id);
        self
    }
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
    pub fn client(mut self, c: SignedClientEvent) -> Self {
        self.client = Some(c);
        self
    }
}

fn hash32(v: Vec<u8>) -> ApiResult<[u8; 32]> {
    v.try_into().map_err(|_| ApiError::internal())
}

/// Appends `ev` after the current head; returns its sequence number.
pub async fn append(tx: &mut Tx, store: &Store, ev: Event) -> ApiResult<u64> {
    let head = sqlx::query(crate::store::dynamic(format!(
        "SELECT seq, hash FROM audit_heads WHERE scope = 'log'{}",
        store.dialect.for_update()
    )))
    .fetch_one(&mut **tx)
    .await?;
    let prev_seq: i64 = head.try_get("seq")?;
    let prev_hash = hash32(head.try_get("hash")?)?;
    let vault_prev_hash = match ev.vault {
        None => GENESIS_HASH,
        Some(v) => sqlx::query("SELECT hash FROM audit_heads WHERE scope = $1")
            .bind(hex(&v))
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get::<Vec<u8>, _>("hash"))
            .transpose()?
            .map(hash32)
            .transpose()?
            .unwrap_or(GENESIS_HASH),
    };
    let seq = prev_seq + 1;
    let mut rec = AuditRecord {
        seq: u64::try_from(seq).map_err(|_| ApiError::internal())?,
        time_ms: u64::try_from(now_ms()).unwrap_or(0),
        action: ev.action,
        actor: ev.actor,
        subject: ev.subject,
        vault_id: ev.vault.map(VaultId),
        entry_id: ev.entry.map(EntryId),
        detail: ev.detail.to_string(),
        client: ev.client,
        prev_hash,
        vault_prev_hash,
        hash: GENESIS_HASH,
    };
    rec.hash = rec.compute_hash().map_err(|_| ApiError::internal())?;
    let c = rec.client.as_ref();
    sqlx::query(
        "INSERT INTO audit_events (seq, time_ms, action, actor, subject, vault_id, entry_id, \
         detail, client_event, client_signature, client_signer, prev_hash, vault_prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(seq)
    .bind(i64::try_from(rec.time_ms).unwrap_or(i64::MAX))
    .bind(rec.action.clone())
    .bind(rec.actor.map(|a| a.to_vec()))
    .bind(rec.subject.map(|a| a.to_vec()))
    .bind(rec.vault_id.map(|v| v.0.to_vec()))
    .bind(rec.entry_id.map(|e| e.0.to_vec()))
    .bind(rec.detail.clone())
    .bind(c.map(|c| c.event.clone()))
    .bind(c.map(|c| c.signature.to_vec()))
    .bind(c.map(|c| c.signer.to_bytes().to_vec()))
    .bind(rec.prev_hash.to_vec())
    .bind(rec.vault_prev_hash.to_vec())
    .bind(rec.hash.to_vec())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE scope = 'log'")
        .bind(seq)
        .bind(rec.hash.to_vec())
        .execute(&mut **tx)
        .await?;
    if let Some(v) = ev.vault {
        sqlx::query(
            "INSERT INTO audit_heads (scope, seq, hash) VALUES ($1, $2, $3) \
             ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        )
        .bind(hex(&v))
        .bind(seq)
        .bind(rec.hash.to_vec())
        .execute(&mut **tx)
        .await?;
    }
    Ok(rec.seq)
}

/// Reads records back (for export and verification) from rows of `audit_events`.
pub fn record_from_row(row: &sqlx::any::AnyRow) -> ApiResult<AuditRecord> {
    use tessera_core::keyring::PublicKeys;
    let opt16 = |name: &str| -> ApiResult<Option<[u8; 16]>> {
        row.try_get::<Option<Vec<u8>>, _>(name)?
            .map(|v| crate::api::id16(&v))
            .transpose()
    };
    let client = match row.try_get::<Option<Vec<u8>>, _>("client_event")? {
        None => None,
        Some(event) => {
            let sig: Vec<u8> = row
                .try_get::<Option<Vec<u8>>, _>("client_signature")?
                .unwrap_or_default();
            let signer: Vec<u8> = row
                .try_get::<Option<Vec<u8>>, _>("client_signer")?
                .unwrap_or_default();
            Some(SignedClientEvent {
                event,
                signature: sig.try_into().map_err(|_| ApiError::internal())?,
                signer: PublicKeys::from_bytes(&signer).map_err(|_| ApiError::internal())?,
            })
        }
    };
    Ok(AuditRecord {
        seq: u64::try_from(row.try_get::<i64, _>("seq")?).map_err(|_| ApiError::internal())?,
        time_ms: u64::try_from(row.try_get::<i64, _>("time_ms")?).unwrap_or(0),
        action: row.try_get("action")?,
        actor: opt16("actor")?,
        subject: opt16("subject")?,
        vault_id: opt16("vault_id")?.map(VaultId),
        entry_id: opt16("entry_id")?.map(EntryId),
        detail: row.try_get("detail")?,
        client,
        prev_hash: hash32(row.try_get("prev_hash")?)?,
        vault_prev_hash: hash32(row.try_get("vault_prev_hash")?)?,
        hash: hash32(row.try_get("hash")?)?,
    })
}

//! Vaults: create, sync (ETag/304), incremental writes with optimistic concurrency, rotation to
//! a new key epoch. Grants are in [`super::grants`].
//!
//! A vault is stored as its envelopes (FORMAT.md §4-5) plus the snapshot seal (`nonce || tag`,
//! §9), so the server rebuilds the snapshot byte for byte ([`load_snapshot`]). The server holds no
//! vault key and cannot check a seal; it checks everything else: structure, canonical order, vault
//! id and epoch of every envelope, the recovery grant, and that grants match the members who hold
//! access. Every write names the `version` it was based on; a stale one gets 409 and changes
//! nothing.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::Digest;
use sqlx::{AnyConnection, Row};
use tessera_core::grant::{RecipientKind, RecoveryPublicKey};
use tessera_core::keyring::Fingerprint;
use tessera_core::sync::{SNAPSHOT_SEAL_LEN, snapshot_body, snapshot_bytes};
use tessera_core::vault::{MAX_ENTRIES, SealedEntry, SealedMeta, SealedVault};

use super::{ApiPath, AppState, JsonBody, Member, b64, body_id, from_b64, hex, id16, path_id};
use crate::audit_log::{self, Event};
use crate::error::{ApiError, ApiResult};
use crate::store::{Tx, now_ms};

const KIND_MEMBER: i64 = 1;
const KIND_RECOVERY: i64 = 2;

fn kind_byte(k: RecipientKind) -> i64 {
    match k {
        RecipientKind::Member => KIND_MEMBER,
        RecipientKind::Recovery => KIND_RECOVERY,
    }
}

/// A vault role.
pub(super) fn check_role(role: &str) -> ApiResult<&'static str> {
    match role {
        "manage" => Ok("manage"),
        "use" => Ok("use"),
        _ => Err(ApiError::unprocessable(
            "invalid_role",
            "role: manage or use",
        )),
    }
}

/// The caller's role on `vault`, if it holds a grant.
pub(super) async fn access(
    conn: &mut AnyConnection,
    vault: &[u8; 16],
    member: &[u8; 16],
) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT role FROM grants WHERE vault_id = $1 AND member_id = $2")
            .bind(vault.to_vec())
            .bind(member.to_vec())
            .fetch_optional(conn)
            .await?
            .map(|r| r.try_get::<String, _>("role"))
            .transpose()?,
    )
}

pub(super) async fn vault_exists(conn: &mut AnyConnection, vault: &[u8; 16]) -> ApiResult<bool> {
    Ok(sqlx::query("SELECT id FROM vaults WHERE id = $1")
        .bind(vault.to_vec())
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// 404 for an unknown vault, 403 for a vault the caller holds no grant on, 403 for `use` where
/// `manage` is needed.
pub(super) async fn require(
    conn: &mut AnyConnection,
    vault: &[u8; 16],
    me: &Member,
    manage: bool,
) -> ApiResult<String> {
    match access(conn, vault, &me.id).await? {
        Some(role) if !manage || role == "manage" => Ok(role),
        Some(_) => Err(ApiError::forbidden(
            "manage_required",
            "this needs the manage role on the vault",
        )),
        None if vault_exists(conn, vault).await? => Err(ApiError::forbidden(
            "not_granted",
            "you hold no grant on this vault",
        )),
        None => Err(ApiError::not_found("not_found", "no such vault")),
    }
}

async fn recovery_key(conn: &mut AnyConnection) -> ApiResult<RecoveryPublicKey> {
    let rk: Vec<u8> = sqlx::query("SELECT recovery_public FROM org")
        .fetch_one(conn)
        .await?
        .try_get("recovery_public")?;
    Ok(RecoveryPublicKey(
        rk.try_into().map_err(|_| ApiError::internal())?,
    ))
}

/// The stored state of a vault, with its snapshot rebuilt.
pub(crate) struct Snapshot {
    pub(crate) epoch: i64,
    pub(crate) version: i64,
    pub(crate) rotation_required: bool,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) async fn load_snapshot(
    conn: &mut AnyConnection,
    vault: &[u8; 16],
) -> ApiResult<Option<Snapshot>> {
    let Some(row) = sqlx::query(
        "SELECT epoch, version, meta, seal, rotation_required FROM vaults WHERE id = $1",
    )
    .bind(vault.to_vec())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let epoch: i64 = row.try_get("epoch")?;
    let meta: Vec<u8> = row.try_get("meta")?;
    let seal: [u8; SNAPSHOT_SEAL_LEN] = row
        .try_get::<Vec<u8>, _>("seal")?
        .try_into()
        .map_err(|_| ApiError::internal())?;
    let grants: Vec<Vec<u8>> =
        sqlx::query("SELECT sealed FROM envelopes WHERE vault_id = $1 ORDER BY kind, fingerprint")
            .bind(vault.to_vec())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("sealed"))
            .collect::<Result<_, _>>()?;
    let entries: Vec<Vec<u8>> =
        sqlx::query("SELECT sealed FROM entries WHERE vault_id = $1 ORDER BY entry_id")
            .bind(vault.to_vec())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("sealed"))
            .collect::<Result<_, _>>()?;
    let body = snapshot_body(
        &tessera_core::vault::VaultId(*vault),
        u32::try_from(epoch).map_err(|_| ApiError::internal())?,
        &meta,
        &grants,
        &entries,
    );
    Ok(Some(Snapshot {
        epoch,
        version: row.try_get("version")?,
        rotation_required: row.try_get::<i64, _>("rotation_required")? != 0,
        bytes: snapshot_bytes(&body, &seal),
    }))
}

/// After a write, the stored parts must still form a canonical snapshot (order, no duplicate,
/// every envelope of this vault and epoch, counts in bounds).
pub(super) async fn check_canonical(tx: &mut Tx, vault: &[u8; 16]) -> ApiResult<()> {
    let snap = load_snapshot(tx, vault)
        .await?
        .ok_or_else(ApiError::internal)?;
    SealedVault::from_bytes(&snap.bytes).map_err(|e| {
        ApiError::unprocessable(
            "invalid_snapshot",
            format!("the vault would not be a valid snapshot: {}", e.code()),
        )
    })?;
    Ok(())
}

pub(super) fn parse_seal(s: &str) -> ApiResult<Vec<u8>> {
    let seal = from_b64(s, "seal")?;
    if seal.len() != SNAPSHOT_SEAL_LEN {
        return Err(ApiError::unprocessable(
            "invalid_seal",
            "seal: 28 bytes (snapshot nonce || tag)",
        ));
    }
    Ok(seal)
}

fn parse_snapshot(s: &str) -> ApiResult<SealedVault> {
    SealedVault::from_bytes(&from_b64(s, "snapshot")?)
        .map_err(|e| ApiError::unprocessable("invalid_snapshot", format!("snapshot: {}", e.code())))
}

fn etag(tag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{tag}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

fn not_modified(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == tag.to_str().unwrap_or(""))
        })
}

fn with_etag(mut res: Response, tag: HeaderValue) -> Response {
    res.headers_mut().insert(header::ETAG, tag);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// The vaults granted to the caller, each with its version and the caller's sealed grant.
/// `If-None-Match` with the last `ETag` answers 304 while nothing changed.
pub(crate) async fn list(
    State(state): State<AppState>,
    me: Member,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // The ETag is a hash of (vault, version, role, archived) only, so an unchanged list (the
    // common poll) is answered 304 from this light query, before any envelope is read.
    let mut rtx = state.store.begin_read().await?;
    let rows = sqlx::query(
        "SELECT g.vault_id, g.role, v.version, v.archived FROM grants g \
         JOIN vaults v ON v.id = g.vault_id WHERE g.member_id = $1 ORDER BY g.vault_id",
    )
    .bind(me.id.to_vec())
    .fetch_all(&mut *rtx)
    .await?;
    let mut h = sha2::Sha256::new();
    for r in &rows {
        h.update(r.try_get::<Vec<u8>, _>("vault_id")?);
        h.update(r.try_get::<i64, _>("version")?.to_be_bytes());
        h.update(r.try_get::<String, _>("role")?.as_bytes());
        h.update([u8::from(r.try_get::<i64, _>("archived")? != 0)]);
    }
    let tag = etag(&format!("l-{}", hex(&h.finalize()[..16])));
    if not_modified(&headers, &tag) {
        return Ok(with_etag(StatusCode::NOT_MODIFIED.into_response(), tag));
    }
    let rows = sqlx::query(
        "SELECT g.vault_id, g.role, v.epoch, v.version, v.rotation_required, v.archived, e.sealed \
         FROM grants g JOIN vaults v ON v.id = g.vault_id \
         LEFT JOIN envelopes e ON e.vault_id = g.vault_id AND e.kind = 1 AND e.fingerprint = $2 \
         WHERE g.member_id = $1 ORDER BY g.vault_id",
    )
    .bind(me.id.to_vec())
    .bind(me.public_keys.fingerprint().0.to_vec())
    .fetch_all(&mut *rtx)
    .await?;
    rtx.commit().await?;
    let mut vaults = Vec::with_capacity(rows.len());
    for r in &rows {
        vaults.push(json!({
            "vault_id": hex(&r.try_get::<Vec<u8>, _>("vault_id")?),
            "epoch": r.try_get::<i64, _>("epoch")?,
            "version": r.try_get::<i64, _>("version")?,
            "role": r.try_get::<String, _>("role")?,
            "rotation_required": r.try_get::<i64, _>("rotation_required")? != 0,
            "archived": r.try_get::<i64, _>("archived")? != 0,
            "grant": r.try_get::<Option<Vec<u8>>, _>("sealed")?.map(|g| b64(&g)),
        }));
    }
    Ok(with_etag(
        axum::Json(json!({ "vaults": vaults })).into_response(),
        tag,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantSpec {
    member_id: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    snapshot: String,
    grants: Vec<GrantSpec>,
}

/// Checks the snapshot's grants against the organisation recovery key and `members` (member id,
/// fingerprint): exactly one grant per member, one for the recovery key, nothing else.
fn check_envelopes(
    snap: &SealedVault,
    recovery: &RecoveryPublicKey,
    members: &[([u8; 16], Fingerprint)],
) -> ApiResult<()> {
    let rfp = recovery.fingerprint();
    let mut have_recovery = false;
    let wanted: BTreeSet<Fingerprint> = members.iter().map(|m| m.1).collect();
    let mut seen = BTreeSet::new();
    for g in snap.grants() {
        match g.recipient_kind() {
            RecipientKind::Recovery if g.recipient_fingerprint() == rfp => have_recovery = true,
            RecipientKind::Member if wanted.contains(&g.recipient_fingerprint()) => {
                seen.insert(g.recipient_fingerprint());
            }
            _ => {
                return Err(ApiError::unprocessable(
                    "unexpected_grant",
                    format!(
                        "a grant to {} is for no member listed with access (or an old recovery key)",
                        g.recipient_fingerprint().to_hex()
                    ),
                ));
            }
        }
    }
    if !have_recovery {
        return Err(ApiError::unprocessable(
            "missing_recovery_grant",
            "every key epoch must be granted to the organisation recovery key",
        ));
    }
    if let Some(m) = members.iter().find(|m| !seen.contains(&m.1)) {
        return Err(ApiError::unprocessable(
            "missing_grant",
            format!("no grant in the snapshot for member {}", hex(&m.0)),
        ));
    }
    Ok(())
}

async fn insert_parts(tx: &mut Tx, vault: &[u8; 16], snap: &SealedVault) -> ApiResult<()> {
    for e in snap.entries() {
        sqlx::query("INSERT INTO entries (vault_id, entry_id, sealed) VALUES ($1, $2, $3)")
            .bind(vault.to_vec())
            .bind(e.entry_id().0.to_vec())
            .bind(e.to_bytes())
            .execute(&mut **tx)
            .await?;
    }
    for g in snap.grants() {
        sqlx::query(
            "INSERT INTO envelopes (vault_id, kind, fingerprint, sealed) VALUES ($1, $2, $3, $4)",
        )
        .bind(vault.to_vec())
        .bind(kind_byte(g.recipient_kind()))
        .bind(g.recipient_fingerprint().0.to_vec())
        .bind(g.to_bytes().to_vec())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn seal_of(snap_bytes: &[u8]) -> Vec<u8> {
    snap_bytes[snap_bytes.len().saturating_sub(SNAPSHOT_SEAL_LEN)..].to_vec()
}

/// Creates a vault from a whole snapshot (any epoch) and the roles of the members it is granted
/// to. Owner or admin; the creator must hold `manage`.
pub(crate) async fn create(
    State(state): State<AppState>,
    me: Member,
    JsonBody(body): JsonBody<CreateBody>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let snap = parse_snapshot(&body.snapshot)?;
    let vault = snap.vault_id().0;
    let mut specs = Vec::with_capacity(body.grants.len());
    for g in &body.grants {
        specs.push((
            body_id(&g.member_id, "grants.member_id")?,
            check_role(&g.role)?,
        ));
    }
    if !specs
        .iter()
        .any(|(id, role)| *id == me.id && *role == "manage")
    {
        return Err(ApiError::unprocessable(
            "creator_not_granted",
            "the creator must be granted the vault with the manage role",
        ));
    }
    let mut tx = state.store.begin().await?;
    if vault_exists(&mut tx, &vault).await? {
        return Err(ApiError::conflict(
            "vault_exists",
            "a vault with this id exists",
        ));
    }
    let recovery = recovery_key(&mut tx).await?;
    let mut members = Vec::with_capacity(specs.len());
    for (id, _) in &specs {
        members.push((*id, active_member_fingerprint(&mut tx, id).await?));
    }
    if members.iter().map(|m| m.0).collect::<BTreeSet<_>>().len() != members.len() {
        return Err(ApiError::unprocessable(
            "duplicate_grant",
            "a member is listed twice",
        ));
    }
    check_envelopes(&snap, &recovery, &members)?;
    let now = now_ms();
    let bytes = snap.to_bytes();
    sqlx::query(
        "INSERT INTO vaults (id, epoch, version, meta, seal, rotation_required, created_by, \
         created_ms, updated_ms) VALUES ($1, $2, 1, $3, $4, 0, $5, $6, $6)",
    )
    .bind(vault.to_vec())
    .bind(i64::from(snap.epoch()))
    .bind(snap.meta().to_bytes())
    .bind(seal_of(&bytes))
    .bind(me.id.to_vec())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    insert_parts(&mut tx, &vault, &snap).await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("vault.create")
            .actor(me.id)
            .vault(vault)
            .detail(json!({"epoch": snap.epoch(), "entries": snap.entries().len()})),
    )
    .await?;
    for (id, role) in &specs {
        sqlx::query(
            "INSERT INTO grants (vault_id, member_id, role, granted_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(vault.to_vec())
        .bind(id.to_vec())
        .bind(*role)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit_log::append(
            &mut tx,
            &state.store,
            Event::new("grant.create")
                .actor(me.id)
                .subject(*id)
                .vault(vault)
                .detail(json!({"role": role, "epoch": snap.epoch()})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"vault_id": hex(&vault), "epoch": snap.epoch(), "version": 1})),
    ))
}

pub(super) async fn active_member_fingerprint(
    conn: &mut AnyConnection,
    id: &[u8; 16],
) -> ApiResult<Fingerprint> {
    let row = sqlx::query("SELECT fingerprint, status FROM members WHERE id = $1")
        .bind(id.to_vec())
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable("unknown_member", format!("no member {}", hex(id)))
        })?;
    if row.try_get::<String, _>("status")? != "active" {
        return Err(ApiError::unprocessable(
            "member_not_active",
            format!("member {} is not active", hex(id)),
        ));
    }
    Ok(Fingerprint(
        row.try_get::<Vec<u8>, _>("fingerprint")?
            .try_into()
            .map_err(|_| ApiError::internal())?,
    ))
}

/// The whole vault as a snapshot (base64), with the caller's role. `ETag` is the version:
/// `If-None-Match` answers 304 while unchanged (and logs nothing). An owner without a grant may
/// fetch any vault for break-glass recovery; that is logged as `recovery.use`.
pub(crate) async fn fetch(
    State(state): State<AppState>,
    me: Member,
    ApiPath(vault_id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let vault = path_id(&vault_id, "vault")?;
    let mut rtx = state.store.begin_read().await?;
    let role = match access(&mut rtx, &vault, &me.id).await? {
        Some(r) => r,
        None if !vault_exists(&mut rtx, &vault).await? => {
            return Err(ApiError::not_found("not_found", "no such vault"));
        }
        None if me.role == super::OrgRole::Owner => "recovery".to_owned(),
        None => {
            return Err(ApiError::forbidden(
                "not_granted",
                "you hold no grant on this vault",
            ));
        }
    };
    // The version (and the archive flag) alone decide a 304, before the snapshot is assembled.
    let row = sqlx::query("SELECT version, archived FROM vaults WHERE id = $1")
        .bind(vault.to_vec())
        .fetch_one(&mut *rtx)
        .await?;
    let version: i64 = row.try_get("version")?;
    let archived = row.try_get::<i64, _>("archived")? != 0;
    let tag = etag(&format!(
        "v{version}-{role}{}",
        if archived { "-archived" } else { "" }
    ));
    if not_modified(&headers, &tag) {
        return Ok(with_etag(StatusCode::NOT_MODIFIED.into_response(), tag));
    }
    let snap = load_snapshot(&mut rtx, &vault)
        .await?
        .ok_or_else(|| ApiError::not_found("not_found", "no such vault"))?;
    rtx.commit().await?;
    let mut tx = state.store.begin().await?;
    let action = if role == "recovery" {
        "recovery.use"
    } else {
        "vault.fetch"
    };
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new(action)
            .actor(me.id)
            .vault(vault)
            .detail(json!({"version": snap.version, "epoch": snap.epoch})),
    )
    .await?;
    tx.commit().await?;
    let body = json!({
        "vault_id": hex(&vault),
        "epoch": snap.epoch,
        "version": snap.version,
        "role": role,
        "rotation_required": snap.rotation_required,
        "archived": archived,
        "snapshot": b64(&snap.bytes),
    });
    Ok(with_etag(axum::Json(body).into_response(), tag))
}

/// Moves the vault from `base` to `base + 1`, or fails with 404 or 409 (stale) and changes
/// nothing. Taking the row in a conditional UPDATE first also serializes concurrent writers.
pub(super) async fn bump(
    tx: &mut Tx,
    vault: &[u8; 16],
    base: i64,
    extra_set: &str,
    extra: Vec<Vec<u8>>,
) -> ApiResult<i64> {
    let sql = format!(
        "UPDATE vaults SET version = version + 1, updated_ms = $1{extra_set} WHERE id = $2 AND version = $3"
    );
    let mut q = sqlx::query(crate::store::dynamic(sql))
        .bind(now_ms())
        .bind(vault.to_vec())
        .bind(base);
    for b in extra {
        q = q.bind(b);
    }
    if q.execute(&mut **tx).await?.rows_affected() == 1 {
        return Ok(base + 1);
    }
    let current: Option<i64> = sqlx::query("SELECT version FROM vaults WHERE id = $1")
        .bind(vault.to_vec())
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get("version"))
        .transpose()?;
    match current {
        None => Err(ApiError::not_found("not_found", "no such vault")),
        Some(v) => Err(ApiError::conflict(
            "version_conflict",
            format!("the vault is at version {v}, not {base}: fetch it, re-apply, retry"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriteBody {
    base_version: i64,
    #[serde(default)]
    put_entries: Vec<String>,
    #[serde(default)]
    delete_entries: Vec<String>,
    meta: Option<String>,
    seal: String,
}

/// Adds, replaces and deletes entries (and optionally the sealed name) in one atomic step,
/// with the new snapshot seal. Needs `manage`.
pub(crate) async fn write(
    State(state): State<AppState>,
    me: Member,
    ApiPath(vault_id): ApiPath<String>,
    JsonBody(body): JsonBody<WriteBody>,
) -> ApiResult<impl IntoResponse> {
    let vault = path_id(&vault_id, "vault")?;
    let seal = parse_seal(&body.seal)?;
    let mut puts = Vec::with_capacity(body.put_entries.len());
    for p in &body.put_entries {
        let e = SealedEntry::from_bytes(&from_b64(p, "put_entries")?).map_err(|e| {
            ApiError::unprocessable("invalid_entry", format!("put_entries: {}", e.code()))
        })?;
        puts.push(e);
    }
    let mut deletes = Vec::with_capacity(body.delete_entries.len());
    for d in &body.delete_entries {
        deletes.push(body_id(d, "delete_entries")?);
    }
    let ids: BTreeSet<[u8; 16]> = puts
        .iter()
        .map(|e| e.entry_id().0)
        .chain(deletes.iter().copied())
        .collect();
    if ids.len() != puts.len() + deletes.len() {
        return Err(ApiError::unprocessable(
            "duplicate_entry",
            "an entry id appears twice in one write",
        ));
    }
    let meta = body
        .meta
        .as_deref()
        .map(|m| {
            SealedMeta::from_bytes(&from_b64(m, "meta")?)
                .map_err(|e| ApiError::unprocessable("invalid_meta", format!("meta: {}", e.code())))
        })
        .transpose()?;
    if puts.is_empty() && deletes.is_empty() && meta.is_none() {
        return Err(ApiError::unprocessable("empty_write", "nothing to change"));
    }

    let mut tx = state.store.begin().await?;
    require(&mut tx, &vault, &me, true).await?;
    let version = match &meta {
        Some(m) => {
            bump(
                &mut tx,
                &vault,
                body.base_version,
                ", seal = $4, meta = $5",
                vec![seal, m.to_bytes()],
            )
            .await?
        }
        None => {
            bump(
                &mut tx,
                &vault,
                body.base_version,
                ", seal = $4",
                vec![seal],
            )
            .await?
        }
    };
    let epoch: i64 = sqlx::query("SELECT epoch FROM vaults WHERE id = $1")
        .bind(vault.to_vec())
        .fetch_one(&mut *tx)
        .await?
        .try_get("epoch")?;
    let wrong = |what: &str, v: [u8; 16], e: u32| -> Option<ApiError> {
        if v != vault {
            Some(ApiError::unprocessable(
                "wrong_vault",
                format!("{what} belongs to another vault"),
            ))
        } else if i64::from(e) != epoch {
            Some(ApiError::unprocessable(
                "wrong_epoch",
                format!("{what} is sealed for epoch {e}, the vault is at {epoch}"),
            ))
        } else {
            None
        }
    };
    if let Some(m) = &meta
        && let Some(err) = wrong("meta", m.vault_id().0, m.epoch())
    {
        return Err(err);
    }
    for e in &puts {
        if let Some(err) = wrong("an entry", e.vault_id().0, e.epoch()) {
            return Err(err);
        }
    }
    let mut events = Vec::new();
    for id in &deletes {
        let n = sqlx::query("DELETE FROM entries WHERE vault_id = $1 AND entry_id = $2")
            .bind(vault.to_vec())
            .bind(id.to_vec())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            return Err(ApiError::not_found(
                "entry_not_found",
                format!("no entry {}", hex(id)),
            ));
        }
        events.push(("entry.delete", *id));
    }
    for e in &puts {
        let id = e.entry_id().0;
        let existed =
            sqlx::query("SELECT entry_id FROM entries WHERE vault_id = $1 AND entry_id = $2")
                .bind(vault.to_vec())
                .bind(id.to_vec())
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
        sqlx::query(
            "INSERT INTO entries (vault_id, entry_id, sealed) VALUES ($1, $2, $3) \
             ON CONFLICT (vault_id, entry_id) DO UPDATE SET sealed = excluded.sealed",
        )
        .bind(vault.to_vec())
        .bind(id.to_vec())
        .bind(e.to_bytes())
        .execute(&mut *tx)
        .await?;
        events.push((
            if existed {
                "entry.update"
            } else {
                "entry.create"
            },
            id,
        ));
    }
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM entries WHERE vault_id = $1")
        .bind(vault.to_vec())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if count > MAX_ENTRIES as i64 {
        return Err(ApiError::unprocessable(
            "too_many_entries",
            format!("a vault holds at most {MAX_ENTRIES} entries"),
        ));
    }
    check_canonical(&mut tx, &vault).await?;
    for (action, id) in events {
        audit_log::append(
            &mut tx,
            &state.store,
            Event::new(action)
                .actor(me.id)
                .vault(vault)
                .entry(id)
                .detail(json!({"version": version})),
        )
        .await?;
    }
    if meta.is_some() {
        audit_log::append(
            &mut tx,
            &state.store,
            Event::new("vault.rename")
                .actor(me.id)
                .vault(vault)
                .detail(json!({"version": version})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(axum::Json(
        json!({"vault_id": hex(&vault), "version": version, "epoch": epoch}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateBody {
    base_version: i64,
    snapshot: String,
}

/// Replaces the vault with a new key epoch atomically: every entry re-sealed (same ids), grants
/// for exactly the members who hold access and for the recovery key. Marks the vault's
/// `rotate_vault` checklist items done. Needs `manage`.
pub(crate) async fn rotate(
    State(state): State<AppState>,
    me: Member,
    ApiPath(vault_id): ApiPath<String>,
    JsonBody(body): JsonBody<RotateBody>,
) -> ApiResult<impl IntoResponse> {
    let vault = path_id(&vault_id, "vault")?;
    let snap = parse_snapshot(&body.snapshot)?;
    if snap.vault_id().0 != vault {
        return Err(ApiError::unprocessable(
            "wrong_vault",
            "the snapshot is of another vault",
        ));
    }
    let bytes = snap.to_bytes();
    let mut tx = state.store.begin().await?;
    require(&mut tx, &vault, &me, true).await?;
    let version = bump(
        &mut tx,
        &vault,
        body.base_version,
        ", meta = $4, seal = $5, rotation_required = 0",
        vec![snap.meta().to_bytes(), seal_of(&bytes)],
    )
    .await?;
    let old_epoch: i64 = sqlx::query("SELECT epoch FROM vaults WHERE id = $1")
        .bind(vault.to_vec())
        .fetch_one(&mut *tx)
        .await?
        .try_get("epoch")?;
    if i64::from(snap.epoch()) != old_epoch + 1 {
        return Err(ApiError::unprocessable(
            "wrong_epoch",
            format!(
                "a rotation of epoch {old_epoch} must be sealed for epoch {}",
                old_epoch + 1
            ),
        ));
    }
    let stored: Vec<Vec<u8>> =
        sqlx::query("SELECT entry_id FROM entries WHERE vault_id = $1 ORDER BY entry_id")
            .bind(vault.to_vec())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("entry_id"))
            .collect::<Result<_, _>>()?;
    let resealed: Vec<Vec<u8>> = snap
        .entries()
        .iter()
        .map(|e| e.entry_id().0.to_vec())
        .collect();
    if stored != resealed {
        return Err(ApiError::unprocessable(
            "entries_mismatch",
            "a rotation re-seals exactly the vault's current entries (same ids); write changes separately",
        ));
    }
    let recovery = recovery_key(&mut tx).await?;
    let rows = sqlx::query(
        "SELECT g.member_id, m.fingerprint FROM grants g JOIN members m ON m.id = g.member_id \
         WHERE g.vault_id = $1",
    )
    .bind(vault.to_vec())
    .fetch_all(&mut *tx)
    .await?;
    let mut members = Vec::with_capacity(rows.len());
    for r in &rows {
        members.push((
            id16(&r.try_get::<Vec<u8>, _>("member_id")?)?,
            Fingerprint(
                r.try_get::<Vec<u8>, _>("fingerprint")?
                    .try_into()
                    .map_err(|_| ApiError::internal())?,
            ),
        ));
    }
    check_envelopes(&snap, &recovery, &members)?;
    sqlx::query("UPDATE vaults SET epoch = $1 WHERE id = $2")
        .bind(i64::from(snap.epoch()))
        .bind(vault.to_vec())
        .execute(&mut *tx)
        .await?;
    for table in ["entries", "envelopes"] {
        sqlx::query(crate::store::dynamic(format!(
            "DELETE FROM {table} WHERE vault_id = $1"
        )))
        .bind(vault.to_vec())
        .execute(&mut *tx)
        .await?;
    }
    insert_parts(&mut tx, &vault, &snap).await?;
    let now = now_ms();
    sqlx::query(
        "UPDATE checklist SET done_ms = $1, done_by = $2 \
         WHERE vault_id = $3 AND kind = 'rotate_vault' AND done_ms IS NULL",
    )
    .bind(now)
    .bind(me.id.to_vec())
    .bind(vault.to_vec())
    .execute(&mut *tx)
    .await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("vault.rotate").actor(me.id).vault(vault).detail(
            json!({"epoch": snap.epoch(), "version": version, "grants": snap.grants().len()}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(
        json!({"vault_id": hex(&vault), "epoch": snap.epoch(), "version": version}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArchiveBody {
    archived: bool,
}

/// Archives or unarchives a vault (owner or admin, or `manage` on the vault). An archived vault
/// is still stored, granted and synced; clients hide it. The snapshot does not change, so the
/// version does not either (no write is made stale); the list and vault ETags do change. Setting
/// the flag it already has changes and logs nothing.
pub(crate) async fn archive(
    State(state): State<AppState>,
    me: Member,
    ApiPath(vault_id): ApiPath<String>,
    JsonBody(body): JsonBody<ArchiveBody>,
) -> ApiResult<impl IntoResponse> {
    let vault = path_id(&vault_id, "vault")?;
    let mut tx = state.store.begin().await?;
    if !me.role.is_admin() {
        require(&mut tx, &vault, &me, true).await?;
    }
    let row = sqlx::query(crate::store::dynamic(format!(
        "SELECT version, archived FROM vaults WHERE id = $1{}",
        state.store.dialect.for_update()
    )))
    .bind(vault.to_vec())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("not_found", "no such vault"))?;
    let version: i64 = row.try_get("version")?;
    let was = row.try_get::<i64, _>("archived")? != 0;
    if was != body.archived {
        sqlx::query("UPDATE vaults SET archived = $1, updated_ms = $2 WHERE id = $3")
            .bind(i64::from(body.archived))
            .bind(now_ms())
            .bind(vault.to_vec())
            .execute(&mut *tx)
            .await?;
        let action = if body.archived {
            "vault.archive"
        } else {
            "vault.unarchive"
        };
        audit_log::append(
            &mut tx,
            &state.store,
            Event::new(action)
                .actor(me.id)
                .vault(vault)
                .detail(json!({"version": version})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(axum::Json(
        json!({"vault_id": hex(&vault), "archived": body.archived, "version": version}),
    ))
}

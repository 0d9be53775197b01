//! Invites, members and revocation with its seed-rotation checklist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;
use tessera_core::keyring::PublicKeys;

use super::auth::{check_label, parse_public_keys};
use super::{AppState, ClientIp, JsonBody, Member, OrgRole, b64, hex, id16, path_id, rate_limit};
use crate::audit_log::{self, Event};
use crate::error::{ApiError, ApiResult};
use crate::store::{now_ms, random, token_hash};

/// Default and longest invite lifetimes.
const INVITE_TTL_DEFAULT_SECS: u64 = 7 * 24 * 3600;
const INVITE_TTL_MAX_SECS: u64 = 30 * 24 * 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteBody {
    role: String,
    #[serde(default)]
    label: String,
    ttl_secs: Option<u64>,
}

pub(crate) async fn create_invite(
    State(state): State<AppState>,
    me: Member,
    ip: ClientIp,
    JsonBody(body): JsonBody<InviteBody>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    rate_limit(&state, "invite", ip).await?;
    check_label(&body.label)?;
    let role = match body.role.as_str() {
        "member" => "member",
        "admin" if me.role == OrgRole::Owner => "admin",
        "admin" => {
            return Err(ApiError::forbidden(
                "owner_required",
                "only the owner invites admins",
            ));
        }
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_role",
                "role: member or admin",
            ));
        }
    };
    let ttl = body.ttl_secs.unwrap_or(INVITE_TTL_DEFAULT_SECS);
    if ttl == 0 || ttl > INVITE_TTL_MAX_SECS {
        return Err(ApiError::unprocessable(
            "invalid_ttl",
            format!("ttl_secs: 1 to {INVITE_TTL_MAX_SECS}"),
        ));
    }
    let id: [u8; 16] = random()?;
    let token = format!(
        "tsi_{}",
        data_encoding::BASE64URL_NOPAD.encode(&random::<32>()?)
    );
    let now = now_ms();
    let expires = now + i64::try_from(ttl).unwrap_or(0) * 1000;
    let mut tx = state.store.begin().await?;
    sqlx::query(
        "INSERT INTO invites (id, token_hash, role, label, created_by, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_vec())
    .bind(token_hash(&token))
    .bind(role)
    .bind(body.label.clone())
    .bind(me.id.to_vec())
    .bind(now)
    .bind(expires)
    .execute(&mut *tx)
    .await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("invite.create")
            .actor(me.id)
            .detail(json!({"invite_id": hex(&id), "role": role})),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(
            json!({"invite_id": hex(&id), "token": token, "role": role, "expires_ms": expires}),
        ),
    ))
}

pub(crate) async fn list_invites(
    State(state): State<AppState>,
    me: Member,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let rows = sqlx::query(
        "SELECT id, role, label, created_by, expires_ms FROM invites \
         WHERE used_ms IS NULL AND expires_ms > $1 ORDER BY created_ms",
    )
    .bind(now_ms())
    .fetch_all(state.store.reader())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(json!({
            "invite_id": hex(&r.try_get::<Vec<u8>, _>("id")?),
            "role": r.try_get::<String, _>("role")?,
            "label": r.try_get::<String, _>("label")?,
            "created_by": hex(&r.try_get::<Vec<u8>, _>("created_by")?),
            "expires_ms": r.try_get::<i64, _>("expires_ms")?,
        }));
    }
    Ok(axum::Json(json!({ "invites": out })))
}

pub(crate) async fn cancel_invite(
    State(state): State<AppState>,
    me: Member,
    Path(invite_id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let id = path_id(&invite_id, "invite")?;
    let mut tx = state.store.begin().await?;
    let n = sqlx::query("DELETE FROM invites WHERE id = $1 AND used_ms IS NULL")
        .bind(id.to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(ApiError::not_found("not_found", "no such pending invite"));
    }
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("invite.cancel")
            .actor(me.id)
            .detail(json!({"invite_id": hex(&id)})),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptBody {
    token: String,
    public_keys: String,
    #[serde(default)]
    label: String,
}

/// The invitee registers the public keys of the keyring it generated. The member stays
/// `pending` until an admin confirms the fingerprint. Rate-limited per client address.
pub(crate) async fn accept_invite(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(body): JsonBody<AcceptBody>,
) -> ApiResult<impl IntoResponse> {
    rate_limit(&state, "invite_accept", ip).await?;
    check_label(&body.label)?;
    let keys = parse_public_keys(&body.public_keys)?;
    let mut tx = state.store.begin().await?;
    let row = sqlx::query(crate::store::dynamic(format!(
        "SELECT id, role, label, expires_ms, used_ms FROM invites WHERE token_hash = $1{}",
        state.store.dialect.for_update()
    )))
    .bind(token_hash(&body.token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("invalid_invite", "no such invite"))?;
    if row.try_get::<Option<i64>, _>("used_ms")?.is_some() {
        return Err(ApiError::conflict(
            "invite_used",
            "this invite was already used",
        ));
    }
    let now = now_ms();
    if row.try_get::<i64, _>("expires_ms")? <= now {
        return Err(ApiError::new(
            StatusCode::GONE,
            "invite_expired",
            "this invite has expired",
        ));
    }
    let invite_id: Vec<u8> = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let label = if body.label.is_empty() {
        row.try_get::<String, _>("label")?
    } else {
        body.label.clone()
    };
    let taken = sqlx::query("SELECT id FROM members WHERE public_keys = $1 OR fingerprint = $2")
        .bind(keys.to_bytes().to_vec())
        .bind(keys.fingerprint().0.to_vec())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if taken {
        return Err(ApiError::conflict(
            "keys_in_use",
            "these public keys belong to another member",
        ));
    }
    let member_id: [u8; 16] = random()?;
    sqlx::query(
        "INSERT INTO members (id, public_keys, fingerprint, label, role, status, created_ms) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
    )
    .bind(member_id.to_vec())
    .bind(keys.to_bytes().to_vec())
    .bind(keys.fingerprint().0.to_vec())
    .bind(label)
    .bind(role.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE invites SET used_ms = $1, member_id = $2 WHERE id = $3")
        .bind(now)
        .bind(member_id.to_vec())
        .bind(invite_id.clone())
        .execute(&mut *tx)
        .await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("invite.accept")
            .actor(member_id)
            .subject(member_id)
            .detail(
                json!({"invite_id": hex(&invite_id), "fingerprint": keys.fingerprint().to_hex()}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "member_id": hex(&member_id),
            "fingerprint": keys.fingerprint().to_hex(),
            "fingerprint_display": keys.fingerprint().to_display(),
            "role": role,
            "status": "pending",
        })),
    ))
}

fn member_json(r: &sqlx::any::AnyRow) -> ApiResult<Value> {
    let keys = PublicKeys::from_bytes(&r.try_get::<Vec<u8>, _>("public_keys")?)
        .map_err(|_| ApiError::internal())?;
    Ok(json!({
        "member_id": hex(&r.try_get::<Vec<u8>, _>("id")?),
        "label": r.try_get::<String, _>("label")?,
        "role": r.try_get::<String, _>("role")?,
        "status": r.try_get::<String, _>("status")?,
        "public_keys": b64(&keys.to_bytes()),
        "fingerprint": keys.fingerprint().to_hex(),
        "fingerprint_display": keys.fingerprint().to_display(),
        "created_ms": r.try_get::<i64, _>("created_ms")?,
    }))
}

const MEMBER_COLS: &str = "id, label, role, status, public_keys, created_ms";

/// Every member with public keys (needed to grant) and status.
pub(crate) async fn list_members(
    State(state): State<AppState>,
    _me: Member,
) -> ApiResult<impl IntoResponse> {
    let rows = sqlx::query(crate::store::dynamic(format!(
        "SELECT {MEMBER_COLS} FROM members ORDER BY created_ms, id"
    )))
    .fetch_all(state.store.reader())
    .await?;
    let members = rows
        .iter()
        .map(member_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(axum::Json(json!({ "members": members })))
}

pub(crate) async fn me(State(state): State<AppState>, me: Member) -> ApiResult<impl IntoResponse> {
    let row = sqlx::query(crate::store::dynamic(format!(
        "SELECT {MEMBER_COLS} FROM members WHERE id = $1"
    )))
    .bind(me.id.to_vec())
    .fetch_one(state.store.reader())
    .await?;
    Ok(axum::Json(member_json(&row)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmBody {
    fingerprint: String,
}

/// An admin confirms a pending member after comparing the fingerprint shown on both screens.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    me: Member,
    Path(member_id): Path<String>,
    JsonBody(body): JsonBody<ConfirmBody>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let id = path_id(&member_id, "member")?;
    let mut tx = state.store.begin().await?;
    let row = sqlx::query(crate::store::dynamic(format!(
        "SELECT status, fingerprint FROM members WHERE id = $1{}",
        state.store.dialect.for_update()
    )))
    .bind(id.to_vec())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("not_found", "no such member"))?;
    if row.try_get::<String, _>("status")? != "pending" {
        return Err(ApiError::conflict(
            "not_pending",
            "this member is not pending",
        ));
    }
    let stored = hex(&row.try_get::<Vec<u8>, _>("fingerprint")?);
    if body.fingerprint.to_ascii_lowercase() != stored {
        return Err(ApiError::unprocessable(
            "fingerprint_mismatch",
            "the fingerprint does not match this member's keys",
        ));
    }
    sqlx::query("UPDATE members SET status = 'active', confirmed_ms = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.to_vec())
        .execute(&mut *tx)
        .await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("member.confirm").actor(me.id).subject(id),
    )
    .await?;
    let row = sqlx::query(crate::store::dynamic(format!(
        "SELECT {MEMBER_COLS} FROM members WHERE id = $1"
    )))
    .bind(id.to_vec())
    .fetch_one(&mut *tx)
    .await?;
    let out = member_json(&row)?;
    tx.commit().await?;
    Ok(axum::Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    role: String,
}

/// The owner changes a member's organisation role.
pub(crate) async fn set_role(
    State(state): State<AppState>,
    me: Member,
    Path(member_id): Path<String>,
    JsonBody(body): JsonBody<RoleBody>,
) -> ApiResult<impl IntoResponse> {
    if me.role != OrgRole::Owner {
        return Err(ApiError::forbidden(
            "owner_required",
            "only the owner changes roles",
        ));
    }
    let role = OrgRole::parse(&body.role)
        .ok_or_else(|| ApiError::unprocessable("invalid_role", "role: owner, admin or member"))?;
    let id = path_id(&member_id, "member")?;
    if id == me.id {
        return Err(ApiError::conflict(
            "cannot_change_own_role",
            "ask another owner to change your role",
        ));
    }
    let mut tx = state.store.begin().await?;
    let n = sqlx::query("UPDATE members SET role = $1 WHERE id = $2 AND status <> 'revoked'")
        .bind(role.as_str())
        .bind(id.to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(ApiError::not_found("not_found", "no such member"));
    }
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("member.role")
            .actor(me.id)
            .subject(id)
            .detail(json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(
        json!({"member_id": hex(&id), "role": role.as_str()}),
    ))
}

/// Revokes a member at once: status `revoked`, sessions deleted, vault grants removed, every
/// vault they could open flagged for rotation. Answers with what they could read and the
/// seed-rotation checklist the server tracks from now on.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    me: Member,
    Path(member_id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let id = path_id(&member_id, "member")?;
    if id == me.id {
        return Err(ApiError::conflict(
            "cannot_revoke_self",
            "another admin must revoke you",
        ));
    }
    let mut tx = state.store.begin().await?;
    let row = sqlx::query(crate::store::dynamic(format!(
        "SELECT role, status FROM members WHERE id = $1{}",
        state.store.dialect.for_update()
    )))
    .bind(id.to_vec())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("not_found", "no such member"))?;
    if row.try_get::<String, _>("status")? == "revoked" {
        return Err(ApiError::conflict(
            "already_revoked",
            "this member is already revoked",
        ));
    }
    if row.try_get::<String, _>("role")? == "owner" && me.role != OrgRole::Owner {
        return Err(ApiError::forbidden(
            "owner_required",
            "only an owner revokes an owner",
        ));
    }
    let now = now_ms();
    sqlx::query("UPDATE members SET status = 'revoked', revoked_ms = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_vec())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE member_id = $1")
        .bind(id.to_vec())
        .execute(&mut *tx)
        .await?;
    let grants = sqlx::query(
        "SELECT g.vault_id, g.role, v.epoch FROM grants g JOIN vaults v ON v.id = g.vault_id \
         WHERE g.member_id = $1 ORDER BY g.vault_id",
    )
    .bind(id.to_vec())
    .fetch_all(&mut *tx)
    .await?;
    let revocation_id: [u8; 16] = random()?;
    sqlx::query(
        "INSERT INTO revocations (id, member_id, revoked_by, created_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(revocation_id.to_vec())
    .bind(id.to_vec())
    .bind(me.id.to_vec())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut vaults = Vec::new();
    for g in &grants {
        let vault: Vec<u8> = g.try_get("vault_id")?;
        let vault = id16(&vault)?;
        let role: String = g.try_get("role")?;
        // Bumping the version makes every in-flight write based on the old state stale.
        sqlx::query(
            "UPDATE vaults SET rotation_required = 1, version = version + 1, updated_ms = $1 \
             WHERE id = $2",
        )
        .bind(now)
        .bind(vault.to_vec())
        .execute(&mut *tx)
        .await?;
        let entry_rows =
            sqlx::query("SELECT entry_id FROM entries WHERE vault_id = $1 ORDER BY entry_id")
                .bind(vault.to_vec())
                .fetch_all(&mut *tx)
                .await?;
        add_item(&mut tx, &revocation_id, "rotate_vault", &vault, None, &role).await?;
        let mut entries = Vec::with_capacity(entry_rows.len());
        for e in &entry_rows {
            let entry = id16(&e.try_get::<Vec<u8>, _>("entry_id")?)?;
            add_item(
                &mut tx,
                &revocation_id,
                "reenroll_seed",
                &vault,
                Some(&entry),
                &role,
            )
            .await?;
            entries.push(hex(&entry));
        }
        audit_log::append(
            &mut tx,
            &state.store,
            Event::new("grant.revoke")
                .actor(me.id)
                .subject(id)
                .vault(vault)
                .detail(json!({"reason": "member revoked", "role": role})),
        )
        .await?;
        vaults.push(json!({
            "vault_id": hex(&vault),
            "role": role,
            "epoch": g.try_get::<i64, _>("epoch")?,
            "entries": entries,
        }));
    }
    sqlx::query("DELETE FROM grants WHERE member_id = $1")
        .bind(id.to_vec())
        .execute(&mut *tx)
        .await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("member.revoke")
            .actor(me.id)
            .subject(id)
            .detail(json!({"revocation_id": hex(&revocation_id), "vaults": vaults.len()})),
    )
    .await?;
    let checklist = load_items(&mut *tx, &revocation_id).await?;
    tx.commit().await?;
    Ok(axum::Json(json!({
        "revocation_id": hex(&revocation_id),
        "member_id": hex(&id),
        "vaults": vaults,
        "checklist": checklist,
    })))
}

async fn add_item(
    tx: &mut crate::store::Tx,
    revocation: &[u8; 16],
    kind: &str,
    vault: &[u8; 16],
    entry: Option<&[u8; 16]>,
    role: &str,
) -> ApiResult<()> {
    let id: [u8; 16] = random()?;
    sqlx::query(
        "INSERT INTO checklist (id, revocation_id, kind, vault_id, entry_id, role) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_vec())
    .bind(revocation.to_vec())
    .bind(kind.to_owned())
    .bind(vault.to_vec())
    .bind(entry.map(|e| e.to_vec()))
    .bind(role.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn item_json(r: &sqlx::any::AnyRow) -> ApiResult<Value> {
    let done_ms: Option<i64> = r.try_get("done_ms")?;
    Ok(json!({
        "item_id": hex(&r.try_get::<Vec<u8>, _>("id")?),
        "kind": r.try_get::<String, _>("kind")?,
        "vault_id": hex(&r.try_get::<Vec<u8>, _>("vault_id")?),
        "entry_id": r.try_get::<Option<Vec<u8>>, _>("entry_id")?.map(|e| hex(&e)),
        "role": r.try_get::<String, _>("role")?,
        "done": done_ms.is_some(),
        "done_ms": done_ms,
        "done_by": r.try_get::<Option<Vec<u8>>, _>("done_by")?.map(|e| hex(&e)),
    }))
}

async fn load_items<'e, E>(exec: E, revocation: &[u8; 16]) -> ApiResult<Vec<Value>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT id, kind, vault_id, entry_id, role, done_ms, done_by FROM checklist \
         WHERE revocation_id = $1 ORDER BY vault_id, kind, entry_id",
    )
    .bind(revocation.to_vec())
    .fetch_all(exec)
    .await?;
    rows.iter().map(item_json).collect()
}

async fn revocation_json(state: &AppState, r: &sqlx::any::AnyRow) -> ApiResult<Value> {
    let id = id16(&r.try_get::<Vec<u8>, _>("id")?)?;
    let items = load_items(state.store.reader(), &id).await?;
    let open = items.iter().filter(|i| i["done"] == json!(false)).count();
    Ok(json!({
        "revocation_id": hex(&id),
        "member_id": hex(&r.try_get::<Vec<u8>, _>("member_id")?),
        "revoked_by": hex(&r.try_get::<Vec<u8>, _>("revoked_by")?),
        "created_ms": r.try_get::<i64, _>("created_ms")?,
        "open_items": open,
        "checklist": items,
    }))
}

pub(crate) async fn list_revocations(
    State(state): State<AppState>,
    me: Member,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let rows = sqlx::query(
        "SELECT id, member_id, revoked_by, created_ms FROM revocations ORDER BY created_ms, id",
    )
    .fetch_all(state.store.reader())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(revocation_json(&state, r).await?);
    }
    Ok(axum::Json(json!({ "revocations": out })))
}

pub(crate) async fn get_revocation(
    State(state): State<AppState>,
    me: Member,
    Path(revocation_id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let id = path_id(&revocation_id, "revocation")?;
    let row =
        sqlx::query("SELECT id, member_id, revoked_by, created_ms FROM revocations WHERE id = $1")
            .bind(id.to_vec())
            .fetch_optional(state.store.reader())
            .await?
            .ok_or_else(|| ApiError::not_found("not_found", "no such revocation"))?;
    Ok(axum::Json(revocation_json(&state, &row).await?))
}

/// An admin marks a checklist item done (a seed re-enrolled at AWS, or a rotation checked).
/// Marking an item that is already done changes nothing.
pub(crate) async fn mark_done(
    State(state): State<AppState>,
    me: Member,
    Path((revocation_id, item_id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let rev = path_id(&revocation_id, "revocation")?;
    let item = path_id(&item_id, "checklist item")?;
    let mut tx = state.store.begin().await?;
    let row = sqlx::query(crate::store::dynamic(format!(
        "SELECT vault_id, entry_id, kind, done_ms FROM checklist WHERE id = $1 AND revocation_id = $2{}",
        state.store.dialect.for_update()
    )))
    .bind(item.to_vec())
    .bind(rev.to_vec())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("not_found", "no such checklist item"))?;
    if row.try_get::<Option<i64>, _>("done_ms")?.is_none() {
        sqlx::query("UPDATE checklist SET done_ms = $1, done_by = $2 WHERE id = $3")
            .bind(now_ms())
            .bind(me.id.to_vec())
            .bind(item.to_vec())
            .execute(&mut *tx)
            .await?;
        let vault = id16(&row.try_get::<Vec<u8>, _>("vault_id")?)?;
        let mut ev = Event::new("checklist.done")
            .actor(me.id)
            .vault(vault)
            .detail(json!({
                "revocation_id": hex(&rev),
                "item_id": hex(&item),
                "kind": row.try_get::<String, _>("kind")?,
            }));
        if let Some(e) = row.try_get::<Option<Vec<u8>>, _>("entry_id")? {
            ev = ev.entry(id16(&e)?);
        }
        audit_log::append(&mut tx, &state.store, ev).await?;
    }
    let out = sqlx::query(
        "SELECT id, kind, vault_id, entry_id, role, done_ms, done_by FROM checklist WHERE id = $1",
    )
    .bind(item.to_vec())
    .fetch_one(&mut *tx)
    .await?;
    let out = item_json(&out)?;
    tx.commit().await?;
    Ok(axum::Json(out))
}

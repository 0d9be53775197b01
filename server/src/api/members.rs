//! Invites, members and revocation with its seed-rotation checklist.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;
use tessera_core::keyring::PublicKeys;

use super::auth::{check_label, parse_public_keys};
use super::{
    ApiPath, AppState, ClientIp, JsonBody, Member, OrgRole, b64, hex, path_id, rate_limit,
};
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
    ApiPath(invite_id): ApiPath<String>,
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
    ApiPath(member_id): ApiPath<String>,
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
    ApiPath(member_id): ApiPath<String>,
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

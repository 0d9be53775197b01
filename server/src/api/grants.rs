//! Per-member grants on a vault: list, grant the current key epoch, change the role, remove
//! access (which flags the vault for rotation).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;
use tessera_core::grant::{Grant, RecipientKind};

use super::vaults::{
    access, active_member_fingerprint, bump, check_canonical, check_role, parse_seal, require,
    vault_exists,
};
use super::{ApiPath, AppState, JsonBody, Member, b64, body_id, from_b64, hex, path_id};
use crate::audit_log::{self, Event};
use crate::error::{ApiError, ApiResult};
use crate::store::{Tx, now_ms};

pub(crate) async fn list_grants(
    State(state): State<AppState>,
    me: Member,
    ApiPath(vault_id): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    let vault = path_id(&vault_id, "vault")?;
    let mut conn = state.store.reader().acquire().await?;
    if !me.role.is_admin() {
        require(&mut conn, &vault, &me, false).await?;
    } else if !vault_exists(&mut conn, &vault).await? {
        return Err(ApiError::not_found("not_found", "no such vault"));
    }
    let rows = sqlx::query(
        "SELECT g.member_id, g.role, m.fingerprint, m.label, e.sealed FROM grants g \
         JOIN members m ON m.id = g.member_id \
         LEFT JOIN envelopes e ON e.vault_id = g.vault_id AND e.kind = 1 AND e.fingerprint = m.fingerprint \
         WHERE g.vault_id = $1 ORDER BY g.member_id",
    )
    .bind(vault.to_vec())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(json!({
            "member_id": hex(&r.try_get::<Vec<u8>, _>("member_id")?),
            "role": r.try_get::<String, _>("role")?,
            "fingerprint": hex(&r.try_get::<Vec<u8>, _>("fingerprint")?),
            "label": r.try_get::<String, _>("label")?,
            "grant": r.try_get::<Option<Vec<u8>>, _>("sealed")?.map(|g| b64(&g)),
        }));
    }
    Ok(axum::Json(json!({"vault_id": hex(&vault), "grants": out})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddGrantBody {
    base_version: i64,
    member_id: String,
    role: String,
    grant: String,
    seal: String,
}

/// Grants the vault's current key to a member: the sealed grant, the role, and the new snapshot
/// seal (the set of grants is part of the snapshot). Needs `manage`.
pub(crate) async fn add_grant(
    State(state): State<AppState>,
    me: Member,
    ApiPath(vault_id): ApiPath<String>,
    JsonBody(body): JsonBody<AddGrantBody>,
) -> ApiResult<impl IntoResponse> {
    let vault = path_id(&vault_id, "vault")?;
    let member = body_id(&body.member_id, "member_id")?;
    let role = check_role(&body.role)?;
    let seal = parse_seal(&body.seal)?;
    let grant = Grant::from_bytes(&from_b64(&body.grant, "grant")?)
        .map_err(|e| ApiError::unprocessable("invalid_grant", format!("grant: {}", e.code())))?;
    let mut tx = state.store.begin().await?;
    require(&mut tx, &vault, &me, true).await?;
    let fp = active_member_fingerprint(&mut tx, &member).await?;
    if access(&mut tx, &vault, &member).await?.is_some() {
        return Err(ApiError::conflict(
            "already_granted",
            "this member already holds a grant; change its role instead",
        ));
    }
    let version = bump(
        &mut tx,
        &vault,
        body.base_version,
        ", seal = $4",
        vec![seal],
    )
    .await?;
    let epoch: i64 = sqlx::query("SELECT epoch FROM vaults WHERE id = $1")
        .bind(vault.to_vec())
        .fetch_one(&mut *tx)
        .await?
        .try_get("epoch")?;
    if grant.vault_id().0 != vault {
        return Err(ApiError::unprocessable(
            "wrong_vault",
            "the grant is for another vault",
        ));
    }
    if i64::from(grant.epoch()) != epoch {
        return Err(ApiError::unprocessable(
            "wrong_epoch",
            format!(
                "the grant is for epoch {}, the vault is at {epoch}",
                grant.epoch()
            ),
        ));
    }
    if grant.recipient_kind() != RecipientKind::Member || grant.recipient_fingerprint() != fp {
        return Err(ApiError::unprocessable(
            "wrong_recipient",
            "the grant is not addressed to this member's keys",
        ));
    }
    sqlx::query(
        "INSERT INTO envelopes (vault_id, kind, fingerprint, sealed) VALUES ($1, 1, $2, $3) \
         ON CONFLICT (vault_id, kind, fingerprint) DO UPDATE SET sealed = excluded.sealed",
    )
    .bind(vault.to_vec())
    .bind(fp.0.to_vec())
    .bind(grant.to_bytes().to_vec())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO grants (vault_id, member_id, role, granted_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(vault.to_vec())
    .bind(member.to_vec())
    .bind(role)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    check_canonical(&mut tx, &vault).await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("grant.create")
            .actor(me.id)
            .subject(member)
            .vault(vault)
            .detail(json!({"role": role, "epoch": epoch, "version": version})),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(
            json!({"vault_id": hex(&vault), "member_id": hex(&member), "role": role, "version": version}),
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantRoleBody {
    role: String,
}

/// Changes a member's role on the vault (the key does not change). Needs `manage`.
pub(crate) async fn set_grant_role(
    State(state): State<AppState>,
    me: Member,
    ApiPath((vault_id, member_id)): ApiPath<(String, String)>,
    JsonBody(body): JsonBody<GrantRoleBody>,
) -> ApiResult<impl IntoResponse> {
    let vault = path_id(&vault_id, "vault")?;
    let member = path_id(&member_id, "member")?;
    let role = check_role(&body.role)?;
    let mut tx = state.store.begin().await?;
    require(&mut tx, &vault, &me, true).await?;
    let n = sqlx::query("UPDATE grants SET role = $1 WHERE vault_id = $2 AND member_id = $3")
        .bind(role)
        .bind(vault.to_vec())
        .bind(member.to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(ApiError::not_found(
            "not_granted",
            "this member holds no grant on the vault",
        ));
    }
    let version = next_version(&mut tx, &vault, false).await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("grant.role")
            .actor(me.id)
            .subject(member)
            .vault(vault)
            .detail(json!({"role": role, "version": version})),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(
        json!({"vault_id": hex(&vault), "member_id": hex(&member), "role": role, "version": version}),
    ))
}

/// Removes a member's access at once. Their sealed grant stays in the current epoch's snapshot
/// (it is needed to keep the snapshot's seal valid, and they already held that key) until the
/// next rotation, which the vault is flagged for. Needs `manage` or an org admin.
pub(crate) async fn remove_grant(
    State(state): State<AppState>,
    me: Member,
    ApiPath((vault_id, member_id)): ApiPath<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let vault = path_id(&vault_id, "vault")?;
    let member = path_id(&member_id, "member")?;
    let mut tx = state.store.begin().await?;
    if !me.role.is_admin() {
        require(&mut tx, &vault, &me, true).await?;
    }
    let n = sqlx::query("DELETE FROM grants WHERE vault_id = $1 AND member_id = $2")
        .bind(vault.to_vec())
        .bind(member.to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(if vault_exists(&mut tx, &vault).await? {
            ApiError::not_found("not_granted", "this member holds no grant on the vault")
        } else {
            ApiError::not_found("not_found", "no such vault")
        });
    }
    let version = next_version(&mut tx, &vault, true).await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("grant.remove")
            .actor(me.id)
            .subject(member)
            .vault(vault)
            .detail(json!({"version": version})),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(
        json!({"vault_id": hex(&vault), "version": version, "rotation_required": true}),
    ))
}

/// Moves the vault to its next version whatever the base (a grant change makes every in-flight
/// write based on the old state stale) and returns it; `flag_rotation` also marks the vault as
/// needing a rotation.
async fn next_version(tx: &mut Tx, vault: &[u8; 16], flag_rotation: bool) -> ApiResult<i64> {
    let sql = if flag_rotation {
        "UPDATE vaults SET version = version + 1, rotation_required = 1, updated_ms = $1 WHERE id = $2 RETURNING version"
    } else {
        "UPDATE vaults SET version = version + 1, updated_ms = $1 WHERE id = $2 RETURNING version"
    };
    Ok(sqlx::query(sql)
        .bind(now_ms())
        .bind(vault.to_vec())
        .fetch_one(&mut **tx)
        .await?
        .try_get("version")?)
}

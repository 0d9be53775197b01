//! Revoking a member, and the seed-rotation checklist the server tracks afterwards.

use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use sqlx::Row;

use super::{ApiPath, AppState, Member, OrgRole, hex, id16, path_id};
use crate::audit_log::{self, Event};
use crate::error::{ApiError, ApiResult};
use crate::store::{now_ms, random};

/// Revokes a member at once: status `revoked`, sessions deleted, vault grants removed, every
/// vault they could open flagged for rotation. Answers with what they could read and the
/// seed-rotation checklist the server tracks from now on.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    me: Member,
    ApiPath(member_id): ApiPath<String>,
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
    ApiPath(revocation_id): ApiPath<String>,
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
    ApiPath((revocation_id, item_id)): ApiPath<(String, String)>,
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

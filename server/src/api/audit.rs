//! The audit log over HTTP: filtered listing, JSON Lines and CSV export (whole log or one
//! vault's), chain verification, and client-signed events.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;
use tessera_core::audit::json::RecordJson;
use tessera_core::audit::{
    AuditRecord, ChainScope, SignedClientEvent, verify_chain, verify_client_event,
};
use tessera_core::keyring::SIGNATURE_LEN;
use tessera_core::vault::VaultId;

use super::{ApiPath, ApiQuery, AppState, JsonBody, Member, body_id, from_b64, hex, path_id};
use crate::audit_log::{self, Event, record_from_row};
use crate::error::{ApiError, ApiResult};
use crate::store::now_ms;

/// How far ahead of the server's clock a client event may be dated.
const MAX_CLIENT_SKEW_MS: i64 = 5 * 60 * 1000;
const LIST_LIMIT_DEFAULT: i64 = 100;
const LIST_LIMIT_MAX: i64 = 1000;
const COLS: &str = "seq, time_ms, action, actor, subject, vault_id, entry_id, detail, \
                    client_event, client_signature, client_signer, prev_hash, vault_prev_hash, hash";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filter {
    vault: Option<String>,
    /// Events by or about this member.
    member: Option<String>,
    /// Exact action, or a prefix ending in `.` (`code.` matches every code event).
    action: Option<String>,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    after_seq: Option<i64>,
    limit: Option<i64>,
    format: Option<String>,
}

enum Arg {
    Bytes(Vec<u8>),
    Int(i64),
    Text(String),
}

fn where_clause(f: &Filter) -> ApiResult<(String, Vec<Arg>)> {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    let next = |a: Arg, args: &mut Vec<Arg>| {
        args.push(a);
        args.len()
    };
    if let Some(v) = &f.vault {
        let n = next(Arg::Bytes(body_id(v, "vault")?.to_vec()), &mut args);
        conds.push(format!("vault_id = ${n}"));
    }
    if let Some(m) = &f.member {
        let n = next(Arg::Bytes(body_id(m, "member")?.to_vec()), &mut args);
        conds.push(format!("(actor = ${n} OR subject = ${n})"));
    }
    if let Some(a) = &f.action {
        if a.ends_with('.') {
            let n = next(Arg::Text(format!("{a}%")), &mut args);
            conds.push(format!("action LIKE ${n}"));
        } else {
            let n = next(Arg::Text(a.clone()), &mut args);
            conds.push(format!("action = ${n}"));
        }
    }
    if let Some(t) = f.since_ms {
        let n = next(Arg::Int(t), &mut args);
        conds.push(format!("time_ms >= ${n}"));
    }
    if let Some(t) = f.until_ms {
        let n = next(Arg::Int(t), &mut args);
        conds.push(format!("time_ms < ${n}"));
    }
    if let Some(s) = f.after_seq {
        let n = next(Arg::Int(s), &mut args);
        conds.push(format!("seq > ${n}"));
    }
    let w = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    Ok((w, args))
}

async fn query_records(
    state: &AppState,
    f: &Filter,
    limit: Option<i64>,
) -> ApiResult<Vec<AuditRecord>> {
    let (w, args) = where_clause(f)?;
    let lim = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    let sql = format!("SELECT {COLS} FROM audit_events{w} ORDER BY seq{lim}");
    let mut q = sqlx::query(crate::store::dynamic(sql));
    for a in args {
        q = match a {
            Arg::Bytes(b) => q.bind(b),
            Arg::Int(i) => q.bind(i),
            Arg::Text(t) => q.bind(t),
        };
    }
    let rows = q.fetch_all(state.store.reader()).await?;
    rows.iter().map(record_from_row).collect()
}

/// Filtered events, oldest first, `limit` at a time (page with `after_seq`). Admins only.
pub(crate) async fn list(
    State(state): State<AppState>,
    me: Member,
    ApiQuery(f): ApiQuery<Filter>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let limit = f
        .limit
        .unwrap_or(LIST_LIMIT_DEFAULT)
        .clamp(1, LIST_LIMIT_MAX);
    let recs = query_records(&state, &f, Some(limit)).await?;
    let next = (recs.len() as i64 == limit)
        .then(|| recs.last().map(|r| r.seq))
        .flatten();
    let events: Vec<RecordJson> = recs.iter().map(RecordJson::from).collect();
    Ok(axum::Json(
        json!({"events": events, "next_after_seq": next}),
    ))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// JSON Lines (one `RecordJson` per line, FORMAT.md §13.3) or CSV.
fn render(recs: &[AuditRecord], format: Option<&str>, name: &str) -> ApiResult<Response> {
    let (body, ctype, ext) = match format.unwrap_or("jsonl") {
        "jsonl" => {
            let mut out = String::new();
            for r in recs {
                out.push_str(
                    &serde_json::to_string(&RecordJson::from(r))
                        .map_err(|_| ApiError::internal())?,
                );
                out.push('\n');
            }
            (out, "application/x-ndjson", "jsonl")
        }
        "csv" => {
            let mut out = String::from(
                "seq,time_ms,action,actor,subject,vault,entry,host,detail,signed,prev_hash,vault_prev_hash,hash\n",
            );
            for r in recs {
                let j = RecordJson::from(r);
                let host = r
                    .client
                    .as_ref()
                    .and_then(|c| tessera_core::audit::ClientEvent::from_bytes(&c.event).ok())
                    .map(|e| e.host)
                    .unwrap_or_default();
                let cols = [
                    j.seq.to_string(),
                    j.time_ms.to_string(),
                    j.action,
                    j.actor.unwrap_or_default(),
                    j.subject.unwrap_or_default(),
                    j.vault.unwrap_or_default(),
                    j.entry.unwrap_or_default(),
                    host,
                    j.detail,
                    if r.client.is_some() { "yes" } else { "no" }.to_owned(),
                    j.prev_hash,
                    j.vault_prev_hash,
                    j.hash,
                ];
                out.push_str(
                    &cols
                        .iter()
                        .map(|c| csv_field(c))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push('\n');
            }
            (out, "text/csv; charset=utf-8", "csv")
        }
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_format",
                "format: jsonl or csv",
            ));
        }
    };
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The filtered log as JSON Lines or CSV. Admins only. A filtered export is a view: only an
/// unfiltered one (or one vault's, see `vault_export`) can be verified as a chain on its own.
pub(crate) async fn export(
    State(state): State<AppState>,
    me: Member,
    ApiQuery(f): ApiQuery<Filter>,
) -> ApiResult<Response> {
    me.require_admin()?;
    let recs = query_records(&state, &f, None).await?;
    render(&recs, f.format.as_deref(), "tessera-audit")
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct FormatQuery {
    format: Option<String>,
}

/// One vault's whole log (its own hash chain), for an MSP's client. Admins, or members with
/// `manage` on the vault.
pub(crate) async fn vault_export(
    State(state): State<AppState>,
    me: Member,
    ApiPath(vault_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> ApiResult<Response> {
    let vault = path_id(&vault_id, "vault")?;
    let mut conn = state.store.reader().acquire().await?;
    let exists = sqlx::query("SELECT id FROM vaults WHERE id = $1")
        .bind(vault.to_vec())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    if !exists {
        return Err(ApiError::not_found("not_found", "no such vault"));
    }
    if !me.role.is_admin() {
        let role: Option<String> =
            sqlx::query("SELECT role FROM grants WHERE vault_id = $1 AND member_id = $2")
                .bind(vault.to_vec())
                .bind(me.id.to_vec())
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.try_get("role"))
                .transpose()?;
        if role.as_deref() != Some("manage") {
            return Err(ApiError::forbidden(
                "manage_required",
                "this needs an admin or the manage role on the vault",
            ));
        }
    }
    drop(conn);
    let f = Filter {
        vault: Some(hex(&vault)),
        ..Filter::default()
    };
    let recs = query_records(&state, &f, None).await?;
    render(
        &recs,
        q.format.as_deref(),
        &format!("tessera-audit-{}", hex(&vault)),
    )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyQuery {
    vault: Option<String>,
}

/// Verifies the whole chain (or one vault's) and compares its end with the stored head, so a
/// removed newest record is caught too. Admins only. Always 200; `ok` says the verdict.
pub(crate) async fn verify(
    State(state): State<AppState>,
    me: Member,
    ApiQuery(q): ApiQuery<VerifyQuery>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let (scope, head_key, f) = match &q.vault {
        None => (ChainScope::Log, "log".to_owned(), Filter::default()),
        Some(v) => {
            let id = body_id(v, "vault")?;
            (
                ChainScope::Vault(VaultId(id)),
                hex(&id),
                Filter {
                    vault: Some(hex(&id)),
                    ..Filter::default()
                },
            )
        }
    };
    let recs = query_records(&state, &f, None).await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_heads WHERE scope = $1")
        .bind(head_key)
        .fetch_optional(state.store.reader())
        .await?;
    let (head_seq, head_hash) = match head {
        Some(r) => (
            r.try_get::<i64, _>("seq")?,
            r.try_get::<Vec<u8>, _>("hash")?,
        ),
        None => (0, tessera_core::audit::GENESIS_HASH.to_vec()),
    };
    let scope_name = q
        .vault
        .as_deref()
        .map_or("log".to_owned(), |v| format!("vault:{v}"));
    let out = match verify_chain(&recs, scope) {
        Err(e) => json!({"ok": false, "scope": scope_name, "records": recs.len(),
                         "error": {"code": e.code(), "message": e.to_string()}}),
        Ok(s) if s.last_seq as i64 != head_seq || s.head.as_slice() != head_hash.as_slice() => {
            json!({
                "ok": false, "scope": scope_name, "records": s.records, "last_seq": s.last_seq,
                "head": hex(&s.head),
                "error": {"code": "audit_head_mismatch",
                          "message": format!("the chain ends at record {} but the stored head is record {head_seq}: records were removed or the head was altered", s.last_seq)}
            })
        }
        Ok(s) => json!({"ok": true, "scope": scope_name, "records": s.records,
                        "last_seq": s.last_seq, "head": hex(&s.head), "error": null}),
    };
    Ok(axum::Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientEventBody {
    event: String,
    signature: String,
}

/// Appends an event signed by the caller's Ed25519 key (a code revealed, copied or filled),
/// after checking the signature, the caller's grant on the vault, the date and the nonce.
pub(crate) async fn client_event(
    State(state): State<AppState>,
    me: Member,
    JsonBody(body): JsonBody<ClientEventBody>,
) -> ApiResult<impl IntoResponse> {
    let bytes = from_b64(&body.event, "event")?;
    let signature: [u8; SIGNATURE_LEN] = from_b64(&body.signature, "signature")?
        .try_into()
        .map_err(|_| ApiError::unprocessable("invalid_signature", "signature: 64 bytes"))?;
    let ev = verify_client_event(&me.public_keys, &bytes, &signature).map_err(|e| {
        let code = if e.code() == "audit_bad_signature" {
            "bad_signature"
        } else {
            "invalid_event"
        };
        ApiError::unprocessable(code, format!("event: {}", e.code()))
    })?;
    if i64::try_from(ev.time_ms).unwrap_or(i64::MAX) > now_ms() + MAX_CLIENT_SKEW_MS {
        return Err(ApiError::unprocessable(
            "event_in_future",
            "the event is dated in the future",
        ));
    }
    let vault = ev.vault_id.0;
    let mut tx = state.store.begin().await?;
    let granted = sqlx::query("SELECT role FROM grants WHERE vault_id = $1 AND member_id = $2")
        .bind(vault.to_vec())
        .bind(me.id.to_vec())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !granted {
        return Err(ApiError::forbidden(
            "not_granted",
            "you hold no grant on this event's vault",
        ));
    }
    let fresh = sqlx::query(
        "INSERT INTO client_event_nonces (signer, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(me.public_keys.fingerprint().0.to_vec())
    .bind(ev.nonce.to_vec())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if fresh != 1 {
        return Err(ApiError::conflict(
            "event_replayed",
            "this event was already recorded",
        ));
    }
    let seq = audit_log::append(
        &mut tx,
        &state.store,
        Event::new(ev.action.name())
            .actor(me.id)
            .vault(vault)
            .entry(ev.entry_id.0)
            .detail(json!({"host": ev.host, "client_time_ms": ev.time_ms}))
            .client(SignedClientEvent {
                event: bytes,
                signature,
                signer: me.public_keys,
            }),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"seq": seq}))))
}

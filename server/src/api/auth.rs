//! Bootstrap and sign-in: the one-time setup of the organisation, challenge-response sign-in
//! with the member's Ed25519 key, session tokens (stored as SHA-256 hashes), sign-out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;
use tessera_core::grant::RecoveryPublicKey;
use tessera_core::keyring::{PublicKeys, SIGNATURE_LEN, SignatureContext, verify};
use tessera_core::sync::sign_in_message;

use super::{AppState, ClientIp, JsonBody, Member, b64, body_id, from_b64, hex, id16, rate_limit};
use crate::audit_log::{self, Event};
use crate::error::{ApiError, ApiResult};
use crate::store::{now_ms, random, token_hash};

/// Longest member label (a name or e-mail the admins choose; the only readable member data).
pub const MAX_LABEL_LEN: usize = 200;

pub(crate) async fn health(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let set_up = sqlx::query("SELECT id FROM org")
        .fetch_optional(state.store.reader())
        .await?
        .is_some();
    Ok(axum::Json(
        json!({"status": "ok", "setup_complete": set_up}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetupBody {
    setup_token: String,
    recovery_public_key: String,
    public_keys: String,
    #[serde(default)]
    label: String,
}

pub fn check_label(label: &str) -> ApiResult<()> {
    if label.len() > MAX_LABEL_LEN || label.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            "invalid_label",
            format!("label: at most {MAX_LABEL_LEN} bytes, no control characters"),
        ));
    }
    Ok(())
}

pub fn parse_public_keys(s: &str) -> ApiResult<PublicKeys> {
    PublicKeys::from_bytes(&from_b64(s, "public_keys")?).map_err(|e| {
        ApiError::unprocessable(
            "invalid_public_keys",
            format!(
                "public_keys: 64 bytes x25519 || ed25519 expected ({})",
                e.code()
            ),
        )
    })
}

/// Registers the first owner and the organisation recovery key with the setup token that the
/// server wrote to its data dir at first start. Works once.
pub(crate) async fn setup(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(body): JsonBody<SetupBody>,
) -> ApiResult<impl IntoResponse> {
    rate_limit(&state, "setup", ip).await?;
    check_label(&body.label)?;
    let keys = parse_public_keys(&body.public_keys)?;
    let recovery: [u8; 32] = from_b64(&body.recovery_public_key, "recovery_public_key")?
        .try_into()
        .map_err(|_| {
            ApiError::unprocessable("invalid_recovery_key", "recovery_public_key: 32 bytes")
        })?;
    if recovery == [0; 32] {
        return Err(ApiError::unprocessable(
            "invalid_recovery_key",
            "recovery_public_key: all zeros",
        ));
    }
    let mut tx = state.store.begin().await?;
    if sqlx::query("SELECT id FROM org")
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "already_set_up",
            "the organisation is already set up",
        ));
    }
    let stored: Option<Vec<u8>> = sqlx::query(crate::store::dynamic(format!(
        "SELECT token_hash FROM setup_token WHERE id = 1{}",
        state.store.dialect.for_update()
    )))
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get("token_hash"))
    .transpose()?;
    if stored.as_deref() != Some(token_hash(&body.setup_token).as_slice()) {
        return Err(ApiError::forbidden(
            "invalid_setup_token",
            "the setup token is wrong or already used",
        ));
    }
    let now = now_ms();
    let id: [u8; 16] = random()?;
    sqlx::query("INSERT INTO org (id, recovery_public, created_ms) VALUES (1, $1, $2)")
        .bind(recovery.to_vec())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO members (id, public_keys, fingerprint, label, role, status, created_ms, \
         confirmed_ms) VALUES ($1, $2, $3, $4, 'owner', 'active', $5, $5)",
    )
    .bind(id.to_vec())
    .bind(keys.to_bytes().to_vec())
    .bind(keys.fingerprint().0.to_vec())
    .bind(body.label.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM setup_token")
        .execute(&mut *tx)
        .await?;
    let recovery_fp = RecoveryPublicKey(recovery).fingerprint();
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("org.setup")
            .actor(id)
            .subject(id)
            .detail(json!({"recovery_fingerprint": recovery_fp.to_hex()})),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "member_id": hex(&id),
            "fingerprint": keys.fingerprint().to_hex(),
            "fingerprint_display": keys.fingerprint().to_display(),
            "role": "owner",
        })),
    ))
}

pub(crate) async fn org(State(state): State<AppState>, _m: Member) -> ApiResult<impl IntoResponse> {
    let row = sqlx::query("SELECT recovery_public FROM org")
        .fetch_one(state.store.reader())
        .await?;
    let rk: Vec<u8> = row.try_get("recovery_public")?;
    let rk: [u8; 32] = rk.try_into().map_err(|_| ApiError::internal())?;
    Ok(axum::Json(json!({
        "recovery_public_key": b64(&rk),
        "recovery_fingerprint": RecoveryPublicKey(rk).fingerprint().to_hex(),
        "public_url": state.settings.public_url,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChallengeBody {
    member_id: String,
}

/// Issues a one-time nonce for an active member. Rate-limited per client address.
pub(crate) async fn challenge(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(body): JsonBody<ChallengeBody>,
) -> ApiResult<impl IntoResponse> {
    rate_limit(&state, "challenge", ip).await?;
    let member_id = body_id(&body.member_id, "member_id")?;
    let status: String = sqlx::query("SELECT status FROM members WHERE id = $1")
        .bind(member_id.to_vec())
        .fetch_optional(state.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_member", "no such member"))?
        .try_get("status")?;
    check_status(&status)?;
    let id: [u8; 16] = random()?;
    let nonce: [u8; 32] = random()?;
    let expires = now_ms() + state.settings.challenge_ttl_ms;
    sqlx::query(
        "INSERT INTO challenges (id, member_id, nonce, expires_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.to_vec())
    .bind(member_id.to_vec())
    .bind(nonce.to_vec())
    .bind(expires)
    .execute(state.store.writer())
    .await?;
    Ok(axum::Json(json!({
        "challenge_id": hex(&id),
        "nonce": b64(&nonce),
        "audience": state.settings.public_url,
        "expires_ms": expires,
    })))
}

fn check_status(status: &str) -> ApiResult<()> {
    match status {
        "active" => Ok(()),
        "pending" => Err(ApiError::forbidden(
            "member_pending",
            "an admin has not confirmed this member's fingerprint yet",
        )),
        _ => Err(ApiError::forbidden(
            "member_revoked",
            "this member was revoked",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionBody {
    challenge_id: String,
    signature: String,
}

/// Exchanges a signed challenge for a session token. A challenge is spent by its first use,
/// right or wrong, so it can never be replayed.
pub(crate) async fn session(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(body): JsonBody<SessionBody>,
) -> ApiResult<impl IntoResponse> {
    rate_limit(&state, "session", ip).await?;
    let challenge_id = body_id(&body.challenge_id, "challenge_id")?;
    let signature: [u8; SIGNATURE_LEN] = from_b64(&body.signature, "signature")?
        .try_into()
        .map_err(|_| ApiError::unprocessable("invalid_signature", "signature: 64 bytes"))?;
    let mut tx = state.store.begin().await?;
    let spent = sqlx::query("UPDATE challenges SET used = 1 WHERE id = $1 AND used = 0")
        .bind(challenge_id.to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if spent != 1 {
        return Err(ApiError::unauthenticated(
            "unknown or already used challenge",
        ));
    }
    let row = sqlx::query(
        "SELECT c.nonce, c.expires_ms, m.id, m.public_keys, m.status, m.role FROM challenges c \
         JOIN members m ON m.id = c.member_id WHERE c.id = $1",
    )
    .bind(challenge_id.to_vec())
    .fetch_one(&mut *tx)
    .await?;
    let expires: i64 = row.try_get("expires_ms")?;
    let nonce: [u8; 32] = row
        .try_get::<Vec<u8>, _>("nonce")?
        .try_into()
        .map_err(|_| ApiError::internal())?;
    let member_id = id16(&row.try_get::<Vec<u8>, _>("id")?)?;
    let keys = PublicKeys::from_bytes(&row.try_get::<Vec<u8>, _>("public_keys")?)
        .map_err(|_| ApiError::internal())?;
    let status: String = row.try_get("status")?;
    let role: String = row.try_get("role")?;
    let now = now_ms();
    let outcome = if expires <= now {
        Err(ApiError::unauthenticated("the challenge expired"))
    } else if verify(
        &keys,
        SignatureContext::AuthChallenge,
        &sign_in_message(&state.settings.public_url, &challenge_id, &nonce),
        &signature,
    )
    .is_err()
    {
        Err(ApiError::unauthenticated("bad signature"))
    } else {
        check_status(&status)
    };
    if let Err(e) = outcome {
        // Keep the challenge spent.
        tx.commit().await?;
        return Err(e);
    }
    let token = format!(
        "tss_{}",
        data_encoding::BASE64URL_NOPAD.encode(&random::<32>()?)
    );
    let expires_ms = now + state.settings.session_ttl_ms;
    sqlx::query(
        "INSERT INTO sessions (token_hash, member_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(member_id.to_vec())
    .bind(now)
    .bind(expires_ms)
    .execute(&mut *tx)
    .await?;
    audit_log::append(
        &mut tx,
        &state.store,
        Event::new("auth.sign_in").actor(member_id),
    )
    .await?;
    tx.commit().await?;
    let out: Value = json!({
        "token": token,
        "expires_ms": expires_ms,
        "member_id": hex(&member_id),
        "role": role,
    });
    Ok(axum::Json(out))
}

/// Deletes the caller's session.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    _m: Member,
    headers: axum::http::HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let token = super::bearer(&headers).unwrap_or_default();
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(state.store.writer())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! The HTTP API (`/api/v1`, documented in docs/openapi.yaml): the router, the shared extractors
//! (signed-in member, client address; body, path and query in [`extract`]) and encoding helpers.
//!
//! Handlers live by concept: [`auth`] (setup, sign-in), [`members`] (invites, members),
//! [`revocations`], [`vaults`] (vaults, entries, rotation), [`grants`], [`audit`] (the log).

pub mod audit;
pub mod auth;
pub mod extract;
pub mod grants;
pub mod members;
pub mod revocations;
pub mod vaults;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use sqlx::Row;
use tessera_core::keyring::PublicKeys;

pub use self::extract::{ApiPath, ApiQuery, JsonBody};
use crate::error::{ApiError, ApiResult};
use crate::store::{Store, now_ms, token_hash};

/// What every handler can reach. Nothing here is state another instance would need.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
}

/// Limits and lifetimes from the configuration.
#[derive(Debug)]
pub struct Settings {
    pub public_url: String,
    pub session_ttl_ms: i64,
    pub challenge_ttl_ms: i64,
    pub rate_limit_per_minute: u32,
    pub trust_forwarded_for: bool,
    /// The canonical web console directory, if one is served.
    pub www_dir: Option<std::path::PathBuf>,
}

/// The router and the (method, path) table it was built from; the OpenAPI test compares the
/// table with docs/openapi.yaml.
struct Routes {
    router: Router<AppState>,
    table: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn add(mut self, method: &'static str, path: &'static str, mr: MethodRouter<AppState>) -> Self {
        self.table.push((method, path));
        self.router = self.router.route(path, mr);
        self
    }
}

fn build() -> Routes {
    let r = Routes {
        router: Router::new(),
        table: Vec::new(),
    };
    r.add("get", "/api/v1/health", get(auth::health))
        .add("post", "/api/v1/setup", post(auth::setup))
        .add("get", "/api/v1/org", get(auth::org))
        .add("post", "/api/v1/auth/challenge", post(auth::challenge))
        .add("post", "/api/v1/auth/session", post(auth::session))
        .add("delete", "/api/v1/auth/session", delete(auth::sign_out))
        .add("post", "/api/v1/invites", post(members::create_invite))
        .add("get", "/api/v1/invites", get(members::list_invites))
        .add(
            "delete",
            "/api/v1/invites/{invite_id}",
            delete(members::cancel_invite),
        )
        .add(
            "post",
            "/api/v1/invites/accept",
            post(members::accept_invite),
        )
        .add("get", "/api/v1/members", get(members::list_members))
        .add("get", "/api/v1/members/me", get(members::me))
        .add(
            "post",
            "/api/v1/members/{member_id}/confirm",
            post(members::confirm),
        )
        .add(
            "put",
            "/api/v1/members/{member_id}/role",
            put(members::set_role),
        )
        .add(
            "post",
            "/api/v1/members/{member_id}/revoke",
            post(revocations::revoke),
        )
        .add(
            "get",
            "/api/v1/revocations",
            get(revocations::list_revocations),
        )
        .add(
            "get",
            "/api/v1/revocations/{revocation_id}",
            get(revocations::get_revocation),
        )
        .add(
            "post",
            "/api/v1/revocations/{revocation_id}/items/{item_id}/done",
            post(revocations::mark_done),
        )
        .add("get", "/api/v1/vaults", get(vaults::list))
        .add("post", "/api/v1/vaults", post(vaults::create))
        .add("get", "/api/v1/vaults/{vault_id}", get(vaults::fetch))
        .add("patch", "/api/v1/vaults/{vault_id}", patch(vaults::write))
        .add(
            "post",
            "/api/v1/vaults/{vault_id}/archive",
            post(vaults::archive),
        )
        .add(
            "post",
            "/api/v1/vaults/{vault_id}/rotate",
            post(vaults::rotate),
        )
        .add(
            "get",
            "/api/v1/vaults/{vault_id}/grants",
            get(grants::list_grants),
        )
        .add(
            "post",
            "/api/v1/vaults/{vault_id}/grants",
            post(grants::add_grant),
        )
        .add(
            "put",
            "/api/v1/vaults/{vault_id}/grants/{member_id}",
            put(grants::set_grant_role),
        )
        .add(
            "delete",
            "/api/v1/vaults/{vault_id}/grants/{member_id}",
            delete(grants::remove_grant),
        )
        .add(
            "get",
            "/api/v1/vaults/{vault_id}/audit",
            get(audit::vault_export),
        )
        .add("get", "/api/v1/audit", get(audit::list))
        .add("get", "/api/v1/audit/export", get(audit::export))
        .add("get", "/api/v1/audit/verify", get(audit::verify))
        .add("post", "/api/v1/audit/events", post(audit::client_event))
        .add("get", "/api/v1/export", get(crate::export::api_export))
}

/// Every (method, path) the router serves, methods in lower case.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    build().table
}

pub fn router(state: AppState) -> Router {
    build()
        .router
        .fallback(crate::www::fallback)
        .with_state(state)
}

/// An organisation role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgRole {
    Owner,
    Admin,
    Member,
}

impl OrgRole {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(OrgRole::Owner),
            "admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
        }
    }
    pub fn is_admin(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }
}

/// The signed-in, active member behind `Authorization: Bearer TOKEN`. Looked up in the database
/// on every request, so a deleted session or a revoked member is refused at once.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: [u8; 16],
    pub role: OrgRole,
    pub public_keys: PublicKeys,
}

impl Member {
    pub fn require_admin(&self) -> ApiResult<()> {
        if self.role.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "admin_required",
                "this needs the owner or an admin",
            ))
        }
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::unauthenticated("missing bearer session token"))?;
        let row = sqlx::query(
            "SELECT m.id, m.role, m.public_keys FROM sessions s JOIN members m ON m.id = s.member_id \
             WHERE s.token_hash = $1 AND s.expires_ms > $2 AND m.status = 'active'",
        )
        .bind(token_hash(token))
        .bind(now_ms())
        .fetch_optional(state.store.reader())
        .await?
        .ok_or_else(|| ApiError::unauthenticated("the session is unknown, expired or revoked"))?;
        let id: Vec<u8> = row.try_get("id")?;
        let role: String = row.try_get("role")?;
        let keys: Vec<u8> = row.try_get("public_keys")?;
        Ok(Member {
            id: id16(&id)?,
            role: OrgRole::parse(&role).ok_or_else(ApiError::internal)?,
            public_keys: PublicKeys::from_bytes(&keys).map_err(|_| ApiError::internal())?,
        })
    }
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let t = v.strip_prefix("Bearer ")?.trim();
    (!t.is_empty()).then_some(t)
}

/// The client's address: the peer, or the last `X-Forwarded-For` hop behind a trusted proxy.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.settings.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Ok(ClientIp(ip));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(ApiError::internal)?;
        Ok(ClientIp(peer))
    }
}

/// Counts a request against `bucket` for this client address in a one-minute window kept in
/// the database (shared by all instances). Over the limit: 429 with `Retry-After`.
pub async fn rate_limit(state: &AppState, bucket: &str, ip: ClientIp) -> ApiResult<()> {
    let now = now_ms();
    let window = now - now.rem_euclid(60_000);
    let key = format!("{bucket}:{}", ip.0);
    let count: i64 = sqlx::query(
        "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
         count = CASE WHEN rate_limits.window_start = excluded.window_start \
                 THEN rate_limits.count + 1 ELSE 1 END, \
         window_start = excluded.window_start \
         RETURNING count",
    )
    .bind(key)
    .bind(window)
    .fetch_one(state.store.writer())
    .await?
    .try_get("count")?;
    if count > i64::from(state.settings.rate_limit_per_minute) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address; try again later",
        );
        e.retry_after = Some(u64::try_from((window + 60_000 - now) / 1000 + 1).unwrap_or(60));
        return Err(e);
    }
    Ok(())
}

// ---- encodings: ids are lower-case hex, binary fields standard base64 ----

pub fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

pub fn b64(b: &[u8]) -> String {
    data_encoding::BASE64.encode(b)
}

/// A base64 body field.
pub fn from_b64(s: &str, field: &'static str) -> ApiResult<Vec<u8>> {
    data_encoding::BASE64
        .decode(s.as_bytes())
        .map_err(|_| ApiError::unprocessable("invalid_base64", format!("{field}: not base64")))
}

/// A 16-byte id in a body field.
pub fn body_id(s: &str, field: &'static str) -> ApiResult<[u8; 16]> {
    parse_id(s).ok_or_else(|| {
        ApiError::unprocessable("invalid_id", format!("{field}: expected 32 hex digits"))
    })
}

/// A 16-byte id in the path: anything else names nothing, so 404.
pub fn path_id(s: &str, what: &'static str) -> ApiResult<[u8; 16]> {
    parse_id(s).ok_or_else(|| ApiError::not_found("not_found", format!("no such {what}")))
}

fn parse_id(s: &str) -> Option<[u8; 16]> {
    let v = data_encoding::HEXLOWER_PERMISSIVE
        .decode(s.as_bytes())
        .ok()?;
    v.try_into().ok()
}

/// A 16-byte id read from the database.
pub fn id16(v: &[u8]) -> ApiResult<[u8; 16]> {
    v.try_into().map_err(|_| ApiError::internal())
}

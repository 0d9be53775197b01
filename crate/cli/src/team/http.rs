//! The team server, over HTTP: origins and invite links as the web clients read them
//! (extension/shared/team-client.js), and a small blocking JSON client with challenge sign-in.
//!
//! The client is `ureq` with rustls on ring and Mozilla's roots (webpki-roots). Only `https`
//! servers are accepted, and plain `http` only on loopback hosts (a test or a local server). No
//! redirects are followed; a session token only ever goes to the origin it was issued by. Paths
//! carry ids only, never a token, so an error that quotes a URL leaks nothing.

use std::time::Duration;

use serde_json::{Value, json};
use tessera_core::keyring::Keyring;
use tessera_core::team;
use zeroize::Zeroizing;

use crate::error::CliError;

/// Most bytes read from one response (an export of every vault can be large).
const MAX_RESPONSE: u64 = 1 << 30;
/// Time for a whole call (connect, send, receive).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn insecure(message: impl Into<String>) -> CliError {
    CliError::team("insecure_server", 2, message)
}

fn is_loopback(host: &str) -> bool {
    host == "127.0.0.1" || host == "[::1]" || host == "localhost"
}

/// `https://host[:port]` (lower case, default port dropped, no path) of a server URL, as a
/// browser's `URL.origin`: https only, http only for 127.0.0.1, [::1] and localhost.
pub fn server_origin(url: &str) -> Result<String, CliError> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| insecure("the server URL must start with https://"))?;
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default().to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return Err(insecure(
            "the server URL needs a host and no user name or password",
        ));
    }
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority.ends_with(']') => {
            let (h, p) = authority.split_at(i);
            (
                h.to_owned(),
                Some(p.get(1..).unwrap_or_default().to_owned()),
            )
        }
        _ => (authority.clone(), None),
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
    let port_ok = port
        .as_deref()
        .is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok());
    if !host_ok || !port_ok {
        return Err(insecure("the server URL's host or port is not valid"));
    }
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" if is_loopback(&host) => "80",
        "http" => {
            return Err(insecure(
                "the team server must use https (plain http only on 127.0.0.1, [::1], localhost)",
            ));
        }
        _ => return Err(insecure("the server URL must start with https://")),
    };
    Ok(match port.as_deref() {
        Some(p) if p.trim_start_matches('0') != default_port => {
            format!("{scheme}://{host}:{}", p.parse::<u16>().unwrap_or_default())
        }
        _ => format!("{scheme}://{host}"),
    })
}

/// `(origin, token)` of an invite link `ORIGIN/invite#TOKEN`.
pub fn parse_invite_link(link: &str) -> Result<(String, Zeroizing<String>), CliError> {
    let bad = || {
        CliError::team(
            "bad_invite_link",
            2,
            "not an invite link: expected https://SERVER/invite#TOKEN",
        )
    };
    let (url, token) = link.trim().split_once('#').ok_or_else(bad)?;
    let origin = server_origin(url)?;
    let path_start = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/'))
        .ok_or_else(bad)?;
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.get(path_start..))
        .unwrap_or_default();
    if path.trim_end_matches('/') != "/invite" {
        return Err(bad());
    }
    let ok = !token.is_empty()
        && token.len() <= 512
        && token.bytes().all(|b| b.is_ascii_graphic() && b != b'#');
    if !ok {
        return Err(bad());
    }
    Ok((origin, Zeroizing::new(token.to_owned())))
}

/// A connection to one team server, signed in or not.
pub struct Client {
    origin: String,
    agent: ureq::Agent,
    token: Option<Zeroizing<String>>,
}

/// Never shows the session token (`Synced` and errors may be Debug-printed).
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("origin", &self.origin)
            .field("signed_in", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

/// What a call returns: the status and the raw body.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Client {
    pub fn new(origin: &str) -> Self {
        let host = origin.split_once("://").map_or("", |(_, h)| h);
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        let loopback = is_loopback(host) || origin.contains("[::1]");
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(CALL_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("tessera-cli/", env!("CARGO_PKG_VERSION")));
        if loopback {
            // A proxy from the environment must not see (or break) loopback traffic.
            config = config.proxy(None);
        }
        Self {
            origin: origin.to_owned(),
            agent: config.build().into(),
            token: None,
        }
    }

    fn unreachable(&self, e: &ureq::Error) -> CliError {
        CliError::Unreachable {
            origin: self.origin.clone(),
            reason: e.to_string(),
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply, CliError> {
        let url = format!("{}{path}", self.origin);
        let auth = self
            .token
            .as_ref()
            .map(|t| Zeroizing::new(format!("Bearer {}", t.as_str())));
        let result = match (method, body) {
            ("GET", _) => {
                let mut req = self.agent.get(&url);
                if let Some(a) = &auth {
                    req = req.header("authorization", a.as_str());
                }
                req.call()
            }
            ("DELETE", _) => {
                let mut req = self.agent.delete(&url);
                if let Some(a) = &auth {
                    req = req.header("authorization", a.as_str());
                }
                req.call()
            }
            (_, body) => {
                let mut req = self
                    .agent
                    .post(&url)
                    .header("content-type", "application/json");
                if let Some(a) = &auth {
                    req = req.header("authorization", a.as_str());
                }
                let bytes = Zeroizing::new(body.unwrap_or(&Value::Null).to_string().into_bytes());
                req.send(bytes.as_slice())
            }
        };
        let mut res = result.map_err(|e| self.unreachable(&e))?;
        let status = res.status().as_u16();
        let body = res
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| self.unreachable(&e))?;
        Ok(Reply { status, body })
    }

    /// One call; 2xx gives the raw body, anything else the server's typed error. 5xx counts as
    /// unreachable (a proxy or a server that is down), so callers fall back or queue.
    pub fn call_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, CliError> {
        let reply = self.send(method, path, body)?;
        if (200..300).contains(&reply.status) {
            return Ok(reply.body);
        }
        let parsed: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        let code = parsed["error"]["code"].as_str().unwrap_or("").to_owned();
        let message: String = parsed["error"]["message"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(300)
            .collect();
        if reply.status >= 500 || code.is_empty() {
            return Err(CliError::Unreachable {
                origin: self.origin.clone(),
                reason: format!("HTTP {} without a Tessera error", reply.status),
            });
        }
        Err(CliError::Server {
            status: reply.status,
            code,
            message,
        })
    }

    /// A JSON call (empty 2xx body gives `null`).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        let raw = self.call_raw(method, path, body)?;
        if raw.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&raw).map_err(|_| bad_response(path, "not JSON"))
    }

    /// Challenge, signature (`team::sign_challenge`, over `sync::sign_in_message`) with the
    /// origin this client knows (not the one the server names), session.
    pub fn sign_in(&mut self, keyring: &Keyring, member_id: &str) -> Result<(), CliError> {
        let c = self.call(
            "POST",
            "/api/v1/auth/challenge",
            Some(&json!({ "member_id": member_id })),
        )?;
        let (Some(challenge_id), Some(nonce)) = (c["challenge_id"].as_str(), c["nonce"].as_str())
        else {
            return Err(bad_response("/api/v1/auth/challenge", "no challenge"));
        };
        let signature = team::sign_challenge(keyring, &self.origin, challenge_id, nonce)
            .map_err(|_| bad_response("/api/v1/auth/challenge", "bad challenge_id or nonce"))?;
        let s = self.call(
            "POST",
            "/api/v1/auth/session",
            Some(&json!({ "challenge_id": challenge_id, "signature": signature })),
        )?;
        let token = s["token"]
            .as_str()
            .ok_or_else(|| bad_response("/api/v1/auth/session", "no token"))?;
        self.token = Some(Zeroizing::new(token.to_owned()));
        Ok(())
    }

    /// Ends the session (best effort: it expires on the server anyway).
    pub fn sign_out(&mut self) {
        if self.token.is_some() {
            let _ = self.send("DELETE", "/api/v1/auth/session", None);
            self.token = None;
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.sign_out();
    }
}

pub fn bad_response(path: &str, what: &str) -> CliError {
    CliError::team(
        "bad_response",
        1,
        format!("unexpected answer from the team server to {path}: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_session_token() {
        let mut c = Client::new("http://127.0.0.1:8787");
        c.token = Some(Zeroizing::new("s3ss10n-t0ken".to_owned()));
        let d = format!("{c:?}");
        assert!(!d.contains("s3ss10n-t0ken"), "{d}");
        assert!(d.contains("signed_in: true"), "{d}");
    }

    #[test]
    fn origins_follow_the_web_clients_rules() {
        for (url, origin) in [
            ("https://vault.example.com", "https://vault.example.com"),
            ("https://Vault.Example.com/", "https://vault.example.com"),
            (
                "https://vault.example.com:443/x?y",
                "https://vault.example.com",
            ),
            (
                "https://vault.example.com:8443",
                "https://vault.example.com:8443",
            ),
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
            ("http://localhost", "http://localhost"),
            ("http://[::1]:9000/", "http://[::1]:9000"),
        ] {
            assert_eq!(server_origin(url).unwrap(), origin, "{url}");
        }
        for url in [
            "http://vault.example.com",
            "ftp://x",
            "vault.example.com",
            "https://user:pw@vault.example.com",
            "https://",
            "https://x:99999",
            "http://127.0.0.2",
        ] {
            let e = server_origin(url).unwrap_err();
            assert_eq!(e.code(), "insecure_server", "{url}");
        }
    }

    #[test]
    fn invite_links() {
        let (o, t) = parse_invite_link("https://vault.example.com/invite#tok_abc-1").unwrap();
        assert_eq!(
            (o.as_str(), t.as_str()),
            ("https://vault.example.com", "tok_abc-1")
        );
        for link in [
            "https://vault.example.com/invite",
            "https://vault.example.com/invite#",
            "https://vault.example.com/other#tok",
            "https://vault.example.com#tok",
            "https://vault.example.com/invite#a b",
        ] {
            assert_eq!(
                parse_invite_link(link).unwrap_err().code(),
                "bad_invite_link",
                "{link}"
            );
        }
        assert_eq!(
            parse_invite_link("http://vault.example.com/invite#t")
                .unwrap_err()
                .code(),
            "insecure_server"
        );
    }
}

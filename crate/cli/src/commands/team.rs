//! `tessera team join|status|sync|leave`, the team side of `tessera code`, and the export fetch
//! of `tessera recover --server`.
//!
//! The flows are those of the web clients (server/tests/common/mod.rs is the reference): join
//! registers this keyring's public keys with an invite token; every contact signs in afresh
//! (challenge, Ed25519 signature over `sync::sign_in_message` with the origin this machine
//! knows, session) and signs out at the end, so no session token is ever stored on disk.

use serde_json::{Value, json};
use tessera_core::keyring::Keyring;
use tessera_core::vault::{EntryId, SealedVault, VaultId};

use crate::error::CliError;
use crate::home::Home;
use crate::lock::WriteLock;
use crate::out;
use crate::store::{Access, Store};
use crate::team::http::{Client, bad_response, parse_invite_link, server_origin};
use crate::team::{self, CachedVault, Membership, QueuedEvent};

/// A cache older than this is refreshed before a team code is given (when the server answers).
pub const MAX_CACHE_AGE_MS: u64 = 5 * 60 * 1000;

/// The keyring of this home (passphrase asked once).
fn open_keyring(home: &Home) -> Result<Store, CliError> {
    Store::open(home, Access::Read)
}

fn check_keyring(m: &Membership, keyring: &Keyring) -> Result<(), CliError> {
    if keyring
        .fingerprint()
        .to_hex()
        .eq_ignore_ascii_case(&m.fingerprint)
    {
        Ok(())
    } else {
        Err(CliError::team(
            "team_wrong_keyring",
            1,
            "this home's keyring is not the one that joined the team (see `tessera team status`)",
        ))
    }
}

pub fn join(home: &Home, link: &str, label: Option<&str>) -> Result<(), CliError> {
    let (origin, token) = parse_invite_link(link)?;
    if let Some(m) = team::membership(home)? {
        return Err(CliError::team(
            "team_already_joined",
            1,
            format!(
                "this home is already a member of {}; run `tessera team leave` first",
                m.origin
            ),
        ));
    }
    let store = open_keyring(home)?;
    let keyring = store.keyring();
    let mut body = json!({
        "token": token.as_str(),
        "public_keys": tessera_core::team::b64(&keyring.public().to_bytes()),
    });
    if let Some(l) = label {
        body["label"] = Value::String(l.to_owned());
    }
    let client = Client::new(&origin);
    let path = "/api/v1/invites/accept";
    let v = client.call("POST", path, Some(&body))?;
    drop(body);
    drop(token);
    let member_id = v["member_id"]
        .as_str()
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| bad_response(path, "no member_id"))?
        .to_ascii_lowercase();
    let fingerprint = keyring.fingerprint();
    if !v["fingerprint"]
        .as_str()
        .is_some_and(|f| f.eq_ignore_ascii_case(&fingerprint.to_hex()))
    {
        return Err(bad_response(
            path,
            "the server registered another fingerprint than this keyring's",
        ));
    }
    let m = Membership {
        origin: origin.clone(),
        member_id: member_id.clone(),
        fingerprint: fingerprint.to_hex(),
        label: label.map(str::to_owned),
        joined_ms: team::now_ms()?,
    };
    {
        let _lock = WriteLock::acquire(home.dir())?;
        team::save_membership(home, &m)?;
    }
    let role = v["role"].as_str().unwrap_or("?");
    out::line(&format!(
        "Joined {origin} as member {member_id} (role {}), pending confirmation.",
        super::printable(role)
    ))?;
    out::line("Ask an admin to confirm this fingerprint in the console:")?;
    out::line(&format!("  {}", fingerprint.to_display()))?;
    out::line("Then run `tessera team sync`.")
}

pub fn status(home: &Home) -> Result<(), CliError> {
    let Some(m) = team::membership(home)? else {
        return out::line("Not in a team (tessera team join INVITE_LINK).");
    };
    out::line(&format!("server       {}", m.origin))?;
    out::line(&format!("member       {}", m.member_id))?;
    let fp = tessera_core::team::hex_array(&m.fingerprint.to_ascii_lowercase(), "fingerprint")
        .ok()
        .map_or_else(
            || m.fingerprint.clone(),
            |b| tessera_core::keyring::Fingerprint(b).to_display(),
        );
    out::line(&format!("fingerprint  {fp}"))?;
    match team::cache_index(home)? {
        None => out::line("cache        empty (run `tessera team sync`)")?,
        Some(idx) => {
            let age_s = team::now_ms()?.saturating_sub(idx.synced_ms) / 1000;
            out::line(&format!(
                "cache        {} vaults, synced {age_s} s ago",
                idx.vaults.len()
            ))?;
            for v in &idx.vaults {
                out::line(&format!(
                    "  {}  {}  version {}{}",
                    v.vault_id,
                    super::printable(&v.role),
                    v.version,
                    if v.archived { "  archived" } else { "" }
                ))?;
            }
        }
    }
    let pending = team::read_queue(home)?.len();
    out::line(&format!("pending      {pending} audit events queued"))
}

/// Signs in; a revoked member wipes the cache and gets a `member_revoked` error.
fn sign_in(home: &Home, m: &Membership, keyring: &Keyring) -> Result<Client, CliError> {
    check_keyring(m, keyring)?;
    let mut client = Client::new(&m.origin);
    match client.sign_in(keyring, &m.member_id) {
        Ok(()) => Ok(client),
        Err(e) => Err(revoked_wipes(home, e)?),
    }
}

/// Turns a `member_revoked` answer into a wiped cache and a clear error; other errors pass.
fn revoked_wipes(home: &Home, e: CliError) -> Result<CliError, CliError> {
    if !matches!(&e, CliError::Server { code, .. } if code == "member_revoked") {
        return Ok(e);
    }
    let dropped = {
        let _lock = WriteLock::acquire(home.dir())?;
        let dropped = team::wipe_cache(home)?;
        let path = team::team_file(home);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(CliError::io("cannot remove", &path, err)),
        }
        dropped
    };
    let lost = if dropped > 0 {
        format!(" ({dropped} queued audit events could not be delivered and were dropped)")
    } else {
        String::new()
    };
    Ok(CliError::team(
        "member_revoked",
        1,
        format!(
            "this member was revoked on the team server: the team cache and membership on this \
             machine were wiped{lost}"
        ),
    ))
}

/// Sends queued events, oldest first. Delivered (201) and already recorded (409) ones leave the
/// queue; one the server refuses for good is dropped with a note (never silently); a network
/// failure keeps the rest for the next contact.
pub fn flush_queue(home: &Home, client: &Client) -> Result<(), CliError> {
    let queue = team::read_queue(home)?;
    if queue.is_empty() {
        return Ok(());
    }
    let seen: std::collections::HashSet<String> =
        queue.iter().map(|e| e.signature.clone()).collect();
    let mut rest = Vec::new();
    let mut stopped = false;
    for ev in queue {
        if stopped {
            rest.push(ev);
            continue;
        }
        let body = json!({"event": ev.event, "signature": ev.signature});
        match client.call("POST", "/api/v1/audit/events", Some(&body)) {
            Ok(_) => {}
            Err(CliError::Server { code, .. }) if code == "event_replayed" => {}
            Err(e) if transient(&e) || matches!(e, CliError::Server { status: 401, .. }) => {
                stopped = true;
                rest.push(ev);
            }
            Err(CliError::Server { code, .. }) => out::note(&format!(
                "tessera: warning: the team server refused a queued audit event ({code}); dropped"
            )),
            Err(e) => return Err(e),
        }
    }
    let _lock = WriteLock::acquire(home.dir())?;
    // Events queued by another process meanwhile are kept after ours.
    let mut merged = rest;
    merged.extend(
        team::read_queue(home)?
            .into_iter()
            .filter(|n| !seen.contains(&n.signature)),
    );
    team::write_queue(home, &merged)
}

/// What one sync did.
#[derive(Debug)]
pub struct Synced {
    pub client: Client,
    pub vaults: usize,
}

/// Sign in, deliver the queue, fetch every granted vault (unchanged versions are not fetched
/// again), replace the cache. A snapshot at an older key epoch than one already opened
/// (`vault_rollback`) or than the list announced (`vault_epoch_mismatch`) ends the sync with that
/// error and the cache untouched.
pub fn sync_with(home: &Home, m: &Membership, keyring: &Keyring) -> Result<Synced, CliError> {
    let client = sign_in(home, m, keyring)?;
    flush_queue(home, &client)?;
    let list_path = "/api/v1/vaults";
    let list = client
        .call("GET", list_path, None)
        .or_else(|e| Err(revoked_wipes(home, e)?))?;
    let items = list["vaults"]
        .as_array()
        .ok_or_else(|| bad_response(list_path, "no vaults"))?;
    let old = team::cache_index(home).ok().flatten().unwrap_or_default();
    let mut seen = team::seen_epochs(home, &m.origin)?;
    seen.adopt_cache(home, keyring, &old);
    let mut fetched: Vec<(CachedVault, Option<Vec<u8>>)> = Vec::with_capacity(items.len());
    for item in items {
        let id = item["vault_id"]
            .as_str()
            .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad_response(list_path, "bad vault_id"))?
            .to_ascii_lowercase();
        let version = item["version"]
            .as_u64()
            .ok_or_else(|| bad_response(list_path, "bad version"))?;
        let info = CachedVault {
            vault_id: id.clone(),
            epoch: item["epoch"]
                .as_u64()
                .and_then(|e| u32::try_from(e).ok())
                .ok_or_else(|| bad_response(list_path, "bad epoch"))?,
            version,
            role: item["role"].as_str().unwrap_or("use").to_owned(),
            archived: item["archived"].as_bool().unwrap_or(false),
        };
        let unchanged = old
            .vaults
            .iter()
            .any(|o| o.vault_id == id && o.version == version && o.epoch == info.epoch)
            && team::snapshot_path(home, &id).exists();
        if unchanged {
            fetched.push((info, None));
            continue;
        }
        let path = format!("/api/v1/vaults/{id}");
        let v = client
            .call("GET", &path, None)
            .or_else(|e| Err(revoked_wipes(home, e)?))?;
        let bytes = v["snapshot"]
            .as_str()
            .and_then(|s| tessera_core::codec::base64_decode(s.as_bytes(), true))
            .ok_or_else(|| bad_response(&path, "no snapshot"))?;
        let sealed = SealedVault::from_bytes(&bytes)
            .map_err(|e| bad_response(&path, &format!("damaged snapshot ({})", e.code())))?;
        if sealed.vault_id().to_hex() != id {
            return Err(bad_response(&path, "the snapshot is of another vault"));
        }
        // Rollback protection: a refusal ends the sync before anything is written.
        seen.admit(&id, &sealed, info.epoch, keyring)?;
        // The version of the snapshot actually served (it may be newer than the listing).
        let info = CachedVault {
            version: v["version"].as_u64().unwrap_or(version),
            epoch: sealed.epoch(),
            role: v["role"].as_str().map_or(info.role, str::to_owned),
            ..info
        };
        fetched.push((info, Some(bytes)));
    }
    let n = fetched.len();
    {
        let _lock = WriteLock::acquire(home.dir())?;
        // The record first: a cached snapshot is never newer than it.
        team::save_seen_epochs(home, &seen)?;
        team::save_cache(home, team::now_ms()?, &fetched)?;
    }
    Ok(Synced { client, vaults: n })
}

pub fn sync(home: &Home) -> Result<(), CliError> {
    let m = team::require_membership(home)?;
    let store = open_keyring(home)?;
    let synced = sync_with(home, &m, store.keyring())?;
    drop(synced.client);
    let (_, vaults) = team::open_cached(home, store.keyring())?;
    out::line(&format!(
        "Synced {} vaults from {}.",
        synced.vaults, m.origin
    ))?;
    for v in &vaults {
        out::line(&format!(
            "  {}  {}  {} entries{}",
            super::printable(v.vault.name()),
            super::printable(&v.info.role),
            v.vault.entries().len(),
            if v.info.archived { "  (archived)" } else { "" }
        ))?;
    }
    let pending = team::read_queue(home)?.len();
    if pending > 0 {
        out::note(&format!(
            "tessera: warning: {pending} audit events are still queued for the team server"
        ));
    }
    Ok(())
}

pub fn leave(home: &Home) -> Result<(), CliError> {
    let Some(m) = team::membership(home)? else {
        return out::line("Not in a team; nothing to do.");
    };
    if !team::read_queue(home)?.is_empty() {
        // Deliver first: leaving must not drop audit events silently.
        let store = open_keyring(home)?;
        match sign_in(home, &m, store.keyring()) {
            Ok(client) => flush_queue(home, &client)?,
            // Revoked: the queue went with the cache, and the message said so. Unreachable: the
            // count below explains what to do.
            Err(CliError::Team {
                code: "member_revoked",
                ..
            })
            | Err(CliError::Unreachable { .. })
            | Err(CliError::Server { status: 429, .. }) => {}
            Err(e) => return Err(e),
        }
        let left = team::read_queue(home)?.len();
        if left > 0 {
            return Err(CliError::team(
                "team_pending_events",
                1,
                format!(
                    "{left} audit events could not be delivered; try again when {} answers",
                    m.origin
                ),
            ));
        }
    }
    let _lock = WriteLock::acquire(home.dir())?;
    team::wipe_cache(home)?;
    let path = team::team_file(home);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CliError::io("cannot remove", &path, e)),
    }
    out::line(&format!(
        "Left {} on this machine (the server still lists member {} until an admin revokes it).",
        m.origin, m.member_id
    ))
}

/// `tessera recover --server URL`: the export, fetched by this machine's membership (owner only).
pub fn fetch_export(home: &Home, url: &str) -> Result<Vec<u8>, CliError> {
    let origin = server_origin(url)?;
    let m = team::require_membership(home)?;
    if m.origin != origin {
        return Err(CliError::team(
            "team_other_server",
            2,
            format!("this home is a member of {}, not {origin}", m.origin),
        ));
    }
    let store = open_keyring(home)?;
    let client = sign_in(home, &m, store.keyring())?;
    client.call_raw("GET", "/api/v1/export", None)
}

/// The signed `Reveal` event of one team code, as the body of POST /api/v1/audit/events
/// (`team::sign_event`, as the web clients sign theirs).
fn reveal_event(
    keyring: &Keyring,
    vault_id: VaultId,
    entry_id: EntryId,
) -> Result<QueuedEvent, CliError> {
    let body = tessera_core::team::sign_event(
        keyring,
        "reveal",
        &vault_id.to_hex(),
        &entry_id.to_hex(),
        team::now_ms()?,
        "",
        &mut crate::rng::os_seeded()?,
    )
    .map_err(|_| CliError::Internal("client event does not encode"))?;
    Ok(QueuedEvent {
        event: body.event,
        signature: body.signature,
    })
}

/// The server cannot take the call now (network, timeout, 5xx, or 429 rate-limited): fall back
/// to the cache, queue audit events.
pub fn transient(e: &CliError) -> bool {
    matches!(
        e,
        CliError::Unreachable { .. } | CliError::Server { status: 429, .. }
    )
}

/// How `audit_reveal` reaches the server.
#[derive(Debug)]
pub enum Contact {
    /// Already signed in (a sync just ran).
    Signed(Client),
    /// Sign in now.
    Fresh,
    /// The server was just found unreachable: queue without another wait.
    Offline(CliError),
}

/// Records that a team code is about to be shown: sent to the server, or queued (with a warning)
/// when it cannot be reached. An error means the code must not be shown.
pub fn audit_reveal(
    home: &Home,
    m: &Membership,
    keyring: &Keyring,
    contact: Contact,
    vault_id: VaultId,
    entry_id: EntryId,
) -> Result<(), CliError> {
    let ev = reveal_event(keyring, vault_id, entry_id)?;
    let client = match contact {
        Contact::Signed(c) => Ok(c),
        Contact::Fresh => sign_in(home, m, keyring).and_then(|c| {
            flush_queue(home, &c)?;
            Ok(c)
        }),
        Contact::Offline(reason) => Err(reason),
    };
    let sent = client.and_then(|c| {
        c.call(
            "POST",
            "/api/v1/audit/events",
            Some(&json!({"event": ev.event, "signature": ev.signature})),
        )
    });
    match sent {
        Ok(_) => Ok(()),
        Err(e) if transient(&e) => {
            let origin = &m.origin;
            let pending = {
                let _lock = WriteLock::acquire(home.dir())?;
                let mut queue = team::read_queue(home)?;
                queue.push(ev);
                team::write_queue(home, &queue)?;
                queue.len()
            };
            out::note(&format!(
                "tessera: warning: {origin} unreachable or busy; the audit event of this code is queued \
                 ({pending} pending) and will be sent at the next contact"
            ));
            Ok(())
        }
        Err(e) => Err(e),
    }
}

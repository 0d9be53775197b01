//! A team client's side of the server API (docs/SERVER.md) at the level of its JSON fields:
//! text in (hex ids, base64 bytes, role and action names), checked and decoded here, and the
//! signed or sealed bytes out. The wasm binding only converts JS values to and from these.
//!
//! Errors name the field that was wrong, never the value given.

use rand_core::CryptoRng;

use crate::audit::{AuditError, CLIENT_EVENT_NONCE_LEN, ClientAction, ClientEvent};
use crate::codec;
use crate::grant::GrantError;
use crate::keyring::{Keyring, KeyringError, PublicKeys, SIGNATURE_LEN, SignatureContext};
use crate::sync::{CHALLENGE_ID_LEN, CHALLENGE_NONCE_LEN, sign_in_message};
use crate::vault::{EntryId, VaultError, VaultId};

mod changes;

pub use changes::{
    CreateBody, GrantBody, MemberGrant, NewMember, PatchBody, RotateBody, TrackedVault,
};

/// Errors of decoding a team request's fields and of building its body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    /// A field that must be lower-case hex is not (or has the wrong length).
    #[error("{0}: expected lower-case hex of the right length")]
    BadHex(&'static str),
    /// A field that must be standard padded base64 is not (or decodes to the wrong length).
    #[error("{0}: expected standard base64 of the right length")]
    BadBase64(&'static str),
    /// A byte field of the wrong length.
    #[error("{0}: wrong length")]
    BadLength(&'static str),
    /// A role other than `manage` or `use`.
    #[error("unknown role (expected manage or use)")]
    UnknownRole,
    /// A client action other than `reveal`, `copy` or `fill`.
    #[error("unknown action (expected reveal, copy or fill)")]
    UnknownAction,
    /// A team body was asked of a vault that was not opened from a server snapshot.
    #[error("this vault was not opened from a server snapshot")]
    NoBase,
    /// A body was asked from a base this vault already wrote from under another version: the
    /// server has moved on (or the earlier write failed). Fetch the vault and open it again.
    #[error("the vault changed since it was opened: fetch it and open it again")]
    StaleBase,
    /// A grant or a rotation was asked while entries or the name have unsaved changes.
    #[error("the vault has unsaved changes: save them (patchBody) and open the vault again")]
    PendingChanges,
    /// The vault was rotated locally since it was opened: only a rotation can save it.
    #[error("the vault was rotated since it was opened")]
    Rotated,
    /// A member's public keys are not valid keys.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// A grant could not be sealed.
    #[error(transparent)]
    Grant(#[from] GrantError),
    /// The vault's entries or grants could not be sealed or encoded.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The client event could not be encoded (for example an invalid host).
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl TeamError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TeamError::BadHex(_) => "team_bad_hex",
            TeamError::BadBase64(_) => "team_bad_base64",
            TeamError::BadLength(_) => "team_bad_length",
            TeamError::UnknownRole => "team_unknown_role",
            TeamError::UnknownAction => "team_unknown_action",
            TeamError::NoBase => "vault_no_base",
            TeamError::StaleBase => "vault_stale_base",
            TeamError::PendingChanges => "vault_pending_changes",
            TeamError::Rotated => "vault_rotated",
            TeamError::Keyring(e) => e.code(),
            TeamError::Grant(e) => e.code(),
            TeamError::Vault(e) => e.code(),
            TeamError::Audit(e) => e.code(),
        }
    }
}

/// Standard padded base64, as every byte field of the server API.
pub fn b64(bytes: &[u8]) -> String {
    codec::base64_encode(bytes, true)
}

/// `N` bytes from lower-case hex (ids, hashes).
pub fn hex_array<const N: usize>(text: &str, field: &'static str) -> Result<[u8; N], TeamError> {
    codec::hex_decode(text.as_bytes())
        .and_then(|v| <[u8; N]>::try_from(v).ok())
        .ok_or(TeamError::BadHex(field))
}

/// `N` bytes from standard padded base64.
pub fn b64_array<const N: usize>(text: &str, field: &'static str) -> Result<[u8; N], TeamError> {
    codec::base64_decode(text.as_bytes(), true)
        .and_then(|v| <[u8; N]>::try_from(v).ok())
        .ok_or(TeamError::BadBase64(field))
}

/// A member's public keys (`x25519 || ed25519`, 64 bytes).
pub fn public_keys(bytes: &[u8], field: &'static str) -> Result<PublicKeys, TeamError> {
    if bytes.len() != PublicKeys::LEN {
        return Err(TeamError::BadLength(field));
    }
    Ok(PublicKeys::from_bytes(bytes)?)
}

/// The organisation recovery public key (32 bytes).
pub fn recovery_public_key(
    bytes: &[u8],
    field: &'static str,
) -> Result<crate::grant::RecoveryPublicKey, TeamError> {
    Ok(crate::grant::RecoveryPublicKey(
        bytes.try_into().map_err(|_| TeamError::BadLength(field))?,
    ))
}

/// A member's role on a vault, as the server names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Manage,
    Use,
}

impl Role {
    pub fn parse(name: &str) -> Result<Self, TeamError> {
        match name {
            "manage" => Ok(Role::Manage),
            "use" => Ok(Role::Use),
            _ => Err(TeamError::UnknownRole),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Manage => "manage",
            Role::Use => "use",
        }
    }
}

/// The client action of an audit event from its short name (`reveal`, `copy`, `fill`).
pub fn parse_action(name: &str) -> Result<ClientAction, TeamError> {
    match name {
        "reveal" => Ok(ClientAction::Reveal),
        "copy" => Ok(ClientAction::Copy),
        "fill" => Ok(ClientAction::Fill),
        _ => Err(TeamError::UnknownAction),
    }
}

/// The base64 signature of a sign-in challenge (FORMAT.md §13.5): `challenge_id` in hex and
/// `nonce` in base64 as the server sent them, `audience` the server origin the client knows.
pub fn sign_challenge(
    keyring: &Keyring,
    audience: &str,
    challenge_id_hex: &str,
    nonce_b64: &str,
) -> Result<String, TeamError> {
    let id: [u8; CHALLENGE_ID_LEN] = hex_array(challenge_id_hex, "challengeId")?;
    let nonce: [u8; CHALLENGE_NONCE_LEN] = b64_array(nonce_b64, "nonce")?;
    let msg = sign_in_message(audience, &id, &nonce);
    Ok(b64(&keyring.sign(SignatureContext::AuthChallenge, &msg)))
}

/// The body of `POST /api/v1/audit/events`: the signed event and its signature, in base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedEventBody {
    pub event: String,
    pub signature: String,
}

/// Signs a client audit event (FORMAT.md §13.1) with a fresh random nonce.
pub fn sign_event(
    keyring: &Keyring,
    action: &str,
    vault_id_hex: &str,
    entry_id_hex: &str,
    time_ms: u64,
    host: &str,
    rng: &mut impl CryptoRng,
) -> Result<SignedEventBody, TeamError> {
    let mut nonce = [0u8; CLIENT_EVENT_NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let event = ClientEvent {
        action: parse_action(action)?,
        vault_id: VaultId(hex_array(vault_id_hex, "vaultId")?),
        entry_id: EntryId(hex_array(entry_id_hex, "entryId")?),
        time_ms,
        nonce,
        host: host.to_owned(),
    };
    let (bytes, signature): (Vec<u8>, [u8; SIGNATURE_LEN]) = event.sign(keyring)?;
    Ok(SignedEventBody {
        event: b64(&bytes),
        signature: b64(&signature),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::verify_client_event;
    use crate::keyring::verify;
    use rand_core::UnwrapErr;

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    fn unb64(s: &str) -> Vec<u8> {
        codec::base64_decode(s.as_bytes(), true).unwrap()
    }

    #[test]
    fn challenge_signature_verifies_over_the_sign_in_message() {
        let kr = Keyring::generate(&mut rng());
        let id = [7u8; CHALLENGE_ID_LEN];
        let nonce = [9u8; CHALLENGE_NONCE_LEN];
        let sig = sign_challenge(
            &kr,
            "https://vault.example.com",
            &codec::hex_encode(&id),
            &b64(&nonce),
        )
        .unwrap();
        let sig: [u8; SIGNATURE_LEN] = unb64(&sig).try_into().unwrap();
        let msg = sign_in_message("https://vault.example.com", &id, &nonce);
        verify(kr.public(), SignatureContext::AuthChallenge, &msg, &sig).unwrap();
        let other = sign_in_message("https://evil.example.com", &id, &nonce);
        assert!(verify(kr.public(), SignatureContext::AuthChallenge, &other, &sig).is_err());
    }

    #[test]
    fn challenge_fields_are_checked() {
        let kr = Keyring::generate(&mut rng());
        let nonce = b64(&[1u8; 32]);
        let id = "00".repeat(16);
        for (id, nonce, code) in [
            ("00".repeat(15), nonce.clone(), "team_bad_hex"),
            ("0G".repeat(16), nonce.clone(), "team_bad_hex"),
            ("AA".repeat(16), nonce.clone(), "team_bad_hex"),
            (id.clone(), b64(&[1u8; 31]), "team_bad_base64"),
            (id.clone(), "not base64!".into(), "team_bad_base64"),
        ] {
            let err = sign_challenge(&kr, "https://a", &id, &nonce).unwrap_err();
            assert_eq!(err.code(), code);
            // The message names the field, never the value.
            assert!(!err.to_string().contains(&id) && !err.to_string().contains(&nonce));
        }
    }

    #[test]
    fn events_are_signed_and_parse_back() {
        let kr = Keyring::generate(&mut rng());
        let (v, e) = ("ab".repeat(16), "cd".repeat(16));
        let body = sign_event(
            &kr,
            "fill",
            &v,
            &e,
            1_700_000_000_123,
            "console.aws.amazon.com",
            &mut rng(),
        )
        .unwrap();
        let sig: [u8; SIGNATURE_LEN] = unb64(&body.signature).try_into().unwrap();
        let ev = verify_client_event(kr.public(), &unb64(&body.event), &sig).unwrap();
        assert_eq!(ev.action, ClientAction::Fill);
        assert_eq!(ev.vault_id.to_hex(), v);
        assert_eq!(ev.entry_id.to_hex(), e);
        assert_eq!(ev.time_ms, 1_700_000_000_123);
        assert_eq!(ev.host, "console.aws.amazon.com");
        // Fresh nonce each time.
        let again = sign_event(&kr, "fill", &v, &e, 1, "", &mut rng()).unwrap();
        assert_ne!(again.event, body.event);

        let bad = |a: &str, v: &str, e: &str, h: &str| {
            sign_event(&kr, a, v, e, 1, h, &mut rng())
                .unwrap_err()
                .code()
        };
        assert_eq!(bad("peek", &v, &e, ""), "team_unknown_action");
        assert_eq!(bad("copy", "ab", &e, ""), "team_bad_hex");
        assert_eq!(bad("copy", &v, &e.to_uppercase(), ""), "team_bad_hex");
        assert_eq!(bad("copy", &v, &e, "Bad Host"), "audit_invalid_host");
        assert_eq!(
            Role::parse("admin").unwrap_err().code(),
            "team_unknown_role"
        );
        assert_eq!(Role::parse("use").unwrap().name(), "use");
    }
}

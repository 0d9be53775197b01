//! A vault snapshot (docs/FORMAT.md §9) assembled from the envelopes a team server stores one by
//! one, and re-tagged after an incremental change (§13.4).
//!
//! The server keeps a vault as its sealed metadata, grants and entries plus the snapshot's
//! `nonce || tag` (the *seal*). It rebuilds the snapshot byte for byte with [`snapshot_bytes`]. A
//! client that changes one entry or adds one grant does not re-seal the whole vault: it assembles
//! the new body from the envelopes it already has and the changed ones, and computes a fresh seal
//! with [`seal_body`] under the vault key. Only holders of the vault key can make a valid seal.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::CryptoRng;

use crate::vault::{SNAPSHOT_AAD_LABEL, SNAPSHOT_MAGIC, VaultError, VaultId, VaultKey};
use crate::wire::{FORMAT_VERSION_V1, NONCE_LEN, TAG_LEN, Writer};

/// Length of a sign-in challenge id.
pub const CHALLENGE_ID_LEN: usize = 16;
/// Length of a sign-in challenge nonce.
pub const CHALLENGE_NONCE_LEN: usize = 32;

/// The message a member signs, over the `auth-challenge` context, to sign in (FORMAT.md §13.5):
/// `u16 len || audience || challenge_id (16) || nonce (32)`. The audience is the server's public
/// URL as the client knows it, so a server cannot relay a challenge of another server.
pub fn sign_in_message(
    audience: &str,
    challenge_id: &[u8; CHALLENGE_ID_LEN],
    nonce: &[u8; CHALLENGE_NONCE_LEN],
) -> Vec<u8> {
    let a = audience.as_bytes();
    let a = &a[..a.len().min(usize::from(u16::MAX))];
    let mut m = Vec::with_capacity(2 + a.len() + CHALLENGE_ID_LEN + CHALLENGE_NONCE_LEN);
    m.extend_from_slice(&u16::try_from(a.len()).unwrap_or(u16::MAX).to_be_bytes());
    m.extend_from_slice(a);
    m.extend_from_slice(challenge_id);
    m.extend_from_slice(nonce);
    m
}

/// Length of a snapshot's seal: `nonce || tag`.
pub const SNAPSHOT_SEAL_LEN: usize = NONCE_LEN + TAG_LEN;

/// The snapshot bytes before the seal, from encoded envelopes. The caller gives grants in
/// canonical order (kind, then fingerprint) and entries ascending by entry id; nothing is checked
/// here (parse the result with [`crate::vault::SealedVault::from_bytes`] to check it).
pub fn snapshot_body<M, G, E>(
    vault_id: &VaultId,
    epoch: u32,
    meta: M,
    grants: &[G],
    entries: &[E],
) -> Vec<u8>
where
    M: AsRef<[u8]>,
    G: AsRef<[u8]>,
    E: AsRef<[u8]>,
{
    let meta = meta.as_ref();
    let len = 33
        + meta.len()
        + grants.iter().map(|g| g.as_ref().len()).sum::<usize>()
        + entries.iter().map(|e| e.as_ref().len()).sum::<usize>();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut w = Writer::with_capacity(len + SNAPSHOT_SEAL_LEN);
    w.bytes(&SNAPSHOT_MAGIC)
        .u8(FORMAT_VERSION_V1)
        .bytes(&vault_id.0)
        .u32(epoch);
    w.u32(count(meta.len())).bytes(meta);
    w.u32(count(grants.len()));
    for g in grants {
        w.bytes(g.as_ref());
    }
    w.u32(count(entries.len()));
    for e in entries {
        w.bytes(e.as_ref());
    }
    w.into_vec()
}

/// A fresh seal (`nonce || tag`) of `body` under the vault key: the GMAC of FORMAT.md §9.
pub fn seal_body(
    key: &VaultKey,
    body: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<[u8; SNAPSHOT_SEAL_LEN], VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut aad = Vec::with_capacity(SNAPSHOT_AAD_LABEL.len() + 1 + body.len());
    aad.extend_from_slice(SNAPSHOT_AAD_LABEL.as_bytes());
    aad.push(0);
    aad.extend_from_slice(body);
    let tag = Aes256Gcm::new(key.expose().into())
        .encrypt_inout_detached(&Nonce::from(nonce), &aad, (&mut [][..]).into())
        .map_err(|_| VaultError::SealFailed)?;
    let mut seal = [0u8; SNAPSHOT_SEAL_LEN];
    seal[..NONCE_LEN].copy_from_slice(&nonce);
    seal[NONCE_LEN..].copy_from_slice(&tag);
    Ok(seal)
}

/// `body || seal`: the snapshot bytes.
pub fn snapshot_bytes(body: &[u8], seal: &[u8; SNAPSHOT_SEAL_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + SNAPSHOT_SEAL_LEN);
    out.extend_from_slice(body);
    out.extend_from_slice(seal);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Entry;
    use crate::keyring::Keyring;
    use crate::secret::SecretBytes;
    use crate::vault::{EntryId, OpenVault, SealedVault};
    use rand_core::UnwrapErr;

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    fn entry(label: &str) -> Entry {
        Entry::new(SecretBytes::new(vec![7; 20]), label)
    }

    #[test]
    fn rebuilds_byte_for_byte_and_retags_an_incremental_change() {
        let mut rng = rng();
        let kr = Keyring::generate(&mut rng);
        let mut open = OpenVault::create("client", &mut rng);
        open.add(entry("a"), &mut rng).unwrap();
        let sealed = open.seal(&[*kr.public()], None, &mut rng).unwrap();
        let bytes = sealed.to_bytes();

        // Rebuild from the parts, as a server that stores them separately does.
        let grants: Vec<_> = sealed.grants().iter().map(|g| g.to_bytes()).collect();
        let entries: Vec<_> = sealed.entries().iter().map(|e| e.to_bytes()).collect();
        let body = snapshot_body(
            &sealed.vault_id(),
            sealed.epoch(),
            sealed.meta().to_bytes(),
            &grants,
            &entries,
        );
        let seal: [u8; SNAPSHOT_SEAL_LEN] = bytes[body.len()..].try_into().unwrap();
        assert_eq!(snapshot_bytes(&body, &seal), bytes);

        // Add one entry without re-sealing the others; a fresh seal makes it open.
        let id = EntryId([0xff; 16]);
        let new = open
            .cipher()
            .seal_entry(&open.id(), &id, open.epoch(), &entry("b"), &mut rng)
            .unwrap();
        let mut entries2 = entries.iter().map(|e| e.to_vec()).collect::<Vec<_>>();
        entries2.push(new.to_bytes());
        let body2 = snapshot_body(
            &open.id(),
            open.epoch(),
            sealed.meta().to_bytes(),
            &grants,
            &entries2,
        );
        let seal2 = seal_body(open.key(), &body2, &mut rng).unwrap();
        let reopened = SealedVault::from_bytes(&snapshot_bytes(&body2, &seal2))
            .unwrap()
            .open(&kr)
            .unwrap();
        assert_eq!(reopened.entries().len(), 2);
        // The old seal does not cover the new body.
        let stale = SealedVault::from_bytes(&snapshot_bytes(&body2, &seal)).unwrap();
        assert_eq!(
            stale.open(&kr).unwrap_err().code(),
            "vault_tampered_or_wrong_key"
        );
    }
}

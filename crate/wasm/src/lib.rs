//! Tessera's wasm binding: a thin layer that converts types and errors and delegates to
//! `tessera-core`. Logic that grows here belongs in the core.
//!
//! - Every error reaches JS as an `Error` whose `code` is the core error's stable code string
//!   (`otpauth_bad_secret`, `keyring_wrong_passphrase_or_tampered`, ...) and whose `message` is
//!   human text without secrets. Codes of this layer: `vault_locked` (a locked `Vault`),
//!   `keyring_locked` (a locked `Keyring`), `bad_argument` (a JS value of the wrong shape),
//!   `entry_not_found`, and `internal` (a JSON conversion failed: a bug, never expected).
//! - Seeds and keys stay in wasm memory: `Keyring` and `Vault` are handles, wiped by `lock()`
//!   and by `free()`. Only `Vault.exportUri()` and `Vault.revealSecret()` return a seed.
//! - Time comes from JS (`unixTime` in seconds, e.g. `Date.now() / 1000`); `nowSeconds()` reads
//!   the JS clock for callers that want the binding to do it.
//! - Argon2id (`Keyring.unlock`, `Keyring.prototype.seal`) blocks for about a second: run it in
//!   a worker, not on a UI thread.
//! - Team server request bodies (`Vault.prototype.patchBody`, `grantBody`, `createBody`,
//!   `rotateBody`), sign-in and audit-event signatures and `verifyAuditLog` are built by
//!   `tessera_core::team` and `tessera_core::audit::export`; `team.rs` only converts.

/// Talc instead of Rust's default wasm allocator (dlmalloc): about 2.5 KB smaller gzipped and at
/// least as fast on the hot paths (docs/PERFORMANCE.md). It grows wasm memory as needed.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

mod edit;
mod error;
mod info;
mod keyring;
mod matching;
mod recovery;
mod rng;
mod session;
mod team;
mod time;
mod uri;
mod vault;

pub use error::Error;
pub use keyring::{Keyring, kdf_params, keyring_header};
pub use matching::{classify_host, rank_sign_in};
pub use recovery::{create_recovery_kit, read_recovery_kit};
pub use session::{open_vault_with_session_key, vault_session_key};
pub use team::verify_audit_log;
pub use time::now_seconds;
pub use uri::{code_from_uri, parse_migration, parse_uri};
pub use vault::Vault;

error::from_core_errors!(
    tessera_core::otp::OtpError,
    tessera_core::otpauth::OtpAuthError,
    tessera_core::secret::Base32Error,
    tessera_core::migration::MigrationError,
    tessera_core::keyring::KeyringError,
    tessera_core::vault::VaultError,
    tessera_core::entry::EntryError,
    tessera_core::grant::GrantError,
    tessera_core::import::ImportError,
    tessera_core::grant::RecoveryError,
    tessera_core::team::TeamError,
);

//! Tessera's core: one-time codes, otpauth URIs and imports, and the v1 vault format.
//!
//! Pure Rust, no wasm or JS dependency: it builds for native targets and for
//! `wasm32-unknown-unknown`. The clock and the random number generator are parameters of every
//! function that needs them; only the edges (the wasm crate, the CLI, the server) read them.
//! The byte formats are specified in `docs/FORMAT.md`; constants here carry the spec's names.
#![forbid(unsafe_code)]

pub mod audit;
pub mod codebook;
pub mod codec;
pub mod entry;
pub mod grant;
pub mod import;
pub mod json;
pub mod keyring;
pub mod matching;
pub mod migration;
pub mod otp;
pub mod otpauth;
pub mod query;
pub mod secret;
pub mod sync;
pub mod team;
pub mod vault;
pub mod wire;

pub use entry::Entry;
pub use otp::{Algorithm, Code, OtpKind, OtpParams};
pub use secret::SecretBytes;

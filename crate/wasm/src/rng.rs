//! The randomness handed to the core: the platform CSPRNG (`crypto.getRandomValues` on wasm).

use getrandom::SysRng;
use rand_core::UnwrapErr;

/// `crypto.getRandomValues` cannot fail in a browser or Node once it exists; if it is missing
/// the module cannot do anything safely, and the abort (panic=abort) is the right outcome.
pub fn rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}

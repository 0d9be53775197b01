//! The random number generator handed to the core.
//!
//! The core takes an infallible `CryptoRng`; `getrandom`'s own adapter would have to panic if the
//! OS refused. Instead one 256-bit seed is read from the OS with a fallible call (a failure is a
//! typed error and exit 1) and expanded with ChaCha20, the construction `rand`'s `ThreadRng` uses.
//! One generator per command; it is wiped on drop.

use chacha20::ChaCha20Rng;
use rand_core::SeedableRng;
use zeroize::Zeroizing;

use crate::error::CliError;

pub fn os_seeded() -> Result<ChaCha20Rng, CliError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|_| CliError::Random)?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

//! The clock. The core never reads it: JS passes `Date.now() / 1000`, or calls `nowSeconds()`.

use wasm_bindgen::prelude::*;

use crate::error::Error;

/// Largest number accepted (times, versions): JS numbers are exact integers up to 2^53.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Unix time in whole seconds, read from the JS clock (`Date.now()`).
#[wasm_bindgen(js_name = nowSeconds)]
pub fn now_seconds() -> f64 {
    (js_sys::Date::now() / 1000.0).floor()
}

/// Checks and floors a JS time in seconds (`Date.now() / 1000` may carry a fraction).
pub fn unix_seconds(t: f64) -> Result<u64, Error> {
    floored(t)
        .ok_or_else(|| Error::bad_argument("unixTime must be a finite number of seconds, >= 0"))
}

/// Checks and floors a JS time in milliseconds (`Date.now()`).
pub fn unix_millis(t: f64) -> Result<u64, Error> {
    floored(t)
        .ok_or_else(|| Error::bad_argument("timeMs must be a finite number of milliseconds, >= 0"))
}

/// A JS number floored to a `u64`, when finite and in `0..=MAX_SAFE_INTEGER` (where JS numbers
/// are exact integers).
pub(crate) fn floored(t: f64) -> Option<u64> {
    if !t.is_finite() || !(0.0..=MAX_SAFE_INTEGER).contains(&t) {
        return None;
    }
    // In range and floored: the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(t.floor() as u64)
}

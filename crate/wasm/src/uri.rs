//! Single otpauth URIs, without a vault: one code, or what a URI says (no secret).

use tessera_core::otp::Generator;
use tessera_core::otpauth::OtpAuth;
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::info::{EntryInfo, to_js};
use crate::time::unix_seconds;

/// The code of an `otpauth://` URI at `unixTime` (seconds; HOTP: at the URI's counter).
///
/// For lists use a `Vault` and its batch `codes()`: this parses and decodes per call.
#[wasm_bindgen(js_name = codeFromUri)]
pub fn code_from_uri(
    uri: &str,
    #[wasm_bindgen(js_name = unixTime)] unix_time: f64,
) -> Result<String, Error> {
    let time = unix_seconds(unix_time)?;
    let parsed = OtpAuth::parse(uri)?;
    Ok(Generator::new(&parsed.secret, &parsed.params)?
        .generate(time)
        .code)
}

/// What an `otpauth://` URI says, without its secret: `{type, algorithm, digits, period |
/// counter, label, issuer?, awsAccountId?, awsAccountAlias?, awsPrincipal?, deviceName?}`.
#[wasm_bindgen(js_name = parseUri, unchecked_return_type = "EntryInfo")]
pub fn parse_uri(uri: &str) -> Result<JsValue, Error> {
    let parsed = OtpAuth::parse(uri)?;
    EntryInfo::of_otpauth(&parsed).to_js()
}

/// What a Google Authenticator export (`otpauth-migration://offline?data=...`) holds, without
/// secrets: `{version, batchSize, batchIndex, batchId, entries}`, where each entry is an
/// `EntryInfo` (as `parseUri` gives) or `{error: code, message}` for an entry that cannot be
/// imported (for example `migration_unsupported_algorithm` for MD5). A URI that cannot be read
/// at all throws (`migration_bad_scheme`, `migration_bad_base64`, ...).
#[wasm_bindgen(js_name = parseMigration, unchecked_return_type = "MigrationPreview")]
pub fn parse_migration(uri: &str) -> Result<JsValue, Error> {
    let batch = tessera_core::migration::parse(uri)?;
    to_js(|w| {
        w.begin_object();
        w.key("version");
        w.i64(i64::from(batch.version));
        w.key("batchSize");
        w.i64(i64::from(batch.batch_size));
        w.key("batchIndex");
        w.i64(i64::from(batch.batch_index));
        w.key("batchId");
        w.i64(i64::from(batch.batch_id));
        w.key("entries");
        w.begin_array();
        // Each entry: its metadata, or `{error: code, message}` if it cannot be imported.
        for item in &batch.entries {
            match item {
                Ok(entry) => EntryInfo::of_entry(None, entry).write(w),
                Err(err) => {
                    w.begin_object();
                    w.str_member("error", err.code());
                    w.str_member("message", &err.to_string());
                    w.end_object();
                }
            }
        }
        w.end_array();
        w.end_object();
    })
}

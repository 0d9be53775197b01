//! Metadata edits from JS: `{label?, issuer?, awsAccountId?, ...}` applied to an entry.
//!
//! An absent member keeps the entry's value, `null` (or `""` for optional text) clears it, a
//! string sets it. Nothing here can change a seed or OTP parameters.

use tessera_core::Entry;
use tessera_core::entry::AwsPrincipal;
use tessera_core::json::{JsonError, Reader, once_opt_string, seen};
use wasm_bindgen::JsValue;

use crate::error::Error;
use crate::info::from_js;

/// Absent → `None` (keep); `null` → `Some(None)` (clear); value → `Some(Some(v))` (set).
type Change<T> = Option<Option<T>>;

#[derive(Default)]
pub struct EntryEdit {
    /// A string sets the label; `null` or absent keeps it (an entry always has a label).
    label: Option<String>,
    issuer: Change<String>,
    aws_account_id: Change<String>,
    aws_account_alias: Change<String>,
    /// `"root"` or `"iam_user"`.
    aws_principal: Change<String>,
    iam_user_name: Change<String>,
    root_email: Change<String>,
    device_name: Change<String>,
    notes: Change<String>,
}

/// Labels, account ids and e-mail addresses stay out of `Debug`, as in `Entry`'s.
impl core::fmt::Debug for EntryEdit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EntryEdit").finish_non_exhaustive()
    }
}

impl EntryEdit {
    /// `undefined` or `null` is the empty edit.
    pub fn from_js(value: JsValue) -> Result<Self, Error> {
        if value.is_undefined() || value.is_null() {
            return Ok(Self::default());
        }
        from_js(&value, Self::read)
    }

    /// `{label?, issuer?, awsAccountId?, ...}`: no other member, none twice.
    fn read(r: &mut Reader<'_>) -> Result<Self, JsonError> {
        let mut e = Self::default();
        let mut label_seen = false;
        r.object()?;
        let mut first = true;
        while let Some(key) = r.member(&mut first)? {
            match &*key {
                "label" => {
                    seen(&mut label_seen, "label")?;
                    e.label = r.opt_string()?;
                }
                "issuer" => once_opt_string(r, &mut e.issuer, "issuer")?,
                "awsAccountId" => once_opt_string(r, &mut e.aws_account_id, "awsAccountId")?,
                "awsAccountAlias" => {
                    once_opt_string(r, &mut e.aws_account_alias, "awsAccountAlias")?
                }
                "awsPrincipal" => once_opt_string(r, &mut e.aws_principal, "awsPrincipal")?,
                "iamUserName" => once_opt_string(r, &mut e.iam_user_name, "iamUserName")?,
                "rootEmail" => once_opt_string(r, &mut e.root_email, "rootEmail")?,
                "deviceName" => once_opt_string(r, &mut e.device_name, "deviceName")?,
                "notes" => once_opt_string(r, &mut e.notes, "notes")?,
                other => return Err(JsonError::Unknown(other.to_owned())),
            }
        }
        Ok(e)
    }

    pub fn apply(self, e: &mut Entry) -> Result<(), Error> {
        if let Some(label) = self.label {
            e.label = label;
        }
        set(&mut e.issuer, self.issuer);
        set(&mut e.aws_account_id, self.aws_account_id);
        set(&mut e.aws_account_alias, self.aws_account_alias);
        set(&mut e.device_name, self.device_name);
        set(&mut e.notes, self.notes);

        // The principal is one enum in the core and three fields in JS.
        let (mut kind, mut name, mut email) = match e.aws_principal.take() {
            None => (None, None, None),
            Some(AwsPrincipal::Root { email }) => (Some("root".to_owned()), None, email),
            Some(AwsPrincipal::IamUser { name }) => (Some("iam_user".to_owned()), Some(name), None),
        };
        set(&mut kind, self.aws_principal);
        set(&mut name, self.iam_user_name);
        set(&mut email, self.root_email);
        e.aws_principal = match (kind.as_deref(), name, email) {
            (None, None, None) => None,
            (Some("root"), None, email) => Some(AwsPrincipal::Root { email }),
            (Some("iam_user"), Some(name), None) => Some(AwsPrincipal::IamUser { name }),
            _ => {
                return Err(Error::bad_argument(
                    "awsPrincipal must be \"root\" (with an optional rootEmail) or \"iam_user\" \
                     with an iamUserName",
                ));
            }
        };
        Ok(())
    }
}

/// Applies one change; an empty string clears like `null`.
fn set(field: &mut Option<String>, change: Change<String>) {
    if let Some(value) = change {
        *field = value.filter(|v| !v.is_empty());
    }
}

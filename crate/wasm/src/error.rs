//! Errors as JS sees them: an `Error` whose `code` is the core error's stable code string and
//! whose `message` is its human text (the core keeps secrets out of both).

use wasm_bindgen::JsValue;

/// An error on its way to JS. Every fallible export returns `Result<_, Error>`.
#[derive(Debug)]
pub struct Error {
    code: &'static str,
    message: String,
}

impl Error {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The vault was locked (its seeds and key wiped): open it again.
    pub fn locked() -> Self {
        Self::new("vault_locked", "the vault is locked")
    }

    /// The keyring was locked (its secret keys wiped): unlock it again.
    pub fn keyring_locked() -> Self {
        Self::new("keyring_locked", "the keyring is locked")
    }

    /// A JS argument of the wrong shape (for example a non-integer time).
    pub fn bad_argument(message: impl Into<String>) -> Self {
        Self::new("bad_argument", message)
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<Error> for JsValue {
    fn from(err: Error) -> JsValue {
        let js = js_sys::Error::new(&err.message);
        // Setting a property on a fresh plain object cannot fail; ignoring the Result is safe.
        let _ = js_sys::Reflect::set(
            &js,
            &JsValue::from_str("code"),
            &JsValue::from_str(err.code),
        );
        js.into()
    }
}

/// `From<CoreError> for Error` for each core error enum: they all have `code()` and `Display`.
macro_rules! from_core_errors {
    ($($ty:path),* $(,)?) => {$(
        impl From<$ty> for Error {
            fn from(err: $ty) -> Self {
                Self::new(err.code(), err.to_string())
            }
        }
    )*};
}
pub(crate) use from_core_errors;

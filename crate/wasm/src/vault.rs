//! An opened vault in JS: a handle on decoded entries held in wasm memory.
//!
//! JS gets ids (hex), metadata (`EntryInfo`, never a seed), search results and codes. The batch
//! call `codes()` answers for many entries in one crossing. Only `exportUri()` and
//! `revealSecret()` return a seed, for explicit manage flows.

use tessera_core::Entry;
use tessera_core::codebook::CodeBook;
use tessera_core::keyring::PublicKeys;
use tessera_core::team::TrackedVault;
use tessera_core::vault::{EntryId, OpenVault, SealedVault};
use wasm_bindgen::prelude::*;

use crate::edit::EntryEdit;
use crate::error::Error;
use crate::info::{EntryInfo, to_js};
use crate::keyring::Keyring;
use crate::rng::rng;
use crate::time::unix_seconds;

/// The decoded vault and one prepared code generator per entry, in the same (id) order.
struct Unlocked {
    /// The open vault, its base snapshot (if opened from one) and the ids changed since.
    tracked: TrackedVault,
    /// Keyed HMACs, by entry position. An entry whose parameters this build cannot compute
    /// (for example a period over one day written by another client) gives `""` in `codes()`
    /// and its `otp_*` error in `code()`.
    book: CodeBook,
    /// Entry ids as JS sees them, in the same order.
    ids: Vec<String>,
}

impl Unlocked {
    fn new(tracked: TrackedVault) -> Self {
        let mut this = Self {
            tracked,
            book: CodeBook::default(),
            ids: Vec::new(),
        };
        this.resync();
        this
    }

    fn vault(&self) -> &OpenVault {
        self.tracked.open()
    }

    /// Rebuilds the code book and ids from the vault: after bulk changes, where inserting one
    /// by one would shift the lists once per entry.
    fn resync(&mut self) {
        let entries = self.tracked.open().entries();
        self.book = CodeBook::new(entries.iter().map(|(_, e)| e));
        self.ids = entries.iter().map(|(id, _)| id.to_hex()).collect();
    }

    /// Index of entry `id` (hex), or `entry_not_found`.
    fn index(&self, id: &str) -> Result<usize, Error> {
        let id = parse_id(id)?;
        self.vault()
            .entries()
            .binary_search_by(|(e, _)| e.cmp(&id))
            .map_err(|_| not_found())
    }

    fn entry(&self, id: &str) -> Result<(EntryId, &Entry), Error> {
        let i = self.index(id)?;
        let (eid, e) = &self.vault().entries()[i];
        Ok((*eid, e))
    }

    /// Inserts the generator and id of the entry just added under `id`.
    fn added(&mut self, id: EntryId) {
        let entries = self.tracked.open().entries();
        if let Ok(i) = entries.binary_search_by(|(e, _)| e.cmp(&id)) {
            self.book.insert(i, &entries[i].1);
            self.ids.insert(i, id.to_hex());
        }
    }
}

fn not_found() -> Error {
    Error::new("entry_not_found", "no entry with this id in the vault")
}

/// Entry ids are 16 bytes, written as 32 lower-case hex digits.
fn parse_id(hex: &str) -> Result<EntryId, Error> {
    let bytes = hex.as_bytes();
    if bytes.len() != 32 {
        return Err(not_found());
    }
    let mut id = [0u8; 16];
    for (out, pair) in id.iter_mut().zip(bytes.chunks_exact(2)) {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(not_found()),
        };
        *out = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Ok(EntryId(id))
}

/// An opened vault. `lock()` (and `free()`) wipe every seed and key it holds; a locked vault
/// throws `vault_locked` from every method but `lock()` and `locked`.
#[wasm_bindgen]
pub struct Vault {
    inner: Option<Unlocked>,
}

impl core::fmt::Debug for Vault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Vault")
            .field("locked", &self.inner.is_none())
            .finish_non_exhaustive()
    }
}

impl Vault {
    fn unlocked(&self) -> Result<&Unlocked, Error> {
        self.inner.as_ref().ok_or_else(Error::locked)
    }

    fn unlocked_mut(&mut self) -> Result<&mut Unlocked, Error> {
        self.inner.as_mut().ok_or_else(Error::locked)
    }

    fn wrap(vault: TrackedVault) -> Vault {
        Vault {
            inner: Some(Unlocked::new(vault)),
        }
    }
}

/// For the sibling binding modules (`matching`, `session`): read access to the open vault and
/// the entry ids as JS sees them (same order as `entries()`), and wrapping an opened vault.
impl Vault {
    pub(crate) fn open_parts(&self) -> Result<(&OpenVault, &[String]), Error> {
        let u = self.unlocked()?;
        Ok((u.vault(), &u.ids))
    }

    /// The tracked vault, for the team bodies (`crate::team`), which may also change it.
    pub(crate) fn tracked_mut(&mut self) -> Result<&mut TrackedVault, Error> {
        Ok(&mut self.unlocked_mut()?.tracked)
    }

    /// A vault opened from `base`, which it keeps for the team bodies.
    pub(crate) fn from_open(vault: OpenVault, base: SealedVault) -> Vault {
        Vault::wrap(TrackedVault::with_base(vault, base))
    }
}

#[wasm_bindgen]
impl Vault {
    /// A new, empty vault (fresh id and key, epoch 1). Seal it with `seal()` to store it, or
    /// `createBody()` to create it on a team server.
    pub fn create(name: String) -> Vault {
        Vault::wrap(TrackedVault::new(OpenVault::create(name, &mut rng())))
    }

    /// Opens a sealed vault (`Uint8Array`, FORMAT.md §9) with a member's unlocked keyring, and
    /// keeps the snapshot as the base of `patchBody()`, `grantBody()` and `rotateBody()`.
    /// All or nothing. Errors: `vault_not_granted`, `vault_tampered_or_wrong_key`,
    /// `vault_malformed`, `vault_bad_magic`, `vault_unsupported_version`, `grant_*`, ...
    pub fn open(sealed: &[u8], keyring: &Keyring) -> Result<Vault, Error> {
        let sealed = SealedVault::from_bytes(sealed)?;
        let open = sealed.open(keyring.core()?)?;
        Ok(Vault::from_open(open, sealed))
    }

    /// Opens a sealed vault with the organisation recovery kit (break-glass). Errors as `open`,
    /// plus `recovery_kit_*` for a kit that does not read.
    #[wasm_bindgen(js_name = openWithRecovery)]
    pub fn open_with_recovery(sealed: &[u8], kit: String) -> Result<Vault, Error> {
        let key = crate::recovery::key_from_kit(kit)?;
        let sealed = SealedVault::from_bytes(sealed)?;
        let open = sealed.open_with_recovery(&key)?;
        Ok(Vault::from_open(open, sealed))
    }

    /// Seals the whole vault, granted to `members` (each the 64 bytes of
    /// `Keyring.prototype.publicKeys()`) and optionally a recovery public key (32 bytes).
    /// Returns the bytes to store. Fresh nonces; entry ids are kept.
    pub fn seal(
        &self,
        members: Vec<js_sys::Uint8Array>,
        #[wasm_bindgen(js_name = recoveryPublicKey)] recovery_public_key: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        let u = self.unlocked()?;
        let members = members
            .iter()
            .map(|m| PublicKeys::from_bytes(&m.to_vec()))
            .collect::<Result<Vec<_>, _>>()?;
        let recovery = match recovery_public_key {
            None => None,
            Some(bytes) => Some(tessera_core::grant::RecoveryPublicKey(
                bytes
                    .try_into()
                    .map_err(|_| Error::bad_argument("recoveryPublicKey must be 32 bytes"))?,
            )),
        };
        Ok(u.vault()
            .seal(&members, recovery.as_ref(), &mut rng())?
            .to_bytes())
    }

    /// Moves to a new key epoch with a fresh key; the next `seal()` re-seals every entry under
    /// it. Grant it only to the members who remain.
    pub fn rotate(&mut self) -> Result<(), Error> {
        Ok(self.unlocked_mut()?.tracked.rotate(&mut rng())?)
    }

    /// The vault id, 32 hex digits.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> Result<String, Error> {
        Ok(self.unlocked()?.vault().id().to_hex())
    }

    /// The key epoch (1 for a new vault, +1 per rotation).
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> Result<u32, Error> {
        Ok(self.unlocked()?.vault().epoch())
    }

    /// The vault's display name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> Result<String, Error> {
        Ok(self.unlocked()?.vault().name().to_owned())
    }

    #[wasm_bindgen(js_name = setName)]
    pub fn set_name(&mut self, name: String) -> Result<(), Error> {
        self.unlocked_mut()?.tracked.set_name(name);
        Ok(())
    }

    /// Number of entries.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<u32, Error> {
        Ok(u32::try_from(self.unlocked()?.ids.len()).unwrap_or(u32::MAX))
    }

    /// Entry ids, in the vault's (id) order: the order of `list()` and of `codes()` without ids.
    pub fn ids(&self) -> Result<Vec<String>, Error> {
        Ok(self.unlocked()?.ids.clone())
    }

    /// Metadata of every entry (`EntryInfo` with `id`), never a seed.
    #[wasm_bindgen(unchecked_return_type = "EntryInfo[]")]
    pub fn list(&self) -> Result<JsValue, Error> {
        let u = self.unlocked()?;
        to_js(|w| {
            w.begin_array();
            for ((_, e), id) in u.vault().entries().iter().zip(&u.ids) {
                EntryInfo::of_entry(Some(id), e).write(w);
            }
            w.end_array();
        })
    }

    /// Metadata of entry `id` (`EntryInfo`), never a seed. Throws `entry_not_found`.
    #[wasm_bindgen(unchecked_return_type = "EntryInfo")]
    pub fn get(&self, id: &str) -> Result<JsValue, Error> {
        let u = self.unlocked()?;
        let i = u.index(id)?;
        EntryInfo::of_entry(Some(&u.ids[i]), &u.vault().entries()[i].1).to_js()
    }

    /// Ids of the entries a query designates (name, issuer, AWS account id or alias; the rules
    /// of `tessera_core::query`), in vault order.
    pub fn search(&self, query: &str) -> Result<Vec<String>, Error> {
        let u = self.unlocked()?;
        let matches = tessera_core::query::find(u.vault().entries().iter().map(|(_, e)| e), query);
        Ok(matches
            .indices
            .into_iter()
            .map(|i| u.ids[i].clone())
            .collect())
    }

    /// The codes of many entries at `unixTime` (seconds), in one call: of `ids` in that order,
    /// or of every entry in vault order (`ids()`). HOTP entries give the code at their counter.
    /// An entry whose parameters this build cannot compute gives `""`. Throws `entry_not_found`
    /// for an unknown id.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn codes(
        &self,
        #[wasm_bindgen(js_name = unixTime)] unix_time: f64,
        ids: Option<Vec<String>>,
    ) -> Result<js_sys::Array, Error> {
        let time = unix_seconds(unix_time)?;
        let u = self.unlocked()?;
        // All codes go out as ONE string, split into an array by JS's own `split`: two
        // crossings instead of one string conversion per code (see docs/PERFORMANCE.md).
        let mut joined = String::with_capacity(u.book.len() * 9);
        let mut count = 0usize;
        let mut push = |i: usize| {
            if count > 0 {
                joined.push(',');
            }
            u.book.write_code(i, time, &mut joined);
            count += 1;
        };
        match ids {
            None => (0..u.book.len()).for_each(&mut push),
            Some(ids) => {
                for id in &ids {
                    push(u.index(id)?);
                }
            }
        }
        if count == 0 {
            return Ok(js_sys::Array::new());
        }
        Ok(js_sys::JsString::from(joined.as_str()).split(","))
    }

    /// The code of entry `id` at `unixTime`. Throws `entry_not_found` or the entry's `otp_*`
    /// error when this build cannot compute it.
    pub fn code(
        &self,
        id: &str,
        #[wasm_bindgen(js_name = unixTime)] unix_time: f64,
    ) -> Result<String, Error> {
        let time = unix_seconds(unix_time)?;
        let u = self.unlocked()?;
        match u.book.code(u.index(id)?, time) {
            Some(Ok(code)) => Ok(code.code),
            Some(Err(e)) => Err(e.into()),
            None => Err(not_found()),
        }
    }

    /// Adds the credential of an `otpauth://` URI, with optional metadata edits (as `update`).
    /// Returns its id. Throws `otpauth_*` for a bad URI.
    pub fn add(
        &mut self,
        uri: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "EntryEdit")] edit: JsValue,
    ) -> Result<String, Error> {
        let mut entry: Entry = tessera_core::otpauth::parse(uri)?.into();
        EntryEdit::from_js(edit)?.apply(&mut entry)?;
        let u = self.unlocked_mut()?;
        let id = u.tracked.add(entry, &mut rng())?;
        u.added(id);
        Ok(id.to_hex())
    }

    /// Adds every credential of a paste or file: one `otpauth://` or `otpauth-migration://`
    /// URI per line (blank and `#` lines skipped). Returns `{added: [{id, line, index?}],
    /// failed: [{line, index?, error, message}]}`; one bad line does not stop the others.
    #[wasm_bindgen(js_name = importText, unchecked_return_type = "ImportReport")]
    pub fn import_text(&mut self, text: &str) -> Result<JsValue, Error> {
        let items = tessera_core::import::read(text)?;
        let u = self.unlocked_mut()?;
        let mut report = ImportReport {
            added: Vec::new(),
            failed: Vec::new(),
        };
        for item in items {
            let result = item
                .result
                .map_err(Error::from)
                .and_then(|e| u.tracked.add(e, &mut rng()).map_err(Error::from));
            match result {
                Ok(id) => {
                    report.added.push(Added {
                        id: id.to_hex(),
                        line: item.line,
                        index: item.index,
                    });
                }
                Err(err) => report.failed.push(Failed {
                    line: item.line,
                    index: item.index,
                    error: err.code(),
                    message: err.message().to_owned(),
                }),
            }
        }
        u.resync();
        to_js(|w| report.write(w))
    }

    /// Changes an entry's metadata (`{label, issuer, awsAccountId, awsAccountAlias,
    /// awsPrincipal: "root" | "iam_user" | null, iamUserName, rootEmail, deviceName, notes}`;
    /// an absent member is kept, `null` clears it). The seed and OTP parameters never change.
    pub fn update(
        &mut self,
        id: &str,
        #[wasm_bindgen(unchecked_param_type = "EntryEdit")] edit: JsValue,
    ) -> Result<(), Error> {
        let edit = EntryEdit::from_js(edit)?;
        let u = self.unlocked_mut()?;
        let (eid, entry) = u.entry(id)?;
        let mut entry = entry.clone();
        edit.apply(&mut entry)?;
        // Metadata only: the seed and parameters, and so the code book slot, are unchanged.
        u.tracked.update(&eid, entry)?;
        Ok(())
    }

    /// Removes entry `id`; its seed is wiped.
    pub fn remove(&mut self, id: &str) -> Result<(), Error> {
        let u = self.unlocked_mut()?;
        let i = u.index(id)?;
        let eid = u.vault().entries()[i].0;
        u.tracked.remove(&eid)?;
        u.book.remove(i);
        u.ids.remove(i);
        Ok(())
    }

    /// Manage flow only: the canonical `otpauth://` URI of entry `id`, seed included.
    #[wasm_bindgen(js_name = exportUri)]
    pub fn export_uri(&self, id: &str) -> Result<js_sys::JsString, Error> {
        let (_, e) = self.unlocked()?.entry(id)?;
        // Copied straight into a JS string from the zeroized buffer: no unwiped Rust copy.
        Ok(js_sys::JsString::from(
            tessera_core::otpauth::to_uri(e)?.as_str(),
        ))
    }

    /// Manage flow only: the seed of entry `id` in upper-case unpadded base32.
    #[wasm_bindgen(js_name = revealSecret)]
    pub fn reveal_secret(&self, id: &str) -> Result<js_sys::JsString, Error> {
        let (_, e) = self.unlocked()?.entry(id)?;
        Ok(js_sys::JsString::from(e.secret.to_base32().as_str()))
    }

    /// Wipes every seed and the vault key now. Later calls throw `vault_locked`.
    pub fn lock(&mut self) {
        self.inner = None;
    }

    #[wasm_bindgen(getter)]
    pub fn locked(&self) -> bool {
        self.inner.is_none()
    }
}

struct ImportReport {
    added: Vec<Added>,
    failed: Vec<Failed>,
}

struct Added {
    id: String,
    line: usize,
    index: Option<usize>,
}

struct Failed {
    line: usize,
    index: Option<usize>,
    error: &'static str,
    message: String,
}

impl ImportReport {
    /// `{added: [{id, line, index?}], failed: [{line, index?, error, message}]}`.
    fn write(&self, w: &mut tessera_core::json::Writer<'_>) {
        let place = |w: &mut tessera_core::json::Writer<'_>, line: usize, index: Option<usize>| {
            w.u64_member("line", line as u64);
            if let Some(i) = index {
                w.u64_member("index", i as u64);
            }
        };
        w.begin_object();
        w.key("added");
        w.begin_array();
        for a in &self.added {
            w.begin_object();
            w.str_member("id", &a.id);
            place(w, a.line, a.index);
            w.end_object();
        }
        w.end_array();
        w.key("failed");
        w.begin_array();
        for f in &self.failed {
            w.begin_object();
            place(w, f.line, f.index);
            w.str_member("error", f.error);
            w.str_member("message", &f.message);
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
}

//! AWS sign-in matching for the extension's background: `tessera_core::matching` with JS types.
//! Conversion only; every decision is the core's.

use tessera_core::matching::{
    self as core_matching, AccountRef, Decision, HostScope, MatchQuality, ResolvingInput,
    SignInContext, SignInPrincipal,
};
use wasm_bindgen::prelude::*;

use tessera_core::json::{JsonError, Reader, once, once_opt_string, required};

use crate::error::Error;
use crate::info::to_js;
use crate::vault::Vault;

/// `core::matching::classify_host`: the sign-in host a URL names, or `undefined` when the URL is
/// not an AWS console sign-in page (http, lookalike host, userinfo, port, ...).
#[wasm_bindgen(js_name = classifyHost)]
pub fn classify_host(url: &str) -> Result<JsValue, Error> {
    let Some(h) = core_matching::classify_host(url) else {
        return Ok(JsValue::UNDEFINED);
    };
    let (scope, region, account) = match &h.scope {
        HostScope::Global => ("global", None, None),
        HostScope::Regional { region } => ("regional", Some(region.as_str()), None),
        HostScope::Account(a) => ("account", None, Some(a)),
    };
    // `{partition, host, scope: "global" | "regional" | "account", region?, accountId?,
    // accountAlias?}`.
    to_js(|w| {
        w.begin_object();
        w.str_member("partition", h.partition.id());
        w.str_member("host", &h.host);
        w.str_member("scope", scope);
        w.opt_str_member("region", region);
        match account {
            Some(AccountRef::Id(id)) => w.str_member("accountId", id),
            Some(AccountRef::Alias(alias)) => w.str_member("accountAlias", alias),
            None => {}
        }
        w.end_object();
    })
}

/// What the background knows about one tab's sign-in: the sign-in URL that names the most
/// (an `ACCOUNT.signin...` URL when the flow passed one) and the raw values the content script
/// reported for each credential field.
struct ContextIn {
    url: String,
    resolving: Option<String>,
    account: Option<String>,
    username: Option<String>,
}

impl ContextIn {
    /// `{url, resolving?, account?, username?}` (strings; the optional ones may be `null`), no
    /// other member, none twice.
    fn read(r: &mut Reader<'_>) -> Result<Self, JsonError> {
        let mut url = None;
        // `None` absent, `Some(None)` null: a member given twice is refused either way.
        let (mut resolving, mut account, mut username) = (None, None, None);
        r.object()?;
        let mut first = true;
        while let Some(key) = r.member(&mut first)? {
            match &*key {
                "url" => once(&mut url, "url", r.owned_string()?)?,
                "resolving" => once_opt_string(r, &mut resolving, "resolving")?,
                "account" => once_opt_string(r, &mut account, "account")?,
                "username" => once_opt_string(r, &mut username, "username")?,
                other => return Err(JsonError::Unknown(other.to_owned())),
            }
        }
        Ok(Self {
            url: required(url, "url")?,
            resolving: resolving.flatten(),
            account: account.flatten(),
            username: username.flatten(),
        })
    }

    /// The core's context. A typed value the core refuses (not an account, user name or
    /// e-mail) says nothing, exactly as if it had not been typed.
    fn to_core(&self) -> Result<SignInContext, Error> {
        let host = core_matching::classify_host(&self.url)
            .ok_or_else(|| Error::new("signin_not_sign_in_host", "not an AWS sign-in page"))?;
        let mut context = SignInContext::from_host(&host);
        if let Some(input) = self
            .resolving
            .as_deref()
            .and_then(|v| ResolvingInput::parse(v).ok())
        {
            context.apply_resolving_input(input);
        }
        if let Some(account) = self
            .account
            .as_deref()
            .and_then(|v| AccountRef::parse(v).ok())
        {
            context.account = Some(account);
        }
        if let Some(user) = self
            .username
            .as_deref()
            .and_then(|v| SignInPrincipal::iam_user(v).ok())
        {
            context.principal = Some(user);
        }
        Ok(context)
    }
}

fn quality_name(q: MatchQuality) -> &'static str {
    match q {
        MatchQuality::Possible => "possible",
        MatchQuality::Principal => "principal",
        MatchQuality::Account => "account",
        MatchQuality::Exact => "exact",
    }
}

/// `core::matching::rank` of the vault's entries for a sign-in (`{url, resolving?, account?,
/// username?}`) and `Ranking::decision_remembering` with the id of a choice the user confirmed
/// earlier for this account. Returns `{candidates: [{id, quality}], fill: id | null,
/// accountKey}`, candidates best first. Throws `signin_not_sign_in_host` when `url` is not a
/// sign-in page, `bad_argument` for a context of the wrong shape, `vault_locked`.
#[wasm_bindgen(js_name = rankSignIn)]
pub fn rank_sign_in(
    vault: &Vault,
    context: JsValue,
    remembered: Option<String>,
) -> Result<JsValue, Error> {
    let context = crate::info::from_js(&context, ContextIn::read)?;
    let context = context.to_core()?;
    let (open, ids) = vault.open_parts()?;
    let ranking = core_matching::rank(&context, open.entries().iter().map(|(_, e)| e));
    let remembered = remembered.and_then(|r| ids.iter().position(|id| *id == r));
    let fill = match ranking.decision_remembering(remembered) {
        Decision::Fill { index } => ids.get(index).map(String::as_str),
        Decision::Choose => None,
    };
    let account_key = context.account_key();
    // `candidates`: best first. `fill`: the entry to fill without asking, or `null` (show the
    // chooser). `accountKey`: what names the account in this context, for remembering a choice
    // per account (`PARTITION:id:DIGITS`, `PARTITION:alias:ALIAS` or `PARTITION:root:EMAIL`,
    // lower case), `null` when nothing does.
    to_js(|w| {
        w.begin_object();
        w.key("candidates");
        w.begin_array();
        for c in ranking.candidates() {
            if let Some(id) = ids.get(c.index) {
                w.begin_object();
                w.str_member("id", id);
                w.str_member("quality", quality_name(c.quality));
                w.end_object();
            }
        }
        w.end_array();
        w.str_or_null_member("fill", fill);
        w.str_or_null_member("accountKey", account_key.as_deref());
        w.end_object();
    })
}

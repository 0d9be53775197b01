//! AWS sign-in matching for the extension's background: `tessera_core::matching` with JS types.
//! Conversion only; every decision is the core's.

use serde::{Deserialize, Serialize};
use tessera_core::matching::{
    self as core_matching, AccountRef, Decision, HostScope, MatchQuality, ResolvingInput,
    SignInContext, SignInPrincipal,
};
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::info::to_js;
use crate::vault::Vault;

/// `{partition, host, scope: "global" | "regional" | "account", region?, accountId?,
/// accountAlias?}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HostInfo<'a> {
    partition: &'static str,
    host: &'a str,
    scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_alias: Option<&'a str>,
}

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
    to_js(&HostInfo {
        partition: h.partition.id(),
        host: &h.host,
        scope,
        region,
        account_id: match account {
            Some(AccountRef::Id(id)) => Some(id.as_str()),
            _ => None,
        },
        account_alias: match account {
            Some(AccountRef::Alias(alias)) => Some(alias.as_str()),
            _ => None,
        },
    })
}

/// What the background knows about one tab's sign-in: the sign-in URL that names the most
/// (an `ACCOUNT.signin...` URL when the flow passed one) and the raw values the content script
/// reported for each credential field.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ContextIn {
    url: String,
    #[serde(default)]
    resolving: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

impl ContextIn {
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

#[derive(Serialize)]
struct CandidateOut<'a> {
    id: &'a str,
    quality: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RankingOut<'a> {
    candidates: Vec<CandidateOut<'a>>,
    /// The entry to fill without asking, or `null`: show the chooser.
    fill: Option<&'a str>,
    /// What names the account in this context, for remembering a choice per account:
    /// `PARTITION:id:DIGITS`, `PARTITION:alias:ALIAS` or `PARTITION:root:EMAIL` (lower case);
    /// `null` when nothing does.
    account_key: Option<String>,
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
    let context: ContextIn = crate::info::from_js(&context)?;
    let context = context.to_core()?;
    let (open, ids) = vault.open_parts()?;
    let ranking = core_matching::rank(&context, open.entries().iter().map(|(_, e)| e));
    let remembered = remembered.and_then(|r| ids.iter().position(|id| *id == r));
    let fill = match ranking.decision_remembering(remembered) {
        Decision::Fill { index } => ids.get(index).map(String::as_str),
        Decision::Choose => None,
    };
    let candidates = ranking
        .candidates()
        .iter()
        .filter_map(|c| {
            ids.get(c.index).map(|id| CandidateOut {
                id,
                quality: quality_name(c.quality),
            })
        })
        .collect();
    to_js(&RankingOut {
        candidates,
        fill,
        account_key: context.account_key(),
    })
}

use super::*;
use crate::secret::SecretBytes;

// ---- classify_host -------------------------------------------------------------------------

fn scope(url: &str) -> Option<(Partition, HostScope)> {
    classify_host(url).map(|h| (h.partition, h.scope))
}

fn account_id(id: &str) -> HostScope {
    HostScope::Account(AccountRef::Id(id.to_owned()))
}

fn alias(a: &str) -> HostScope {
    HostScope::Account(AccountRef::Alias(a.to_owned()))
}

fn regional(r: &str) -> HostScope {
    HostScope::Regional {
        region: r.to_owned(),
    }
}

#[test]
fn accepts_the_bare_sign_in_domain_of_every_partition() {
    for partition in Partition::ALL {
        let url = format!(
            "https://{}/signin?redirect_uri=x",
            partition.signin_domain()
        );
        assert_eq!(scope(&url), Some((partition, HostScope::Global)), "{url}");
    }
}

#[test]
fn accepts_real_sign_in_urls() {
    let cases = [
        (
            "https://signin.aws.amazon.com/signin?redirect_uri=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome&client_id=arn%3Aaws%3Asignin%3A%3A%3Aconsole%2Fcanvas&forceMobileApp=0",
            Partition::Aws,
            HostScope::Global,
        ),
        (
            "https://123456789012.signin.aws.amazon.com/console",
            Partition::Aws,
            account_id("123456789012"),
        ),
        (
            "https://my-company-prod.signin.aws.amazon.com/console/",
            Partition::Aws,
            alias("my-company-prod"),
        ),
        (
            "https://us-east-1.signin.aws.amazon.com/oauth?response_type=code&client_id=arn%3Aaws%3Aiam%3A%3A015428540659%3Auser%2Fs3",
            Partition::Aws,
            regional("us-east-1"),
        ),
        (
            "https://ap-southeast-2.signin.aws.amazon.com/oauth",
            Partition::Aws,
            regional("ap-southeast-2"),
        ),
        (
            "https://af-south-1.signin.aws.amazon.com/",
            Partition::Aws,
            regional("af-south-1"),
        ),
        (
            "https://signin.amazonaws-us-gov.com/oauth?Action=logout",
            Partition::AwsUsGov,
            HostScope::Global,
        ),
        (
            "https://us-gov-west-1.signin.amazonaws-us-gov.com/oauth",
            Partition::AwsUsGov,
            regional("us-gov-west-1"),
        ),
        (
            "https://123456789012.signin.amazonaws-us-gov.com/console",
            Partition::AwsUsGov,
            account_id("123456789012"),
        ),
        (
            "https://cn-northwest-1.signin.amazonaws.cn/",
            Partition::AwsCn,
            regional("cn-northwest-1"),
        ),
        (
            "https://my-alias.signin.amazonaws.cn/console",
            Partition::AwsCn,
            alias("my-alias"),
        ),
        (
            "https://eusc-de-east-1.signin.amazonaws-eusc.eu/oauth",
            Partition::AwsEusc,
            regional("eusc-de-east-1"),
        ),
        (
            "https://123456789012.signin.amazonaws-eusc.eu/console",
            Partition::AwsEusc,
            account_id("123456789012"),
        ),
        (
            "https://signin.aws.amazon.com",
            Partition::Aws,
            HostScope::Global,
        ),
        (
            "https://signin.aws.amazon.com?x",
            Partition::Aws,
            HostScope::Global,
        ),
        (
            "https://signin.aws.amazon.com#frag",
            Partition::Aws,
            HostScope::Global,
        ),
    ];
    for (url, partition, expected) in cases {
        assert_eq!(scope(url), Some((partition, expected)), "{url}");
    }
}

#[test]
fn normalises_case_and_the_default_port() {
    let host = classify_host("HTTPS://My-Alias.SIGNIN.AWS.Amazon.COM:443/console").unwrap();
    assert_eq!(host.partition, Partition::Aws);
    assert_eq!(host.host, "my-alias.signin.aws.amazon.com");
    assert_eq!(host.scope, alias("my-alias"));
    // An empty port is the default port (WHATWG URL parsing drops it).
    assert!(classify_host("https://signin.aws.amazon.com:/").is_some());
}

#[test]
fn rejects_lookalike_and_unsafe_urls() {
    let rejected = [
        // Lookalike hosts.
        "https://signin.aws.amazon.com.example.net/",
        "https://signin.aws.amazon.com.example.net",
        "https://signin-aws-amazon.com/",
        "https://signin.aws-amazon.com/",
        "https://evilsignin.aws.amazon.com/",
        "https://signinaws.amazon.com/",
        "https://aws.amazon.com/",
        "https://console.aws.amazon.com/console/home",
        "https://us-east-1.console.aws.amazon.com/",
        "https://signin.aws.amazon.co/",
        "https://signin.aws.amazon.com.cn/",
        "https://signin.amazonaws-us-gov.com.evil.io/",
        "https://signin.amazonaws.cn.evil.io/",
        "https://signin.amazonaws-eusc.eu.evil.io/",
        "https://signin.amazonaws.com/",
        // Scheme.
        "http://signin.aws.amazon.com/",
        "http://123456789012.signin.aws.amazon.com/console",
        "ftp://signin.aws.amazon.com/",
        "wss://signin.aws.amazon.com/",
        "https:signin.aws.amazon.com/",
        "https:/signin.aws.amazon.com/",
        "//signin.aws.amazon.com/",
        "signin.aws.amazon.com",
        "",
        "https://",
        "https:///signin.aws.amazon.com/",
        // Userinfo: the host is what follows the `@`.
        "https://signin.aws.amazon.com@evil.com/",
        "https://signin.aws.amazon.com:443@evil.com/",
        "https://user:pass@signin.aws.amazon.com/",
        "https://@signin.aws.amazon.com/",
        // Backslash, escapes, white space, control characters.
        "https://signin.aws.amazon.com\\@evil.com/",
        "https://evil.com\\.signin.aws.amazon.com/",
        "https://signin.aws.amazon.com%2eevil.com/",
        "https://signin%2eaws.amazon.com/",
        " https://signin.aws.amazon.com/",
        "https://signin.aws.amazon.com /",
        "https://signin.aws.amazon.com\t/",
        "https://signin.aws.amazon.com\n/",
        "https://signin.aws.amazon.com\u{7f}/",
        // Trailing dot, empty labels.
        "https://signin.aws.amazon.com./",
        "https://signin.aws.amazon.com../",
        "https://123456789012.signin.aws.amazon.com./console",
        "https://.signin.aws.amazon.com/",
        "https://a..signin.aws.amazon.com/",
        // Ports other than the default.
        "https://signin.aws.amazon.com:8443/",
        "https://signin.aws.amazon.com:80/",
        "https://signin.aws.amazon.com:0443/",
        "https://signin.aws.amazon.com:443:443/",
        "https://signin.aws.amazon.com:abc/",
        // IDN: non-ASCII (a Cyrillic `а`), punycode lookalikes, punycode labels.
        "https://signin.aws.\u{430}mazon.com/",
        "https://sign\u{131}n.aws.amazon.com/",
        "https://signin.aws.xn--mazon-3ve.com/",
        "https://xn--signin-aws-amazon-com.example/",
        "https://xn--80ak6aa92e.signin.aws.amazon.com/",
        "https://xn--bcher-kva.signin.aws.amazon.com/console",
        // IP literals and more than one label in front of the domain.
        "https://[::1]/",
        "https://[2001:db8::1].signin.aws.amazon.com/",
        "https://54.239.28.85/",
        "https://a.b.signin.aws.amazon.com/",
        "https://evil.com.123456789012.signin.aws.amazon.com/",
        "https://us-east-1.my-alias.signin.aws.amazon.com/",
        // Labels that are neither a region, an account id nor an alias.
        "https://-alias.signin.aws.amazon.com/",
        "https://alias-.signin.aws.amazon.com/",
        "https://ab.signin.aws.amazon.com/",
        "https://under_score.signin.aws.amazon.com/",
        "https://a--b.signin.aws.amazon.com/",
        "https://*.signin.aws.amazon.com/",
    ];
    for url in rejected {
        assert_eq!(classify_host(url), None, "{url:?} must be rejected");
    }
    let too_long = format!("https://{}.signin.aws.amazon.com/", "a".repeat(64));
    assert_eq!(classify_host(&too_long), None);
}

#[test]
fn the_host_ends_at_path_query_or_fragment() {
    // Whatever follows the authority cannot change the host.
    for url in [
        "https://evil.com/signin.aws.amazon.com",
        "https://evil.com?.signin.aws.amazon.com",
        "https://evil.com#.signin.aws.amazon.com",
        "https://evil.com/@signin.aws.amazon.com",
    ] {
        assert_eq!(classify_host(url), None, "{url}");
    }
    assert_eq!(
        scope("https://signin.aws.amazon.com/redirect?to=https://evil.com@x"),
        Some((Partition::Aws, HostScope::Global))
    );
}

#[test]
fn region_labels_are_not_aliases() {
    for region in [
        "us-east-1",
        "us-west-2",
        "eu-central-1",
        "ap-northeast-3",
        "me-south-1",
        "il-central-1",
        "mx-central-1",
        "ca-west-1",
        "sa-east-1",
        "us-gov-east-1",
        "cn-north-1",
    ] {
        assert_eq!(classify_label(region), Some(regional(region)), "{region}");
    }
    // Alias-shaped labels that only resemble regions.
    for label in [
        "my-team-1",
        "us-team-1",
        "east-1-prod",
        "us-east",
        "us-east-one",
        "prod-us-east-1",
    ] {
        assert_eq!(classify_label(label), Some(alias(label)), "{label}");
    }
}

#[test]
fn partition_ids() {
    let ids: Vec<_> = Partition::ALL.iter().map(|p| p.id()).collect();
    assert_eq!(ids, ["aws", "aws-us-gov", "aws-cn", "aws-eusc"]);
}

// ---- typed values --------------------------------------------------------------------------

#[test]
fn parses_account_ids_and_aliases_as_typed() {
    let id = AccountRef::Id("123456789012".into());
    assert_eq!(AccountRef::parse("123456789012"), Ok(id.clone()));
    assert_eq!(AccountRef::parse(" 1234-5678-9012 "), Ok(id.clone()));
    assert_eq!(AccountRef::parse("1234 5678 9012"), Ok(id));
    assert_eq!(
        AccountRef::parse("My-Company"),
        Ok(AccountRef::Alias("my-company".into()))
    );
    assert_eq!(
        AccountRef::parse("12345"),
        Ok(AccountRef::Alias("12345".into()))
    );
    assert_eq!(AccountRef::parse("   "), Err(MatchingError::Empty));
    for bad in [
        "ab", "-abc", "abc-", "a--b", "xn--abc", "a_b_c", "ab.cd", "ab cd", "résumé", "a@b.c",
    ] {
        assert_eq!(
            AccountRef::parse(bad),
            Err(MatchingError::InvalidAccount),
            "{bad}"
        );
    }
    assert_eq!(
        AccountRef::parse(&"a".repeat(63)).map(|a| a.as_str().len()),
        Ok(63)
    );
    assert_eq!(
        AccountRef::parse(&"a".repeat(64)),
        Err(MatchingError::InvalidAccount)
    );
}

#[test]
fn parses_the_resolving_input() {
    assert_eq!(
        ResolvingInput::parse(" Root@Example.com "),
        Ok(ResolvingInput::RootEmail("Root@Example.com".into()))
    );
    assert_eq!(
        ResolvingInput::parse("my-alias"),
        Ok(ResolvingInput::Account(AccountRef::Alias(
            "my-alias".into()
        )))
    );
    assert_eq!(
        ResolvingInput::parse("a@"),
        Err(MatchingError::InvalidEmail)
    );
    assert_eq!(
        ResolvingInput::parse("@b"),
        Err(MatchingError::InvalidEmail)
    );
    assert_eq!(
        ResolvingInput::parse("a@b@c"),
        Err(MatchingError::InvalidEmail)
    );
    assert_eq!(
        ResolvingInput::parse("a b@c"),
        Err(MatchingError::InvalidEmail)
    );
    assert_eq!(ResolvingInput::parse(""), Err(MatchingError::Empty));
}

#[test]
fn parses_principals() {
    assert_eq!(
        SignInPrincipal::iam_user(" alice.smith+ops@corp "),
        Ok(SignInPrincipal::IamUser {
            name: "alice.smith+ops@corp".into()
        })
    );
    assert_eq!(SignInPrincipal::iam_user(""), Err(MatchingError::Empty));
    assert_eq!(
        SignInPrincipal::iam_user("al ice"),
        Err(MatchingError::InvalidUserName)
    );
    assert_eq!(
        SignInPrincipal::iam_user(&"a".repeat(65)),
        Err(MatchingError::InvalidUserName)
    );
    assert_eq!(
        SignInPrincipal::root_email("ops@example.com"),
        Ok(SignInPrincipal::Root {
            email: Some("ops@example.com".into())
        })
    );
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(
        SignInPrincipal::root_email(&long),
        Err(MatchingError::InvalidEmail)
    );
}

#[test]
fn error_codes_are_stable_and_errors_carry_no_input() {
    let all = [
        MatchingError::Empty,
        MatchingError::InvalidAccount,
        MatchingError::InvalidUserName,
        MatchingError::InvalidEmail,
    ];
    let codes: Vec<_> = all.iter().map(MatchingError::code).collect();
    assert_eq!(
        codes,
        [
            "signin_empty",
            "signin_invalid_account",
            "signin_invalid_user_name",
            "signin_invalid_email"
        ]
    );
    let secret_looking = "hunter2-secret-account";
    let err = SignInPrincipal::iam_user(&format!("{secret_looking} !")).unwrap_err();
    assert!(!err.to_string().contains(secret_looking));
}

#[test]
fn context_from_hosts_and_typed_values() {
    let host = classify_host("https://my-alias.signin.aws.amazon.com/console").unwrap();
    let mut ctx = SignInContext::from_host(&host);
    assert_eq!(ctx.partition, Some(Partition::Aws));
    assert_eq!(ctx.account, Some(AccountRef::Alias("my-alias".into())));
    // What the user types replaces what the host said.
    ctx.apply_resolving_input(ResolvingInput::parse("123456789012").unwrap());
    assert_eq!(ctx.account, Some(AccountRef::Id("123456789012".into())));
    ctx.apply_resolving_input(ResolvingInput::parse("root@example.com").unwrap());
    assert_eq!(
        ctx.principal,
        Some(SignInPrincipal::Root {
            email: Some("root@example.com".into())
        })
    );

    let regional = classify_host("https://us-east-1.signin.aws.amazon.com/oauth").unwrap();
    assert_eq!(SignInContext::from_host(&regional).account, None);
}

// ---- rank ----------------------------------------------------------------------------------

fn entry(label: &str) -> Entry {
    Entry::new(SecretBytes::new(vec![0x5a; 20]), label)
}

fn iam(label: &str, account: &str, user: &str) -> Entry {
    let mut e = entry(label);
    e.issuer = Some("Amazon Web Services".into());
    match AccountRef::parse(account) {
        Ok(AccountRef::Id(id)) => e.aws_account_id = Some(id),
        Ok(AccountRef::Alias(a)) => e.aws_account_alias = Some(a),
        Err(_) => panic!("bad test account {account}"),
    }
    e.aws_principal = Some(AwsPrincipal::IamUser { name: user.into() });
    e
}

fn root(label: &str, account: Option<&str>, email: Option<&str>) -> Entry {
    let mut e = entry(label);
    e.issuer = Some("Amazon Web Services".into());
    e.aws_account_id = account.map(str::to_owned);
    e.aws_principal = Some(AwsPrincipal::Root {
        email: email.map(str::to_owned),
    });
    e
}

fn ctx(account: Option<&str>, principal: Option<SignInPrincipal>) -> SignInContext {
    SignInContext {
        partition: Some(Partition::Aws),
        account: account.map(|a| AccountRef::parse(a).unwrap()),
        principal,
    }
}

fn user(name: &str) -> Option<SignInPrincipal> {
    Some(SignInPrincipal::iam_user(name).unwrap())
}

fn ranked(context: &SignInContext, entries: &[Entry]) -> Vec<(usize, MatchQuality)> {
    rank(context, entries)
        .candidates()
        .iter()
        .map(|c| (c.index, c.quality))
        .collect()
}

#[test]
fn iam_user_of_one_account_among_many_fills() {
    let entries = [
        iam("prod alice", "111111111111", "alice"),
        iam("staging alice", "222222222222", "alice"),
        iam("prod bob", "111111111111", "bob"),
        entry("GitHub"),
    ];
    let context = ctx(Some("111111111111"), user("Alice"));
    let ranking = rank(&context, &entries);
    assert_eq!(ranked(&context, &entries), [(0, MatchQuality::Exact)]);
    assert_eq!(ranking.decision(), Decision::Fill { index: 0 });
}

#[test]
fn aliases_match_aliases_case_insensitively() {
    let mut e = iam("corp", "corp-prod", "alice");
    e.aws_account_alias = Some("Corp-Prod".into());
    let context = ctx(Some("CORP-PROD"), user("alice"));
    assert_eq!(ranked(&context, &[e]), [(0, MatchQuality::Exact)]);
}

#[test]
fn an_id_does_not_confirm_or_contradict_an_alias() {
    // The entry knows only the alias, the user typed the id: nothing links the two.
    let entries = [iam("corp alice", "corp-prod", "alice")];
    let context = ctx(Some("123456789012"), user("alice"));
    assert_eq!(ranked(&context, &entries), [(0, MatchQuality::Principal)]);
    assert_eq!(rank(&context, &entries).decision(), Decision::Choose);
}

#[test]
fn entry_account_ids_may_be_grouped() {
    let mut e = iam("grouped", "123456789012", "alice");
    e.aws_account_id = Some("1234-5678-9012".into());
    assert_eq!(
        ranked(&ctx(Some("123456789012"), user("alice")), &[e]),
        [(0, MatchQuality::Exact)]
    );
}

#[test]
fn root_email_alone_is_exact() {
    let entries = [
        root("prod root", Some("111111111111"), Some("prod@example.com")),
        root("dev root", Some("222222222222"), Some("dev@example.com")),
        iam("prod alice", "111111111111", "alice"),
    ];
    let context = ctx(
        None,
        Some(SignInPrincipal::root_email("PROD@example.com ").unwrap()),
    );
    assert_eq!(ranked(&context, &entries), [(0, MatchQuality::Exact)]);
    assert_eq!(
        rank(&context, &entries).decision(),
        Decision::Fill { index: 0 }
    );
}

#[test]
fn root_without_email_on_the_entry_needs_the_account() {
    let entries = [
        root("prod root", Some("111111111111"), None),
        root("dev root", Some("222222222222"), None),
    ];
    // Root sign-in on the global host: only the e-mail is known, and the entries lack it.
    let by_email = ctx(
        None,
        Some(SignInPrincipal::root_email("x@example.com").unwrap()),
    );
    assert_eq!(
        ranked(&by_email, &entries),
        [(0, MatchQuality::Principal), (1, MatchQuality::Principal)]
    );
    assert_eq!(rank(&by_email, &entries).decision(), Decision::Choose);
    // Root sign-in that started on the account's own URL: the account decides.
    let by_account = ctx(
        Some("222222222222"),
        Some(SignInPrincipal::root_email("x@example.com").unwrap()),
    );
    assert_eq!(ranked(&by_account, &entries), [(1, MatchQuality::Exact)]);
    assert_eq!(
        rank(&by_account, &entries).decision(),
        Decision::Fill { index: 1 }
    );
}

#[test]
fn contradictions_exclude() {
    let entries = [
        root(
            "root other mail",
            Some("111111111111"),
            Some("other@example.com"),
        ),
        iam("iam", "111111111111", "alice"),
        root("root", Some("111111111111"), None),
    ];
    // Root e-mail differs; IAM versus root; the plain root entry stays.
    let context = ctx(
        Some("111111111111"),
        Some(SignInPrincipal::root_email("me@example.com").unwrap()),
    );
    assert_eq!(ranked(&context, &entries), [(2, MatchQuality::Exact)]);
    // IAM user of another name, or root, in the same account: nothing.
    assert!(ranked(&ctx(Some("111111111111"), user("carol")), &entries[1..2]).is_empty());
    assert!(ranked(&ctx(Some("222222222222"), user("alice")), &entries).is_empty());
}

#[test]
fn account_only_matches_fill_when_alone_and_ask_when_not() {
    let mut no_principal = entry("prod device");
    no_principal.aws_account_id = Some("111111111111".into());
    let context = ctx(Some("111111111111"), user("alice"));
    assert_eq!(
        ranked(&context, std::slice::from_ref(&no_principal)),
        [(0, MatchQuality::Account)]
    );
    assert_eq!(
        rank(&context, std::slice::from_ref(&no_principal)).decision(),
        Decision::Fill { index: 0 }
    );

    let two = [no_principal.clone(), no_principal];
    assert_eq!(rank(&context, &two).decision(), Decision::Choose);
}

#[test]
fn an_exact_match_beats_account_only_matches() {
    let mut no_principal = entry("prod device");
    no_principal.aws_account_id = Some("111111111111".into());
    let entries = [no_principal, iam("prod alice", "111111111111", "alice")];
    let context = ctx(Some("111111111111"), user("alice"));
    assert_eq!(
        ranked(&context, &entries),
        [(1, MatchQuality::Exact), (0, MatchQuality::Account)]
    );
    assert_eq!(
        rank(&context, &entries).decision(),
        Decision::Fill { index: 1 }
    );
}

#[test]
fn two_exact_matches_ask() {
    let entries = [
        iam("alice phone", "111111111111", "alice"),
        iam("alice yubikey", "111111111111", "ALICE"),
    ];
    let context = ctx(Some("111111111111"), user("alice"));
    assert_eq!(
        ranked(&context, &entries),
        [(0, MatchQuality::Exact), (1, MatchQuality::Exact)]
    );
    assert_eq!(rank(&context, &entries).decision(), Decision::Choose);
}

#[test]
fn a_user_name_alone_never_fills() {
    let entries = [iam("prod alice", "111111111111", "alice")];
    let context = ctx(None, user("alice"));
    assert_eq!(ranked(&context, &entries), [(0, MatchQuality::Principal)]);
    assert_eq!(rank(&context, &entries).decision(), Decision::Choose);
}

#[test]
fn nothing_known_lists_aws_entries_only() {
    let mut by_issuer = entry("someone");
    by_issuer.issuer = Some(" aws ".into());
    let mut by_device = entry("device only");
    by_device.aws_principal = Some(AwsPrincipal::Root { email: None });
    let mut other = entry("GitHub");
    other.issuer = Some("GitHub".into());
    let entries = [other, by_issuer, entry("no issuer"), by_device];
    let context = SignInContext::default();
    assert_eq!(
        ranked(&context, &entries),
        [(1, MatchQuality::Possible), (3, MatchQuality::Possible)]
    );
    assert_eq!(rank(&context, &entries).decision(), Decision::Choose);
    assert_eq!(rank(&context, &entries[..1]).decision(), Decision::Choose);
    assert!(rank(&context, &[]).candidates().is_empty());
}

#[test]
fn a_lone_possible_candidate_still_asks() {
    let mut e = entry("aws");
    e.issuer = Some("Amazon Web Services".into());
    assert_eq!(
        rank(&SignInContext::default(), &[e]).decision(),
        Decision::Choose
    );
}

#[test]
fn a_remembered_choice_wins_while_it_is_still_a_candidate() {
    let entries = [
        iam("alice phone", "111111111111", "alice"),
        iam("alice key", "111111111111", "alice"),
    ];
    let context = ctx(Some("111111111111"), user("alice"));
    let ranking = rank(&context, &entries);
    assert_eq!(ranking.decision(), Decision::Choose);
    assert_eq!(
        ranking.decision_remembering(Some(1)),
        Decision::Fill { index: 1 }
    );
    assert_eq!(ranking.decision_remembering(None), Decision::Choose);
    // A remembered entry the context now contradicts is ignored.
    let bob = ctx(Some("111111111111"), user("bob"));
    let mut entries = entries.to_vec();
    entries.push(iam("bob", "111111111111", "bob"));
    assert_eq!(
        rank(&bob, &entries).decision_remembering(Some(0)),
        Decision::Fill { index: 2 }
    );
    assert_eq!(
        rank(&bob, &entries).decision_remembering(Some(7)),
        Decision::Fill { index: 2 }
    );
}

#[test]
fn ranking_keeps_vault_order_within_a_quality() {
    let mut entries = Vec::new();
    for i in 0..5 {
        let mut e = entry(&format!("aws {i}"));
        e.issuer = Some("Amazon Web Services".into());
        entries.push(e);
    }
    entries.insert(2, iam("alice", "111111111111", "alice"));
    let context = ctx(None, user("alice"));
    let order: Vec<_> = rank(&context, &entries)
        .candidates()
        .iter()
        .map(|c| c.index)
        .collect();
    assert_eq!(order, [2, 0, 1, 3, 4, 5]);
}

#[test]
fn qualities_are_ordered() {
    assert!(MatchQuality::Possible < MatchQuality::Principal);
    assert!(MatchQuality::Principal < MatchQuality::Account);
    assert!(MatchQuality::Account < MatchQuality::Exact);
    assert!(!MatchQuality::Possible.is_confident());
    assert!(!MatchQuality::Principal.is_confident());
    assert!(MatchQuality::Account.is_confident());
    assert!(MatchQuality::Exact.is_confident());
}

// ---- account_key ---------------------------------------------------------------------------

fn context_key(url: &str, resolving: Option<&str>) -> Option<String> {
    let mut c = SignInContext::from_host(&classify_host(url).unwrap());
    if let Some(r) = resolving {
        c.apply_resolving_input(ResolvingInput::parse(r).unwrap());
    }
    c.account_key()
}

#[test]
fn account_key_names_the_account_or_the_root_email() {
    assert_eq!(
        context_key("https://123456789012.signin.aws.amazon.com/console", None).as_deref(),
        Some("aws:id:123456789012")
    );
    assert_eq!(
        context_key("https://signin.aws.amazon.com/signin", Some("my-alias")).as_deref(),
        Some("aws:alias:my-alias")
    );
    assert_eq!(
        context_key(
            "https://signin.aws.amazon.com/signin",
            Some(" Root@Example.com ")
        )
        .as_deref(),
        Some("aws:root:root@example.com")
    );
    assert_eq!(
        context_key("https://signin.aws.amazon.com/signin", None),
        None
    );
    // The account wins over a root e-mail; an unknown partition is `aws`.
    let c = SignInContext {
        partition: None,
        account: Some(AccountRef::Id("123456789012".into())),
        principal: Some(SignInPrincipal::Root {
            email: Some("a@b.c".into()),
        }),
    };
    assert_eq!(c.account_key().as_deref(), Some("aws:id:123456789012"));
}

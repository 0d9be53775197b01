//! The vault commands against a temporary TESSERA_HOME: good paths, bad paths, crash safety.

// Helpers outside #[test] functions are not covered by clippy.toml's allow-unwrap-in-tests;
// in a test, a failing unwrap is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::process::Stdio;

use common::{Home, PASSPHRASE, RFC_SEED, get, vector_records};

const GITHUB: &str = "otpauth://totp/GitHub:alice?secret=ORSXG43FOJQS243FMVSC233OMU&issuer=GitHub";
const AWS_ROOT: &str = "otpauth://totp/Amazon%20Web%20Services:root-account-mfa-device@123456789012\
                        ?secret=UUXGEFACW7KYOGBGPFJVJLFVZ4STLERT2S7A6D6ZD725YKDD545BQ6EXZYFPZ4QL\
                        &issuer=Amazon%20Web%20Services";
const AWS_ALIAS: &str = "otpauth://totp/Amazon%20Web%20Services:deploy@acme-prod\
                         ?secret=ORSXG43FOJQS243FMVSC25DXN4&issuer=Amazon%20Web%20Services";
const PLAIN: &str = "otpauth://totp/carol?secret=AEBAGBAFAYDQQCIKBMGA2DQPCA";
const T: &str = "1700000000";

/// The code of `uri` at [`T`], computed by `tessera code URI`.
fn uri_code(home: &Home, uri: &str) -> String {
    let run = home.run(&["code", "--at", T, uri]);
    run.ok();
    run.stdout
}

fn sample_home() -> Home {
    let home = Home::init();
    for uri in [GITHUB, AWS_ROOT, AWS_ALIAS, PLAIN] {
        home.add(&[uri]);
    }
    home
}

#[test]
fn init_creates_private_files_with_the_floor_kdf_and_refuses_twice() {
    let home = Home::new();
    let run = home.run(&["init"]);
    run.ok();
    assert!(run.stdout.contains("Key fingerprint"), "{run:?}");
    let keyring = fs::read(home.keyring()).unwrap();
    // FORMAT.md §3: m_kib, t, p at offsets 6, 10, 14.
    let u32_at = |i: usize| u32::from_be_bytes(keyring[i..i + 4].try_into().unwrap());
    assert_eq!((u32_at(6), u32_at(10), u32_at(14)), (19 * 1024, 2, 1));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home.dir), 0o700);
        assert_eq!(mode(&home.keyring()), 0o600);
        assert_eq!(mode(&home.vault()), 0o600);
    }
    let vault = fs::read(home.vault()).unwrap();
    let line = home.run(&["init"]).fails(1, 0).to_owned();
    assert!(line.contains("already exists"), "{line}");
    assert_eq!(fs::read(home.keyring()).unwrap(), keyring);
    assert_eq!(fs::read(home.vault()).unwrap(), vault);

    let run = home.run(&["list"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), ""), "{run:?}");
    assert!(run.stderr.contains("empty"));
}

#[test]
fn default_kdf_is_the_strong_one_and_bad_values_are_refused() {
    let home = Home::new();
    let mut cmd = home.command(&["init"]);
    cmd.env_remove("TESSERA_KDF");
    assert!(cmd.status().unwrap().success());
    let keyring = fs::read(home.keyring()).unwrap();
    let u32_at = |i: usize| u32::from_be_bytes(keyring[i..i + 4].try_into().unwrap());
    assert_eq!((u32_at(6), u32_at(10), u32_at(14)), (64 * 1024, 3, 1));

    let other = Home::new();
    other
        .run_with(&["init"], &[("TESSERA_KDF", "weak")])
        .fails(2, 0);
    assert!(!other.dir.exists(), "a refused init creates nothing");
}

#[test]
fn add_list_and_code_by_every_kind_of_query() {
    let home = sample_home();
    let list = home.run(&["list"]);
    list.ok();
    assert!(list.stdout.starts_with("ID"), "{list:?}");
    assert!(list.stdout.contains("123456789012"));
    assert!(list.stdout.contains("acme-prod"));
    assert_eq!(
        home.names(),
        [
            "alice",
            "carol",
            "deploy@acme-prod",
            "root-account-mfa-device@123456789012"
        ]
    );

    let cases = [
        ("carol", PLAIN),                      // name
        ("CAROL", PLAIN),                      // any case
        ("GitHub", GITHUB),                    // issuer
        ("github:alice", GITHUB),              // issuer:name
        ("123456789012", AWS_ROOT),            // AWS account id
        ("acme-prod", AWS_ALIAS),              // AWS account alias
        ("git", GITHUB),                       // partial, unique
        ("root-account-mfa-device", AWS_ROOT), // device name
    ];
    for (query, uri) in cases {
        let run = home.run(&["code", "--at", T, query]);
        run.ok();
        assert_eq!(run.stdout, uri_code(&home, uri), "query {query}");
    }
    // Without --at: the current code, digits only, one line (aws-vault's mfa_process).
    let run = home.run(&["code", "123456789012"]);
    run.ok();
    assert_eq!(run.stdout.len(), 7);
    assert!(run.stdout.trim_end().bytes().all(|b| b.is_ascii_digit()));
}

#[test]
fn ambiguous_and_unknown_queries_exit_2() {
    let home = sample_home();
    let run = home.run(&["code", "Amazon Web Services"]);
    let line = run.fails(2, 3).to_owned();
    assert!(line.contains("matches 2 entries"), "{line}");
    assert!(run.stderr.contains("root-account-mfa-device@123456789012"));
    assert!(run.stderr.contains("deploy@acme-prod"));

    let line = home.run(&["code", "gitlab"]).fails(2, 0).to_owned();
    assert!(line.contains("no entry matches"), "{line}");
    home.run(&["code", "000000000000"]).fails(2, 0);
    home.run(&["rm", "--yes", "Amazon Web Services"])
        .fails(2, 3);
    assert_eq!(home.names().len(), 4);
}

#[test]
fn add_options_and_refusals() {
    let home = Home::init();
    home.add(&[
        PLAIN,
        "--name",
        "Carol's phone",
        "--aws-account",
        "2109-8765-4321",
    ]);
    home.add(&[GITHUB, "--aws-account", "Acme-Dev"]);
    let run = home.run(&["list"]);
    assert!(run.stdout.contains("Carol's phone"), "{run:?}");
    assert!(run.stdout.contains("210987654321"));
    assert!(run.stdout.contains("acme-dev"));
    let carol = home.run(&["code", "--at", T, "210987654321"]);
    assert_eq!(carol.stdout, uri_code(&home, PLAIN));

    let before = fs::read(home.vault()).unwrap();
    // Bad account, bad URI, empty name, the same secret again: exit 2, vault untouched.
    let fresh = "otpauth://totp/x?secret=ORSXG43FOJQS243FMVSC2NA";
    for bad in [
        "--aws-account=-bad-",
        "--aws-account=12345",
        "--aws-account=ab",
    ] {
        let line = home.run(&["add", fresh, bad]).fails(2, 0).to_owned();
        assert!(line.contains("--aws-account"), "{line}");
    }
    let line = home
        .run(&["add", fresh, "--name", " "])
        .fails(2, 0)
        .to_owned();
    assert!(line.contains("--name"), "{line}");
    home.run(&["add", &format!("{fresh}&digits=5")]).fails(2, 0);
    let line = home.run(&["add", GITHUB]).fails(2, 0).to_owned();
    assert!(line.contains("already in the vault"), "{line}");
    assert_eq!(fs::read(home.vault()).unwrap(), before);

    // From stdin.
    let run = home.run_stdin(
        &["add", "-"],
        "otpauth://totp/Stdin:dave?secret=ORSXG43FOJQS243FMVSC2NI\n",
    );
    run.ok();
    assert!(home.names().contains(&"dave".to_owned()));
}

#[test]
fn hotp_entries_advance_their_counter() {
    let home = Home::init();
    home.add(&[&format!(
        "otpauth://hotp/Bank:bob?secret={RFC_SEED}&counter=0"
    )]);
    // RFC 4226 Appendix D, counters 0, 1, 2.
    for code in ["755224", "287082", "359152"] {
        let run = home.run(&["code", "bob"]);
        run.ok();
        assert_eq!(run.stdout, format!("{code}\n"));
    }
    assert!(home.run(&["list"]).stdout.contains("hotp #3"));
    home.run(&["code", "--at", T, "bob"]).fails(2, 0);
}

#[test]
fn import_counts_and_is_all_or_nothing() {
    let home = Home::init();
    let records = vector_records("migration.txt");
    let export = &records[0];
    let migration_uri = get(export, "uri").unwrap();
    let entries: Vec<&str> = export
        .iter()
        .filter(|(k, _)| k == "entry")
        .map(|(_, v)| v.as_str())
        .collect();
    let invalid = entries.iter().filter(|e| e.starts_with("error ")).count();
    assert!(invalid >= 1, "the first export record has a refused entry");
    let valid = entries.len() - invalid;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.txt");
    fs::write(
        &file,
        format!("# Google export\n{migration_uri}\n\n{GITHUB}\n"),
    )
    .unwrap();
    let file = file.to_str().unwrap();

    // Without --skip-invalid the refused entry aborts everything: nothing written.
    let before = fs::read(home.vault()).unwrap();
    let line = home.run(&["import", file]).fails(2, 0).to_owned();
    assert!(
        line.contains("line 2") && line.contains("entry") && line.contains("nothing imported"),
        "{line}"
    );
    assert_eq!(fs::read(home.vault()).unwrap(), before);

    let run = home.run(&["import", "--skip-invalid", file]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "Imported {} entries, skipped {invalid} invalid\n",
            valid + 1
        )
    );
    assert_eq!(run.stderr.lines().count(), invalid, "{run:?}");
    assert_eq!(home.names().len(), valid + 1);

    // Again: everything is already there.
    let run = home.run(&["import", "--skip-invalid", file]);
    assert!(
        run.stdout.starts_with("Imported 0 entries, skipped"),
        "{run:?}"
    );

    // A bad otpauth line anywhere aborts, naming the line; stdin works with `-`.
    let input = format!("{PLAIN}\notpauth://totp/x?secret=ORSXG43FOJQS243FMVSC2NQ&period=0\n");
    let before = fs::read(home.vault()).unwrap();
    let line = home
        .run_stdin(&["import", "-"], &input)
        .fails(2, 0)
        .to_owned();
    assert!(line.contains("stdin line 2"), "{line}");
    assert_eq!(fs::read(home.vault()).unwrap(), before);
    home.run_stdin(&["import", "-"], "# nothing\n\n")
        .fails(2, 0);
    home.run(&["import", "/nonexistent/file"]).fails(1, 0);
}

#[test]
fn rm_needs_confirmation_and_one_match() {
    let home = sample_home();
    let line = home.run(&["rm", "carol"]).fails(2, 0).to_owned();
    assert!(line.contains("--yes"), "{line}");
    assert_eq!(home.names().len(), 4);
    home.run(&["rm", "--yes", "nobody"]).fails(2, 0);

    let run = home.run(&["rm", "--yes", "carol"]);
    run.ok();
    assert_eq!(run.stdout, "Removed carol\n");
    assert!(!home.names().contains(&"carol".to_owned()));

    // By entry id prefix, as `list` shows it.
    let list = home.run(&["list"]).stdout;
    let row = list.lines().find(|l| l.contains("GitHub")).unwrap();
    let id = row.split_whitespace().next().unwrap();
    home.run(&["rm", "-y", &format!("id:{id}")]).ok();
    assert_eq!(home.names().len(), 2);
    home.run(&["rm", "-y", "id:zz"]).fails(2, 0);
}

#[test]
fn wrong_passphrase_is_exit_1_one_line_without_the_passphrase() {
    let home = sample_home();
    let before = fs::read(home.vault()).unwrap();
    let wrong = "not-the-passphrase-XYZZY";
    for args in [
        &["list"][..],
        &["code", "carol"],
        &["add", GITHUB],
        &["rm", "-y", "carol"],
    ] {
        let run = home.run_with(args, &[("TESSERA_PASSPHRASE", wrong)]);
        let line = run.fails(1, 0).to_owned();
        assert!(line.contains("wrong passphrase"), "{line}");
        assert!(
            !run.stderr.contains(wrong) && !run.stderr.contains(PASSPHRASE),
            "{run:?}"
        );
    }
    home.run_with(&["list"], &[("TESSERA_PASSPHRASE", "")])
        .fails(2, 0);
    assert_eq!(fs::read(home.vault()).unwrap(), before);
}

#[test]
fn corrupted_files_give_a_typed_error_and_stay_untouched() {
    let home = sample_home();
    let good = fs::read(home.vault()).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let mut bad_version = good.clone();
    bad_version[4] = 0x7f;
    let cases: [(&str, Vec<u8>); 5] = [
        ("flipped byte", flipped),
        ("truncated", good[..good.len() - 10].to_vec()),
        ("empty", Vec::new()),
        ("garbage", b"this is not a vault".to_vec()),
        ("unknown version", bad_version),
    ];
    for (what, bytes) in cases {
        fs::write(home.vault(), &bytes).unwrap();
        for args in [
            &["list"][..],
            &["add", GITHUB],
            &["code", "carol"],
            &["rm", "-y", "carol"],
        ] {
            let line = home.run(args).fails(1, 0).to_owned();
            assert!(line.contains("vault"), "{what}: {line}");
            assert_eq!(
                fs::read(home.vault()).unwrap(),
                bytes,
                "{what}: the file must not change"
            );
        }
    }
    fs::write(home.vault(), &good).unwrap();
    assert_eq!(home.names().len(), 4);

    let keyring = fs::read(home.keyring()).unwrap();
    let mut tampered = keyring.clone();
    tampered[120] ^= 0x80;
    fs::write(home.keyring(), &tampered).unwrap();
    let line = home.run(&["list"]).fails(1, 0).to_owned();
    assert!(line.contains("keyring"), "{line}");
    fs::write(home.keyring(), &keyring[..100]).unwrap();
    home.run(&["list"]).fails(1, 0);
    assert_eq!(fs::read(home.vault()).unwrap(), good);
}

#[test]
fn missing_or_incomplete_home_is_explained() {
    let home = Home::new();
    for args in [
        &["list"][..],
        &["code", "carol"],
        &["add", GITHUB],
        &["rm", "-y", "x"],
    ] {
        let line = home.run(args).fails(1, 0).to_owned();
        assert!(
            line.contains("no vault in") && line.contains("tessera init"),
            "{line}"
        );
    }
    assert!(!home.dir.exists(), "a failed command creates no home");

    let home = Home::init();
    fs::remove_file(home.vault()).unwrap();
    let line = home.run(&["list"]).fails(1, 0).to_owned();
    assert!(
        line.contains("incomplete") && line.contains("vault.tessera"),
        "{line}"
    );
    home.run(&["init"]).fails(1, 0);
}

#[test]
fn home_flag_wins_over_the_variable() {
    let home = Home::init();
    let other = Home::new();
    let run = other.run(&["--home", home.dir.to_str().unwrap(), "list"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!other.dir.exists());
}

#[cfg(target_os = "linux")]
#[test]
fn default_home_is_the_platform_data_dir() {
    let fake_home = tempfile::tempdir().unwrap();
    let home = Home::new();
    let mut cmd = home.command(&["init"]);
    cmd.env_remove("TESSERA_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", fake_home.path());
    assert!(cmd.status().unwrap().success());
    assert!(
        fake_home
            .path()
            .join(".local/share/tessera/vault.tessera")
            .exists()
    );
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the TESSERA_TEST_CRASH hook exists in debug builds only"
)]
fn a_crash_between_write_and_rename_leaves_the_old_vault() {
    // Debug builds only: TESSERA_TEST_CRASH=before-rename aborts after the temporary file is
    // written and fsynced, before the rename, like a power cut at the worst moment.
    let home = sample_home();
    let before = fs::read(home.vault()).unwrap();
    let run = home.run_with(
        &[
            "add",
            "otpauth://totp/New:erin?secret=ORSXG43FOJQS243FMVSC2NQ",
        ],
        &[("TESSERA_TEST_CRASH", "before-rename")],
    );
    assert_ne!(run.code, Some(0), "the process must have died: {run:?}");
    assert_eq!(fs::read(home.vault()).unwrap(), before, "old vault intact");
    let temps = || {
        fs::read_dir(&home.dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count()
    };
    assert_eq!(
        temps(),
        1,
        "the crashed writer's temporary file is left behind"
    );
    assert_eq!(home.names().len(), 4, "and the old vault still opens");

    // The next writer removes the leftover and succeeds.
    home.add(&["otpauth://totp/New:erin?secret=ORSXG43FOJQS243FMVSC2NQ"]);
    assert_eq!(temps(), 0);
    assert_eq!(home.names().len(), 5);
}

#[test]
fn concurrent_adds_lose_no_update() {
    let home = Home::init();
    let uris = [
        GITHUB,
        AWS_ROOT,
        AWS_ALIAS,
        PLAIN,
        "otpauth://totp/E:erin?secret=ORSXG43FOJQS243FMVSC2NQ",
    ];
    let children: Vec<_> = uris
        .iter()
        .map(|uri| {
            home.command(&["add", uri])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    assert_eq!(home.names().len(), uris.len());
}

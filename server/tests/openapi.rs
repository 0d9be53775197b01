//! docs/openapi.yaml documents exactly the routes the router serves: every (method, path) of
//! `tessera_server::api::route_table()` is in the document, and every operation in the document
//! is routed. The document is read line by line: paths are the two-space-indented keys under
//! `paths:`, methods the four-space-indented keys below them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

fn documented() -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml"))
            .unwrap();
    let mut out = BTreeSet::new();
    let mut in_paths = false;
    let mut path: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = Some(format!("/{}", p.trim_end().trim_end_matches(':')));
        } else if let Some(m) = line.strip_prefix("    ")
            && !m.starts_with(' ')
        {
            let m = m.trim_end().trim_end_matches(':');
            if METHODS.contains(&m) {
                out.insert((m.to_owned(), path.clone().expect("method before any path")));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let routed: BTreeSet<(String, String)> = tessera_server::api::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    let documented = documented();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from docs/openapi.yaml: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    assert_eq!(routed.len(), 34);
}

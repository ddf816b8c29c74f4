//! `triad diff` on pairs of real spec versions: the provider's own Connector spec (its
//! reservations file, read from `../shared/corpus/mews-connector`) and the public petstore spec
//! (`../shared/corpus/petstore.yaml`), each edited the ways real releases change them. Each
//! pair is compared in-process through the command's own code; the verdicts on the Rust API are
//! checked against the generated shape ([`triad::diff::Shape`]), and by `cargo xtask
//! semver-oracle` against cargo-semver-checks on the generated crates.

use std::path::{Path, PathBuf};

use triad::cli::Source;
use triad::diff::{Bump, Class, CrateReport, Kind, Report, Shape};
use xtask::diff_pairs;

fn corpus() -> Option<PathBuf> {
    let base = std::env::var_os("TRIAD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| triad_tests::root().join("../shared/corpus"));
    base.is_dir().then_some(base)
}

fn compare(old: &str, new: &str) -> Report {
    triad::cli::compare(&Source::Work(old.to_owned()), &Source::Work(new.to_owned()), None).unwrap()
}

fn krate(report: &Report, kind: Kind) -> &CrateReport {
    report.crates.iter().find(|c| c.kind == kind).unwrap()
}

/// Whether `kind`'s crate has a change of `class` about `item` whose message contains `words`.
fn has(report: &Report, kind: Kind, class: Class, item: &str, words: &str) -> bool {
    krate(report, kind).changes.iter().any(|c| c.class == class && c.item == item && c.message.contains(words))
}

fn show(report: &Report) -> String {
    triad::diff::render::text(report)
}

/// Writes the pair `name` of `xtask::diff_pairs` into a temporary folder: its two configs.
fn written(name: &str) -> Option<(tempfile::TempDir, String, String)> {
    let Some(corpus) = corpus() else {
        println!("no corpus at ../shared/corpus; set TRIAD_CORPUS to run this test");
        return None;
    };
    let pair = diff_pairs::pairs(&corpus).unwrap().into_iter().find(|p| p.name == name).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = diff_pairs::write(&pair, &corpus, dir.path(), &triad_tests::root().join("runtime"), None).unwrap();
    Some((dir, old.display().to_string(), new.display().to_string()))
}

/// `triad diff` on the pair `name`.
fn diffed(name: &str) -> Option<(tempfile::TempDir, Report)> {
    let (dir, old, new) = written(name)?;
    let report = compare(&old, &new);
    Some((dir, report))
}

#[test]
fn an_unchanged_spec_needs_no_bump() {
    let Some((_dir, report)) = diffed("unchanged") else { return };
    assert_eq!(report.crates.len(), 3, "{}", show(&report));
    for krate in &report.crates {
        assert_eq!(krate.bump, Bump::None, "{}", show(&report));
        assert!(krate.changes.is_empty() && !krate.files_changed, "{}", show(&report));
        assert_eq!(krate.next_version, krate.version);
    }
}

#[test]
fn an_optional_response_field_added_is_additive_only_on_open_structs() {
    let Some((_dir, report)) = diffed("optional-field-added") else { return };
    let types = krate(&report, Kind::Types);
    let expected = if Shape::generated().open_structs { Class::Additive } else { Class::Breaking };
    assert!(
        has(&report, Kind::Types, expected, "Reservation.guest_note", "optional field `GuestNote` added"),
        "{}",
        show(&report)
    );
    assert!(!report.has(Class::Wire), "an optional response field breaks nothing on the wire:\n{}", show(&report));
    // 0.4.2: a breaking change takes 0.5.0, an addition 0.4.3.
    let next = if expected == Class::Breaking { (Bump::Minor, "0.5.0") } else { (Bump::Patch, "0.4.3") };
    assert_eq!((types.bump, types.next_version.as_str()), next);
}

#[test]
fn a_request_field_made_required_is_a_wire_change() {
    // `CompanyIds` is nullable: required or not it is an `Option`, so Rust code is unaffected,
    // but old clients that leave it out are refused.
    let Some((_dir, report)) = diffed("field-made-required") else { return };
    assert!(
        has(&report, Kind::Types, Class::Wire, "RoutingRuleFilterParameters.company_ids", "became required"),
        "{}",
        show(&report)
    );
    assert!(!report.has(Class::Breaking), "{}", show(&report));
    assert_eq!(krate(&report, Kind::Types).bump, Bump::Patch, "{}", show(&report));
}

#[test]
fn enum_values_added_and_removed() {
    let Some((_dir, report)) = diffed("enum-values") else { return };
    let added = if Shape::generated().open_enums { Class::Additive } else { Class::Breaking };
    let item = "ResourceAccessTokenType::Barcode";
    assert!(has(&report, Kind::Types, added, item, "value `Barcode` added"), "{}", show(&report));
    let item = "RoutingRuleRouteType::SelectedStayItems";
    assert!(has(&report, Kind::Types, Class::Breaking, item, "removed"), "{}", show(&report));
    assert!(has(&report, Kind::Types, Class::Wire, item, "removed"), "{}", show(&report));
    // The client and server show the types crate's items: they break with it (1.3.0 -> 2.0.0).
    for kind in [Kind::Client, Kind::Server] {
        let krate = krate(&report, kind);
        assert_eq!((krate.bump, krate.next_version.as_str()), (Bump::Major, "2.0.0"), "{}", show(&report));
    }
}

#[test]
fn an_operation_removed_breaks_client_and_server_and_the_wire() {
    let Some((_dir, report)) = diffed("operation-removed") else { return };
    assert!(has(&report, Kind::Client, Class::Breaking, "Client::sources_get_all", "removed"), "{}", show(&report));
    assert!(has(&report, Kind::Client, Class::Wire, "Client::sources_get_all", "gone"), "{}", show(&report));
    assert!(has(&report, Kind::Server, Class::Breaking, "Api::sources_get_all", "removed"), "{}", show(&report));
    assert_eq!(krate(&report, Kind::Client).bump, Bump::Major, "{}", show(&report));
    // Its request and response types stay, but the request type is no body any more: the
    // credential fields the transport wrote come back into the struct and its constructor
    // (breaking, as cargo-semver-checks finds too), and change nothing on the wire.
    let types = krate(&report, Kind::Types);
    for field in ["client_token", "access_token", "client"] {
        let item = format!("SourceFilterParameters.{field}");
        assert!(has(&report, Kind::Types, Class::Breaking, &item, "required field"), "{}", show(&report));
    }
    assert!(types.changes.iter().all(|c| c.class == Class::Breaking), "{}", show(&report));
    assert_eq!(types.changes.len(), 3, "{}", show(&report));
    // 0.x: a breaking change bumps the minor version.
    assert_eq!(types.bump, Bump::Minor, "{}", show(&report));
}

#[test]
fn a_field_type_changed_breaks_code_and_the_wire() {
    let Some((_dir, report)) = diffed("field-type-changed") else { return };
    for class in [Class::Breaking, Class::Wire] {
        let words = "changed type from uuid to i64";
        assert!(has(&report, Kind::Types, class, "Reservation.id", words), "{}", show(&report));
    }
}

#[test]
fn petstore_pairs() {
    // A new required property of `Pet`, which clients only receive: code breaks (constructors
    // and patterns), the wire does not.
    let Some((_dir, report)) = diffed("required-field-added") else { return };
    assert!(has(&report, Kind::Types, Class::Breaking, "Pet.born", "required field `born` added"), "{}", show(&report));
    assert!(!report.has(Class::Wire), "{}", show(&report));
    assert_eq!(krate(&report, Kind::Types).next_version, "0.2.0", "{}", show(&report));
    // A query parameter made required: the method takes it as a plain value, and old clients
    // that leave it out are refused.
    let Some((_dir, report)) = diffed("parameter-made-required") else { return };
    let takes = "takes (limit: i32)";
    assert!(has(&report, Kind::Client, Class::Breaking, "Client::list_pets", takes), "{}", show(&report));
    assert!(has(&report, Kind::Server, Class::Breaking, "Api::list_pets", takes), "{}", show(&report));
    let required = "`limit` of `listPets` became required";
    assert!(has(&report, Kind::Client, Class::Wire, "Client::list_pets", required), "{}", show(&report));
    assert_eq!(krate(&report, Kind::Types).bump, Bump::None, "{}", show(&report));
    // An operation renamed (same route, new id): the method's name changes.
    let Some((_dir, report)) = diffed("operation-renamed") else { return };
    let renamed = "is now `getPet`";
    assert!(has(&report, Kind::Client, Class::Breaking, "Client::show_pet_by_id", renamed), "{}", show(&report));
    assert!(!report.has(Class::Wire), "{}", show(&report));
}

#[test]
fn the_command_line_fails_on_request_and_reports_json() {
    let Some((dir, old, new)) = written("optional-field-removed") else { return };
    let run = |extra: &[&str]| {
        let mut args = vec!["triad", "diff", old.as_str(), new.as_str()];
        args.extend_from_slice(extra);
        triad::cli::run_from(args)
    };
    assert_eq!(run(&[]), 0);
    assert_eq!(run(&["--fail-on", "breaking"]), 1, "a removed field breaks code");
    assert_eq!(run(&["--fail-on", "wire"]), 0, "an optional field removed breaks nothing on the wire");
    let changelog = dir.path().join("CHANGES.md");
    assert_eq!(run(&["--format", "json", "--changelog", changelog.to_str().unwrap()]), 0);
    let markdown = std::fs::read_to_string(&changelog).unwrap();
    assert!(markdown.starts_with("## petstore-types 0.2.0\n"), "{markdown}");
    assert!(markdown.contains("- `Pet.tag`: field `tag` removed"), "{markdown}");
    // The fixed JSON shape.
    let json: serde_json::Value = serde_json::from_str(&triad::diff::render::json(&compare(&old, &new))).unwrap();
    let types = &json["crates"][0];
    let head = (types["name"].as_str(), types["kind"].as_str(), types["bump"].as_str());
    assert_eq!(head, (Some("petstore-types"), Some("types"), Some("minor")));
    let change = &types["changes"][0];
    assert_eq!(change["class"], "breaking");
    assert_eq!(change["item"], "Pet.tag");
    assert!(change["location"].as_str().unwrap().contains("petstore.yaml:"), "{change}");
    // --bump writes the next versions into the new config, leaving the rest as it was.
    let versions = "# versions\nname: petstore\nspecs: [petstore.yaml]\ncrates:\n  types:\n    version: \"0.1.0\" # bumped by triad diff\n  client: {version: 1.0.0, runtime_path: RUNTIME}\n  server:\n    version: '2.1.0'\n    runtime_path: RUNTIME\n";
    let runtime = triad_tests::root().join("runtime").display().to_string();
    // The bump applies to the old version's numbers and is written into the new config.
    for config in [&old, &new] {
        std::fs::write(config, versions.replace("RUNTIME", &runtime)).unwrap();
    }
    assert_eq!(run(&["--bump"]), 0);
    let bumped = std::fs::read_to_string(&new).unwrap();
    // types 0.1.0 breaks: 0.2.0; the client and server show its types: majors.
    let expected = versions.replace("0.1.0", "0.2.0").replace("1.0.0", "2.0.0").replace("2.1.0", "3.0.0");
    assert_eq!(bumped, expected.replace("RUNTIME", &runtime));
}

#[test]
fn a_version_that_fails_to_load_is_reported_and_nothing_is_written() {
    let Some((dir, old, new)) = written("unchanged") else { return };
    let spec = Path::new(&new).with_file_name("reservations.yml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replacen("openapi: 3.0.4\n", "openapi: [\n", 1)).unwrap();
    let error = triad::cli::compare(&Source::Work(old.clone()), &Source::Work(new.clone()), None).unwrap_err();
    assert!(error.starts_with(&format!("{new} cannot be loaded")), "{error}");
    assert!(error.contains("--> reservations.yml:2:1"), "the error is located: {error}");
    let before: Vec<_> = walk(dir.path());
    assert_eq!(triad::cli::run_from(["triad", "diff", old.as_str(), new.as_str(), "--bump"]), 2);
    assert_eq!(walk(dir.path()), before, "nothing written");
}

fn walk(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_git_revision_reads_the_old_version_from_the_repository() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").arg("-C").arg(dir.path()).args(args).status().unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    let text = std::fs::read_to_string(corpus.join("petstore.yaml")).unwrap();
    std::fs::write(dir.path().join("petstore.yaml"), &text).unwrap();
    std::fs::write(dir.path().join("codegen.yaml"), "name: petstore\nspecs: [petstore.yaml]\n").unwrap();
    git(&["add", "."]);
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1"]);
    std::fs::write(dir.path().join("petstore.yaml"), text.replace("operationId: listPets", "operationId: listAllPets"))
        .unwrap();
    let config = dir.path().join("codegen.yaml").display().to_string();
    let report =
        triad::cli::compare(&Source::parse(&format!("HEAD:{config}")), &Source::Work(config.clone()), None).unwrap();
    assert!(
        has(&report, Kind::Client, Class::Breaking, "Client::list_pets", "is now `listAllPets`"),
        "{}",
        show(&report)
    );
}

//! No input makes the generator panic, and every diagnostic says where: every fixture and
//! flagship spec file, the codegen configs and overlays, mutated many ways (lines dropped, duplicated,
//! swapped, indented, characters replaced, text cut short), either generate or are rejected
//! with diagnostics whose positions and JSON pointers are checked against the mutated text:
//!
//! - the file is one of the input files;
//! - the line exists in it (lines end at `\n`, `\r\n` or a lone `\r`, as in YAML), and the
//!   column is at least 1 and at most the line's length + 1, in characters;
//! - the pointer is a JSON pointer (`""` or `/`-separated segments, `~` only as `~0`/`~1`);
//! - when the file parses, the pointer resolves to a node of it, or — for something that is
//!   missing (an unresolvable `$ref`'s target aside, which is named in the message) — its
//!   parent does: the diagnostic then names a key that should be there;
//! - a pointer that resolves to a node comes with a position inside that node, or between its
//!   parent's start and the node (a diagnostic about a key points at the key).

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use triad::Provenance;
use triad::config::Config;
use triad::diag::{Diagnostics, Location};
use triad::load::MemoryReader;
use triad::node::{self, Node};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..1 + rng.below(3) {
        let n = lines.len();
        match rng.below(6) {
            0 if n > 1 => {
                lines.remove(rng.below(n));
            }
            1 => {
                let line = lines[rng.below(n)].clone();
                lines.insert(rng.below(n), line);
            }
            2 if n > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            3 => {
                let i = rng.below(n);
                let mut chars: Vec<char> = lines[i].chars().collect();
                if !chars.is_empty() {
                    let replacements = ['{', '}', '[', ':', '&', '*', '#', '\'', '"', ' ', 'x', '-', '$', 'é', '~'];
                    let at = rng.below(chars.len());
                    chars[at] = replacements[rng.below(replacements.len())];
                }
                lines[i] = chars.into_iter().collect();
            }
            4 => {
                let cut = rng.below(n);
                lines.truncate(cut.max(1));
            }
            _ => {
                let i = rng.below(n);
                lines[i] = format!("  {}", lines[i]);
            }
        }
    }
    lines.join("\n")
}

/// Whether `pointer` is a JSON pointer (RFC 6901): empty, or `/`-separated segments in which
/// `~` is only ever followed by `0` or `1`.
fn is_json_pointer(pointer: &str) -> bool {
    pointer.is_empty()
        || (pointer.starts_with('/') && {
            let bytes = pointer.as_bytes();
            bytes.iter().enumerate().all(|(i, b)| *b != b'~' || matches!(bytes.get(i + 1), Some(b'0' | b'1')))
        })
}

/// The last line and column inside a node (its last descendant's start), so a position can be
/// checked to lie within the node.
fn last_position(node: &Node) -> (u32, u32) {
    let last = match &node.value {
        node::Value::Map(map) => map.values().last(),
        node::Value::Seq(items) => items.last(),
        _ => None,
    };
    last.map_or((node.line, node.column), last_position)
}

/// Checks one location against the files the generator was given; returns what is wrong.
fn check_location(location: &Location, message: &str, files: &BTreeMap<String, String>) -> Result<(), String> {
    let text = files.get(&*location.file).ok_or("the file is not one of the inputs")?;
    let lines = triad_tests::yaml_lines(text);
    let (line, column) = (location.line as usize, location.column as usize);
    // A syntax error at the very end of the input names the line after the last; this is
    // recorded in fuzz_regressions.rs, which asserts the strict rule.
    let past_end = line == lines.len() + 1 && column == 1 && message.starts_with("invalid YAML/JSON");
    if !past_end {
        let content = lines.get(line.wrapping_sub(1)).ok_or(format!("line {line} of {}", lines.len()))?;
        let width = content.chars().count();
        if column < 1 || column > width + 1 {
            return Err(format!("column {column} of a line of {width} characters"));
        }
    }
    if !is_json_pointer(&location.pointer) {
        return Err("the pointer is not a JSON pointer".into());
    }
    let Ok(root) = node::parse(text) else { return Ok(()) };
    let segments = node::split_pointer(&location.pointer).expect("checked above");
    match root.pointer(&segments) {
        Some(node) => {
            let start = (node.line, node.column);
            let end = last_position(node);
            let here = (location.line, location.column);
            // A diagnostic about a mapping entry may point at the entry's key, which is written
            // after its parent's start and before its value.
            let parent = segments.len().checked_sub(1).and_then(|n| root.pointer(&segments[..n]));
            let at_key = parent.is_some_and(|p| (p.line, p.column) <= here && here < start);
            let inside = start <= here && here <= end.max(start);
            if !(inside || at_key) {
                return Err(format!("the pointer's node is at {}:{}", start.0, start.1));
            }
            Ok(())
        }
        None => {
            let parent = &segments[..segments.len().saturating_sub(1)];
            if segments.is_empty() || root.pointer(parent).is_none() {
                return Err("the pointer resolves to nothing, not even a parent".into());
            }
            Ok(())
        }
    }
}

fn check_diagnostics(diags: &Diagnostics, files: &BTreeMap<String, String>, input: &str) {
    for d in &diags.0 {
        let locations = std::iter::once(&d.location).chain(d.related.iter().map(|(l, _)| l));
        for location in locations {
            if let Err(problem) = check_location(location, &d.message, files) {
                panic!("{problem}:\n{d}\n--- mutated input:\n{input}");
            }
        }
    }
}

fn read_tree(dir: &std::path::Path) -> BTreeMap<String, String> {
    walk(dir)
        .into_iter()
        .map(|entry| {
            let rel = entry.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&entry).unwrap())
        })
        .collect()
}

fn reader_of(files: &BTreeMap<String, String>) -> MemoryReader {
    files.iter().fold(MemoryReader::new(), |reader, (path, text)| reader.with(path, text))
}

#[test]
fn mutated_specs_never_panic_and_say_where() {
    let root = triad_tests::root();
    let cases = [
        ("tests/fixtures", vec!["objects.yaml"]),
        ("tests/fixtures", vec!["unions.yaml"]),
        ("tests/fixtures", vec!["events.asyncapi.yaml"]),
        ("tests/fixtures", vec!["requests.asyncapi.yaml"]),
        ("tests/fixtures", vec!["requests_v2.asyncapi.yaml"]),
        ("tests/fixtures/split", vec!["api.yaml", "parts/models.yaml", "parts/enums.yaml"]),
        ("tests/fixtures/refmaps", vec!["api.yaml", "parts/pet-properties.yaml", "parts/pet-path.yaml"]),
        ("tests/fixtures", vec!["unkind.yaml"]),
        ("spec/mews", vec!["websocket.asyncapi.yaml"]),
        // The imported document is the importer's output, checked by its own tests.
        ("spec/mews", vec!["webhooks.openapi.yaml", "webhooks.schemas.yaml"]),
    ];
    let provenance = Provenance { source: "mutation".into(), command: "test".into() };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 2];
    for (dir, victims) in cases {
        // Every other file of the spec folder stays intact so references resolve.
        let base = read_tree(&root.join(dir));
        for round in 0..120 {
            let victim = victims[round % victims.len()];
            let mutated = mutate(&base[victim], &mut rng);
            let mut files = base.clone();
            files.insert(victim.to_owned(), mutated.clone());
            let reader = reader_of(&files);
            let config = Config::for_name("mutant", vec![victims[0].to_owned()]);
            let result = catch_unwind(AssertUnwindSafe(|| triad::generate(&config, "", &reader, &provenance)));
            match result {
                Err(_) => panic!("panic on {dir}/{victim} mutated as:\n{mutated}"),
                Ok(Ok(_)) => outcomes[0] += 1,
                Ok(Err(diags)) => {
                    outcomes[1] += 1;
                    check_diagnostics(&diags, &files, &format!("{dir}/{victim}:\n{mutated}"));
                }
            }
        }
    }
    // The mutations must exercise both paths.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

/// Overlays mutated, and the spec they extend mutated under them: an overlay's problems, and
/// those of the nodes it adds, are located in the overlay; the spec's own in the spec.
#[test]
fn mutated_overlays_never_panic_and_say_where() {
    let base = read_tree(&triad_tests::root().join("tests/fixtures/overlays"));
    let config = Config::parse("codegen.yaml", &base["codegen.yaml"]).unwrap();
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut outcomes = [0usize; 2];
    let victims = ["docs.overlay.yaml", "fixes.overlay.yaml", "api.yaml"];
    for round in 0..240 {
        let victim = victims[round % victims.len()];
        let mutated = mutate(&base[victim], &mut rng);
        let mut files = base.clone();
        files.insert(victim.to_owned(), mutated.clone());
        let reader = reader_of(&files);
        let result = catch_unwind(AssertUnwindSafe(|| triad::generate(&config, "", &reader, &provenance)));
        match result {
            Err(_) => panic!("panic on {victim} mutated as:\n{mutated}"),
            Ok(Ok(_)) => outcomes[0] += 1,
            Ok(Err(diags)) => {
                outcomes[1] += 1;
                check_diagnostics(&diags, &files, &format!("{victim}:\n{mutated}"));
            }
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

/// Codegen configs: the flagship's and one exercising every setting, mutated, against the
/// fixture specs; config problems (syntax, unknown or mistyped settings, settings naming
/// properties the specs do not have) must be located in the config.
#[test]
fn mutated_configs_never_panic_and_say_where() {
    let root = triad_tests::root();
    let mews = std::fs::read_to_string(root.join("spec/mews/codegen.yaml")).unwrap();
    let full = "# Every setting the fixtures can carry.\nname: fixture\nspecs: [objects.yaml, unions.yaml, events.asyncapi.yaml]\ncrates:\n  types: {name: fixture-types, version: 0.2.0, description: Fixture types}\nauth:\n  websocket_cookies: [Token]\n  webhook_query_token: Token\nnull_means_absent: false\nnaming:\n  types: {Thing: Item}\nunions:\n  Resource: {tag: Discriminator, content: Value, variants: {Space: SpaceData}}\nsecrets: [Owner.Name]\n";
    let mut fixtures = read_tree(&root.join("tests/fixtures"));
    fixtures.retain(|path, _| !path.contains('/'));
    let cases = [(mews.as_str(), read_tree(&root.join("spec/mews"))), (full, fixtures)];
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut outcomes = [0usize; 2];
    for (base, specs) in &cases {
        for _ in 0..100 {
            let mutated = mutate(base, &mut rng);
            let mut files = specs.clone();
            files.insert("codegen.yaml".into(), mutated.clone());
            let reader = reader_of(&files);
            let result = catch_unwind(AssertUnwindSafe(|| {
                let config = Config::parse("codegen.yaml", &mutated).map_err(Diagnostics::new)?;
                triad::generate(&config, "", &reader, &provenance)
            }));
            match result {
                Err(_) => panic!("panic on a config mutated as:\n{mutated}"),
                Ok(Ok(_)) => outcomes[0] += 1,
                Ok(Err(diags)) => {
                    outcomes[1] += 1;
                    check_diagnostics(&diags, &files, &format!("codegen.yaml:\n{mutated}"));
                }
            }
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(path);
        }
    }
    out
}

/// The checks above can fail: wrong lines, columns, pointers and files are each caught.
#[test]
fn the_location_check_rejects_wrong_places() {
    let text = "a:\n  b: [1, 2]\n  c: {d: x}\n";
    let files: BTreeMap<String, String> = [("f.yaml".to_owned(), text.to_owned())].into();
    let at =
        |file: &str, line, column, pointer: &str| Location { file: file.into(), line, column, pointer: pointer.into() };
    let check = |location: Location| check_location(&location, "a problem", &files);
    // Right: a node, a node's key, a missing key under an existing parent, the root.
    check(at("f.yaml", 2, 6, "/a/b")).unwrap();
    check(at("f.yaml", 2, 10, "/a/b/1")).unwrap();
    check(at("f.yaml", 3, 3, "/a/c")).unwrap();
    check(at("f.yaml", 3, 7, "/a/c/missing")).unwrap();
    check(at("f.yaml", 1, 1, "")).unwrap();
    // Wrong.
    assert!(check(at("g.yaml", 1, 1, "")).is_err(), "unknown file");
    assert!(check(at("f.yaml", 5, 1, "")).is_err(), "no such line");
    assert!(check(at("f.yaml", 0, 1, "")).is_err(), "line 0");
    assert!(check(at("f.yaml", 1, 4, "/a")).is_err(), "column past the line");
    assert!(check(at("f.yaml", 2, 3, "a/b")).is_err(), "not a pointer");
    assert!(check(at("f.yaml", 2, 3, "/a/~2")).is_err(), "bad escape");
    assert!(check(at("f.yaml", 2, 3, "/x/y")).is_err(), "nothing there, nor a parent");
    assert!(check(at("f.yaml", 3, 7, "/a/b")).is_err(), "position after the pointer's node");
    assert!(check(at("f.yaml", 1, 1, "/a/c/d")).is_err(), "position before the pointer's parent");
    // Only a syntax error may name the line after the last.
    let broken: BTreeMap<String, String> = [("f.yaml".to_owned(), "a: [\n".to_owned())].into();
    assert!(check_location(&at("f.yaml", 3, 1, ""), "invalid YAML/JSON: x", &broken).is_ok());
    assert!(check_location(&at("f.yaml", 3, 1, ""), "something else", &broken).is_err());
    assert!(check_location(&at("f.yaml", 4, 1, ""), "invalid YAML/JSON: x", &broken).is_err());
}

//! Generation speed. Each group has a baseline: parsing the same files into node trees, the
//! least any generator must do. `cargo xtask bench` prints medians and ratios to it.
//!
//! Inputs: the in-repo Mews spec (`spec/mews`), a synthetic object with 20,000 properties half
//! of which collide after case conversion (`wide-object`: de-duplication and property merging
//! must stay linear) and, when present, the published Mews Connector API
//! (`../shared/corpus/mews-connector`, or `$TRIAD_CORPUS/mews-connector`), all 9 files merged.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use triad::Provenance;
use triad::config::Config;
use triad::load::MemoryReader;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Every spec file under `dir` (recursively), as (path relative to `dir`, text).
fn read_tree(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        if entry.path().is_dir() {
            read_tree(&entry.path(), &rel, out);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
            out.push((rel, std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
}

fn bench_api(c: &mut Criterion, group_name: &str, files: Vec<(String, String)>, config: Config) {
    let mut reader = MemoryReader::new();
    for (path, text) in &files {
        reader = reader.with(path, text);
    }
    let provenance = Provenance { source: group_name.into(), command: "cargo xtask bench".into() };
    let mut group = c.benchmark_group(group_name);
    group.sample_size(20);
    group.bench_function("parse (baseline)", |b| {
        b.iter(|| {
            for (_, text) in &files {
                black_box(triad::node::parse(black_box(text)).unwrap());
            }
        })
    });
    group.bench_function("load+lower", |b| b.iter(|| black_box(triad::load(&config, "", &reader).unwrap())));
    group.bench_function("generate", |b| {
        b.iter(|| black_box(triad::generate(&config, "", &reader, &provenance).unwrap()))
    });
    group.finish();
}

/// A JSON OpenAPI document whose schema `Wide` has `n` properties: `field0`, `field1`... and,
/// for every other one, a name made of `a` and symbols that all become the Rust name `a` (the
/// same input as `tests/tests/scale.rs`).
fn wide_spec(n: usize) -> String {
    const SYMBOLS: [char; 9] = ['-', '.', '$', '@', '!', '%', '^', '&', '*'];
    let props: Vec<String> = (0..n)
        .map(|i| {
            let name = if i % 2 == 0 {
                format!("field{i}")
            } else {
                let mut name = String::from("a");
                let mut k = i;
                loop {
                    name.push(SYMBOLS[k % SYMBOLS.len()]);
                    k /= SYMBOLS.len();
                    if k == 0 {
                        break name;
                    }
                }
            };
            format!("\"{name}\": {{\"type\": \"string\"}}")
        })
        .collect();
    format!(
        "{{\"openapi\": \"3.0.3\", \"info\": {{\"title\": \"Wide\", \"version\": \"1\"}}, \"paths\": {{}}, \
         \"components\": {{\"schemas\": {{\"Wide\": {{\"type\": \"object\", \"properties\": {{{}}}}}}}}}}}",
        props.join(", ")
    )
}

fn benches(c: &mut Criterion) {
    let flagship_dir = root().join("spec/mews");
    let mut files = Vec::new();
    read_tree(&flagship_dir, "", &mut files);
    let text = std::fs::read_to_string(flagship_dir.join("codegen.yaml")).unwrap();
    let config = Config::parse("codegen.yaml", &text).unwrap();
    bench_api(c, "flagship", files, config);

    let wide = vec![("wide.json".to_owned(), wide_spec(20_000))];
    bench_api(c, "wide-object", wide, Config::for_name("wide", vec!["wide.json".into()]));

    let corpus = std::env::var_os("TRIAD_CORPUS").map(PathBuf::from).unwrap_or_else(|| root().join("../shared/corpus"));
    let connector = corpus.join("mews-connector");
    if connector.is_dir() {
        let mut files = Vec::new();
        read_tree(&connector, "", &mut files);
        let specs = files.iter().map(|(p, _)| p.clone()).collect();
        bench_api(c, "mews-connector", files, Config::for_name("mews-connector", specs));
    } else {
        eprintln!("no corpus at {}: skipping the mews-connector group", connector.display());
    }
}

criterion_group!(generate, benches);
criterion_main!(generate);

//! Generation speed. Each group has a baseline: parsing the same files into node trees, the
//! least any generator must do. `cargo xtask bench` prints medians and ratios to it.
//!
//! Inputs: the in-repo Mews spec (`spec/mews`) and, when present, the published Mews Connector
//! API (`../shared/corpus/mews-connector`, or `$TRIAD_CORPUS/mews-connector`), all 9 files merged.

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

fn benches(c: &mut Criterion) {
    let flagship_dir = root().join("spec/mews");
    let mut files = Vec::new();
    read_tree(&flagship_dir, "", &mut files);
    let text = std::fs::read_to_string(flagship_dir.join("codegen.yaml")).unwrap();
    let config = Config::parse("codegen.yaml", &text).unwrap();
    bench_api(c, "flagship", files, config);

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

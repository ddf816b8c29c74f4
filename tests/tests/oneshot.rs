//! Working without a config, on every API of `../shared/corpus`: `triad generate -i SPEC...`
//! makes exactly the crates `cargo xtask corpus` makes from its default config (which CI builds,
//! lints and documents with warnings denied, so they compile), and `triad init` writes a config
//! from which `triad` makes those same crates again.

use std::path::{Path, PathBuf};

use triad::cli::{Source, in_memory, load_version, oneshot};

fn corpus() -> Option<PathBuf> {
    let base = std::env::var_os("TRIAD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| triad_tests::root().join("../shared/corpus"));
    match base.canonicalize() {
        Ok(dir) => Some(dir),
        Err(_) => {
            println!("no corpus at ../shared/corpus; set TRIAD_CORPUS to run this test");
            None
        }
    }
}

fn provenance() -> triad::Provenance {
    triad::Provenance { source: "corpus".into(), command: "test".into() }
}

fn runtime() -> String {
    triad_tests::root().join("runtime").display().to_string()
}

#[test]
fn generate_without_a_config_matches_the_corpus_crates_and_init_reproduces_them() {
    let Some(corpus) = corpus() else { return };
    let reader = triad::load::FsReader::new(&corpus);
    let mut checked = 0;
    for entry in xtask::corpus::entries(&corpus).unwrap() {
        if entry.config.is_some() {
            continue;
        }
        // What `cargo xtask corpus` generates.
        let (mut config, dir) = xtask::corpus::config(&entry).unwrap();
        config.client.runtime_path = Some(runtime());
        config.server.runtime_path = Some(runtime());
        let expected = triad::generate(&config, &dir, &reader, &provenance()).unwrap().files;
        // What `triad generate -i SPEC... --name NAME --runtime-path RUNTIME` generates.
        let specs: Vec<PathBuf> = entry.specs.iter().map(|s| corpus.join(s)).collect();
        let mut args: Vec<String> = vec!["triad".into(), "generate".into()];
        for spec in &specs {
            args.extend(["-i".into(), spec.display().to_string()]);
        }
        args.extend(["--name".into(), entry.name.clone(), "--runtime-path".into(), runtime()]);
        let out = tempfile::tempdir().unwrap();
        let mut run = args.clone();
        run.extend(["-o".into(), out.path().display().to_string()]);
        assert_eq!(triad::cli::run_from(&run), 0, "{}", entry.name);
        let (mut oneshot_config, folder) = oneshot::default_config(&specs, Some(&entry.name));
        oneshot_config.client.runtime_path = Some(runtime());
        oneshot_config.server.runtime_path = Some(runtime());
        let files = in_memory(oneshot_config, &folder, None).generate(&provenance()).unwrap().files;
        assert_eq!(files.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{}", entry.name);
        assert!(files == expected, "{}: triad generate differs from the corpus crates", entry.name);
        assert_eq!(written(out.path()), files.keys().cloned().collect::<Vec<_>>(), "{}", entry.name);
        // `triad init`, then the written config.
        let init_dir = tempfile::tempdir().unwrap();
        let config_path = init_dir.path().join("codegen.yaml");
        let mut init: Vec<String> = vec!["triad".into(), "init".into()];
        init.extend(specs.iter().map(|s| s.display().to_string()));
        init.extend(["--name".into(), entry.name.clone(), "--runtime-path".into(), runtime()]);
        init.extend(["-o".into(), config_path.display().to_string()]);
        assert_eq!(triad::cli::run_from(&init), 0, "{}", entry.name);
        let loaded = load_version(&Source::Work(config_path.display().to_string()), None).unwrap();
        let from_init = loaded.generate(&provenance()).unwrap().files;
        assert!(from_init == expected, "{}: the config triad init wrote generates other crates", entry.name);
        // A second init never overwrites the config.
        assert_eq!(triad::cli::run_from(&init), 2);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} corpus APIs checked");
}

/// The generated files under `dir`, as paths relative to it (the file list triad keeps left out).
fn written(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.retain(|p| !p.starts_with('.'));
    out.sort();
    out
}

#[test]
fn init_lists_what_it_found() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("codegen.yaml");
    let spec = corpus.join("oai-webhook-example.yaml");
    let status = triad::cli::run_from(["triad", "init", spec.to_str().unwrap(), "-o", config.to_str().unwrap()]);
    assert_eq!(status, 0);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("name: oai-webhook-example\n"), "{text}");
    assert!(text.contains("# Webhooks the server crate receives: newPet."), "{text}");
    // The spec lies outside the config's folder: the root is widened to reach it.
    assert!(text.contains("root: "), "{text}");
    let spec = corpus.join("mews-connector/reservations.yml");
    let config = dir.path().join("mews.yaml");
    assert_eq!(triad::cli::run_from(["triad", "init", spec.to_str().unwrap(), "-o", config.to_str().unwrap()]), 0);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("# Pagination candidates"), "{text}");
    assert!(
        text.contains("#   reservations_getAll_2023-06-06: request `Limitation.Cursor`, response `Cursor`"),
        "{text}"
    );
}

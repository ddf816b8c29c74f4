//! Helpers shared by the integration tests in `tests/tests/`.

use std::path::{Path, PathBuf};

use triad::config::Config;
use triad::diag::Diagnostics;
use triad::load::{FsReader, MemoryReader};
use triad::{Files, Generated, Provenance};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the repository").to_path_buf()
}

fn provenance(source: &str) -> Provenance {
    Provenance { source: source.to_owned(), command: "cargo test -p triad-tests".into() }
}

/// Generates the crates of a fixture under `tests/fixtures/` (one file, or several files given
/// as a list), with crate names derived from `name`.
pub fn generate_fixture(name: &str, specs: &[&str]) -> Result<Files, Diagnostics> {
    generate_fixture_with_warnings(name, specs).map(|g| g.files)
}

/// [`generate_fixture`], with the warnings.
pub fn generate_fixture_with_warnings(name: &str, specs: &[&str]) -> Result<Generated, Diagnostics> {
    generate_fixture_configured(name, specs, |_| {})
}

/// [`generate_fixture_with_warnings`], with the config changed by `configure` first.
pub fn generate_fixture_configured(
    name: &str,
    specs: &[&str],
    configure: impl FnOnce(&mut Config),
) -> Result<Generated, Diagnostics> {
    // A fixture may come with union settings: `<fixture>.codegen.yaml` beside its first file.
    let settings = specs
        .first()
        .and_then(|s| s.strip_suffix(".yaml"))
        .map(|stem| root().join(format!("tests/fixtures/{stem}.codegen.yaml")))
        .filter(|path| path.is_file())
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable fixture config");
            Config::parse(&path.display().to_string(), &text).expect("valid fixture config")
        });
    let specs: Vec<String> = specs.iter().map(|s| format!("tests/fixtures/{s}")).collect();
    let mut config = Config::for_name(name, specs);
    if let Some(settings) = settings {
        config.unions = settings.unions;
        config.origins = settings.origins;
        config.file = settings.file;
    }
    configure(&mut config);
    // Client crates are built in scratch workspaces: point them at this repository's runtime.
    config.client.runtime_path = Some(root().join("runtime").display().to_string());
    config.server.runtime_path = config.client.runtime_path.clone();
    triad::generate(&config, "", &FsReader::new(root()), &provenance(name))
}

/// Generates from in-memory files; the first file is the spec entry.
pub fn generate_memory(files: &[(&str, &str)]) -> Result<Files, Diagnostics> {
    generate_memory_with_warnings(files).map(|g| g.files)
}

/// [`generate_memory`], with the warnings.
pub fn generate_memory_with_warnings(files: &[(&str, &str)]) -> Result<Generated, Diagnostics> {
    let mut reader = MemoryReader::new();
    for (path, text) in files {
        reader = reader.with(path, text);
    }
    let config = Config::for_name("memory", vec![files[0].0.to_owned()]);
    triad::generate(&config, "", &reader, &provenance("memory"))
}

/// The lines of a text as YAML counts them (`\n`, `\r\n` and a lone `\r` end a line).
pub fn yaml_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(['\n', '\r']) {
        lines.push(&rest[..end]);
        let skip = if rest[end..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[end + skip..];
    }
    lines.push(rest);
    lines
}

/// Makes `<base>-server`'s integration test `behaviour` (`tests/fixtures/behaviour/<behaviour>`)
/// talk to `<base>-client`: the client crate and tokio become the server crate's
/// dev-dependencies.
pub fn wire_up(files: &mut Files, base: &str, behaviour: &str) {
    let test = root().join(format!("tests/fixtures/behaviour/{behaviour}"));
    files.insert(format!("{base}-server/tests/behaviour.rs"), std::fs::read_to_string(test).expect("behaviour test"));
    let manifest = files.get_mut(&format!("{base}-server/Cargo.toml")).expect("a server crate");
    manifest.push_str(&format!(
        "\n[dev-dependencies.{base}-client]\npath = \"../{base}-client\"\n\n[dev-dependencies.tokio]\nversion = \"1\"\nfeatures = [\"rt\", \"rt-multi-thread\", \"macros\", \"net\", \"time\", \"io-util\"]\n"
    ));
}

/// The two contenders of a bench measured in alternating rounds: each round runs `run(0)` and
/// `run(1)` once, in an order drawn from a fixed seed, so drift in the machine's speed reaches
/// both alike. Returns the median milliseconds of each.
pub fn alternating_medians(rounds: usize, mut run: impl FnMut(usize)) -> [f64; 2] {
    let mut times = [Vec::new(), Vec::new()];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..rounds {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let order = if seed >> 63 == 1 { [1, 0] } else { [0, 1] };
        for i in order {
            let start = std::time::Instant::now();
            run(i);
            times[i].push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    })
}

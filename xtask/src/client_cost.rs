//! `cargo xtask client-cost`: the generated client of the whole Mews Connector API against
//! oas3-gen's `client-mod` on the same merged file: lines, dev build time, generation time.
//!
//! Steps: merge the corpus' 9 Mews files into one (`tools/merge-openapi.py` beside the corpus),
//! generate our types and client crates (the settings of `spec/mews/codegen.yaml`: body
//! credentials, cursor pagination, retry-safe reads) and oas3-gen's module, split into a types
//! crate (its `types.rs`) and a client crate (its `client.rs`), in one scratch workspace. Lines
//! counted: our `mews-client/src/lib.rs` against oas3-gen's `client.rs`. Build time: the
//! dependencies and both types crates are built first; then each round touches each client
//! crate's source and times `cargo build -p` of it alone (and of types plus client), the two
//! sides alternating which goes first; medians are printed. Generation: the release `triad` CLI
//! (types and client; the server crate is switched off) against `oas3-gen generate client-mod`,
//! each writing into an emptied folder, interleaved run by run (the two alternate which goes
//! first), so a busy machine slows both alike; medians of wall time are printed. In the same
//! runs, the release CLI generates all three crates of the flagship (`spec/mews/codegen.yaml`:
//! the imported Connector API with its overlays, the webhooks and the WebSocket), timed against
//! the same oas3-gen runs. `--rounds 0` skips the builds, `--runs 0` the generation timing.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Settings of the flagship config, applied to the merged file.
const CODEGEN: &str = "\
name: mews
specs: [mews.json]
crates:
  types: {name: mews-types, version: 0.1.0}
  client:
    name: mews-client
    version: 0.1.0
    runtime_path: RUNTIME
    retry_safe: ['*_get', '*_getAll', '*_getAll_*', '*_getAllActive']
  server: {enabled: false}
auth:
  body_fields: [ClientToken, AccessToken, Client]
pagination:
  request_cursor: Limitation.Cursor
  request_count: Limitation.Count
  response_cursor: Cursor
null_means_absent: true
";

/// Dependencies of oas3-gen's output (what its `use` lines and derives name).
const OAS3_DEPS: &str = r#"anyhow = "1"
chrono = { version = "0.4", features = ["serde"] }
http = "1"
indexmap = { version = "2", features = ["serde"] }
oas3-gen-support = "0.29"
reqwest = { version = "0.13", features = ["json"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
serde_with = { version = "3", features = ["indexmap_2"] }
uuid = { version = "1", features = ["serde"] }
validator = { version = "0.21", features = ["derive", "indexmap"] }
"#;

struct Options {
    corpus: PathBuf,
    rounds: usize,
    runs: usize,
}

fn options(args: &[String], root: &Path) -> Result<Options, String> {
    let mut options = Options { corpus: root.join("../shared/corpus"), rounds: 3, runs: 30 };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--corpus" => options.corpus = PathBuf::from(value),
            "--rounds" => options.rounds = value.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--runs" => options.runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

fn run_ok(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let output = command.stdin(Stdio::null()).output().map_err(|e| format!("{shown}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{shown} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn lines(path: &Path) -> Result<usize, String> {
    Ok(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?.lines().count())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Marks `files` as changed, so cargo rebuilds their crates and only them.
fn touch(files: &[PathBuf]) -> Result<(), String> {
    let now = SystemTime::now();
    for file in files {
        let handle = std::fs::File::options().write(true).open(file).map_err(|e| format!("{}: {e}", file.display()))?;
        handle.set_modified(now).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

pub fn run(root: &Path, args: &[String]) -> Result<ExitCode, String> {
    let options = options(args, root)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let scratch = xtask::scratch_dir("TRIAD_CLIENT_COST_SCRATCH", "triad-client-cost");
    let mews = options.corpus.join("mews-connector");
    let merge = options.corpus.join("../tools/merge-openapi.py");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let merged = scratch.join("mews.json");
    run_ok(Command::new("python3").arg(&merge).arg(&mews).arg(&merged))?;
    let runtime = root.join("runtime");
    write(&scratch.join("codegen.yaml"), &CODEGEN.replace("RUNTIME", &runtime.display().to_string()))?;

    // The release CLI, for the timing and to write our crates.
    run_ok(Command::new(&cargo).current_dir(root).args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "triad",
        "--bin",
        "triad",
    ]))?;
    let triad = root.join("target/release/triad");
    let crates = scratch.join("crates");
    let _ = std::fs::remove_dir_all(&crates);
    run_ok(Command::new(&triad).arg(scratch.join("codegen.yaml")).arg("--out").arg(&crates))?;
    let oas3 = scratch.join("oas3");
    let _ = std::fs::remove_dir_all(&oas3);
    run_ok(Command::new("oas3-gen").args(["generate", "client-mod", "-i"]).arg(&merged).arg("-o").arg(&oas3))?;
    let read = |name: &str| std::fs::read_to_string(oas3.join(name)).map_err(|e| format!("oas3-gen {name}: {e}"));
    let allow = "#![allow(clippy::all, dead_code, unused_imports)]\n";
    write(&crates.join("oas3-types/src/lib.rs"), &format!("{allow}{}", read("types.rs")?))?;
    write(&crates.join("oas3-client/src/client.rs"), &read("client.rs")?)?;
    write(
        &crates.join("oas3-client/src/lib.rs"),
        &format!("{allow}mod types {{\n    pub use oas3_types::*;\n}}\nmod client;\npub use client::*;\n"),
    )?;
    let package = |name: &str| format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n");
    write(&crates.join("oas3-types/Cargo.toml"), &format!("{}\n[dependencies]\n{OAS3_DEPS}", package("oas3-types")))?;
    write(
        &crates.join("oas3-client/Cargo.toml"),
        &format!(
            "{}\n[dependencies]\noas3-types = {{ path = \"../oas3-types\" }}\n{OAS3_DEPS}",
            package("oas3-client")
        ),
    )?;
    write(
        &scratch.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\"crates/mews-types\", \"crates/mews-client\", \"crates/oas3-types\", \"crates/oas3-client\"]\n",
    )?;

    let ours_lib = crates.join("mews-client/src/lib.rs");
    let theirs_lib = crates.join("oas3-client/src/client.rs");
    let (ours_lines, theirs_lines) = (lines(&ours_lib)?, lines(&theirs_lib)?);
    println!(
        "client lines: triad mews-client/src/lib.rs {ours_lines}, oas3-gen client.rs {theirs_lines}, ratio {:.2}",
        ours_lines as f64 / theirs_lines as f64
    );

    // Dev builds, in the scratch workspace's own target folder, dependencies built first.
    let target = scratch.join("target");
    let build = |package: &str| -> Result<Duration, String> {
        let start = Instant::now();
        run_ok(
            Command::new(&cargo)
                .current_dir(&scratch)
                .env("CARGO_TARGET_DIR", &target)
                .args(["build", "--quiet", "-p", package]),
        )?;
        Ok(start.elapsed())
    };
    if options.rounds > 0 {
        build("mews-client")?;
        build("oas3-client")?;
    }
    let sides = [
        ("triad", "mews-client", vec![ours_lib.clone()], vec![crates.join("mews-types/src/lib.rs"), ours_lib.clone()]),
        (
            "oas3-gen",
            "oas3-client",
            vec![theirs_lib.clone()],
            vec![crates.join("oas3-types/src/lib.rs"), theirs_lib.clone()],
        ),
    ];
    let mut alone = [Vec::new(), Vec::new()];
    let mut with_types = [Vec::new(), Vec::new()];
    for round in 0..options.rounds {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let (_, package, client_files, both_files) = &sides[side];
            touch(client_files)?;
            alone[side].push(build(package)?.as_secs_f64());
            touch(both_files)?;
            with_types[side].push(build(package)?.as_secs_f64());
        }
        println!(
            "round {}: client alone {:.2} s / {:.2} s, types + client {:.2} s / {:.2} s (triad / oas3-gen)",
            round + 1,
            alone[0][round],
            alone[1][round],
            with_types[0][round],
            with_types[1][round]
        );
    }
    if options.rounds > 0 {
        let (a0, a1) = (median(alone[0].clone()), median(alone[1].clone()));
        let (b0, b1) = (median(with_types[0].clone()), median(with_types[1].clone()));
        println!(
            "dev build, client crate alone (median of {}): triad {a0:.2} s, oas3-gen {a1:.2} s, ratio {:.2}",
            options.rounds,
            a0 / a1
        );
        println!(
            "dev build, types + client (median of {}): triad {b0:.2} s, oas3-gen {b1:.2} s, ratio {:.2}",
            options.rounds,
            b0 / b1
        );
    }

    // Generation, interleaved: each run times both commands, alternating which goes first.
    if options.runs > 0 {
        let gen_ours = scratch.join("gen-triad");
        let gen_theirs = scratch.join("gen-oas3");
        let gen_all = scratch.join("gen-flagship");
        let codegen = scratch.join("codegen.yaml");
        let flagship = root.join("spec/mews/codegen.yaml");
        let generate = |side: usize| -> Result<f64, String> {
            let out = [&gen_ours, &gen_theirs, &gen_all][side];
            let _ = std::fs::remove_dir_all(out);
            let mut command = if side != 1 {
                let mut c = Command::new(&triad);
                c.arg(if side == 0 { &codegen } else { &flagship }).arg("--out").arg(out);
                c
            } else {
                let mut c = Command::new("oas3-gen");
                c.args(["generate", "client-mod", "-i"]).arg(&merged).arg("-o").arg(out);
                c
            };
            command.stdout(Stdio::null()).stderr(Stdio::null());
            let start = Instant::now();
            let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
            let elapsed = start.elapsed().as_secs_f64();
            if !status.success() {
                return Err(format!("{command:?} failed"));
            }
            Ok(elapsed)
        };
        const WARMUP: usize = 3;
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for run in 0..WARMUP + options.runs {
            // Each side goes first, second and last in turn.
            let order: [usize; 3] = [run % 3, (run + 1) % 3, (run + 2) % 3];
            for side in order {
                let elapsed = generate(side)?;
                if run >= WARMUP {
                    times[side].push(elapsed);
                }
            }
        }
        let (ours, theirs) = (median(times[0].clone()), median(times[1].clone()));
        println!(
            "generation (median of {} interleaved runs): triad {:.1} ms, oas3-gen {:.1} ms: triad is {:.2}x faster",
            options.runs,
            ours * 1000.0,
            theirs * 1000.0,
            theirs / ours
        );
        let all = median(times[2].clone());
        println!(
            "generation of the flagship's three crates (spec/mews/codegen.yaml, same runs): triad {:.1} ms: {:.2}x faster than oas3-gen's client-mod",
            all * 1000.0,
            theirs / all
        );
    }
    Ok(ExitCode::SUCCESS)
}

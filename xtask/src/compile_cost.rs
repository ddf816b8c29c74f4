//! `cargo xtask compile-cost [DIR] [--rounds N]`: how long the dev build of our types crate for
//! a whole API takes against oas3-gen's `types` output for the same merged spec file, both
//! built in one scratch workspace whose dependencies are prebuilt.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use triad::Provenance;
use triad::config::Config;
use triad::load::FsReader;

/// oas3-gen's crate in the scratch workspace.
const THEIRS: &str = "oas3-gen-types";

/// The dependencies oas3-gen's `types` output uses (as its own `--workspace` manifests list
/// them, without the TLS and transport features the types never touch).
const THEIR_DEPENDENCIES: &str = r#"anyhow = "1.0"
chrono = { version = "0.4.42", default-features = false, features = ["std", "clock", "serde"] }
http = "1.5"
indexmap = { version = "2.14", features = ["serde"] }
oas3-gen-support = "0.29.0"
reqwest = { version = "0.13", default-features = false }
serde = { version = "1.0", features = ["derive"] }
serde_json = { version = "1.0", features = ["preserve_order"] }
serde_with = { version = "3.24", features = ["base64", "chrono", "indexmap_2"] }
uuid = { version = "1.28", features = ["serde"] }
validator = { version = "0.21", features = ["derive", "indexmap"] }
"#;

struct Options {
    dir: PathBuf,
    rounds: usize,
}

fn options(args: &[String], root: &Path) -> Result<Options, String> {
    let usage = "usage: cargo xtask compile-cost [DIR] [--rounds N]";
    let mut dir = None;
    let mut rounds = 5;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--rounds" {
            let n = args.next().ok_or(usage)?;
            rounds = n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("--rounds `{n}`: expected a positive count"))?;
        } else if arg.starts_with('-') || dir.is_some() {
            return Err(usage.into());
        } else {
            dir = Some(PathBuf::from(arg));
        }
    }
    let dir = dir.unwrap_or_else(|| root.join("../shared/corpus/mews-connector"));
    Ok(Options { dir, rounds })
}

/// Runs `program --version`, or says what is missing and how to get it.
fn require(program: &str, install: &str) -> Result<(), String> {
    match Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("`{program} --version` failed ({status}); {install}")),
        Err(e) => Err(format!("cannot run `{program}` ({e}); {install}")),
    }
}

/// Runs a command to completion; on failure, returns its output.
fn run_command(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

fn cargo(scratch: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(scratch).env("CARGO_TARGET_DIR", scratch.join("target")).env_remove("RUSTFLAGS");
    command
}

/// CPU time (user and system) of this process' finished children and their descendants, on
/// Linux; `None` elsewhere. Less disturbed by other load on the machine than wall time.
fn children_cpu(ticks_per_second: f64) -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start with field 3, the state;
    // `cutime` and `cstime` are fields 16 and 17.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let ticks: f64 = fields.get(13)?.parse::<f64>().ok()? + fields.get(14)?.parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(ticks / ticks_per_second))
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let mid = times.len() / 2;
    if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2 }
}

fn rust_lines(dir: &Path) -> Result<usize, String> {
    let mut lines = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rs") {
            lines += std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?.lines().count();
        }
    }
    Ok(lines)
}

pub fn run(args: &[String], root: &Path) -> Result<ExitCode, String> {
    let options = options(args, root)?;
    let dir = options.dir.canonicalize().map_err(|e| format!("{}: {e}", options.dir.display()))?;
    let merge_script = root.join("../shared/tools/merge-openapi.py");
    if !merge_script.is_file() {
        return Err(format!("the merge script {} is missing", merge_script.display()));
    }
    require("python3", "python3 (with PyYAML) runs the merge script")?;
    require("oas3-gen", "install it with `cargo install oas3-gen --locked`")?;
    let scratch = xtask::scratch_dir("TRIAD_COMPILE_SCRATCH", "triad-compile-cost");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;

    // (a) One merged JSON file, as tools that read a single file need it.
    let merged = scratch.join("merged.json");
    run_command(
        Command::new("python3").arg(&merge_script).arg(&dir).arg(&merged),
        &format!("python3 {}", merge_script.display()),
    )?;

    // (b) Both crates from the same file.
    let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "api".into());
    let base: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let mut config = Config::for_name(base.trim_matches('-'), vec!["merged.json".into()]);
    // Only the types crate is measured.
    config.client.enabled = false;
    config.server.enabled = false;
    config.client.runtime_path = Some(root.join("runtime").display().to_string());
    let ours = config.types_crate.name.clone();
    let provenance = Provenance { source: "merged.json".into(), command: "cargo xtask compile-cost".into() };
    let generated = triad::generate(&config, "", &FsReader::new(&scratch), &provenance)
        .map_err(|d| format!("generation failed:\n{d}"))?;
    let mut files = generated.files;
    let their_source = scratch.join("oas3-gen-types.rs");
    run_command(
        Command::new("oas3-gen")
            .args(["generate", "types", "--color", "never", "-i"])
            .arg(&merged)
            .arg("-o")
            .arg(&their_source),
        "oas3-gen generate types",
    )?;
    let their_code = std::fs::read_to_string(&their_source).map_err(|e| format!("{}: {e}", their_source.display()))?;
    files.insert(format!("{THEIRS}/src/lib.rs"), their_code);
    files.insert(
        format!("{THEIRS}/Cargo.toml"),
        format!(
            "[package]\nname = \"{THEIRS}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[lib]\npath = \"src/lib.rs\"\n\n[dependencies]\n{THEIR_DEPENDENCIES}"
        ),
    );
    xtask::scratch::prepare(&scratch, &files)?;
    let crates = [ours.as_str(), THEIRS];
    let mut lines = [0; 2];
    for (i, krate) in crates.iter().enumerate() {
        lines[i] = rust_lines(&scratch.join("crates").join(krate).join("src"))?;
    }

    // (c) Dependencies first, then each crate alone, alternating which goes first.
    println!("building dependencies and both crates once in {}", scratch.display());
    run_command(cargo(&scratch).args(["build", "--quiet", "--workspace"]), "the first build")?;
    let ticks = clock_ticks();
    let mut wall: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut cpu: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for round in 0..options.rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            run_command(cargo(&scratch).args(["clean", "--quiet", "-p", crates[i]]), "cargo clean")?;
            let cpu_before = children_cpu(ticks);
            let start = Instant::now();
            run_command(
                cargo(&scratch).args(["build", "--quiet", "-p", crates[i]]),
                &format!("the build of {}", crates[i]),
            )?;
            let elapsed = start.elapsed();
            let used = cpu_before.zip(children_cpu(ticks)).map(|(before, after)| after.saturating_sub(before));
            let used_text = used.map(|d| format!("{:>7.2} s CPU", d.as_secs_f64())).unwrap_or_default();
            println!("round {}: {:<28} {:>7.2} s wall {used_text}", round + 1, crates[i], elapsed.as_secs_f64());
            wall[i].push(elapsed);
            cpu[i].extend(used);
        }
    }
    let wall = [median(&mut wall[0]), median(&mut wall[1])];
    let has_cpu = cpu.iter().all(|c| c.len() == options.rounds);
    let cpu = [median(&mut cpu[0]), median(&mut cpu[1])];
    println!("\n{:<28} {:>12} {:>12} {:>8}", "crate (dev build, alone)", "median wall", "median CPU", "lines");
    for i in 0..2 {
        let cpu_text = if has_cpu { format!("{:>10.2} s", cpu[i].as_secs_f64()) } else { "-".into() };
        println!("{:<28} {:>10.2} s {cpu_text:>12} {:>8}", crates[i], wall[i].as_secs_f64(), lines[i]);
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("\nours/theirs over {} rounds:", options.rounds);
    println!("  wall time  {:.2}x", ratio(wall[0], wall[1]));
    if has_cpu {
        println!("  CPU time   {:.2}x", ratio(cpu[0], cpu[1]));
    }
    println!("  lines      {:.2}x", lines[0] as f64 / lines[1] as f64);
    Ok(ExitCode::SUCCESS)
}

//! The `triad` command on a real file system: it reads only regular files under the spec root,
//! never blocks on a FIFO or device, and never follows a symlink out of the root.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("triad-cli-reads-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary, killing it if it has not finished within 20 seconds (a hang fails the test
/// instead of stalling the suite).
fn triad(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_triad"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("triad {args:?} did not finish within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const HEAD: &str = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n";

/// A spec folder `api/` whose schema `A` refers to `reference`.
fn api_referring_to(dir: &Path, reference: &str) {
    std::fs::create_dir_all(dir.join("api")).unwrap();
    let spec = format!("{HEAD}components:\n  schemas:\n    A:\n      $ref: '{reference}'\n");
    std::fs::write(dir.join("api/api.yaml"), spec).unwrap();
    std::fs::write(dir.join("api/codegen.yaml"), "name: t\nspecs: [api.yaml]\n").unwrap();
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_is_refused_at_once() {
    let dir = scratch("fifo");
    api_referring_to(&dir, "pipe.yaml#/S");
    mkfifo(&dir.join("api/pipe.yaml"));
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("it is a FIFO, not a regular file"), "{}", stderr(&out));
    assert!(stderr(&out).contains("api/api.yaml:7:13"), "{}", stderr(&out));
    assert!(!dir.join("out").exists());
    // The config itself may be a FIFO too.
    mkfifo(&dir.join("config.yaml"));
    let out = triad(&dir, &["config.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("FIFO"), "{}", stderr(&out));
}

#[test]
fn devices_and_directories_are_refused() {
    let dir = scratch("dev");
    api_referring_to(&dir, "/dev/zero");
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out"]);
    assert!(stderr(&out).contains("is an absolute path"), "{}", stderr(&out));
    // Inside a root that holds it, a device is still not a regular file.
    // From `dir/api` up to `/`: one `..` per component of `dir` (its root included).
    let up = "../".repeat(dir.components().count());
    api_referring_to(&dir, &format!("{up}dev/zero"));
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out", "--root", "/"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("it is a character device, not a regular file"), "{}", stderr(&out));
    // The config itself is refused the same way when it is a device.
    let out = triad(&dir, &["/dev/stdin", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    api_referring_to(&dir, "schemas");
    std::fs::create_dir_all(dir.join("api/schemas")).unwrap();
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out"]);
    assert!(stderr(&out).contains("it is a directory, not a regular file"), "{}", stderr(&out));
}

#[test]
fn symlinks_may_not_lead_out_of_the_root() {
    let dir = scratch("symlink");
    std::fs::write(dir.join("secret.yaml"), "S: {type: string, description: secret}\n").unwrap();
    api_referring_to(&dir, "link.yaml#/S");
    symlink(dir.join("secret.yaml"), dir.join("api/link.yaml")).unwrap();
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("leads outside the spec root"), "{}", stderr(&out));
    // A symlinked folder leading out is refused the same way.
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    std::fs::write(dir.join("shared/s.yaml"), "S: {type: string}\n").unwrap();
    symlink(dir.join("shared"), dir.join("api/shared")).unwrap();
    api_referring_to(&dir, "shared/s.yaml#/S");
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out"]);
    assert!(stderr(&out).contains("leads outside the spec root"), "{}", stderr(&out));
    // Widening the root with the flag lets both through; a symlink inside the root is fine.
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out", "--root", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    symlink(dir.join("api/api.yaml"), dir.join("api/alias.yaml")).unwrap();
    std::fs::write(dir.join("api/codegen.yaml"), "name: t\nspecs: [alias.yaml]\nroot: ..\n").unwrap();
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out2"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn relative_refs_escaping_the_root_are_refused_before_reading() {
    let dir = scratch("escape");
    std::fs::write(dir.join("secret.yaml"), "S: {type: string}\n").unwrap();
    api_referring_to(&dir, "../secret.yaml#/S");
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("`secret.yaml` lies outside the spec root `api`"), "{err}");
    assert!(err.contains("api/api.yaml:7:13 (#/components/schemas/A/$ref)"), "{err}");
    let out = triad(&dir, &["api/codegen.yaml", "--out", "out", "--root", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
}

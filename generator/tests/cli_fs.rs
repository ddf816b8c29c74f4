//! What the `triad` command does to the file system: it writes only below `--out`, replaces or
//! deletes only files it generated, never follows links, and a failed or killed write leaves
//! the previous output or the new one, never a mix. Unix only:
//! the tests make symbolic links, permissions and signals.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

const SPEC: &str = "openapi: 3.1.0\ninfo: {title: Pets, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Pet:\n      type: object\n      properties:\n        name: {type: string}\n";

/// The spec of a second generation: every generated file changes.
fn spec_v2() -> String {
    SPEC.replace("version: '1'", "version: '2'") + "        age: {type: integer}\n"
}

fn triad(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_triad")).current_dir(dir).args(args).output().unwrap()
}

fn run_ok(dir: &Path, args: &[&str]) {
    let out = triad(dir, args);
    assert!(out.status.success(), "triad {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// One entry of a directory tree, read without following links.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File(Vec<u8>),
    Link(std::path::PathBuf),
}

/// Every entry below `root`, by relative path.
fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(rel, Entry::Link(fs::read_link(&path).unwrap()));
            } else if meta.is_dir() {
                out.insert(rel, Entry::Dir);
                walk(root, &path, out);
            } else {
                out.insert(rel, Entry::File(fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A folder with `api.yaml` and `codegen.yaml` (name `pets`, plus `extra` config lines).
fn project(extra: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("api.yaml"), SPEC).unwrap();
    fs::write(dir.path().join("codegen.yaml"), format!("name: pets\nspecs: [api.yaml]\n{extra}")).unwrap();
    dir
}

fn rename_crate(dir: &Path, name: &str) {
    let config = format!("name: pets\nspecs: [api.yaml]\ncrates:\n  types: {{name: {name}}}\n");
    fs::write(dir.join("codegen.yaml"), config).unwrap();
}

/// The user's own files in a crate folder: notes, tests, a lock file, a repository.
const USER_FILES: [(&str, &str); 5] = [
    ("NOTES.md", "my notes"),
    ("tests/it.rs", "#[test] fn mine() {}"),
    ("Cargo.lock", "# lock"),
    (".git/HEAD", "ref: refs/heads/main"),
    ("src/extra.rs", "// my own module"),
];

#[test]
fn user_files_in_a_crate_folder_survive_regeneration_and_a_rename() {
    let project = project("");
    let dir = project.path();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    let krate = dir.join("out/pets-types");
    for (path, text) in USER_FILES {
        fs::create_dir_all(krate.join(path).parent().unwrap()).unwrap();
        fs::write(krate.join(path), text).unwrap();
    }
    // The user's files are not the generator's business: not orphans, not stale.
    run_ok(dir, &["codegen.yaml", "--out", "out", "--check"]);

    fs::write(dir.join("api.yaml"), spec_v2()).unwrap();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    assert!(fs::read_to_string(krate.join("src/lib.rs")).unwrap().contains("pub age:"));
    for (path, text) in USER_FILES {
        assert_eq!(fs::read_to_string(krate.join(path)).unwrap(), text, "{path}");
    }

    rename_crate(dir, "pets-model");
    let out = triad(dir, &["codegen.yaml", "--out", "out"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("deleted: pets-types/src/lib.rs"), "{stdout}");
    assert!(stdout.contains("created: pets-model/src/lib.rs"), "{stdout}");
    assert!(dir.join("out/pets-model/src/lib.rs").is_file());
    // What triad generated in the old folder is gone; what the user put there is not.
    for generated in ["Cargo.toml", "README.md", "src/lib.rs"] {
        assert!(!krate.join(generated).exists(), "{generated} left behind");
    }
    for (path, text) in USER_FILES {
        assert_eq!(fs::read_to_string(krate.join(path)).unwrap(), text, "{path}");
    }
    run_ok(dir, &["codegen.yaml", "--out", "out", "--check"]);
}

#[test]
fn out_equal_to_the_spec_folder_leaves_the_spec_files_alone() {
    let project = project("");
    let dir = project.path();
    fs::create_dir(dir.join("pets-types")).unwrap();
    fs::write(dir.join("pets-types/shared.yaml"), "Shared: {type: string}\n").unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let before = snapshot(dir);

    run_ok(dir, &["codegen.yaml", "--out", "."]);
    run_ok(dir, &["codegen.yaml", "--out", ".", "--check"]);
    rename_crate(dir, "pets-model");
    let mut before = before;
    before.insert("codegen.yaml".into(), Entry::File(fs::read(dir.join("codegen.yaml")).unwrap()));
    run_ok(dir, &["codegen.yaml", "--out", "."]);

    let after = snapshot(dir);
    for (path, entry) in &before {
        assert_eq!(after.get(path), Some(entry), "{path} changed");
    }
    assert!(dir.join("pets-model/src/lib.rs").is_file());
    assert!(!dir.join("pets-types/Cargo.toml").exists());
}

#[test]
fn a_file_triad_did_not_generate_is_never_overwritten() {
    let project = project("");
    let dir = project.path();
    fs::create_dir_all(dir.join("out/pets-types")).unwrap();
    fs::write(dir.join("out/pets-types/README.md"), "my own readme").unwrap();
    let before = snapshot(dir);
    let out = triad(dir, &["codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to write `out/pets-types/README.md`"), "{stderr}");
    assert!(stderr.contains("triad did not generate it"), "{stderr}");
    assert_eq!(snapshot(dir), before);
}

/// True when the file system enforces permissions on us (not the case for root).
fn permissions_enforced(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let probe = dir.join("probe");
    fs::create_dir(&probe).unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o555)).unwrap();
    let enforced = fs::write(probe.join("file"), "").is_err();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_dir_all(&probe).unwrap();
    enforced
}

#[test]
fn a_write_failing_half_way_leaves_the_previous_generation_byte_identical() {
    use std::os::unix::fs::PermissionsExt as _;
    let project = project("");
    let dir = project.path();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    fs::write(dir.join("api.yaml"), spec_v2()).unwrap();

    // A read-only crate folder: `Cargo.toml` is staged, then `src/` refuses the next file.
    if permissions_enforced(dir) {
        let before = snapshot(&dir.join("out"));
        let src = dir.join("out/pets-types/src");
        fs::set_permissions(&src, fs::Permissions::from_mode(0o555)).unwrap();
        let out = triad(dir, &["codegen.yaml", "--out", "out"]);
        fs::set_permissions(&src, fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(snapshot(&dir.join("out")), before, "the failed write left changes behind");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot create temporary file `out/pets-types/src/"), "{stderr}");
    }

    // Whoever we run as: the renamed crate's `Cargo.toml` and `README.md` are staged, then a
    // file of the user's sits where the `src` directory must go.
    rename_crate(dir, "pets-model");
    fs::create_dir_all(dir.join("out/pets-model")).unwrap();
    fs::write(dir.join("out/pets-model/src"), "not a directory").unwrap();
    let before = snapshot(&dir.join("out"));
    let out = triad(dir, &["codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(snapshot(&dir.join("out")), before, "the failed write left changes behind");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot create directory `out/pets-model/src`"), "{stderr}");

    // Once the obstacle is gone, the write goes through.
    fs::remove_file(dir.join("out/pets-model/src")).unwrap();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    run_ok(dir, &["codegen.yaml", "--out", "out", "--check"]);
    assert!(!dir.join("out/pets-types").exists());
}

#[test]
fn a_write_killed_half_way_leaves_the_previous_generation_and_its_temporaries_are_removed() {
    use std::os::unix::process::ExitStatusExt as _;
    let project = project("");
    let dir = project.path();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    let before = snapshot(&dir.join("out"));

    // The next generation changes every file, and its lib.rs is far larger than the others.
    let mut spec = spec_v2();
    for i in 0..1500 {
        spec.push_str(&format!("        field{i}: {{type: string, description: Field number {i} of a pet}}\n"));
    }
    fs::write(dir.join("api.yaml"), spec).unwrap();
    // A file-size limit kills triad (SIGXFSZ) while it writes lib.rs, after the smaller
    // Cargo.toml and README.md.
    let triad = env!("CARGO_BIN_EXE_triad");
    let out = Command::new("sh")
        .current_dir(dir)
        .args(["-c", "ulimit -f 64 && exec \"$0\" codegen.yaml --out out", triad])
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(25), "triad was not killed by SIGXFSZ: {out:?}");

    // Only temporaries were left: every generated file is still the previous one.
    let mut after = snapshot(&dir.join("out"));
    let leftovers: Vec<String> = after.keys().filter(|p| p.ends_with(".triad-tmp")).cloned().collect();
    assert!(!leftovers.is_empty(), "the kill came before anything was staged");
    after.retain(|p, _| !p.ends_with(".triad-tmp"));
    assert_eq!(after, before, "a killed write left a mix of generations");

    // The next run, even a check, removes them; a write then completes.
    let check = triad_check(dir);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(snapshot(&dir.join("out")), before);
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    assert!(fs::read_to_string(dir.join("out/pets-types/src/lib.rs")).unwrap().contains("field1499"));
}

fn triad_check(dir: &Path) -> Output {
    triad(dir, &["codegen.yaml", "--out", "out", "--check"])
}

#[test]
fn a_killed_write_is_rolled_forward_and_its_temporaries_removed() {
    // The generation a killed run was writing, made in a folder of its own for comparison.
    let reference = project("");
    fs::write(reference.path().join("api.yaml"), spec_v2()).unwrap();
    rename_crate(reference.path(), "pets-model");
    run_ok(reference.path(), &["codegen.yaml", "--out", "out"]);
    let want = snapshot(&reference.path().join("out"));
    let project = project("");
    let dir = project.path();

    // The previous generation, then the leftovers of a run killed after writing its journal:
    // two renames done, the others pending, one orphan already deleted.
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    let out = dir.join("out");
    let mut journal = String::new();
    let targets = [".triad-generated", "pets-model/Cargo.toml", "pets-model/README.md", "pets-model/src/lib.rs"];
    for (i, target) in targets.into_iter().enumerate() {
        let (parent, name) = target.rsplit_once('/').unwrap_or(("", target));
        let temp = if parent.is_empty() {
            format!(".{name}.4242-0.triad-tmp")
        } else {
            format!("{parent}/.{name}.4242-0.triad-tmp")
        };
        fs::create_dir_all(out.join(target).parent().unwrap()).unwrap();
        let bytes = fs::read(reference.path().join("out").join(target)).unwrap();
        if i < 2 {
            fs::write(out.join(target), bytes).unwrap();
        } else {
            fs::write(out.join(&temp), bytes).unwrap();
        }
        journal.push_str(&format!("rename\t{temp}\t{target}\n"));
    }
    for orphan in ["pets-types/Cargo.toml", "pets-types/README.md", "pets-types/src/lib.rs"] {
        journal.push_str(&format!("delete\t{orphan}\n"));
    }
    fs::remove_file(out.join("pets-types/Cargo.toml")).unwrap();
    fs::write(out.join(".triad-journal"), journal).unwrap();
    // A temporary of a run killed before its journal was written.
    fs::write(out.join("pets-types/src/.lib.rs.977-3.triad-tmp"), "half").unwrap();

    // The next run, even a check, finishes the journal first and removes the temporary: the
    // output is now exactly the new generation (which the old config no longer matches).
    let check = triad(dir, &["codegen.yaml", "--out", "out", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", String::from_utf8_lossy(&check.stderr));
    assert_eq!(snapshot(&out), want);
    rename_crate(dir, "pets-model");
    fs::write(dir.join("api.yaml"), spec_v2()).unwrap();
    run_ok(dir, &["codegen.yaml", "--out", "out", "--check"]);
}

#[test]
fn temporaries_of_a_run_killed_before_committing_are_removed() {
    let project = project("");
    let dir = project.path();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    let before = snapshot(&dir.join("out"));
    // Killed while staging: temporaries next to generated files and in a folder it created.
    fs::write(dir.join("out/pets-types/src/.lib.rs.977-0.triad-tmp"), "half of a new lib.rs").unwrap();
    fs::write(dir.join("out/pets-types/.Cargo.toml.977-1.triad-tmp"), "").unwrap();
    fs::write(dir.join("out/..triad-journal.977-0.triad-tmp"), "rename\t").unwrap();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    assert_eq!(snapshot(&dir.join("out")), before);
}

#[test]
fn links_are_never_written_through() {
    let project = project("");
    let dir = project.path();
    fs::create_dir_all(dir.join("outside/crate")).unwrap();
    fs::write(dir.join("outside/victim.rs"), "precious").unwrap();
    let outside = snapshot(&dir.join("outside"));

    // A linked crate folder: refused, nothing written through it.
    fs::create_dir(dir.join("out")).unwrap();
    std::os::unix::fs::symlink(dir.join("outside/crate"), dir.join("out/pets-types")).unwrap();
    let out = triad(dir, &["codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`out/pets-types` is a symbolic link"), "{stderr}");
    assert_eq!(snapshot(&dir.join("outside")), outside);
    fs::remove_file(dir.join("out/pets-types")).unwrap();

    // A link at a generated path triad owns: the link is replaced, its target untouched.
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    let lib = dir.join("out/pets-types/src/lib.rs");
    let generated = fs::read(&lib).unwrap();
    fs::remove_file(&lib).unwrap();
    std::os::unix::fs::symlink(dir.join("outside/victim.rs"), &lib).unwrap();
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    assert!(!fs::symlink_metadata(&lib).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(&lib).unwrap(), generated);
    assert_eq!(snapshot(&dir.join("outside")), outside);

    // A link at a generated path triad does not own: refused.
    rename_crate(dir, "pets-model");
    fs::create_dir_all(dir.join("out/pets-model")).unwrap();
    std::os::unix::fs::symlink(dir.join("outside/victim.rs"), dir.join("out/pets-model/README.md")).unwrap();
    let out = triad(dir, &["codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link triad did not create"));
    assert_eq!(snapshot(&dir.join("outside")), outside);

    // A linked folder holding files the manifest lists is not cleaned: the orphans are left.
    fs::remove_file(dir.join("out/pets-model/README.md")).unwrap();
    rename_crate(dir, "pets-types");
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    let real = dir.join("outside/real-crate");
    fs::rename(dir.join("out/pets-types"), &real).unwrap();
    std::os::unix::fs::symlink(&real, dir.join("out/pets-types")).unwrap();
    let kept = snapshot(&real);
    rename_crate(dir, "pets-model");
    run_ok(dir, &["codegen.yaml", "--out", "out"]);
    assert_eq!(snapshot(&real), kept);
}

#[test]
fn a_bad_crate_name_is_located_and_nothing_is_written() {
    for (line, name) in [("  types: {name: ../escape}", "../escape"), ("  types: {name: /tmp/x}", "/tmp/x")] {
        let project = project(&format!("crates:\n{line}\n"));
        let dir = project.path();
        let before = snapshot(dir);
        let out = triad(dir, &["codegen.yaml", "--out", "out"]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("crate name `{name}`")), "{stderr}");
        assert!(stderr.contains("codegen.yaml:4:17 (#/crates/types/name)"), "{stderr}");
        assert_eq!(snapshot(dir), before, "something was written");
        assert!(!dir.parent().unwrap().join("escape").exists());
    }
    let project = TempDir::new().unwrap();
    let dir = project.path();
    fs::write(dir.join("api.yaml"), SPEC).unwrap();
    fs::write(dir.join("codegen.yaml"), "name: ../up\nspecs: [api.yaml]\n").unwrap();
    let out = triad(dir, &["codegen.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("codegen.yaml:1:7 (#/name)"), "{stderr}");
    assert!(!dir.join("out").exists() && !dir.join("up-types").exists());
}

//! Writing output: only changed files are touched, and stale, missing and orphaned files are
//! named by the check. Orphans are files an earlier write generated (listed in the manifest),
//! never files someone else put there.

use std::path::PathBuf;

use triad::Files;
use triad::sync::{self, Drift};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("triad-sync-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files(pairs: &[(&str, &str)]) -> Files {
    pairs.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect()
}

#[test]
fn check_names_stale_missing_and_orphaned_files() {
    let dir = scratch("check");
    let wanted = files(&[("a/src/lib.rs", "new"), ("a/Cargo.toml", "toml"), ("a/README.md", "readme")]);
    let mut earlier = wanted.clone();
    earlier.insert("a/src/old.rs".into(), "left over".into());
    sync::write(&dir, &earlier).unwrap();
    assert!(sync::diff(&dir, &earlier).unwrap().is_empty());

    std::fs::write(dir.join("a/src/lib.rs"), "edited by hand").unwrap();
    std::fs::remove_file(dir.join("a/README.md")).unwrap();
    std::fs::write(dir.join("a/src/mine.rs"), "written by hand").unwrap();
    let drift = sync::diff(&dir, &wanted).unwrap();
    assert_eq!(
        drift,
        [
            Drift::Missing("a/README.md".into()),
            Drift::Stale(".triad-generated".into()),
            Drift::Stale("a/src/lib.rs".into()),
            Drift::Orphan("a/src/old.rs".into())
        ]
    );
    // Writing repairs everything and removes the orphan, but not the file triad never wrote.
    sync::write(&dir, &wanted).unwrap();
    assert!(sync::diff(&dir, &wanted).unwrap().is_empty());
    assert!(!dir.join("a/src/old.rs").exists());
    assert_eq!(std::fs::read_to_string(dir.join("a/src/mine.rs")).unwrap(), "written by hand");
}

#[test]
fn unchanged_files_are_not_rewritten() {
    let dir = scratch("mtime");
    let wanted = files(&[("a/x.rs", "same"), ("a/y.rs", "old")]);
    sync::write(&dir, &wanted).unwrap();
    let before = std::fs::metadata(dir.join("a/x.rs")).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let changed = sync::write(&dir, &files(&[("a/x.rs", "same"), ("a/y.rs", "new")])).unwrap();
    assert_eq!(changed, [Drift::Stale("a/y.rs".into())]);
    let after = std::fs::metadata(dir.join("a/x.rs")).unwrap().modified().unwrap();
    assert_eq!(before, after, "an unchanged file was rewritten");
    assert_eq!(std::fs::read_to_string(dir.join("a/y.rs")).unwrap(), "new");
}

#[test]
fn paths_leaving_the_output_are_refused_before_anything_is_written() {
    let outside = scratch("outside");
    let absolute = format!("{}/escape.rs", outside.display());
    for bad in ["../escape.rs", "a/../../escape.rs", &absolute, "a\\..\\..\\escape.rs", "a//b.rs", "./a.rs"] {
        let dir = scratch("confined");
        let wanted = files(&[("a/first.rs", "ok"), (bad, "escaped")]);
        let err = sync::write(&dir.join("out"), &wanted).unwrap_err();
        assert!(err.to_string().contains("refusing to write"), "{bad}: {err}");
        assert!(!dir.join("out").exists(), "{bad}: something was written");
        assert!(!dir.join("escape.rs").exists() && !outside.join("escape.rs").exists(), "{bad}");
    }
    // A file and a directory of the same name cannot both be generated.
    let dir = scratch("conflict");
    let err = sync::write(&dir, &files(&[("a/b", "file"), ("a/b/c.rs", "inside")])).unwrap_err();
    assert!(err.to_string().contains("both as a file and as the directory"), "{err}");
}

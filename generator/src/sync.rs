//! Bringing an output directory in line with generated [`Files`]: the only code of this crate
//! that writes. Only files whose bytes differ are written (each through a temporary file and a
//! rename, so no file is ever half-written), and files no generator produced are reported as
//! orphans (and removed when writing).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::Files;

/// How a file on disk differs from what was generated.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Drift {
    /// Generated but absent on disk.
    Missing(String),
    /// Present with other bytes.
    Stale(String),
    /// On disk inside an output crate, but not generated.
    Orphan(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing: {p}"),
            Drift::Stale(p) => write!(f, "stale:   {p}"),
            Drift::Orphan(p) => write!(f, "orphan:  {p}"),
        }
    }
}

/// Lists every difference between `dir` and `files`. Orphans are looked for in each directory
/// named in `owned` (relative to `dir`); pass the crate directories the generator owns.
pub fn diff(dir: &Path, files: &Files, owned: &[String]) -> io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for (path, content) in files {
        match fs::read(dir.join(path)) {
            Ok(bytes) if bytes == content.as_bytes() => {}
            Ok(_) => drift.push(Drift::Stale(path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => drift.push(Drift::Missing(path.clone())),
            Err(e) => return Err(e),
        }
    }
    let mut on_disk = BTreeSet::new();
    for root in owned {
        list_files(&dir.join(root), root, &mut on_disk)?;
    }
    for path in on_disk {
        if !files.contains_key(&path) {
            drift.push(Drift::Orphan(path));
        }
    }
    drift.sort();
    Ok(drift)
}

/// Writes what differs and removes orphans; returns what changed.
pub fn write(dir: &Path, files: &Files, owned: &[String]) -> io::Result<Vec<Drift>> {
    let drift = diff(dir, files, owned)?;
    for d in &drift {
        match d {
            Drift::Missing(path) | Drift::Stale(path) => write_atomic(&dir.join(path), files[path].as_bytes())?,
            Drift::Orphan(path) => {
                fs::remove_file(dir.join(path))?;
                remove_empty_parents(dir, &dir.join(path));
            }
        }
    }
    Ok(drift)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut tmp = PathBuf::from(path);
    tmp.set_extension(format!("{}.triad-tmp", path.extension().and_then(|e| e.to_str()).unwrap_or_default()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut current = file.parent();
    while let Some(dir) = current {
        if dir == root || fs::remove_dir(dir).is_err() {
            break;
        }
        current = dir.parent();
    }
}

fn list_files(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        if entry.file_type()?.is_dir() {
            if name == "target" {
                continue;
            }
            list_files(&entry.path(), &rel, out)?;
        } else {
            out.insert(rel);
        }
    }
    Ok(())
}

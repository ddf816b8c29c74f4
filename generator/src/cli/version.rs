//! One version of an API as the command line names it: a codegen config in the work tree, or
//! one at a git revision (`REV:path`, read with `git cat-file`, never checked out).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::{Config, MAX_CONFIG_BYTES};
use crate::load::{FsReader, ReadError, SourceReader};
use crate::{Generated, Provenance, ir};

/// Where a version's files are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The config file at this path, and the files it names, in the work tree.
    Work(String),
    /// The config file at `path` as it was at git revision `rev`, and the files it names at
    /// that revision.
    Git {
        /// A revision `git` understands (`HEAD~1`, `v1.2.0`, a commit id).
        rev: String,
        /// The config's path, relative to the working directory.
        path: String,
    },
}

impl Source {
    /// `REV:path` names a config at a git revision unless a file of that name exists.
    pub fn parse(arg: &str) -> Source {
        match arg.split_once(':') {
            Some((rev, path)) if !rev.is_empty() && !path.is_empty() && !Path::new(arg).exists() => {
                Source::Git { rev: rev.to_owned(), path: path.to_owned() }
            }
            _ => Source::Work(arg.to_owned()),
        }
    }

    fn path(&self) -> &str {
        match self {
            Source::Work(path) | Source::Git { path, .. } => path,
        }
    }

    /// How the source is shown in messages.
    pub fn shown(&self) -> String {
        match self {
            Source::Work(path) => path.clone(),
            Source::Git { rev, path } => format!("{rev}:{path}"),
        }
    }
}

/// A config ready to be generated: where its specs are read from and through what.
pub struct Loaded {
    /// The config, its `root` made relative to its own folder.
    pub config: Config,
    /// The config's folder, relative to the reader's base.
    dir: String,
    /// The folder paths are read relative to (absolute).
    base: String,
    /// Where the specs are read from: the work tree or a git revision.
    git: Option<String>,
    reader: Box<dyn SourceReader>,
}

impl Loaded {
    /// Loads, lowers and emits.
    pub fn generate(&self, provenance: &Provenance) -> Result<Generated, crate::diag::Diagnostics> {
        crate::generate(&self.config, &self.dir, self.reader.as_ref(), provenance)
    }

    /// The config's folder, relative to [`Loaded::base`].
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The absolute folder spec paths are read relative to.
    pub fn base(&self) -> &Path {
        Path::new(&self.base)
    }

    /// A reader of the same files as this one's (the work tree, or the same git revision).
    pub fn reader(&self) -> Box<dyn SourceReader> {
        match &self.git {
            None => Box::new(FsReader::new(&self.base)),
            Some(rev) => Box::new(GitReader { base: PathBuf::from(&self.base), rev: rev.clone() }),
        }
    }

    /// [`Loaded::generate`], also returning the API.
    pub fn build(&self, provenance: &Provenance) -> Result<(ir::Api, Generated), crate::diag::Diagnostics> {
        crate::build(&self.config, &self.dir, self.reader.as_ref(), provenance)
    }
}

/// Reads the config `source` names, resolving its spec root (`root` overrides the config's).
/// Spec paths are read relative to a base folder: the working directory when the spec root lies
/// under it (so messages show paths as the user typed them), else the root itself.
pub fn load_version(source: &Source, root: Option<&Path>) -> Result<Loaded, String> {
    let shown = source.shown();
    let config_path = source.path().replace('\\', "/");
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().replace('\\', "/")).unwrap_or_default();
    let config = match source {
        Source::Work(_) => Config::from_file(Path::new(&config_path), &config_path),
        Source::Git { rev, .. } => {
            // Read in the config's own folder, which is inside the repository even when the
            // working directory is not.
            let full = crate::load::normalize_path(&if config_path.starts_with('/') {
                config_path.clone()
            } else {
                format!("{cwd}/{config_path}")
            });
            let (folder, name) = full.rsplit_once('/').unwrap_or((".", full.as_str()));
            let reader =
                GitReader { base: PathBuf::from(if folder.is_empty() { "/" } else { folder }), rev: rev.clone() };
            match reader.read(name, "", MAX_CONFIG_BYTES) {
                Ok(bytes) => match crate::node::decode_utf8(&bytes) {
                    Ok(text) => Config::parse(&shown, text),
                    Err(_) => return Err(format!("{shown}: the codegen config is not UTF-8")),
                },
                Err(e) => return Err(format!("{shown}: cannot read the codegen config: {e}")),
            }
        }
    }
    .map_err(|diags| crate::diag::Diagnostics::new(diags).to_string())?;
    let git = match source {
        Source::Work(_) => None,
        Source::Git { rev, .. } => Some(rev.as_str()),
    };
    Ok(prepare(config, config_path.rsplit_once('/').map_or(".", |(dir, _)| dir), root, git))
}

/// A config made in memory (spec paths relative to `config_dir`), ready to be generated from
/// the work tree.
pub fn in_memory(config: Config, config_dir: &str, root: Option<&Path>) -> Loaded {
    prepare(config, config_dir, root, None)
}

/// Resolves the spec root of `config` (whose folder is `config_dir`, absolute or relative to
/// the working directory) and picks the reader: the work tree, or git revision `git`.
fn prepare(mut config: Config, config_dir: &str, root: Option<&Path>, git: Option<&str>) -> Loaded {
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().replace('\\', "/")).unwrap_or_default();
    let absolute =
        |p: &str| crate::load::normalize_path(&if p.starts_with('/') { p.to_owned() } else { format!("{cwd}/{p}") });
    let config_dir = absolute(config_dir);
    let root = match root {
        Some(root) => absolute(&root.to_string_lossy().replace('\\', "/")),
        None => crate::load::join_path(&format!("{config_dir}/"), config.root.as_deref().unwrap_or(".")),
    };
    config.root = Some(crate::load::relative_path(&config_dir, &root));
    // Reads are confined to the root by the reader; the base only decides how paths are shown:
    // the working directory when the root and the config lie under it, else the deepest folder
    // holding both.
    let outside = |p: &str| crate::load::relative_path(&cwd, p).starts_with("..");
    let base = if outside(&root) || outside(&config_dir) { common_folder(&root, &config_dir) } else { cwd.clone() };
    let dir = match crate::load::relative_path(&base, &config_dir) {
        d if d == "." => String::new(),
        d => d,
    };
    let reader: Box<dyn SourceReader> = match git {
        None => Box::new(FsReader::new(&base)),
        Some(rev) => Box::new(GitReader { base: PathBuf::from(&base), rev: rev.to_owned() }),
    };
    Loaded { config, dir, base, git: git.map(str::to_owned), reader }
}

/// The deepest folder holding both absolute folders `a` and `b`.
fn common_folder(a: &str, b: &str) -> String {
    let common: Vec<&str> = a.split('/').zip(b.split('/')).take_while(|(x, y)| x == y).map(|(x, _)| x).collect();
    let joined = common.join("/");
    if joined.is_empty() { "/".to_owned() } else { joined }
}

/// Reads files as they were at a git revision (`git cat-file blob REV:./path`: the stored bytes,
/// with no filters or text conversion). A symbolic link reads as the path it holds, never as
/// the file it points to, so nothing outside the tree is reached.
struct GitReader {
    /// The folder paths are relative to.
    base: PathBuf,
    rev: String,
}

impl SourceReader for GitReader {
    fn read(&self, path: &str, root: &str, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        if !crate::load::is_under(root, path) {
            return Err(ReadError::OutsideRoot(path.to_owned()));
        }
        if self.rev.starts_with('-') {
            return Err(ReadError::Io(format!("`{}` is not a revision", self.rev)));
        }
        let object = format!("{}:./{path}", self.rev);
        let kind = git(&self.base, &["cat-file", "-t", &object])?;
        match String::from_utf8_lossy(&kind).trim() {
            "blob" => {}
            "tree" => return Err(ReadError::NotRegular("a directory")),
            other => return Err(ReadError::Io(format!("`{object}` is a git {other}"))),
        }
        let size = git(&self.base, &["cat-file", "-s", &object])?;
        let size: u64 = String::from_utf8_lossy(&size).trim().parse().unwrap_or(u64::MAX);
        if size > max_bytes {
            return Err(ReadError::TooLarge(max_bytes));
        }
        git(&self.base, &["cat-file", "blob", &object])
    }
}

/// Runs git in `dir` and returns its standard output; a failure reads as "not found" when git
/// says the path does not exist at that revision.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, ReadError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .map_err(|e| ReadError::Io(format!("cannot run git: {e}")))?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("does not exist") || stderr.contains("exists on disk, but not in") {
        Err(ReadError::NotFound)
    } else {
        Err(ReadError::Io(format!("git: {}", stderr.trim())))
    }
}

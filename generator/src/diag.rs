//! Diagnostics: every problem the generator reports, with the place it comes from.
//!
//! A [`Diagnostic`] always names a file, a line and column (1-based), a JSON pointer into the
//! document, what was found and what was expected. Stages collect diagnostics instead of
//! stopping at the first one, so a user sees every problem of a file in one run.

use std::fmt;
use std::sync::Arc;

/// A position in a source file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file as the user named it (relative to where the generator was pointed at).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// JSON pointer of the node inside its document, `""` for the root.
    pub pointer: String,
}

impl Location {
    /// A location that only names a file (used for whole-file problems such as IO errors).
    pub fn file(file: &str) -> Self {
        Location { file: file.into(), line: 1, column: 1, pointer: String::new() }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{} (#{})", Plain(&self.file), self.line, self.column, Plain(&self.pointer))
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input cannot be turned into output.
    #[default]
    Error,
    /// Output was produced, but part of the input is ignored or read in a way the author may
    /// not expect.
    Warning,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where the problem is.
    pub location: Location,
    /// What is wrong.
    pub message: String,
    /// What the generator expected instead, when that can be said.
    pub expected: Option<String>,
    /// Other places that explain the problem (for example the first of two clashing definitions).
    pub related: Vec<(Location, String)>,
}

impl Diagnostic {
    /// A diagnostic at `location`.
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, location, message: message.into(), expected: None, related: Vec::new() }
    }

    /// A warning at `location`: something in the input is ignored or guessed at.
    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::new(location, message) }
    }

    /// Adds what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// Adds a related location with a note.
    pub fn related(mut self, location: Location, note: impl Into<String>) -> Self {
        self.related.push((location, note.into()));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: {}\n  --> {}", Plain(&self.message), self.location)?;
        if let Some(expected) = &self.expected {
            write!(f, "\n  expected: {}", Plain(expected))?;
        }
        for (location, note) in &self.related {
            write!(f, "\n  note: {}\n  --> {location}", Plain(note))?;
        }
        Ok(())
    }
}

/// Text that may quote a spec (names, keys, file names), written with its control characters
/// escaped (`\u{1b}`, `\n`), so that a spec cannot forge lines of the report or send escape
/// sequences to the terminal.
struct Plain<'a>(&'a str);

impl fmt::Display for Plain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_debug())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// A non-empty set of diagnostics, sorted by file, line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Wraps a list, sorting it so the report is stable whatever order stages ran in.
    pub fn new(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by(|a, b| {
            (&a.location.file, a.location.line, a.location.column, &a.message).cmp(&(
                &b.location.file,
                b.location.line,
                b.location.column,
                &b.message,
            ))
        });
        list.dedup();
        Diagnostics(list)
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        let errors = self.0.iter().filter(|d| d.severity == Severity::Error).count();
        let warnings = self.0.len() - errors;
        let count = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        match (errors, warnings) {
            (_, 0) => write!(f, "{}", count(errors, "error")),
            (0, _) => write!(f, "{}", count(warnings, "warning")),
            _ => write!(f, "{}, {}", count(errors, "error"), count(warnings, "warning")),
        }
    }
}

impl std::error::Error for Diagnostics {}

//! The command line of the example programs generated crates ship: everything in them that is
//! the same for every API. A program keeps its help text, its flags as data ([`Flag`]) and what
//! it does with them; [`main`] does the rest.
//!
//! - **Options** are `--name VALUE` pairs, each flag taking the next argument as its value
//!   whatever it looks like; a flag given twice keeps its last value. `-h` or `--help` prints the
//!   help on standard output and exits 0. An unknown option, or a flag without a value, is a
//!   usage error. Flags not given take their default, if they have one.
//! - **Secret flags** ([`Flag::secret`]) hold credentials: their values come out only as
//!   [`Secret`]s ([`Args::secret`]), never as text, and `Debug` of [`Args`] redacts them.
//! - **Exit codes**: what `run` returns on success (0 when it finished, or after a graceful
//!   shutdown), [`EXIT_FAILED`] (1) when it could not do its work (the error on standard error),
//!   [`EXIT_USAGE`] (2) on a bad command line (the error and the help on standard error). See
//!   [`Failure`].
//! - **Shutdown**: [`shutdown`] completes on SIGTERM or Ctrl-C.
//! - **Output**: [`Lines`] writes one line at a time, flushed, to standard output or a file.
//!
//! With feature `server`, `serve_receiver` and `Handled` run a webhook receiver example; with
//! `ws`, `print_items` prints a listener's items; with both, `push_stdin` serves a channel's
//! endpoint and pushes standard input to its clients, and `fan_out` shares its pushes with
//! other pushers through NATS (with feature `nats`).
#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;

use crate::secret::Secret;

#[cfg(feature = "server")]
mod receiver;
#[cfg(feature = "ws")]
mod ws;

#[cfg(feature = "server")]
pub use receiver::{Handled, serve_receiver};
#[cfg(feature = "ws")]
pub use ws::print_items;
#[cfg(all(feature = "ws", feature = "server"))]
pub use ws::{fan_out, push_stdin};

/// Exit code of a program that could not do its work (a failed call, an address it cannot
/// listen on).
pub const EXIT_FAILED: u8 = 1;

/// Exit code of a bad command line (an unknown option, a missing or unreadable value).
pub const EXIT_USAGE: u8 = 2;

/// One `--name VALUE` option a program takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    name: &'static str,
    secret: bool,
    default: Option<&'static str>,
}

impl Flag {
    /// An option named `name` (without the leading `--`) whose value is ordinary text.
    pub const fn plain(name: &'static str) -> Flag {
        Flag { name, secret: false, default: None }
    }

    /// An option holding a credential: its value is only read as a [`Secret`] and never shown.
    pub const fn secret(name: &'static str) -> Flag {
        Flag { name, secret: true, default: None }
    }

    /// The same option, taking `value` when it is not given.
    pub const fn with_default(self, value: &'static str) -> Flag {
        Flag { default: Some(value), ..self }
    }

    /// The option's name, without the leading `--`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// True for a secret option.
    pub const fn is_secret(&self) -> bool {
        self.secret
    }
}

/// Why a program stops before finishing its work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A bad command line: reported with the help, exit code [`EXIT_USAGE`].
    Usage(String),
    /// The program could not do its work: reported alone, exit code [`EXIT_FAILED`].
    Failed(String),
}

impl Failure {
    /// A usage failure with `message`.
    pub fn usage(message: impl fmt::Display) -> Failure {
        Failure::Usage(message.to_string())
    }

    /// A failure of the program's work with `message` (such as an error).
    pub fn failed(message: impl fmt::Display) -> Failure {
        Failure::Failed(message.to_string())
    }

    /// The exit code it ends the program with.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Failed(_) => EXIT_FAILED,
        }
    }

    /// What the program writes to standard error: `error: MESSAGE`, followed by a blank line and
    /// `help` for a usage failure.
    pub fn report(&self, help: &str) -> String {
        match self {
            Failure::Usage(message) => format!("error: {message}\n\n{help}"),
            Failure::Failed(message) => format!("error: {message}"),
        }
    }
}

/// The message alone.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(message) | Failure::Failed(message) => f.write_str(message),
        }
    }
}

/// The values of a program's options, read by [`Args::read`]; looked up by flag name (without
/// `--`). A name the program did not declare is never set.
#[derive(Clone)]
pub struct Args {
    flags: Vec<Flag>,
    values: Vec<Option<String>>,
}

impl Args {
    /// Reads `args` (the command line without the program's name) against `flags`. `Ok(None)`
    /// when `-h` or `--help` comes before any error: the program prints its help and ends.
    /// Flags not given take their defaults.
    pub fn read(flags: &[Flag], args: impl IntoIterator<Item = String>) -> Result<Option<Args>, Failure> {
        let mut values: Vec<Option<String>> = vec![None; flags.len()];
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                return Ok(None);
            }
            let slot = arg
                .strip_prefix("--")
                .and_then(|name| flags.iter().position(|flag| flag.name == name))
                .and_then(|at| values.get_mut(at));
            let Some(slot) = slot else {
                return Err(Failure::Usage(format!("unknown option `{arg}`")));
            };
            match args.next() {
                Some(value) => *slot = Some(value),
                None => return Err(Failure::Usage(format!("{arg} needs a value"))),
            }
        }
        for (value, flag) in values.iter_mut().zip(flags) {
            if value.is_none() {
                *value = flag.default.map(str::to_owned);
            }
        }
        Ok(Some(Args { flags: flags.to_vec(), values }))
    }

    /// The value of flag `name` and whether it is secret.
    fn get(&self, name: &str) -> Option<(&str, bool)> {
        let at = self.flags.iter().position(|flag| flag.name == name)?;
        let value = self.values.get(at)?.as_deref()?;
        Some((value, self.flags.get(at)?.secret))
    }

    /// True when flag `name` has a value, given or by default (secret or not).
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of plain flag `name`, given or by default. Always `None` for a secret flag:
    /// read those with [`Args::secret`].
    pub fn value(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Some((value, false)) => Some(value.to_owned()),
            _ => None,
        }
    }

    /// The value of plain flag `name`; a usage failure `missing --NAME` when it has none.
    pub fn required(&self, name: &str) -> Result<String, Failure> {
        self.value(name).ok_or_else(|| missing(name))
    }

    /// The value of secret flag `name` as a [`Secret`]. Always `None` for a plain flag.
    pub fn secret(&self, name: &str) -> Option<Secret> {
        match self.get(name) {
            Some((value, true)) => Some(Secret::new(value)),
            _ => None,
        }
    }

    /// The value of secret flag `name`; a usage failure `missing --NAME` when it has none.
    pub fn required_secret(&self, name: &str) -> Result<Secret, Failure> {
        self.secret(name).ok_or_else(|| missing(name))
    }

    /// The value of plain flag `name` read as a `T`: as JSON (`42`, `true`, `"text"`, `[1, 2]`)
    /// or else as a JSON string holding the text (`2024-01-01T00:00:00Z`, an enum value).
    /// `Ok(None)` when it has no value; a usage failure `--NAME `VALUE`: ERROR` when it is not a
    /// `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Failure> {
        let Some(value) = self.value(name) else { return Ok(None) };
        let parsed =
            serde_json::from_str(&value).or_else(|_| serde_json::from_value(serde_json::Value::String(value.clone())));
        parsed.map(Some).map_err(|e| Failure::Usage(format!("--{name} `{value}`: {e}")))
    }
}

fn missing(name: &str) -> Failure {
    Failure::Usage(format!("missing --{name}"))
}

/// Flag names with their values; secret values show as `<redacted>`.
impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (flag, value) in self.flags.iter().zip(&self.values) {
            match value {
                Some(_) if flag.secret => map.entry(&flag.name, &Some("<redacted>")),
                value => map.entry(&flag.name, value),
            };
        }
        map.finish()
    }
}

/// A program's `main`: reads the command line against `flags` and runs `run` with the values.
/// `-h`/`--help` prints `help` and gives 0; a bad command line, or a failure `run` returns, is
/// reported on standard error and gives its exit code ([`Failure`]); otherwise `run`'s code.
pub async fn main<F, Fut>(help: &str, flags: &[Flag], run: F) -> ExitCode
where
    F: FnOnce(Args) -> Fut,
    Fut: Future<Output = Result<ExitCode, Failure>>,
{
    let outcome = match Args::read(flags, std::env::args().skip(1)) {
        Ok(Some(args)) => run(args).await,
        Ok(None) => {
            println!("{help}");
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Err(failure),
    };
    exit(outcome, help)
}

/// The exit code of a program's outcome, reporting a failure on standard error
/// ([`Failure::report`]).
pub fn exit(outcome: Result<ExitCode, Failure>, help: &str) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("{}", failure.report(help));
            ExitCode::from(failure.code())
        }
    }
}

/// Completes on SIGTERM or Ctrl-C (on other platforms than Unix, on Ctrl-C); never, when the
/// signal handler cannot be installed.
pub async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Output written one line at a time, each flushed before [`Lines::write`] returns; shared by
/// the tasks of a program.
pub struct Lines {
    out: Mutex<Box<dyn Write + Send>>,
}

impl Lines {
    /// Lines to standard output.
    pub fn stdout() -> Lines {
        Lines::to(std::io::stdout())
    }

    /// Lines appended to the file at `path` (created when missing); a failure `PATH: ERROR`
    /// when it cannot be opened.
    pub fn append(path: &str) -> Result<Lines, Failure> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Failure::Failed(format!("{path}: {e}")))?;
        Ok(Lines::to(file))
    }

    /// [`Lines::append`] to `path` when given, else [`Lines::stdout`].
    pub fn open(path: Option<&str>) -> Result<Lines, Failure> {
        path.map_or_else(|| Ok(Lines::stdout()), Lines::append)
    }

    /// Lines to `out`.
    pub fn to(out: impl Write + Send + 'static) -> Lines {
        Lines { out: Mutex::new(Box::new(out)) }
    }

    /// Writes `line` and a line feed, then flushes.
    pub fn write(&self, line: impl fmt::Display) -> std::io::Result<()> {
        let mut out = self.out.lock().map_err(|_| std::io::Error::other("output lock poisoned"))?;
        out.write_all(format!("{line}\n").as_bytes())?;
        out.flush()
    }
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines").finish_non_exhaustive()
    }
}

/// The first of `pointers` (JSON pointers, such as `/Id` or `/Integration/Id`) that `value`
/// has.
pub fn first_at<'a>(value: &'a serde_json::Value, pointers: &[&str]) -> Option<&'a serde_json::Value> {
    pointers.iter().find_map(|pointer| value.pointer(pointer))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAGS: &[Flag] = &[
        Flag::plain("base-url"),
        Flag::secret("token"),
        Flag::secret("client").with_default("cli 1.0"),
        Flag::plain("page-size").with_default("100"),
        Flag::plain("from"),
    ];

    fn read(args: &[&str]) -> Result<Option<Args>, Failure> {
        Args::read(FLAGS, args.iter().map(|a| a.to_string()))
    }

    fn args(list: &[&str]) -> Args {
        read(list).unwrap().unwrap()
    }

    #[test]
    fn reads_values_defaults_and_the_last_of_a_repeated_flag() {
        let args = args(&["--base-url", "http://a", "--from", "x", "--base-url", "http://b"]);
        assert_eq!(args.value("base-url").as_deref(), Some("http://b"));
        assert_eq!(args.value("from").as_deref(), Some("x"));
        assert_eq!(args.value("page-size").as_deref(), Some("100"), "the default");
        assert!(args.is_set("page-size") && args.is_set("client") && !args.is_set("token"));
        assert_eq!(args.value("undeclared"), None);
        assert!(!args.is_set("undeclared"));
    }

    #[test]
    fn a_value_is_the_next_argument_whatever_it_looks_like() {
        let args = args(&["--from", "--help", "--base-url", "-h"]);
        assert_eq!(args.value("from").as_deref(), Some("--help"));
        assert_eq!(args.value("base-url").as_deref(), Some("-h"));
    }

    #[test]
    fn help_ends_reading_unless_an_error_comes_first() {
        assert!(read(&["--help"]).unwrap().is_none());
        assert!(read(&["--from", "x", "-h", "--nope"]).unwrap().is_none());
        assert_eq!(read(&["--nope", "x", "--help"]).unwrap_err(), Failure::Usage("unknown option `--nope`".into()));
    }

    #[test]
    fn unknown_options_and_flags_without_values_are_usage_errors() {
        for (line, message) in [
            (&["--frobnicate", "x"][..], "unknown option `--frobnicate`"),
            (&["base-url", "x"], "unknown option `base-url`"),
            (&["--base-url", "x", "stray"], "unknown option `stray`"),
            (&["-base-url", "x"], "unknown option `-base-url`"),
            (&["--base-url"], "--base-url needs a value"),
            (&["--from", "x", "--token"], "--token needs a value"),
        ] {
            let failure = read(line).unwrap_err();
            assert_eq!(failure, Failure::Usage(message.into()), "{line:?}");
            assert_eq!(failure.code(), EXIT_USAGE);
        }
    }

    #[test]
    fn required_values_name_the_missing_flag() {
        let args = args(&["--token", "t"]);
        assert_eq!(args.required("base-url"), Err(Failure::Usage("missing --base-url".into())));
        assert_eq!(args.required("page-size").as_deref(), Ok("100"));
        assert_eq!(args.required_secret("token").map(|s| s.expose().to_owned()), Ok("t".to_owned()));
        let none = self::args(&[]);
        assert_eq!(none.required_secret("token"), Err(Failure::Usage("missing --token".into())));
    }

    #[test]
    fn secret_values_come_out_only_as_secrets() {
        let args = args(&["--token", "s3cr3t", "--from", "visible"]);
        assert_eq!(args.secret("token").map(|s| s.expose().to_owned()).as_deref(), Some("s3cr3t"));
        assert_eq!(args.value("token"), None, "no secret as text");
        assert_eq!(args.parse::<String>("token"), Ok(None), "no secret parsed (its error would show it)");
        assert!(args.required("token").is_err());
        assert_eq!(args.secret("from"), None, "a plain value is no secret");
        assert_eq!(args.secret("client").map(|s| s.expose().to_owned()).as_deref(), Some("cli 1.0"));
        let shown = format!("{args:?} {:?}", args.secret("token"));
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("cli 1.0"), "{shown}");
        assert!(shown.contains("visible") && shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn values_parse_as_json_or_as_a_string() {
        let args = args(&["--from", "2024-01-01T00:00:00Z", "--base-url", "[1, 2]"]);
        assert_eq!(args.parse::<u32>("page-size"), Ok(Some(100)));
        assert_eq!(args.parse::<String>("from").unwrap().as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(args.parse::<Vec<u8>>("base-url"), Ok(Some(vec![1, 2])));
        assert_eq!(self::args(&[]).parse::<u32>("from"), Ok(None));
        let bad = self::args(&["--page-size", "many"]).parse::<u32>("page-size").unwrap_err();
        assert_eq!(bad.code(), EXIT_USAGE);
        assert!(bad.to_string().starts_with("--page-size `many`: invalid type: string \"many\""), "{bad}");
    }

    #[test]
    fn failures_give_their_exit_codes_and_reports() {
        let usage = Failure::usage("missing --url");
        assert_eq!((usage.code(), usage.report("usage: x")), (2, "error: missing --url\n\nusage: x".to_owned()));
        let failed = Failure::failed(std::io::Error::other("refused"));
        assert_eq!((failed.code(), failed.report("usage: x")), (1, "error: refused".to_owned()));
        assert_eq!(failed.to_string(), "refused");
        assert_eq!(exit(Ok(ExitCode::from(7)), ""), ExitCode::from(7));
        assert_eq!(exit(Err(usage), "help"), ExitCode::from(EXIT_USAGE));
        assert_eq!(exit(Err(failed), "help"), ExitCode::from(EXIT_FAILED));
    }

    #[test]
    fn lines_are_appended_and_flushed_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let path = path.to_str().unwrap();
        std::fs::write(path, "kept\n").unwrap();
        let lines = Lines::open(Some(path)).unwrap();
        lines.write(serde_json::json!({"a": 1})).unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "kept\n{\"a\":1}\n", "flushed before the drop");
        lines.write("b").unwrap();
        drop(lines);
        assert_eq!(std::fs::read_to_string(path).unwrap(), "kept\n{\"a\":1}\nb\n");
        let missing = dir.path().join("no/such/dir/out");
        let failure = Lines::append(missing.to_str().unwrap()).unwrap_err();
        assert_eq!(failure.code(), EXIT_FAILED);
        assert!(failure.to_string().starts_with(missing.to_str().unwrap()), "{failure}");
    }

    #[test]
    fn the_first_pointer_present_wins() {
        let value = serde_json::json!({"Integration": {"Id": 7}, "Other": 1});
        assert_eq!(first_at(&value, &["/Id", "/Integration/Id", "/Other"]), Some(&serde_json::json!(7)));
        assert_eq!(first_at(&value, &["/Id"]), None);
        assert_eq!(first_at(&value, &[]), None);
    }
}

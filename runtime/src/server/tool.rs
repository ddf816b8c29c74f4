//! An operator's view of a receiver's journal, for the generated `journal` example: list the
//! deliveries given up on, requeue one (handled again, only its events that had not been
//! handled), or purge one. The journal is the embedded one in a folder, or a shared one on
//! PostgreSQL or NATS JetStream named by its URL.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::journal::{Entry, Journal, JournalError};
use super::redb_journal::RedbJournal;

/// Runs the journal tool on `args` (the command line without the program name), writing to
/// standard output and standard error:
///
/// - `--journal DIR list`: one JSON line per delivery in the failed set, oldest first:
///   `{"seq": N, "id": "<provider id>" | null, "digest": "<SHA-256 of the body>", "bytes": N,
///   "done": [positions of the events already handled]}`, then `{"pending": N, "failed": N}`;
/// - `--journal DIR requeue SEQ`: moves that delivery back to the pending set;
/// - `--journal DIR purge SEQ`: deletes it.
///
/// The embedded journal is one file a running receiver keeps open: stop the receiver first
/// (the tool says so when it finds the journal in use). A shared journal, named by its URL
/// instead of a folder (`postgres://...` with the feature `postgres`, `nats://HOST:PORT/NAME`
/// with the feature `nats-journal`), is used while receivers run: a requeued delivery is
/// claimed by one of them at once. Exit codes: 0 done, 1 a journal error or no failed
/// delivery with that number, 2 a bad command line.
pub fn journal_tool(name: &str, description: Option<&str>, args: Vec<String>) -> ExitCode {
    let usage = format!(
        "usage: {name} --journal (DIR | postgres://... | nats://HOST:PORT/NAME) (list | requeue SEQ | purge SEQ)"
    );
    let mut journal: Option<PathBuf> = None;
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => {
                let mut help = String::new();
                if let Some(description) = description {
                    help.push_str(description);
                    help.push_str("\n\n");
                }
                help.push_str(&usage);
                help.push_str(
                    "\n\ncommands:\n  list          the deliveries given up on, one JSON line each\n  \
                     requeue SEQ   hand one back to the receiver (its next start handles it)\n  \
                     purge SEQ     delete one\n\nA journal in a folder: stop the receiver first, it keeps the journal open.\n\
                     A shared journal (postgres://, nats://): receivers may keep running.\n",
                );
                print!("{help}");
                return ExitCode::SUCCESS;
            }
            "--journal" => match args.next() {
                Some(dir) => journal = Some(PathBuf::from(dir)),
                None => return bad(&usage, "--journal needs a folder or a URL"),
            },
            _ => rest.push(arg),
        }
    }
    let Some(dir) = journal else { return bad(&usage, "missing --journal DIR") };
    let command = match rest.as_slice() {
        [list] if list == "list" => Command::List,
        [verb, seq] if verb == "requeue" || verb == "purge" => match seq.parse::<u64>() {
            Ok(seq) if verb == "requeue" => Command::Requeue(seq),
            Ok(seq) => Command::Purge(seq),
            Err(_) => return bad(&usage, &format!("`{seq}` is not a sequence number")),
        },
        [] => return bad(&usage, "missing command"),
        other => return bad(&usage, &format!("unknown command `{}`", other.join(" "))),
    };
    if let Some(url) = dir.to_str().filter(|d| d.contains("://")) {
        return shared(url, command);
    }
    if !dir.is_dir() {
        return fail(&format!("{}: no journal there", dir.display()));
    }
    let journal = match RedbJournal::open(&dir) {
        Ok(journal) => journal,
        Err(e) => return fail(&e.to_string()),
    };
    match command {
        Command::List => list(journal.failed().and_then(|failed| Ok((failed, journal.pending_count()?)))),
        Command::Requeue(seq) => changed(journal.requeue(seq), "requeued", seq),
        Command::Purge(seq) => changed(journal.purge(seq), "purged", seq),
    }
}

/// Runs `command` on the shared journal at `url`, in a runtime of its own.
fn shared(url: &str, command: Command) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let journal = match connect(url).await {
            Ok(journal) => journal,
            Err(code) => return code,
        };
        match command {
            Command::List => list(match journal.failed().await {
                Ok(failed) => journal.pending_count().await.map(|pending| (failed, pending)),
                Err(e) => Err(e),
            }),
            Command::Requeue(seq) => changed(journal.requeue(seq).await, "requeued", seq),
            Command::Purge(seq) => changed(journal.purge(seq).await, "purged", seq),
        }
    })
}

/// The shared journal a URL names, on the engines this build has; else the exit code, its
/// reason written.
async fn connect(url: &str) -> Result<Box<dyn super::SharedJournal>, ExitCode> {
    let scheme = url.split("://").next().unwrap_or_default();
    match scheme {
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => super::PgJournal::connect(url, super::PgJournal::DEFAULT_SCHEMA)
            .await
            .map(|j| Box::new(j) as Box<dyn super::SharedJournal>)
            .map_err(|e| fail(&e.to_string())),
        #[cfg(not(feature = "postgres"))]
        "postgres" | "postgresql" => Err(bad(
            "",
            &format!(
                "--journal {scheme}://...: this program was built without the PostgreSQL journal (feature `postgres`)"
            ),
        )),
        #[cfg(feature = "nats-journal")]
        "nats" => super::NatsJournal::connect_url(url, super::NatsJournalOptions::default())
            .await
            .map(|j| Box::new(j) as Box<dyn super::SharedJournal>)
            .map_err(|e| fail(&e.to_string())),
        #[cfg(not(feature = "nats-journal"))]
        "nats" => Err(bad(
            "",
            "--journal nats://...: this program was built without the NATS journal (feature `nats-journal`)",
        )),
        other => Err(bad(
            "",
            &format!("--journal {url}: unknown scheme `{other}`; expected a folder, postgres:// or nats://"),
        )),
    }
}

/// Prints the failed set, one JSON line each, and the counts.
fn list(read: Result<(Vec<Entry>, u64), JournalError>) -> ExitCode {
    let (failed, pending) = match read {
        Ok(read) => read,
        Err(e) => return fail(&e.to_string()),
    };
    let mut out = std::io::stdout().lock();
    for entry in &failed {
        let line = serde_json::json!({
            "seq": entry.seq,
            "id": entry.id,
            "digest": super::digest(&entry.body),
            "bytes": entry.body.len(),
            "done": entry.done,
        });
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{}", serde_json::json!({"pending": pending, "failed": failed.len()}));
    ExitCode::SUCCESS
}

/// Reports a requeue or purge of `seq`.
fn changed(done: Result<bool, JournalError>, verb: &str, seq: u64) -> ExitCode {
    match done {
        Ok(true) => {
            println!("{verb} {seq}");
            ExitCode::SUCCESS
        }
        Ok(false) => fail(&format!("no failed delivery {seq}")),
        Err(e) => fail(&e.to_string()),
    }
}

#[derive(Clone, Copy)]
enum Command {
    List,
    Requeue(u64),
    Purge(u64),
}

fn bad(usage: &str, problem: &str) -> ExitCode {
    if usage.is_empty() {
        eprintln!("{problem}");
    } else {
        eprintln!("{problem}\n{usage}");
    }
    ExitCode::from(2)
}

fn fail(problem: &str) -> ExitCode {
    eprintln!("{problem}");
    ExitCode::from(1)
}

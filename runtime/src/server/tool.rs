//! An operator's view of a receiver's journal, for the generated `journal` example: list the
//! deliveries given up on, requeue one (handled again on the receiver's next start, only its
//! events that had not been handled), or purge one.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::journal::{Journal, RedbJournal};

/// Runs the journal tool on `args` (the command line without the program name), writing to
/// standard output and standard error:
///
/// - `--journal DIR list`: one JSON line per delivery in the failed set, oldest first:
///   `{"seq": N, "id": "<provider id>" | null, "digest": "<SHA-256 of the body>", "bytes": N,
///   "done": [positions of the events already handled]}`, then `{"pending": N, "failed": N}`;
/// - `--journal DIR requeue SEQ`: moves that delivery back to the pending set;
/// - `--journal DIR purge SEQ`: deletes it.
///
/// The journal is one file a running receiver keeps open: stop the receiver first (the tool
/// says so when it finds the journal in use). Exit codes: 0 done, 1 a journal error or no
/// failed delivery with that number, 2 a bad command line.
pub fn journal_tool(name: &str, description: Option<&str>, args: Vec<String>) -> ExitCode {
    let usage = format!("usage: {name} --journal DIR (list | requeue SEQ | purge SEQ)");
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
                     purge SEQ     delete one\n\nStop the receiver first: it keeps the journal open.\n",
                );
                print!("{help}");
                return ExitCode::SUCCESS;
            }
            "--journal" => match args.next() {
                Some(dir) => journal = Some(PathBuf::from(dir)),
                None => return bad(&usage, "--journal needs a folder"),
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
    if !dir.is_dir() {
        return fail(&format!("{}: no journal there", dir.display()));
    }
    let journal = match RedbJournal::open(&dir) {
        Ok(journal) => journal,
        Err(e) => return fail(&e.to_string()),
    };
    match command {
        Command::List => {
            let (failed, pending) = match (journal.failed(), journal.pending_count()) {
                (Ok(failed), Ok(pending)) => (failed, pending),
                (Err(e), _) | (_, Err(e)) => return fail(&e.to_string()),
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
        Command::Requeue(seq) | Command::Purge(seq) => {
            let (done, verb) = match command {
                Command::Requeue(_) => (journal.requeue(seq), "requeued"),
                _ => (journal.purge(seq), "purged"),
            };
            match done {
                Ok(true) => {
                    println!("{verb} {seq}");
                    ExitCode::SUCCESS
                }
                Ok(false) => fail(&format!("no failed delivery {seq}")),
                Err(e) => fail(&e.to_string()),
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Command {
    List,
    Requeue(u64),
    Purge(u64),
}

fn bad(usage: &str, problem: &str) -> ExitCode {
    eprintln!("{problem}\n{usage}");
    ExitCode::from(2)
}

fn fail(problem: &str) -> ExitCode {
    eprintln!("{problem}");
    ExitCode::from(1)
}

//! The webhook receiver example: its serving and its line per handled event.

use std::process::ExitCode;

use serde::Serialize;

use super::{Failure, Lines, first_at, shutdown};
use crate::server::{Builder, Delivery, Dispatch, HandlerError};

/// Writes one JSON line per handled event, `{"kind": KIND, "id": ID, "delivery": DIGEST}`:
/// the event's id is the first of the configured JSON pointers it has (a string as it is,
/// another value as JSON text, `null` when it has none); the digest is the delivery's.
#[derive(Debug)]
pub struct Handled {
    lines: Lines,
    ids: &'static [&'static str],
}

impl Handled {
    /// Lines to `lines`, the id found at the first of `ids` (JSON pointers) an event has.
    pub fn new(lines: Lines, ids: &'static [&'static str]) -> Handled {
        Handled { lines, ids }
    }

    /// Writes the line of an event of `kind` (its whole value for unknown and malformed ones),
    /// flushed before it returns: a handler that returns has its line written.
    pub fn line<T: Serialize + ?Sized>(&self, kind: &str, event: &T, delivery: &Delivery) -> Result<(), HandlerError> {
        let event = serde_json::to_value(event).unwrap_or_default();
        self.lines.write(handled_line(kind, &event, self.ids, &delivery.digest))?;
        Ok(())
    }
}

fn handled_line(kind: &str, event: &serde_json::Value, ids: &[&str], digest: &str) -> serde_json::Value {
    let id = first_at(event, ids).map(|id| match id {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    });
    serde_json::json!({"kind": kind, "id": id, "delivery": digest})
}

/// Serves a receiver until SIGTERM or Ctrl-C: journaled when `journal` is given (an
/// acknowledgement after a durable write), in that folder or, for a `postgres://` or
/// `nats://` URL, in a PostgreSQL database or NATS JetStream several receivers share; else
/// inline; on `addr`, with `GET /healthz` and
/// `/metrics` beside the deliveries' `/webhooks`. Says where it listens, and the counters once
/// stopped, on standard error. A journal that does not open, a receiver that does not start
/// or an address it cannot listen on is a [`Failure::Failed`]; a journal asked of a build
/// without the feature it needs (`journal`, `postgres`, `nats-journal`) is a [`Failure::Usage`].
pub async fn serve_receiver<D: Dispatch>(
    builder: Builder<D>,
    journal: Option<&str>,
    addr: &str,
) -> Result<ExitCode, Failure> {
    let builder = match journal {
        Some(journal) => journaled(builder, journal).await?,
        None => builder.inline(None),
    };
    let receiver = builder.start().map_err(Failure::failed)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::Failed(format!("{addr}: {e}")))?;
    let local = listener.local_addr().map_err(Failure::failed)?;
    eprintln!("listening on http://{local}/webhooks");
    receiver.serve_with(listener, receiver.status_router(), shutdown()).await.map_err(Failure::failed)?;
    eprintln!("stopped: {:?}", receiver.counters());
    Ok(ExitCode::SUCCESS)
}

/// `builder` journaled on `journal`: a PostgreSQL journal several receivers share when it is a
/// `postgres://` URL (feature `postgres`), else the embedded journal in that folder.
async fn journaled<D: Dispatch>(builder: Builder<D>, journal: &str) -> Result<Builder<D>, Failure> {
    if journal.starts_with("postgres://") || journal.starts_with("postgresql://") {
        return shared_postgres(builder, journal).await;
    }
    if journal.starts_with("nats://") {
        return shared_nats(builder, journal).await;
    }
    embedded(builder, journal)
}

/// `builder` journaled on the embedded journal in the folder `dir`.
#[cfg(feature = "journal")]
fn embedded<D: Dispatch>(builder: Builder<D>, dir: &str) -> Result<Builder<D>, Failure> {
    let store = crate::server::RedbJournal::open(std::path::Path::new(dir)).map_err(Failure::failed)?;
    Ok(builder.journaled(std::sync::Arc::new(store), crate::server::JournalOptions::default()))
}

/// Without the embedded journal, a journal folder cannot be asked for.
#[cfg(not(feature = "journal"))]
fn embedded<D: Dispatch>(_builder: Builder<D>, dir: &str) -> Result<Builder<D>, Failure> {
    Err(Failure::Usage(format!("--journal {dir}: this program was built without the journal (feature `journal`)")))
}

/// `builder` journaled on NATS JetStream at `url` (`nats://HOST:PORT/NAME`, the journal's
/// name defaulting to `triad_journal`).
#[cfg(feature = "nats-journal")]
async fn shared_nats<D: Dispatch>(builder: Builder<D>, url: &str) -> Result<Builder<D>, Failure> {
    use crate::server::{JournalOptions, NatsJournal, NatsJournalOptions};
    let options = JournalOptions::default();
    let nats = NatsJournalOptions { capacity: options.capacity, lease: options.lease, ..NatsJournalOptions::default() };
    let store = NatsJournal::connect_url(url, nats).await.map_err(Failure::failed)?;
    Ok(builder.journaled_shared(std::sync::Arc::new(store), options))
}

/// Without the NATS journal, a `nats://` journal cannot be asked for.
#[cfg(not(feature = "nats-journal"))]
async fn shared_nats<D: Dispatch>(_builder: Builder<D>, _url: &str) -> Result<Builder<D>, Failure> {
    Err(Failure::Usage(
        "--journal nats://...: this program was built without the NATS journal (feature `nats-journal`)".into(),
    ))
}

/// `builder` journaled on the PostgreSQL database at `url`, in the default schema.
#[cfg(feature = "postgres")]
async fn shared_postgres<D: Dispatch>(builder: Builder<D>, url: &str) -> Result<Builder<D>, Failure> {
    let store = crate::server::PgJournal::connect(url, crate::server::PgJournal::DEFAULT_SCHEMA)
        .await
        .map_err(Failure::failed)?;
    Ok(builder.journaled_shared(std::sync::Arc::new(store), crate::server::JournalOptions::default()))
}

/// Without the PostgreSQL journal, a `postgres://` journal cannot be asked for.
#[cfg(not(feature = "postgres"))]
async fn shared_postgres<D: Dispatch>(_builder: Builder<D>, url: &str) -> Result<Builder<D>, Failure> {
    let scheme = url.split("://").next().unwrap_or("postgres");
    Err(Failure::Usage(format!(
        "--journal {scheme}://...: this program was built without the PostgreSQL journal (feature `postgres`)"
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::handled_line;

    #[test]
    fn a_handled_line_names_the_kind_the_first_id_present_and_the_delivery() {
        let ids = ["/Id", "/Integration/Id"];
        let line = handled_line("Updated", &json!({"Id": "r-1", "Integration": {"Id": 9}}), &ids, "ab12");
        assert_eq!(line, json!({"kind": "Updated", "id": "r-1", "delivery": "ab12"}));
        let line = handled_line("Created", &json!({"Integration": {"Id": 9}}), &ids, "cd");
        assert_eq!(line["id"], json!("9"), "a number as JSON text");
        let line = handled_line("unknown", &json!([1]), &ids, "ef");
        assert_eq!(line["id"], json!(null));
    }
}

//! The webhook receiver example: its serving and its line per handled event.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;

use super::{Failure, Lines, first_at, shutdown};
use crate::server::{Builder, Delivery, Dispatch, HandlerError, JournalOptions, RedbJournal};

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

/// Serves a receiver until SIGTERM or Ctrl-C: journaled in the folder `journal` when given (an
/// acknowledgement after a durable write), else inline; on `addr`, with `GET /healthz` and
/// `/metrics` beside the deliveries' `/webhooks`. Says where it listens, and the counters once
/// stopped, on standard error. A journal that does not open, a receiver that does not start
/// or an address it cannot listen on is a [`Failure::Failed`].
pub async fn serve_receiver<D: Dispatch>(
    builder: Builder<D>,
    journal: Option<&str>,
    addr: &str,
) -> Result<ExitCode, Failure> {
    let builder = match journal {
        Some(dir) => {
            let store = RedbJournal::open(Path::new(dir)).map_err(Failure::failed)?;
            builder.journaled(Arc::new(store), JournalOptions::default())
        }
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

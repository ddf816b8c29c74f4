//! The WebSocket examples: the listener's JSON lines and the pusher's serving.

use std::process::ExitCode;

use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Failure, Lines, first_at, shutdown};
use crate::ws::{Connection, Item, State};

/// Prints one JSON line per item of `connection` on standard output until its stream ends:
/// `{"event": TAG, "id": ID}` for an event (its `tag` property and the first of the `ids` JSON
/// pointers it has, each `null` when absent), `{"unknown": TAG}`, `{"malformed": ERROR}`, or
/// `{"state": STATE}` (`connected`, `reconnecting`, `resync`, `auth_failed`, `closed`,
/// `failed`, the reason of a failure on standard error). SIGTERM or Ctrl-C closes the
/// connection. Gives exit code 1 after a refused authentication or a failed connection, else
/// 0; a line it cannot write is a [`Failure::Failed`].
pub async fn print_items<E: Serialize>(
    mut connection: Connection<E>,
    tag: &str,
    ids: &[&str],
) -> Result<ExitCode, Failure> {
    let closer = connection.closer();
    tokio::spawn(async move {
        shutdown().await;
        closer.close();
    });
    let mut code = ExitCode::SUCCESS;
    let out = Lines::stdout();
    while let Some(item) = connection.next().await {
        let Some((line, failed)) = item_line(item, tag, ids) else { continue };
        if failed {
            code = ExitCode::FAILURE;
        }
        out.write(line).map_err(Failure::failed)?;
    }
    Ok(code)
}

/// The line of an item, and whether it ends the program with a failure; `None` for an item
/// that gets no line.
fn item_line<E: Serialize>(item: Item<E>, tag: &str, ids: &[&str]) -> Option<(Value, bool)> {
    let tag_of = |value: &Value| value.get(tag).cloned().unwrap_or(Value::Null);
    let line = match item {
        Item::Event(event) => {
            let value = serde_json::to_value(&event).unwrap_or_default();
            json!({"event": tag_of(&value), "id": first_at(&value, ids).cloned().unwrap_or(Value::Null)})
        }
        Item::Unknown(raw) => json!({"unknown": tag_of(&raw)}),
        Item::Malformed(malformed) => json!({"malformed": malformed.error}),
        Item::State(state) => {
            let (name, failed) = match state {
                State::Connecting => return None,
                State::Connected => ("connected", false),
                State::Reconnecting { .. } => ("reconnecting", false),
                State::Resync => ("resync", false),
                State::AuthFailed { .. } => ("auth_failed", true),
                State::Closed => ("closed", false),
                State::Failed(reason) => {
                    eprintln!("error: {reason}");
                    ("failed", true)
                }
            };
            return Some((json!({"state": name}), failed));
        }
    };
    Some((line, false))
}

/// With a NATS URL (the pusher's `--fan-out`), makes `hub` fan out through it on the subject
/// of `channel` under `prefix` ([`crate::ws::nats_subject`]), so several pushers share their
/// lines; without one, returns `hub` as it is. A URL no server answers at, or a bad subject,
/// is a [`Failure::Failed`]; a URL given to a program built without the runtime's `nats`
/// feature is a [`Failure::Usage`].
#[cfg(feature = "server")]
pub async fn fan_out(
    hub: crate::ws::Hub,
    url: Option<String>,
    prefix: &str,
    channel: &str,
) -> Result<crate::ws::Hub, Failure> {
    let Some(url) = url else { return Ok(hub) };
    #[cfg(feature = "nats")]
    {
        let subject = crate::ws::nats_subject(prefix, channel);
        let hub = hub.fan_out_nats(url.as_str(), subject.as_str()).await.map_err(Failure::failed)?;
        eprintln!("fanning out through NATS on {subject}");
        Ok(hub)
    }
    #[cfg(not(feature = "nats"))]
    {
        let _ = (hub, prefix, channel);
        Err(Failure::Usage(format!("--fan-out {url}: this program was built without the `nats` feature")))
    }
}

/// Serves `router` (a channel's endpoint at `path`, on `hub`) on `addr` and pushes each line
/// of standard input, as it is, to every client connected to `hub` (with a fan-out, to every
/// client of every replica), until SIGTERM or Ctrl-C (serving goes on after the end of input).
/// Says where it listens, each push that failed, and the hub's counters once stopped, on
/// standard error. An address it cannot listen on is a [`Failure::Failed`].
#[cfg(feature = "server")]
pub async fn push_stdin(
    hub: &crate::ws::Hub,
    router: axum::Router,
    path: &str,
    addr: &str,
) -> Result<ExitCode, Failure> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::Failed(format!("{addr}: {e}")))?;
    let local = listener.local_addr().map_err(Failure::failed)?;
    eprintln!("listening on ws://{local}{path}");
    let pusher = hub.clone();
    let runtime = tokio::runtime::Handle::current();
    std::thread::spawn(move || {
        for (n, line) in std::io::stdin().lines().enumerate() {
            let Ok(line) = line else { break };
            // Waits while a fan-out's queue is full, so reading input slows down instead.
            if let Err(e) = runtime.block_on(pusher.push_text_async(line)) {
                eprintln!("line {}: not pushed: {e}", n + 1);
            }
        }
    });
    axum::serve(listener, router).with_graceful_shutdown(shutdown()).await.map_err(Failure::failed)?;
    eprintln!("stopped: {:?}", hub.counters());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::item_line;
    use crate::ws::{Item, Malformed, State};

    fn line(item: Item<serde_json::Value>) -> Option<(serde_json::Value, bool)> {
        item_line(item, "Type", &["/Id", "/Owner/Id"])
    }

    #[test]
    fn items_become_json_lines() {
        let event = json!({"Type": "Created", "Owner": {"Id": 4}});
        assert_eq!(line(Item::Event(event)), Some((json!({"event": "Created", "id": 4}), false)));
        assert_eq!(line(Item::Event(json!({}))), Some((json!({"event": null, "id": null}), false)));
        assert_eq!(line(Item::Unknown(json!({"Type": "New"}))), Some((json!({"unknown": "New"}), false)));
        let malformed = Malformed::new(b"{}", "missing field `Id`");
        assert_eq!(line(Item::Malformed(malformed)), Some((json!({"malformed": "missing field `Id`"}), false)));
    }

    #[test]
    fn states_become_lines_and_failures_set_the_exit_code() {
        assert_eq!(line(Item::State(State::Connecting)), None);
        assert_eq!(line(Item::State(State::Connected)), Some((json!({"state": "connected"}), false)));
        let reconnecting = State::Reconnecting { attempt: 1, delay: Duration::ZERO, reason: "lost".into() };
        assert_eq!(line(Item::State(reconnecting)), Some((json!({"state": "reconnecting"}), false)));
        assert_eq!(line(Item::State(State::Resync)), Some((json!({"state": "resync"}), false)));
        assert_eq!(line(Item::State(State::AuthFailed { status: 401 })), Some((json!({"state": "auth_failed"}), true)));
        assert_eq!(line(Item::State(State::Closed)), Some((json!({"state": "closed"}), false)));
        assert_eq!(line(Item::State(State::Failed("gone".into()))), Some((json!({"state": "failed"}), true)));
    }
}

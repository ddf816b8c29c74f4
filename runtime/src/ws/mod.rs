//! WebSockets: the self-healing listener of generated client crates and, with feature
//! `server`, the broadcasting endpoint of generated server-stub crates.
//!
//! Beyond the listener and hub API generated crates are written against, this module adds:
//! [`State::Connecting`] (what [`Connection::state`] reports before the first upgrade; never
//! yielded as an item, but a `match` on [`State`] needs an arm for it), [`State::is_terminal`],
//! [`Malformed::new`], [`Connection::buffered_len`] and [`Connection::dropped`],
//! [`Backoff::ceiling`] and [`Backoff::delay`], [`Listener::correlate`] with
//! [`Sender::request_json`], [`Expect::check`], [`ExpectError`] and [`Hub::try_router`].
//! Generated request functions call [`request`]; generated `url` functions call [`address`] and
//! [`with_query`].
//!
//! # Listener (client side)
//!
//! A [`Listener`] is built with the channel's URL, a [`DecodeFn`] (generated per channel: it
//! unbatches a frame and pushes one [`Item`] per event), [`Auth`] and [`Options`];
//! [`Listener::connect`] spawns one task that owns the socket and returns a [`Connection`], a
//! `Stream` of items. Events, unknown events and malformed events or frames are items: nothing
//! a server sends ends the stream. Connection [`State`]s come in order with the events:
//! `Connected` first; after a loss `Reconnecting { attempt, delay, reason }`, then `Connected`
//! and (from the second connection on) `Resync` once the resync hook has finished.
//!
//! - **Auth**: cookies go in one `Cookie: a=1; b=2` header (no spaces around `=`), headers and
//!   `Authorization: Bearer` as given, query parameters percent-encoded onto the URL. A 401 or
//!   403 answer to the upgrade yields [`State::AuthFailed`] once and ends the stream: there is
//!   no retry, so a bad token never causes a reconnect storm. Any other failed upgrade (5xx,
//!   refused or timed out connection) is retried.
//! - **Keepalive**: the listener pings every [`Options::ping_interval`]; any frame (data, ping,
//!   pong) proves the connection alive. When none arrives for [`Options::idle_timeout`] while
//!   the task waits for one, the connection is dead and replaced.
//! - **Reconnect**: exponential [`Backoff`] with full jitter, optionally bounded in attempts
//!   ([`State::Failed`] then). The attempt count starts over after a connection that delivered
//!   frames or stayed up for [`Backoff::max`]. Each reconnect is logged through `tracing`
//!   (attempt, delay, reason) inside the listener's `ws_listener` span; the URL's query, which
//!   may hold credentials, is never logged.
//! - **Resync**: [`Listener::on_resync`] runs a hook with its context and the [`Gap`] (when the
//!   last message before the loss arrived, when the connection was lost, when the new one
//!   opened) after every reconnect, and after the first connect with
//!   [`Listener::resync_on_first_connect`]: the place to re-read state missed during the gap
//!   (over REST) or to send subscriptions again. The new connection is read while the hook
//!   runs (pings answered, replies routed to their requests); its events are held back within
//!   the buffer and follow `Resync` in order.
//! - **Bounded buffer**: at most [`Options::buffer`] items wait between the task and the
//!   consumer ([`Connection::buffered_len`]). With [`Overflow::Wait`] (the default) a full buffer
//!   stops the reading of the socket, so TCP back-pressure reaches the server and memory stays
//!   bounded; the idle timeout does not run meanwhile. With [`Overflow::DropNewest`] new items
//!   are dropped and counted ([`Connection::dropped`]). States are never dropped, and the
//!   terminal state is always the last item. Frames already received when one is read are
//!   decoded and handed on together while their items fit the free room, so a burst wakes the
//!   consumer once.
//! - **Close**: [`Connection::close`] or a [`Closer`] from any task sends a Close frame, waits
//!   briefly for the server's, and ends the stream with [`State::Closed`]. Dropping the
//!   `Connection` closes it too.
//! - **Sending**: a [`Sender`] writes text or JSON messages to the server; a message sent
//!   during a reconnect waits for the next connection. With [`Listener::correlate`] (the JSON
//!   pointer of the correlation id in replies), [`Sender::request_json`] sends a request and
//!   resolves with the frame that replies to it (that frame does not reach the stream); a
//!   timeout or a lost connection fails the request. [`request`] is the typed form: it reads
//!   the request's own id at a JSON pointer and decodes the reply, and a reply that does not
//!   decode is [`RequestError::Reply`] with the raw JSON.
//!
//! # Hub (server side, features `ws` and `server`)
//!
//! A [`Hub`] pushes every message to every connected client over a `tokio::sync::broadcast`
//! channel: each client has a bounded buffer of [`HubOptions::buffer`] messages; a client that
//! falls further behind is closed ([`Lagging::Disconnect`], the default) or skips what it
//! missed ([`Lagging::Drop`]), counted either way in [`HubCounters`]. [`Hub::router`] serves
//! the endpoint on axum; the upgrade must carry what [`Expect`] lists (compared in constant
//! time), else it is answered 401 before any upgrade. The hub pings each client every
//! [`HubOptions::ping_interval`].
//!
//! # Fan-out across replicas (feature `nats`)
//!
//! Several replicas of a server behind one URL each have their own clients. With
//! `Hub::fan_out_nats` a hub publishes every push on a NATS core subject (under a prefix, one
//! per channel: `nats_subject`) and delivers what arrives on it, from every replica and its own
//! pushes alike, to its clients; so a message pushed on any replica reaches every client of
//! every replica, once. While the NATS connection is down a push fails
//! ([`PushError::FanOutDown`]); NATS core keeps nothing, so a replica that is away misses what
//! is pushed meanwhile.

mod address;
mod client;
#[cfg(feature = "nats")]
mod fan_out;
mod request;
#[cfg(feature = "server")]
mod server;

pub use crate::secret::Secret;
pub use address::{address, with_query};
#[cfg(feature = "nats")]
#[cfg_attr(docsrs, doc(cfg(feature = "nats")))]
pub use async_nats;
pub use client::{
    Auth, Backoff, Closer, Connection, DecodeFn, Gap, Item, Listener, Malformed, Options, Overflow, SendError, Sender,
    State,
};
#[cfg(feature = "nats")]
#[cfg_attr(docsrs, doc(cfg(feature = "nats")))]
pub use fan_out::{FanOutError, Nats, nats_subject};
pub use futures_util::stream::{Stream, StreamExt};
pub use request::{REQUEST_TIMEOUT, RequestError, request};
pub use serde_json;
#[cfg(feature = "server")]
pub use server::{Expect, ExpectError, Hub, HubCounters, HubOptions, Lagging, PushError};

//! Server-Sent Events: the parser of the `text/event-stream` format (bounded lines and events)
//! and [`Events`], the typed stream of an operation's events, which reconnects with
//! `Last-Event-ID` where the operation may be resumed.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};

use super::request::{Operation, Request};
use super::transport::{Failure, Transport};

/// How one event's `data` becomes a value: given the event's `event` field and its data.
/// Generated crates pass [`json`] or [`text`], or a function of their own that picks a type by
/// the event's name.
pub type DecodeFn<T> = fn(Option<&str>, &str) -> Result<T, String>;

/// Decodes the data as JSON.
pub fn json<T: serde::de::DeserializeOwned>(_event: Option<&str>, data: &str) -> Result<T, String> {
    serde_json::from_str(data).map_err(|e| e.to_string())
}

/// Takes the data as text.
pub fn text(_event: Option<&str>, data: &str) -> Result<String, String> {
    Ok(data.to_owned())
}

/// One event as it was sent, its data not yet decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The `event` field, if the event had one.
    pub event: Option<&'a str>,
    /// The `id` field, if the event had one.
    pub id: Option<&'a str>,
    /// The data lines, joined by `\n`.
    pub data: &'a str,
}

/// What the parser reports besides events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A line longer than the limit; it was skipped up to its end.
    LineTooLong(usize),
    /// An event whose data grew past the limit; it was skipped up to its end.
    EventTooLarge(usize),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::LineTooLong(limit) => write!(f, "a line longer than {limit} bytes was skipped"),
            Problem::EventTooLarge(limit) => write!(f, "an event of more than {limit} bytes of data was skipped"),
        }
    }
}

/// The `text/event-stream` parser (the WHATWG HTML standard's rules): bytes in, frames out.
/// Lines end with LF, CRLF or CR (also when split between chunks); `:` starts a comment; an
/// unknown field is ignored; an `id` containing NUL is ignored; `retry` is taken only as
/// digits. Memory is bounded by the line and event limits, whatever the input.
#[derive(Debug)]
pub struct Parser {
    buf: Vec<u8>,
    /// The data of the event being read when it came in more than one line or chunk.
    data: String,
    /// Where the data of a one-line event is in `buf`, before it is copied.
    data_at: Option<(usize, usize)>,
    has_data: bool,
    /// The `event` field of the event being read (its buffer kept from event to event).
    event: Field,
    /// Its `id` field.
    id: Field,
    /// The last id the stream set.
    last_id: Field,
    retry: Option<Duration>,
    /// A CR ended the last line seen: an LF right after it belongs to it.
    after_cr: bool,
    /// Skipping the rest of a line that was too long.
    skipping_line: bool,
    /// Skipping the rest of an event that was too large.
    skipping_event: bool,
    /// The first bytes may be a byte order mark.
    at_start: bool,
    max_line: usize,
    max_event: usize,
}

impl Parser {
    /// A parser of lines up to `max_line` bytes and events of up to `max_event` bytes of data.
    pub fn new(max_line: usize, max_event: usize) -> Self {
        Parser {
            buf: Vec::new(),
            data: String::new(),
            data_at: None,
            has_data: false,
            event: Field::default(),
            id: Field::default(),
            last_id: Field::default(),
            retry: None,
            after_cr: false,
            skipping_line: false,
            skipping_event: false,
            at_start: true,
            max_line,
            max_event,
        }
    }

    /// The last event id the stream set (what `Last-Event-ID` carries on reconnecting).
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.get()
    }

    /// The reconnection delay the stream last asked for.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// True when part of an event has been read but not ended by a blank line.
    pub fn in_event(&self) -> bool {
        self.has_data || self.event.set || self.id.set || !self.buf.is_empty()
    }

    /// Forgets a partly read event (the connection was lost), keeping the last id and retry.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.clear_event();
        self.after_cr = false;
        self.skipping_line = false;
        self.at_start = true;
    }

    fn clear_event(&mut self) {
        self.data.clear();
        self.data_at = None;
        self.has_data = false;
        self.event.set = false;
        self.id.set = false;
        self.skipping_event = false;
    }

    /// Reads `chunk`, calling `on` with each event it completes, and with the problem of each
    /// line or event it skips.
    pub fn feed(&mut self, chunk: &[u8], on: &mut dyn FnMut(Result<Frame<'_>, Problem>)) {
        let mut chunk = chunk;
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        // Lines are found in `buf` when a line is already partly there, else in the chunk
        // itself, so a chunk of whole lines is never copied.
        let mut own = std::mem::take(&mut self.buf);
        let input: &[u8] = if own.is_empty() {
            chunk
        } else {
            own.extend_from_slice(chunk);
            &own
        };
        let mut start = 0;
        while let Some(found) = memchr::memchr2(b'\n', b'\r', &input[start..]) {
            let end = start + found;
            let next = if input[end] == b'\r' {
                match input.get(end + 1) {
                    Some(b'\n') => end + 2,
                    Some(_) => end + 1,
                    None => {
                        self.after_cr = true;
                        end + 1
                    }
                }
            } else {
                end + 1
            };
            if self.skipping_line {
                self.skipping_line = false;
            } else {
                self.line(input, start, end, on);
            }
            start = next;
        }
        // Keep the rest of a line, and the data of the event being read, which points into
        // `input`.
        if let Some((from, to)) = self.data_at.take() {
            self.data.push_str(&String::from_utf8_lossy(&input[from..to]));
        }
        let rest = input.len() - start;
        let from_own = !own.is_empty();
        if self.skipping_line {
            // Still in a line that was too long: nothing of it is kept.
            own.clear();
        } else if rest > self.max_line {
            self.skipping_line = true;
            on(Err(Problem::LineTooLong(self.max_line)));
            own.clear();
        } else if from_own {
            own.drain(..start);
        } else {
            own.extend_from_slice(&chunk[start..]);
        }
        if own.capacity() > 2 * self.max_line.max(4096) {
            own.shrink_to(self.max_line.max(4096));
        }
        self.buf = own;
    }

    fn line(&mut self, input: &[u8], start: usize, end: usize, on: &mut dyn FnMut(Result<Frame<'_>, Problem>)) {
        let mut line = &input[start..end];
        if self.at_start {
            self.at_start = false;
            line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        }
        if line.len() > self.max_line {
            on(Err(Problem::LineTooLong(self.max_line)));
            return;
        }
        if line.is_empty() {
            self.dispatch(input, on);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &line[line.len()..]),
        };
        match field {
            b"data" => {
                if self.skipping_event {
                    return;
                }
                let offset = value.as_ptr() as usize - input.as_ptr() as usize;
                let size = self.data.len() + self.data_at.map_or(0, |(a, b)| b - a) + value.len() + 1;
                if size > self.max_event {
                    self.skipping_event = true;
                    self.data.clear();
                    self.data_at = None;
                    on(Err(Problem::EventTooLarge(self.max_event)));
                    return;
                }
                if !self.has_data {
                    self.has_data = true;
                    self.data_at = Some((offset, offset + value.len()));
                } else {
                    if let Some((from, to)) = self.data_at.take() {
                        self.data.push_str(&String::from_utf8_lossy(&input[from..to]));
                    }
                    self.data.push('\n');
                    self.data.push_str(&String::from_utf8_lossy(value));
                }
            }
            b"event" => self.event.put(value),
            b"id" if !value.contains(&0) => self.id.put(value),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Some(ms) = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, input: &[u8], on: &mut dyn FnMut(Result<Frame<'_>, Problem>)) {
        if let Some(id) = self.id.get() {
            if self.last_id.get() != Some(id) {
                self.last_id.text.clear();
                self.last_id.text.push_str(id);
                self.last_id.set = true;
            }
        }
        if self.has_data && !self.skipping_event {
            let owned;
            let data: &str = match self.data_at {
                Some((from, to)) => match std::str::from_utf8(&input[from..to]) {
                    Ok(text) => text,
                    Err(_) => {
                        owned = String::from_utf8_lossy(&input[from..to]).into_owned();
                        &owned
                    }
                },
                None => &self.data,
            };
            on(Ok(Frame { event: self.event.get(), id: self.id.get(), data }));
        }
        self.clear_event();
    }
}

/// A field of the event being read, its buffer reused from event to event.
#[derive(Debug, Default)]
struct Field {
    text: String,
    set: bool,
}

impl Field {
    fn put(&mut self, value: &[u8]) {
        self.text.clear();
        match std::str::from_utf8(value) {
            Ok(text) => self.text.push_str(text),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(value)),
        }
        self.set = true;
    }

    fn get(&self) -> Option<&str> {
        self.set.then_some(self.text.as_str())
    }
}

/// One decoded event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<T> {
    /// The `event` field, if the event had one (shared by the events of one name in a row).
    pub event: Option<Arc<str>>,
    /// The `id` field, if the event had one (the stream's last id otherwise stays as it was).
    pub id: Option<String>,
    /// The data, decoded.
    pub data: T,
}

/// An event that did not decode, or a part of the stream that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The `event` field, if any.
    pub event: Option<String>,
    /// The `id` field, if any.
    pub id: Option<String>,
    /// The data as received (empty for a skipped part).
    pub data: String,
    /// Why.
    pub error: String,
}

/// The state of an event stream's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The server answered; events follow.
    Connected,
    /// The connection failed or ended: waiting `delay`, then attempt `attempt`, sending the
    /// last event id as `Last-Event-ID`.
    Reconnecting {
        /// 1 for the first attempt after a loss, then 2, 3... (reset once a connection works).
        attempt: u32,
        /// The delay: the server's `retry`, else the backoff's.
        delay: Duration,
        /// Why the previous connection or attempt ended.
        reason: String,
    },
    /// The server answered 401 or 403. Terminal.
    AuthFailed {
        /// The HTTP status.
        status: u16,
    },
    /// The stream ended: the server closed a stream that is not resumed, or answered 204 to a
    /// reconnection. Terminal.
    Closed,
    /// Given up: an error status, or a lost connection of a stream that is not resumed, or
    /// attempts exhausted. Terminal.
    Failed(String),
}

impl State {
    /// True for the states after which the stream ends.
    pub fn is_terminal(&self) -> bool {
        matches!(self, State::AuthFailed { .. } | State::Closed | State::Failed(_))
    }
}

/// What an event stream yields, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<T> {
    /// A decoded event.
    Event(Event<T>),
    /// An event that did not decode, an oversized line or event, or an event cut off by the
    /// end of a connection.
    Malformed(Malformed),
    /// A change of the connection's state.
    State(State),
}

/// Settings of an event stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Upper bound of the first reconnection delay when the server gave no `retry`. Default 250 ms.
    pub initial_delay: Duration,
    /// Upper bound of every reconnection delay (the server's `retry` too). Default 30 s.
    pub max_delay: Duration,
    /// Attempts in a row after which the stream gives up; `None`: never. Default `None`.
    pub max_attempts: Option<u32>,
    /// The longest line accepted. Default 1 MiB.
    pub max_line: usize,
    /// The most data one event may carry. Default 16 MiB.
    pub max_event: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            max_attempts: None,
            max_line: 1 << 20,
            max_event: 16 << 20,
        }
    }
}

impl Options {
    fn delay(&self, attempt: u32, retry: Option<Duration>) -> Duration {
        if let Some(retry) = retry {
            return retry.min(self.max_delay);
        }
        let bound = self.initial_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(self.max_delay);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

type Chunks = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The typed events of one call of an event-stream operation: a [`Stream`] of [`Item`]s. It
/// connects when first polled; what it holds is bounded by one chunk and the parser's limits
/// (nothing is read ahead of the consumer). A resumable operation reconnects after a lost or
/// ended connection, or an error status that may pass (429, 5xx), sending `Last-Event-ID`;
/// other streams end with [`State::Closed`] or [`State::Failed`]. Dropping it closes the
/// connection.
pub struct Events<T> {
    state: Started<T>,
    resumable: bool,
}

type Running<T> = Pin<Box<dyn Stream<Item = Item<T>> + Send>>;

enum Started<T> {
    Ready(Box<Run<T>>),
    Running(Running<T>),
    Taken,
}

impl<T> fmt::Debug for Events<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Stream for Events<T> {
    type Item = Item<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item<T>>> {
        let this = &mut *self;
        if let Started::Ready(_) = this.state {
            let Started::Ready(run) = std::mem::replace(&mut this.state, Started::Taken) else { unreachable!() };
            let stream =
                futures_util::stream::unfold(run, |mut run| async move { run.next().await.map(|item| (item, run)) });
            this.state = Started::Running(Box::pin(stream));
        }
        match &mut this.state {
            Started::Running(stream) => stream.as_mut().poll_next(cx),
            _ => Poll::Ready(None),
        }
    }
}

struct Run<T> {
    transport: Transport,
    operation: &'static Operation,
    request: Request,
    decode: DecodeFn<T>,
    resumable: bool,
    options: Options,
    parser: Parser,
    body: Option<Chunks>,
    pending: VecDeque<Item<T>>,
    attempt: u32,
    wait: Option<Duration>,
    done: bool,
    /// The last event name seen, shared by the events that repeat it.
    name: Option<Arc<str>>,
}

impl<T: Send + 'static> Events<T> {
    pub(crate) fn new(
        transport: Transport,
        operation: &'static Operation,
        request: Request,
        decode: DecodeFn<T>,
        resumable: bool,
    ) -> Self {
        let options = Options::default();
        let run = Run {
            transport,
            operation,
            request,
            decode,
            resumable,
            parser: Parser::new(options.max_line, options.max_event),
            options,
            body: None,
            pending: VecDeque::new(),
            attempt: 0,
            wait: None,
            done: false,
            name: None,
        };
        Events { state: Started::Ready(Box::new(run)), resumable }
    }

    /// The stream with other settings; once it has been polled, settings no longer change.
    pub fn options(mut self, options: Options) -> Self {
        if let Started::Ready(run) = &mut self.state {
            run.parser = Parser::new(options.max_line, options.max_event);
            run.options = options;
        }
        self
    }

    /// True when the operation is resumed after a lost connection.
    pub fn is_resumable(&self) -> bool {
        self.resumable
    }
}

impl<T> Run<T> {
    async fn next(&mut self) -> Option<Item<T>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            let Some(body) = self.body.as_mut() else {
                if let Some(delay) = self.wait.take() {
                    tokio::time::sleep(delay).await;
                }
                self.connect().await;
                continue;
            };
            match body.next().await {
                Some(Ok(chunk)) => self.read(&chunk),
                Some(Err(e)) => self.lost(format!("the connection failed: {e}"), false),
                None => self.lost("the server ended the stream".to_owned(), true),
            }
        }
    }

    fn read(&mut self, chunk: &[u8]) {
        let decode = self.decode;
        let pending = &mut self.pending;
        let name = &mut self.name;
        self.parser.feed(chunk, &mut |parsed| {
            pending.push_back(match parsed {
                Ok(frame) => match decode(frame.event, frame.data) {
                    Ok(data) => Item::Event(Event {
                        event: frame.event.map(|event| match name {
                            Some(last) if **last == *event => last.clone(),
                            _ => name.insert(Arc::from(event)).clone(),
                        }),
                        id: frame.id.map(str::to_owned),
                        data,
                    }),
                    Err(error) => Item::Malformed(Malformed {
                        event: frame.event.map(str::to_owned),
                        id: frame.id.map(str::to_owned),
                        data: frame.data.to_owned(),
                        error,
                    }),
                },
                Err(problem) => Item::Malformed(Malformed {
                    event: None,
                    id: None,
                    data: String::new(),
                    error: problem.to_string(),
                }),
            })
        });
    }

    async fn connect(&mut self) {
        let mut request = self.request.clone();
        if let Some(id) = self.parser.last_id() {
            request.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("last-event-id"));
            request.headers.push(("Last-Event-ID".to_owned(), id.to_owned()));
        }
        request.headers.push(("Accept".to_owned(), "text/event-stream".to_owned()));
        match self.transport.open(self.operation, request).await {
            Ok(response) if response.status().as_u16() == 204 => {
                self.pending.push_back(Item::State(State::Closed));
                self.done = true;
            }
            Ok(response) => {
                self.attempt = 0;
                self.parser.reset();
                self.body = Some(Box::pin(response.bytes_stream()));
                self.pending.push_back(Item::State(State::Connected));
            }
            Err(Failure::Status { status: status @ (401 | 403), .. }) => {
                self.finish(State::AuthFailed { status });
            }
            Err(Failure::Status { status, body, .. }) if !(status == 429 || status >= 500) => {
                let body = String::from_utf8_lossy(&body).into_owned();
                self.finish(State::Failed(format!("the server answered {status}: {body}")));
            }
            Err(Failure::Request(message)) => self.finish(State::Failed(message)),
            Err(failure) => {
                let reason = match failure {
                    Failure::Status { status, .. } => format!("the server answered {status}"),
                    Failure::Transport(e) => format!("the connection failed: {e}"),
                    Failure::Timeout(_) => "no answer within the timeout".to_owned(),
                    Failure::LimiterUnreachable(reason) => reason,
                    Failure::Request(message) => message,
                };
                self.retry_or_fail(reason);
            }
        }
    }

    /// The connection ended (`ended`: the server ended it): an event cut short is reported,
    /// then the stream reconnects or ends.
    fn lost(&mut self, reason: String, ended: bool) {
        self.body = None;
        if self.parser.in_event() {
            self.pending.push_back(Item::Malformed(Malformed {
                event: None,
                id: None,
                data: String::new(),
                error: format!("an event was cut off: {reason}"),
            }));
        }
        self.parser.reset();
        if self.resumable {
            self.retry_or_fail(reason);
        } else if ended {
            self.finish(State::Closed);
        } else {
            self.finish(State::Failed(reason));
        }
    }

    fn retry_or_fail(&mut self, reason: String) {
        if !self.resumable {
            return self.finish(State::Failed(reason));
        }
        self.attempt += 1;
        if self.options.max_attempts.is_some_and(|max| self.attempt > max) {
            return self.finish(State::Failed(format!("gave up after {} attempts: {reason}", self.attempt - 1)));
        }
        let delay = self.options.delay(self.attempt, self.parser.retry());
        self.wait = Some(delay);
        self.pending.push_back(Item::State(State::Reconnecting { attempt: self.attempt, delay, reason }));
    }

    fn finish(&mut self, state: State) {
        self.pending.push_back(Item::State(state));
        self.done = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event as the tests compare it: event, id, data.
    type Seen = (Option<String>, Option<String>, String);

    fn parse(chunks: &[&[u8]], parser: &mut Parser) -> (Vec<Seen>, Vec<Problem>) {
        let mut frames = Vec::new();
        let mut problems = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut |parsed| match parsed {
                Ok(f) => frames.push((f.event.map(str::to_owned), f.id.map(str::to_owned), f.data.to_owned())),
                Err(p) => problems.push(p),
            });
        }
        (frames, problems)
    }

    fn frames(chunks: &[&[u8]]) -> Vec<Seen> {
        parse(chunks, &mut Parser::new(64, 128)).0
    }

    #[test]
    fn fields_comments_and_multi_line_data() {
        let got = frames(&[b": hello\nevent: add\nid: 7\ndata: {\"a\":\ndata:1}\n\ndata: x\n\n"]);
        assert_eq!(got, vec![(Some("add".into()), Some("7".into()), "{\"a\":\n1}".into()), (None, None, "x".into()),]);
    }

    #[test]
    fn every_line_ending_and_every_split_point_give_the_same_events() {
        let text = "event: a\r\ndata: one\r\n\r\ndata: two\rdata: three\r\rid: 9\ndata:four\n\n";
        let whole = frames(&[text.as_bytes()]);
        assert_eq!(whole.len(), 3, "{whole:?}");
        assert_eq!(whole[1].2, "two\nthree");
        assert_eq!(whole[2], (None, Some("9".into()), "four".into()));
        for split in 0..text.len() {
            let (a, b) = text.as_bytes().split_at(split);
            assert_eq!(frames(&[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        assert_eq!(frames(&bytes), whole);
    }

    #[test]
    fn ids_persist_retry_is_digits_only_and_empty_events_are_not_dispatched() {
        let mut parser = Parser::new(64, 128);
        let (got, _) = parse(&[b"id: 1\n\nretry: 1x\nretry: 1500\ndata\n\nid: a\0b\ndata: z\n\n"], &mut parser);
        // `data` alone is an empty data line: an event with empty data.
        assert_eq!(got, vec![(None, None, String::new()), (None, None, "z".into())]);
        assert_eq!(parser.last_id(), Some("1"));
        assert_eq!(parser.retry(), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn long_lines_and_large_events_are_skipped_and_reported_with_bounded_memory() {
        let mut parser = Parser::new(16, 30);
        let long = vec![b'x'; 1000];
        let (got, problems) = parse(&[b"data: ", &long, &long, b"\ndata: ok\n\n"], &mut parser);
        assert_eq!(got, vec![(None, None, "ok".into())]);
        assert_eq!(problems, vec![Problem::LineTooLong(16)]);
        assert!(parser.buf.capacity() <= 2048, "the parser kept {} bytes", parser.buf.capacity());
        let (got, problems) =
            parse(&[b"data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\ndata: next\n\n"], &mut parser);
        assert_eq!(got, vec![(None, None, "next".into())]);
        assert_eq!(problems, vec![Problem::EventTooLarge(30)]);
    }

    #[test]
    fn a_byte_order_mark_at_the_start_is_dropped() {
        assert_eq!(frames(&["\u{feff}data: a\n\n".as_bytes()]), vec![(None, None, "a".into())]);
    }
}

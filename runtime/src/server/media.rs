//! Bodies of the API server that are not JSON: uploads taken as a stream, multipart bodies read
//! into their parts, byte streams and Server-Sent Events sent back.

use std::convert::Infallible;
use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::api::{ApiError, bad_request};
use super::params::ApiRequest;

/// The most bytes an upload (a streamed body) or a multipart body may have, unless the router
/// is given an [`UploadLimit`] of its own. 1 GiB.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 1 << 30;

/// The most bytes of a streamed body or a multipart body, set for a router with
/// `.layer(axum::Extension(UploadLimit(bytes)))`. A body that says it is larger is answered 413
/// before its operation is called; one that turns out larger ends its stream with
/// [`BodyError::TooLarge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadLimit(pub u64);

fn limit_of(request: &ApiRequest) -> u64 {
    request.upload_limit().unwrap_or(DEFAULT_UPLOAD_LIMIT)
}

/// Why a streamed body ended early.
#[derive(Debug)]
pub enum BodyError {
    /// More bytes than the limit.
    TooLarge(u64),
    /// The connection failed.
    Read(axum::Error),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge(limit) => write!(f, "the body is larger than {limit} bytes"),
            BodyError::Read(e) => write!(f, "the body could not be read: {e}"),
        }
    }
}

impl std::error::Error for BodyError {}

/// An uploaded body, read as it arrives: a [`Stream`] of chunks, with its media type and
/// length when the client sent them. Memory stays at one chunk.
pub struct BodyStream {
    content_type: Option<String>,
    length: Option<u64>,
    limit: u64,
    read: u64,
    stream: Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>,
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream")
            .field("content_type", &self.content_type)
            .field("length", &self.length)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl BodyStream {
    /// The body of `request` as a stream; 413 when its `Content-Length` exceeds the limit.
    pub fn take(request: &ApiRequest) -> Result<Self, Box<Response>> {
        let limit = limit_of(request);
        let headers = request.headers();
        let length = content_length(headers);
        if length.is_some_and(|n| n > limit) {
            return Err(Box::new(too_large(limit)));
        }
        Ok(BodyStream {
            content_type: headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned),
            length,
            limit,
            read: 0,
            stream: Box::pin(request.take_body().into_data_stream()),
        })
    }

    /// The body of `request` as a stream, or `None` when it has no content.
    pub fn take_opt(request: &ApiRequest) -> Result<Option<Self>, Box<Response>> {
        let empty = content_length(request.headers()) == Some(0)
            || (content_length(request.headers()).is_none()
                && !request.headers().contains_key(header::TRANSFER_ENCODING));
        if empty { Ok(None) } else { BodyStream::take(request).map(Some) }
    }

    /// The `Content-Type` the client sent.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The `Content-Length` the client sent.
    pub fn content_length(&self) -> Option<u64> {
        self.length
    }

    /// The next chunk, `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, BodyError> {
        self.next().await.transpose()
    }

    /// The whole body in memory (within the limit).
    pub async fn bytes(mut self) -> Result<Bytes, BodyError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(all))
    }

    /// Writes the body to a new file at `path` as it arrives; returns its length. On an error
    /// the partial file is removed.
    pub async fn save(mut self, path: impl AsRef<Path>) -> std::io::Result<u64> {
        use tokio::io::AsyncWriteExt as _;
        let path = path.as_ref();
        let mut file = tokio::fs::File::create(path).await?;
        let mut written = 0u64;
        let result = async {
            while let Some(chunk) = self.chunk().await.map_err(std::io::Error::other)? {
                file.write_all(&chunk).await?;
                written += chunk.len() as u64;
            }
            file.flush().await
        }
        .await;
        drop(file);
        if let Err(e) = result {
            let _ = tokio::fs::remove_file(path).await;
            return Err(e);
        }
        Ok(written)
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.read > self.limit {
            return Poll::Ready(None);
        }
        match self.stream.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.read += chunk.len() as u64;
                if self.read > self.limit {
                    Poll::Ready(Some(Err(BodyError::TooLarge(self.limit))))
                } else {
                    Poll::Ready(Some(Ok(chunk)))
                }
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(BodyError::Read(e)))),
            other => other.map(|_| None),
        }
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn too_large(limit: u64) -> Response {
    (StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {limit} bytes")).into_response()
}

/// A file part of a multipart body, read whole (within the body's limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePart {
    /// The file name the client sent.
    pub file_name: Option<String>,
    /// The part's `Content-Type`.
    pub content_type: Option<String>,
    /// The content.
    pub bytes: Bytes,
}

/// The parts of a multipart body, by name in the order received; generated code takes each
/// field's parts from it, typed.
#[derive(Debug, Default)]
pub struct Parts {
    parts: Vec<(String, FilePart)>,
}

impl Parts {
    /// Reads the multipart body of `request` (within the limit, 413 beyond it; 400 for a body
    /// that is not `multipart/form-data` or is malformed, in the error shape of `message_field`).
    pub async fn read(request: &ApiRequest, message_field: Option<&str>) -> Result<Self, Box<Response>> {
        let limit = limit_of(request);
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let boundary = multer::parse_boundary(content_type).map_err(|_| {
            Box::new(bad_request(
                &format!("Invalid request body: expected multipart/form-data with a boundary, got `{content_type}`"),
                message_field,
            ))
        })?;
        if content_length(request.headers()).is_some_and(|n| n > limit) {
            return Err(Box::new(too_large(limit)));
        }
        let constraints =
            multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit).per_field(limit));
        let stream = request.take_body().into_data_stream();
        let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
        let mut parts = Vec::new();
        let failed = |e: multer::Error| {
            Box::new(match e {
                multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => too_large(limit),
                other => bad_request(&format!("Invalid request body: {other}"), message_field),
            })
        };
        while let Some(field) = multipart.next_field().await.map_err(failed)? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(|m| m.to_string());
            let bytes = field.bytes().await.map_err(failed)?;
            parts.push((name, FilePart { file_name, content_type, bytes }));
        }
        Ok(Parts { parts })
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a FilePart> + 'a {
        self.parts.iter().filter(move |(n, _)| n == name).map(|(_, part)| part)
    }

    fn only<'a>(&'a self, name: &'a str) -> Result<Option<&'a FilePart>, String> {
        let mut all = self.all(name);
        let first = all.next();
        if all.next().is_some() {
            return Err(format!("Invalid request body: part `{name}` is given more than once"));
        }
        Ok(first)
    }

    /// The one file part `name`.
    pub fn file(&self, name: &str) -> Result<FilePart, String> {
        self.file_opt(name)?.ok_or_else(|| missing(name))
    }

    /// The file part `name`, if given.
    pub fn file_opt(&self, name: &str) -> Result<Option<FilePart>, String> {
        Ok(self.only(name)?.cloned())
    }

    /// Every file part `name`.
    pub fn files(&self, name: &str) -> Result<Vec<FilePart>, String> {
        Ok(self.all(name).cloned().collect())
    }

    /// The one text part `name`, as `T`.
    pub fn text<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        self.text_opt(name)?.ok_or_else(|| missing(name))
    }

    /// The text part `name` as `T`, if given.
    pub fn text_opt<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, String> {
        self.only(name)?.map(|part| typed_text(name, part)).transpose()
    }

    /// Every text part `name`, each as `T`.
    pub fn texts<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>, String> {
        self.all(name).map(|part| typed_text(name, part)).collect()
    }

    /// The one JSON part `name`, as `T`.
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        self.json_opt(name)?.ok_or_else(|| missing(name))
    }

    /// The JSON part `name` as `T`, if given.
    pub fn json_opt<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, String> {
        self.only(name)?.map(|part| typed_json(name, part)).transpose()
    }

    /// Every JSON part `name`, each as `T`.
    pub fn jsons<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>, String> {
        self.all(name).map(|part| typed_json(name, part)).collect()
    }
}

fn missing(name: &str) -> String {
    format!("Invalid request body: part `{name}` is missing")
}

/// A text part as `T`: the text itself as a string value (strings, enums, dates...), else read
/// as JSON (numbers, booleans), as the client writes them.
fn typed_text<T: DeserializeOwned>(name: &str, part: &FilePart) -> Result<T, String> {
    let text = std::str::from_utf8(&part.bytes)
        .map_err(|_| format!("Invalid request body: part `{name}` is not UTF-8 text"))?;
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .or_else(|_| serde_json::from_str(text))
        .map_err(|e| format!("Invalid request body: part `{name}`: {e}"))
}

fn typed_json<T: DeserializeOwned>(name: &str, part: &FilePart) -> Result<T, String> {
    serde_json::from_slice(&part.bytes).map_err(|e| format!("Invalid request body: part `{name}`: {e}"))
}

/// A body answered as a stream of bytes, with its media type and, when known, its length.
pub struct Download {
    content_type: Option<String>,
    length: Option<u64>,
    body: Body,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("content_type", &self.content_type)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Bytes in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Download { content_type: None, length: Some(bytes.len() as u64), body: Body::from(bytes) }
    }

    /// Chunks of any stream, sent as they come; `length`, when given, is sent as
    /// `Content-Length` and must be right.
    pub fn stream<S, E>(stream: S, length: Option<u64>) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Download { content_type: None, length, body: Body::from_stream(stream) }
    }

    /// The file at `path`, read as it is sent.
    pub async fn file(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = tokio::fs::File::open(path).await?;
        let length = file.metadata().await?.len();
        let stream = futures_util::stream::unfold(file, |mut file| async move {
            use tokio::io::AsyncReadExt as _;
            let mut buf = vec![0u8; 64 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<_, std::io::Error>(Bytes::from(buf)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        });
        Ok(Download::stream(stream, Some(length)))
    }

    /// Sets the media type (the operation's, when not set).
    pub fn content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }

    fn into_response(self, status: StatusCode, media_type: &str) -> Response {
        let mut response = Response::new(self.body);
        *response.status_mut() = status;
        let content_type = self.content_type.as_deref().unwrap_or(media_type);
        if let Ok(value) = HeaderValue::from_str(content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        if let Some(length) = self.length {
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        response
    }
}

/// Answers a method's byte stream with its success status and media type, or its error.
pub fn respond_download<E: Serialize>(
    success: u16,
    media_type: &str,
    result: Result<Download, ApiError<E>>,
) -> Response {
    match result {
        Ok(download) => download.into_response(StatusCode::from_u16(success).unwrap_or(StatusCode::OK), media_type),
        Err(error) => super::api::respond::<(), E>(success, Err(error)),
    }
}

/// Answers a method's text with its success status and media type, or its error.
pub fn respond_text<E: Serialize>(success: u16, media_type: &str, result: Result<String, ApiError<E>>) -> Response {
    match result {
        Ok(text) => {
            Download::bytes(text).into_response(StatusCode::from_u16(success).unwrap_or(StatusCode::OK), media_type)
        }
        Err(error) => super::api::respond::<(), E>(success, Err(error)),
    }
}

/// One Server-Sent Event to send: its data and the optional fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SseEvent<T> {
    /// The data.
    pub data: T,
    /// The `id` field, which a client sends back as `Last-Event-ID` when it reconnects.
    pub id: Option<String>,
    /// The `event` field.
    pub event: Option<String>,
    /// The `retry` field: how long a client waits before reconnecting.
    pub retry: Option<Duration>,
}

impl<T> SseEvent<T> {
    /// An event of `data` only.
    pub fn new(data: T) -> Self {
        SseEvent { data, id: None, event: None, retry: None }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the event name.
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the reconnection delay.
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }
}

/// The events an event-stream operation answers with: any stream of [`SseEvent`]s. The stream
/// ending ends the response; comments keep an idle connection alive every 15 seconds.
pub struct EventStream<T> {
    stream: Pin<Box<dyn Stream<Item = SseEvent<T>> + Send>>,
}

impl<T> fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> EventStream<T> {
    /// The events of `stream`.
    pub fn new(stream: impl Stream<Item = SseEvent<T>> + Send + 'static) -> Self {
        EventStream { stream: Box::pin(stream) }
    }
}

fn event(fields: SseEvent<()>, data: &str) -> Event {
    // Lines of the data are sent as `data:` lines; a CR would end one too, so every line end
    // becomes LF.
    let mut event = if data.contains('\r') {
        Event::default().data(data.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Event::default().data(data)
    };
    if let Some(id) = fields.id.filter(|id| !id.contains(['\n', '\r', '\0'])) {
        event = event.id(id);
    }
    if let Some(name) = fields.event.filter(|name| !name.contains(['\n', '\r'])) {
        event = event.event(name);
    }
    if let Some(retry) = fields.retry {
        event = event.retry(retry);
    }
    event
}

fn split<T>(e: SseEvent<T>) -> (SseEvent<()>, T) {
    (SseEvent { data: (), id: e.id, event: e.event, retry: e.retry }, e.data)
}

/// An event's `event` field and its data as sent.
type DataFn<T> = fn(&T) -> (Option<&str>, Result<String, serde_json::Error>);

/// The event stream of `result`, each event's `event` field (when the event sets none) and
/// data as `data` gives them, or its error. A value that does not serialize is sent as a
/// comment, so the stream goes on.
fn respond_with<T: Send + 'static, E: Serialize>(
    result: Result<EventStream<T>, ApiError<E>>,
    data: DataFn<T>,
) -> Response {
    let events = match result {
        Ok(events) => events,
        Err(error) => return super::api::respond::<(), E>(200, Err(error)),
    };
    let stream = events.stream.map(move |e| {
        let (mut fields, value) = split(e);
        let (name, text) = data(&value);
        if fields.event.is_none() {
            fields.event = name.map(str::to_owned);
        }
        Ok::<_, Infallible>(match text {
            Ok(text) => event(fields, &text),
            Err(error) => {
                Event::default().comment(format!("an event did not serialize: {error}").replace(['\n', '\r'], " "))
            }
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// Answers a method's events, each data as JSON, or its error.
pub fn respond_events<T: Serialize + Send + 'static, E: Serialize>(
    result: Result<EventStream<T>, ApiError<E>>,
) -> Response {
    respond_with(result, |value| (None, serde_json::to_string(value)))
}

/// Answers a method's events, each data as text, or its error.
pub fn respond_text_events<E: Serialize>(result: Result<EventStream<String>, ApiError<E>>) -> Response {
    respond_with(result, |text| (None, Ok(text.clone())))
}

/// The data of an event stream whose events are of several kinds, named by their `event`
/// field: generated crates implement it for the enum of an operation's kinds.
pub trait EventData {
    /// The `event` field of this kind (`None`: none is sent).
    fn event(&self) -> Option<&str>;
    /// The data as sent: JSON text, or the text itself.
    fn data(&self) -> Result<String, serde_json::Error>;
}

/// Answers a method's events of several kinds, each sent with its kind's `event` field (unless
/// the event sets one), or its error.
pub fn respond_named_events<T: EventData + Send + 'static, E: Serialize>(
    result: Result<EventStream<T>, ApiError<E>>,
) -> Response {
    respond_with(result, |value| (value.event(), value.data()))
}

/// The `Last-Event-ID` a reconnecting client sent.
pub fn last_event_id(request: &ApiRequest) -> Option<String> {
    request.headers().get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

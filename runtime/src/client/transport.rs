//! Sending requests: credentials, retries, rate limit, tracing.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use super::auth::{Auth, Credential, Secret};
use super::body::Download;
use super::error::{Error, ErrorBody};
use super::limit::{Limiter, RateLimit};
#[cfg(feature = "redis")]
use super::redis_limit::{OnUnreachable, RedisLimiter, RedisStore};
use super::request::{Body, Operation, PartContent, PartSpec, Request, Response};
use super::retry::{RetryPolicy, parse_retry_after};
use super::sse::{DecodeFn, Events};

/// A function that may change every request just before it is sent (extra headers, signing).
/// It runs on each attempt, after credentials are added.
pub type Hook = Arc<dyn Fn(&mut reqwest::Request) + Send + Sync>;

/// Headers that commonly carry a request id.
const REQUEST_ID_HEADERS: [&str; 4] = ["x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid"];
/// Body properties that commonly carry a request id.
const REQUEST_ID_FIELDS: [&str; 3] = ["RequestId", "requestId", "request_id"];

/// How long one attempt may take, from sending the request to the end of the response body,
/// unless [`Builder::timeout`] or [`Builder::without_timeout`] says otherwise. Long enough for
/// providers that answer a request needing too much data with a 408 after tens of seconds (so
/// their answer, not this timeout, ends the attempt), short enough that a server that never
/// answers cannot hang a call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long connecting to the server may take, for the HTTP client a [`Builder`] makes itself
/// (one given with [`Builder::http_client`] keeps its own settings).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of a [`Transport`].
pub struct Builder {
    base_url: String,
    http: Option<reqwest::Client>,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    user_agent: Option<String>,
    hook: Option<Hook>,
    rate_limit: Option<RateLimit>,
    /// The credential the rate limit is counted per (its value), when it is shared.
    rate_key: Option<Secret>,
    /// Where the rate limit's window lives when processes share it.
    #[cfg(feature = "redis")]
    rate_store: Option<(RedisStore, OnUnreachable)>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut builder = f.debug_struct("Builder");
        builder
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("hook", &self.hook.is_some())
            .field("rate_limit", &self.rate_limit);
        #[cfg(feature = "redis")]
        builder.field("rate_store", &self.rate_store);
        builder.finish_non_exhaustive()
    }
}

impl Builder {
    /// Settings for a server at `base_url` (`https://host[/prefix]`), with the default retry
    /// policy, [`DEFAULT_TIMEOUT`] per attempt, [`DEFAULT_CONNECT_TIMEOUT`] to connect, and no
    /// credentials.
    pub fn new(base_url: impl Into<String>) -> Self {
        Builder {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            http: None,
            auth: Auth::new(),
            retry: RetryPolicy::default(),
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: None,
            hook: None,
            rate_limit: None,
            rate_key: None,
            #[cfg(feature = "redis")]
            rate_store: None,
        }
    }

    /// Sends through this HTTP client (connection pool, proxies, TLS roots) instead of a new one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Replaces the credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Adds a credential sent with every request.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.auth = self.auth.always(credential);
        self
    }

    /// Replaces the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Gives up on an attempt that has not completed within `timeout` ([`DEFAULT_TIMEOUT`]
    /// unless set): the call fails with [`crate::client::Error::Timeout`], or is retried when the
    /// operation is safe to repeat.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Lets an attempt take as long as the server takes (for responses known to be slow, such
    /// as large exports); connecting is still bounded.
    pub fn without_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Gives up connecting after `timeout` ([`DEFAULT_CONNECT_TIMEOUT`] unless set), for the HTTP
    /// client the builder makes itself.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Calls `hook` on every request before it is sent.
    pub fn hook(mut self, hook: impl Fn(&mut reqwest::Request) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Keeps this client under `limit`, waiting before a request that would exceed it.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_key = None;
        self.rate_limit = Some(limit);
        self
    }

    /// Keeps every client of this process that uses the credential `key` (an access token) under
    /// `limit` together: providers count their limit per token, not per client. Without a key,
    /// as [`Builder::rate_limit`].
    pub fn shared_rate_limit(mut self, limit: RateLimit, key: Option<&Secret>) -> Self {
        self.rate_limit = Some(limit);
        self.rate_key = key.cloned();
        self
    }

    /// Keeps the window of the rate limit ([`Builder::rate_limit`] or
    /// [`Builder::shared_rate_limit`], set before or after) in Redis, so every process using
    /// the same server, limit and credential shares it, not only the clients of this process.
    /// The window's key is a keyed digest of the three under the store's prefix; time is the
    /// Redis server's. When Redis cannot be reached (within the store's timeouts), a request
    /// fails with [`crate::client::Error::LimiterUnreachable`] or waits for the same limit
    /// counted in this process, as `on_unreachable` says. Without a rate limit it does nothing.
    #[cfg(feature = "redis")]
    pub fn redis_rate_limit(mut self, store: impl Into<RedisStore>, on_unreachable: OnUnreachable) -> Self {
        self.rate_store = Some((store.into(), on_unreachable));
        self
    }

    /// Sends without a client-side rate limit (the provider's 429 answers are still retried
    /// after their `Retry-After`), in this process or in Redis.
    pub fn without_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self.rate_key = None;
        #[cfg(feature = "redis")]
        {
            self.rate_store = None;
        }
        self
    }

    /// The transport. Fails only when no HTTP client was given and a new one cannot be made.
    pub fn build(self) -> Result<Transport, reqwest::Error> {
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder().connect_timeout(self.connect_timeout).build()?,
        };
        let limiter = self.rate_limit.map(|limit| {
            let local = match &self.rate_key {
                Some(key) => Limiter::shared(limit, &self.base_url, key.expose()),
                None => Arc::new(Limiter::new(limit)),
            };
            #[cfg(feature = "redis")]
            if let Some((store, on_unreachable)) = self.rate_store {
                let key = store.key(limit, &self.base_url, self.rate_key.as_ref().map(Secret::expose));
                return RateLimiter::Redis(Arc::new(RedisLimiter::new(store, key, on_unreachable, local)));
            }
            RateLimiter::Local(local)
        });
        Ok(Transport {
            inner: Arc::new(Inner {
                base_url: self.base_url,
                http,
                auth: self.auth,
                retry: self.retry,
                timeout: self.timeout,
                user_agent: self.user_agent,
                hook: self.hook,
                limiter,
            }),
        })
    }
}

/// Sends requests of one client. Cheap to clone; clones share the connection pool and the
/// rate limit.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    http: reqwest::Client,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    user_agent: Option<String>,
    hook: Option<Hook>,
    limiter: Option<RateLimiter>,
}

/// Where a transport's rate limit is counted.
enum RateLimiter {
    /// In this process.
    Local(Arc<Limiter>),
    /// In Redis, shared by every process.
    #[cfg(feature = "redis")]
    Redis(Arc<RedisLimiter>),
}

impl RateLimiter {
    fn limit(&self) -> RateLimit {
        match self {
            RateLimiter::Local(limiter) => limiter.limit(),
            #[cfg(feature = "redis")]
            RateLimiter::Redis(limiter) => limiter.limit(),
        }
    }

    /// Waits until one more request fits, and counts it.
    async fn acquire(&self) -> Result<(), Failure> {
        match self {
            RateLimiter::Local(limiter) => {
                limiter.acquire().await;
                Ok(())
            }
            #[cfg(feature = "redis")]
            RateLimiter::Redis(limiter) => {
                limiter.acquire().await.map_err(|unreachable| Failure::LimiterUnreachable(unreachable.0))
            }
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Transport")
            .field("base_url", &inner.base_url)
            .field("auth", &inner.auth)
            .field("retry", &inner.retry)
            .field("timeout", &inner.timeout)
            .field("user_agent", &inner.user_agent)
            .field("hook", &inner.hook.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`Transport::exchange`].
pub(crate) type Exchange<'a> = Pin<Box<dyn Future<Output = Result<Response, Failure>> + Send + 'a>>;

/// A failed exchange, before the error body is decoded into the operation's type.
pub(crate) enum Failure {
    Request(String),
    Transport(reqwest::Error),
    Timeout(&'static str),
    Status {
        status: u16,
        retry_after: Option<Duration>,
        body: Vec<u8>,
        request_id: Option<String>,
    },
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    LimiterUnreachable(String),
}

impl Failure {
    /// The error a call returns, with the error body decoded as `E`.
    pub(crate) fn into_error<E: ErrorBody>(self) -> Error<E> {
        match self {
            Failure::Request(message) => Error::Request(message),
            Failure::Transport(e) => Error::Transport(e),
            Failure::Timeout(operation) => Error::Timeout { operation },
            Failure::LimiterUnreachable(reason) => Error::LimiterUnreachable { reason },
            Failure::Status { status, retry_after, body, request_id } => {
                let decoded = E::decode(status, &body).ok();
                if status == 429 {
                    Error::RateLimited { retry_after, body: decoded, request_id }
                } else {
                    let raw = String::from_utf8_lossy(&body).into_owned();
                    Error::Api { status, body: decoded, raw, request_id }
                }
            }
        }
    }
}

/// What one attempt produced.
enum Attempt {
    /// A success, read whole.
    Done(Response),
    /// A success, its body unread.
    Open(reqwest::Response),
    Failed {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
    },
}

/// How much of a response an attempt reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// The whole body.
    Whole,
    /// Only an error response's body: a success is returned unread.
    Open,
}

/// Why an attempt got no response.
enum AttemptError {
    Http(reqwest::Error),
    /// The request body could not be made (a file that does not open, a stream already sent).
    Body(String),
    /// No response head (or error body) within the timeout.
    Head,
}

impl From<reqwest::Error> for AttemptError {
    fn from(e: reqwest::Error) -> Self {
        AttemptError::Http(e)
    }
}

impl Transport {
    /// The server URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// How long one attempt may take (`None`: as long as the server takes).
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    /// The client-side rate limit requests wait for, if any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.inner.limiter.as_ref().map(|limiter| limiter.limit())
    }

    /// Sends `request` for `operation`, retrying as the policy allows, and returns the 2xx
    /// response. Error statuses become [`Error::Api`] (or [`Error::RateLimited`]) with the body
    /// decoded as `E`. Each call is a `tracing` span `request` with the operation id.
    pub async fn send<E: ErrorBody>(&self, operation: &Operation, request: Request) -> Result<Response, Error<E>> {
        self.exchange(operation, request).await.map_err(Failure::into_error)
    }

    /// [`Transport::send`], then the body decoded as JSON.
    pub async fn call<T: DeserializeOwned, E: ErrorBody>(
        &self,
        operation: &Operation,
        request: Request,
    ) -> Result<T, Error<E>> {
        self.exchange(operation, request).await.map_err(Failure::into_error)?.json()
    }

    /// [`Transport::send`], then the body decoded as JSON, or `None` for a response without
    /// content (204, or an empty body).
    pub async fn call_or_none<T: DeserializeOwned, E: ErrorBody>(
        &self,
        operation: &Operation,
        request: Request,
    ) -> Result<Option<T>, Error<E>> {
        self.exchange(operation, request).await.map_err(Failure::into_error)?.json_or_none()
    }

    /// [`Transport::send`], keeping the body unread: a successful response as a [`Download`]
    /// read chunk by chunk. The attempt timeout bounds the wait for the response's head (when
    /// the request body is in memory), not the reading of the body.
    pub async fn download<E: ErrorBody>(&self, operation: &Operation, request: Request) -> Result<Download, Error<E>> {
        self.open(operation, request).await.map(Download::new).map_err(Failure::into_error)
    }

    /// The events of an event-stream operation, typed by `decode`: see [`Events`]. `resumable`
    /// says whether the stream reconnects after a loss, sending `Last-Event-ID`.
    pub fn events<T: Send + 'static>(
        &self,
        operation: &'static Operation,
        request: Request,
        decode: DecodeFn<T>,
        resumable: bool,
    ) -> Events<T> {
        Events::new(self.clone(), operation, request, decode, resumable)
    }

    /// The exchange up to a successful response's head, its body unread.
    pub(crate) async fn open(&self, operation: &Operation, request: Request) -> Result<reqwest::Response, Failure> {
        match self.run(operation, request, Read::Open).await? {
            Attempt::Open(response) => Ok(response),
            // `Read::Open` never reads a body whole.
            Attempt::Done(_) | Attempt::Failed { .. } => Err(Failure::Request("no response".to_owned())),
        }
    }

    /// The whole exchange of [`Transport::send`] up to the error body's decoding: one boxed
    /// future, compiled once, whatever the operation's types.
    pub(crate) fn exchange<'a>(&'a self, operation: &'a Operation, request: Request) -> Exchange<'a> {
        Box::pin(async move {
            match self.run(operation, request, Read::Whole).await? {
                Attempt::Done(response) => Ok(response),
                Attempt::Open(_) | Attempt::Failed { .. } => Err(Failure::Request("no response".to_owned())),
            }
        })
    }

    /// The exchange, with its `tracing` span; boxed once by its callers ([`Transport::exchange`]).
    async fn run(&self, operation: &Operation, request: Request, read: Read) -> Result<Attempt, Failure> {
        if let Some(message) = &request.invalid {
            return Err(Failure::Request(message.clone()));
        }
        let path = request.path(operation).map_err(Failure::Request)?;
        let span = tracing::info_span!(
            "request",
            operation = operation.id,
            method = %operation.method,
            path = %path,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        self.send_with_retries(operation, &path, &request, read).instrument(span).await
    }

    async fn send_with_retries(
        &self,
        operation: &Operation,
        path: &str,
        request: &Request,
        read: Read,
    ) -> Result<Attempt, Failure> {
        let start = tokio::time::Instant::now();
        // A body that can be sent once is never sent again, whatever the status.
        let repeatable = request.body.repeatable();
        let mut attempts = 0;
        loop {
            attempts += 1;
            tracing::Span::current().record("attempts", attempts);
            if let Some(limiter) = &self.inner.limiter {
                limiter.acquire().await?;
            }
            let failure = match self.attempt(operation, path, request, read).await {
                Ok(Attempt::Failed { status, headers, body }) => {
                    tracing::Span::current().record("status", status);
                    let retry_after = retry_after(&headers);
                    let retryable = status == 429 || (operation.retry_safe && (status == 408 || status >= 500));
                    if repeatable && retryable && self.wait(attempts, start, retry_after).await {
                        continue;
                    }
                    let request_id = request_id(&headers, &body);
                    Failure::Status { status, retry_after, body, request_id }
                }
                Ok(done) => {
                    let status = match &done {
                        Attempt::Done(response) => response.status,
                        Attempt::Open(response) => response.status().as_u16(),
                        Attempt::Failed { status, .. } => *status,
                    };
                    tracing::Span::current().record("status", status);
                    return Ok(done);
                }
                Err(AttemptError::Body(message)) => Failure::Request(message),
                Err(AttemptError::Head) => {
                    if repeatable && operation.retry_safe && self.wait(attempts, start, None).await {
                        continue;
                    }
                    Failure::Timeout(operation.id)
                }
                Err(AttemptError::Http(e)) => {
                    let retryable = operation.retry_safe && (e.is_timeout() || e.is_connect() || e.is_request());
                    if repeatable && retryable && self.wait(attempts, start, None).await {
                        continue;
                    }
                    if e.is_timeout() { Failure::Timeout(operation.id) } else { Failure::Transport(e) }
                }
            };
            return Err(failure);
        }
    }

    /// Sleeps before another attempt if the policy allows one; false if it does not.
    async fn wait(&self, attempts: u32, start: tokio::time::Instant, retry_after: Option<Duration>) -> bool {
        match self.inner.retry.next_delay(attempts, start.elapsed(), retry_after) {
            Some(delay) => {
                tracing::debug!(delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "retrying");
                tokio::time::sleep(delay).await;
                true
            }
            None => false,
        }
    }

    /// One attempt: build, send, and read the whole body (`Read::Whole`), or only an error
    /// response's (`Read::Open`).
    async fn attempt(
        &self,
        operation: &Operation,
        path: &str,
        request: &Request,
        read: Read,
    ) -> Result<Attempt, AttemptError> {
        // The attempt timeout bounds a whole exchange when the request body is in memory and
        // the response is read whole; the wait for the head when the response streams; nothing
        // when the request body streams (its sending takes what the network takes).
        let bound = self.inner.timeout.filter(|_| request.body.in_memory());
        let whole_bound = bound.filter(|_| read == Read::Whole);
        let built = self.build(operation, path, request, whole_bound)?;
        let response = match (read, bound) {
            (Read::Open, Some(timeout)) => tokio::time::timeout(timeout, self.inner.http.execute(built))
                .await
                .map_err(|_| AttemptError::Head)??,
            _ => self.inner.http.execute(built).await?,
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) && read == Read::Open {
            return Ok(Attempt::Open(response));
        }
        let headers = response.headers().clone();
        let body = match (read, bound) {
            (Read::Open, Some(timeout)) => {
                tokio::time::timeout(timeout, response.bytes()).await.map_err(|_| AttemptError::Head)??
            }
            _ => response.bytes().await?,
        }
        .to_vec();
        Ok(if (200..300).contains(&status) {
            Attempt::Done(Response { status, headers, body })
        } else {
            Attempt::Failed { status, headers, body }
        })
    }

    fn build(
        &self,
        operation: &Operation,
        path: &str,
        request: &Request,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Request, AttemptError> {
        let inner = &self.inner;
        let url = format!("{}{path}", inner.base_url);
        let mut query = request.query.clone();
        let mut headers = request.headers.clone();
        let mut cookies = request.cookies.clone();
        let mut body_fields: Vec<(&str, &str)> = Vec::new();
        let mut builder = inner.http.request(operation.method.clone(), url);
        for credential in inner.auth.for_schemes(operation.schemes) {
            match credential {
                Credential::BodyField { name, value } => body_fields.push((name, value.expose())),
                Credential::Header { name, value } => headers.push((name.clone(), value.expose().to_owned())),
                Credential::Query { name, value } => query.push((name.clone(), value.expose().to_owned())),
                Credential::Cookie { name, value } => cookies.push((name.clone(), value.expose().to_owned())),
                Credential::Bearer(token) => builder = builder.bearer_auth(token.expose()),
                Credential::Basic { user, password } => builder = builder.basic_auth(user, Some(password.expose())),
            }
        }
        if !query.is_empty() {
            builder = builder.query(&query);
        }
        if let Some(agent) = &inner.user_agent {
            builder = builder.header(reqwest::header::USER_AGENT, agent);
        }
        if !cookies.is_empty() {
            let line: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            builder = builder.header(reqwest::header::COOKIE, line.join("; "));
        }
        for (name, value) in &headers {
            let (Ok(name), Ok(mut value)) =
                (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
            else {
                continue;
            };
            value.set_sensitive(inner.auth.entries.iter().any(
                |(_, c)| matches!(c, Credential::Header { name: n, .. } if n.eq_ignore_ascii_case(name.as_str())),
            ));
            builder = builder.header(name, value);
        }
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        builder = match &request.body {
            Body::Empty => builder,
            // The credential members go into the serialized body as it is copied for sending.
            Body::Json(json) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(super::json::with_members(json, &body_fields)),
            Body::Form(pairs) => {
                let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
                builder.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(encoded)
            }
            Body::Raw(raw) => {
                builder.header(reqwest::header::CONTENT_TYPE, raw.content_type.clone()).body(raw.bytes.clone())
            }
            Body::Upload(content_type, upload) => {
                let content_type = upload.media_type().unwrap_or(content_type);
                let mut builder = builder.header(reqwest::header::CONTENT_TYPE, content_type);
                if let Some(length) = upload.len() {
                    builder = builder.header(reqwest::header::CONTENT_LENGTH, length);
                }
                builder.body(upload.body().map_err(AttemptError::Body)?)
            }
            Body::Multipart(parts) => builder.multipart(multipart(parts)?),
        };
        let mut built = builder.build()?;
        if let Some(hook) = &inner.hook {
            hook(&mut built);
        }
        Ok(built)
    }
}

/// The form of one attempt: parts from memory, files opened again, a stream taken.
fn multipart(parts: &[PartSpec]) -> Result<reqwest::multipart::Form, AttemptError> {
    let mut form = reqwest::multipart::Form::new();
    for spec in parts {
        let mut part = match &spec.content {
            PartContent::Text(text) => reqwest::multipart::Part::text(text.clone()),
            PartContent::File(file) => {
                let body = file.body.body().map_err(AttemptError::Body)?;
                let part = match file.body.len() {
                    Some(length) => reqwest::multipart::Part::stream_with_length(body, length),
                    None => reqwest::multipart::Part::stream(body),
                };
                let part = match &file.file_name {
                    Some(name) => part.file_name(name.clone()),
                    None => part,
                };
                match &spec.content_type {
                    Some(_) => part,
                    None => part.mime_str("application/octet-stream")?,
                }
            }
        };
        if let Some(content_type) = &spec.content_type {
            // The specification's `contentType` may list several (`image/png, image/jpeg`): the first.
            let first = content_type.split(',').next().unwrap_or_default().trim();
            part = part.mime_str(first).map_err(|_| {
                AttemptError::Body(format!("part `{}`: `{content_type}` is not a media type", spec.name))
            })?;
        }
        form = form.part(spec.name.clone(), part);
    }
    Ok(form)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// A request id from the usual headers, else from the usual properties of a JSON body.
fn request_id(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    for name in REQUEST_ID_HEADERS {
        if let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) {
            return Some(value.to_owned());
        }
    }
    let serde_json::Value::Object(map) = serde_json::from_slice(body).ok()? else { return None };
    REQUEST_ID_FIELDS.iter().find_map(|k| map.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
}

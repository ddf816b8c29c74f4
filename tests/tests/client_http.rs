//! The generated `mews-client` against a scripted server on loopback, over real HTTP: what a
//! user of the client observes (bodies sent, retries and their timing, typed errors, pages).

mod loopback;

use std::time::Duration;

use loopback::{Reply, Server};
use mews_client::runtime::{Error, RetryPolicy, Secret, StreamExt};
use mews_client::{Client, Credentials, types};
use serde_json::{Value, json};

fn credentials() -> Credentials {
    Credentials {
        client_token: Some(Secret::new("client-token-1")),
        access_token: Some(Secret::new("access-token-2")),
        client: Some(Secret::new("Loopback Tests 1.0")),
    }
}

fn client(server: &Server, retry: RetryPolicy) -> Client {
    Client::builder(&server.url, &credentials()).retry(retry).build().map(Client::from_transport).unwrap()
}

/// Fast retries, so tests that retry do not wait on backoff.
fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(30),
    }
}

/// A request as a user builds it: only its own required field; the credentials are the client's.
fn reservations_request(count: i32) -> types::ReservationServiceOrderFilterParameters {
    types::ReservationServiceOrderFilterParameters::new(types::Limitation::new(count))
}

fn reservation(n: u32) -> Value {
    let id = format!("00000000-0000-0000-0000-{n:012}");
    let any = "11111111-1111-1111-1111-111111111111";
    let at = "2024-01-01T00:00:00Z";
    json!({
        "Id": id, "ServiceId": any, "AccountId": any, "AccountType": "Customer", "CreatorProfileId": any,
        "UpdaterProfileId": any, "Number": n.to_string(), "State": "Confirmed", "Origin": "Connector",
        "CreatedUtc": at, "UpdatedUtc": at, "GroupId": any, "RateId": any, "RequestedResourceCategoryId": any,
        "StartUtc": at, "EndUtc": at, "ScheduledStartUtc": at, "ScheduledEndUtc": at, "PersonCounts": [],
        "Options": {
            "OwnerCheckedIn": false, "AllCompanionsCheckedIn": false, "AnyCompanionCheckedIn": false,
            "ConnectorCheckIn": false,
        },
    })
}

fn page(items: std::ops::Range<u32>, cursor: Option<u32>) -> Reply {
    let cursor = cursor.map(|c| format!("cccccccc-0000-0000-0000-{c:012}"));
    Reply::json(200, json!({"Reservations": items.map(reservation).collect::<Vec<_>>(), "Cursor": cursor}))
}

fn empty_page() -> Reply {
    page(0..0, None)
}

/// How many times the member `name` appears at the top level of a JSON object's text, and
/// its values there (a `Value` would keep only the last of repeated members).
fn top_level_members(body: &[u8], name: &str) -> Vec<String> {
    struct Members(String, Vec<String>);
    impl<'de> serde::de::DeserializeSeed<'de> for &mut Members {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }
    impl<'de> serde::de::Visitor<'de> for &mut Members {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                let value: Value = map.next_value()?;
                if key == self.0 {
                    self.1.push(value.as_str().unwrap_or("<not a string>").to_owned());
                }
            }
            Ok(())
        }
    }
    let mut members = Members(name.to_owned(), Vec::new());
    serde::de::DeserializeSeed::deserialize(&mut members, &mut serde_json::Deserializer::from_slice(body)).unwrap();
    members.1
}

#[tokio::test]
async fn credentials_arrive_in_every_body_once_and_are_never_shown() {
    let server = Server::start(|_, _| empty_page()).await;
    let client = client(&server, RetryPolicy::default());
    // Requests have no credential fields: one with only optional fields is a `Default`, and
    // setters take anything that converts (`&str` for a `String` field).
    assert_eq!(
        serde_json::to_value(types::ConfigurationFilterParameters::default()).unwrap(),
        json!({}),
        "a request type has no credential fields"
    );
    let enterprise = "3fa85f64-5717-4562-b3fc-2c963f66afa6".parse::<uuid::Uuid>().unwrap();
    let filter = types::ConfigurationFilterParameters::default().with_enterprise_id(enterprise);
    // What it answers does not matter here (a reservations page is no configuration).
    let _ = client.configuration_get(&filter).await;
    let page = client.reservations_get_all_2023_06_06(&reservations_request(10)).await.unwrap();
    assert!(page.reservations.is_empty());
    let received = server.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        for (name, value) in
            [("ClientToken", "client-token-1"), ("AccessToken", "access-token-2"), ("Client", "Loopback Tests 1.0")]
        {
            assert_eq!(top_level_members(&request.body, name), [value], "{}", String::from_utf8_lossy(&request.body));
        }
    }
    let settings = received[0].json();
    assert_eq!(
        settings,
        json!({
            "ClientToken": "client-token-1", "AccessToken": "access-token-2", "Client": "Loopback Tests 1.0",
            "EnterpriseId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        })
    );
    let body = received[1].json();
    assert_eq!(body["Limitation"], json!({"Count": 10}));
    assert_eq!(received[1].method, "POST");
    assert_eq!(received[1].uri, "/api/connector/v1/reservations/getAll/2023-06-06");
    assert_eq!(received[1].header("content-type"), Some("application/json"));
    assert!(received[1].header("user-agent").is_some_and(|ua| ua.starts_with("mews-client/")));
    // Redaction: neither the credentials, the client nor its transport show a secret.
    let shown = format!("{:?} {:?} {:?}", credentials(), client, client.transport());
    for secret in ["client-token-1", "access-token-2", "Loopback Tests 1.0"] {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
    assert!(shown.contains("redacted"), "{shown}");
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::json(429, json!({"Message": "Too many requests"})).header("retry-after", "1")
        } else {
            empty_page()
        }
    })
    .await;
    // A write: 429 means the server did not process it, so even writes are retried.
    let client = client(&server, RetryPolicy::default());
    client.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 2, "one refused attempt, one accepted");
    let waited = received[1].at.duration_since(received[0].at);
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_millis(1900), "waited {waited:?}, far longer than Retry-After");
}

#[tokio::test]
async fn a_429_that_persists_is_a_rate_limited_error_with_the_delay() {
    let server = Server::start(|_, _| {
        Reply::json(429, json!({"Message": "Slow down", "RequestId": "r-9"})).header("retry-after", "0")
    })
    .await;
    let client = client(&server, quick_retries(3));
    let error = client.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap_err();
    assert_eq!(server.received().len(), 3);
    match error {
        Error::RateLimited { retry_after, body, request_id } => {
            assert_eq!(retry_after, Some(Duration::ZERO));
            assert_eq!(body.unwrap().message.as_deref(), Some("Slow down"));
            assert_eq!(request_id.as_deref(), Some("r-9"));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_5xx_is_retried_for_a_read() {
    let server =
        Server::start(|n, _| if n == 0 { Reply::json(503, json!({"Message": "busy"})) } else { empty_page() }).await;
    let client = client(&server, quick_retries(3));
    client.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_5xx_is_not_retried_for_a_write_and_keeps_the_error_body() {
    let server = Server::start(|_, _| {
        Reply::json(500, json!({"Message": "Internal failure", "RequestId": "req-42", "Details": null}))
    })
    .await;
    let client = client(&server, quick_retries(3));
    let request = types::CustomerAddParameters::new("Doe", false);
    let error = client.customers_add(&request).await.unwrap_err();
    assert_eq!(server.received().len(), 1, "a write is sent once");
    assert_eq!(error.status(), Some(500));
    assert_eq!(error.request_id(), Some("req-42"));
    match &error {
        Error::Api { body: Some(body), raw, .. } => {
            assert_eq!(body.message.as_deref(), Some("Internal failure"));
            assert!(raw.contains("Internal failure"));
        }
        other => panic!("expected an API error with a body, got {other:?}"),
    }
    let shown = error.to_string();
    assert!(shown.contains("500") && shown.contains("req-42"), "{shown}");
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let server = Server::start(|_, _| empty_page().delayed(Duration::from_secs(2))).await;
    let client = Client::builder(&server.url, &credentials())
        .timeout(Duration::from_millis(200))
        .retry(quick_retries(2))
        .build()
        .map(Client::from_transport)
        .unwrap();
    let started = std::time::Instant::now();
    let error = client.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { operation: "reservations_getAll_2023-06-06" }), "{error:?}");
    assert_eq!(server.received().len(), 2, "a read that timed out is tried again");
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers_ends_in_a_timeout_by_default() {
    use mews_client::runtime::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
    // Accepts connections and holds them, reading nothing and writing nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
        }
    });
    let default = Client::new(url.clone(), &credentials()).unwrap();
    assert_eq!(default.transport().timeout(), Some(DEFAULT_TIMEOUT), "a client has a timeout unless told otherwise");
    assert!(DEFAULT_CONNECT_TIMEOUT <= DEFAULT_TIMEOUT);
    let shorter = Client::builder(url.clone(), &credentials())
        .timeout(Duration::from_millis(300))
        .retry(quick_retries(1))
        .build()
        .map(Client::from_transport)
        .unwrap();
    let started = std::time::Instant::now();
    let error = shorter.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let unbounded = Client::builder(url, &credentials()).without_timeout().build().unwrap();
    assert_eq!(unbounded.timeout(), None);
    held.abort();
}

#[tokio::test]
async fn the_providers_rate_limit_applies_by_default_and_clients_of_one_token_share_it() {
    use mews_client::runtime::RateLimit;
    let server = Server::start(|_, _| empty_page()).await;
    let default = Client::new(server.url.clone(), &credentials()).unwrap();
    assert_eq!(default.transport().rate_limit(), Some(Client::RATE_LIMIT));
    assert_eq!(Client::RATE_LIMIT, RateLimit { requests: 200, per: Duration::from_secs(30) });
    let off = Client::builder(server.url.clone(), &credentials()).without_rate_limit().build().unwrap();
    assert_eq!(off.rate_limit(), None);
    // Two requests per 400 ms, counted per access token across clients.
    let small = RateLimit { requests: 2, per: Duration::from_millis(400) };
    let with_token = |token: &str| {
        let credentials = Credentials { access_token: Some(Secret::new(token)), ..credentials() };
        Client::builder(server.url.clone(), &credentials)
            .shared_rate_limit(small, credentials.access_token.as_ref())
            .build()
            .map(Client::from_transport)
            .unwrap()
    };
    let (first, second, other) = (with_token("shared"), with_token("shared"), with_token("other"));
    let started = std::time::Instant::now();
    first.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    second.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    other.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300), "another token waits for no one");
    second.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(390), "the third request of the token waited");
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_keeping_the_body() {
    let server = Server::start(|_, _| Reply::raw(200, "{\"Reservations\": [")).await;
    let client = client(&server, RetryPolicy::default());
    let error = client.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap_err();
    match error {
        Error::Decode { status, body, source } => {
            assert_eq!(status, 200);
            assert_eq!(body, "{\"Reservations\": [");
            assert!(source.is_eof(), "{source}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn a_listing_streams_in_order_and_stops_after_a_short_page() {
    let server = Server::start(|n, _| match n {
        0 => page(0..2, Some(1)),
        1 => page(2..4, Some(2)),
        2 => page(4..5, Some(3)),
        _ => Reply::json(500, json!({"Message": "read past the end"})),
    })
    .await;
    let client = client(&server, RetryPolicy::none());
    let ids: Vec<String> = client
        .reservations_get_all_2023_06_06_stream(reservations_request(2))
        .map(|r| r.unwrap().ok().unwrap().number.clone())
        .collect()
        .await;
    assert_eq!(ids, ["0", "1", "2", "3", "4"]);
    let received = server.received();
    assert_eq!(received.len(), 3, "the short third page is the last");
    let cursors: Vec<Value> = received.iter().map(|r| r.json()["Limitation"]["Cursor"].clone()).collect();
    assert_eq!(cursors[0], Value::Null);
    assert_eq!(cursors[1], "cccccccc-0000-0000-0000-000000000001");
    assert_eq!(cursors[2], "cccccccc-0000-0000-0000-000000000002");
    assert!(received.iter().all(|r| r.json()["AccessToken"] == "access-token-2"));
}

#[tokio::test]
async fn a_listing_stops_at_a_null_cursor() {
    let server = Server::start(|n, _| match n {
        0 => page(0..2, Some(1)),
        1 => page(2..4, None),
        _ => Reply::json(500, json!({"Message": "read past the end"})),
    })
    .await;
    let client = client(&server, RetryPolicy::none());
    let items: Vec<_> = client.reservations_get_all_2023_06_06_stream(reservations_request(2)).collect().await;
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(Result::is_ok));
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_failed_page_ends_the_stream_with_the_error() {
    let server = Server::start(|n, _| match n {
        0 => page(0..2, Some(1)),
        _ => Reply::json(401, json!({"Message": "Invalid token"})),
    })
    .await;
    let client = client(&server, RetryPolicy::none());
    let items: Vec<_> = client.reservations_get_all_2023_06_06_stream(reservations_request(2)).collect().await;
    assert_eq!(items.len(), 3);
    assert!(matches!(&items[2], Err(Error::Api { status: 401, .. })), "{:?}", items[2]);
}

#[tokio::test]
async fn a_request_hook_sees_every_attempt() {
    let server = Server::start(|n, _| if n == 0 { Reply::json(503, json!({})) } else { empty_page() }).await;
    let client = Client::builder(&server.url, &credentials())
        .retry(quick_retries(3))
        .hook(|request| {
            request.headers_mut().insert("x-signature", "signed".parse().unwrap());
        })
        .build()
        .map(Client::from_transport)
        .unwrap();
    client.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| r.header("x-signature") == Some("signed")));
}

/// What a span was opened with and recorded later: its name and fields.
type SpanFields = (String, std::collections::BTreeMap<String, String>);

/// A `tracing` subscriber keeping the fields of every span, in the order spans are opened (span
/// id `n` is the `n`th), and the stack of entered spans (what `Span::current` answers).
#[derive(Clone, Default)]
struct Spans(std::sync::Arc<std::sync::Mutex<SpanState>>);

#[derive(Default)]
struct SpanState {
    spans: Vec<(SpanFields, &'static tracing::Metadata<'static>)>,
    entered: Vec<tracing::span::Id>,
}

impl Spans {
    fn fields(&self) -> Vec<SpanFields> {
        self.0.lock().unwrap().spans.iter().map(|(fields, _)| fields.clone()).collect()
    }
}

struct Fields<'a>(&'a mut std::collections::BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

fn index(span: &tracing::span::Id) -> usize {
    usize::try_from(span.into_u64()).unwrap() - 1
}

impl tracing::Subscriber for Spans {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut state = self.0.lock().unwrap();
        let mut fields = std::collections::BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        state.spans.push(((span.metadata().name().to_owned(), fields), span.metadata()));
        tracing::span::Id::from_u64(state.spans.len() as u64)
    }
    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut state = self.0.lock().unwrap();
        values.record(&mut Fields(&mut state.spans[index(span)].0.1));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, span: &tracing::span::Id) {
        self.0.lock().unwrap().entered.push(span.clone());
    }
    fn exit(&self, span: &tracing::span::Id) {
        let mut state = self.0.lock().unwrap();
        if let Some(at) = state.entered.iter().rposition(|id| id == span) {
            state.entered.remove(at);
        }
    }
    fn current_span(&self) -> tracing_core::span::Current {
        let state = self.0.lock().unwrap();
        match state.entered.last() {
            Some(id) => tracing_core::span::Current::new(id.clone(), state.spans[index(id)].1),
            None => tracing_core::span::Current::none(),
        }
    }
}

#[tokio::test]
async fn every_request_is_a_span_with_its_operation_id() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(spans.clone());
    let server = Server::start(|n, _| match n {
        0 => Reply::json(503, json!({"Message": "busy"})),
        1 => empty_page(),
        _ => Reply::json(400, json!({"Message": "No last name"})),
    })
    .await;
    let client = client(&server, quick_retries(3));
    client.reservations_get_all_2023_06_06(&reservations_request(5)).await.unwrap();
    let request = types::CustomerAddParameters::new("", false);
    client.customers_add(&request).await.unwrap_err();
    let spans = spans.fields();
    let requests: Vec<_> = spans.iter().filter(|(name, _)| name == "request").map(|(_, fields)| fields).collect();
    assert_eq!(requests.len(), 2, "one span per call, not per attempt: {spans:?}");
    let field = |i: usize, name: &str| requests[i].get(name).map(String::as_str);
    assert_eq!(field(0, "operation"), Some("reservations_getAll_2023-06-06"));
    assert_eq!(field(0, "method"), Some("POST"));
    assert_eq!(field(0, "path"), Some("/api/connector/v1/reservations/getAll/2023-06-06"));
    assert_eq!(field(0, "attempts"), Some("2"), "the 503 was retried within the span");
    assert_eq!(field(0, "status"), Some("200"));
    assert_eq!(field(1, "operation"), Some("customers_add"));
    assert_eq!(field(1, "attempts"), Some("1"));
    assert_eq!(field(1, "status"), Some("400"));
    // Credentials never reach the trace.
    let shown = format!("{spans:?}");
    assert!(!shown.contains("access-token-2") && !shown.contains("client-token-1"), "{shown}");
}

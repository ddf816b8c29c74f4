//! The generated `mews-client` against the generated `mews-server` API router on loopback: typed
//! requests and responses round-trip, error statuses carry the provider's error body, pages are
//! streamed, a body that does not decode is answered 400 in the provider's error shape, and an
//! operation left unimplemented answers 501.

use std::future::Future;
use std::sync::Mutex;

use mews_client::runtime::{self as client_rt, StreamExt as _};
use mews_client::{Client, Credentials};
use mews_server::runtime::ApiError;
use mews_server::types;

/// The credentials a request carried, as the server reads them apart from its body.
fn tokens(credentials: &mews_server::Credentials) -> (String, String, String) {
    let text = |secret: &Option<mews_server::runtime::Secret>| secret.as_ref().map(|s| s.expose().to_owned());
    (
        text(&credentials.client_token).unwrap_or_default(),
        text(&credentials.access_token).unwrap_or_default(),
        text(&credentials.client).unwrap_or_default(),
    )
}
use serde_json::{Value, json};

#[derive(Default)]
struct Fake {
    /// Credentials each request carried: client token, access token, client.
    seen: Mutex<Vec<(String, String, String)>>,
}

fn reservation(n: u32) -> Value {
    let any = "11111111-1111-1111-1111-111111111111";
    let at = "2024-01-01T00:00:00Z";
    json!({
        "Id": format!("00000000-0000-0000-0000-{n:012}"), "ServiceId": any, "AccountId": any,
        "AccountType": "Customer", "CreatorProfileId": any, "UpdaterProfileId": any, "Number": n.to_string(),
        "State": "Confirmed", "Origin": "Connector", "CreatedUtc": at, "UpdatedUtc": at, "GroupId": any,
        "RateId": any, "RequestedResourceCategoryId": any, "StartUtc": at, "EndUtc": at,
        "ScheduledStartUtc": at, "ScheduledEndUtc": at, "PersonCounts": [],
        "Options": {"OwnerCheckedIn": false, "AllCompanionsCheckedIn": false, "AnyCompanionCheckedIn": false,
                    "ConnectorCheckIn": false},
    })
}

type Answer<T> = Result<T, ApiError<types::ConnectorApiExceptionResult>>;

impl mews_server::Api for Fake {
    fn reservations_get_all_2023_06_06(
        &self,
        credentials: mews_server::Credentials,
        request: types::ReservationServiceOrderFilterParameters,
    ) -> impl Future<Output = Answer<types::ReservationServiceOrderResult>> + Send {
        self.seen.lock().unwrap().push(tokens(&credentials));
        // Three reservations, two per page: the cursor is the last id of a page.
        let start = match request.limitation.cursor {
            None => 0,
            Some(cursor) => cursor.as_u128() as u32 + 1,
        };
        let count = request.limitation.count.max(1) as u32;
        let end = (start + count).min(3);
        let items: Vec<Value> = (start..end).map(reservation).collect();
        let cursor = (end > start).then(|| format!("00000000-0000-0000-0000-{:012}", end - 1));
        // A page built as a downstream crate builds it: the list it must have, then the cursor.
        let items: Vec<types::Decoded<types::Reservation>> =
            items.into_iter().map(|item| serde_json::from_value::<types::Reservation>(item).unwrap().into()).collect();
        let mut page = types::ReservationServiceOrderResult::new(items);
        if let Some(cursor) = cursor {
            page = page.with_cursor(cursor.parse::<uuid::Uuid>().unwrap());
        }
        std::future::ready(Ok(page))
    }

    fn customers_add(
        &self,
        credentials: mews_server::Credentials,
        request: types::CustomerAddParameters,
    ) -> impl Future<Output = Answer<types::Customer>> + Send {
        let (_, _, client) = tokens(&credentials);
        let error = types::ConnectorApiExceptionResult::default()
            .with_message(format!("no customers for {client} ({})", request.last_name))
            .with_request_id("req-1");
        std::future::ready(Err(ApiError::Status(403, error)))
    }
}

async fn serve() -> (String, std::sync::Arc<Fake>) {
    let fake = std::sync::Arc::new(Fake::default());
    struct Shared(std::sync::Arc<Fake>);
    impl mews_server::Api for Shared {
        fn reservations_get_all_2023_06_06(
            &self,
            credentials: mews_server::Credentials,
            request: types::ReservationServiceOrderFilterParameters,
        ) -> impl Future<Output = Answer<types::ReservationServiceOrderResult>> + Send {
            self.0.reservations_get_all_2023_06_06(credentials, request)
        }
        fn customers_add(
            &self,
            credentials: mews_server::Credentials,
            request: types::CustomerAddParameters,
        ) -> impl Future<Output = Answer<types::Customer>> + Send {
            self.0.customers_add(credentials, request)
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = mews_server::router(Shared(fake.clone()));
    tokio::spawn(async move { mews_server::runtime::axum::serve(listener, router).await.unwrap() });
    (url, fake)
}

fn client(url: &str) -> Client {
    let credentials = Credentials {
        client_token: Some(client_rt::Secret::new("ct".to_owned())),
        access_token: Some(client_rt::Secret::new("at".to_owned())),
        client: Some(client_rt::Secret::new("round trip 1.0".to_owned())),
    };
    Client::new(url, &credentials).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_and_server_round_trip_pages_and_errors() {
    let (url, fake) = serve().await;
    let client = client(&url);
    // Requests hold only their own fields: the client writes the credentials.
    let request = types::ReservationServiceOrderFilterParameters::new(types::Limitation::new(2));
    let page = client.reservations_get_all_2023_06_06(&request).await.unwrap();
    assert_eq!(page.reservations.len(), 2);
    assert_eq!(page.reservations[1].ok().unwrap().number, "1");
    // The stream follows the cursor to the end.
    let all: Vec<_> = client.reservations_get_all_2023_06_06_stream(request).collect().await;
    let numbers: Vec<String> = all.into_iter().map(|r| r.unwrap().ok().unwrap().number.clone()).collect();
    assert_eq!(numbers, ["0", "1", "2"]);
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "one plain call and two pages");
    assert!(seen.iter().all(|seen| seen == &("ct".into(), "at".into(), "round trip 1.0".into())), "{seen:?}");
    // A documented error status with the provider's error body.
    let add = types::CustomerAddParameters::new("Novak", false);
    match client.customers_add(&add).await {
        Err(client_rt::Error::Api { status: 403, body: Some(error), .. }) => {
            assert_eq!(error.message.as_deref(), Some("no customers for round trip 1.0 (Novak)"));
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    // Not implemented: 501.
    match client.configuration_get(&types::ConfigurationFilterParameters::default()).await {
        Err(client_rt::Error::Api { status: 501, .. }) => {}
        other => panic!("expected a 501, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_requests_get_400_in_the_error_shape() {
    let (url, fake) = serve().await;
    let http = client_rt::reqwest::Client::new();
    let path = format!("{url}/api/connector/v1/reservations/getAll/2023-06-06");
    for bad in [&b"{\"Limitation\": {\"Count\": 2},}"[..], b"{\"ClientToken\": 1}", b""] {
        let response = http.post(&path).header("content-type", "application/json").body(bad.to_vec()).send().await;
        let response = response.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let error: types::ConnectorApiExceptionResult =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(error.message.unwrap().starts_with("Invalid request body"));
    }
    // The credentials are no fields of the request type, but the spec requires them in the body.
    let missing = http
        .post(&path)
        .header("content-type", "application/json")
        .body(r#"{"AccessToken": "at", "Client": "c", "Limitation": {"Count": 2}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 400);
    let error: types::ConnectorApiExceptionResult = serde_json::from_slice(&missing.bytes().await.unwrap()).unwrap();
    assert_eq!(error.message.as_deref(), Some("Invalid request body: missing field `ClientToken`"));
    assert!(fake.seen.lock().unwrap().is_empty(), "no method was called");
    let wrong = http.post(format!("{url}/api/connector/v1/reservations/getall")).body("{}").send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 404);
}

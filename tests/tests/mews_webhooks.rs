//! The generated `mews-server` webhook receiver over real HTTP on loopback: the example payloads
//! of `tests/data/mews/` reach the right methods, refused deliveries reach none, duplicates are
//! handled once, and a bad event in a batch reaches `malformed` while the rest is handled.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mews_server::runtime::{self as rt, Delivery, HandlerError, JournalOptions, RedbJournal, Verifier};
use mews_server::{Webhooks, types};
use serde_json::{Value, json};

/// One call of a webhook method: (method, id of the entity or integration, enterprise of the batch).
type Call = (String, String, Option<String>);

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
}

impl Recorder {
    fn push(&self, method: &str, id: String, batch: Option<&types::GeneralWebhookMessage>) -> Result<(), HandlerError> {
        let enterprise = batch.map(|b| b.enterprise_id.to_string());
        self.calls.lock().unwrap().push((method.to_owned(), id, enterprise));
        Ok(())
    }
}

macro_rules! general {
    ($($method:ident),*) => {$(
        fn $method(
            &self,
            batch: &types::GeneralWebhookMessage,
            event: types::EntityUpdatedData,
            _: &Delivery,
        ) -> impl Future<Output = Result<(), HandlerError>> + Send {
            // The batch comes whole: this event is among its entities (a handler may coalesce).
            let whole = mews_server::general_entities(batch).iter().any(|e| e.id == event.id);
            let method = if whole { stringify!($method) } else { "a batch without this event" };
            std::future::ready(self.push(method, event.id.to_string(), Some(batch)))
        }
    )*};
}

macro_rules! integration {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(&self, event: $ty, _: &Delivery) -> impl Future<Output = Result<(), HandlerError>> + Send {
            std::future::ready(self.push(stringify!($method), event.integration.id.to_string(), None))
        }
    )*};
}

impl Webhooks for Recorder {
    general!(
        service_order_updated,
        resource_updated,
        message_added,
        resource_block_updated,
        customer_added,
        customer_updated,
        payment_updated
    );
    integration!(
        integration_created: types::IntegrationCreatedData,
        integration_enabled: types::IntegrationEventData,
        integration_disabled: types::IntegrationEventData,
        integration_canceled: types::IntegrationEventData,
        integration_reinstated: types::IntegrationEventData,
        integration_deleted: types::IntegrationDeletedData,
        integration_api_key_created: types::IntegrationApiKeyCreatedData
    );

    fn unknown(&self, raw: Value, _: &Delivery) -> impl Future<Output = Result<(), HandlerError>> + Send {
        std::future::ready(self.push("unknown", raw.to_string(), None))
    }

    fn malformed(
        &self,
        raw: Value,
        error: String,
        _: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        assert!(!error.is_empty());
        std::future::ready(self.push("malformed", raw.to_string(), None))
    }
}

type Receiver = rt::Receiver<mews_server::Dispatcher<Recorder>>;

struct Running {
    url: String,
    receiver: Arc<Receiver>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    fn calls(&self) -> Vec<Call> {
        self.receiver.dispatch().0.calls.lock().unwrap().clone()
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap();
    }
}

async fn start(receiver: Receiver) -> Running {
    let receiver = Arc::new(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = receiver.clone();
    let task = tokio::spawn(async move {
        served
            .serve(listener, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Running { url, receiver, stop: Some(stop), task }
}

const TOKEN: &str = "partner-secret";

fn inline() -> Receiver {
    let verifier = Verifier::query_token("Token", &[TOKEN]).unwrap();
    mews_server::receiver(Recorder::default(), verifier).body_limit(64 * 1024).start().unwrap()
}

fn payload(name: &str) -> Vec<u8> {
    std::fs::read(triad_tests::root().join("tests/data/mews").join(name)).unwrap()
}

async fn post(url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> u16 {
    let client = triad_runtime::client::reqwest::Client::new();
    let mut request = client.post(url).body(body).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status().as_u16()
}

fn call(method: &str, id: &str, enterprise: Option<&str>) -> Call {
    (method.to_owned(), id.to_owned(), enterprise.map(str::to_owned))
}

const ENTERPRISE: &str = "5d1f2c8e-7a41-4b93-9e0c-2f6a8b3d4c51";
const INTEGRATION: &str = "a3c9e7b1-0d24-4f68-8b5a-1e7c9d3f2a60";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_payloads_reach_their_methods_on_one_url() {
    let r = start(inline()).await;
    let url = format!("{}?Token={TOKEN}", r.url);
    assert_eq!(post(&url, payload("general-webhook.json"), &[]).await, 200);
    let e = Some(ENTERPRISE);
    assert_eq!(
        r.calls(),
        [
            call("customer_added", "e84b6f20-3c1a-4d9e-a7f5-90b2c4d6e813", e),
            call("customer_updated", "e84b6f20-3c1a-4d9e-a7f5-90b2c4d6e813", e),
            call("service_order_updated", "0f7d3b92-64e1-4c0a-b5d8-7a2e9c1f4b36", e),
            call("resource_updated", "7c2e5a18-9b3d-4f06-8e1a-c4d7f0b2a995", e),
            call("message_added", "b6a04d7e-1f92-4c5b-9d3e-8e0f2a7c5b14", e),
            call("resource_block_updated", "2e9f7c41-5a0b-4d8e-b3c6-f1a8d2e4c079", e),
            call("payment_updated", "d1c8a5f3-2b7e-4e09-a6d4-3b9f0c7e8a22", e),
        ]
    );
    for (file, method) in [
        ("integration-webhook-created.json", "integration_created"),
        ("integration-webhook-enabled.json", "integration_enabled"),
        ("integration-webhook-deleted.json", "integration_deleted"),
        ("integration-webhook-api-key-created.json", "integration_api_key_created"),
    ] {
        assert_eq!(post(&url, payload(file), &[]).await, 200, "{file}");
        assert_eq!(r.calls().last().unwrap(), &call(method, INTEGRATION, None), "{file}");
    }
    let c = r.receiver.counters();
    assert_eq!((c.accepted, c.handled, c.unknown, c.malformed, c.failed), (5, 11, 0, 0, 0));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_deliveries_call_no_method() {
    let r = start(inline()).await;
    let body = payload("general-webhook.json");
    assert_eq!(post(&r.url, body.clone(), &[]).await, 401, "missing token");
    assert_eq!(post(&format!("{}?Token=partner-secreT", r.url), body.clone(), &[]).await, 401);
    assert_eq!(post(&format!("{}?Token=", r.url), body, &[]).await, 401);
    assert!(r.calls().is_empty());
    r.shutdown().await;

    // The same crate behind Standard Webhooks signatures.
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let verifier = Verifier::standard_webhooks(&[secret], Duration::from_secs(300)).unwrap();
    let r = start(mews_server::receiver(Recorder::default(), verifier).start().unwrap()).await;
    let body = payload("integration-webhook-enabled.json");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let headers = |ts: u64, sig: String| {
        vec![("webhook-id", "msg_1".to_owned()), ("webhook-timestamp", ts.to_string()), ("webhook-signature", sig)]
    };
    let good = rt::sign_standard_webhooks(secret, "msg_1", now, &body).unwrap();
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'E').unwrap();
    tampered[at] = b'D';
    assert_eq!(post(&r.url, tampered, &headers(now, good.clone())).await, 401, "tampered body");
    let stale = rt::sign_standard_webhooks(secret, "msg_1", now - 600, &body).unwrap();
    assert_eq!(post(&r.url, body.clone(), &headers(now - 600, stale)).await, 401, "stale timestamp");
    assert_eq!(post(&r.url, body.clone(), &headers(now, "v1,".into())).await, 401, "empty signature");
    assert!(r.calls().is_empty());
    assert_eq!(post(&r.url, body, &headers(now, good)).await, 200);
    assert_eq!(r.calls(), [call("integration_enabled", INTEGRATION, None)]);
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_oversized_and_malformed_bodies() {
    let r = start(inline()).await;
    let url = format!("{}?Token={TOKEN}", r.url);
    let body = payload("integration-webhook-created.json");
    assert_eq!(post(&url, body.clone(), &[]).await, 200);
    // Mews sends no delivery id, and the same bytes for two changes: each is handled.
    assert_eq!(post(&url, body, &[]).await, 200, "the same bytes again");
    assert_eq!(r.calls().len(), 2, "are handled again");
    assert_eq!(post(&url, vec![b' '; 70 * 1024], &[]).await, 413);
    assert_eq!(post(&url, b"{\"Action\": ".to_vec(), &[]).await, 400);
    assert_eq!(r.calls().len(), 2);
    assert_eq!(r.receiver.counters().duplicate, 0);
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kinds_and_bad_events_do_not_stop_a_batch() {
    let r = start(inline()).await;
    let url = format!("{}?Token={TOKEN}", r.url);
    let id = "11111111-2222-3333-4444-555555555555";
    let batch = json!({
        "EnterpriseId": ENTERPRISE, "IntegrationId": INTEGRATION,
        "Events": [
            {"Discriminator": "CustomerAdded", "Value": {"Id": "not a uuid"}},
            {"Discriminator": "BillClosed", "Value": {"Id": id}},
            {"Discriminator": "CustomerUpdated", "Value": {"Id": id}},
        ]
    });
    assert_eq!(post(&url, serde_json::to_vec(&batch).unwrap(), &[]).await, 200);
    let calls = r.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[0].0, "malformed");
    assert!(calls[0].1.contains("not a uuid"), "the raw event: {}", calls[0].1);
    assert_eq!(calls[1].0, "unknown");
    assert!(calls[1].1.contains("BillClosed"));
    assert_eq!(calls[2], call("customer_updated", id, Some(ENTERPRISE)));
    // An unknown action, and a body of neither shape.
    let action = json!({"Action": "IntegrationPaused", "Data": {}});
    assert_eq!(post(&url, serde_json::to_vec(&action).unwrap(), &[]).await, 200);
    assert_eq!(post(&url, b"[1, 2]".to_vec(), &[]).await, 200);
    let calls = r.calls();
    assert_eq!((calls[3].0.as_str(), calls[4].0.as_str()), ("unknown", "unknown"));
    // A batch whose envelope does not decode reaches `malformed` whole.
    let envelope = json!({"EnterpriseId": "nope", "IntegrationId": INTEGRATION, "Events": []});
    assert_eq!(post(&url, serde_json::to_vec(&envelope).unwrap(), &[]).await, 200);
    assert_eq!(r.calls()[5].0, "malformed");
    let c = r.receiver.counters();
    assert_eq!((c.handled, c.unknown, c.malformed), (6, 3, 2));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaled_burst_of_2000_from_50_tasks_is_handled_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(RedbJournal::open(dir.path()).unwrap());
    let verifier = Verifier::query_token("Token", &[TOKEN]).unwrap();
    let receiver =
        mews_server::receiver(Recorder::default(), verifier).journaled(journal, JournalOptions::default()).start();
    let r = start(receiver.unwrap()).await;
    let url = format!("{}?Token={TOKEN}", r.url);
    let mut tasks = Vec::new();
    for t in 0..50u32 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..40u32 {
                let id = format!("00000000-0000-0000-{t:04}-{n:012}");
                let body = json!({"EnterpriseId": ENTERPRISE, "IntegrationId": INTEGRATION,
                                  "Events": [{"Discriminator": "PaymentUpdated", "Value": {"Id": id}}]});
                assert_eq!(post(&url, serde_json::to_vec(&body).unwrap(), &[]).await, 202);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for _ in 0..600 {
        if r.receiver.counters().pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut ids: Vec<String> = r.calls().into_iter().map(|c| c.1).collect();
    assert_eq!(ids.len(), 2000);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2000, "each event handled exactly once");
    let c = r.receiver.counters();
    assert_eq!((c.accepted, c.handled, c.pending, c.failed), (2000, 2000, 0, 0));
    r.shutdown().await;
}

#[test]
fn secrets_in_integration_payloads_stay_out_of_debug() {
    let created: types::IntegrationWebhookMessage =
        serde_json::from_slice(&payload("integration-webhook-created.json")).unwrap();
    let text = format!("{created:?}");
    assert!(!text.contains("4B7E1D9A0C3F4E6A8B2D5C7E9F1A3B5C"), "{text}");
}

#[test]
fn a_batch_coalesces_into_one_entry_per_entity() {
    let text = std::fs::read(triad_tests::root().join("tests/data/mews/general-webhook.json")).unwrap();
    let mut message: Value = serde_json::from_slice(&text).unwrap();
    // One event of an unknown kind and one that does not decode are left out.
    let events = message["Events"].as_array_mut().unwrap();
    events.push(json!({"Discriminator": "SomethingNew", "Value": {"Id": "e84b6f20-3c1a-4d9e-a7f5-90b2c4d6e813"}}));
    events.push(json!({"Discriminator": "PaymentUpdated", "Value": {"Id": 5}}));
    let batch: types::GeneralWebhookMessage = serde_json::from_value(message).unwrap();
    let entities = mews_server::general_entities(&batch);
    let customer: uuid::Uuid = "e84b6f20-3c1a-4d9e-a7f5-90b2c4d6e813".parse().unwrap();
    // Seven events, the customer's two (added, then updated) become one entity.
    assert_eq!(entities.len(), 6);
    assert_eq!(
        entities[0],
        rt::Entity { id: customer, kinds: vec!["CustomerAdded", "CustomerUpdated"], events: vec![0, 1] }
    );
    let rest: Vec<(&str, usize)> = entities[1..].iter().map(|e| (e.kinds[0], e.events[0])).collect();
    assert_eq!(
        rest,
        [
            ("ServiceOrderUpdated", 2),
            ("ResourceUpdated", 3),
            ("MessageAdded", 4),
            ("ResourceBlockUpdated", 5),
            ("PaymentUpdated", 6)
        ]
    );
}

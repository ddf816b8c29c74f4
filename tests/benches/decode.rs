//! Decoding and encoding Mews events with the generated types against hand-written serde types
//! for the same payloads (the baseline). `cargo xtask bench` prints medians and ratios.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};

/// What a careful engineer would write by hand for the same payloads: serde derives with
/// adjacent and internal tags.
mod hand {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct General {
        pub enterprise_id: uuid::Uuid,
        pub integration_id: uuid::Uuid,
        pub events: Vec<Event>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "Discriminator", content = "Value")]
    pub enum Event {
        ServiceOrderUpdated(Entity),
        ResourceUpdated(Entity),
        MessageAdded(Entity),
        ResourceBlockUpdated(Entity),
        CustomerAdded(Entity),
        CustomerUpdated(Entity),
        PaymentUpdated(Entity),
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Entity {
        pub id: uuid::Uuid,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Socket {
        pub events: Vec<SocketEvent>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "Type")]
    pub enum SocketEvent {
        DeviceCommand(Command),
        Reservation(Reservation),
        Resource(Resource),
        PriceUpdate(Price),
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Command {
        pub id: uuid::Uuid,
        pub state: String,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Reservation {
        pub id: uuid::Uuid,
        pub state: String,
        pub start_utc: chrono::DateTime<chrono::Utc>,
        pub end_utc: chrono::DateTime<chrono::Utc>,
        pub assigned_resource_id: Option<uuid::Uuid>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Resource {
        pub id: uuid::Uuid,
        pub state: String,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Price {
        pub id: uuid::Uuid,
        pub start_utc: Option<chrono::DateTime<chrono::Utc>>,
        pub end_utc: Option<chrono::DateTime<chrono::Utc>>,
        pub rate_id: Option<uuid::Uuid>,
        pub resource_category_id: Option<uuid::Uuid>,
    }
}

/// The example payload with its event list repeated to `n` events (Mews batches hundreds),
/// keeping every object's properties in the order the example writes them.
fn scaled(name: &str, n: usize) -> String {
    let path = triad_tests::root().join("tests/data/mews").join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("\"Events\"").unwrap();
    let open = start + text[start..].find('[').unwrap();
    // Split the array into its top-level objects by brace depth (the examples hold no braces in strings).
    let mut events = Vec::new();
    let (mut depth, mut begin, mut close) = (0, 0, 0);
    for (i, c) in text[open + 1..].char_indices() {
        match c {
            '{' => {
                if depth == 0 {
                    begin = open + 1 + i;
                }
                depth += 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    events.push(&text[begin..=open + 1 + i]);
                }
            }
            ']' if depth == 0 => {
                close = open + 1 + i;
                break;
            }
            _ => {}
        }
    }
    let repeated: Vec<&str> = events.iter().cycle().take(n).copied().collect();
    format!("{}{}{}", &text[..=open], repeated.join(","), &text[close..])
}

fn group<G, H>(c: &mut Criterion, name: &str, text: &str)
where
    G: serde::de::DeserializeOwned + Serialize,
    H: serde::de::DeserializeOwned + Serialize,
{
    let mut group = c.benchmark_group(name);
    group.bench_function("decode hand-written (baseline)", |b| {
        b.iter(|| black_box(serde_json::from_str::<H>(black_box(text)).unwrap()))
    });
    group.bench_function("decode generated", |b| {
        b.iter(|| black_box(serde_json::from_str::<G>(black_box(text)).unwrap()))
    });
    let generated: G = serde_json::from_str(text).unwrap();
    let hand: H = serde_json::from_str(text).unwrap();
    group
        .bench_function("encode hand-written", |b| b.iter(|| black_box(serde_json::to_vec(black_box(&hand)).unwrap())));
    group.bench_function("encode generated", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&generated)).unwrap()))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let webhook = scaled("general-webhook.json", 300);
    group::<mews_types::GeneralWebhookMessage, hand::General>(c, "general-webhook-300", &webhook);
    let socket = scaled("websocket-message.json", 100);
    group::<mews_types::WebSocketMessage, hand::Socket>(c, "websocket-100", &socket);
}

criterion_group!(decode, benches);
criterion_main!(decode);

//! The example payloads of the Mews webhooks and WebSocket decode into the generated types and
//! encode back to the same JSON.

use mews_types::{
    DeviceCommandState, GeneralWebhookMessage, IntegrationWebhookMessage, ReservationState, WebSocketEvent,
    WebSocketMessage, WebhookEvent, WebhookMessage,
};
use serde_json::Value;

fn data(name: &str) -> String {
    let path = triad_tests::root().join("tests/data/mews").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes `text` as `T`, encodes it again and checks nothing was lost or changed. The Mews
/// config says `null_means_absent` (Mews writes absent optional values as explicit `null`), so
/// an explicit `null` may come back as an absent property; anything else must be identical.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(text: &str) -> T {
    let value: T = serde_json::from_str(text).expect("payload decodes");
    let mut original: Value = serde_json::from_str(text).unwrap();
    let encoded = serde_json::to_value(&value).unwrap();
    drop_nulls(&mut original);
    assert_eq!(encoded, original, "re-encoded payload differs");
    value
}

fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[test]
fn general_webhook_round_trips_and_keeps_every_event() {
    let message: GeneralWebhookMessage = round_trip(&data("general-webhook.json"));
    assert_eq!(message.enterprise_id.to_string(), "5d1f2c8e-7a41-4b93-9e0c-2f6a8b3d4c51");
    let ids: Vec<String> = message
        .events
        .iter()
        .map(|e| match e {
            WebhookEvent::CustomerAdded(d) | WebhookEvent::CustomerUpdated(d) => format!("customer {}", d.id),
            WebhookEvent::ServiceOrderUpdated(d) => format!("reservation {}", d.id),
            WebhookEvent::Unknown(v) => panic!("known discriminator decoded as unknown: {v}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(ids[0], "customer e84b6f20-3c1a-4d9e-a7f5-90b2c4d6e813");
    assert_eq!(ids[0], ids[1], "Added and Updated carry the same id");
    assert_eq!(ids[2], "reservation 0f7d3b92-64e1-4c0a-b5d8-7a2e9c1f4b36");
}

#[test]
fn integration_webhooks_round_trip() {
    for name in [
        "integration-webhook-created.json",
        "integration-webhook-deleted.json",
        "integration-webhook-api-key-created.json",
        "integration-webhook-enabled.json",
    ] {
        let message: IntegrationWebhookMessage = round_trip(&data(name));
        assert!(!matches!(message, IntegrationWebhookMessage::Unknown(_)), "{name} decoded as unknown");
        // The same body through the top-level envelope that tells the two kinds apart by shape.
        let envelope: WebhookMessage = round_trip(&data(name));
        assert!(matches!(envelope, WebhookMessage::IntegrationWebhookMessage(_)), "{name}: {envelope:?}");
    }
    let general: WebhookMessage = round_trip(&data("general-webhook.json"));
    assert!(matches!(general, WebhookMessage::GeneralWebhookMessage(_)));
}

#[test]
fn secrets_in_webhooks_never_show_in_debug() {
    for (name, secret_field) in
        [("integration-webhook-created.json", "AccessToken"), ("integration-webhook-api-key-created.json", "ApiKey")]
    {
        let text = data(name);
        let raw: Value = serde_json::from_str(&text).unwrap();
        let secret = raw["Data"][secret_field].as_str().expect("example carries the secret").to_owned();
        let message: IntegrationWebhookMessage = serde_json::from_str(&text).unwrap();
        let debug = format!("{message:?} {message:#?}");
        assert!(!debug.contains(&secret), "{name}: secret leaked into Debug: {debug}");
        assert!(debug.contains("<redacted>"), "{name}: {debug}");
        // Serialization still carries it: the secret is needed on the wire.
        assert!(serde_json::to_string(&message).unwrap().contains(&secret));
    }
}

#[test]
fn websocket_message_round_trips() {
    let message: WebSocketMessage = round_trip(&data("websocket-message.json"));
    let kinds: Vec<&str> = message
        .events
        .iter()
        .map(|e| match e {
            WebSocketEvent::DeviceCommand(_) => "DeviceCommand",
            WebSocketEvent::Reservation(_) => "Reservation",
            WebSocketEvent::Resource(_) => "Resource",
            WebSocketEvent::PriceUpdate(_) => "PriceUpdate",
            WebSocketEvent::Unknown(_) => "Unknown",
        })
        .collect();
    for kind in ["DeviceCommand", "Reservation", "Resource", "PriceUpdate"] {
        assert!(kinds.contains(&kind), "no {kind} event in {kinds:?}");
    }
    assert!(!kinds.contains(&"Unknown"));
}

#[test]
fn unknown_events_and_enum_values_are_kept_not_rejected() {
    let text = r#"{"EnterpriseId":"5d1f2c8e-7a41-4b93-9e0c-2f6a8b3d4c51",
        "IntegrationId":"a3c9e7b1-0d24-4f68-8b5a-1e7c9d3f2a60",
        "Events":[{"Discriminator":"BillClosed","Value":{"Id":"x","Extra":1}}],
        "FutureField":true}"#;
    let message: GeneralWebhookMessage = serde_json::from_str(text).unwrap();
    let WebhookEvent::Unknown(raw) = &message.events[0] else { panic!("{:?}", message.events[0]) };
    assert_eq!(raw["Discriminator"], "BillClosed");
    assert_eq!(raw["Value"]["Extra"], 1);
    // The unknown event is sent back exactly as it came.
    let again = serde_json::to_value(&message).unwrap();
    assert_eq!(again["Events"][0], serde_json::from_str::<Value>(text).unwrap()["Events"][0]);

    let ws = r#"{"Events":[{"Type":"DoorOpened","Id":"1"},
        {"Type":"DeviceCommand","Id":"3a8d1f64-c29e-4b70-9f5a-e6b2d8c0a147","State":"Teleporting"}]}"#;
    let message: WebSocketMessage = serde_json::from_str(ws).unwrap();
    assert!(matches!(&message.events[0], WebSocketEvent::Unknown(v) if v["Type"] == "DoorOpened"));
    let WebSocketEvent::DeviceCommand(command) = &message.events[1] else { panic!() };
    assert_eq!(command.state, DeviceCommandState::Unknown("Teleporting".into()));
    assert_eq!(command.state.as_str(), "Teleporting");
    assert_eq!(serde_json::to_value(&command.state).unwrap(), "Teleporting");
}

#[test]
fn reservation_state_accepts_both_spellings() {
    for spelling in ["Enquired", "Inquired"] {
        let state: ReservationState = serde_json::from_value(Value::from(spelling)).unwrap();
        assert!(!matches!(state, ReservationState::Unknown(_)), "{spelling} is a known state");
        assert_eq!(state.as_str(), spelling);
    }
}

/// A field declared `format: date` accepts the date-time providers send in its place, keeps it
/// whole and writes it back as received.
#[test]
fn date_fields_accept_date_times_without_loss() {
    use mews_types::calendar::Date;
    let instant: Date = serde_json::from_str(r#""2021-06-19T23:30:00+02:00""#).unwrap();
    assert!(matches!(instant, Date::Instant(_)), "{instant:?}");
    assert_eq!(instant.date().to_string(), "2021-06-19");
    assert_eq!(serde_json::to_string(&instant).unwrap(), r#""2021-06-19T23:30:00+02:00""#);
    let day: Date = serde_json::from_str(r#""2021-06-19""#).unwrap();
    assert!(matches!(day, Date::Day(_)), "{day:?}");
    assert_eq!(serde_json::to_string(&day).unwrap(), r#""2021-06-19""#);
    let error = serde_json::from_str::<Date>(r#""19.06.2021""#).unwrap_err().to_string();
    assert!(error.contains("expected YYYY-MM-DD or an RFC 3339 date-time"), "{error}");
}

/// The same rule the other way round: a field declared `format: date-time` accepts a bare date,
/// keeps it as a date and writes it back as received.
#[test]
fn date_time_fields_accept_dates_without_loss() {
    use mews_types::calendar::DateTime;
    let day: DateTime = serde_json::from_str(r#""2021-06-19""#).unwrap();
    assert!(matches!(day, DateTime::Day(_)), "{day:?}");
    assert_eq!(day.instant().to_rfc3339(), "2021-06-19T00:00:00+00:00");
    assert_eq!(serde_json::to_string(&day).unwrap(), r#""2021-06-19""#);
    let instant: DateTime = serde_json::from_str(r#""2021-06-19T23:30:00.5+02:00""#).unwrap();
    assert!(matches!(instant, DateTime::Instant(_)), "{instant:?}");
    assert_eq!(serde_json::to_string(&instant).unwrap(), r#""2021-06-19T21:30:00.500Z""#, "written in UTC");
    let error = serde_json::from_str::<DateTime>(r#""19.06.2021""#).unwrap_err().to_string();
    assert!(error.contains("expected an RFC 3339 date-time or YYYY-MM-DD"), "{error}");
}

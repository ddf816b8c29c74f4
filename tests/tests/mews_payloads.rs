//! The example payloads of the Mews webhooks and WebSocket decode into the generated types and
//! encode back to the same JSON.

use mews_types::{
    Decoded, DeviceCommandStateEnum, GeneralWebhookMessage, IntegrationWebhookMessage, ReservationState,
    WebSocketEvent, WebSocketMessage, WebhookEvent, WebhookMessage,
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
        .map(|e| match e.ok().expect("every example event decodes") {
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
        .map(|e| match e.ok().expect("every example event decodes") {
            WebSocketEvent::DeviceCommand(_) => "DeviceCommand",
            WebSocketEvent::Reservation(_) => "Reservation",
            WebSocketEvent::Resource(_) => "Resource",
            WebSocketEvent::PriceUpdate(_) => "PriceUpdate",
            WebSocketEvent::Unknown(_) => "Unknown",
            // The union is `#[non_exhaustive]`: a later version may know more kinds.
            _ => "other",
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
    let Some(WebhookEvent::Unknown(raw)) = message.events[0].ok() else { panic!("{:?}", message.events[0]) };
    assert_eq!(raw["Discriminator"], "BillClosed");
    assert_eq!(raw["Value"]["Extra"], 1);
    // The unknown event is sent back exactly as it came.
    let again = serde_json::to_value(&message).unwrap();
    assert_eq!(again["Events"][0], serde_json::from_str::<Value>(text).unwrap()["Events"][0]);

    let ws = r#"{"Events":[{"Type":"DoorOpened","Id":"1"},
        {"Type":"DeviceCommand","Id":"3a8d1f64-c29e-4b70-9f5a-e6b2d8c0a147","State":"Teleporting"}]}"#;
    let message: WebSocketMessage = serde_json::from_str(ws).unwrap();
    assert!(matches!(message.events[0].ok(), Some(WebSocketEvent::Unknown(v)) if v["Type"] == "DoorOpened"));
    let Some(WebSocketEvent::DeviceCommand(command)) = message.events[1].ok() else { panic!() };
    assert_eq!(command.state, DeviceCommandStateEnum::Unknown("Teleporting".into()));
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

/// The top-level webhook body is read by the keys that tell the two envelopes apart, and a
/// malformed body of a known kind is an error naming the field, never an unknown message.
#[test]
fn webhook_envelope_is_chosen_by_shape_and_never_hides_a_failure() {
    let decode = |text: &str| serde_json::from_str::<WebhookMessage>(text).map_err(|e| e.to_string());
    // A general message missing a field: an error naming it, not an unknown integration event.
    let error = decode(r#"{"EnterpriseId":"5d1f2c8e-7a41-4b93-9e0c-2f6a8b3d4c51","Events":[]}"#).unwrap_err();
    assert!(error.contains("as `GeneralWebhookMessage`: missing field `IntegrationId`"), "{error}");
    let error =
        decode(r#"{"EnterpriseId":"not-a-uuid","IntegrationId":"a3c9e7b1-0d24-4f68-8b5a-1e7c9d3f2a60","Events":[]}"#)
            .unwrap_err();
    assert!(error.contains("as `GeneralWebhookMessage`: EnterpriseId: UUID parsing failed"), "{error}");
    // An integration message of a known action with a bad payload is an error too.
    let error = decode(r#"{"Action":"IntegrationEnabled","Data":{"Enterprise":5}}"#).unwrap_err();
    assert!(error.contains("as `IntegrationWebhookMessage`: Data"), "{error}");
    // Unknown means only an action this crate does not know.
    let later = decode(r#"{"Action":"IntegrationPaused","Data":{}}"#).unwrap();
    assert!(matches!(later, WebhookMessage::IntegrationWebhookMessage(IntegrationWebhookMessage::Unknown(_))));
    for odd in [r#"{"Foo":1}"#, "[1,2]", "null", r#""text""#] {
        let error = decode(odd).unwrap_err();
        assert!(error.contains("`WebhookMessage`: expected an object with `EnterpriseId`"), "{odd}: {error}");
    }
}

/// One event that fails to decode keeps its raw JSON and error; every other event decodes.
#[test]
fn one_bad_event_in_a_webhook_batch_or_websocket_message_is_isolated() {
    let mut batch: Value = serde_json::from_str(&data("general-webhook.json")).unwrap();
    batch["Events"][1]["Value"]["Id"] = Value::from("not-a-uuid");
    let message: WebhookMessage = serde_json::from_value(batch.clone()).unwrap();
    let WebhookMessage::GeneralWebhookMessage(message) = message else { panic!("{message:?}") };
    let malformed: Vec<usize> = (0..message.events.len()).filter(|i| message.events[*i].is_malformed()).collect();
    assert_eq!(malformed, [1]);
    let Decoded::Malformed { raw, error } = &message.events[1] else { unreachable!() };
    assert_eq!(raw, &batch["Events"][1]);
    assert!(error.starts_with("Value.Id: UUID parsing failed"), "{error}");
    assert_eq!(serde_json::to_value(&message).unwrap()["Events"], batch["Events"], "kept as received");

    let mut ws: Value = serde_json::from_str(&data("websocket-message.json")).unwrap();
    ws["Events"][0]["Id"] = Value::from(17);
    let message: WebSocketMessage = serde_json::from_value(ws.clone()).unwrap();
    assert!(message.events[0].is_malformed(), "{:?}", message.events[0]);
    assert!(message.events[1..].iter().all(|e| !e.is_malformed()), "{:?}", message.events);
}

/// A page of results: one item that fails to decode does not sink the page.
#[test]
fn one_bad_item_in_a_page_is_isolated() {
    let page = serde_json::json!({
        "Messages": [
            {"Id": "0f7d3b92-64e1-4c0a-b5d8-7a2e9c1f4b36", "MessageThreadId": "0f7d3b92-64e1-4c0a-b5d8-7a2e9c1f4b36",
             "Text": "Hello", "Sender": {"Discriminator": "Enterprise"}, "CreatedUtc": "2024-01-01T00:00:00Z"},
            {"Id": "0f7d3b92-64e1-4c0a-b5d8-7a2e9c1f4b36", "Text": "no thread"}
        ],
        "Cursor": null
    });
    let result: mews_types::MessageResult = serde_json::from_value(page).unwrap();
    assert!(result.messages[0].ok().is_some_and(|m| m.text == "Hello"), "{:?}", result.messages[0]);
    let Decoded::Malformed { error, .. } = &result.messages[1] else { panic!("{:?}", result.messages[1]) };
    assert!(error.contains("missing field `MessageThreadId`"), "{error}");
}

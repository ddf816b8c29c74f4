//! AsyncAPI channels through the whole generator: one frame type per channel, message payloads
//! lowered once however they are reached, located errors, and the client and server crates of
//! APIs that only have channels.

use triad::diag::Diagnostics;
use triad_tests::generate_memory;

fn files(spec: &str) -> triad::Files {
    generate_memory(&[("api.yaml", spec)]).unwrap_or_else(|d| panic!("{d}"))
}

fn errors(spec: &str) -> Diagnostics {
    match generate_memory(&[("api.yaml", spec)]) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d,
    }
}

/// Slack RTM's shape: messages with inline payloads, listed by the channel, by an operation
/// through `#/channels/root/messages/x` and under `components.messages`; two of them repeat a
/// `type` value (as Slack's spec does).
const SLACK_LIKE: &str = r#"asyncapi: 3.0.0
info: {title: Chat, version: '1'}
servers:
  production:
    host: chat.example.com
    protocol: wss
    security:
      - $ref: '#/components/securitySchemes/token'
channels:
  root:
    address: /
    messages:
      outgoing: {$ref: '#/components/messages/outgoing'}
      accountsChanged: {$ref: '#/components/messages/accountsChanged'}
      botAdded: {$ref: '#/components/messages/botAdded'}
      botChanged: {$ref: '#/components/messages/botChanged'}
operations:
  receiveOutgoing:
    action: receive
    channel: {$ref: '#/channels/root'}
    messages: [{$ref: '#/channels/root/messages/outgoing'}]
  sendEvents:
    action: send
    channel: {$ref: '#/channels/root'}
    messages:
      - $ref: '#/channels/root/messages/accountsChanged'
      - $ref: '#/channels/root/messages/botAdded'
      - $ref: '#/channels/root/messages/botChanged'
components:
  securitySchemes:
    token: {type: httpApiKey, name: token, in: query}
  messages:
    outgoing:
      payload:
        type: object
        properties:
          type: {type: string, enum: [message]}
          text: {type: string}
    accountsChanged:
      payload:
        type: object
        properties:
          type: {type: string, enum: [accounts_changed]}
    botAdded:
      payload:
        type: object
        properties:
          type: {type: string, enum: [bot_added]}
          name: {type: string}
    botChanged:
      payload:
        type: object
        properties:
          type: {type: string, enum: [bot_added]}
          name: {type: string}
"#;

#[test]
fn a_message_reached_several_ways_is_one_type() {
    let files = files(SLACK_LIKE);
    let types = &files["memory-types/src/lib.rs"];
    assert_eq!(types.matches("pub struct AccountsChanged ").count(), 1, "{types}");
    assert_eq!(types.matches("pub enum AccountsChangedType ").count(), 1);
    assert!(!types.contains("AccountsChanged2"), "a second copy of the message type");
    assert!(!types.contains("Type2"), "a second copy of the tag enum");
}

#[test]
fn several_received_messages_become_one_tagged_union_named_after_the_channel() {
    let files = files(SLACK_LIKE);
    let types = &files["memory-types/src/lib.rs"];
    assert!(types.contains("pub enum RootReceived {"), "{types}");
    assert!(types.contains("impl model::Tagged for RootReceived"), "the union is not tagged");
    // Variants are named after the messages, the repeated tag value goes to the first.
    for variant in ["AccountsChanged(AccountsChanged)", "BotAdded(BotAdded)", "BotChanged(BotChanged)"] {
        assert!(types.contains(variant), "{variant}");
    }
    let client = &files["memory-client/src/lib.rs"];
    assert!(client.contains("pub type Event = super::types::RootReceived;"), "{client}");
    assert!(client.contains("Ok(super::types::RootReceived::Unknown(raw)) => Item::Unknown(raw)"));
    // The one sent message gets a typed send; the query key from the security scheme.
    assert!(client.contains("pub async fn send_outgoing("), "{client}");
    assert!(client.contains("auth.query(\"token\", value.clone())"));
    assert!(client.contains("pub const PRODUCTION: &str = \"wss://chat.example.com/\";"));
    // No operations: no HTTP client.
    assert!(!client.contains("pub struct Client"));
    let manifest = &files["memory-client/Cargo.toml"];
    assert!(manifest.contains("features = [\"ws\"]"), "{manifest}");
    let server = &files["memory-server/src/lib.rs"];
    assert!(server.contains("pub const PATH: &str = \"/\";"), "{server}");
    for push in ["push_accounts_changed", "push_bot_added", "push_bot_changed"] {
        assert!(server.contains(&format!("pub fn {push}(")), "{push}");
    }
    assert!(!server.contains("push_outgoing"));
    assert!(server.contains("auth.query(\"token\", value.clone())"));
}

#[test]
fn address_parameters_and_binding_query_make_a_typed_url_builder() {
    let spec = r#"asyncapi: 3.0.0
info: {title: Market, version: '1'}
servers:
  public: {host: api.example.com, protocol: wss}
channels:
  marketData:
    address: '/v1/marketdata/{symbol}'
    parameters:
      symbol: {enum: [btcusd, ethusd], description: The pair.}
    bindings:
      ws:
        query:
          type: object
          properties:
            heartbeat: {type: boolean}
    messages:
      tick: {$ref: '#/components/messages/tick'}
components:
  messages:
    tick:
      payload: {type: object, properties: {price: {type: number}}}
"#;
    let files = files(spec);
    let types = &files["memory-types/src/lib.rs"];
    assert!(types.contains("pub enum MarketDataSymbol {"), "{types}");
    assert!(types.contains("pub struct MarketDataQuery {"));
    let client = &files["memory-client/src/lib.rs"];
    assert!(client.contains("pub const PUBLIC: &str = \"wss://api.example.com\";"), "{client}");
    assert!(client.contains("symbol: &super::types::MarketDataSymbol,"), "{client}");
    assert!(client.contains("query: Option<&super::types::MarketDataQuery>,"));
    let server = &files["memory-server/src/lib.rs"];
    assert!(server.contains("pub const PATH: &str = \"/v1/marketdata/{symbol}\";"), "{server}");
}

#[test]
fn bad_security_input_is_reported_where_it_is_written() {
    let spec = r#"asyncapi: 2.6.0
info: {title: t, version: '1'}
servers:
  production:
    url: wss://example.com
    protocol: wss
    security:
      - missing: []
      - key: []
channels:
  /feed:
    subscribe:
      message:
        payload: {type: object, properties: {a: {type: string}}}
components:
  securitySchemes:
    key: {type: httpApiKey, name: k}
"#;
    let diags = errors(spec);
    let list: Vec<_> = diags.0.iter().collect();
    assert_eq!(list.len(), 2, "{diags}");
    assert!(list[0].message.contains("names `missing`, which is not a declared security scheme"), "{diags}");
    assert_eq!(list[0].location.pointer, "/servers/production/security/0");
    assert_eq!(list[0].location.line, 8);
    assert!(list[1].message.contains("without a valid `in`"), "{diags}");
    assert_eq!(list[1].location.pointer, "/components/securitySchemes/key");
    assert_eq!(list[1].location.line, 17);
}

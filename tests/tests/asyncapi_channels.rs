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

/// A 3.0 request with a `reply` and correlation ids by `$ref` and written in place, plus a sent
/// message without a reply.
const REQUEST_REPLY: &str = r#"asyncapi: 3.0.0
info: {title: Rpc, version: '1'}
servers:
  local: {host: localhost, protocol: ws}
channels:
  rpc:
    address: /rpc
    messages:
      call: {$ref: '#/components/messages/call'}
      notify: {$ref: '#/components/messages/notify'}
      result: {$ref: '#/components/messages/result'}
      event: {$ref: '#/components/messages/event'}
operations:
  call:
    action: receive
    channel: {$ref: '#/channels/rpc'}
    messages: [{$ref: '#/channels/rpc/messages/call'}]
    reply:
      channel: {$ref: '#/channels/rpc'}
      messages: [{$ref: '#/channels/rpc/messages/result'}]
  notify:
    action: receive
    channel: {$ref: '#/channels/rpc'}
    messages: [{$ref: '#/channels/rpc/messages/notify'}]
  events:
    action: send
    channel: {$ref: '#/channels/rpc'}
    messages: [{$ref: '#/channels/rpc/messages/result'}, {$ref: '#/channels/rpc/messages/event'}]
components:
  correlationIds:
    callId: {location: '$message.payload#/call/id'}
  messages:
    call:
      correlationId: {$ref: '#/components/correlationIds/callId'}
      payload: {type: object, properties: {call: {type: object, properties: {id: {type: string}}}}}
    notify:
      correlationId: {location: '$message.payload#/call/id'}
      payload: {type: object, properties: {call: {type: object, properties: {id: {type: string}}}}}
    result:
      correlationId: {location: '$message.payload#/re'}
      payload: {type: object, required: [kind], properties: {kind: {const: result}, re: {type: string}}}
    event:
      payload: {type: object, required: [kind], properties: {kind: {const: event}}}
"#;

#[test]
fn correlation_ids_and_replies_make_typed_requests() {
    let generated = triad_tests::generate_memory_with_warnings(&[("api.yaml", REQUEST_REPLY)]).unwrap();
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
    let client = &generated.files["memory-client/src/lib.rs"];
    // The listener matches replies at the reply's pointer; the request reads its own id at its own.
    assert!(client.contains(".correlate(\"/re\")"), "{client}");
    assert!(client.contains("-> Result<super::types::ResultType, ws::RequestError>"), "{client}");
    assert!(client.contains("ws::request(sender, message, \"/call/id\", ws::REQUEST_TIMEOUT)"));
    // A sent message without a reply only gets a send.
    assert!(client.contains("pub async fn send_notify("));
    assert!(!client.contains("request_notify"));
    assert_eq!(client.matches("pub async fn request_").count(), 1);
}

#[test]
fn asyncapi_2_pairs_requests_with_received_messages_correlated_at_the_same_pointer() {
    let spec = r#"asyncapi: 2.6.0
info: {title: Pairs, version: '1'}
channels:
  /:
    publish:
      message:
        oneOf:
          - name: subscribe
            correlationId: {location: '$message.payload#/reqid'}
            payload: {type: object, properties: {event: {const: subscribe}, reqid: {type: integer}}}
          - name: ping
            correlationId: {location: '$message.payload#/id'}
            payload: {type: object, properties: {event: {const: ping}, id: {type: integer}}}
    subscribe:
      message:
        oneOf:
          - name: status
            correlationId: {location: '$message.payload#/reqid'}
            payload: {type: object, required: [event], properties: {event: {const: status}, reqid: {type: integer}}}
          - name: error
            correlationId: {location: '$message.payload#/reqid'}
            payload: {type: object, required: [event], properties: {event: {const: error}, reqid: {type: integer}}}
          - name: book
            payload: {type: object, required: [event], properties: {event: {const: book}}}
"#;
    let generated = triad_tests::generate_memory_with_warnings(&[("api.yaml", spec)]).unwrap();
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
    let client = &generated.files["memory-client/src/lib.rs"];
    assert!(client.contains(".correlate(\"/reqid\")"), "{client}");
    // Both messages at `/reqid` reply: a union of them, named after the channel and the request.
    assert!(client.contains("-> Result<super::types::ChannelSubscribeReply, ws::RequestError>"), "{client}");
    assert!(client.contains("the reply is `error` or `status`"), "{client}");
    // Nothing received is correlated at `/id`: `ping` has no reply.
    assert!(!client.contains("request_ping"));
    let types = &generated.files["memory-types/src/lib.rs"];
    assert!(types.contains("pub enum ChannelSubscribeReply {"), "{types}");
}

#[test]
fn unusable_correlation_ids_and_replies_are_located_warnings() {
    let spec = r#"asyncapi: 3.0.0
info: {title: Bad, version: '1'}
channels:
  a:
    address: /a
    messages:
      header: {$ref: '#/components/messages/header'}
      malformed: {$ref: '#/components/messages/malformed'}
      escape: {$ref: '#/components/messages/escape'}
      plain: {$ref: '#/components/messages/plain'}
      away: {$ref: '#/components/messages/away'}
      reply: {$ref: '#/components/messages/reply'}
  b:
    address: /b
    messages:
      reply: {$ref: '#/components/messages/reply'}
operations:
  header:
    action: receive
    channel: {$ref: '#/channels/a'}
    messages: [{$ref: '#/channels/a/messages/header'}]
    reply: {messages: [{$ref: '#/channels/a/messages/reply'}]}
  plain:
    action: receive
    channel: {$ref: '#/channels/a'}
    messages: [{$ref: '#/channels/a/messages/plain'}]
    reply: {messages: [{$ref: '#/channels/a/messages/reply'}, {$ref: '#/channels/a/messages/nothing'}]}
  away:
    action: receive
    channel: {$ref: '#/channels/a'}
    messages: [{$ref: '#/channels/a/messages/away'}]
    reply: {channel: {$ref: '#/channels/b'}}
  replies:
    action: send
    channel: {$ref: '#/channels/a'}
    messages: [{$ref: '#/channels/a/messages/reply'}]
components:
  messages:
    header:
      correlationId: {location: '$message.header#/requestId'}
      payload: {type: object, properties: {id: {type: string}}}
    malformed:
      correlationId: {location: 'payload.id'}
      payload: {type: object, properties: {id: {type: string}}}
    escape:
      correlationId: {location: '$message.payload#/a~2b'}
      payload: {type: object, properties: {id: {type: string}}}
    plain:
      payload: {type: object, properties: {id: {type: string}}}
    away:
      correlationId: {location: '$message.payload#/id'}
      payload: {type: object, properties: {id: {type: string}}}
    reply:
      correlationId: {location: '$message.payload#/id'}
      payload: {type: object, properties: {id: {type: string}}}
"#;
    let generated = triad_tests::generate_memory_with_warnings(&[("api.yaml", spec)]).unwrap();
    let warnings: Vec<(String, u32, &str)> =
        generated.warnings.iter().map(|d| (d.location.pointer.clone(), d.location.line, d.message.as_str())).collect();
    let find = |pointer: &str, text: &str| {
        warnings
            .iter()
            .find(|(p, _, m)| p == pointer && m.contains(text))
            .unwrap_or_else(|| panic!("no warning at {pointer} saying `{text}`: {warnings:#?}"))
            .1
    };
    assert_eq!(find("/components/messages/header/correlationId/location", "in a message header"), 40);
    assert_eq!(find("/components/messages/malformed/correlationId/location", "not a runtime expression"), 43);
    assert_eq!(find("/components/messages/escape/correlationId/location", "is not a JSON pointer"), 46);
    assert_eq!(find("/operations/header/reply", "message `header` has a reply but no correlation id"), 22);
    assert_eq!(find("/operations/plain/reply", "message `plain` has a reply but no correlation id"), 27);
    assert_eq!(find("/operations/away/reply/channel", "comes on another channel"), 32);
    assert_eq!(warnings.len(), 6, "{warnings:#?}");
    for d in &generated.warnings {
        assert!(d.expected.is_some(), "{d}");
    }
    let client = &generated.files["memory-client/src/lib.rs"];
    assert!(!client.contains("request_"), "{client}");
    assert!(!client.contains(".correlate("), "{client}");
}

#[test]
fn a_listener_matches_one_pointer_so_a_second_reply_pointer_is_a_warning() {
    let spec = r#"asyncapi: 2.6.0
info: {title: Two, version: '1'}
channels:
  /:
    publish:
      message:
        oneOf:
          - name: first
            correlationId: {location: '$message.payload#/a'}
            payload: {type: object, properties: {a: {type: string}}}
          - name: second
            correlationId: {location: '$message.payload#/b'}
            payload: {type: object, properties: {b: {type: string}}}
    subscribe:
      message:
        oneOf:
          - name: firstDone
            correlationId: {location: '$message.payload#/a'}
            payload: {type: object, required: [k], properties: {k: {const: x}, a: {type: string}}}
          - name: secondDone
            correlationId: {location: '$message.payload#/b'}
            payload: {type: object, required: [k], properties: {k: {const: y}, b: {type: string}}}
"#;
    let generated = triad_tests::generate_memory_with_warnings(&[("api.yaml", spec)]).unwrap();
    let [warning] = generated.warnings.as_slice() else { panic!("{:?}", generated.warnings) };
    assert!(warning.message.contains("replies to message `second` carry their correlation id at `/b`"), "{warning}");
    assert_eq!(warning.location.pointer, "/channels/~1/publish/message/oneOf/1/payload");
    let client = &generated.files["memory-client/src/lib.rs"];
    assert!(client.contains(".correlate(\"/a\")"), "{client}");
    assert!(client.contains("pub async fn request_first("));
    assert!(!client.contains("request_second"));
}

//! AsyncAPI 2.6 and 3.0: channels and their messages.
//!
//! Directions are seen from the API's consumer. In 3.0 the document describes the provider, so
//! its `send` operations are messages the consumer receives; in 2.x `subscribe` is what a
//! consumer receives and `publish` what it sends.
//!
//! Request and reply: a message's `correlationId` located in its payload
//! (`$message.payload#/<pointer>`) is the id a reply carries back. A sent message's replies are
//! the messages its 3.0 operation's `reply` names (on the same channel), or in 2.x every
//! message the channel receives whose correlation id sits at the same pointer.

use super::{Ctx, Lowerer, docs_of};
use crate::ir::{
    Channel, ChannelParam, ChannelServer, Direction, Message, Name, ParamLocation, Primitive, Reply, SecurityKind,
    SecurityScheme, TypeKind, TypeRef,
};
use crate::load::Target;
use crate::naming;
use crate::node::Node;

/// A sent message of a channel, the messages its operation declares as replies, and where that
/// was said (for warnings).
type DeclaredReply<'a> = (String, Vec<String>, Ctx<'a>);

impl<'a> Lowerer<'a> {
    pub(super) fn asyncapi(&mut self, doc: usize) {
        let root = Ctx { doc, pointer: String::new(), node: &self.ws[doc].root };
        let Some(version) = root.get("asyncapi") else { return };
        let version_text = version.node.scalar_text().unwrap_or_default();
        let v3 = version_text.starts_with("3.");
        if !(v3 || version_text.starts_with("2.")) {
            self.error(&version, format!("unsupported AsyncAPI version `{version_text}`"), "2.x or 3.x");
            return;
        }
        if self.api.title.is_empty() {
            if let Some(info) = root.get("info") {
                self.api.title = info.node.get("title").and_then(Node::as_str).unwrap_or_default().to_owned();
                self.api.version = info.node.get("version").and_then(Node::scalar_text).unwrap_or_default();
                self.api.docs.text = info.node.get("description").and_then(Node::as_str).map(|s| s.trim().to_owned());
            }
        }
        let servers = self.channel_servers(&root, v3);
        if v3 {
            self.channels_v3(&root, &servers);
        } else {
            self.channels_v2(&root, &servers);
        }
        // Messages declared as components become types even when no channel uses them.
        for (name, message) in root.get("components").map(|c| self.entries(&c, "messages")).unwrap_or_default() {
            self.message(name, message, Direction::Receive);
        }
    }

    fn channels_v3(&mut self, root: &Ctx<'a>, servers: &[ChannelServer]) {
        // Which messages of which channel flow which way, from the operations.
        let mut directions: Vec<(String, Option<String>, Direction)> = Vec::new();
        let mut replies: Vec<(String, DeclaredReply<'a>)> = Vec::new();
        for (_, operation) in self.entries(root, "operations") {
            let Some(operation) = self.deref(operation) else { continue };
            let direction = match operation.node.get("action").and_then(Node::as_str) {
                Some("send") => Direction::Receive,
                Some("receive") => Direction::Send,
                _ => {
                    let at = operation.get("action").unwrap_or_else(|| operation.clone());
                    self.error(&at, "operation has no valid `action`", "`action: send` or `action: receive`");
                    continue;
                }
            };
            let Some(channel_ref) = operation.node.get("channel").and_then(|c| c.get("$ref")).and_then(Node::as_str)
            else {
                let at = operation.get("channel").unwrap_or_else(|| operation.clone());
                self.warn(&at, "operation names no channel; it is ignored", "`channel: {$ref: '#/channels/<name>'}`");
                continue;
            };
            let channel = channel_ref.trim_start_matches("#/channels/").to_owned();
            let channel_node = self.ws.resolve(operation.doc, channel_ref).ok().map(|(t, node)| Ctx {
                doc: t.doc,
                pointer: t.pointer,
                node,
            });
            if channel_node.is_none() {
                let at = operation.get("channel").unwrap_or_else(|| operation.clone());
                self.warn(
                    &at,
                    format!("operation names channel `{channel_ref}`, which does not exist; it is ignored"),
                    "a reference to a channel under `channels`",
                );
                continue;
            }
            let messages = self.items(&operation, "messages");
            if messages.is_empty() {
                directions.push((channel.clone(), None, direction));
            }
            if let Some(reply) = operation.get("reply") {
                let sent: Vec<String> = match (direction, &channel_node) {
                    (Direction::Send, Some(c)) if messages.is_empty() => self
                        .deref(c.clone())
                        .map(|c| self.entries(&c, "messages"))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(n, _)| n.to_owned())
                        .collect(),
                    _ => messages
                        .iter()
                        .filter_map(|m| m.node.get("$ref").and_then(Node::as_str).and_then(|r| r.rsplit('/').next()))
                        .map(str::to_owned)
                        .collect(),
                };
                if direction == Direction::Receive {
                    self.warn(
                        &reply,
                        "a reply to a message the server sends is ignored: only the client's requests are matched to replies",
                        "`reply` on an operation with `action: receive`",
                    );
                } else if let Some((names, at)) = self.reply_messages(&channel, reply) {
                    for message in sent {
                        replies.push((channel.clone(), (message, names.clone(), at.clone())));
                    }
                }
            }
            for message in messages {
                let name = message.node.get("$ref").and_then(Node::as_str).and_then(|r| r.rsplit('/').next());
                let declared = channel_node
                    .as_ref()
                    .and_then(|c| self.deref(c.clone()))
                    .is_some_and(|c| name.is_some_and(|n| c.node.get("messages").and_then(|m| m.get(n)).is_some()));
                if !declared {
                    self.warn(
                        &message,
                        format!(
                            "operation names message `{}`, which channel `{channel}` does not declare; its direction is ignored",
                            message.node.get("$ref").and_then(Node::as_str).unwrap_or("(not a $ref)")
                        ),
                        "a reference to a message under the channel's `messages`",
                    );
                }
                directions.push((channel.clone(), name.map(str::to_owned), direction));
            }
        }
        for (key, channel) in self.entries(root, "channels") {
            let Some(channel) = self.deref(channel) else { continue };
            let address = channel.node.get("address").and_then(Node::as_str).unwrap_or(key).to_owned();
            let mut messages = Vec::new();
            for (name, message) in self.entries(&channel, "messages") {
                let direction = directions
                    .iter()
                    .find(|(c, m, _)| c == key && m.as_deref().is_none_or(|m| m == name))
                    .map(|(_, _, d)| *d)
                    .unwrap_or(Direction::Receive);
                if let Some(message) = self.message(name, message, direction) {
                    messages.push(message);
                }
            }
            let declared = replies.iter().filter(|(c, _)| c == key).map(|(_, r)| r.clone()).collect();
            self.push_channel(key, address, servers, &channel, messages, Some(declared));
        }
    }

    fn channels_v2(&mut self, root: &Ctx<'a>, servers: &[ChannelServer]) {
        for (key, channel) in self.entries(root, "channels") {
            let Some(channel) = self.deref(channel) else { continue };
            let mut messages = Vec::new();
            for (verb, direction) in [("subscribe", Direction::Receive), ("publish", Direction::Send)] {
                let Some(operation) = channel.get(verb) else { continue };
                let Some(message) = operation.get("message") else { continue };
                // A message under `components.messages` is named by its key there.
                let key_name = message.node.get("$ref").and_then(Node::as_str).and_then(|r| r.rsplit('/').next());
                let key_name = key_name.map(str::to_owned);
                let Some(message) = self.deref(message) else { continue };
                let members = self.items(&message, "oneOf");
                if members.is_empty() {
                    let name = key_name.unwrap_or_else(|| message_name(&message, key, verb));
                    messages.extend(self.message(&name, message, direction));
                } else {
                    for member in members {
                        let resolved = self.deref(member.clone());
                        let name = member
                            .node
                            .get("$ref")
                            .and_then(Node::as_str)
                            .and_then(|r| r.rsplit('/').next())
                            .map(str::to_owned)
                            .or_else(|| resolved.as_ref().map(|m| message_name(m, key, verb)))
                            .unwrap_or_else(|| format!("{key} {verb}"));
                        messages.extend(self.message(&name, member, direction));
                    }
                }
            }
            self.push_channel(key, key.to_owned(), servers, &channel, messages, None);
        }
    }

    fn push_channel(
        &mut self,
        key: &str,
        address: String,
        servers: &[ChannelServer],
        channel: &Ctx<'a>,
        mut messages: Vec<(Message, Ctx<'a>)>,
        declared: Option<Vec<DeclaredReply<'a>>>,
    ) {
        let v3 = declared.is_some();
        messages.sort_by(|a, b| (a.0.direction, &a.0.name.rust).cmp(&(b.0.direction, &b.0.name.rust)));
        messages.dedup_by(|a, b| a.0.name == b.0.name && a.0.direction == b.0.direction);
        let hint = naming::type_name(key, "Channel");
        let received: Vec<&(Message, Ctx<'a>)> =
            messages.iter().filter(|(m, _)| m.direction == Direction::Receive).collect();
        let received = match received.as_slice() {
            [] => None,
            [(only, _)] => Some(only.payload.clone()),
            several => {
                // One frame type for the channel: the messages' payloads as one union, tagged
                // when they share a constant property.
                let several: Vec<(Message, Ctx<'a>)> = several.iter().map(|&m| m.clone()).collect();
                Some(self.message_union(channel, &several, &format!("{hint}Received")))
            }
        };
        let declared = declared.unwrap_or_else(|| pair_by_pointer(&messages));
        let correlation = self.link_replies(key, channel, &mut messages, declared);
        let params = self.channel_params(channel, &address, &hint, v3);
        let bindings = channel.get("bindings").and_then(|b| self.deref(b)).and_then(|b| b.get("ws"));
        let mut binding = |what: &str, suffix: &str| {
            let ctx = bindings.as_ref()?.get(what)?;
            Some(self.schema(&ctx, &format!("{hint}{suffix}"), None, 0).ty)
        };
        let query = binding("query", "Query");
        let headers = binding("headers", "Headers");
        // A channel may name the servers it is on; otherwise it is on all of them.
        let named: Vec<String> = self
            .items(channel, "servers")
            .iter()
            .filter_map(|s| match s.node.get("$ref").and_then(Node::as_str) {
                Some(r) => r.rsplit('/').next().map(str::to_owned),
                None => s.node.as_str().map(str::to_owned),
            })
            .collect();
        let servers = servers.iter().filter(|s| named.is_empty() || named.contains(&s.name.wire)).cloned().collect();
        self.api.channels.push(Channel {
            name: Name { wire: key.to_owned(), rust: naming::field_name(key) },
            address,
            servers,
            params,
            query,
            headers,
            received,
            delivery: Default::default(),
            credentials: Vec::new(),
            correlation,
            docs: docs_of(channel.node),
            messages: messages.into_iter().map(|(m, _)| m).collect(),
            origin: self.loc(channel),
        });
    }

    /// The payloads of several messages as one union named `name` (tagged when they share a
    /// constant property), its variants named after the messages.
    fn message_union(&mut self, channel: &Ctx<'a>, several: &[(Message, Ctx<'a>)], name: &str) -> TypeRef {
        let members: Vec<Ctx<'a>> = several.iter().map(|(_, payload)| payload.clone()).collect();
        let names: Vec<String> = several.iter().map(|(m, _)| m.name.wire.clone()).collect();
        self.repeated_tags = true;
        let ty = self.union(channel, members, name, None, 0);
        self.repeated_tags = false;
        if let TypeRef::Named(id) = &ty {
            if let Some(TypeKind::Union(u)) = &mut self.defs[*id].kind {
                for (variant, name) in u.variants.iter_mut().zip(&names) {
                    variant.name.rust = naming::variant_name(name, "Variant");
                }
                naming::dedupe(u.variants.iter_mut().map(|v| &mut v.name.rust), false);
                u.unknown = super::union::unknown_name(u.variants.iter().map(|v| v.name.rust.as_str()));
            }
        }
        ty
    }

    /// The messages a 3.0 `reply` object names, when they can be matched on the connection of
    /// the operation's channel `channel`; with where the reply is written.
    fn reply_messages(&mut self, channel: &str, reply: Ctx<'a>) -> Option<(Vec<String>, Ctx<'a>)> {
        let reply = self.deref(reply)?;
        if let Some(address) = reply.get("address") {
            self.warn(
                &address,
                "a reply address is ignored: replies are read from the connection the request was sent on",
                "a reply on the request's channel, without `address`",
            );
        }
        if let Some(at) = reply.get("channel") {
            let named = at.node.get("$ref").and_then(Node::as_str).map(|r| r.trim_start_matches("#/channels/"));
            if named != Some(channel) {
                self.warn(
                    &at,
                    format!(
                        "the reply comes on another channel than the request (`{channel}`); it is not matched to the request"
                    ),
                    format!("`channel: {{$ref: '#/channels/{channel}'}}` or no `channel`"),
                );
                return None;
            }
        }
        let names = self
            .items(&reply, "messages")
            .iter()
            .filter_map(|m| m.node.get("$ref").and_then(Node::as_str).and_then(|r| r.rsplit('/').next()))
            .map(str::to_owned)
            .collect();
        Some((names, reply))
    }

    /// Gives the sent messages of a channel their replies (`declared`: the sent message, its
    /// reply messages, none meaning every received message, and where that is said) and returns
    /// the pointer of the correlation id in received frames. A request's id is read at its own
    /// pointer; its replies are matched at the first reply message's pointer (or the request's
    /// when they declare none). A listener matches one pointer, so requests whose replies use
    /// another one than the first request's get no reply, which is a warning.
    fn link_replies(
        &mut self,
        key: &str,
        channel: &Ctx<'a>,
        messages: &mut [(Message, Ctx<'a>)],
        declared: Vec<DeclaredReply<'a>>,
    ) -> Option<String> {
        let mut channel_pointer: Option<String> = None;
        let hint = naming::type_name(key, "Channel");
        for (sent, names, at) in declared {
            let is_request = |m: &Message| m.direction == Direction::Send && m.name.wire == sent;
            let Some((request, _)) = messages.iter().find(|(m, _)| is_request(m)).cloned() else {
                continue;
            };
            let Some(request_pointer) = request.correlation else {
                self.warn(
                    &at,
                    format!(
                        "message `{sent}` has a reply but no correlation id in its payload, so replies cannot be matched to it; no request function is generated"
                    ),
                    "a `correlationId` with `location: $message.payload#/<pointer>` on the message",
                );
                continue;
            };
            let mut replies: Vec<(Message, Ctx<'a>)> = Vec::new();
            for (m, payload) in messages.iter() {
                if m.direction == Direction::Receive && (names.is_empty() || names.contains(&m.name.wire)) {
                    replies.push((m.clone(), payload.clone()));
                }
            }
            for name in &names {
                if !replies.iter().any(|(m, _)| &m.name.wire == name) {
                    self.warn(
                        &at,
                        format!("reply message `{name}` is not a message channel `{key}` receives; it is ignored"),
                        "a reference to a message of the channel that the server sends",
                    );
                }
            }
            if replies.is_empty() {
                continue;
            }
            let pointer = replies.iter().find_map(|(m, _)| m.correlation.clone()).unwrap_or(request_pointer);
            match &channel_pointer {
                Some(first) if *first != pointer => {
                    self.warn(
                        &at,
                        format!(
                            "replies to message `{sent}` carry their correlation id at `{pointer}`, but this channel's replies are matched at `{first}`; no request function is generated"
                        ),
                        format!("one correlation id location per channel (`$message.payload#{first}`)"),
                    );
                    continue;
                }
                Some(_) => {}
                None => channel_pointer = Some(pointer),
            }
            let ty = match replies.as_slice() {
                [(only, _)] => only.payload.clone(),
                several => {
                    let sent_name = naming::type_name(&sent, "Message");
                    self.message_union(channel, several, &format!("{hint}{sent_name}Reply"))
                }
            };
            let messages_replying = replies.iter().map(|(m, _)| m.name.wire.clone()).collect();
            if let Some((m, _)) = messages.iter_mut().find(|(m, _)| is_request(m)) {
                m.reply = Some(Reply { messages: messages_replying, ty });
            }
        }
        channel_pointer
    }

    /// The JSON pointer into the payload of a message's correlation id, if a client can read it.
    fn correlation(&mut self, name: &str, message: &Ctx<'a>) -> Option<String> {
        let id = self.deref(message.get("correlationId")?)?;
        let expected = "`location: $message.payload#/<JSON pointer>`";
        let Some(location) = id.get("location") else {
            self.warn(
                &id,
                format!("the correlation id of message `{name}` has no `location`; it is ignored"),
                expected,
            );
            return None;
        };
        let Some(text) = location.node.as_str() else {
            self.warn(&location, format!("the correlation id location of message `{name}` is not a string"), expected);
            return None;
        };
        if let Some(pointer) = text.strip_prefix("$message.payload#") {
            if valid_pointer(pointer) {
                return Some(pointer.to_owned());
            }
            self.warn(
                &location,
                format!("`{text}`: `{pointer}` is not a JSON pointer to a payload property; the correlation id of message `{name}` is ignored"),
                expected,
            );
        } else if text.starts_with("$message.header#") {
            self.warn(
                &location,
                format!(
                    "the correlation id of message `{name}` is in a message header, which a WebSocket frame does not carry; it is ignored"
                ),
                "a correlation id in the payload: `$message.payload#/<JSON pointer>`",
            );
        } else {
            self.warn(
                &location,
                format!("`{text}` is not a runtime expression into a message; the correlation id of message `{name}` is ignored"),
                expected,
            );
        }
        None
    }

    /// The placeholders of a channel address, typed by the channel's `parameters`.
    fn channel_params(&mut self, channel: &Ctx<'a>, address: &str, hint: &str, v3: bool) -> Vec<ChannelParam> {
        let declared = self.entries(channel, "parameters");
        let mut params = Vec::new();
        let mut rest = address;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            let name = &rest[open + 1..open + close];
            rest = &rest[open + close + 1..];
            if name.is_empty() || params.iter().any(|p: &ChannelParam| p.name.wire == name) {
                continue;
            }
            let found = declared.iter().find(|(n, _)| *n == name).map(|(_, c)| c.clone());
            let (ty, docs) = match found.and_then(|c| self.deref(c)) {
                Some(param) => {
                    let docs = docs_of(param.node);
                    // 2.x wraps the schema; 3.0's Parameter Object is itself a string schema.
                    let schema = if v3 { Some(param.clone()) } else { param.get("schema") };
                    let ty = match schema {
                        Some(schema) if schema.node.get("enum").is_some() || schema.node.get("$ref").is_some() => {
                            let param_hint = format!("{hint}{}", naming::type_name(name, "Param"));
                            match self.schema(&schema, &param_hint, None, 0).ty {
                                ty @ (TypeRef::Named(_) | TypeRef::Primitive(_)) => ty,
                                _ => TypeRef::Primitive(Primitive::String),
                            }
                        }
                        Some(schema) if !v3 => match self.schema(&schema, hint, None, 0).ty {
                            ty @ TypeRef::Primitive(_) => ty,
                            _ => TypeRef::Primitive(Primitive::String),
                        },
                        _ => TypeRef::Primitive(Primitive::String),
                    };
                    (ty, docs)
                }
                None => (TypeRef::Primitive(Primitive::String), Default::default()),
            };
            params.push(ChannelParam {
                name: Name { wire: name.to_owned(), rust: naming::field_name(name) },
                ty,
                docs,
            });
        }
        let mut rust: Vec<String> = params.iter().map(|p| p.name.rust.clone()).collect();
        naming::dedupe(rust.iter_mut(), true);
        for (param, name) in params.iter_mut().zip(rust) {
            param.name.rust = name;
        }
        params
    }

    /// The document's servers, with their URLs and the security schemes they name.
    fn channel_servers(&mut self, root: &Ctx<'a>, v3: bool) -> Vec<ChannelServer> {
        let mut out = Vec::new();
        for (name, server) in self.entries(root, "servers") {
            let Some(server) = self.deref(server) else { continue };
            let protocol = server.node.get("protocol").and_then(Node::as_str).unwrap_or("wss");
            let url = if let Some(url) = server.node.get("url").and_then(Node::as_str) {
                if url.contains("://") { url.to_owned() } else { format!("{protocol}://{url}") }
            } else if let Some(host) = server.node.get("host").and_then(Node::as_str) {
                let pathname = server.node.get("pathname").and_then(Node::as_str).unwrap_or("");
                format!("{protocol}://{host}{pathname}")
            } else {
                let at = server.clone();
                self.error(&at, "server has no `url` or `host`", if v3 { "`host` (and `protocol`)" } else { "`url`" });
                continue;
            };
            let mut security = Vec::new();
            for requirement in self.items(&server, "security") {
                let names: Vec<(String, Option<Ctx<'a>>)> = if v3 {
                    // 3.0: a Security Scheme Object or a reference to one.
                    let key = requirement
                        .node
                        .get("$ref")
                        .and_then(Node::as_str)
                        .and_then(|r| r.rsplit('/').next())
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{name}{}", security.len() + 1));
                    vec![(key, self.deref(requirement.clone()))]
                } else {
                    // 2.x: `{scheme name: [scopes]}`, named under components.
                    requirement
                        .map_entries()
                        .into_iter()
                        .map(|(key, _)| {
                            let scheme = root
                                .get("components")
                                .and_then(|c| c.get("securitySchemes"))
                                .and_then(|s| s.get(key))
                                .and_then(|s| self.deref(s));
                            (key.to_owned(), scheme)
                        })
                        .collect()
                };
                for (key, scheme) in names {
                    let Some(scheme) = scheme else {
                        self.error(
                            &requirement,
                            format!("security requirement names `{key}`, which is not a declared security scheme"),
                            "a scheme under `components.securitySchemes`",
                        );
                        continue;
                    };
                    if let Some(scheme) = self.security_scheme(&key, &scheme) {
                        if !security.iter().any(|s: &SecurityScheme| s.name == scheme.name) {
                            security.push(scheme);
                        }
                    }
                }
            }
            out.push(ChannelServer {
                name: Name {
                    wire: name.to_owned(),
                    rust: naming::field_name(name).trim_start_matches("r#").to_uppercase(),
                },
                url,
                description: server.node.get("description").and_then(Node::as_str).map(|d| d.trim().to_owned()),
                security,
            });
        }
        let mut rust: Vec<String> = out.iter().map(|s| s.name.rust.clone()).collect();
        naming::dedupe(rust.iter_mut(), false);
        for (server, name) in out.iter_mut().zip(rust) {
            server.name.rust = name;
        }
        out
    }

    /// An AsyncAPI security scheme as the generated code applies it.
    fn security_scheme(&mut self, name: &str, scheme: &Ctx<'a>) -> Option<SecurityScheme> {
        let kind_text = scheme.node.get("type").and_then(Node::as_str).unwrap_or_default();
        let kind = match kind_text {
            "httpApiKey" => {
                let location = match scheme.node.get("in").and_then(Node::as_str) {
                    Some("query") => ParamLocation::Query,
                    Some("header") => ParamLocation::Header,
                    Some("cookie") => ParamLocation::Cookie,
                    _ => {
                        let at = scheme.get("in").unwrap_or_else(|| scheme.clone());
                        self.error(
                            &at,
                            "`httpApiKey` scheme without a valid `in`",
                            "`in: query`, `header` or `cookie`",
                        );
                        return None;
                    }
                };
                let Some(key) = scheme.node.get("name").and_then(Node::as_str).filter(|n| !n.is_empty()) else {
                    let at = scheme.get("name").unwrap_or_else(|| scheme.clone());
                    self.error(
                        &at,
                        "`httpApiKey` scheme without a `name`",
                        "the header, query parameter or cookie name",
                    );
                    return None;
                };
                SecurityKind::ApiKey { location, name: key.to_owned() }
            }
            "http" => match scheme.node.get("scheme").and_then(Node::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("bearer") => SecurityKind::Bearer,
                Some("basic") => SecurityKind::Basic,
                other => SecurityKind::Other(format!("http {}", other.unwrap_or_default())),
            },
            "" => {
                self.error(scheme, "security scheme without a `type`", "a `type` such as `httpApiKey` or `http`");
                return None;
            }
            other => SecurityKind::Other(other.to_owned()),
        };
        Some(SecurityScheme {
            name: name.to_owned(),
            kind,
            description: scheme.node.get("description").and_then(Node::as_str).map(|d| d.trim().to_owned()),
        })
    }

    /// A message and the schema of its payload. A payload written in place is one named type
    /// however many channels, operations or component lists reach the message.
    fn message(&mut self, name: &str, message: Ctx<'a>, direction: Direction) -> Option<(Message, Ctx<'a>)> {
        let message = self.deref(message)?;
        let Some(payload) = message.get("payload") else {
            self.warn(
                &message,
                format!("message `{name}` has no `payload`; no type is generated for it"),
                "a message with a `payload` schema",
            );
            return None;
        };
        // AsyncAPI 3 may wrap the schema in a multi-format object.
        let payload = match payload.get("schema") {
            Some(schema) if payload.node.get("schemaFormat").is_some() => schema,
            _ => payload,
        };
        let hint = naming::type_name(name, "Message");
        let ty = if payload.node.get("$ref").is_some() || payload.node.as_map().is_none() {
            self.schema(&payload, &hint, None, 0).ty
        } else {
            TypeRef::Named(self.named(Target { doc: payload.doc, pointer: payload.pointer.clone() }, &hint))
        };
        let correlation = self.correlation(name, &message);
        let message = Message {
            name: Name { wire: name.to_owned(), rust: naming::type_name(name, "Message") },
            direction,
            payload: ty,
            docs: docs_of(message.node),
            correlation,
            reply: None,
        };
        Some((message, payload))
    }
}

fn message_name(message: &Ctx<'_>, channel: &str, verb: &str) -> String {
    ["name", "messageId", "title"]
        .iter()
        .find_map(|k| message.node.get(k).and_then(Node::as_str))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{channel} {verb}"))
}

/// 2.x replies: each sent message with a correlation id is answered by every received message
/// whose correlation id sits at the same pointer.
fn pair_by_pointer<'a>(messages: &[(Message, Ctx<'a>)]) -> Vec<DeclaredReply<'a>> {
    let mut out = Vec::new();
    for (sent, payload) in messages.iter().filter(|(m, _)| m.direction == Direction::Send) {
        let Some(pointer) = &sent.correlation else { continue };
        let names: Vec<String> = messages
            .iter()
            .filter(|(m, _)| m.direction == Direction::Receive && m.correlation.as_ref() == Some(pointer))
            .map(|(m, _)| m.name.wire.clone())
            .collect();
        if !names.is_empty() {
            out.push((sent.name.wire.clone(), names, payload.clone()));
        }
    }
    out
}

/// A JSON pointer naming a property (not the whole payload), with valid `~` escapes.
fn valid_pointer(pointer: &str) -> bool {
    pointer.starts_with('/') && pointer.split('~').skip(1).all(|rest| rest.starts_with('0') || rest.starts_with('1'))
}

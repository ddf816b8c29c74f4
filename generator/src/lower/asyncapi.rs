//! AsyncAPI 2.6 and 3.0: channels and their messages.
//!
//! Directions are seen from the API's consumer. In 3.0 the document describes the provider, so
//! its `send` operations are messages the consumer receives; in 2.x `subscribe` is what a
//! consumer receives and `publish` what it sends.

use super::{Ctx, Lowerer, docs_of};
use crate::ir::{Channel, Direction, Message, Name};
use crate::naming;
use crate::node::Node;

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
        let servers: Vec<String> = root
            .entries("servers")
            .into_iter()
            .filter_map(|(_, server)| {
                let protocol = server.node.get("protocol").and_then(Node::as_str).unwrap_or("wss");
                if let Some(url) = server.node.get("url").and_then(Node::as_str) {
                    return Some(if url.contains("://") { url.to_owned() } else { format!("{protocol}://{url}") });
                }
                let host = server.node.get("host").and_then(Node::as_str)?;
                let pathname = server.node.get("pathname").and_then(Node::as_str).unwrap_or("");
                Some(format!("{protocol}://{host}{pathname}"))
            })
            .collect();
        if v3 {
            self.channels_v3(&root, &servers);
        } else {
            self.channels_v2(&root, &servers);
        }
        // Messages declared as components become types even when no channel uses them.
        for (name, message) in root.get("components").map(|c| c.entries("messages")).unwrap_or_default() {
            self.message(name, message, Direction::Receive);
        }
    }

    fn channels_v3(&mut self, root: &Ctx<'a>, servers: &[String]) {
        // Which messages of which channel flow which way, from the operations.
        let mut directions: Vec<(String, Option<String>, Direction)> = Vec::new();
        for (_, operation) in root.entries("operations") {
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
            let messages = operation.items("messages");
            if messages.is_empty() {
                directions.push((channel.clone(), None, direction));
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
        for (key, channel) in root.entries("channels") {
            let Some(channel) = self.deref(channel) else { continue };
            let address = channel.node.get("address").and_then(Node::as_str).unwrap_or(key).to_owned();
            let mut messages = Vec::new();
            for (name, message) in channel.entries("messages") {
                let direction = directions
                    .iter()
                    .find(|(c, m, _)| c == key && m.as_deref().is_none_or(|m| m == name))
                    .map(|(_, _, d)| *d)
                    .unwrap_or(Direction::Receive);
                if let Some(message) = self.message(name, message, direction) {
                    messages.push(message);
                }
            }
            self.push_channel(key, address, servers, &channel, messages);
        }
    }

    fn channels_v2(&mut self, root: &Ctx<'a>, servers: &[String]) {
        for (key, channel) in root.entries("channels") {
            let Some(channel) = self.deref(channel) else { continue };
            let mut messages = Vec::new();
            for (verb, direction) in [("subscribe", Direction::Receive), ("publish", Direction::Send)] {
                let Some(operation) = channel.get(verb) else { continue };
                let Some(message) = operation.get("message") else { continue };
                let Some(message) = self.deref(message) else { continue };
                let members = message.items("oneOf");
                if members.is_empty() {
                    let name = message_name(&message, key, verb);
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
            self.push_channel(key, key.to_owned(), servers, &channel, messages);
        }
    }

    fn push_channel(
        &mut self,
        key: &str,
        address: String,
        servers: &[String],
        channel: &Ctx<'a>,
        mut messages: Vec<Message>,
    ) {
        messages.sort_by(|a, b| (a.direction, &a.name.rust).cmp(&(b.direction, &b.name.rust)));
        messages.dedup_by(|a, b| a.name == b.name && a.direction == b.direction);
        self.api.channels.push(Channel {
            name: Name { wire: key.to_owned(), rust: naming::field_name(key) },
            address,
            servers: servers.to_vec(),
            docs: docs_of(channel.node),
            messages,
            origin: self.loc(channel),
        });
    }

    fn message(&mut self, name: &str, message: Ctx<'a>, direction: Direction) -> Option<Message> {
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
        let ty = self.schema(&payload, &hint, None, 0).ty;
        Some(Message {
            name: Name { wire: name.to_owned(), rust: naming::type_name(name, "Message") },
            direction,
            payload: ty,
            docs: docs_of(message.node),
        })
    }
}

fn message_name(message: &Ctx<'_>, channel: &str, verb: &str) -> String {
    ["name", "messageId", "title"]
        .iter()
        .find_map(|k| message.node.get(k).and_then(Node::as_str))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{channel} {verb}"))
}

//! OpenAPI Overlay 1.0 documents: a codegen config's `overlays:` change the spec files they
//! extend before anything reads them, so a provider's spec can be corrected, and prose added to
//! it, without editing the provider's files.
//!
//! An overlay is read from its node tree ([`read`]) into an [`Overlay`]: the spec file it
//! extends and its actions, each with a JSONPath target (RFC 9535, parsed by `serde_json_path`
//! within the bounds checked in `target.rs`) and an `update` or `remove`. [`apply`] runs the
//! actions of the overlays of one document in order, on the loaded node tree, before `$ref`s
//! are followed.
//! Every node an update adds carries the overlay file's location ([`Node::origin`]), so a later
//! diagnostic about it points into the overlay.

mod apply;
mod target;

use std::sync::Arc;

use serde_json_path::JsonPath;

use crate::diag::{Diagnostic, Location};
use crate::load::join_path;
use crate::node::{Node, Value, escape_pointer_segment};

pub use apply::{Entry, apply};

/// One overlay file, read and checked.
#[derive(Debug)]
pub struct Overlay {
    /// The overlay file (normalised path).
    pub path: Arc<str>,
    /// Where the document starts (for problems of the whole overlay).
    pub at: Location,
    /// The spec file `extends` names (normalised, relative to the overlay file's folder), and
    /// where `extends` is written; `None` when the overlay has no `extends`.
    pub extends: Option<(String, Location)>,
    /// The actions, in order.
    pub actions: Vec<Action>,
}

/// One action of an overlay.
#[derive(Debug)]
pub struct Action {
    /// Where the action object is written.
    pub at: Location,
    /// The target as written.
    pub target_text: String,
    /// The parsed target.
    pub target: JsonPath,
    /// What the action does.
    pub change: Change,
}

/// What an action does to each node its target selects.
#[derive(Debug)]
pub enum Change {
    /// Merge into an object, append to an array. The node carries the overlay's locations;
    /// `Location` is where `update` is written.
    Update(Node, Location),
    /// Remove the node from its parent.
    Remove,
}

/// Reads an overlay document (the file at `path`, parsed into `root`). Every problem of the
/// document is reported, each where it is written.
pub fn read(path: &Arc<str>, root: &Node) -> Result<Overlay, Vec<Diagnostic>> {
    let at = |node: &Node, pointer: &str| Location {
        file: path.clone(),
        line: node.line,
        column: node.column,
        pointer: pointer.to_owned(),
    };
    let shape = "an Overlay 1.0 document: a mapping with `overlay: 1.0.0`, `info: {title, version}` and `actions`";
    let Some(map) = root.as_map() else {
        let message = format!("not an overlay document: the file holds {}", root.kind_name());
        return Err(vec![Diagnostic::new(at(root, ""), message).expected(shape)]);
    };
    let mut problems = Vec::new();
    match map.get("overlay") {
        None => {
            let what = ["openapi", "asyncapi"].into_iter().find(|key| map.contains_key(*key));
            let message = match what {
                Some(key) => format!("not an overlay document: it has `{key}` and no `overlay` key"),
                None => "not an overlay document: it has no `overlay` key".to_owned(),
            };
            return Err(vec![Diagnostic::new(at(root, ""), message).expected(shape)]);
        }
        Some(version) if version.as_str().is_some_and(supported_version) => {}
        Some(version) => {
            let message = match (version.as_str(), version.scalar_text()) {
                (Some(text), _) => format!("unsupported overlay version `{text}`"),
                (None, Some(text)) => format!("`overlay` is {} (`{text}`), not a version string", version.kind_name()),
                (None, None) => format!("`overlay` is {}, not a version string", version.kind_name()),
            };
            problems.push(
                Diagnostic::new(at(version, "/overlay"), message)
                    .expected("`overlay: 1.0.0` (a string; triad reads Overlay 1.0.x)"),
            );
        }
    }
    for (key, value) in map {
        let known = matches!(key.as_str(), "overlay" | "info" | "extends" | "actions") || key.starts_with("x-");
        if !known {
            let pointer = format!("/{}", escape_pointer_segment(key));
            problems.push(
                Diagnostic::new(at(value, &pointer), format!("unknown overlay key `{key}`"))
                    .expected("`overlay`, `info`, `extends`, `actions` or an `x-` extension"),
            );
        }
    }
    check_info(map.get("info"), &at(root, ""), &at, &mut problems);
    let extends = read_extends(path, map.get("extends"), &at, &mut problems);
    let actions = match map.get("actions") {
        Some(Node { value: Value::Seq(items), .. }) if !items.is_empty() => {
            items.iter().enumerate().filter_map(|(i, action)| read_action(path, action, i, &mut problems)).collect()
        }
        Some(node) => {
            problems.push(
                Diagnostic::new(at(node, "/actions"), format!("`actions` is {}", describe(node)))
                    .expected("a list of at least one action (`{target, update}` or `{target, remove: true}`)"),
            );
            Vec::new()
        }
        None => {
            problems.push(
                Diagnostic::new(at(root, ""), "the overlay has no `actions`")
                    .expected("`actions:` with at least one action"),
            );
            Vec::new()
        }
    };
    if problems.is_empty() {
        Ok(Overlay { path: path.clone(), at: at(root, ""), extends, actions })
    } else {
        Err(problems)
    }
}

/// `1.0.0`, `1.0.1`...: the versions of Overlay 1.0.
fn supported_version(version: &str) -> bool {
    version.strip_prefix("1.0.").is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

/// "an empty list", "a string"...
fn describe(node: &Node) -> String {
    match &node.value {
        Value::Seq(items) if items.is_empty() => "an empty list".to_owned(),
        _ => node.kind_name().to_owned(),
    }
}

/// `info` must be a mapping with a string `title` and `version`.
fn check_info(
    info: Option<&Node>,
    root: &Location,
    at: &dyn Fn(&Node, &str) -> Location,
    problems: &mut Vec<Diagnostic>,
) {
    let expected = "`info: {title: ..., version: ...}` with both as strings";
    let Some(info) = info else {
        problems.push(Diagnostic::new(root.clone(), "the overlay has no `info`").expected(expected));
        return;
    };
    let Some(fields) = info.as_map() else {
        problems.push(Diagnostic::new(at(info, "/info"), format!("`info` is {}", info.kind_name())).expected(expected));
        return;
    };
    for key in ["title", "version"] {
        match fields.get(key) {
            Some(value) if value.as_str().is_some() => {}
            Some(value) => problems.push(
                Diagnostic::new(at(value, &format!("/info/{key}")), format!("`info.{key}` is {}", value.kind_name()))
                    .expected("a string"),
            ),
            None => {
                problems.push(Diagnostic::new(at(info, "/info"), format!("`info` has no `{key}`")).expected(expected))
            }
        }
    }
}

/// `extends`: a relative path to a spec file, resolved against the overlay file.
fn read_extends(
    path: &str,
    extends: Option<&Node>,
    at: &dyn Fn(&Node, &str) -> Location,
    problems: &mut Vec<Diagnostic>,
) -> Option<(String, Location)> {
    let node = extends?;
    let location = at(node, "/extends");
    let expected = "the path of one of the config's spec files, relative to this overlay file";
    let Some(text) = node.as_str().filter(|text| !text.is_empty()) else {
        problems.push(Diagnostic::new(location, format!("`extends` is {}", describe_scalar(node))).expected(expected));
        return None;
    };
    let problem = if text.contains('#') {
        Some(format!("`extends: {text}` has a fragment"))
    } else if crate::load::file_scheme(text).is_some() {
        Some(format!("`extends: {text}` is a URL; triad reads only local files"))
    } else if text.starts_with('/') || text.starts_with('\\') {
        Some(format!("`extends: {text}` is an absolute path"))
    } else {
        None
    };
    if let Some(message) = problem {
        problems.push(Diagnostic::new(location, message).expected(expected));
        return None;
    }
    Some((join_path(path, text), location))
}

fn describe_scalar(node: &Node) -> String {
    match node.as_str() {
        Some("") => "empty".to_owned(),
        _ => node.kind_name().to_owned(),
    }
}

/// One action: `target` (JSONPath), `description`, and `update` or `remove: true`.
fn read_action(path: &Arc<str>, node: &Node, index: usize, problems: &mut Vec<Diagnostic>) -> Option<Action> {
    let pointer = format!("/actions/{index}");
    let at = |node: &Node, pointer: &str| Location {
        file: path.clone(),
        line: node.line,
        column: node.column,
        pointer: pointer.to_owned(),
    };
    let here = at(node, &pointer);
    let Some(map) = node.as_map() else {
        problems.push(
            Diagnostic::new(here, format!("an action is {}", node.kind_name()))
                .expected("a mapping with `target` and `update` or `remove: true`"),
        );
        return None;
    };
    let before = problems.len();
    for (key, value) in map {
        let known = matches!(key.as_str(), "target" | "description" | "update" | "remove") || key.starts_with("x-");
        if !known {
            let pointer = format!("{pointer}/{}", escape_pointer_segment(key));
            problems.push(
                Diagnostic::new(at(value, &pointer), format!("unknown action key `{key}`"))
                    .expected("`target`, `description`, `update`, `remove` or an `x-` extension"),
            );
        }
    }
    if let Some(description) = map.get("description").filter(|d| d.as_str().is_none()) {
        problems.push(
            Diagnostic::new(
                at(description, &format!("{pointer}/description")),
                format!("`description` is {}", description.kind_name()),
            )
            .expected("a string"),
        );
    }
    let remove = match map.get("remove") {
        None => false,
        Some(node) => match node.as_bool() {
            Some(remove) => remove,
            None => {
                problems.push(
                    Diagnostic::new(
                        at(node, &format!("{pointer}/remove")),
                        format!("`remove` is {}", node.kind_name()),
                    )
                    .expected("`true` or `false`"),
                );
                false
            }
        },
    };
    let target = read_target(map.get("target"), &here, &at, &pointer, problems);
    let change = match map.get("update") {
        // An update beside `remove: true` has no effect (Overlay 1.0).
        _ if remove => Some(Change::Remove),
        Some(update) => {
            let update_pointer = format!("{pointer}/update");
            let location = at(update, &update_pointer);
            let mut update = update.clone();
            stamp(&mut update, path, &mut update_pointer.clone());
            Some(Change::Update(update, location))
        }
        None => {
            problems.push(
                Diagnostic::new(here.clone(), "the action neither updates nor removes")
                    .expected("`update: ...` (merged into each node the target selects) or `remove: true`"),
            );
            None
        }
    };
    let (target_text, target) = target?;
    let change = change?;
    (problems.len() == before).then_some(Action { at: here, target_text, target, change })
}

/// The action's `target`, parsed.
fn read_target(
    node: Option<&Node>,
    action: &Location,
    at: &dyn Fn(&Node, &str) -> Location,
    pointer: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<(String, JsonPath)> {
    let expected = "a JSONPath expression (RFC 9535) such as `$.paths['/pets'].get`";
    let Some(node) = node else {
        problems.push(Diagnostic::new(action.clone(), "the action has no `target`").expected(expected));
        return None;
    };
    let location = at(node, &format!("{pointer}/target"));
    let Some(text) = node.as_str() else {
        problems.push(Diagnostic::new(location, format!("`target` is {}", node.kind_name())).expected(expected));
        return None;
    };
    match target::parse(text) {
        Ok(path) => Some((text.to_owned(), path)),
        Err(message) => {
            problems.push(Diagnostic::new(location, message).expected(expected));
            None
        }
    }
}

/// Marks `node` and everything in it as written in `file` at `pointer` (and below), where no
/// origin is marked yet: the nodes of an overlay's update, and nodes of a document whose
/// pointer changes when an overlay removes an item before them from a list. A marked node's
/// descendants are all marked.
fn stamp(node: &mut Node, file: &Arc<str>, pointer: &mut String) {
    if node.origin.is_some() {
        return;
    }
    node.origin =
        Some(Arc::new(Location { file: file.clone(), line: node.line, column: node.column, pointer: pointer.clone() }));
    let len = pointer.len();
    match &mut node.value {
        Value::Map(map) => {
            for (key, child) in map.iter_mut() {
                pointer.push('/');
                pointer.push_str(&escape_pointer_segment(key));
                stamp(child, file, pointer);
                pointer.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                pointer.push('/');
                pointer.push_str(&i.to_string());
                stamp(child, file, pointer);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

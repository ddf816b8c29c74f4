//! Running overlay actions on the located node tree of a spec file.
//!
//! A target is queried on a `serde_json::Value` copy of the document (what `serde_json_path`
//! reads), which gives the normalized path of every selected node; the change is then made on
//! the node tree by those paths, and the copy is brought up to date at the same paths, so a
//! later action sees the earlier ones' result. Removals go deepest and last first, so the
//! paths left to remove stay valid. A target made only of member names and wildcards
//! (`$.paths['/x'].post`, `$.paths.*.post`: most targets) is resolved on the node tree
//! directly, in the order the query engine gives (members by name, items by index); the copy
//! is made only when a target needs the query engine (filters, indexes, descendants).

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value as Json;
use serde_json_path::PathElement;

use super::{Action, Change, Overlay};
use crate::diag::{Diagnostic, Location};
use crate::load::{Limits, relative_path};
use crate::node::{Node, Value, escape_pointer_segment};

/// One step of a normalized path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Key(String),
    Index(usize),
}

/// A spec file as the loader holds it before following its references.
pub struct Entry<'a> {
    /// Normalised path.
    pub path: &'a Arc<str>,
    /// Its parsed content, changed in place.
    pub root: &'a mut Node,
}

/// Applies `overlays`, in order, to the entry files they extend. `listed` holds every entry the
/// config names, parsed or not (an overlay of a file that did not parse is skipped: that file's
/// own errors are reported). Returns every problem found.
pub fn apply(entries: &mut [Entry<'_>], listed: &[String], overlays: &[Overlay], limits: &Limits) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut plan: Vec<Vec<&Overlay>> = entries.iter().map(|_| Vec::new()).collect();
    for overlay in overlays {
        if let Some(doc) = extended(entries, listed, overlay, &mut problems) {
            if let Some(list) = plan.get_mut(doc) {
                list.push(overlay);
            }
        }
    }
    for (entry, overlays) in entries.iter_mut().zip(plan) {
        if overlays.is_empty() {
            continue;
        }
        let mut doc = Doc { path: entry.path.clone(), mirror: None, root: entry.root, added: 0 };
        for overlay in overlays {
            for action in &overlay.actions {
                if let Err(problem) = doc.run(action, limits) {
                    problems.push(*problem);
                }
            }
        }
    }
    problems
}

/// The index in `entries` of the file `overlay` extends.
fn extended(
    entries: &[Entry<'_>],
    listed: &[String],
    overlay: &Overlay,
    problems: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let folder = overlay.path.rsplit_once('/').map_or("", |(folder, _)| folder);
    let shown = |paths: &mut dyn Iterator<Item = &str>| {
        paths.map(|path| format!("`{}`", relative_path(folder, path))).collect::<Vec<_>>().join(", ")
    };
    if let Some((path, at)) = &overlay.extends {
        if let Some(doc) = entries.iter().position(|entry| **entry.path == **path) {
            return Some(doc);
        }
        if !listed.contains(path) {
            problems.push(
                Diagnostic::new(
                    at.clone(),
                    format!("`extends` names `{path}`, which is not one of the config's `specs:`"),
                )
                .expected(format!(
                    "one of the spec files, relative to this overlay: {}",
                    shown(&mut listed.iter().map(String::as_str))
                )),
            );
        }
        return None;
    }
    let openapi: Vec<usize> = (0..entries.len())
        .filter(|&i| entries.get(i).is_some_and(|entry| entry.root.get("openapi").is_some()))
        .collect();
    match openapi.as_slice() {
        [only] => Some(*only),
        [] if entries.len() < listed.len() => None,
        [] => {
            problems.push(
                Diagnostic::new(
                    overlay.at.clone(),
                    "the overlay has no `extends` and the config lists no OpenAPI document",
                )
                .expected("`extends:` naming the spec file the overlay applies to"),
            );
            None
        }
        several => {
            let mut names = several.iter().filter_map(|&i| entries.get(i)).map(|entry| &**entry.path);
            problems.push(
                Diagnostic::new(
                    overlay.at.clone(),
                    format!(
                        "the overlay has no `extends`, and the config lists several OpenAPI documents: {}",
                        shown(&mut names)
                    ),
                )
                .expected("`extends:` naming the one the overlay applies to, relative to this overlay"),
            );
            None
        }
    }
}

/// A document being changed, with its JSON copy for queries.
struct Doc<'a> {
    path: Arc<str>,
    root: &'a mut Node,
    /// The JSON copy the query engine reads, made at the first target that needs it.
    mirror: Option<Json>,
    /// Nodes updates have added so far (bounded by `limits.alias_nodes`).
    added: usize,
}

impl Doc<'_> {
    fn run(&mut self, action: &Action, limits: &Limits) -> Result<(), Box<Diagnostic>> {
        let mut paths: Vec<Vec<Step>> = match member_path(&action.target_text) {
            Some(pattern) => {
                let mut found = Vec::new();
                select(self.root, &pattern, &mut Vec::new(), &mut found);
                found.sort();
                found
            }
            None => {
                let mirror = self.mirror.get_or_insert_with(|| self.root.to_json());
                action.target.query_located(mirror).locations().map(|path| path.iter().map(step).collect()).collect()
            }
        };
        if paths.is_empty() {
            return Err(Box::new(
                Diagnostic::new(
                    action.at.clone(),
                    format!("the target `{}` selects nothing in `{}`", action.target_text, self.path),
                )
                .expected("a target that selects at least one node of the document as the actions before it left it"),
            ));
        }
        match &action.change {
            Change::Remove => {
                paths.sort();
                paths.dedup();
                for path in paths.iter().rev() {
                    self.remove(path).map_err(|message| {
                        Box::new(
                            Diagnostic::new(action.at.clone(), message).expected("a target below the document root"),
                        )
                    })?;
                }
                Ok(())
            }
            Change::Update(update, at) => self.update(&paths, update, at, limits),
        }
    }

    fn remove(&mut self, path: &[Step]) -> Result<(), String> {
        let Some((last, parent_path)) = path.split_last() else {
            return Err("`remove` cannot remove the whole document".to_owned());
        };
        if let Some(parent) = node_at_mut(self.root, parent_path) {
            match (&mut parent.value, last) {
                (Value::Map(map), Step::Key(key)) => {
                    map.shift_remove(key);
                }
                (Value::Seq(items), Step::Index(i)) if *i < items.len() => {
                    // The items after it move up: they keep the place they are written at.
                    let at = pointer(parent_path);
                    for (j, item) in items.iter_mut().enumerate().skip(i + 1) {
                        super::stamp(item, &self.path, &mut format!("{at}/{j}"));
                    }
                    items.remove(*i);
                }
                _ => {}
            }
        }
        if let Some(parent) = self.mirror.as_mut().and_then(|mirror| json_at_mut(mirror, parent_path)) {
            match (parent, last) {
                (Json::Object(map), Step::Key(key)) => {
                    map.remove(key);
                }
                (Json::Array(items), Step::Index(i)) if *i < items.len() => {
                    items.remove(*i);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Merges `update` into each selected node (appends it to each selected list); a node of
    /// another kind is reported with the number of others like it.
    fn update(
        &mut self,
        paths: &[Vec<Step>],
        update: &Node,
        at: &Location,
        limits: &Limits,
    ) -> Result<(), Box<Diagnostic>> {
        let (size, depth) = (count(update), depth(update));
        let mut refused: Option<(Vec<Step>, Location, &'static str)> = None;
        let mut others = 0usize;
        for path in paths {
            let Some(node) = node_at_mut(self.root, path) else { continue };
            // A value appended to a list lands one level below it.
            let appended = matches!(&node.value, Value::Seq(_)) && !matches!(&update.value, Value::Seq(_));
            if path.len() + depth + usize::from(appended) > limits.depth {
                return Err(Box::new(
                    Diagnostic::new(
                        at.clone(),
                        format!("the update would nest the document deeper than {} levels", limits.depth),
                    )
                    .expected("a shallower update, or a larger `limits.depth` in the codegen config"),
                ));
            }
            self.added = self.added.saturating_add(size);
            if self.added > limits.alias_nodes {
                return Err(Box::new(
                    Diagnostic::new(
                        at.clone(),
                        format!("overlay updates add more than {} nodes to `{}`", limits.alias_nodes, self.path),
                    )
                    .expected(
                        "a target that selects fewer nodes, or a larger `limits.alias_nodes` in the codegen config",
                    ),
                ));
            }
            match (&mut node.value, &update.value) {
                (Value::Map(target), Value::Map(fields)) => merge(target, fields),
                (Value::Seq(items), Value::Seq(more)) => items.extend(more.iter().cloned()),
                (Value::Seq(items), _) => items.push(update.clone()),
                _ => {
                    if refused.is_none() {
                        let location = located(&self.path, node, path);
                        refused = Some((path.clone(), location, node.kind_name()));
                    } else {
                        others += 1;
                    }
                    continue;
                }
            }
            if let Some(copy) = self.mirror.as_mut().and_then(|mirror| json_at_mut(mirror, path)) {
                *copy = node.to_json();
            }
        }
        let Some((path, location, kind)) = refused else { return Ok(()) };
        let more = match others {
            0 => String::new(),
            1 => " (and 1 more node)".to_owned(),
            n => format!(" (and {n} more nodes)"),
        };
        let message = if kind == "a mapping" {
            format!(
                "the update is {}, which cannot be merged into the mapping at `{}`{more}",
                update.kind_name(),
                normalized(&path)
            )
        } else {
            format!("the target selects {kind} at `{}`{more}, which an update cannot be merged into", normalized(&path))
        };
        Err(Box::new(
            Diagnostic::new(at.clone(), message)
                .expected("a target that selects mappings (merged with a mapping) or lists (appended to)")
                .related(location, "the selected node"),
        ))
    }
}

/// Overlay 1.0 merging: the update's keys replace the target's, except that a mapping merges
/// into a mapping and a list is appended to a list.
fn merge(target: &mut IndexMap<String, Node>, update: &IndexMap<String, Node>) {
    for (key, new) in update {
        match target.get_mut(key) {
            Some(old) => match (&mut old.value, &new.value) {
                (Value::Map(old), Value::Map(new)) => merge(old, new),
                (Value::Seq(old), Value::Seq(new)) => old.extend(new.iter().cloned()),
                _ => *old = new.clone(),
            },
            None => {
                target.insert(key.clone(), new.clone());
            }
        }
    }
}

/// One segment of a target made of member names and wildcards.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Member {
    /// `.name`, `['name']`.
    Name(String),
    /// `.*`, `[*]`: every member or item.
    Any,
}

/// The segments of a target made only of member names and wildcards: `$`, then `.name` (a
/// letter or `_`, then letters, digits and `_`), `['name']` / `["name"]` without escapes,
/// `.*` or `[*]`; `None` for any other target (the query engine decides those).
fn member_path(target: &str) -> Option<Vec<Member>> {
    let mut rest = target.strip_prefix('$')?;
    let mut path = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(".*").or_else(|| rest.strip_prefix("[*]")) {
            path.push(Member::Any);
            rest = after;
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            let name = &after[..end];
            if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return None;
            }
            path.push(Member::Name(name.to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
            let body = &after[1..];
            let end = body.find(quote)?;
            let name = &body[..end];
            if name.contains('\\') || name.chars().any(char::is_control) {
                return None;
            }
            rest = body[end + 1..].strip_prefix(']')?;
            path.push(Member::Name(name.to_owned()));
        } else {
            return None;
        }
    }
    Some(path)
}

/// The paths of the nodes below `node` (at `at`) that `pattern` selects, depth first.
fn select(node: &Node, pattern: &[Member], at: &mut Vec<Step>, found: &mut Vec<Vec<Step>>) {
    let Some((first, rest)) = pattern.split_first() else {
        found.push(at.clone());
        return;
    };
    match (&node.value, first) {
        (Value::Map(map), Member::Name(name)) => {
            if let Some(child) = map.get(name) {
                at.push(Step::Key(name.clone()));
                select(child, rest, at, found);
                at.pop();
            }
        }
        (Value::Map(map), Member::Any) => {
            for (key, child) in map {
                at.push(Step::Key(key.clone()));
                select(child, rest, at, found);
                at.pop();
            }
        }
        (Value::Seq(items), Member::Any) => {
            for (i, child) in items.iter().enumerate() {
                at.push(Step::Index(i));
                select(child, rest, at, found);
                at.pop();
            }
        }
        _ => {}
    }
}

fn step(element: &PathElement<'_>) -> Step {
    match element {
        PathElement::Name(name) => Step::Key((*name).to_owned()),
        PathElement::Index(i) => Step::Index(*i),
    }
}

fn node_at_mut<'a>(mut node: &'a mut Node, path: &[Step]) -> Option<&'a mut Node> {
    for step in path {
        node = match (&mut node.value, step) {
            (Value::Map(map), Step::Key(key)) => map.get_mut(key)?,
            (Value::Seq(items), Step::Index(i)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn json_at_mut<'a>(mut value: &'a mut Json, path: &[Step]) -> Option<&'a mut Json> {
    for step in path {
        value = match (value, step) {
            (Json::Object(map), Step::Key(key)) => map.get_mut(key)?,
            (Json::Array(items), Step::Index(i)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

fn count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

fn depth(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Map(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Where a node of the document at `path` was written (in the overlay that added it, if one
/// did).
fn located(file: &Arc<str>, node: &Node, path: &[Step]) -> Location {
    if let Some(origin) = &node.origin {
        return (**origin).clone();
    }
    Location { file: file.clone(), line: node.line, column: node.column, pointer: pointer(path) }
}

/// The JSON pointer of `path`.
fn pointer(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => format!("/{}", escape_pointer_segment(key)),
            Step::Index(i) => format!("/{i}"),
        })
        .collect()
}

/// The normalized path (RFC 9535) of `path`: `$['paths']['/a'][0]`.
fn normalized(path: &[Step]) -> String {
    let mut out = String::from("$");
    for step in path {
        match step {
            Step::Key(key) => {
                out.push_str("['");
                for c in key.chars() {
                    match c {
                        '\'' => out.push_str("\\'"),
                        '\\' => out.push_str("\\\\"),
                        c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                        c => out.push(c),
                    }
                }
                out.push_str("']");
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target of member names selects exactly what the query engine selects on the copy.
    #[test]
    fn member_targets_select_what_the_query_engine_selects() {
        let text = "paths:\n  /z: {post: {summary: z}, get: {}}\n  /a/{id}:\n    post: {summary: x}\n  \"it's\": {get: {}}\ncomponents:\n  schemas:\n    _Pet: {type: object, b: 1, a: 2}\n    list: [1, [2, 3], {x: 4}]\n";
        let root = crate::node::parse_with(text, crate::node::Format::Yaml, &Limits::default().parse_limits()).unwrap();
        let mirror = root.to_json();
        let targets = [
            "$",
            "$.paths",
            "$.paths['/a/{id}'].post",
            "$.paths[\"/a/{id}\"]['post']",
            "$.paths[\"it's\"].get",
            "$.components.schemas._Pet.type",
            "$.components.schemas.Missing",
            "$.components.schemas.list.length",
            "$.paths['/a/{id}'].post.summary.deeper",
            "$.paths.*",
            "$.paths.*.post",
            "$.paths[*].*",
            "$.*.*.type",
            "$.components.schemas.list.*",
            "$.components.schemas.list[*]",
            "$.components.schemas.*.*",
            "$.*.*.*.*",
        ];
        for target in targets {
            let pattern = member_path(target).unwrap_or_else(|| panic!("`{target}` is made of member names"));
            let mut direct = Vec::new();
            select(&root, &pattern, &mut Vec::new(), &mut direct);
            direct.sort();
            let query = serde_json_path::JsonPath::parse(target).unwrap();
            let queried: Vec<Vec<Step>> =
                query.query_located(&mirror).locations().map(|p| p.iter().map(step).collect()).collect();
            assert_eq!(direct, queried, "{target}");
        }
        for other in [
            "$..post",
            "$.paths[ * ]",
            "$.components.schemas.list[0]",
            "$['a\\'b']",
            "$.1a",
            "$ .a",
            "a.b",
            "$.a[?@.b]",
        ] {
            assert_eq!(member_path(other), None, "{other}");
        }
    }
}

//! Lowering: from loaded spec documents to the [`ir::Api`].
//!
//! `schema` turns JSON Schema nodes into IR types, `openapi` and `asyncapi` read operations,
//! webhooks and channels, and `finish` names, boxes and sorts everything so the result does not
//! depend on input order.

mod asyncapi;
mod finish;
mod object;
mod openapi;
mod schema;
mod union;

use std::collections::{HashMap, VecDeque};

use crate::config::Config;
use crate::diag::{Diagnostic, Location};
use crate::ir::{self, Docs, TypeId, TypeKind};
use crate::load::{Target, Workspace};
use crate::node::{self, Node, Value};

/// A node together with the document and pointer it was found at.
#[derive(Clone)]
pub(crate) struct Ctx<'a> {
    pub doc: usize,
    pub pointer: String,
    pub node: &'a Node,
}

impl<'a> Ctx<'a> {
    /// The member `key`, with its pointer.
    pub fn get(&self, key: &str) -> Option<Ctx<'a>> {
        let node = self.node.get(key)?;
        Some(Ctx { doc: self.doc, pointer: format!("{}/{}", self.pointer, node::escape_pointer_segment(key)), node })
    }

    /// Items of this node if it is a sequence, with their pointers.
    pub fn seq_items(&self) -> Vec<Ctx<'a>> {
        match self.node.as_seq() {
            Some(items) => items
                .iter()
                .enumerate()
                .map(|(i, node)| Ctx { doc: self.doc, pointer: format!("{}/{i}", self.pointer), node })
                .collect(),
            None => Vec::new(),
        }
    }

    /// Entries of this node if it is a mapping.
    pub fn map_entries(&self) -> Vec<(&'a str, Ctx<'a>)> {
        match self.node.as_map() {
            Some(map) => map
                .iter()
                .map(|(k, node)| {
                    let pointer = format!("{}/{}", self.pointer, node::escape_pointer_segment(k));
                    (k.as_str(), Ctx { doc: self.doc, pointer, node })
                })
                .collect(),
            None => Vec::new(),
        }
    }
}

/// A type definition while lowering is under way.
pub(crate) struct Def {
    pub wire: String,
    /// True for names made up from context (inline schemas); false for names from the spec.
    pub synthesized: bool,
    pub docs: Docs,
    pub kind: Option<TypeKind>,
    pub origin: Location,
    pub target: Option<Target>,
}

/// Type definitions under way, indexed by the [`TypeId`]s [`Defs::push`] hands out.
#[derive(Default)]
pub(crate) struct Defs(Vec<Def>);

impl Defs {
    /// Adds a definition and returns its id.
    pub fn push(&mut self, def: Def) -> TypeId {
        self.0.push(def);
        TypeId(self.0.len() - 1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn into_vec(self) -> Vec<Def> {
        self.0
    }
}

impl std::ops::Index<TypeId> for Defs {
    type Output = Def;

    // Ids are only made by `push` (and never removed), so they are always in range.
    #[allow(clippy::indexing_slicing)]
    fn index(&self, id: TypeId) -> &Def {
        &self.0[id.0]
    }
}

impl std::ops::IndexMut<TypeId> for Defs {
    // As for `Index`: ids come from `push`.
    #[allow(clippy::indexing_slicing)]
    fn index_mut(&mut self, id: TypeId) -> &mut Def {
        &mut self.0[id.0]
    }
}

/// State of one lowering run.
pub(crate) struct Lowerer<'a> {
    pub ws: &'a Workspace,
    pub config: crate::config::Shaping<'a>,
    pub defs: Defs,
    /// Every `$ref` target already turned into a type.
    pub by_target: HashMap<Target, TypeId>,
    /// Component schemas by name, to merge identical schemas declared in several files.
    pub by_wire: HashMap<String, TypeId>,
    pub queue: VecDeque<(TypeId, Target)>,
    /// Re-exporting components being followed (guards against re-export cycles).
    pub reexport_stack: Vec<Target>,
    pub diags: Vec<Diagnostic>,
    /// Schemas being lowered right now, by document and pointer.
    pub lowering: std::collections::HashSet<(usize, String)>,
    /// Schemas already reported as containing themselves.
    pub reentered: std::collections::HashSet<(usize, String)>,
    /// Input that is ignored or read by a guess: reported, but output is still produced.
    pub warnings: Vec<Diagnostic>,
    /// Keys of the config's property unions (`unions: {Schema.Property: ...}`) applied so far.
    pub path_unions: std::collections::BTreeSet<String>,
    /// True while a channel's received messages become one union: members may then share a
    /// tag value (the later ones are reported as unreachable) and the union is still tagged.
    pub repeated_tags: bool,
    pub api: ir::Api,
}

/// Lowers every document of `ws` into one API, with warnings about ignored input.
pub fn lower(ws: &Workspace, config: &Config) -> Result<(ir::Api, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut l = Lowerer {
        ws,
        config: config.shaping(),
        defs: Defs::default(),
        by_target: HashMap::new(),
        by_wire: HashMap::new(),
        queue: VecDeque::new(),
        reexport_stack: Vec::new(),
        diags: Vec::new(),
        lowering: std::collections::HashSet::new(),
        reentered: std::collections::HashSet::new(),
        warnings: Vec::new(),
        path_unions: std::collections::BTreeSet::new(),
        repeated_tags: false,
        api: ir::Api::default(),
    };
    let mut kinds = Vec::new();
    for (doc, document) in ws.documents.iter().enumerate() {
        if !document.entry {
            continue;
        }
        let root = &document.root;
        let kind = if root.get("openapi").is_some() {
            Kind::OpenApi
        } else if root.get("asyncapi").is_some() {
            Kind::AsyncApi
        } else {
            l.diags.push(
                Diagnostic::new(ws.location(doc, "", root), "not an OpenAPI or AsyncAPI document")
                    .expected("a top-level `openapi: 3.x` or `asyncapi: 2.6/3.x` field"),
            );
            continue;
        };
        kinds.push((doc, kind));
    }
    // Components first, so named schemas keep their own names whatever refers to them.
    for &(doc, _) in &kinds {
        l.register_components(doc);
    }
    for &(doc, kind) in &kinds {
        match kind {
            Kind::OpenApi => l.openapi(doc),
            Kind::AsyncApi => l.asyncapi(doc),
        }
    }
    l.merged_title(&kinds);
    l.drain();
    l.check_alias_cycles();
    if !l.diags.is_empty() {
        return Err(l.diags);
    }
    let (mut api, mut warnings) = l.finish()?;
    warnings.extend(crate::analyze::analyze(&mut api, config.analysis()));
    Ok((api, warnings))
}

/// The name several titles share: their common leading words and common trailing words
/// (`Mews Connector API — Bills`, `Mews Connector API — Payments` → `Mews Connector API`),
/// without dangling separators.
fn common_title(titles: &[&str]) -> String {
    let words: Vec<Vec<&str>> = titles.iter().map(|t| t.split_whitespace().collect()).collect();
    let Some(first) = words.first() else { return String::new() };
    let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
    let lead = (0..shortest).take_while(|&i| words.iter().all(|w| w.get(i) == first.get(i))).count();
    let trail = (0..shortest - lead)
        .take_while(|&i| words.iter().all(|w| w.get(w.len() - 1 - i) == first.get(first.len() - 1 - i)))
        .count();
    let mut kept: Vec<&str> = first.iter().take(lead).copied().collect();
    kept.extend(first.iter().skip(first.len() - trail).copied());
    let joined = kept.join(" ");
    joined.trim_matches(|c: char| !c.is_alphanumeric() && c != ')' && c != '(').trim().to_owned()
}

#[derive(Clone, Copy)]
enum Kind {
    OpenApi,
    AsyncApi,
}

impl<'a> Lowerer<'a> {
    /// An API merged from files with different titles is named by what the titles share (or,
    /// if nothing, by the config's name); the first file's description, which describes only
    /// that file, is not used for the whole.
    fn merged_title(&mut self, kinds: &[(usize, Kind)]) {
        let titles: Vec<&str> = kinds
            .iter()
            .filter_map(|(doc, _)| self.ws[*doc].root.get("info")?.get("title")?.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if titles.iter().all(|t| Some(t) == titles.first()) {
            return;
        }
        let common = common_title(&titles);
        self.api.title = if common.is_empty() { self.config.name.to_owned() } else { common };
        self.api.docs.text = None;
    }

    pub fn loc(&self, ctx: &Ctx<'_>) -> Location {
        self.ws.location(ctx.doc, &ctx.pointer, ctx.node)
    }

    pub fn error(&mut self, ctx: &Ctx<'_>, message: impl Into<String>, expected: impl Into<String>) {
        let d = Diagnostic::new(self.loc(ctx), message).expected(expected);
        self.diags.push(d);
    }

    /// Reports input that is ignored or read by a guess; generation goes on.
    pub fn warn(&mut self, ctx: &Ctx<'_>, message: impl Into<String>, expected: impl Into<String>) {
        let d = Diagnostic::warning(self.loc(ctx), message).expected(expected);
        self.warnings.push(d);
    }

    /// Follows `$ref` chains (outside schemas: parameters, responses, messages...).
    pub fn deref(&mut self, ctx: Ctx<'a>) -> Option<Ctx<'a>> {
        let mut current = ctx.clone();
        for _ in 0..=self.config.ref_chain {
            let Some(reference) = current.get("$ref") else {
                return Some(current);
            };
            let Some(text) = reference.node.as_str() else {
                self.error(&reference, "`$ref` is not a string", "a reference such as `#/components/...`");
                return None;
            };
            match self.ws.resolve(current.doc, text) {
                Ok((target, node)) => current = Ctx { doc: target.doc, pointer: target.pointer, node },
                Err(message) => {
                    self.error(
                        &reference,
                        format!("unresolved $ref `{text}`: {message}"),
                        "a reference to an existing node",
                    );
                    return None;
                }
            }
        }
        self.error(
            &ctx,
            format!("`$ref` chain is circular or longer than {} references", self.config.ref_chain),
            "a reference that ends at a definition (or a larger `limits.ref_chain` in the codegen config)",
        );
        None
    }

    /// A map of names or a list, following it when it is written as a reference to it (an
    /// object whose only key is `$ref`, [`crate::load::ref_only`]): JSON Reference semantics,
    /// wherever the document allows an object. A broken, circular or too long chain is
    /// reported where it is written, and stands for nothing.
    pub fn container(&mut self, ctx: Ctx<'a>) -> Option<Ctx<'a>> {
        match self.follow_container(ctx) {
            Ok(found) => Some(found),
            Err((at, message, expected)) => {
                self.error(&at, message, expected);
                None
            }
        }
    }

    /// [`Self::container`] without reporting: what is wrong, where, and what was expected.
    pub fn follow_container(&self, ctx: Ctx<'a>) -> Result<Ctx<'a>, (Ctx<'a>, String, &'static str)> {
        let mut current = ctx.clone();
        for _ in 0..=self.config.ref_chain {
            let Some(text) = crate::load::ref_only(current.node) else {
                return Ok(current);
            };
            match self.ws.resolve(current.doc, text) {
                Ok((target, node)) => current = Ctx { doc: target.doc, pointer: target.pointer, node },
                Err(message) => {
                    let at = current.get("$ref").unwrap_or(current);
                    let message = format!("unresolved $ref `{text}`: {message}");
                    return Err((at, message, "a reference to an existing node"));
                }
            }
        }
        let message = format!("`$ref` chain is circular or longer than {} references", self.config.ref_chain);
        Err((
            ctx,
            message,
            "a reference that ends at a map or list (or a larger `limits.ref_chain` in the codegen config)",
        ))
    }

    /// Entries of the mapping member `key` of `ctx` (followed by [`Self::container`]), with
    /// their pointers.
    pub fn entries(&mut self, ctx: &Ctx<'a>, key: &str) -> Vec<(&'a str, Ctx<'a>)> {
        ctx.get(key).and_then(|member| self.container(member)).map(|m| m.map_entries()).unwrap_or_default()
    }

    /// Items of the sequence member `key` of `ctx` (followed by [`Self::container`]), with
    /// their pointers.
    pub fn items(&mut self, ctx: &Ctx<'a>, key: &str) -> Vec<Ctx<'a>> {
        ctx.get(key).and_then(|member| self.container(member)).map(|m| m.seq_items()).unwrap_or_default()
    }

    fn register_components(&mut self, doc: usize) {
        let root = Ctx { doc, pointer: String::new(), node: &self.ws[doc].root };
        let mut found = Vec::new();
        for container in [&["components", "schemas"][..], &["definitions"][..], &["$defs"][..]] {
            // Each step may be a reference to the map it stands for (`schemas: {$ref: ...}`).
            let mut at = Some(root.clone());
            for key in container {
                at = at.and_then(|c| c.get(key)).and_then(|c| self.container(c));
            }
            for (_, schema) in at.map(|c| c.map_entries()).unwrap_or_default() {
                found.push(Target { doc: schema.doc, pointer: schema.pointer });
            }
        }
        for target in found {
            self.named(target, "");
        }
    }

    /// The type for a `$ref` target, created (and queued for lowering) on first use.
    pub fn named(&mut self, target: Target, hint: &str) -> TypeId {
        if let Some(&id) = self.by_target.get(&target) {
            return id;
        }
        let segments = node::split_pointer(&target.pointer).unwrap_or_default();
        let Some(node) = self.node_at(&target) else {
            // Targets come from `Workspace::resolve` or from walking a document, so they exist.
            let id = self.defs.push(Def {
                wire: hint.to_owned(),
                synthesized: true,
                docs: Docs::default(),
                kind: Some(TypeKind::Alias(ir::TypeRef::Any)),
                origin: Location::file(""),
                target: None,
            });
            self.diags.push(Diagnostic::new(Location::file(""), format!("internal: nothing at `{}`", target.pointer)));
            return id;
        };
        let component = is_component(&segments, self.ws[target.doc].entry);
        let wire = match segments.last() {
            Some(last) if component => last.clone(),
            Some(last)
                if last.starts_with(|c: char| c.is_ascii_alphabetic())
                    && !["schema", "items", "payload", "additionalProperties", "not"].contains(&last.as_str()) =>
            {
                last.clone()
            }
            Some(_) => hint.to_owned(),
            None => file_stem(&self.ws[target.doc].path),
        };
        let origin = self.ws.location(target.doc, &target.pointer, node);
        // `Name: {$ref: 'file.yaml#/Name'}` re-exports a schema: one type, not two.
        if let Some(reference) =
            node.get("$ref").and_then(Node::as_str).filter(|_| node.as_map().is_some_and(|m| m.len() == 1))
        {
            if let Ok((inner, _)) = self.ws.resolve(target.doc, reference) {
                let same_name = inner.pointer.rsplit('/').next() == Some(wire.as_str());
                if same_name && inner != target {
                    // Mark this target first so a cycle of such re-exports ends.
                    let within_limit = self.reexport_stack.len() < self.config.ref_chain;
                    if self.by_target.contains_key(&inner) || (within_limit && !self.reexport_stack.contains(&inner)) {
                        self.reexport_stack.push(target.clone());
                        let id = self.named(inner, hint);
                        self.reexport_stack.pop();
                        self.by_target.insert(target, id);
                        return id;
                    }
                }
            }
        }
        if component {
            if let Some(&existing) = self.by_wire.get(&wire) {
                let first_node = self.defs[existing].target.clone().and_then(|first| self.node_at(&first));
                if first_node == Some(node) {
                    self.by_target.insert(target, existing);
                    return existing;
                }
                let first_origin = self.defs[existing].origin.clone();
                self.diags.push(
                    Diagnostic::new(origin.clone(), format!("schema `{wire}` is defined twice with different content"))
                        .expected("identical definitions when several files declare the same schema name")
                        .related(first_origin, "first definition"),
                );
            }
        }
        let id = self.defs.push(Def {
            wire: wire.clone(),
            synthesized: !component,
            docs: docs_of(node),
            kind: None,
            origin,
            target: Some(target.clone()),
        });
        if component {
            self.by_wire.entry(wire).or_insert(id);
        }
        self.by_target.insert(target.clone(), id);
        self.queue.push_back((id, target));
        id
    }

    pub fn node_at(&self, target: &Target) -> Option<&'a Node> {
        let segments = node::split_pointer(&target.pointer)?;
        self.ws.documents.get(target.doc)?.root.pointer(&segments)
    }

    /// Lowers queued named schemas until none are left.
    fn drain(&mut self) {
        while let Some((id, target)) = self.queue.pop_front() {
            let Some(node) = self.node_at(&target) else { continue };
            let hint = self.defs[id].wire.clone();
            let ctx = Ctx { doc: target.doc, pointer: target.pointer.clone(), node };
            if !self.defs[id].synthesized {
                if let Some(settings) = self.config.unions.get(&hint).filter(|u| !u.by_path()) {
                    self.configured_union(&ctx, id, settings);
                    continue;
                }
            }
            let lowered = self.schema(&ctx, &hint, Some(id), 0);
            if self.defs[id].kind.is_none() {
                if lowered.ty == ir::TypeRef::Named(id) {
                    self.error(&ctx, "schema refers only to itself", "a schema with content");
                    self.defs[id].kind = Some(TypeKind::Alias(ir::TypeRef::Any));
                } else {
                    self.defs[id].kind = Some(TypeKind::Alias(lowered.ty));
                }
            }
        }
    }

    /// A `{tag, content}` object the config maps to variants: an adjacently tagged union.
    fn configured_union(&mut self, ctx: &Ctx<'a>, id: TypeId, settings: &crate::config::UnionSettings) {
        let properties = ctx.node.get("properties").and_then(Node::as_map);
        for property in [&settings.tag, &settings.content] {
            if !properties.is_some_and(|p| p.contains_key(property.as_str())) {
                self.error(
                    ctx,
                    format!("the codegen config maps this schema's variants, but it has no property `{property}`"),
                    format!("an object with properties `{}` and `{}`", settings.tag, settings.content),
                );
            }
        }
        let mut variants = Vec::new();
        for (value, schema) in &settings.variants {
            let ty = match self.by_wire.get(schema) {
                Some(&variant_id) => ir::TypeRef::Named(variant_id),
                None => {
                    self.error(
                        ctx,
                        format!("the codegen config maps `{value}` to schema `{schema}`, which does not exist"),
                        "the name of a schema under components/schemas",
                    );
                    continue;
                }
            };
            variants.push(ir::UnionVariant {
                name: ir::Name { wire: value.clone(), rust: crate::naming::variant_name(value, "Variant") },
                ty: Some(ty),
                docs: Docs::default(),
                boxed: false,
                nullable: false,
            });
        }
        crate::naming::dedupe(variants.iter_mut().map(|v| &mut v.name.rust), false);
        let unknown = union::unknown_name(variants.iter().map(|v| v.name.rust.as_str()));
        let tagging = ir::Tagging::Adjacent { tag: settings.tag.clone(), content: settings.content.clone() };
        self.defs[id].kind = Some(TypeKind::Union(ir::Union { tagging, variants, unknown }));
    }

    /// `A = B`, `B = A`: names that only refer to each other have no content. Reported once per
    /// cycle, at its first member.
    fn check_alias_cycles(&mut self) {
        let alias_of = |defs: &Defs, id: TypeId| match &defs[id].kind {
            Some(TypeKind::Alias(ir::TypeRef::Named(next))) => Some(*next),
            _ => None,
        };
        let mut reported = vec![false; self.defs.len()];
        for start in 0..self.defs.len() {
            let mut chain = vec![TypeId(start)];
            let mut current = TypeId(start);
            while let Some(next) = alias_of(&self.defs, current) {
                if next == TypeId(start) {
                    if chain.iter().all(|id| !reported.get(id.0).copied().unwrap_or(false)) {
                        let names: Vec<&str> = chain.iter().map(|id| self.defs[*id].wire.as_str()).collect();
                        let first = names.first().copied().unwrap_or_default();
                        let d = Diagnostic::new(
                            self.defs[TypeId(start)].origin.clone(),
                            format!("schemas only refer to each other: {} → {first}", names.join(" → ")),
                        )
                        .expected("a cycle of references to pass through an object, array or union");
                        self.diags.push(d);
                    }
                    for id in &chain {
                        if let Some(flag) = reported.get_mut(id.0) {
                            *flag = true;
                        }
                    }
                    break;
                }
                if chain.contains(&next) || chain.len() > self.defs.len() {
                    break;
                }
                chain.push(next);
                current = next;
            }
        }
    }

    /// Adds a type made from an inline schema (or fills `target` if given).
    pub fn define(&mut self, target: Option<TypeId>, hint: &str, ctx: &Ctx<'_>, kind: TypeKind) -> TypeId {
        match target {
            Some(id) => {
                self.defs[id].kind = Some(kind);
                id
            }
            None => {
                // An inline type is only deprecated through the property that holds it.
                let docs = Docs { deprecated: None, ..docs_of(ctx.node) };
                // When the made-up name is a component's, a name the spec gives the inline schema
                // (`x-schema-id`) beats a numeric suffix.
                let wire = match ctx.node.get("x-schema-id").and_then(Node::as_str) {
                    Some(id) if self.by_wire.contains_key(hint) && !id.is_empty() && !self.by_wire.contains_key(id) => {
                        id.to_owned()
                    }
                    _ => hint.to_owned(),
                };
                self.defs.push(Def {
                    wire,
                    synthesized: true,
                    docs,
                    kind: Some(kind),
                    origin: self.loc(ctx),
                    target: None,
                })
            }
        }
    }
}

/// True for pointers that name a reusable schema: `/components/schemas/X`, `/definitions/X`,
/// `/$defs/X`, or a top-level key of a file that only holds schemas.
fn is_component(segments: &[String], entry: bool) -> bool {
    match segments {
        [a, b, _] => a == "components" && b == "schemas",
        [a, _] => a == "definitions" || a == "$defs",
        [_] => !entry,
        _ => false,
    }
}

pub(crate) fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name).to_owned()
}

/// Description (with title), and deprecation of a schema, operation or property node.
pub(crate) fn docs_of(node: &Node) -> Docs {
    // A title that only spells the name of the schema referred to (`Boolean update value` over
    // `BooleanUpdateValue`) says nothing.
    let squash =
        |text: &str| text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let referred: Vec<String> = std::iter::once(node)
        .chain(["allOf", "oneOf", "anyOf"].into_iter().filter_map(|k| match node.get(k).and_then(Node::as_seq) {
            Some([single]) => Some(single),
            _ => None,
        }))
        .filter_map(|n| n.get("$ref").and_then(Node::as_str))
        .filter_map(|r| r.rsplit('/').next())
        .map(squash)
        .collect();
    let title = node
        .get("title")
        .and_then(Node::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter(|t| !referred.contains(&squash(t)));
    let description = node
        .get("description")
        .or_else(|| node.get("summary"))
        .and_then(Node::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let text = match (title, description) {
        (Some(t), Some(d)) if !d.starts_with(t) => Some(format!("{t}\n\n{d}")),
        (_, Some(d)) => Some(d.to_owned()),
        (Some(t), None) => Some(t.to_owned()),
        (None, None) => None,
    };
    let deprecated = matches!(node.get("deprecated").map(|n| &n.value), Some(Value::Bool(true))).then(|| {
        node.get("x-deprecatedMessage")
            .or_else(|| node.get("x-deprecated-message"))
            .and_then(Node::as_str)
            .map(|s| s.trim().to_owned())
    });
    Docs { text, deprecated }
}

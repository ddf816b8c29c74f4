//! Unions: `oneOf`/`anyOf` tagged by a discriminator, a common constant property or the one
//! key of each member; Mews-style coproducts; and properties the config makes unions by a path.

use std::collections::HashSet;

use heck::ToUpperCamelCase;

use super::object::ObjectView;
use super::schema::{Lowered, MAX_DEPTH, const_string, flag, is_null_schema, types_of};
use super::{Ctx, Lowerer, docs_of};
use crate::ir::{Docs, Name, Tagging, TypeId, TypeKind, TypeRef, Union, UnionVariant};
use crate::load::Target;
use crate::naming;
use crate::node::Node;

impl<'a> Lowerer<'a> {
    /// A property the codegen config makes a union chosen by a path from the object holding it
    /// (`unions: {DeviceCommand.Data: {tag: Device.Type, variants: {...}}}`): one variant per
    /// tag value, whose payload is the schema the config names. The path itself is checked
    /// once every type is known (`finish`).
    pub(super) fn path_union(
        &mut self,
        prop: &Ctx<'a>,
        key: &str,
        settings: &crate::config::UnionSettings,
        hint: &str,
    ) -> Lowered {
        self.path_unions.insert(key.to_owned());
        let at = format!("/unions/{}", crate::node::escape_pointer_segment(key));
        let mut variants = Vec::new();
        for (value, schema) in &settings.variants {
            let Some(&id) = self.by_wire.get(schema) else {
                let pointer = format!("{at}/variants/{}", crate::node::escape_pointer_segment(value));
                self.diags.push(
                    crate::diag::Diagnostic::new(
                        self.config.origin(&pointer),
                        format!("`unions: {key}` maps `{value}` to schema `{schema}`, which does not exist"),
                    )
                    .expected("the name of a schema under components/schemas"),
                );
                continue;
            };
            variants.push(UnionVariant {
                name: Name { rust: naming::variant_name(value, "Variant"), wire: value.clone() },
                ty: Some(TypeRef::Named(id)),
                docs: Docs { text: Some(format!("`{}` is `{value}`.", settings.tag)), deprecated: None },
                boxed: false,
                nullable: false,
            });
        }
        naming::dedupe(variants.iter_mut().map(|v| &mut v.name.rust), false);
        let unknown = unknown_name(variants.iter().map(|v| v.name.rust.as_str()));
        let path = settings.tag.split('.').map(str::to_owned).collect();
        // A name a component already has would get a number; the tag says what sets it apart.
        let hint = match settings.tag.rsplit('.').next() {
            Some(last) if self.by_wire.contains_key(hint) => format!("{hint}By{}", naming::type_name(last, "Tag")),
            _ => hint.to_owned(),
        };
        let kind = TypeKind::Union(Union { tagging: Tagging::Sibling { path }, variants, unknown });
        let id = self.define(None, &hint, prop, kind);
        let nullable = flag(prop.node, "nullable")
            || types_of(prop.node).1
            || ["oneOf", "anyOf"].iter().any(|k| self.items(prop, k).iter().any(|m| is_null_schema(m.node)));
        Lowered { ty: TypeRef::Named(id), nullable }
    }

    /// `{Discriminator: <string enum>, Value: oneOf [...]}` with no mapping (Mews' coproducts):
    /// an adjacently tagged union with one variant per enum value. A value whose name starts a
    /// member's schema name or title gets that member as payload; the others carry raw JSON, so
    /// nothing is lost.
    pub(super) fn coproduct(
        &mut self,
        s: &Ctx<'a>,
        view: &ObjectView<'a>,
        hint: &str,
        target: Option<TypeId>,
        depth: u32,
    ) -> Option<TypeRef> {
        let [(a, ac), (b, bc)] = view.props.as_slice() else {
            return None;
        };
        let ((tag, tag_ctx), (content, content_ctx)) =
            { if self.enum_values(ac).is_some() { ((*a, ac), (*b, bc)) } else { ((*b, bc), (*a, ac)) } };
        let values = self.enum_values(tag_ctx)?;
        let key = ["oneOf", "anyOf"].into_iter().find(|k| content_ctx.node.get(k).is_some())?;
        let (nulls, members): (Vec<_>, Vec<_>) =
            self.items(content_ctx, key).into_iter().partition(|m| is_null_schema(m.node));
        if members.len() < 2 {
            return None;
        }
        let nullable = !nulls.is_empty() || flag(content_ctx.node, "nullable");
        // A member answers to its schema name and to its title (its own or its target's).
        let labels: Vec<Vec<String>> = members
            .iter()
            .map(|m| {
                let target = m.node.get("$ref").and_then(Node::as_str).and_then(|r| self.ws.resolve(m.doc, r).ok());
                let titles = [m.node.get("title"), target.and_then(|(_, node)| node.get("title"))];
                ref_name(m.node)
                    .into_iter()
                    .chain(titles.into_iter().flatten().filter_map(Node::as_str).map(|t| naming::type_name(t, "")))
                    .map(|label| label.to_ascii_lowercase())
                    .collect()
            })
            .collect();
        let mut matched: Vec<Option<usize>> = values
            .iter()
            .map(|value| {
                let lower = value.to_ascii_lowercase();
                let found: Vec<usize> = labels
                    .iter()
                    .enumerate()
                    .filter(|(_, names)| names.iter().any(|label| label.starts_with(&lower)))
                    .map(|(i, _)| i)
                    .collect();
                match found.as_slice() {
                    [i] => Some(*i),
                    _ => None,
                }
            })
            .collect();
        // Without a single name in common, the two properties are not a tag and its content.
        if matched.iter().all(Option::is_none) {
            return None;
        }
        // One value and one member left over belong together (`Absolute` and `ExtendedAmount`).
        let free_members: Vec<usize> = (0..members.len()).filter(|i| !matched.contains(&Some(*i))).collect();
        let free_values: Vec<usize> = (0..values.len()).filter(|i| matched.get(*i) == Some(&None)).collect();
        if let ([value], [member]) = (free_values.as_slice(), free_members.as_slice()) {
            if let Some(slot) = matched.get_mut(*value) {
                *slot = Some(*member);
            }
        }
        let raw: Vec<&str> =
            values.iter().zip(&matched).filter(|(_, m)| m.is_none()).map(|(v, _)| v.as_str()).collect();
        if !raw.is_empty() {
            self.warn(
                content_ctx,
                format!(
                    "no member of `{content}` is named after the `{tag}` value{} `{}`: {} payload is kept as raw JSON (`serde_json::Value`)",
                    if raw.len() == 1 { "" } else { "s" },
                    raw.join("`, `"),
                    if raw.len() == 1 { "its" } else { "their" },
                ),
                "a member whose schema name or title starts with each tag value, or a `unions` entry in the codegen config",
            );
        }
        let mut variants = Vec::new();
        for (value, member) in values.into_iter().zip(matched) {
            let variant_hint = format!("{hint}{}", naming::type_name(&value, "Variant"));
            let (ty, nullable) = match member.and_then(|i| members.get(i)) {
                Some(m) => (self.schema(m, &variant_hint, None, depth + 1).ty, nullable),
                None => (TypeRef::Any, false),
            };
            variants.push(UnionVariant {
                name: Name { rust: naming::variant_name(&value, "Variant"), wire: value },
                ty: Some(ty),
                docs: Docs::default(),
                boxed: false,
                nullable,
            });
        }
        naming::dedupe(variants.iter_mut().map(|v| &mut v.name.rust), false);
        let unknown = unknown_name(variants.iter().map(|v| v.name.rust.as_str()));
        let tagging = Tagging::Adjacent { tag: tag.to_owned(), content: content.to_owned() };
        let id = self.define(target, hint, s, TypeKind::Union(Union { tagging, variants, unknown }));
        Some(TypeRef::Named(id))
    }

    /// Warns about discriminator `mapping` entries that name no schema, or a schema that is not
    /// a member of the union: such a tag value is read as unknown.
    pub(super) fn check_mapping(&mut self, discriminator: &Ctx<'a>, members: &[Ctx<'a>]) {
        let member_targets: Vec<crate::load::Target> = members
            .iter()
            .filter_map(|m| {
                let reference = m.node.get("$ref").and_then(Node::as_str)?;
                self.ws.resolve(m.doc, reference).ok().map(|(t, _)| t)
            })
            .collect();
        for (value, target) in self.entries(discriminator, "mapping") {
            let Some(text) = target.node.as_str() else { continue };
            // A bare name stands for a component schema.
            let reference = if text.contains('#') || text.contains('/') {
                text.to_owned()
            } else {
                format!("#/components/schemas/{text}")
            };
            match self.ws.resolve(target.doc, &reference) {
                Err(message) => self.warn(
                    &target,
                    format!("discriminator mapping `{value}` names a missing schema `{text}` ({message}); values `{value}` decode as unknown"),
                    "a reference to a member schema of this union",
                ),
                Ok((t, _)) if !member_targets.contains(&t) => self.warn(
                    &target,
                    format!("discriminator mapping `{value}` names `{text}`, which is not a member of the union; it is ignored"),
                    "a reference to a member schema of this union",
                ),
                Ok(_) => {}
            }
        }
    }

    /// The object view of a union member, if it is an object.
    pub(super) fn view_of(&mut self, member: &Ctx<'a>, depth: u32) -> Option<ObjectView<'a>> {
        let mut view = ObjectView::default();
        let mut current = member.clone();
        for _ in 0..MAX_DEPTH {
            match current.node.get("$ref").and_then(Node::as_str) {
                Some(r) => match self.ws.resolve(current.doc, r) {
                    Ok((t, node)) => current = Ctx { doc: t.doc, pointer: t.pointer, node },
                    Err(_) => return None,
                },
                None => break,
            }
        }
        let (types, _) = types_of(current.node);
        let objectish = types == ["object"]
            || (types.is_empty() && (current.node.get("properties").is_some() || current.node.get("allOf").is_some()));
        if !objectish {
            return None;
        }
        self.collect_object(&current, &mut view, depth + 1);
        Some(view)
    }

    /// Docs of a union member, falling back to the schema it refers to.
    pub(super) fn member_docs(&mut self, member: &Ctx<'a>) -> Docs {
        let docs = docs_of(member.node);
        if docs.text.is_some() {
            return docs;
        }
        match member.node.get("$ref").and_then(Node::as_str).and_then(|r| self.ws.resolve(member.doc, r).ok()) {
            Some((_, node)) => Docs { deprecated: None, ..docs_of(node) },
            None => docs,
        }
    }

    pub(super) fn union(
        &mut self,
        s: &Ctx<'a>,
        members: Vec<Ctx<'a>>,
        hint: &str,
        target: Option<TypeId>,
        depth: u32,
    ) -> TypeRef {
        let views: Vec<Option<ObjectView<'a>>> = members.iter().map(|m| self.view_of(m, depth)).collect();
        let mut variants = Vec::new();
        let tagging;

        let discriminator = s.get("discriminator");
        if let Some(d) = &discriminator {
            self.check_mapping(d, &members);
        }
        let tag_property = discriminator
            .as_ref()
            .and_then(|d| d.node.get("propertyName"))
            .and_then(Node::as_str)
            .map(str::to_owned)
            .or_else(|| common_const_property(&views, self.repeated_tags));

        if let Some(tag) = tag_property {
            let adjacent =
                views.iter().all(|v| v.as_ref().is_some_and(|v| v.props.len() == 2 && v.prop(&tag).is_some()));
            let content = views
                .first()
                .and_then(Option::as_ref)
                .and_then(|v| v.props.iter().find(|(n, _)| *n != tag).map(|(n, _)| (*n).to_owned()));
            let adjacent_content =
                content.filter(|c| adjacent && views.iter().all(|v| v.as_ref().is_some_and(|v| v.prop(c).is_some())));
            for (member, view) in members.iter().zip(&views) {
                let value = view
                    .as_ref()
                    .and_then(|v| v.prop(&tag))
                    .and_then(|p| const_string(p.node))
                    .or_else(|| mapping_value(discriminator.as_ref().map(|d| d.node), member.node))
                    .or_else(|| ref_name(member.node))
                    .unwrap_or_else(|| format!("Variant{}", variants.len() + 1));
                let variant_hint = format!("{hint}{}", naming::type_name(&value, "Variant"));
                // A member that is already a named type (a message payload several places
                // reach) stays that type.
                let known = self.by_target.get(&Target { doc: member.doc, pointer: member.pointer.clone() }).copied();
                let inline = member.node.get("$ref").is_none() && known.is_none();
                let ty = match (&adjacent_content, view) {
                    // `adjacent_content` is set only when every member has that property.
                    (Some(content), Some(view)) => {
                        let ctx = view.prop(content).cloned().unwrap_or_else(|| member.clone());
                        Some(self.schema(&ctx, &variant_hint, None, depth + 1).ty)
                    }
                    // An inline member's tag lives in the enum, not in its payload struct.
                    (None, Some(view)) if inline => {
                        let rest = ObjectView::of(
                            view.props.iter().filter(|(n, _)| *n != tag).cloned().collect(),
                            view.required.clone(),
                        );
                        if rest.props.is_empty() {
                            None
                        } else {
                            Some(self.object(member, rest, &variant_hint, None, depth + 1))
                        }
                    }
                    _ => Some(match known {
                        Some(id) => TypeRef::Named(id),
                        None => self.schema(member, &variant_hint, None, depth + 1).ty,
                    }),
                };
                variants.push(UnionVariant {
                    name: Name { rust: naming::variant_name(&value, "Variant"), wire: value },
                    ty,
                    docs: self.member_docs(member),
                    boxed: false,
                    nullable: false,
                });
            }
            tagging = match adjacent_content {
                Some(content) => Tagging::Adjacent { tag, content },
                None => Tagging::Internal { tag },
            };
        } else if let Some(keys) = external_keys(&views) {
            variants = self.external_variants(keys, &views, hint, depth);
            tagging = Tagging::External;
        } else {
            variants = self.untagged_variants(&members, hint, depth);
            tagging = Tagging::Untagged;
        }
        naming::dedupe(variants.iter_mut().map(|v| &mut v.name.rust), false);
        let unknown = unknown_name(variants.iter().map(|v| v.name.rust.as_str()));
        let id = self.define(target, hint, s, TypeKind::Union(Union { tagging, variants, unknown }));
        TypeRef::Named(id)
    }

    /// `{"Kind": {...}}` members: one variant per member, named by its one key.
    fn external_variants(
        &mut self,
        keys: Vec<String>,
        views: &[Option<ObjectView<'a>>],
        hint: &str,
        depth: u32,
    ) -> Vec<UnionVariant> {
        let mut variants = Vec::new();
        for (key, view) in keys.into_iter().zip(views) {
            // `external_keys` found each key among its member's properties.
            let Some(ctx) = view.as_ref().and_then(|v| v.prop(&key)).cloned() else { continue };
            let variant_hint = format!("{hint}{}", naming::type_name(&key, "Variant"));
            let ty = self.schema(&ctx, &variant_hint, None, depth + 1).ty;
            variants.push(UnionVariant {
                name: Name { rust: naming::variant_name(&key, "Variant"), wire: key },
                ty: Some(ty),
                docs: docs_of(ctx.node),
                boxed: false,
                nullable: false,
            });
        }
        variants
    }

    /// Members with no tag: one variant per member, named by its `$ref`, title or shape.
    fn untagged_variants(&mut self, members: &[Ctx<'a>], hint: &str, depth: u32) -> Vec<UnionVariant> {
        let mut variants = Vec::new();
        for (i, member) in members.iter().enumerate() {
            let label = ref_name(member.node)
                .or_else(|| member.node.get("title").and_then(Node::as_str).map(str::to_owned))
                .unwrap_or_else(|| shape_name(member.node, i));
            let variant_hint = format!("{hint}{}", naming::type_name(&label, "Variant"));
            let known = self.by_target.get(&Target { doc: member.doc, pointer: member.pointer.clone() }).copied();
            let ty = match known {
                Some(id) => TypeRef::Named(id),
                None => self.schema(member, &variant_hint, None, depth + 1).ty,
            };
            variants.push(UnionVariant {
                name: Name { rust: naming::variant_name(&label, "Variant"), wire: label },
                ty: Some(ty),
                docs: self.member_docs(member),
                boxed: false,
                nullable: false,
            });
        }
        variants
    }
}

/// A property every member fixes to a distinct string: the natural tag of the union.
pub(super) fn common_const_property(views: &[Option<ObjectView<'_>>], repeats: bool) -> Option<String> {
    if views.len() < 2 || views.iter().any(Option::is_none) {
        return None;
    }
    let first = views.first()?.as_ref()?;
    'candidates: for (name, _) in &first.props {
        let mut values = HashSet::new();
        for view in views.iter().flatten() {
            match view.prop(name).and_then(|p| const_string(p.node)) {
                Some(v) => {
                    if !values.insert(v) && !repeats {
                        continue 'candidates;
                    }
                }
                None => continue 'candidates,
            }
        }
        return Some((*name).to_owned());
    }
    None
}

/// For `{"Kind": {...}}` unions: each member has exactly one required property, all different.
pub(super) fn external_keys(views: &[Option<ObjectView<'_>>]) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    for view in views {
        let view = view.as_ref()?;
        let [(key, _)] = view.props.as_slice() else { return None };
        if !view.required.contains(*key) {
            return None;
        }
        let key = (*key).to_owned();
        if !seen.insert(key.clone()) {
            return None;
        }
        keys.push(key);
    }
    (keys.len() >= 2).then_some(keys)
}

/// The discriminator `mapping` value whose target is this member's `$ref`.
pub(super) fn mapping_value(discriminator: Option<&Node>, member: &Node) -> Option<String> {
    let reference = member.get("$ref")?.as_str()?;
    let mapping = discriminator?.get("mapping")?.as_map()?;
    mapping.iter().find(|(_, v)| v.as_str() == Some(reference)).map(|(k, _)| k.clone())
}

/// The last segment of a member's `$ref`.
pub(super) fn ref_name(member: &Node) -> Option<String> {
    let reference = member.get("$ref")?.as_str()?;
    let last = reference.rsplit(['/', '#']).next()?;
    (!last.is_empty()).then(|| last.split('.').next().unwrap_or(last).to_owned())
}

/// A variant label for an anonymous member, from its shape.
pub(super) fn shape_name(node: &Node, index: usize) -> String {
    let (types, _) = types_of(node);
    match types.as_slice() {
        [t] => match *t {
            "string" => "String".into(),
            "integer" => "Integer".into(),
            "number" => "Number".into(),
            "boolean" => "Boolean".into(),
            "array" => "List".into(),
            _ => format!("Variant{}", index + 1),
        },
        _ => format!("Variant{}", index + 1),
    }
    .to_upper_camel_case()
}

/// `Unknown`, unless a real variant already has that name; then the first free name of
/// [`naming::CATCH_ALL`], then `UnknownVariant` with the first free number.
pub(super) fn unknown_name<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let taken: HashSet<&str> = names.collect();
    if let Some(free) = naming::CATCH_ALL.iter().find(|c| !taken.contains(*c)) {
        return (*free).to_owned();
    }
    (2..).map(|n| format!("UnknownVariant{n}")).find(|c| !taken.contains(c.as_str())).unwrap_or_default()
}

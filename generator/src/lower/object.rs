//! Object schemas: properties and required names merged across `$ref` and `allOf`, then one struct.

use std::collections::{HashMap, HashSet};

use super::schema::{MAX_DEPTH, flag, override_type, types_of};
use super::{Ctx, Lowerer, docs_of};
use crate::ir::{Field, Name, Presence, Primitive, Struct, TypeId, TypeKind, TypeRef};
use crate::naming;
use crate::node::Node;

/// Properties and required names of an object schema, with `$ref` and `allOf` followed.
#[derive(Default)]
pub(super) struct ObjectView<'a> {
    pub(super) props: Vec<(&'a str, Ctx<'a>)>,
    /// Position of each property in `props`, so merging stays linear in the property count.
    index: HashMap<&'a str, usize>,
    pub(super) required: HashSet<String>,
    /// `$ref` targets (document, pointer) being merged, outermost first, to report cycles.
    merging: Vec<(usize, String)>,
    /// `$ref` targets merged already: one reached again adds nothing, and following it again
    /// would make the work grow exponentially with the number of such members.
    merged: HashSet<(usize, String)>,
}

impl<'a> ObjectView<'a> {
    pub(super) fn prop(&self, name: &str) -> Option<&Ctx<'a>> {
        self.index.get(name).and_then(|&i| self.props.get(i)).map(|(_, ctx)| ctx)
    }

    /// A view of the given properties (each name once).
    pub(super) fn of(props: Vec<(&'a str, Ctx<'a>)>, required: HashSet<String>) -> Self {
        let index = props.iter().enumerate().map(|(i, (n, _))| (*n, i)).collect();
        ObjectView { props, index, required, ..ObjectView::default() }
    }
}

impl<'a> Lowerer<'a> {
    pub(super) fn collect_object(&mut self, s: &Ctx<'a>, view: &mut ObjectView<'a>, depth: u32) {
        if depth > MAX_DEPTH {
            self.error(s, "allOf members nest too deeply (a reference cycle?)", "a schema that ends");
            return;
        }
        if let Some(reference) = s.node.get("$ref").and_then(Node::as_str) {
            match self.ws.resolve(s.doc, reference) {
                Ok((t, node)) => {
                    let key = (t.doc, t.pointer.clone());
                    if view.merging.contains(&key) {
                        let at = s.get("$ref").unwrap_or_else(|| s.clone());
                        self.error(
                            &at,
                            format!("allOf member `{reference}` refers back to the schema it is part of"),
                            "allOf members that do not contain the schema itself",
                        );
                        return;
                    }
                    if !view.merged.insert(key.clone()) {
                        return;
                    }
                    view.merging.push(key);
                    let ctx = Ctx { doc: t.doc, pointer: t.pointer, node };
                    self.collect_object(&ctx, view, depth + 1);
                    view.merging.pop();
                }
                Err(message) => {
                    let at = s.get("$ref").unwrap_or_else(|| s.clone());
                    self.error(
                        &at,
                        format!("unresolved $ref `{reference}`: {message}"),
                        "a reference to an existing schema",
                    );
                }
            }
            return;
        }
        for member in self.items(s, "allOf") {
            self.collect_object(&member, view, depth + 1);
        }
        for (name, prop) in self.entries(s, "properties") {
            match view.index.get(name).and_then(|&i| view.props.get_mut(i)) {
                Some(slot) => {
                    let (before, after) = (self.declared_types(&slot.1), self.declared_types(&prop));
                    let earlier = slot.1.clone();
                    slot.1 = prop.clone();
                    if !before.is_empty() && !after.is_empty() && before != after {
                        let d = crate::diag::Diagnostic::warning(
                            self.loc(&prop),
                            format!(
                                "`allOf` members disagree on property `{name}`: {} before, {} here; the later one is used",
                                before.join(" or "),
                                after.join(" or ")
                            ),
                        )
                        .expected("`allOf` members that agree on the type of shared properties")
                        .related(self.loc(&earlier), "the earlier declaration");
                        self.warnings.push(d);
                    }
                }
                None => {
                    view.index.insert(name, view.props.len());
                    view.props.push((name, prop));
                }
            }
        }
        if let Some(required) = s.node.get("required").and_then(Node::as_seq) {
            view.required.extend(required.iter().filter_map(Node::as_str).map(str::to_owned));
        }
    }

    /// The `type` a property schema declares (following `$ref`s), for comparisons.
    pub(super) fn declared_types(&self, ctx: &Ctx<'a>) -> Vec<String> {
        let mut current = ctx.clone();
        for _ in 0..MAX_DEPTH {
            match current.node.get("$ref").and_then(Node::as_str).and_then(|r| self.ws.resolve(current.doc, r).ok()) {
                Some((t, node)) => current = Ctx { doc: t.doc, pointer: t.pointer, node },
                None => break,
            }
        }
        let (types, _) = types_of(current.node);
        let mut types: Vec<String> = types.into_iter().map(str::to_owned).collect();
        types.sort();
        types
    }

    pub(super) fn object_schema(&mut self, s: &Ctx<'a>, hint: &str, target: Option<TypeId>, depth: u32) -> TypeRef {
        let mut view = ObjectView::default();
        self.collect_object(s, &mut view, depth);
        self.object(s, view, hint, target, depth)
    }

    pub(super) fn object(
        &mut self,
        s: &Ctx<'a>,
        view: ObjectView<'a>,
        hint: &str,
        target: Option<TypeId>,
        depth: u32,
    ) -> TypeRef {
        if !view.props.is_empty() {
            if let Some(ap) = s.get("additionalProperties").filter(|ap| ap.node.as_map().is_some_and(|m| !m.is_empty()))
            {
                self.warn(
                    &ap,
                    "`additionalProperties` next to `properties` is ignored: the struct keeps only the declared properties",
                    "either `properties` or an `additionalProperties` map",
                );
            }
        }
        if view.props.is_empty() {
            if let Some(ap) = s.get("additionalProperties").filter(|ap| ap.node.as_map().is_some()) {
                let lowered = self.schema(&ap, &format!("{hint}Value"), None, depth + 1);
                return TypeRef::Map(Box::new(lowered.ty));
            }
            if target.is_none() {
                self.warn_any(s);
                return TypeRef::Any;
            }
        }
        if let Some(ty) = self.coproduct(s, &view, hint, target, depth) {
            return ty;
        }
        let parent_name = target.map(|id| self.defs[id].wire.clone()).unwrap_or_else(|| hint.to_owned());
        let mut fields = Vec::with_capacity(view.props.len());
        for (name, prop) in &view.props {
            let field_hint = format!("{hint}{}", naming::type_name(name, "Field"));
            let key = format!("{parent_name}.{name}");
            let mut lowered = match self.config.unions.get(&key).filter(|u| u.by_path()) {
                Some(settings) => self.path_union(prop, &key, settings, &field_hint),
                None => self.schema(prop, &field_hint, None, depth + 1),
            };
            let mut docs = docs_of(prop.node);
            if let Some(over) = self.config.overrides.get(&key) {
                lowered.ty = override_type(&over.ty);
                let note = format!("Type set by the codegen config: {}", over.reason.trim());
                docs.text = Some(match docs.text.take() {
                    Some(text) => format!("{text}\n\n{note}"),
                    None => note,
                });
            }
            if self.config.decimals.iter().any(|p| crate::config::glob(p, &key)) {
                match &mut lowered.ty {
                    TypeRef::Primitive(p @ (Primitive::F64 | Primitive::F32 | Primitive::I64 | Primitive::I32)) => {
                        *p = Primitive::Decimal;
                    }
                    TypeRef::List(inner) if matches!(**inner, TypeRef::Primitive(Primitive::F64 | Primitive::F32)) => {
                        **inner = TypeRef::Primitive(Primitive::Decimal);
                    }
                    TypeRef::Primitive(Primitive::Decimal) => {}
                    _ => self.warn(
                        prop,
                        format!(
                            "`decimals` in the codegen config names `{key}`, which is not a number; it keeps its type"
                        ),
                        "a property of type number",
                    ),
                }
            }
            let required = view.required.contains(*name);
            if self.config.tolerate_null && required {
                lowered.nullable = true;
            }
            let secret = flag(prop.node, "x-secret")
                || prop.node.get("format").and_then(Node::as_str) == Some("password")
                || self.config.body_fields.iter().any(|f| f == name)
                || self.config.secrets.iter().any(|s| crate::config::glob(s, &key));
            fields.push(Field {
                name: Name { wire: (*name).to_owned(), rust: naming::field_name(name) },
                ty: lowered.ty,
                required,
                nullable: lowered.nullable,
                secret,
                docs,
                boxed: false,
                presence: Presence::Plain,
                isolated: false,
            });
        }
        naming::dedupe(fields.iter_mut().map(|f| &mut f.name.rust), true);
        let update_wrapper = matches!(fields.as_slice(), [only] if only.name.wire == "Value")
            && (parent_name.ends_with("UpdateValue") || flag(s.node, "x-update-value"));
        for f in &mut fields {
            f.presence = Presence::of(f.required, f.nullable, update_wrapper, self.config.null_means_absent);
        }
        let id = self.define(target, hint, s, TypeKind::Struct(Struct { fields, update_wrapper }));
        TypeRef::Named(id)
    }
}

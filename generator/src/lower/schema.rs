//! JSON Schema (OpenAPI 3.0/3.1, AsyncAPI) → IR types.

use std::collections::{HashMap, HashSet};

use heck::ToUpperCamelCase;

use super::{Ctx, Lowerer, docs_of};
use crate::ir::{
    Docs, EnumVariant, Field, Name, Presence, Primitive, StringEnum, Struct, Tagging, TypeId, TypeKind, TypeRef, Union,
    UnionVariant,
};
use crate::load::Target;
use crate::naming;
use crate::node::{Node, Value};

/// Deepest nesting of inline schemas followed before giving up (guards against cycles through
/// non-component references).
const MAX_DEPTH: u32 = 64;

/// Keywords of a schema that ends as any JSON value without anything being guessed:
/// annotations, and the shape keywords an any-value schema may carry (`type: object` alone,
/// `additionalProperties: true`, `properties: {}`, `type: 'null'`, an `allOf` of such objects).
const ANY_VALUE_KEYWORDS: &[&str] = &[
    "title",
    "description",
    "summary",
    "example",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "nullable",
    "$comment",
    "$id",
    "$schema",
    "$anchor",
    "externalDocs",
    "xml",
    "type",
    "properties",
    "additionalProperties",
    "allOf",
];

/// A lowered schema: its type and whether `null` is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lowered {
    pub ty: TypeRef,
    pub nullable: bool,
}

impl Lowered {
    fn any() -> Self {
        Lowered { ty: TypeRef::Any, nullable: false }
    }
}

fn flag(node: &Node, key: &str) -> bool {
    node.get(key).and_then(Node::as_bool).unwrap_or(false)
}

/// The non-null entries of `type`, and whether `null` was among them.
fn types_of(node: &Node) -> (Vec<&str>, bool) {
    match node.get("type").map(|n| &n.value) {
        Some(Value::Str(s)) => (if s == "null" { vec![] } else { vec![s.as_str()] }, s == "null"),
        Some(Value::Seq(items)) => {
            let names: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
            let null = names.contains(&"null");
            (names.into_iter().filter(|t| *t != "null").collect(), null)
        }
        _ => (vec![], false),
    }
}

/// `{type: "null"}` or `{nullable: true}` with nothing else: a member that only allows null.
fn is_null_schema(node: &Node) -> bool {
    let (types, null) = types_of(node);
    (types.is_empty() && null && node.get("properties").is_none())
        || matches!(node.get("enum").and_then(Node::as_seq), Some([n]) if matches!(n.value, Value::Null))
}

/// An `enum` mixing strings with other values.
fn mixed_enum(node: &Node) -> bool {
    let values = node.get("enum").and_then(Node::as_seq).unwrap_or_default();
    values.iter().any(|v| v.as_str().is_some())
        && values.iter().any(|v| v.as_str().is_none() && !matches!(v.value, Value::Null))
}

/// The string a property is fixed to (`const`, or an `enum` with a single value).
fn const_string(node: &Node) -> Option<String> {
    if let Some(c) = node.get("const") {
        return c.as_str().map(str::to_owned);
    }
    match node.get("enum").and_then(Node::as_seq) {
        Some([single]) => single.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Properties and required names of an object schema, with `$ref` and `allOf` followed.
#[derive(Default)]
struct ObjectView<'a> {
    props: Vec<(&'a str, Ctx<'a>)>,
    /// Position of each property in `props`, so merging stays linear in the property count.
    index: HashMap<&'a str, usize>,
    required: HashSet<String>,
    /// `$ref` targets (document, pointer) being merged, outermost first, to report cycles.
    merging: Vec<(usize, String)>,
    /// `$ref` targets merged already: one reached again adds nothing, and following it again
    /// would make the work grow exponentially with the number of such members.
    merged: HashSet<(usize, String)>,
}

impl<'a> ObjectView<'a> {
    fn prop(&self, name: &str) -> Option<&Ctx<'a>> {
        self.index.get(name).and_then(|&i| self.props.get(i)).map(|(_, ctx)| ctx)
    }

    /// A view of the given properties (each name once).
    fn of(props: Vec<(&'a str, Ctx<'a>)>, required: HashSet<String>) -> Self {
        let index = props.iter().enumerate().map(|(i, (n, _))| (*n, i)).collect();
        ObjectView { props, index, required, ..ObjectView::default() }
    }
}

impl<'a> Lowerer<'a> {
    /// Lowers a schema. When `target` is given and the schema is an object, enum or union, the
    /// type is stored under that id instead of a new one.
    pub(crate) fn schema(&mut self, s: &Ctx<'a>, hint: &str, target: Option<TypeId>, depth: u32) -> Lowered {
        // A schema reached again while it is being lowered can only come back through `allOf`
        // merging (references to named schemas are queued, not followed): its inline expansion
        // would never end.
        let key = (s.doc, s.pointer.clone());
        if self.lowering.contains(&key) {
            if self.reentered.insert(key) {
                self.error(
                    s,
                    "this schema contains itself with no named schema in between (through `$ref` or `allOf`)",
                    "a named schema under `components/schemas` for a recursive shape",
                );
            }
            return Lowered::any();
        }
        self.lowering.insert(key.clone());
        let lowered = self.schema_once(s, hint, target, depth);
        self.lowering.remove(&key);
        lowered
    }

    fn schema_once(&mut self, s: &Ctx<'a>, hint: &str, target: Option<TypeId>, depth: u32) -> Lowered {
        if depth > MAX_DEPTH {
            self.error(s, "schemas nest too deeply (a reference cycle?)", "a schema that ends");
            return Lowered::any();
        }
        match &s.node.value {
            Value::Map(_) => {}
            Value::Bool(true) => return Lowered::any(),
            Value::Bool(false) => {
                self.warn(
                    s,
                    "the schema `false` allows no value; it is read as any JSON value (`serde_json::Value`)",
                    "a schema describing the value, or leaving the property out",
                );
                return Lowered::any();
            }
            _ => {
                self.error(s, format!("found {} where a schema belongs", s.node.kind_name()), "a schema (a mapping)");
                return Lowered::any();
            }
        }
        let nullable_flag = flag(s.node, "nullable");
        if let Some(reference) = s.get("$ref") {
            // Next to `$ref`, only annotations are read; a shape there is ignored.
            let ignored: Vec<&str> =
                ["type", "properties", "items", "allOf", "oneOf", "anyOf", "enum", "additionalProperties"]
                    .into_iter()
                    .filter(|k| s.node.get(k).is_some())
                    .collect();
            if !ignored.is_empty() {
                self.warn(
                    s,
                    format!("`{}` next to `$ref` is ignored; only the referenced schema is used", ignored.join("`, `")),
                    "a `$ref` alone, or `allOf: [{$ref: ...}, {...}]` to extend it",
                );
            }
            let Some(text) = reference.node.as_str() else {
                self.error(&reference, "`$ref` is not a string", "a reference such as `#/components/schemas/Name`");
                return Lowered::any();
            };
            return match self.ws.resolve(s.doc, text) {
                Ok((t, node)) => {
                    let mut lowered = self.reference(t, node, hint, depth);
                    lowered.nullable |= nullable_flag;
                    lowered
                }
                Err(message) => {
                    self.error(
                        &reference,
                        format!("unresolved $ref `{text}`: {message}"),
                        "a reference to an existing schema",
                    );
                    Lowered::any()
                }
            };
        }
        let (types, type_null) = types_of(s.node);
        let mut nullable = nullable_flag || type_null;
        let has_props = s.node.get("properties").is_some();

        let all_of = self.items(s, "allOf");
        if !all_of.is_empty() {
            if let ([single], false) = (all_of.as_slice(), has_props) {
                let mut lowered = self.schema(single, hint, target, depth + 1);
                lowered.nullable |= nullable;
                return lowered;
            }
            let mut view = ObjectView::default();
            self.collect_object(s, &mut view, depth);
            let ty = self.object(s, view, hint, target, depth);
            return Lowered { ty, nullable };
        }

        for key in ["oneOf", "anyOf"] {
            let members = self.items(s, key);
            if members.is_empty() {
                continue;
            }
            let (nulls, others): (Vec<_>, Vec<_>) = members.into_iter().partition(|m| is_null_schema(m.node));
            nullable |= !nulls.is_empty();
            if others.is_empty() {
                return Lowered { ty: TypeRef::Any, nullable: true };
            }
            if let ([single], false) = (others.as_slice(), has_props) {
                let mut lowered = self.schema(single, hint, target, depth + 1);
                lowered.nullable |= nullable;
                return lowered;
            }
            let ty = self.union(s, others, hint, target, depth);
            return Lowered { ty, nullable };
        }

        if let Some(values) = s.node.get("enum").and_then(Node::as_seq) {
            nullable |= values.iter().any(|v| matches!(v.value, Value::Null));
            let strings: Vec<&Node> = values.iter().filter(|v| !matches!(v.value, Value::Null)).collect();
            if !strings.is_empty() && strings.iter().all(|v| v.as_str().is_some()) {
                let ty = self.string_enum(s, &strings, hint, target);
                return Lowered { ty, nullable };
            }
            if strings.iter().any(|v| v.as_str().is_some()) {
                let at = s.get("enum").unwrap_or_else(|| s.clone());
                self.warn(
                    &at,
                    "`enum` mixes strings with other values; its values are not checked or listed",
                    "an `enum` of strings only (with `null` at most)",
                );
            }
        }

        if types.len() > 1 {
            let ty = self.type_list(s, &types, hint, target, depth);
            return Lowered { ty, nullable };
        }

        let ty = match types.as_slice() {
            [] if has_props || s.node.get("additionalProperties").is_some() => {
                self.object_schema(s, hint, target, depth)
            }
            [] if s.node.get("items").is_some() => self.array(s, hint, depth),
            [] => match s.node.get("const").map(|c| &c.value) {
                Some(Value::Str(_)) => TypeRef::Primitive(Primitive::String),
                Some(Value::Bool(_)) => TypeRef::Primitive(Primitive::Bool),
                Some(Value::Int(_)) => TypeRef::Primitive(Primitive::I64),
                Some(Value::Float(_)) => TypeRef::Primitive(Primitive::F64),
                _ => {
                    self.warn_any(s);
                    TypeRef::Any
                }
            },
            ["object"] => self.object_schema(s, hint, target, depth),
            ["array"] => self.array(s, hint, depth),
            ["string"] => TypeRef::Primitive(string_format(s.node)),
            ["integer"] => TypeRef::Primitive(match s.node.get("format").and_then(Node::as_str) {
                Some("int32" | "int16" | "int8") => Primitive::I32,
                _ => Primitive::I64,
            }),
            ["number"] => TypeRef::Primitive(match s.node.get("format").and_then(Node::as_str) {
                Some("float") => Primitive::F32,
                Some("decimal") => Primitive::Decimal,
                _ => Primitive::F64,
            }),
            ["boolean"] => TypeRef::Primitive(Primitive::Bool),
            [other] if !["object", "array", "string", "integer", "number", "boolean"].contains(other) => {
                let at = s.get("type").unwrap_or_else(|| s.clone());
                self.error(
                    &at,
                    format!("unknown type `{other}`"),
                    "one of object, array, string, integer, number, boolean, null",
                );
                TypeRef::Any
            }
            _ => TypeRef::Any,
        };
        Lowered { ty, nullable }
    }

    /// OpenAPI 3.1 `type: [string, integer, ...]`: an untagged union with one variant per type
    /// (`null` only makes it nullable). Variants are tried from the narrowest (`boolean`,
    /// `integer` before `number`) to the widest, whatever order the list gives.
    fn type_list(&mut self, s: &Ctx<'a>, types: &[&str], hint: &str, target: Option<TypeId>, depth: u32) -> TypeRef {
        const ORDER: [&str; 6] = ["boolean", "integer", "number", "string", "array", "object"];
        let mut variants = Vec::new();
        for name in ORDER.iter().filter(|t| types.contains(t)) {
            let label = match *name {
                "boolean" => "Boolean",
                "integer" => "Integer",
                "number" => "Number",
                "string" => "String",
                "array" => "List",
                _ => "Object",
            }
            .to_owned();
            let variant_hint = format!("{hint}{label}");
            let ty = match *name {
                "boolean" => TypeRef::Primitive(Primitive::Bool),
                "integer" => TypeRef::Primitive(match s.node.get("format").and_then(Node::as_str) {
                    Some("int32" | "int16" | "int8") => Primitive::I32,
                    _ => Primitive::I64,
                }),
                "number" => TypeRef::Primitive(match s.node.get("format").and_then(Node::as_str) {
                    Some("float") => Primitive::F32,
                    _ => Primitive::F64,
                }),
                "string" => TypeRef::Primitive(string_format(s.node)),
                "array" => self.array(s, &variant_hint, depth),
                _ if s.node.get("properties").is_some() => self.object_schema(s, &variant_hint, None, depth + 1),
                _ => TypeRef::Map(Box::new(TypeRef::Any)),
            };
            variants.push(UnionVariant {
                name: Name { rust: label.clone(), wire: (*name).to_owned() },
                ty: Some(ty),
                docs: Docs::default(),
                boxed: false,
                nullable: false,
            });
        }
        for unknown in types.iter().filter(|t| !ORDER.contains(t)) {
            let at = s.get("type").unwrap_or_else(|| s.clone());
            self.warn(
                &at,
                format!("unknown type `{unknown}` in the type list is ignored"),
                "one of object, array, string, integer, number, boolean, null",
            );
        }
        let unknown = unknown_name(variants.iter().map(|v| v.name.rust.as_str()));
        let id = self.define(target, hint, s, TypeKind::Union(Union { tagging: Tagging::Untagged, variants, unknown }));
        TypeRef::Named(id)
    }

    /// A `$ref` target: a named type when it is a component or has a shape worth naming,
    /// otherwise lowered in place.
    fn reference(&mut self, t: crate::load::Target, node: &'a Node, hint: &str, depth: u32) -> Lowered {
        let segments = crate::node::split_pointer(&t.pointer).unwrap_or_default();
        let entry = self.ws[t.doc].entry;
        if super::is_component(&segments, entry) || worth_naming(node) {
            if let Some(&id) = self.by_target.get(&t) {
                return Lowered { ty: TypeRef::Named(id), nullable: flag(node, "nullable") };
            }
            let nullable = flag(node, "nullable") || types_of(node).1;
            let id = self.named(t, hint);
            // A named schema that only wraps null-ability still reports it to the user of the ref.
            return Lowered { ty: TypeRef::Named(id), nullable };
        }
        let ctx = Ctx { doc: t.doc, pointer: t.pointer.clone(), node };
        self.schema(&ctx, hint, None, depth + 1)
    }

    fn array(&mut self, s: &Ctx<'a>, hint: &str, depth: u32) -> TypeRef {
        match s.get("items") {
            Some(items) if items.node.as_map().is_some() => {
                let lowered = self.schema(&items, &format!("{hint}Item"), None, depth + 1);
                TypeRef::List(Box::new(lowered.ty))
            }
            items => {
                // `items: [...]` (tuples) and `prefixItems` say what the items are; they are not read.
                let tuple = items.filter(|i| i.node.as_seq().is_some()).or_else(|| s.get("prefixItems"));
                if let Some(at) = tuple {
                    let key = at.pointer.rsplit('/').next().unwrap_or("items").to_owned();
                    self.warn(
                        &at,
                        format!("`{key}` with a schema per position is not read: the items are kept as any JSON value (`serde_json::Value`)"),
                        "`items` with one schema for every item",
                    );
                }
                TypeRef::List(Box::new(TypeRef::Any))
            }
        }
    }

    /// A schema that ends as any JSON value (`serde_json::Value`). With nothing but annotations
    /// (`{}`, a description, an example, `type: object` alone...) that is what it says; with
    /// keywords the generator does not read (`format` without `type`, `patternProperties`,
    /// `not`...), it is a guess, and a warning names them.
    fn warn_any(&mut self, s: &Ctx<'a>) {
        let unread: Vec<&str> = s
            .node
            .as_map()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .filter(|k| !k.starts_with("x-") && !ANY_VALUE_KEYWORDS.contains(k))
            // Next to a `type`, a `format` the generator does not know only annotates it
            // (`type: object, format: uri-map`); `enum: [null]` allows only null; an `enum` of
            // strings and other values has a warning of its own.
            .filter(|k| *k != "format" || s.node.get("type").is_none())
            .filter(|k| *k != "enum" || !(is_null_schema(s.node) || mixed_enum(s.node)))
            .collect();
        if unread.is_empty() {
            return;
        }
        let (list, verb) = (unread.join("`, `"), if unread.len() == 1 { "is" } else { "are" });
        self.warn(
            s,
            format!("`{list}` {verb} not read here, so nothing says what this value is: it is kept as any JSON value (`serde_json::Value`)"),
            "a `type` (with `properties`, `items` or `enum` as needed), or only annotations such as `description` for a value that may be anything",
        );
    }

    fn collect_object(&mut self, s: &Ctx<'a>, view: &mut ObjectView<'a>, depth: u32) {
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
    fn declared_types(&self, ctx: &Ctx<'a>) -> Vec<String> {
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

    fn object_schema(&mut self, s: &Ctx<'a>, hint: &str, target: Option<TypeId>, depth: u32) -> TypeRef {
        let mut view = ObjectView::default();
        self.collect_object(s, &mut view, depth);
        self.object(s, view, hint, target, depth)
    }

    fn object(&mut self, s: &Ctx<'a>, view: ObjectView<'a>, hint: &str, target: Option<TypeId>, depth: u32) -> TypeRef {
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
                || self.config.auth.body_fields.iter().any(|f| f == name)
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

    /// A property the codegen config makes a union chosen by a path from the object holding it
    /// (`unions: {DeviceCommand.Data: {tag: Device.Type, variants: {...}}}`): one variant per
    /// tag value, whose payload is the schema the config names. The path itself is checked
    /// once every type is known (`finish`).
    fn path_union(
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
    fn coproduct(
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

    /// The values of a string enum, following `$ref`s and single-member wrappers.
    fn enum_values(&self, ctx: &Ctx<'a>) -> Option<Vec<String>> {
        let mut current = ctx.clone();
        for _ in 0..MAX_DEPTH {
            if let Some(r) = current.node.get("$ref").and_then(Node::as_str) {
                let (t, node) = self.ws.resolve(current.doc, r).ok()?;
                current = Ctx { doc: t.doc, pointer: t.pointer, node };
                continue;
            }
            let wrapped = ["allOf", "anyOf", "oneOf"].into_iter().find_map(|k| {
                let list = current.get(k).and_then(|list| self.follow_container(list).ok())?;
                let items: Vec<Ctx<'a>> = list.seq_items().into_iter().filter(|m| !is_null_schema(m.node)).collect();
                match items.as_slice() {
                    [single] => Some(single.clone()),
                    _ => None,
                }
            });
            match wrapped {
                Some(inner) => current = inner,
                None => break,
            }
        }
        let values = current.node.get("enum")?.as_seq()?;
        let strings: Vec<String> = values.iter().filter_map(Node::as_str).map(str::to_owned).collect();
        (!strings.is_empty() && strings.len() == values.iter().filter(|v| !matches!(v.value, Value::Null)).count())
            .then_some(strings)
    }

    fn string_enum(&mut self, s: &Ctx<'a>, values: &[&Node], hint: &str, target: Option<TypeId>) -> TypeRef {
        let descriptions = s.node.get("x-enumDescriptions");
        let mut seen = HashSet::new();
        let mut variants = Vec::new();
        for (index, value) in values.iter().enumerate() {
            let wire = value.as_str().unwrap_or_default().to_owned();
            if !seen.insert(wire.clone()) {
                continue;
            }
            // `x-enumDescriptions` is either a map from value to text or a list in value order.
            let text = match descriptions.map(|d| &d.value) {
                Some(Value::Map(map)) => map.get(&wire).and_then(Node::as_str),
                Some(Value::Seq(list)) => list.get(index).and_then(Node::as_str),
                _ => None,
            }
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
            let rust = naming::variant_name(&wire, "Empty");
            variants.push(EnumVariant { name: Name { wire, rust }, docs: Docs { text, deprecated: None } });
        }
        naming::dedupe(variants.iter_mut().map(|v| &mut v.name.rust), false);
        let unknown = unknown_name(variants.iter().map(|v| v.name.rust.as_str()));
        let id = self.define(target, hint, s, TypeKind::Enum(StringEnum { variants, unknown }));
        TypeRef::Named(id)
    }

    /// Warns about discriminator `mapping` entries that name no schema, or a schema that is not
    /// a member of the union: such a tag value is read as unknown.
    fn check_mapping(&mut self, discriminator: &Ctx<'a>, members: &[Ctx<'a>]) {
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
    fn view_of(&mut self, member: &Ctx<'a>, depth: u32) -> Option<ObjectView<'a>> {
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
    fn member_docs(&mut self, member: &Ctx<'a>) -> Docs {
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
            for (key, view) in keys.into_iter().zip(&views) {
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
            tagging = Tagging::External;
        } else {
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
            tagging = Tagging::Untagged;
        }
        naming::dedupe(variants.iter_mut().map(|v| &mut v.name.rust), false);
        let unknown = unknown_name(variants.iter().map(|v| v.name.rust.as_str()));
        let id = self.define(target, hint, s, TypeKind::Union(Union { tagging, variants, unknown }));
        TypeRef::Named(id)
    }
}

/// Named types get a name when a non-component `$ref` points at something with a shape.
fn worth_naming(node: &Node) -> bool {
    node.get("properties").is_some()
        || node.get("enum").is_some()
        || node.get("oneOf").is_some()
        || node.get("anyOf").is_some()
        || node.get("allOf").and_then(Node::as_seq).is_some_and(|a| a.len() > 1)
}

fn string_format(node: &Node) -> Primitive {
    match node.get("format").and_then(Node::as_str) {
        Some("uuid") => Primitive::Uuid,
        Some("date-time") => Primitive::DateTime,
        Some("date") => Primitive::Date,
        _ => Primitive::String,
    }
}

/// A property every member fixes to a distinct string: the natural tag of the union.
fn common_const_property(views: &[Option<ObjectView<'_>>], repeats: bool) -> Option<String> {
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
fn external_keys(views: &[Option<ObjectView<'_>>]) -> Option<Vec<String>> {
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
fn mapping_value(discriminator: Option<&Node>, member: &Node) -> Option<String> {
    let reference = member.get("$ref")?.as_str()?;
    let mapping = discriminator?.get("mapping")?.as_map()?;
    mapping.iter().find(|(_, v)| v.as_str() == Some(reference)).map(|(k, _)| k.clone())
}

/// The last segment of a member's `$ref`.
fn ref_name(member: &Node) -> Option<String> {
    let reference = member.get("$ref")?.as_str()?;
    let last = reference.rsplit(['/', '#']).next()?;
    (!last.is_empty()).then(|| last.split('.').next().unwrap_or(last).to_owned())
}

/// A variant label for an anonymous member, from its shape.
fn shape_name(node: &Node, index: usize) -> String {
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

/// The type a field override (`config::OVERRIDE_TYPES`, checked when the config is read) names.
fn override_type(ty: &str) -> TypeRef {
    match ty {
        "string" => TypeRef::Primitive(Primitive::String),
        "integer" => TypeRef::Primitive(Primitive::I64),
        "number" => TypeRef::Primitive(Primitive::F64),
        "boolean" => TypeRef::Primitive(Primitive::Bool),
        "uuid" => TypeRef::Primitive(Primitive::Uuid),
        "date" => TypeRef::Primitive(Primitive::Date),
        "date-time" => TypeRef::Primitive(Primitive::DateTime),
        _ => TypeRef::Any,
    }
}

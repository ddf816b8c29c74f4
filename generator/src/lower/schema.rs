//! JSON Schema (OpenAPI 3.0/3.1, AsyncAPI) → IR types.

use std::collections::HashSet;

use super::object::ObjectView;
use super::union::unknown_name;
use super::{Ctx, Lowerer};
use crate::ir::{
    Docs, EnumVariant, Name, Primitive, StringEnum, Tagging, TypeId, TypeKind, TypeRef, Union, UnionVariant,
};
use crate::naming;
use crate::node::{Node, Value};

/// Deepest nesting of inline schemas followed before giving up (guards against cycles through
/// non-component references).
pub(super) const MAX_DEPTH: u32 = 64;

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

pub(super) fn flag(node: &Node, key: &str) -> bool {
    node.get(key).and_then(Node::as_bool).unwrap_or(false)
}

/// The non-null entries of `type`, and whether `null` was among them.
pub(super) fn types_of(node: &Node) -> (Vec<&str>, bool) {
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
pub(super) fn is_null_schema(node: &Node) -> bool {
    let (types, null) = types_of(node);
    (types.is_empty() && null && node.get("properties").is_none())
        || matches!(node.get("enum").and_then(Node::as_seq), Some([n]) if matches!(n.value, Value::Null))
}

/// An `enum` mixing strings with other values.
pub(super) fn mixed_enum(node: &Node) -> bool {
    let values = node.get("enum").and_then(Node::as_seq).unwrap_or_default();
    values.iter().any(|v| v.as_str().is_some())
        && values.iter().any(|v| v.as_str().is_none() && !matches!(v.value, Value::Null))
}

/// The string a property is fixed to (`const`, or an `enum` with a single value).
pub(super) fn const_string(node: &Node) -> Option<String> {
    if let Some(c) = node.get("const") {
        return c.as_str().map(str::to_owned);
    }
    match node.get("enum").and_then(Node::as_seq) {
        Some([single]) => single.as_str().map(str::to_owned),
        _ => None,
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
        if let Some(reference) = s.get("$ref") {
            return self.reference_schema(s, &reference, hint, depth);
        }
        let (types, type_null) = types_of(s.node);
        let mut nullable = flag(s.node, "nullable") || type_null;
        if let Some(lowered) = self.composition(s, &mut nullable, hint, target, depth) {
            return lowered;
        }
        if let Some(values) = s.node.get("enum").and_then(Node::as_seq) {
            nullable |= values.iter().any(|v| matches!(v.value, Value::Null));
            if let Some(ty) = self.enum_schema(s, values, hint, target) {
                return Lowered { ty, nullable };
            }
        }
        let ty = if types.len() > 1 {
            self.type_list(s, &types, hint, target, depth)
        } else {
            self.single_type(s, types.first().copied(), hint, target, depth)
        };
        Lowered { ty, nullable }
    }

    /// A schema with `$ref`: next to it, only annotations are read; a shape there is ignored.
    fn reference_schema(&mut self, s: &Ctx<'a>, reference: &Ctx<'a>, hint: &str, depth: u32) -> Lowered {
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
            self.error(reference, "`$ref` is not a string", "a reference such as `#/components/schemas/Name`");
            return Lowered::any();
        };
        match self.ws.resolve(s.doc, text) {
            Ok((t, node)) => {
                let mut lowered = self.reference(t, node, hint, depth);
                lowered.nullable |= flag(s.node, "nullable");
                lowered
            }
            Err(message) => {
                self.error(
                    reference,
                    format!("unresolved $ref `{text}`: {message}"),
                    "a reference to an existing schema",
                );
                Lowered::any()
            }
        }
    }

    /// `allOf` (merged into one object, or the one member it lists), `oneOf` and `anyOf` (a
    /// union, or the one member besides `null`); `None` when the schema has none of them.
    /// A `null` member makes the result nullable.
    fn composition(
        &mut self,
        s: &Ctx<'a>,
        nullable: &mut bool,
        hint: &str,
        target: Option<TypeId>,
        depth: u32,
    ) -> Option<Lowered> {
        let has_props = s.node.get("properties").is_some();
        let all_of = self.items(s, "allOf");
        if !all_of.is_empty() {
            if let ([single], false) = (all_of.as_slice(), has_props) {
                let mut lowered = self.schema(single, hint, target, depth + 1);
                lowered.nullable |= *nullable;
                return Some(lowered);
            }
            let mut view = ObjectView::default();
            self.collect_object(s, &mut view, depth);
            let ty = self.object(s, view, hint, target, depth);
            return Some(Lowered { ty, nullable: *nullable });
        }
        for key in ["oneOf", "anyOf"] {
            let members = self.items(s, key);
            if members.is_empty() {
                continue;
            }
            let (nulls, others): (Vec<_>, Vec<_>) = members.into_iter().partition(|m| is_null_schema(m.node));
            *nullable |= !nulls.is_empty();
            if others.is_empty() {
                return Some(Lowered { ty: TypeRef::Any, nullable: true });
            }
            if let ([single], false) = (others.as_slice(), has_props) {
                let mut lowered = self.schema(single, hint, target, depth + 1);
                lowered.nullable |= *nullable;
                return Some(lowered);
            }
            let ty = self.union(s, others, hint, target, depth);
            return Some(Lowered { ty, nullable: *nullable });
        }
        None
    }

    /// An `enum` of strings (besides `null`) is a named enum; one that mixes strings with other
    /// values is warned about and typed by its `type`.
    fn enum_schema(&mut self, s: &Ctx<'a>, values: &'a [Node], hint: &str, target: Option<TypeId>) -> Option<TypeRef> {
        let strings: Vec<&Node> = values.iter().filter(|v| !matches!(v.value, Value::Null)).collect();
        if !strings.is_empty() && strings.iter().all(|v| v.as_str().is_some()) {
            return Some(self.string_enum(s, &strings, hint, target));
        }
        if strings.iter().any(|v| v.as_str().is_some()) {
            let at = s.get("enum").unwrap_or_else(|| s.clone());
            self.warn(
                &at,
                "`enum` mixes strings with other values; its values are not checked or listed",
                "an `enum` of strings only (with `null` at most)",
            );
        }
        None
    }

    /// The type of a schema with one `type` (or none: then by its keywords or `const`).
    fn single_type(
        &mut self,
        s: &Ctx<'a>,
        ty: Option<&str>,
        hint: &str,
        target: Option<TypeId>,
        depth: u32,
    ) -> TypeRef {
        let format = || s.node.get("format").and_then(Node::as_str);
        match ty {
            None if s.node.get("properties").is_some() || s.node.get("additionalProperties").is_some() => {
                self.object_schema(s, hint, target, depth)
            }
            None if s.node.get("items").is_some() => self.array(s, hint, depth),
            None => match s.node.get("const").map(|c| &c.value) {
                Some(Value::Str(_)) => TypeRef::Primitive(Primitive::String),
                Some(Value::Bool(_)) => TypeRef::Primitive(Primitive::Bool),
                Some(Value::Int(_)) => TypeRef::Primitive(Primitive::I64),
                Some(Value::Float(_)) => TypeRef::Primitive(Primitive::F64),
                _ => {
                    self.warn_any(s);
                    TypeRef::Any
                }
            },
            Some("object") => self.object_schema(s, hint, target, depth),
            Some("array") => self.array(s, hint, depth),
            Some("string") => TypeRef::Primitive(string_format(s.node)),
            Some("integer") => TypeRef::Primitive(match format() {
                Some("int32" | "int16" | "int8") => Primitive::I32,
                _ => Primitive::I64,
            }),
            Some("number") => TypeRef::Primitive(match format() {
                Some("float") => Primitive::F32,
                Some("decimal") => Primitive::Decimal,
                _ => Primitive::F64,
            }),
            Some("boolean") => TypeRef::Primitive(Primitive::Bool),
            Some(other) => {
                let at = s.get("type").unwrap_or_else(|| s.clone());
                self.error(
                    &at,
                    format!("unknown type `{other}`"),
                    "one of object, array, string, integer, number, boolean, null",
                );
                TypeRef::Any
            }
        }
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
    pub(super) fn reference(&mut self, t: crate::load::Target, node: &'a Node, hint: &str, depth: u32) -> Lowered {
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

    pub(super) fn array(&mut self, s: &Ctx<'a>, hint: &str, depth: u32) -> TypeRef {
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
    pub(super) fn warn_any(&mut self, s: &Ctx<'a>) {
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

    /// The values of a string enum, following `$ref`s and single-member wrappers.
    pub(super) fn enum_values(&self, ctx: &Ctx<'a>) -> Option<Vec<String>> {
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

    pub(super) fn string_enum(&mut self, s: &Ctx<'a>, values: &[&Node], hint: &str, target: Option<TypeId>) -> TypeRef {
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
}

/// Named types get a name when a non-component `$ref` points at something with a shape.
pub(super) fn worth_naming(node: &Node) -> bool {
    node.get("properties").is_some()
        || node.get("enum").is_some()
        || node.get("oneOf").is_some()
        || node.get("anyOf").is_some()
        || node.get("allOf").and_then(Node::as_seq).is_some_and(|a| a.len() > 1)
}

pub(super) fn string_format(node: &Node) -> Primitive {
    match node.get("format").and_then(Node::as_str) {
        Some("uuid") => Primitive::Uuid,
        Some("date-time") => Primitive::DateTime,
        Some("date") => Primitive::Date,
        _ => Primitive::String,
    }
}

/// The type a field override (`config::OVERRIDE_TYPES`, checked when the config is read) names.
pub(super) fn override_type(ty: &str) -> TypeRef {
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

//! The types crate: every named type of the API with serde support, and nothing else.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use std::collections::BTreeMap;

use super::spell::{Uses, ident, type_tokens};
use super::{Code, Dependency, Files, MARGIN, Provenance, doc_attrs, docs, render_template};
use crate::config::Config;
use crate::ir::{
    Api, Direction, Field, Presence, StringEnum, Struct, Tagging, TypeDef, TypeId, TypeKind, TypeRef, Union,
};
use crate::naming;

const README: &str = include_str!("../../../templates/types/README.md.j2");

pub(super) fn emit(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), String> {
    let krate = &config.types_crate;
    let mut uses = Uses::default();
    // Other crates (the client's parameters) spell dates as this crate's `calendar::Date`.
    for op in &api.operations {
        for param in &op.params {
            let _ = super::spell::type_tokens(api, &param.ty, &mut uses);
        }
    }
    let isolated = super::spell::isolated_fields(api, config);
    let sent = sent_types(api);
    let operations = operation_docs(api);
    // The types' items are built and pretty-printed in two parts of about equal size, the second
    // on another thread (token streams cannot cross threads, so each part makes its own); the
    // texts are joined in order, so the output does not depend on the threads.
    let render_types = |range: std::ops::Range<usize>| -> Result<(String, Uses), String> {
        let mut uses = Uses::default();
        let mut items = Code::default();
        for (i, def) in api.types.iter().enumerate().take(range.end).skip(range.start) {
            let id = TypeId(i);
            let ops = operations.get(&id).map(Vec::as_slice).unwrap_or_default();
            items.extend(type_def(api, def, &isolated_of(&isolated, id), sent.contains(&id), ops, &mut uses));
        }
        Ok((items.unparse()?, uses))
    };
    let split = half_point(api);
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| render_types(split..api.types.len()));
        let first = render_types(0..split);
        (first, second.join().map_err(|_| "the types emitter failed".to_owned()))
    });
    let (first, first_uses) = first?;
    let (second, second_uses) = second??;
    uses |= first_uses;
    uses |= second_uses;
    let raw_title = if api.title.trim().is_empty() { config.name.as_str() } else { api.title.as_str() };
    // Titles and versions are spec text: one line of escaped Markdown wherever they appear.
    let title = docs::inline(raw_title);
    let version = docs::inline(&api.version);
    let mut crate_doc = format!("Types of the {title}");
    if !version.is_empty() {
        crate_doc.push_str(&format!(" (version {version})"));
    }
    crate_doc.push_str(".\n\nEvery model, webhook payload and channel message of the API, with serde. Unknown enum values and unknown variants of tagged unions deserialize into an `Unknown` variant that keeps the raw value; unknown fields are ignored; a value of a known kind that does not decode is an error, never `Unknown`.");
    crate_doc.push_str(&decoding_docs(api, &isolated));
    crate_doc.push_str(&building_docs(api, config));
    if let Some(text) = &api.docs.text {
        crate_doc.push_str("\n\n");
        crate_doc.push_str(&docs::sanitize(text));
    }
    crate_doc.push_str(&index(api));
    let crate_docs: TokenStream = crate_doc
        .lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#![doc = #l])
        })
        .collect();
    // A crate of aliases only has nothing to derive.
    let serde_import = api.types.iter().any(|t| !matches!(t.kind, TypeKind::Alias(_))).then(|| {
        quote!(
            use serde::{Deserialize, Serialize};
        )
    });
    let calendar = uses.date.then(|| {
        quote! {
            /// Dates and date-times as received, from `triad-runtime`: a field accepts a date or
            /// a date-time, whichever its spec says, and keeps the form it received.
            /// `calendar::chrono` is the `chrono` they are built on.
            pub use triad_runtime::calendar;
        }
    });
    let decimal = uses.decimal.then(|| {
        quote! {
            /// Exact decimal numbers (`format: decimal` and the fields the codegen config names):
            /// read from a JSON number or string, written as a JSON number.
            pub use rust_decimal::Decimal;
        }
    });
    let lib = quote! {
        #crate_docs
        #![allow(deprecated, clippy::large_enum_variant, clippy::enum_variant_names, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, clippy::type_complexity)]
        /// The serde helpers this crate's types use, from `triad-runtime`: [`model::Nullable`]
        /// is the type of optional fields that may also be `null`.
        pub use triad_runtime::model;
        pub use triad_runtime::model::Decoded;
        #serde_import
        #calendar
        #decimal
    };
    let prefix = &krate.name;
    let code = super::unparse(lib)? + &first + &second;
    files.insert(format!("{prefix}/src/lib.rs"), super::finish_rust(&code, provenance));
    let type_name = |ty: &TypeRef| -> String {
        match ty {
            TypeRef::Named(id) => api.ty(*id).name.rust.clone(),
            other => format!("{other:?}"),
        }
    };
    let webhook_list: Vec<minijinja::Value> = api
        .webhooks
        .iter()
        .map(|w| {
            minijinja::context! {
                name => docs::code_span(&w.name.wire),
                payload => w.payload.as_ref().map(|b| docs::code_span(&type_name(&b.ty))).unwrap_or_else(|| "(none)".into()),
            }
        })
        .collect();
    let channel_list: Vec<minijinja::Value> = api
        .channels
        .iter()
        .map(|c| {
            let messages: Vec<String> = c
                .messages
                .iter()
                .filter(|m| m.direction == Direction::Receive)
                .map(|m| docs::code_span(&type_name(&m.payload)))
                .collect();
            minijinja::context! {
                name => docs::code_span(&c.name.wire),
                address => docs::code_span(&c.address),
                messages => messages.join(", "),
            }
        })
        .collect();
    let context = minijinja::context! {
        header => provenance.header(),
        crate_name => docs::inline(&krate.name),
        api_version => version,
        title => title,
        uses_uuid => uses.uuid,
        uses_calendar => uses.date,
        types => api.types.len(),
        operations => api.operations.len(),
        webhooks => api.webhooks.len(),
        channels => api.channels.len(),
        webhook_list => webhook_list,
        channel_list => channel_list,
    };
    files.insert(format!("{prefix}/Cargo.toml"), manifest(api, config, provenance, &uses)?);
    files.insert(format!("{prefix}/README.md"), render_template("README.md", README, context)?);
    Ok(())
}

/// The index that splits the types into two parts of about the same amount of code (counted in
/// fields and variants).
fn half_point(api: &Api) -> usize {
    let weight = |def: &TypeDef| {
        1 + match &def.kind {
            TypeKind::Struct(s) => s.fields.len(),
            TypeKind::Enum(e) => e.variants.len(),
            TypeKind::Union(u) => u.variants.len(),
            TypeKind::Alias(_) | TypeKind::Newtype(_) => 0,
        }
    };
    let total: usize = api.types.iter().map(weight).sum();
    let mut sum = 0;
    api.types
        .iter()
        .position(|def| {
            sum += weight(def);
            2 * sum >= total
        })
        .map_or(api.types.len(), |i| i + 1)
}

/// The crate docs' section on how values are read: untagged unions, and the lists whose items
/// decode one by one.
fn decoding_docs(api: &Api, isolated: &std::collections::BTreeSet<(TypeId, String)>) -> String {
    let mut out = String::new();
    let untagged = api.types.iter().any(|t| matches!(&t.kind, TypeKind::Union(u) if u.tagging == Tagging::Untagged));
    if untagged {
        out.push_str(
            "\n\n# Untagged unions\n\nA union without a tag is read by shape. The candidates are the variants \
             whose JSON kind fits the value (object, array, string, number, boolean); for an object, the variants \
             with a required property that no other variant declares and that the object has, or, when the object \
             has none of those, the variants without such properties. The first candidate in the order listed that \
             decodes wins, so when several fit the choice is fixed by that order. A value no candidate decodes is an \
             error that says why each failed (with the path of the failing field); it is never kept as unknown.",
        );
    }
    if !isolated.is_empty() {
        out.push_str(
            "\n\n# One item at a time\n\nIn these lists each item decodes on its own, as [`Decoded`]: an item that \
             does not decode becomes `Decoded::Malformed` with its raw JSON and the error, and the other items still \
             decode. They are the event lists of received webhook and channel messages and the item lists of \
             paginated responses:\n",
        );
        for (id, field) in isolated {
            out.push_str(&format!("\n- {} of [`{}`]", docs::code_span(field), api.ty(*id).name.rust));
        }
    }
    out
}

/// The crate docs' section on building values and on optional nullable fields.
fn building_docs(api: &Api, config: &Config) -> String {
    let structs: Vec<&Struct> =
        api.types.iter().filter_map(|t| if let TypeKind::Struct(s) = &t.kind { Some(s) } else { None }).collect();
    if structs.is_empty() {
        return String::new();
    }
    let mut out = "\n\n# Building values\n\nTypes that are sent (request bodies and what they contain) have `new`, \
        taking the fields that must be given, and a chainable `with_<field>` setter for every other field; a \
        deprecated field's setter is deprecated, so only setting such a field warns. Types whose fields are all \
        optional implement `Default`. String enums implement `FromStr` (an unknown value becomes the unknown variant)."
        .to_owned();
    let nullable = structs.iter().any(|s| s.fields.iter().any(|f| !f.required && f.nullable));
    if nullable {
        out.push_str(if config.null_means_absent {
            "\n\nAn optional field that may be `null` is one `Option`: this API treats `null` as \"not given\", so \
             `None` is left out when writing and `null` reads as `None`."
        } else {
            "\n\nAn optional field that may be `null` is `Option<Option<T>>`, because absent and `null` can mean \
             different things: `None` is left out, `Some(None)` is written as `null`, `Some(Some(v))` as the value."
        });
    }
    if structs.iter().any(|s| s.update_wrapper) {
        out.push_str(
            "\n\nUpdates keep the keep/set/clear distinction with wrapper types (`...UpdateValue`): leave the \
             wrapper out to keep the current value, `set(v)` to change it, `clear()` to remove it.",
        );
    }
    out
}

/// `Cargo.toml` of the types crate, written by the shared manifest writer.
fn manifest(api: &Api, config: &Config, provenance: &Provenance, uses: &Uses) -> Result<String, String> {
    let krate = &config.types_crate;
    let title = if api.title.trim().is_empty() { config.name.as_str() } else { api.title.as_str() };
    let description = match &krate.description {
        Some(text) => super::one_line(text),
        None => format!("Types of the {}", super::one_line(title)),
    };
    let mut dependencies = BTreeMap::new();
    dependencies.insert("serde", Dependency::registry("1", &["std", "derive"]));
    dependencies.insert("serde_json", Dependency::registry("1", &["std"]));
    // The shared serde helpers (`model`), prebuilt once for every types crate.
    let features: &[&str] = if uses.date { &["calendar"] } else { &[] };
    let runtime = Dependency::local(super::RUNTIME_VERSION, config.client.runtime_path.clone(), features);
    dependencies.insert("triad-runtime", Dependency { default_features: Some(false), ..runtime });
    if uses.uuid {
        dependencies.insert("uuid", Dependency::registry("1", &["std", "serde"]));
    }
    if uses.decimal {
        // Read from a number or a string, written as a JSON number.
        dependencies.insert("rust_decimal", Dependency::registry("1", &["std", "serde-float"]));
    }
    super::manifest(&krate.name, &krate.version, description, dependencies, BTreeMap::new(), provenance)
}

/// Crate-level lists of the operations, webhooks and channels with the types they carry, as
/// rustdoc links.
fn index(api: &Api) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if !api.webhooks.is_empty() {
        out.push_str("\n\n# Webhooks\n\n| webhook | method | payload |\n|---|---|---|");
        for hook in &api.webhooks {
            let payload = hook.payload.as_ref().map(|b| type_link(api, &b.ty)).unwrap_or_else(|| "none".into());
            let _ = write!(out, "\n| {} | {} | {payload} |", docs::code_span(&hook.name.wire), hook.method.as_str());
        }
    }
    if !api.channels.is_empty() {
        out.push_str("\n\n# Channels\n\n| channel | address | receives | sends |\n|---|---|---|---|");
        for channel in &api.channels {
            let list = |direction: Direction| {
                let items: Vec<String> = channel
                    .messages
                    .iter()
                    .filter(|m| m.direction == direction)
                    .map(|m| type_link(api, &m.payload))
                    .collect();
                if items.is_empty() { "nothing".to_owned() } else { items.join(", ") }
            };
            let _ = write!(
                out,
                "\n| {} | {} | {} | {} |",
                docs::code_span(&channel.name.wire),
                docs::code_span(&channel.address),
                list(Direction::Receive),
                list(Direction::Send)
            );
        }
    }
    if !api.operations.is_empty() {
        out.push_str("\n\n# Operations\n\n| operation | request | success response |\n|---|---|---|");
        for op in &api.operations {
            let request = op.request.as_ref().map(|b| type_link(api, &b.ty)).unwrap_or_else(|| "none".into());
            let response = op
                .responses
                .iter()
                .find(|r| r.status.is_success())
                .and_then(|r| r.body.as_ref())
                .map(|b| type_link(api, &b.ty))
                .unwrap_or_else(|| "none".into());
            let operation = docs::code_span(&format!("{} {}", op.method.as_str(), op.path));
            let _ = write!(out, "\n| {operation} | {request} | {response} |");
        }
    }
    out
}

/// A type as rustdoc Markdown, linking named types.
fn type_link(api: &Api, ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(id) => format!("[`{0}`]", api.ty(*id).name.rust),
        TypeRef::List(inner) => format!("list of {}", type_link(api, inner)),
        TypeRef::Map(inner) => format!("map of {}", type_link(api, inner)),
        TypeRef::Primitive(p) => format!("`{p:?}`"),
        TypeRef::Any => "any JSON".into(),
    }
}

/// The types a consumer of the API builds and sends: request bodies and sent channel messages,
/// and every type they contain.
fn sent_types(api: &Api) -> std::collections::BTreeSet<TypeId> {
    let mut stack: Vec<&TypeRef> = api.operations.iter().filter_map(|op| op.request.as_ref().map(|b| &b.ty)).collect();
    for channel in &api.channels {
        stack.extend(channel.messages.iter().filter(|m| m.direction == Direction::Send).map(|m| &m.payload));
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(ty) = stack.pop() {
        match ty {
            TypeRef::List(inner) | TypeRef::Map(inner) => stack.push(inner),
            TypeRef::Named(id) if seen.insert(*id) => match &api.ty(*id).kind {
                TypeKind::Struct(s) => stack.extend(s.fields.iter().map(|f| &f.ty)),
                TypeKind::Union(u) => stack.extend(u.variants.iter().filter_map(|v| v.ty.as_ref())),
                TypeKind::Alias(inner) | TypeKind::Newtype(inner) => stack.push(inner),
                TypeKind::Enum(_) => {}
            },
            _ => {}
        }
    }
    seen
}

/// `new` with the fields that must be given, and a chainable `with_<field>` setter for each
/// other field. A deprecated field's setter is deprecated too, so only setting it warns.
fn builder(name: &Ident, s: &Struct, bases: &[TokenStream], all_optional: bool) -> TokenStream {
    if let ([field], [base]) = (s.fields.as_slice(), bases) {
        if s.update_wrapper {
            let field = ident(&field.name.rust);
            return quote! {
                impl #name {
                    /// Sets the value (leave the wrapper out to keep the current one).
                    pub fn set(value: #base) -> Self {
                        Self { #field: Some(value) }
                    }
                    /// Clears the value (sent as `null`).
                    pub fn clear() -> Self {
                        Self { #field: None }
                    }
                }
            };
        }
    }
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut setters = TokenStream::new();
    for (f, base) in s.fields.iter().zip(bases) {
        let field = ident(&f.name.rust);
        let label = naming::unraw(&f.name.rust);
        let deprecated = f.docs.deprecated.as_ref().map(|reason| match reason.as_deref().map(docs::inline) {
            Some(note) if !note.is_empty() => quote!(#[deprecated(note = #note)]),
            _ => quote!(#[deprecated]),
        });
        let shape = f.presence;
        if shape == Presence::Plain {
            params.push(quote!(#field: #base));
            inits.push(quote!(#field));
            continue;
        }
        let setter = ident(&naming::join_snake("with", label));
        let (doc, value, assign) = match shape {
            Presence::DoubleOption => {
                inits.push(quote!(#field: model::Nullable::Absent));
                (
                    format!(" Sets `{}` (`None` writes an explicit `null`).", f.name.wire),
                    quote!(Option<#base>),
                    quote!(value.map_or(model::Nullable::Null, model::Nullable::Value)),
                )
            }
            _ => {
                inits.push(quote!(#field: None));
                (format!(" Sets `{}`.", f.name.wire), quote!(#base), quote!(Some(value)))
            }
        };
        setters.extend(quote! {
            #[doc = #doc]
            #deprecated
            pub fn #setter(mut self, value: #value) -> Self {
                self.#field = #assign;
                self
            }
        });
    }
    let constructor = (!all_optional).then(|| {
        let too_many = (params.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        quote! {
            /// A value with the fields that must be given; set the others with the `with_` methods.
            #too_many
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
        }
    });
    quote! {
        impl #name {
            #constructor
            #setters
        }
    }
}

/// How a struct is used: the fields whose list items decode one by one, and whether it is sent.
struct Role<'a> {
    isolated: &'a [String],
    sent: bool,
    /// The type's own docs (also given as `#[doc]` tokens).
    docs: &'a crate::ir::Docs,
}

/// The wire names of the fields of `id` whose list items decode one by one.
fn isolated_of(isolated: &std::collections::BTreeSet<(TypeId, String)>, id: TypeId) -> Vec<String> {
    isolated.iter().filter(|(owner, _)| *owner == id).map(|(_, name)| name.clone()).collect()
}

/// Documentation that only repeats a name (`Boolean update value` on `BooleanUpdateValue`) is
/// noise: such text is dropped.
fn without_name_echo(docs: &crate::ir::Docs, names: &[&str]) -> crate::ir::Docs {
    let squash =
        |text: &str| text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let echo = docs.text.as_deref().is_some_and(|t| names.iter().any(|n| squash(n) == squash(t)));
    crate::ir::Docs { text: if echo { None } else { docs.text.clone() }, deprecated: docs.deprecated.clone() }
}

/// For each request or response body type, the operations it belongs to, as doc paragraphs:
/// the operation's description reaches the types a user builds and reads for it.
fn operation_docs(api: &Api) -> std::collections::BTreeMap<TypeId, Vec<String>> {
    let mut out: std::collections::BTreeMap<TypeId, Vec<String>> = std::collections::BTreeMap::new();
    for op in &api.operations {
        let what = op.docs.text.as_deref().map(docs::sanitize).filter(|t| !t.trim().is_empty());
        let call = docs::code_span(&format!("{} {}", op.method.as_str(), op.path));
        let mut add = |ty: &TypeRef, role: &str| {
            if let TypeRef::Named(id) = ty {
                let mut text = format!("{role} of {call}");
                match &what {
                    Some(what) => text.push_str(&format!(": {what}")),
                    None => text.push('.'),
                }
                let list = out.entry(*id).or_default();
                if !list.contains(&text) {
                    list.push(text);
                }
            }
        };
        if let Some(body) = &op.request {
            add(&body.ty, "Request body");
        }
        for response in op.responses.iter().filter(|r| r.status.is_success()) {
            if let Some(body) = &response.body {
                add(&body.ty, "Response");
            }
        }
    }
    out
}

fn type_def(api: &Api, def: &TypeDef, isolated: &[String], sent: bool, operations: &[String], uses: &mut Uses) -> Code {
    let mut own = without_name_echo(&def.docs, &[&def.name.wire, &def.name.rust]);
    // A type shared by many operations lists only a few of them.
    const MAX_OPERATIONS: usize = 4;
    if !operations.is_empty() && operations.len() <= MAX_OPERATIONS {
        let mut text = own.text.take().unwrap_or_default();
        for paragraph in operations {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(paragraph);
        }
        own.text = Some(text);
    }
    let docs = doc_attrs(&own);
    let name = ident(&def.name.rust);
    match &def.kind {
        TypeKind::Struct(s) => structure(api, def, s, Role { isolated, sent, docs: &own }, docs, uses),
        TypeKind::Enum(e) => string_enum(&name, e, docs).into(),
        TypeKind::Union(u) => union(api, &name, u, docs, uses).into(),
        TypeKind::Alias(ty) => {
            let ty = type_tokens(api, ty, uses);
            quote! { #docs pub type #name = #ty; }.into()
        }
        TypeKind::Newtype(ty) => {
            let ty = type_tokens(api, ty, uses);
            quote! {
                #docs
                #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
                #[serde(transparent)]
                pub struct #name(pub #ty);
            }
            .into()
        }
    }
}

/// A serde `rename_all` rule: its name and what it does to a snake_case field name.
type RenameRule = (&'static str, fn(&str) -> String);

/// serde's `rename_all` rules, applied to a snake_case field name.
const RENAME_RULES: [RenameRule; 4] = [
    ("PascalCase", |f| pascal(f)),
    ("camelCase", |f| {
        let p = pascal(f);
        let mut chars = p.chars();
        match chars.next() {
            Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
            None => p,
        }
    }),
    ("SCREAMING_SNAKE_CASE", |f| f.to_ascii_uppercase()),
    ("kebab-case", |f| f.replace('_', "-")),
];

fn pascal(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut capitalize = true;
    for c in field.chars() {
        if c == '_' {
            capitalize = true;
        } else if capitalize {
            out.push(c.to_ascii_uppercase());
            capitalize = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The `rename_all` rule covering most fields (if it covers more than plain names do).
fn rename_rule(fields: &[Field]) -> Option<RenameRule> {
    let plain = fields.iter().filter(|f| naming::unraw(&f.name.rust) == f.name.wire).count();
    let (best, count) = RENAME_RULES
        .iter()
        .map(|(name, rule)| {
            let n = fields.iter().filter(|f| rule(naming::unraw(&f.name.rust)) == f.name.wire).count();
            ((*name, *rule), n)
        })
        .max_by_key(|(_, n)| *n)?;
    (count > plain).then_some(best)
}

fn structure(api: &Api, def: &TypeDef, s: &Struct, role: Role<'_>, docs: TokenStream, uses: &mut Uses) -> Code {
    let Role { isolated, sent, docs: own_docs } = role;
    let name = ident(&def.name.rust);
    let rule = rename_rule(&s.fields);
    let rename_all = rule.map(|(rule_name, _)| quote!(#[serde(rename_all = #rule_name)]));
    let has_secret = s.fields.iter().any(|f| f.secret);
    let mut fields = TokenStream::new();
    // Each field's type before `Option` wrapping, for the constructor and setters.
    let mut bases = Vec::with_capacity(s.fields.len());
    // Each field's full type, as declared.
    let mut full = Vec::with_capacity(s.fields.len());
    // The fields as prettyplease prints them, while every type has a text form.
    let mut fields_text = Some(String::new());
    for f in &s.fields {
        let field_doc_source = without_name_echo(&f.docs, &[&f.name.wire]);
        let field_docs = doc_attrs(&field_doc_source);
        let field_name = ident(&f.name.rust);
        let mut ty = match &f.ty {
            TypeRef::List(item) if isolated.contains(&f.name.wire) => {
                let item = type_tokens(api, item, uses);
                quote!(Vec<Decoded<#item>>)
            }
            other => type_tokens(api, other, uses),
        };
        if f.boxed {
            ty = quote!(Box<#ty>);
        }
        bases.push(ty.clone());
        let mut serde_args = Vec::new();
        let spelled = match rule {
            Some((_, apply)) => apply(naming::unraw(&f.name.rust)),
            None => naming::unraw(&f.name.rust).to_owned(),
        };
        if spelled != f.name.wire {
            let wire = &f.name.wire;
            serde_args.push(quote!(rename = #wire));
        }
        // The wrapping rules live in `ir::Presence::of`; here, how each is written.
        // Absent fields decode as `None`/`Absent` (`deserialize_struct`).
        match f.presence {
            Presence::Option if s.update_wrapper => ty = quote!(Option<#ty>),
            Presence::DoubleOption => {
                ty = quote!(model::Nullable<#ty>);
                serde_args.push(quote!(skip_serializing_if = "model::Nullable::is_absent"));
            }
            Presence::Option if !f.required => {
                ty = quote!(Option<#ty>);
                serde_args.push(quote!(skip_serializing_if = "Option::is_none"));
            }
            Presence::Option => ty = quote!(Option<#ty>),
            Presence::Plain => {}
        }
        if let Some(text) = &mut fields_text {
            match super::type_text(&ty) {
                Some(ty) => {
                    text.push_str(&super::doc_text(&field_doc_source, "    "));
                    if !serde_args.is_empty() {
                        let args: Vec<String> = serde_args.iter().map(arg_text).collect();
                        text.push_str(&format!("    #[serde({})]\n", args.join(", ")));
                    }
                    text.push_str(&format!("    pub {}: {ty},\n", f.name.rust));
                }
                None => fields_text = None,
            }
        }
        let serde_attr = (!serde_args.is_empty()).then(|| quote!(#[serde(#(#serde_args),*)]));
        full.push(ty.clone());
        fields.extend(quote! {
            #field_docs
            #serde_attr
            pub #field_name: #ty,
        });
    }
    // One rule for constructors: a struct with a field that must be given gets `new` with those
    // fields; one without gets `Default` instead (never a `new()` without arguments).
    let all_optional = !s.update_wrapper && s.fields.iter().all(|f| f.presence != Presence::Plain);
    let derive_default = all_optional.then(|| quote!(Default,));
    let builder = sent.then(|| builder(&name, s, &bases, all_optional));
    let derive_debug = if has_secret { quote!() } else { quote!(Debug,) };
    let debug_impl = has_secret.then(|| {
        let wire_name = def.name.rust.as_str();
        let entries = s.fields.iter().map(|f| {
            let field_name = ident(&f.name.rust);
            let label = naming::unraw(&f.name.rust);
            if f.secret { quote!(.field(#label, &model::Redacted)) } else { quote!(.field(#label, &self.#field_name)) }
        });
        let allow = s.fields.iter().any(|f| f.docs.deprecated.is_some()).then(|| quote!(#[allow(deprecated)]));
        quote! {
            #allow
            impl std::fmt::Debug for #name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct(#wire_name) #(#entries)* .finish()
                }
            }
        }
    });
    let text = fields_text.filter(|fields| !fields.is_empty()).map(|fields| {
        let mut text = super::doc_text(own_docs, "");
        text.push_str(&format!(
            "#[derive({}{}Clone, PartialEq, Serialize)]\n",
            if has_secret { "" } else { "Debug, " },
            if all_optional { "Default, " } else { "" }
        ));
        if let Some((rule_name, _)) = rule {
            text.push_str(&format!("#[serde(rename_all = \"{rule_name}\")]\n"));
        }
        text.push_str(&format!("pub struct {} {{\n{fields}}}\n", def.name.rust));
        text
    });
    let mut code = Code::default();
    match text.filter(|text| super::fits(text) && super::text_allowed()) {
        Some(text) => code.text(text),
        None => code.tokens(quote! {
            #docs
            #[derive(#derive_debug #derive_default Clone, PartialEq, Serialize)]
            #rename_all
            pub struct #name {
                #fields
            }
        }),
    }
    // A field chosen by a sibling tag needs the token form (its slot is buffered JSON).
    let sibling = s.fields.iter().any(|f| sibling_tag(api, s, f).is_some());
    match deserialize_struct_text(def, s).filter(|_| !sibling && super::text_allowed()) {
        Some(text) => code.text(text),
        None => code.tokens(deserialize_struct(api, def, s, &full)),
    }
    code.tokens(quote! {
        #debug_impl
        #builder
    });
    code
}

/// `Deserialize` of a struct, decoding objects as serde's derive does (unknown properties
/// ignored; a repeated field is an error; an absent required field is `missing field`, an
/// absent `Option` or `Nullable` field `None` or `Absent`; but an array is not read as the
/// fields in order, it is an `invalid type` error at the struct) with a fraction of its
/// code: the visitor, key matching and slot filling are `triad_runtime::model` code compiled
/// once; per struct only `model::Struct` (its field names and a loop filling one slot per
/// field) is emitted, with no sequence form, field enum or visitor type.
fn deserialize_struct(api: &Api, def: &TypeDef, s: &Struct, full: &[TokenStream]) -> TokenStream {
    let name = ident(&def.name.rust);
    let rust_name = def.name.rust.trim_start_matches("r#");
    let wires: Vec<&str> = s.fields.iter().map(|f| f.name.wire.as_str()).collect();
    let slots: Vec<Ident> = (0..s.fields.len()).map(|i| ident(&format!("f{i}"))).collect();
    // Fields holding a union chosen by a path from this struct: their JSON is buffered, and
    // decoded once every field is read, by the tag value the path leads to.
    let chosen: Vec<Option<TokenStream>> = s.fields.iter().map(|f| sibling_tag(api, s, f)).collect();
    let arms = s.fields.iter().zip(&slots).enumerate().map(|(i, (f, slot))| {
        let wire = &f.name.wire;
        let index = proc_macro2::Literal::usize_unsuffixed(i);
        quote!(#index => model::field(&mut #slot, &mut map, #wire)?,)
    });
    // A slot a tag path starts from is read before its type is inferred: it is spelled out.
    let tag_roots: Vec<usize> = s
        .fields
        .iter()
        .filter_map(|f| match &f.ty {
            TypeRef::Named(id) => match &api.ty(*id).kind {
                TypeKind::Union(Union { tagging: Tagging::Sibling { path }, .. }) => path.first(),
                _ => None,
            },
            _ => None,
        })
        .filter_map(|first| s.fields.iter().position(|f| &f.name.wire == first))
        .collect();
    let declarations = slots.iter().zip(&chosen).enumerate().map(|(i, (slot, chosen))| match (chosen, full.get(i)) {
        (Some(_), _) => quote!(let mut #slot: Option<serde_json::Value> = None;),
        (None, Some(ty)) if tag_roots.contains(&i) => quote!(let mut #slot: Option<#ty> = None;),
        (None, _) => quote!(let mut #slot = None;),
    });
    let mut decoded = TokenStream::new();
    let values: Vec<TokenStream> = s
        .fields
        .iter()
        .zip(&slots)
        .zip(&chosen)
        .map(|((f, slot), chosen)| {
            let field_name = ident(&f.name.rust);
            let wire = &f.name.wire;
            let shape = f.presence;
            if let Some(tag) = chosen {
                let mut union = quote!(model::tagged_by::<_, A::Error>(#wire, #tag, raw)?);
                if f.boxed {
                    union = quote!(Box::new(#union));
                }
                decoded.extend(match shape {
                    Presence::Plain => quote! {
                        let #slot = {
                            let raw = model::required(#slot, #wire)?;
                            #union
                        };
                    },
                    Presence::Option => quote! {
                        let #slot = match #slot {
                            None | Some(serde_json::Value::Null) => None,
                            Some(raw) => Some(#union),
                        };
                    },
                    Presence::DoubleOption => quote! {
                        let #slot = match #slot {
                            None => model::Nullable::Absent,
                            Some(serde_json::Value::Null) => model::Nullable::Null,
                            Some(raw) => model::Nullable::Value(#union),
                        };
                    },
                });
                return quote!(#field_name: #slot,);
            }
            match shape {
                Presence::Plain => quote!(#field_name: model::required(#slot, #wire)?,),
                Presence::Option | Presence::DoubleOption => quote!(#field_name: #slot.unwrap_or_default(),),
            }
        })
        .collect();
    let body = if s.fields.is_empty() {
        quote!(while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            model::skip(&mut map)?;
        })
    } else {
        quote! {
            #(#declarations)*
            while let Some(key) = map.next_key_seed(model::FieldSeed(Self::FIELDS))? {
                match key {
                    #(#arms)*
                    _ => model::skip(&mut map)?,
                }
            }
        }
    };
    quote! {
        impl model::Struct for #name {
            const NAME: &'static str = #rust_name;
            const FIELDS: &'static [&'static str] = &[#(#wires),*];
            fn visit_map<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                #body
                #decoded
                Ok(Self { #(#values)* })
            }
        }
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                model::deserialize_struct(deserializer)
            }
        }
    }
}

/// For a field holding a union chosen by a path from its struct (`Tagging::Sibling`), the
/// expression reading the tag value (`Option<&str>`) from the struct's slots `f0`, `f1`...,
/// which hold each field as decoded (before defaults).
fn sibling_tag(api: &Api, owner: &Struct, field: &Field) -> Option<TokenStream> {
    let TypeRef::Named(id) = &field.ty else { return None };
    let TypeKind::Union(Union { tagging: Tagging::Sibling { path }, .. }) = &api.ty(*id).kind else { return None };
    // Lowering reported paths that do not lead to a string; such an API is never emitted.
    let steps = api.tag_steps(owner, path).ok()?;
    let mut expr = TokenStream::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            crate::ir::TagStep::Field(_, f) => {
                if i == 0 {
                    let index = owner.fields.iter().position(|x| std::ptr::eq(x, *f))?;
                    let slot = ident(&format!("f{index}"));
                    expr = quote!(#slot.as_ref());
                } else {
                    let name = ident(&f.name.rust);
                    expr = quote!(#expr.map(|v| &v.#name));
                }
                match f.presence {
                    Presence::Plain => {}
                    Presence::Option => expr = quote!(#expr.and_then(|v| v.as_ref())),
                    Presence::DoubleOption => expr = quote!(#expr.and_then(|v| v.as_option())),
                }
                if f.boxed {
                    expr = quote!(#expr.map(|v| &**v));
                }
            }
            crate::ir::TagStep::Newtype => expr = quote!(#expr.map(|v| &v.0)),
        }
    }
    Some(quote!(#expr.map(|v| v.as_str())))
}

/// A serde argument (`rename = "x"`, `skip_serializing_if = "..."`) as prettyplease prints it.
fn arg_text(arg: &TokenStream) -> String {
    let mut out = String::new();
    for token in arg.clone() {
        match token {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == '=' => out.push_str(" = "),
            other => out.push_str(&other.to_string()),
        }
    }
    out
}

/// [`deserialize_struct`] written directly as the text prettyplease prints for its tokens, or
/// `None` where that layout is not certain (a line that would be wider than prettyplease's
/// margin, text that is not ASCII, a struct without fields): then the tokens are printed.
fn deserialize_struct_text(def: &TypeDef, s: &Struct) -> Option<String> {
    use std::fmt::Write as _;
    if s.fields.is_empty() {
        return None;
    }
    let name = &def.name.rust;
    let string = |text: &str| proc_macro2::Literal::string(text).to_string();
    let wires: Vec<String> = s.fields.iter().map(|f| string(&f.name.wire)).collect();
    let mut out = String::with_capacity(256 + 160 * wires.len());
    let _ = writeln!(out, "impl model::Struct for {name} {{");
    let _ = writeln!(out, "    const NAME: &'static str = {};", string(name.trim_start_matches("r#")));
    let fields_line = format!("    const FIELDS: &'static [&'static str] = &[{}];", wires.join(", "));
    if fields_line.len() <= MARGIN {
        out.push_str(&fields_line);
        out.push('\n');
    } else {
        out.push_str("    const FIELDS: &'static [&'static str] = &[\n");
        for wire in &wires {
            let _ = writeln!(out, "        {wire},");
        }
        out.push_str("    ];\n");
    }
    out.push_str(
        "    fn visit_map<'de, A: serde::de::MapAccess<'de>>(\n        mut map: A,\n    ) -> Result<Self, A::Error> {\n",
    );
    for i in 0..wires.len() {
        let _ = writeln!(out, "        let mut f{i} = None;");
    }
    out.push_str("        while let Some(key) = map.next_key_seed(model::FieldSeed(Self::FIELDS))? {\n");
    out.push_str("            match key {\n");
    for (i, wire) in wires.iter().enumerate() {
        let _ = writeln!(out, "                {i} => model::field(&mut f{i}, &mut map, {wire})?,");
    }
    out.push_str("                _ => model::skip(&mut map)?,\n            }\n        }\n");
    let values: Vec<String> = s
        .fields
        .iter()
        .zip(&wires)
        .enumerate()
        .map(|(i, (f, wire))| {
            let field = &f.name.rust;
            match f.presence {
                Presence::Plain => format!("{field}: model::required(f{i}, {wire})?"),
                Presence::Option | Presence::DoubleOption => format!("{field}: f{i}.unwrap_or_default()"),
            }
        })
        .collect();
    // prettyplease keeps a struct expression on one line when `Self { `, its fields and the
    // space after them take at most 34 columns.
    let one_line = values.join(", ");
    if format!("Self {{ {one_line} ").len() <= 34 {
        let _ = writeln!(out, "        Ok(Self {{ {one_line} }})");
    } else {
        out.push_str("        Ok(Self {\n");
        for value in &values {
            let _ = writeln!(out, "            {value},");
        }
        out.push_str("        })\n");
    }
    out.push_str("    }\n}\n");
    let _ = writeln!(out, "impl<'de> Deserialize<'de> for {name} {{");
    out.push_str(
        "    fn deserialize<D: serde::Deserializer<'de>>(\n        deserializer: D,\n    ) -> Result<Self, D::Error> {\n        \
         model::deserialize_struct(deserializer)\n    }\n}\n",
    );
    (out.is_ascii() && out.lines().all(|line| line.len() <= MARGIN)).then_some(out)
}

fn string_enum(name: &Ident, e: &StringEnum, docs: TokenStream) -> TokenStream {
    let unknown = ident(&e.unknown);
    let variants = e.variants.iter().map(|v| {
        let docs = doc_attrs(&v.docs);
        let variant = ident(&v.name.rust);
        quote!(#docs #variant,)
    });
    let to_str = e.variants.iter().map(|v| {
        let variant = ident(&v.name.rust);
        let wire = &v.name.wire;
        quote!(Self::#variant => #wire,)
    });
    let from_str = e.variants.iter().map(|v| {
        let variant = ident(&v.name.rust);
        let wire = &v.name.wire;
        quote!(#wire => Self::#variant,)
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#variants)*
            /// A value this version of the crate does not know, kept as received.
            #unknown(String),
        }
        impl #name {
            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::#unknown(value) => value,
                }
            }
        }
        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::#unknown(other.to_owned()),
                }
            }
        }
        impl std::str::FromStr for #name {
            type Err = std::convert::Infallible;
            /// Never fails: a value this crate does not know becomes the unknown variant.
            fn from_str(value: &str) -> Result<Self, std::convert::Infallible> {
                Ok(Self::from(value))
            }
        }
        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(model::OpenEnumVisitor::new())
            }
        }
    }
}

/// Serialization of an internally tagged union through a borrowed mirror enum deriving
/// `Serialize` with `#[serde(tag)]`: serde writes the tag and the payload's fields in one pass.
/// Not used when a payload struct declares the tag itself (serde would write it twice).
fn internal_derive(api: &Api, u: &Union, uses: &mut Uses) -> Option<TokenStream> {
    let Tagging::Internal { tag } = &u.tagging else { return None };
    let declares_tag = |ty: &TypeRef| match ty {
        TypeRef::Named(id) => match &api.ty(*id).kind {
            TypeKind::Struct(s) => s.fields.iter().any(|f| &f.name.wire == tag),
            TypeKind::Alias(_) | TypeKind::Newtype(_) | TypeKind::Union(_) => true,
            TypeKind::Enum(_) => false,
        },
        _ => true,
    };
    if u.variants.iter().any(|v| v.nullable || v.ty.as_ref().is_some_and(declares_tag)) {
        return None;
    }
    let unknown = ident(&u.unknown);
    let mut mirror = TokenStream::new();
    let mut arms = TokenStream::new();
    for v in &u.variants {
        let variant = ident(&v.name.rust);
        let wire = &v.name.wire;
        match &v.ty {
            Some(ty) => {
                let ty = type_tokens(api, ty, uses);
                mirror.extend(quote!(#[serde(rename = #wire)] #variant(&'a #ty),));
                // A boxed payload auto-derefs to the mirror's `&T`.
                arms.extend(quote!(Self::#variant(value) => Tagged::#variant(value),));
            }
            None => {
                mirror.extend(quote!(#[serde(rename = #wire)] #variant,));
                arms.extend(quote!(Self::#variant => Tagged::#variant,));
            }
        }
    }
    let lifetime = u.variants.iter().any(|v| v.ty.is_some()).then(|| quote!(<'a>));
    Some(quote! {
        #[derive(Serialize)]
        #[serde(tag = #tag)]
        enum Tagged #lifetime {
            #mirror
        }
        let tagged = match self {
            #arms
            Self::#unknown(value) => return value.serialize(serializer),
        };
        tagged.serialize(serializer)
    })
}

/// `model::Shape`s of an untagged union's variants: the JSON kinds each accepts and the
/// required properties that only it has, so a value is decoded as the variant its shape names.
fn untagged_shapes(api: &Api, u: &Union) -> Vec<TokenStream> {
    let keys: Vec<(Vec<String>, Vec<String>)> =
        u.variants.iter().map(|v| v.ty.as_ref().map(|ty| object_keys(api, ty, 0)).unwrap_or_default()).collect();
    u.variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut kinds = v.ty.as_ref().map_or(kind::NULL, |ty| json_kinds(api, ty, 0));
            if v.nullable {
                kinds |= kind::NULL;
            }
            let own: Vec<&String> = keys.get(i).map(|(required, _)| required.iter().collect()).unwrap_or_default();
            let own: Vec<&String> = own
                .into_iter()
                .filter(|k| !keys.iter().enumerate().any(|(j, (_, declared))| j != i && declared.contains(k)))
                .collect();
            let variant = naming::unraw(&v.name.rust);
            quote!(model::Shape { variant: #variant, kinds: #kinds, keys: &[#(#own),*] })
        })
        .collect()
}

/// JSON kinds as `model::kind` bits.
mod kind {
    pub(super) const NULL: u8 = 1;
    pub(super) const BOOL: u8 = 2;
    pub(super) const INTEGER: u8 = 4;
    pub(super) const FRACTION: u8 = 8;
    pub(super) const STRING: u8 = 16;
    pub(super) const ARRAY: u8 = 32;
    pub(super) const OBJECT: u8 = 64;
    pub(super) const ANY: u8 = 127;
}

/// Deepest chain of aliases and unions followed when describing a variant's shape.
const SHAPE_DEPTH: u32 = 32;

/// The JSON kinds a value of `ty` may be written as. Tagged unions count as objects: only an
/// object can carry their tag.
fn json_kinds(api: &Api, ty: &TypeRef, depth: u32) -> u8 {
    use crate::ir::Primitive;
    if depth > SHAPE_DEPTH {
        return kind::ANY;
    }
    match ty {
        TypeRef::Any => kind::ANY,
        TypeRef::List(_) => kind::ARRAY,
        TypeRef::Map(_) => kind::OBJECT,
        TypeRef::Primitive(p) => match p {
            Primitive::String | Primitive::Uuid | Primitive::DateTime | Primitive::Date => kind::STRING,
            Primitive::Bool => kind::BOOL,
            Primitive::I32 | Primitive::I64 => kind::INTEGER,
            Primitive::F32 | Primitive::F64 | Primitive::Decimal => kind::INTEGER | kind::FRACTION,
        },
        TypeRef::Named(id) => match &api.ty(*id).kind {
            TypeKind::Struct(_) => kind::OBJECT,
            TypeKind::Enum(_) => kind::STRING,
            TypeKind::Alias(inner) | TypeKind::Newtype(inner) => json_kinds(api, inner, depth + 1),
            TypeKind::Union(inner) => match &inner.tagging {
                Tagging::Internal { .. } | Tagging::Adjacent { .. } => kind::OBJECT,
                Tagging::External => kind::OBJECT | kind::STRING,
                Tagging::Untagged | Tagging::Sibling { .. } => inner.variants.iter().fold(0, |acc, v| {
                    let own = v.ty.as_ref().map_or(kind::NULL, |t| json_kinds(api, t, depth + 1));
                    acc | own | if v.nullable { kind::NULL } else { 0 }
                }),
            },
        },
    }
}

/// The properties an object of `ty` must have, and all it may have (empty for non-objects).
fn object_keys(api: &Api, ty: &TypeRef, depth: u32) -> (Vec<String>, Vec<String>) {
    let TypeRef::Named(id) = ty else { return Default::default() };
    if depth > SHAPE_DEPTH {
        return Default::default();
    }
    match &api.ty(*id).kind {
        TypeKind::Struct(s) => (
            s.fields.iter().filter(|f| f.required).map(|f| f.name.wire.clone()).collect(),
            s.fields.iter().map(|f| f.name.wire.clone()).collect(),
        ),
        TypeKind::Alias(inner) | TypeKind::Newtype(inner) => object_keys(api, inner, depth + 1),
        TypeKind::Union(inner) => {
            let mut declared = Vec::new();
            let required = match &inner.tagging {
                Tagging::Internal { tag } => {
                    declared.push(tag.clone());
                    for v in &inner.variants {
                        if let Some(t) = &v.ty {
                            declared.extend(object_keys(api, t, depth + 1).1);
                        }
                    }
                    vec![tag.clone()]
                }
                Tagging::Adjacent { tag, content } => {
                    declared.extend([tag.clone(), content.clone()]);
                    vec![tag.clone()]
                }
                Tagging::External => {
                    declared.extend(inner.variants.iter().map(|v| v.name.wire.clone()));
                    Vec::new()
                }
                Tagging::Untagged | Tagging::Sibling { .. } => {
                    for v in &inner.variants {
                        if let Some(t) = &v.ty {
                            declared.extend(object_keys(api, t, depth + 1).1);
                        }
                    }
                    Vec::new()
                }
            };
            (required, declared)
        }
        TypeKind::Enum(_) => Default::default(),
    }
}

fn union(api: &Api, name: &Ident, u: &Union, docs: TokenStream, uses: &mut Uses) -> TokenStream {
    let unknown = ident(&u.unknown);
    let mut variants = TokenStream::new();
    let mut ser_arms = TokenStream::new();
    let mut de_arms = TokenStream::new();
    let mut untagged_tries = TokenStream::new();
    let mut untagged_tries_count = 0usize;
    for v in &u.variants {
        let variant = ident(&v.name.rust);
        let variant_docs = doc_attrs(&v.docs);
        let wire = &v.name.wire;
        let Some(ty) = &v.ty else {
            variants.extend(quote!(#variant_docs #variant,));
            ser_arms.extend(match &u.tagging {
                Tagging::Internal { tag } | Tagging::Adjacent { tag, .. } => {
                    quote!(Self::#variant => model::serialize_internal(serializer, #tag, #wire, &serde_json::Map::new()),)
                }
                _ => quote!(Self::#variant => serializer.serialize_str(#wire),),
            });
            de_arms.extend(quote!(Some(#wire) => Self::#variant,));
            continue;
        };
        let mut ty = type_tokens(api, ty, uses);
        if v.boxed {
            ty = quote!(Box<#ty>);
        }
        if v.nullable {
            ty = quote!(Option<#ty>);
        }
        variants.extend(quote!(#variant_docs #variant(#ty),));
        ser_arms.extend(match &u.tagging {
            // A nested union on the same tag writes its own tag value.
            Tagging::Internal { tag } if api.nested_union(v, tag).is_some() => {
                quote!(Self::#variant(value) => value.serialize(serializer),)
            }
            Tagging::Internal { tag } => {
                quote!(Self::#variant(value) => model::serialize_internal(serializer, #tag, #wire, value),)
            }
            Tagging::Adjacent { tag, content } => {
                quote!(Self::#variant(value) => model::serialize_adjacent(serializer, #tag, #wire, #content, value),)
            }
            Tagging::External => {
                quote!(Self::#variant(value) => model::serialize_external(serializer, #wire, value),)
            }
            Tagging::Untagged | Tagging::Sibling { .. } => {
                quote!(Self::#variant(value) => value.serialize(serializer),)
            }
        });
        // Tagged unions decode through `model::Tagged` (below); these arms serve the others.
        match &u.tagging {
            Tagging::Internal { .. } | Tagging::Adjacent { .. } | Tagging::Sibling { .. } => {}
            Tagging::External => {
                de_arms.extend(quote!(Some(#wire) => Self::#variant(model::decode_member(&value, #wire)?),))
            }
            Tagging::Untagged => {
                let index = untagged_tries_count;
                untagged_tries_count += 1;
                untagged_tries.extend(quote! {
                    if let Some(inner) = candidates.decode(#index) {
                        return Ok(Self::#variant(inner));
                    }
                })
            }
        }
    }
    let untagged = u.tagging == Tagging::Untagged;
    // An untagged union has no unknown variant: a value no variant fits is an error.
    let unknown_arm = (!untagged).then(|| quote!(Self::#unknown(value) => value.serialize(serializer),));
    let serialize_body = match internal_derive(api, u, uses) {
        Some(body) => body,
        None => quote! {
            match self {
                #ser_arms
                #unknown_arm
            }
        },
    };
    let mut tagged_impl = TokenStream::new();
    if let Tagging::Adjacent { tag, .. } | Tagging::Internal { tag } = &u.tagging {
        // Each tag value selects one variant: duplicates go to the first, and a nested union on
        // the same tag answers to all of its own values.
        let tags = api.variant_tags(u);
        let known: Vec<&String> = tags.iter().flatten().collect();
        let known = if known.is_empty() {
            quote!({
                let _ = tag;
                false
            })
        } else {
            quote!(matches!(tag, #(#known)|*))
        };
        let arms = u.variants.iter().zip(&tags).filter(|(_, tags)| !tags.is_empty()).map(|(v, tags)| {
            let variant = ident(&v.name.rust);
            match &v.ty {
                Some(_) => quote!(#(#tags)|* => Self::#variant(Deserialize::deserialize(content)?),),
                None => quote!(#(#tags)|* => {
                    serde::de::IgnoredAny::deserialize(content)?;
                    Self::#variant
                }),
            }
        });
        tagged_impl = quote! {
            impl model::Tagged for #name {
                const TAG: &'static str = #tag;
                fn known(tag: &str) -> bool {
                    #known
                }
                fn content<'de, D: serde::Deserializer<'de>>(tag: &str, content: D) -> Result<Self, D::Error> {
                    Ok(match tag {
                        #(#arms)*
                        _ => Self::#unknown(serde_json::Value::deserialize(content)?),
                    })
                }
                fn unknown(raw: serde_json::Value) -> Self {
                    Self::#unknown(raw)
                }
            }
        };
        if let Tagging::Adjacent { content, .. } = &u.tagging {
            tagged_impl.extend(quote! {
                impl model::Adjacent for #name {
                    const CONTENT: &'static str = #content;
                }
            });
        }
    }
    if let Tagging::Sibling { path } = &u.tagging {
        let tag = path.join(".");
        let arms = u.variants.iter().map(|v| {
            let variant = ident(&v.name.rust);
            let wire = &v.name.wire;
            let wrap = if v.boxed { quote!(|value| Self::#variant(Box::new(value))) } else { quote!(Self::#variant) };
            match &v.ty {
                Some(_) => quote!(#wire => model::decode_traced(raw).map(#wrap),),
                None => quote!(#wire => Ok(Self::#variant),),
            }
        });
        tagged_impl = quote! {
            impl model::TaggedBy for #name {
                const TAG: &'static str = #tag;
                fn content(tag: &str, raw: &serde_json::Value) -> Option<Result<Self, String>> {
                    Some(match tag {
                        #(#arms)*
                        _ => return None,
                    })
                }
                fn unknown(raw: serde_json::Value) -> Self {
                    Self::#unknown(raw)
                }
            }
        };
    }
    let deserialize_body = match &u.tagging {
        Tagging::Sibling { .. } => quote! {
            model::deserialize_tagged_by(deserializer)
        },
        Tagging::Adjacent { .. } => quote! {
            model::deserialize_adjacent(deserializer)
        },
        Tagging::Internal { .. } => quote! {
            model::deserialize_internal(deserializer)
        },
        Tagging::External => quote! {
            let value = model::buffer(deserializer)?;
            let key = match &value {
                serde_json::Value::Object(map) if map.len() == 1 => map.keys().next().map(String::as_str),
                serde_json::Value::String(name) => Some(name.as_str()),
                _ => None,
            };
            Ok(match key {
                #de_arms
                _ => Self::#unknown(value),
            })
        },
        Tagging::Untagged => {
            let shapes = untagged_shapes(api, u);
            let union_name = name.to_string();
            quote! {
                const SHAPES: &[model::Shape] = &[#(#shapes),*];
                let value = model::buffer(deserializer)?;
                let mut candidates = model::Untagged::new(#union_name, &value, SHAPES);
                #untagged_tries
                Err(candidates.error())
            }
        }
    };
    let unknown_variant = (!untagged).then(|| {
        quote! {
            /// A variant this version of the crate does not know, kept as received.
            #unknown(serde_json::Value),
        }
    });
    let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
    let untagged_doc = match &u.tagging {
        Tagging::Untagged => Some(quote! {
            #separator
            #[doc = " Untagged: a value is read as the first variant, in the order listed, that fits its shape and decodes (see the crate docs); a value no variant fits is an error saying why each candidate failed."]
        }),
        Tagging::Sibling { path } => {
            let text = format!(
                " Chosen by `{}` of the object holding it (set in the codegen config): that object reads the tag, then decodes this value as the variant it names; a value of a known kind that does not decode is an error, and a tag value this crate does not know keeps the value as received. Written as the payload alone.",
                path.join(".")
            );
            Some(quote! {
                #separator
                #[doc = #text]
            })
        }
        _ => None,
    };
    quote! {
        #docs
        #untagged_doc
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name {
            #variants
            #unknown_variant
        }
        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #serialize_body
            }
        }
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #deserialize_body
            }
        }
        #tagged_impl
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::FsReader;

    /// Every API the test can read: the flagship, the fixtures, and the published Mews Connector
    /// API when the corpus is beside the repository.
    fn apis() -> Vec<Api> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let reader = FsReader::new(&root);
        let flagship = Config::from_file(&root.join("spec/mews/codegen.yaml"), "spec/mews/codegen.yaml").unwrap();
        let mut apis = vec![crate::load(&flagship, "spec/mews", &reader).unwrap()];
        for fixture in ["objects", "unions", "operations", "hostile", "cycles", "type_lists", "shared_tags"] {
            let config = Config::for_name(fixture, vec![format!("tests/fixtures/{fixture}.yaml")]);
            apis.push(crate::load(&config, "", &reader).unwrap());
        }
        let corpus = root.join("../shared/corpus/mews-connector");
        if let Ok(dir) = std::fs::read_dir(&corpus) {
            let mut specs: Vec<String> = dir.filter_map(|e| Some(e.ok()?.file_name().to_str()?.to_owned())).collect();
            specs.sort();
            let config = Config::for_name("mews-connector", specs);
            apis.push(crate::load(&config, "", &FsReader::new(&corpus)).unwrap());
        }
        apis
    }

    #[test]
    fn struct_impls_written_as_text_are_what_prettyplease_prints() {
        let (mut as_text, mut as_tokens) = (0, 0);
        for api in apis() {
            for def in &api.types {
                let TypeKind::Struct(s) = &def.kind else { continue };
                // No sibling-tagged fields: the field types are not needed.
                let printed = super::super::unparse(deserialize_struct(&api, def, s, &[])).unwrap();
                match deserialize_struct_text(def, s) {
                    Some(text) => {
                        assert_eq!(text, printed, "{}", def.name.rust);
                        as_text += 1;
                    }
                    None => as_tokens += 1,
                }
            }
        }
        // Nearly every struct takes the text path; the others show the fallback is exercised.
        assert!(as_text > 100 && as_tokens > 0, "{as_text} as text, {as_tokens} as tokens");
    }

    #[test]
    fn every_type_reads_the_same_with_or_without_text_blocks() {
        for api in apis() {
            for null_means_absent in [false, true] {
                let mut config = Config::for_name("test", Vec::new());
                config.null_means_absent = null_means_absent;
                let isolated = crate::emit::spell::isolated_fields(&api, &config);
                let sent = sent_types(&api);
                for (i, def) in api.types.iter().enumerate() {
                    let id = TypeId(i);
                    let isolated = isolated_of(&isolated, id);
                    let render = || {
                        let mut uses = Uses::default();
                        type_def(&api, def, &isolated, sent.contains(&id), &[], &mut uses).unparse().unwrap()
                    };
                    let with_text = render();
                    super::super::TOKENS_ONLY.set(true);
                    let tokens_only = render();
                    super::super::TOKENS_ONLY.set(false);
                    assert_eq!(with_text, tokens_only, "{}", def.name.rust);
                }
            }
        }
    }
}

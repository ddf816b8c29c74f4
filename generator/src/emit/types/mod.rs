//! The types crate: every named type of the API with serde support, and nothing else.

use crate::emit::EmitError;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use std::collections::BTreeMap;

use super::spell::{Uses, ident, type_tokens};
use super::{Code, Dependency, Files, MARGIN, Provenance, doc_attrs, docs, render_template};
use crate::config::Config;
use crate::ir::{
    Api, Direction, Field, Presence, Primitive, StringEnum, Struct, Tagging, TypeDef, TypeId, TypeKind, TypeRef, Union,
};
use crate::naming;

mod enums;
mod structs;
mod unions;

use enums::*;
use structs::*;
use unions::*;

const README: &str = include_str!("../../../../templates/types/README.md.j2");

/// The README's usage example (a doctest that runs): a value built with the crate's
/// constructors, written as JSON and read back. The value is of the request body of the
/// config's first example operation, or of the first operation, whose body the sampler can
/// write; else of the first sent type, else of the first type, it can write; `None` when it can
/// write none.
fn usage(api: &Api, config: &Config) -> Result<Option<String>, EmitError> {
    let krate = super::spell::crate_ident(&config.types_crate.name);
    let sampler = super::sample::Sampler::new(api, quote!(#krate));
    let by_wire = |wire: &str| api.operations.iter().find(|op| op.name.wire == wire);
    let examples = config.client.examples.iter().filter_map(|e| by_wire(&e.operation));
    let bodies = examples.chain(&api.operations).filter_map(|op| match op.request.as_ref().map(|b| &b.ty) {
        Some(TypeRef::Named(id)) => Some(*id),
        _ => None,
    });
    let all = (0..api.types.len()).map(TypeId);
    let Some(id) = bodies.chain(all).find(|id| sampler.builds(*id)) else { return Ok(None) };
    let value = sampler.value(&TypeRef::Named(id));
    let name = ident(&api.ty(id).name.rust);
    let tokens = quote! {
        fn main() -> Result<(), Box<dyn std::error::Error>> {
            let value = #value;
            let json = serde_json::to_string(&value)?;
            let back: #krate::#name = serde_json::from_str(&json)?;
            assert_eq!(back, value);
            println!("{json}");
            Ok(())
        }
    };
    Ok(Some(super::unparse(tokens)?.trim_end().to_owned()))
}

/// The crate's README: what it holds, its dependencies, and its webhooks and channels with the
/// types they carry. `title` and `version` are already one line of escaped Markdown.
fn readme(
    api: &Api,
    krate: &crate::config::CrateSettings,
    usage: Option<String>,
    provenance: &Provenance,
    uses: &Uses,
    title: &str,
    version: &str,
) -> Result<String, EmitError> {
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
        usage => usage,
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
    render_template("README.md", README, context)
}

pub(super) fn emit(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), EmitError> {
    let krate = &config.types_crate;
    let mut uses = Uses::default();
    // Other crates (the client's parameters) spell dates as this crate's `calendar::Date`.
    for op in &api.operations {
        for param in &op.params {
            let _ = super::spell::type_tokens(api, &param.ty, &mut uses);
        }
    }
    let operations = operation_docs(api);
    // The types' items are built and pretty-printed in two parts of about equal size, the second
    // on another thread (token streams cannot cross threads, so each part makes its own); the
    // texts are joined in order, so the output does not depend on the threads.
    let render_types = |range: std::ops::Range<usize>| -> Result<(String, Uses), EmitError> {
        let mut uses = Uses::default();
        let mut items = Code::default();
        for (i, def) in api.types.iter().enumerate().take(range.end).skip(range.start) {
            let id = TypeId(i);
            let ops = operations.get(&id).map(Vec::as_slice).unwrap_or_default();
            items.extend(type_def(api, def, ops, &mut uses));
        }
        Ok((items.unparse()?, uses))
    };
    let split = half_point(api);
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| render_types(split..api.types.len()));
        let first = render_types(0..split);
        (first, second.join().map_err(|_| EmitError::Panicked("types")))
    });
    let (first, first_uses) = first?;
    let (second, second_uses) = second??;
    uses |= first_uses;
    uses |= second_uses;
    // Titles and versions are spec text: one line of escaped Markdown wherever they appear.
    let title = docs::inline(docs::api_title(api, &config.name));
    let version = docs::inline(&api.version);
    let mut crate_doc = docs::crate_intro("Types", api, &config.name);
    crate_doc.push_str("\n\nEvery model, webhook payload and channel message of the API, with serde. Unknown enum values and unknown variants of tagged unions deserialize into an `Unknown` variant that keeps the raw value; unknown fields are ignored; a value of a known kind that does not decode is an error, never `Unknown`.");
    crate_doc.push_str(&decoding_docs(api));
    crate_doc.push_str(&building_docs(api, config));
    if let Some(text) = &api.docs.text {
        crate_doc.push_str("\n\n");
        crate_doc.push_str(&docs::sanitize(text));
    }
    crate_doc.push_str(&index(api));
    let crate_docs: TokenStream = crate::emit::inner_docs(&crate_doc);
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
            /// read from a JSON number's own text (or a string holding one), never through
            /// `f64`, and written as a JSON number of their own digits (`model::exact`).
            pub use rust_decimal::Decimal;
        }
    });
    let uuid = uses.uuid.then(|| {
        quote! {
            /// The `uuid` crate of this crate's `format: uuid` fields, to name and build `Uuid`
            /// values without depending on a matching version.
            pub use uuid;
        }
    });
    // The README's example runs as a doctest.
    let usage = usage(api, config)?;
    let readme_doctests = usage.is_some().then(|| {
        quote! {
            #[cfg(doctest)]
            #[doc = include_str!("../README.md")]
            pub struct ReadmeDoctests;
        }
    });
    let lib = quote! {
        #crate_docs
        #![allow(deprecated, clippy::large_enum_variant, clippy::enum_variant_names, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, clippy::type_complexity)]
        /// The serde helpers this crate's types use, from `triad-runtime`: [`model::Nullable`]
        /// is the type of optional fields that may also be `null`.
        pub use triad_runtime::model;
        pub use triad_runtime::model::Decoded;
        #readme_doctests
        #serde_import
        #calendar
        #decimal
        #uuid
    };
    let prefix = &krate.name;
    let code = super::unparse(lib)? + &first + &second;
    files.insert(format!("{prefix}/src/lib.rs"), super::finish_rust(&code, provenance));
    files.insert(format!("{prefix}/Cargo.toml"), manifest(api, config, provenance, &uses)?);
    files.insert(format!("{prefix}/README.md"), readme(api, krate, usage, provenance, &uses, &title, &version)?);
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
fn decoding_docs(api: &Api) -> String {
    let mut out = String::new();
    // By type, then by field wire name.
    let isolated: std::collections::BTreeSet<(TypeId, &str)> = api
        .types
        .iter()
        .enumerate()
        .filter_map(|(i, t)| if let TypeKind::Struct(s) = &t.kind { Some((TypeId(i), s)) } else { None })
        .flat_map(|(id, s)| s.fields.iter().filter(|f| f.isolated).map(move |f| (id, f.name.wire.as_str())))
        .collect();
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
        for (id, field) in &isolated {
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
    let mut out = "\n\n# Building values\n\nEvery struct and enum is `#[non_exhaustive]`, so a later version may add \
        a field, a variant or an enum value without breaking code that uses this one: outside this crate a struct \
        is built with `new`, taking the fields that must be given (required and not nullable), or with `Default` \
        when it has none, and a chainable `with_<field>` setter for every other field, which takes anything that \
        converts into the field's type (`&str` for a `String`; numbers and booleans are taken as they are); its \
        fields stay public to read and assign. A \
        deprecated field's setter is deprecated, so only setting such a field warns. A `match` on an enum ends with \
        a `_` arm; the unknown variant keeps a value this version does not know. String enums implement `FromStr` \
        (an unknown value becomes the unknown variant)."
        .to_owned();
    let mut credentials: Vec<String> = Vec::new();
    for c in api.operations.iter().flat_map(|op| &op.body_credentials) {
        let name = docs::code_span(&c.wire);
        if !credentials.contains(&name) {
            credentials.push(name);
        }
    }
    if !credentials.is_empty() {
        out.push_str(&format!(
            "\n\nRequest types have no fields for the credentials every request body carries ({}): the client \
             writes them into each body it sends, and the API server hands them to its methods apart.",
            credentials.join(", ")
        ));
    }
    let nullable = structs.iter().any(|s| s.fields.iter().any(|f| !f.required && f.nullable));
    if nullable {
        out.push_str(if config.null_means_absent {
            "\n\nAn optional field that may be `null` is one `Option`: this API treats `null` as \"not given\", so \
             `None` is left out when writing and `null` reads as `None`."
        } else {
            "\n\nAn optional field that may be `null` is a [`model::Nullable`], because absent and `null` can mean \
             different things: `Absent` is left out, `Null` is written as `null`, `Value(v)` as the value; \
             `with_<field>` sets a value and `clear_<field>` an explicit `null`."
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
fn manifest(api: &Api, config: &Config, provenance: &Provenance, uses: &Uses) -> Result<String, EmitError> {
    let krate = &config.types_crate;
    let title = docs::api_title(api, &config.name);
    let description = match &krate.description {
        Some(text) => super::one_line(text),
        None => format!("Types of the {}", super::one_line(title)),
    };
    let mut dependencies = BTreeMap::new();
    dependencies.insert("serde", Dependency::registry("1", &["std", "derive"]));
    dependencies.insert("serde_json", Dependency::registry("1", &["std"]));
    // The shared serde helpers (`model`), prebuilt once for every types crate.
    let features: Vec<&str> = [("calendar", uses.date), ("decimal", uses.decimal)]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| f)
        .collect();
    let runtime = Dependency::local(super::RUNTIME_VERSION, config.client.runtime_path.clone(), &features);
    dependencies.insert("triad-runtime", runtime.without_default_features());
    if uses.uuid {
        dependencies.insert("uuid", Dependency::registry("1", &["std", "serde"]));
    }
    if uses.decimal {
        // Fields and variants read and write decimals through the runtime's `model::exact`;
        // `serde-str` is the text form of operation parameters (and of command-line options).
        dependencies.insert("rust_decimal", Dependency::registry("1", &["std", "serde-str"]));
    }
    let manifest = super::Manifest {
        krate,
        description,
        keyword: "types",
        categories: vec!["api-bindings", "encoding"],
        dependencies,
        dev_dependencies: BTreeMap::new(),
        features: BTreeMap::new(),
        examples: Vec::new(),
    };
    super::manifest(manifest, config, provenance)
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

/// How a struct is documented.
struct Role<'a> {
    /// The type's own docs (also given as `#[doc]` tokens).
    docs: &'a crate::ir::Docs,
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

fn type_def(api: &Api, def: &TypeDef, operations: &[String], uses: &mut Uses) -> Code {
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
        TypeKind::Struct(s) => structure(api, def, s, Role { docs: &own }, docs, uses),
        TypeKind::Enum(e) => string_enum(&name, e, docs).into(),
        TypeKind::Union(u) => union(api, &name, u, docs, uses).into(),
        TypeKind::Alias(ty) => {
            let ty = type_tokens(api, ty, uses);
            quote! { #docs pub type #name = #ty; }.into()
        }
        TypeKind::Newtype(inner) => {
            let ty = type_tokens(api, inner, uses);
            let exact = super::spell::holds_decimal(api, inner).then(|| quote!(#[serde(with = "model::exact")]));
            quote! {
                #docs
                #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
                #[serde(transparent)]
                pub struct #name(#exact pub #ty);
            }
            .into()
        }
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
                // A struct with a field chosen by a sibling tag always takes the token form (as
                // the emitter decides); for the others the field types are not needed.
                if s.fields.iter().any(|f| super::structs::sibling_tag(&api, s, f).is_some()) {
                    as_tokens += 1;
                    continue;
                }
                let printed = super::super::unparse(deserialize_struct(&api, def, s, &[])).unwrap();
                match deserialize_struct_text(&api, def, s) {
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
                for def in &api.types {
                    let render = || {
                        let mut uses = Uses::default();
                        type_def(&api, def, &[], &mut uses).unparse().unwrap()
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

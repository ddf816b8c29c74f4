//! Structure-aware inputs for the `generate` and `deterministic` targets: `arbitrary` builds a
//! small API (an OpenAPI or AsyncAPI document, an optional second file its `$ref`s point into,
//! and a codegen config) from a grammar of the keywords the generator reads, so most inputs
//! get past parsing into lowering and emission. Every level has a `Wild` escape, a JSON value
//! over the same vocabulary, so shapes the grammar does not foresee are reached too.
//!
//! An input whose first byte is `!` is instead the text of the spec itself (used for the seeds
//! run.sh makes from the fixture and corpus files).

use std::collections::BTreeSet;

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Map, Value, json};
use triad::Provenance;
use triad::config::Config;
use triad::load::MemoryReader;

/// Schema names: ordinary ones, ones that clash after case conversion, Rust keywords and
/// prelude names, and names that need escaping in a JSON pointer.
const NAMES: &[&str] = &[
    "Pet",
    "Dog",
    "Cat",
    "pet",
    "PET",
    "Owner",
    "Type",
    "Self",
    "self",
    "Option",
    "String",
    "Default",
    "Error",
    "Value",
    "UpdateValue",
    "Kind",
    "1st",
    "",
    "a/b",
    "x~y",
    "Unknown",
    "Box",
    "Vec",
];

/// Property names, enum values and tags.
const WORDS: &[&str] = &[
    "id",
    "type",
    "Type",
    "kind",
    "Kind",
    "Value",
    "Discriminator",
    "name",
    "Name",
    "NAME",
    "self",
    "super",
    "",
    "_",
    "1",
    "a b",
    "r#x",
    "dog",
    "cat",
    "null",
    "true",
    "Unknown",
    "ÄÖ",
    "a-b",
    "a_b",
    "aB",
    "AB",
    "Cursor",
    "Limitation",
    "Count",
    "ClientToken",
    "Token",
];

fn name(i: u8) -> &'static str {
    NAMES[i as usize % NAMES.len()]
}

#[derive(Arbitrary, Debug)]
pub enum Word {
    Known(u8),
    Free(String),
}

impl Word {
    fn text(&self) -> String {
        match self {
            Word::Known(i) => WORDS[*i as usize % WORDS.len()].to_owned(),
            Word::Free(s) => s.clone(),
        }
    }
}

/// A JSON value over the vocabulary, for the grammar's escape hatches.
#[derive(Arbitrary, Debug)]
pub enum Wild {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Word(Word),
    Keyword(u8),
    Seq(Vec<Wild>),
    Map(Vec<(Key, Wild)>),
}

/// Keys of a wild mapping: mostly keywords the generator reacts to.
#[derive(Arbitrary, Debug)]
pub enum Key {
    Keyword(u8),
    Word(Word),
}

const KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "properties",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "discriminator",
    "mapping",
    "propertyName",
    "enum",
    "const",
    "nullable",
    "required",
    "additionalProperties",
    "format",
    "title",
    "description",
    "deprecated",
    "x-secret",
    "x-update-value",
    "x-enumDescriptions",
    "schema",
    "content",
    "application/json",
    "payload",
    "messages",
    "message",
    "components",
    "schemas",
    "paths",
    "webhooks",
    "channels",
    "operations",
    "parameters",
    "requestBody",
    "responses",
    "in",
    "not",
    "$defs",
    "definitions",
    "x-schema-id",
    "summary",
    "operationId",
];

fn keyword(i: u8) -> &'static str {
    KEYWORDS[i as usize % KEYWORDS.len()]
}

impl Wild {
    fn json(&self) -> Value {
        match self {
            Wild::Null => Value::Null,
            Wild::Bool(b) => json!(b),
            Wild::Int(i) => json!(i),
            Wild::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Wild::Word(w) => json!(w.text()),
            Wild::Keyword(i) => json!(keyword(*i)),
            Wild::Seq(items) => Value::Array(items.iter().map(Wild::json).collect()),
            Wild::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Key::Keyword(i) => keyword(*i).to_owned(),
                            Key::Word(w) => w.text(),
                        };
                        (key, v.json())
                    })
                    .collect(),
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub enum Primitive {
    String,
    Integer,
    Number,
    Boolean,
    Null,
    Object,
    Array,
    /// OpenAPI 3.1 type lists (`[string, null]`).
    List(Vec<u8>),
}

const FORMATS: &[&str] = &["uuid", "date-time", "date", "int32", "int64", "float", "double", "password", "byte", "x"];

#[derive(Arbitrary, Debug)]
pub enum Target {
    /// `#/components/schemas/<name>` (or the AsyncAPI equivalent, same path).
    Local(u8),
    /// `parts.yaml#/<name>`.
    Parts(u8),
    /// A reference that cannot resolve in some way.
    Broken(u8),
    Free(String),
}

const BROKEN: &[&str] = &[
    "#",
    "#/",
    "#/components",
    "#/components/schemas/Nope",
    "nope.yaml",
    "parts.yaml",
    "parts.yaml#/Nope",
    "#components/schemas/Pet",
    "#/components/schemas/a~1b",
    "#/components/schemas/x~0y",
    "#/components/schemas/a%2Fb",
    "#/paths",
    "https://example.com/x.yaml#/A",
    "../parts.yaml#/Pet",
    "parts.yaml#",
    "#/components/schemas/%",
    "#/components/schemas/Pet/properties/id",
    "#/info/title",
];

impl Target {
    fn text(&self) -> String {
        match self {
            Target::Local(i) => format!("#/components/schemas/{}", escape(name(*i))),
            Target::Parts(i) => format!("parts.yaml#/{}", escape(name(*i))),
            Target::Broken(i) => BROKEN[*i as usize % BROKEN.len()].to_owned(),
            Target::Free(s) => s.clone(),
        }
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[derive(Arbitrary, Debug)]
pub struct Discriminator {
    property: Word,
    mapping: Vec<(Word, Target)>,
}

#[derive(Arbitrary, Debug)]
pub enum Additional {
    Bool(bool),
    Schema(Box<Schema>),
}

#[derive(Arbitrary, Debug)]
pub enum Schema {
    Ref(Target),
    Primitive {
        ty: Primitive,
        format: Option<u8>,
        nullable: Option<bool>,
    },
    Enum {
        ty: Option<Primitive>,
        values: Vec<Wild>,
        nullable: bool,
    },
    Const(Word),
    Object {
        properties: Vec<(Word, Schema)>,
        required: Vec<Word>,
        additional: Option<Additional>,
        nullable: bool,
        title: Option<Word>,
    },
    Array(Option<Box<Schema>>),
    AllOf(Vec<Schema>),
    OneOf(Vec<Schema>, Option<Discriminator>),
    AnyOf(Vec<Schema>),
    /// A schema with extras the grammar does not model (docs, secrets, update wrappers...).
    Annotated {
        inner: Box<Schema>,
        description: Option<String>,
        deprecated: Option<bool>,
        extra: u8,
        flag: bool,
    },
    Wild(Wild),
}

impl Schema {
    fn json(&self) -> Value {
        match self {
            Schema::Ref(target) => json!({"$ref": target.text()}),
            Schema::Primitive { ty, format, nullable } => {
                let mut m = Map::new();
                m.insert("type".into(), primitive(ty));
                if let Some(f) = format {
                    m.insert("format".into(), json!(FORMATS[*f as usize % FORMATS.len()]));
                }
                if let Some(n) = nullable {
                    m.insert("nullable".into(), json!(n));
                }
                Value::Object(m)
            }
            Schema::Enum { ty, values, nullable } => {
                let mut m = Map::new();
                m.insert("type".into(), ty.as_ref().map_or(json!("string"), primitive));
                m.insert("enum".into(), Value::Array(values.iter().map(Wild::json).collect()));
                if *nullable {
                    m.insert("nullable".into(), json!(true));
                }
                Value::Object(m)
            }
            Schema::Const(w) => json!({"const": w.text()}),
            Schema::Object { properties, required, additional, nullable, title } => {
                let mut m = Map::new();
                m.insert("type".into(), json!("object"));
                let props: Map<String, Value> = properties.iter().map(|(k, v)| (k.text(), v.json())).collect();
                m.insert("properties".into(), Value::Object(props));
                if !required.is_empty() {
                    m.insert("required".into(), Value::Array(required.iter().map(|w| json!(w.text())).collect()));
                }
                match additional {
                    Some(Additional::Bool(b)) => {
                        m.insert("additionalProperties".into(), json!(b));
                    }
                    Some(Additional::Schema(s)) => {
                        m.insert("additionalProperties".into(), s.json());
                    }
                    None => {}
                }
                if *nullable {
                    m.insert("nullable".into(), json!(true));
                }
                if let Some(t) = title {
                    m.insert("title".into(), json!(t.text()));
                }
                Value::Object(m)
            }
            Schema::Array(items) => match items {
                Some(items) => json!({"type": "array", "items": items.json()}),
                None => json!({"type": "array"}),
            },
            Schema::AllOf(members) => json!({"allOf": members.iter().map(Schema::json).collect::<Vec<_>>()}),
            Schema::OneOf(members, discriminator) => {
                let mut m = Map::new();
                m.insert("oneOf".into(), Value::Array(members.iter().map(Schema::json).collect()));
                if let Some(d) = discriminator {
                    let mut dm = Map::new();
                    dm.insert("propertyName".into(), json!(d.property.text()));
                    if !d.mapping.is_empty() {
                        let mapping: Map<String, Value> =
                            d.mapping.iter().map(|(k, t)| (k.text(), json!(t.text()))).collect();
                        dm.insert("mapping".into(), Value::Object(mapping));
                    }
                    m.insert("discriminator".into(), Value::Object(dm));
                }
                Value::Object(m)
            }
            Schema::AnyOf(members) => json!({"anyOf": members.iter().map(Schema::json).collect::<Vec<_>>()}),
            Schema::Annotated { inner, description, deprecated, extra, flag } => {
                let mut value = inner.json();
                if let Value::Object(m) = &mut value {
                    if let Some(d) = description {
                        m.insert("description".into(), json!(d));
                    }
                    if let Some(d) = deprecated {
                        m.insert("deprecated".into(), json!(d));
                    }
                    let key = ["x-secret", "x-update-value", "x-enumDescriptions", "title", "x-schema-id", "not"]
                        [*extra as usize % 6];
                    m.insert(key.into(), json!(flag));
                }
                value
            }
            Schema::Wild(w) => w.json(),
        }
    }
}

fn primitive(ty: &Primitive) -> Value {
    const ALL: &[&str] = &["string", "integer", "number", "boolean", "null", "object", "array"];
    match ty {
        Primitive::String => json!("string"),
        Primitive::Integer => json!("integer"),
        Primitive::Number => json!("number"),
        Primitive::Boolean => json!("boolean"),
        Primitive::Null => json!("null"),
        Primitive::Object => json!("object"),
        Primitive::Array => json!("array"),
        Primitive::List(items) => Value::Array(items.iter().map(|i| json!(ALL[*i as usize % ALL.len()])).collect()),
    }
}

const METHODS: &[&str] =
    &["get", "put", "post", "delete", "options", "head", "patch", "trace", "parameters", "x-other"];
const LOCATIONS: &[&str] = &["query", "path", "header", "cookie", "body", ""];
const STATUSES: &[&str] = &["200", "201", "204", "400", "default", "2XX", "abc"];
const MEDIA: &[&str] = &["application/json", "text/plain", "application/problem+json", "*/*"];

#[derive(Arbitrary, Debug)]
pub struct Parameter {
    name: Word,
    location: u8,
    required: Option<bool>,
    schema: Option<Schema>,
}

#[derive(Arbitrary, Debug)]
pub struct Body {
    media: u8,
    schema: Option<Schema>,
    required: bool,
}

#[derive(Arbitrary, Debug)]
pub struct Operation {
    method: u8,
    id: Option<Word>,
    parameters: Vec<Parameter>,
    body: Option<Body>,
    responses: Vec<(u8, Option<Body>)>,
    wild: Option<Wild>,
}

impl Operation {
    fn json(&self) -> (String, Value) {
        if let Some(w) = &self.wild {
            return (METHODS[self.method as usize % METHODS.len()].into(), w.json());
        }
        let mut m = Map::new();
        if let Some(id) = &self.id {
            m.insert("operationId".into(), json!(id.text()));
        }
        if !self.parameters.is_empty() {
            let params = self
                .parameters
                .iter()
                .map(|p| {
                    let mut pm = Map::new();
                    pm.insert("name".into(), json!(p.name.text()));
                    pm.insert("in".into(), json!(LOCATIONS[p.location as usize % LOCATIONS.len()]));
                    if let Some(r) = p.required {
                        pm.insert("required".into(), json!(r));
                    }
                    if let Some(s) = &p.schema {
                        pm.insert("schema".into(), s.json());
                    }
                    Value::Object(pm)
                })
                .collect();
            m.insert("parameters".into(), Value::Array(params));
        }
        if let Some(b) = &self.body {
            let mut bm = body(b);
            bm.insert("required".into(), json!(b.required));
            m.insert("requestBody".into(), Value::Object(bm));
        }
        let mut responses = Map::new();
        for (status, b) in &self.responses {
            let mut rm = b.as_ref().map(body).unwrap_or_default();
            rm.insert("description".into(), json!("response"));
            responses.insert(STATUSES[*status as usize % STATUSES.len()].into(), Value::Object(rm));
        }
        m.insert("responses".into(), Value::Object(responses));
        (METHODS[self.method as usize % METHODS.len()].into(), Value::Object(m))
    }
}

fn body(b: &Body) -> Map<String, Value> {
    let mut media = Map::new();
    if let Some(s) = &b.schema {
        media.insert("schema".into(), s.json());
    }
    let mut content = Map::new();
    content.insert(MEDIA[b.media as usize % MEDIA.len()].into(), Value::Object(media));
    let mut m = Map::new();
    m.insert("content".into(), Value::Object(content));
    m
}

#[derive(Arbitrary, Debug)]
pub struct Message {
    name: Word,
    payload: Option<Schema>,
    by_ref: bool,
}

#[derive(Arbitrary, Debug)]
pub struct Channel {
    address: Word,
    messages: Vec<Message>,
    /// AsyncAPI 2.6: publish and/or subscribe; 3.0: send and/or receive operations.
    directions: u8,
}

#[derive(Arbitrary, Debug)]
pub enum Document {
    OpenApi {
        v31: bool,
        paths: Vec<(Word, Vec<Operation>)>,
        webhooks: Vec<(Word, Vec<Operation>)>,
        schemas: Vec<(u8, Schema)>,
    },
    AsyncApi {
        v3: bool,
        channels: Vec<(u8, Channel)>,
        schemas: Vec<(u8, Schema)>,
    },
    Wild(Wild),
}

impl Document {
    fn json(&self) -> Value {
        match self {
            Document::OpenApi { v31, paths, webhooks, schemas } => {
                let path_items = |items: &Vec<(Word, Vec<Operation>)>, slash: bool| -> Value {
                    let mut m = Map::new();
                    for (path, ops) in items {
                        let key = if slash { format!("/{}", path.text()) } else { path.text() };
                        m.insert(key, Value::Object(ops.iter().map(Operation::json).collect()));
                    }
                    Value::Object(m)
                };
                let mut m = Map::new();
                m.insert("openapi".into(), json!(if *v31 { "3.1.0" } else { "3.0.3" }));
                m.insert(
                    "info".into(),
                    json!({"title": "Fuzz API", "version": "1.0.0", "description": "A *fuzzed* API."}),
                );
                m.insert("paths".into(), path_items(paths, true));
                if !webhooks.is_empty() {
                    m.insert("webhooks".into(), path_items(webhooks, false));
                }
                m.insert("components".into(), json!({"schemas": schema_map(schemas)}));
                Value::Object(m)
            }
            Document::AsyncApi { v3, channels, schemas } => asyncapi(*v3, channels, schemas),
            Document::Wild(w) => w.json(),
        }
    }
}

fn schema_map(schemas: &[(u8, Schema)]) -> Value {
    Value::Object(schemas.iter().map(|(n, s)| (name(*n).to_owned(), s.json())).collect())
}

fn asyncapi(v3: bool, channels: &[(u8, Channel)], schemas: &[(u8, Schema)]) -> Value {
    let mut channel_map = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    for (id, channel) in channels {
        let channel_id = format!("ch{}", id % 4);
        let mut local = Map::new();
        let mut refs = Vec::new();
        for message in &channel.messages {
            let message_name = message.name.text();
            let mut mm = Map::new();
            mm.insert("name".into(), json!(message_name));
            if let Some(p) = &message.payload {
                mm.insert("payload".into(), p.json());
            }
            let body = Value::Object(mm);
            if message.by_ref {
                messages.insert(message_name.clone(), body);
                refs.push(json!({"$ref": format!("#/components/messages/{}", escape(&message_name))}));
                local.insert(
                    message_name.clone(),
                    json!({"$ref": format!("#/components/messages/{}", escape(&message_name))}),
                );
            } else {
                refs.push(body.clone());
                local.insert(message_name, body);
            }
        }
        if v3 {
            channel_map.insert(
                channel_id.clone(),
                json!({"address": channel.address.text(), "messages": Value::Object(local.clone())}),
            );
            for (bit, action) in [(1u8, "send"), (2, "receive")] {
                if channel.directions & bit != 0 {
                    let message_refs: Vec<Value> = local
                        .keys()
                        .map(|k| json!({"$ref": format!("#/channels/{channel_id}/messages/{}", escape(k))}))
                        .collect();
                    operations.insert(
                        format!("{action}{channel_id}"),
                        json!({"action": action, "channel": {"$ref": format!("#/channels/{channel_id}")}, "messages": message_refs}),
                    );
                }
            }
        } else {
            let mut cm = Map::new();
            for (bit, action) in [(1u8, "publish"), (2, "subscribe")] {
                if channel.directions & bit != 0 {
                    let message = if refs.len() == 1 { refs[0].clone() } else { json!({"oneOf": refs.clone()}) };
                    cm.insert(action.into(), json!({"message": message}));
                }
            }
            channel_map.insert(format!("/{}", channel.address.text()), Value::Object(cm));
        }
    }
    let mut m = Map::new();
    m.insert("asyncapi".into(), json!(if v3 { "3.0.0" } else { "2.6.0" }));
    m.insert("info".into(), json!({"title": "Fuzz events", "version": "1.0.0"}));
    m.insert(
        "servers".into(),
        json!({"production": {"host": "example.com", "protocol": "wss", "url": "wss://example.com"}}),
    );
    m.insert("channels".into(), Value::Object(channel_map));
    if v3 {
        m.insert("operations".into(), Value::Object(operations));
    }
    m.insert("components".into(), json!({"schemas": schema_map(schemas), "messages": Value::Object(messages)}));
    Value::Object(m)
}

/// A `unions` entry: schema, tag and content properties, tag value → schema.
#[derive(Arbitrary, Debug)]
pub struct UnionInput {
    schema: u8,
    tag: Word,
    content: Word,
    variants: Vec<(Word, u8)>,
}

/// The codegen config, written as text and read with `Config::parse` so config diagnostics
/// are reached as well.
#[derive(Arbitrary, Debug)]
pub struct ConfigInput {
    null_means_absent: Option<bool>,
    renames: Vec<(u8, Word)>,
    unions: Vec<UnionInput>,
    secrets: Vec<(u8, Word)>,
    body_fields: Vec<Word>,
    pagination: Option<(Word, Word, Word)>,
    wild: Option<(Key, Wild)>,
}

impl ConfigInput {
    fn json(&self, specs: &[&str]) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!("fuzz"));
        m.insert("specs".into(), json!(specs));
        m.insert("crates".into(), json!({"types": {"name": "fuzz-types", "version": "0.1.0"}}));
        if let Some(n) = self.null_means_absent {
            m.insert("null_means_absent".into(), json!(n));
        }
        if !self.renames.is_empty() {
            let types: Map<String, Value> =
                self.renames.iter().map(|(n, w)| (name(*n).to_owned(), json!(w.text()))).collect();
            m.insert("naming".into(), json!({ "types": types }));
        }
        if !self.unions.is_empty() {
            let unions: Map<String, Value> = self
                .unions
                .iter()
                .map(|u| {
                    let variants: Map<String, Value> =
                        u.variants.iter().map(|(w, s)| (w.text(), json!(name(*s)))).collect();
                    let settings = json!({"tag": u.tag.text(), "content": u.content.text(), "variants": variants});
                    (name(u.schema).to_owned(), settings)
                })
                .collect();
            m.insert("unions".into(), Value::Object(unions));
        }
        if !self.secrets.is_empty() {
            let secrets: Vec<String> = self.secrets.iter().map(|(n, w)| format!("{}.{}", name(*n), w.text())).collect();
            m.insert("secrets".into(), json!(secrets));
        }
        if !self.body_fields.is_empty() {
            let fields: Vec<String> = self.body_fields.iter().map(Word::text).collect();
            m.insert("auth".into(), json!({ "body_fields": fields }));
        }
        if let Some((cursor, count, response)) = &self.pagination {
            m.insert(
                "pagination".into(),
                json!({"request_cursor": cursor.text(), "request_count": count.text(), "response_cursor": response.text()}),
            );
        }
        if let Some((key, value)) = &self.wild {
            let key = match key {
                Key::Keyword(i) => keyword(*i).to_owned(),
                Key::Word(w) => w.text(),
            };
            m.insert(key, value.json());
        }
        Value::Object(m)
    }
}

#[derive(Arbitrary, Debug)]
pub struct Api {
    document: Document,
    /// A second file, `parts.yaml`, a map of schemas that `Target::Parts` points into.
    parts: Option<Vec<(u8, Schema)>>,
    /// A second entry document (an AsyncAPI next to an OpenAPI, as in the Mews API).
    second: Option<Document>,
    config: ConfigInput,
    pretty: bool,
}

/// The lines of `text` as YAML counts them: `\n`, `\r\n` and a lone `\r` each end a line, so
/// a text ending in a line break has an empty last line.
pub fn yaml_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&text[start..]);
    lines
}

/// Checks a position against the text it points into: the line exists and the column is
/// within the line's length + 1, counted in characters.
pub fn check_position(text: &str, line: u32, column: u32, _message: &str, what: &dyn std::fmt::Display) {
    let lines = yaml_lines(text);
    let line = line as usize;
    assert!(line >= 1 && line <= lines.len(), "line {line} of {}: {what}", lines.len());
    let content = lines.get(line - 1).copied().unwrap_or_default();
    let width = content.chars().count();
    assert!(column >= 1 && column as usize <= width + 1, "column {column} of {width} on line {line}: {what}");
}

/// One generator run's input: config text and the files.
#[derive(Debug)]
pub struct Case {
    pub config: String,
    pub files: Vec<(String, String)>,
}

impl Case {
    /// Decodes a fuzz input (see the module docs for the `!` form).
    pub fn from_bytes(data: &[u8]) -> Option<Case> {
        if let Some(text) = data.strip_prefix(b"!") {
            let spec = String::from_utf8_lossy(text).into_owned();
            let config = "name: fuzz\nspecs: [api.yaml]\n".to_owned();
            return Some(Case { config, files: vec![("api.yaml".into(), spec)] });
        }
        let api = Api::arbitrary_take_rest(Unstructured::new(data)).ok()?;
        let render = |v: &Value| {
            if api.pretty { serde_json::to_string_pretty(v).unwrap() } else { serde_json::to_string(v).unwrap() }
        };
        let mut files = vec![("api.yaml".to_owned(), render(&api.document.json()))];
        let mut specs = vec!["api.yaml"];
        if let Some(second) = &api.second {
            files.push(("events.yaml".into(), render(&second.json())));
            specs.push("events.yaml");
        }
        if let Some(parts) = &api.parts {
            files.push(("parts.yaml".into(), render(&schema_map(parts))));
        }
        Some(Case { config: render(&api.config.json(&specs)), files })
    }

    /// Runs the generator. `Err` carries the config's or the specs' diagnostics.
    pub fn generate(&self) -> Result<triad::Files, triad::diag::Diagnostics> {
        let config = Config::parse("codegen.yaml", &self.config).map_err(triad::diag::Diagnostics::new)?;
        let mut reader = MemoryReader::new();
        for (path, text) in &self.files {
            reader = reader.with(path, text);
        }
        let provenance = Provenance { source: "codegen.yaml".into(), command: "fuzz".into() };
        triad::generate(&config, "", &reader, &provenance).map(|generated| generated.files)
    }

    /// Checks what every diagnostic must satisfy whatever the input: its file is one of the
    /// input files (or the config), and its line and column lie inside that file.
    pub fn check_diagnostics(&self, diags: &triad::diag::Diagnostics) {
        let mut texts: Vec<(&str, &str)> = self.files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        texts.push(("codegen.yaml", &self.config));
        let known: BTreeSet<&str> = texts.iter().map(|(p, _)| *p).collect();
        for d in &diags.0 {
            let file = &*d.location.file;
            let Some((_, text)) = texts.iter().find(|(p, _)| *p == file) else {
                // Files a `$ref` names that do not exist are reported at the `$ref`, not in them.
                panic!("diagnostic names an unknown file (known: {known:?}):\n{d}");
            };
            check_position(text, d.location.line, d.location.column, &d.message, d);
        }
    }
}

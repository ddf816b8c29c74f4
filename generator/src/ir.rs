//! The intermediate representation: what an API is, independent of how it was written down.
//!
//! Nothing here mentions OpenAPI, AsyncAPI, YAML or `syn`. Loaders lower their input into an
//! [`Api`]; emitters read it. Every name carries its wire spelling (what goes over the network)
//! and its Rust spelling (already escaped and de-duplicated). All collections are sorted by
//! their Rust name at the end of lowering, so emission never depends on input order.

use crate::diag::Location;

/// A name as sent on the wire and as written in Rust.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name {
    /// Spelling in the specification and on the wire.
    pub wire: String,
    /// Spelling in generated Rust, a valid identifier (raw identifiers included).
    pub rust: String,
}

/// Documentation attached to an item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Docs {
    /// Title and description, as Markdown.
    pub text: Option<String>,
    /// `Some` when the item is deprecated, holding the reason if the spec gives one.
    pub deprecated: Option<Option<String>>,
}

/// Index of a [`TypeDef`] in [`Api::types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub usize);

/// A whole API: every type, operation, webhook and channel found in its specs.
#[derive(Clone, Debug, Default)]
pub struct Api {
    /// Title of the API.
    pub title: String,
    /// Description of the API.
    pub docs: Docs,
    /// Version string of the API.
    pub version: String,
    /// Named types, sorted by Rust name; [`TypeId`] indexes this vector.
    pub types: Vec<TypeDef>,
    /// Request/response operations, sorted by Rust name.
    pub operations: Vec<Operation>,
    /// Webhooks the provider calls, sorted by Rust name.
    pub webhooks: Vec<Webhook>,
    /// Long-lived message channels (WebSockets), sorted by Rust name.
    pub channels: Vec<Channel>,
    /// Servers operations are served from, in specification order.
    pub servers: Vec<Server>,
    /// Ways of authenticating, sorted by name.
    pub security_schemes: Vec<SecurityScheme>,
    /// Security requirements of operations that state none of their own.
    pub security: Vec<SecurityRequirement>,
    /// The credentials the consumer supplies, each once, in the order the client's
    /// `Credentials` lists them (decided by [`crate::analyze`]).
    pub credentials: Vec<Credential>,
}

/// A credential the consumer supplies.
#[derive(Clone, Debug, PartialEq)]
pub struct Credential {
    /// The name the provider knows it by: the wire name of a body field, the security scheme's
    /// name, or a cookie's name.
    pub wire: String,
    /// Where it goes.
    pub carried: Carried,
}

/// Where a [`Credential`] goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Carried {
    /// Into every JSON request body, as the property `wire` (the config's `auth.body_fields`).
    BodyField,
    /// As the operations' security scheme `wire` says.
    Scheme(Applied),
    /// Only on WebSocket connection requests, where each channel's [`Channel::credentials`]
    /// places it (the first channel's placement is given here).
    Upgrade(Placement),
}

/// A security scheme the generated client applies by itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Applied {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// HTTP basic: a user and a password.
    Basic,
    /// An API key in a header, query parameter or cookie of this name.
    ApiKey {
        /// Where the key goes.
        location: ParamLocation,
        /// The header, parameter or cookie name.
        name: String,
    },
}

/// Where a credential goes on a WebSocket connection request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A cookie of this name.
    Cookie(String),
    /// A header of this name.
    Header(String),
    /// A query parameter of this name.
    Query(String),
    /// An `Authorization: Bearer` header.
    Bearer,
}

/// One credential of a channel's connection request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelCredential {
    /// Wire name the credential is named after (a cookie or a security scheme).
    pub wire: String,
    /// Rust field name of the `Credentials` field holding it.
    pub field: String,
    /// Where it goes.
    pub placement: Placement,
}

impl Api {
    /// The type with this id.
    ///
    /// Ids are handed out by lowering together with `types`, and every `TypeRef` of this API
    /// holds one of them; an id from another API may panic.
    #[allow(clippy::indexing_slicing)]
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    /// The id of the struct a type is, following aliases.
    pub fn struct_id(&self, ty: &TypeRef) -> Option<TypeId> {
        let mut current = ty;
        for _ in 0..=self.types.len() {
            let TypeRef::Named(id) = current else { return None };
            match &self.ty(*id).kind {
                TypeKind::Struct(_) => return Some(*id),
                TypeKind::Alias(next) => current = next,
                _ => return None,
            }
        }
        None
    }

    /// The struct a type is, following aliases.
    pub fn struct_of(&self, ty: &TypeRef) -> Option<&Struct> {
        match &self.ty(self.struct_id(ty)?).kind {
            TypeKind::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The tag values that select each variant of a tagged union, in variant order. A variant of
    /// an internally tagged union whose payload is itself an internally tagged union on the same
    /// property answers to that union's tags (not to its own name). A value claimed by an earlier
    /// variant is not repeated, so a variant may end up with none. Empty lists for unions
    /// without tags.
    pub fn variant_tags(&self, u: &Union) -> Vec<Vec<String>> {
        let mut seen = std::collections::HashSet::new();
        u.variants
            .iter()
            .map(|v| {
                let mut tags = Vec::new();
                match &u.tagging {
                    Tagging::Internal { tag } => self.internal_tags(v, tag, &mut Vec::new(), &mut tags),
                    Tagging::Adjacent { .. } | Tagging::Sibling { .. } => tags.push(v.name.wire.clone()),
                    Tagging::External | Tagging::Untagged => {}
                }
                tags.retain(|t| seen.insert(t.clone()));
                tags
            })
            .collect()
    }

    /// The union an internally tagged variant's payload is, when that union is tagged by `tag`.
    pub fn nested_union(&self, v: &UnionVariant, tag: &str) -> Option<TypeId> {
        match (&v.ty, v.nullable) {
            (Some(TypeRef::Named(id)), false) => match &self.ty(*id).kind {
                TypeKind::Union(inner) if matches!(&inner.tagging, Tagging::Internal { tag: t } if t == tag) => {
                    Some(*id)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The fields a union's tag path (`Tagging::Sibling`) goes through, from `owner` (the
    /// struct holding the union) to a string or string enum; the error says where it fails.
    pub fn tag_steps<'a>(&'a self, owner: &'a Struct, path: &[String]) -> Result<Vec<TagStep<'a>>, String> {
        let mut steps = Vec::new();
        let mut strukt = owner;
        let mut ty: Option<&TypeRef> = None;
        for (i, segment) in path.iter().enumerate() {
            let before = path.get(..i).unwrap_or_default().join(".");
            if let Some(t) = ty {
                strukt = self
                    .struct_through(t, &mut steps)
                    .ok_or_else(|| format!("`{before}` is not an object, so it has no property `{segment}`"))?;
            }
            let field = strukt.fields.iter().find(|f| &f.name.wire == segment).ok_or_else(|| {
                let known: Vec<&str> = strukt.fields.iter().map(|f| f.name.wire.as_str()).take(8).collect();
                let whose =
                    if before.is_empty() { "the object holding the union".to_owned() } else { format!("`{before}`") };
                format!("{whose} has no property `{segment}` (it has {})", known.join(", "))
            })?;
            steps.push(TagStep::Field(strukt, field));
            ty = Some(&field.ty);
        }
        let mut current = ty.ok_or_else(|| "the path is empty".to_owned())?;
        for _ in 0..=self.types.len() {
            match current {
                TypeRef::Primitive(Primitive::String) => return Ok(steps),
                TypeRef::Named(id) => match &self.ty(*id).kind {
                    TypeKind::Enum(_) => return Ok(steps),
                    TypeKind::Alias(inner) => current = inner,
                    TypeKind::Newtype(inner) => {
                        steps.push(TagStep::Newtype);
                        current = inner;
                    }
                    TypeKind::Struct(_) | TypeKind::Union(_) => break,
                },
                _ => break,
            }
        }
        Err(format!("`{}` is not a string or a string enum", path.join(".")))
    }

    /// The struct a type is, through aliases and newtypes (each newtype adds a step).
    fn struct_through<'a>(&'a self, ty: &'a TypeRef, steps: &mut Vec<TagStep<'a>>) -> Option<&'a Struct> {
        let mut current = ty;
        for _ in 0..=self.types.len() {
            let TypeRef::Named(id) = current else { return None };
            match &self.ty(*id).kind {
                TypeKind::Struct(s) => return Some(s),
                TypeKind::Alias(inner) => current = inner,
                TypeKind::Newtype(inner) => {
                    steps.push(TagStep::Newtype);
                    current = inner;
                }
                TypeKind::Enum(_) | TypeKind::Union(_) => return None,
            }
        }
        None
    }

    fn internal_tags(&self, v: &UnionVariant, tag: &str, visiting: &mut Vec<TypeId>, out: &mut Vec<String>) {
        match self.nested_union(v, tag) {
            Some(id) if !visiting.contains(&id) => {
                visiting.push(id);
                if let TypeKind::Union(inner) = &self.ty(id).kind {
                    for member in &inner.variants {
                        self.internal_tags(member, tag, visiting, out);
                    }
                }
                visiting.pop();
            }
            Some(_) => {}
            None => out.push(v.name.wire.clone()),
        }
    }
}

/// One step of a tag path ([`Api::tag_steps`]).
#[derive(Clone, Copy, Debug)]
pub enum TagStep<'a> {
    /// Into a field of a struct.
    Field(&'a Struct, &'a Field),
    /// Into the value a newtype wraps.
    Newtype,
}

/// A named type.
#[derive(Clone, Debug)]
pub struct TypeDef {
    /// Wire name (schema key) and Rust name.
    pub name: Name,
    /// Documentation.
    pub docs: Docs,
    /// What it is.
    pub kind: TypeKind,
    /// Where it was defined.
    pub origin: Location,
}

/// The shape of a named type.
#[derive(Clone, Debug)]
pub enum TypeKind {
    /// An object with named fields.
    Struct(Struct),
    /// A closed set of strings; receiving an unlisted one yields the `Unknown` variant.
    Enum(StringEnum),
    /// One of several shapes.
    Union(Union),
    /// Another name for a type expression (a named array, a named string...).
    Alias(TypeRef),
    /// A named wrapper around a type expression, written on the wire as the expression itself.
    /// Used for one alias of each cycle of aliases through arrays and maps (`A = list of A`),
    /// which a type alias cannot express.
    Newtype(TypeRef),
}

/// An object type.
#[derive(Clone, Debug)]
pub struct Struct {
    /// Fields, in specification order.
    pub fields: Vec<Field>,
    /// True for keep/set/clear wrappers (`{"Value": x}`): their field is always sent, `null` included.
    pub update_wrapper: bool,
}

impl Struct {
    /// How a value is built from outside the types crate (every generated struct is
    /// `#[non_exhaustive]`): `new` taking the fields that must be given (required and not
    /// nullable) when there is one, else `Default`; keep/set/clear wrappers have `set` and `clear`.
    pub fn has_new(&self) -> bool {
        !self.update_wrapper && self.fields.iter().any(|f| f.presence == Presence::Plain)
    }
}

/// A field of a [`Struct`].
#[derive(Clone, Debug)]
pub struct Field {
    /// Wire and Rust name.
    pub name: Name,
    /// Type, before optionality.
    pub ty: TypeRef,
    /// Must be present.
    pub required: bool,
    /// May be `null`.
    pub nullable: bool,
    /// Holds a credential: never shown by `Debug`.
    pub secret: bool,
    /// Documentation.
    pub docs: Docs,
    /// True when the field sits on a cycle of by-value references and must be boxed.
    pub boxed: bool,
    /// How the value is held, decided once in lowering ([`Presence::of`]).
    pub presence: Presence,
    /// A list whose items decode one by one (`Decoded<T>`), so one malformed item leaves the
    /// others readable; decided by [`crate::analyze`].
    pub isolated: bool,
}

/// How a field's value is held in Rust: decided once, in lowering, for every emitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// `T`: required and never null.
    Plain,
    /// `Option<T>`: optional, or nullable, or a keep/set/clear wrapper's value.
    Option,
    /// `model::Nullable<T>`: optional and nullable, where absent and null differ.
    DoubleOption,
}

impl Presence {
    /// Required, not null: `T`; required, nullable: `Option<T>`, always written; optional, not
    /// null: `Option<T>`, absent when `None`; optional and nullable: absent, null and value
    /// differ, so `Nullable<T>`, unless the API says null means absent. Keep/set/clear
    /// wrappers (`update_wrapper`) always write their `Value`, null included.
    pub fn of(required: bool, nullable: bool, update_wrapper: bool, null_means_absent: bool) -> Presence {
        if update_wrapper {
            Presence::Option
        } else if !required && nullable && !null_means_absent {
            Presence::DoubleOption
        } else if !required || nullable {
            Presence::Option
        } else {
            Presence::Plain
        }
    }
}

/// A string enumeration.
#[derive(Clone, Debug)]
pub struct StringEnum {
    /// Known values.
    pub variants: Vec<EnumVariant>,
    /// Rust name of the variant that keeps unknown values.
    pub unknown: String,
}

/// One value of a [`StringEnum`].
#[derive(Clone, Debug)]
pub struct EnumVariant {
    /// The value and its Rust variant name.
    pub name: Name,
    /// Documentation.
    pub docs: Docs,
}

/// How a union's variants are told apart on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tagging {
    /// `{"tag": "Kind", ...fields}`.
    Internal {
        /// Wire name of the tag property.
        tag: String,
    },
    /// `{"tag": "Kind", "content": {...}}`.
    Adjacent {
        /// Wire name of the tag property.
        tag: String,
        /// Wire name of the content property.
        content: String,
    },
    /// `{"Kind": {...}}`.
    External,
    /// The union is the value of a struct field and is chosen by a property of that struct:
    /// `path` (wire names) leads from the struct to a string or string enum whose value names
    /// the variant. On the wire the value is the payload alone.
    Sibling {
        /// Wire names from the struct holding the union to the tag (`["Device", "Type"]`).
        path: Vec<String>,
    },
    /// No tag: variants are tried in order.
    Untagged,
}

/// A tagged or untagged union.
#[derive(Clone, Debug)]
pub struct Union {
    /// How variants are distinguished.
    pub tagging: Tagging,
    /// Variants, in specification order.
    pub variants: Vec<UnionVariant>,
    /// Rust name of the variant that keeps values no known variant matches.
    pub unknown: String,
}

/// One variant of a [`Union`].
#[derive(Clone, Debug)]
pub struct UnionVariant {
    /// `wire` is the tag value (or, when untagged, the schema name); `rust` the variant name.
    pub name: Name,
    /// Payload; `None` for a tag without content.
    pub ty: Option<TypeRef>,
    /// Documentation.
    pub docs: Docs,
    /// True when the payload sits on a cycle of by-value references and must be boxed.
    pub boxed: bool,
    /// True when the payload may be `null` (`Option` of the type).
    pub nullable: bool,
}

/// A type expression.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeRef {
    /// A named type.
    Named(TypeId),
    /// A scalar.
    Primitive(Primitive),
    /// A list.
    List(Box<TypeRef>),
    /// A map from string keys.
    Map(Box<TypeRef>),
    /// Any JSON value.
    Any,
}

/// Scalar types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Primitive {
    /// Text.
    String,
    /// `true`/`false`.
    Bool,
    /// 32-bit signed integer.
    I32,
    /// 64-bit signed integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// An exact decimal number (`format: decimal`, or chosen in the codegen config), written on
    /// the wire as a JSON number.
    Decimal,
    /// A UUID.
    Uuid,
    /// An RFC 3339 instant.
    DateTime,
    /// A calendar date (`YYYY-MM-DD`).
    Date,
}

/// HTTP method of an operation or webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// HEAD
    Head,
    /// PATCH
    Patch,
    /// TRACE
    Trace,
}

impl Method {
    /// Upper-case spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }
}

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamLocation {
    /// In the path template.
    Path,
    /// In the query string.
    Query,
    /// In a header.
    Header,
    /// In a cookie.
    Cookie,
}

/// A non-body parameter.
#[derive(Clone, Debug)]
pub struct Param {
    /// Wire and Rust name.
    pub name: Name,
    /// Where it goes.
    pub location: ParamLocation,
    /// Type.
    pub ty: TypeRef,
    /// Must be given.
    pub required: bool,
    /// How the value is written.
    pub style: ParamStyle,
    /// Whether lists and objects are spread over several name/value pairs.
    pub explode: bool,
    /// Documentation.
    pub docs: Docs,
}

/// How a parameter value is serialized (RFC 6570 styles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamStyle {
    /// `a=1&a=2` / `a=1,2` (query and cookie default).
    Form,
    /// `1,2` (path and header default).
    Simple,
    /// `a=1 2`.
    SpaceDelimited,
    /// `a=1|2`.
    PipeDelimited,
    /// `a[k]=v`.
    DeepObject,
    /// `.1.2` in a path.
    Label,
    /// `;a=1` in a path.
    Matrix,
}

/// A request or response body.
#[derive(Clone, Debug)]
pub struct Body {
    /// Media type, such as `application/json`.
    pub media_type: String,
    /// How the body is written on the wire, decided from its media type and schema.
    pub encoding: Encoding,
    /// Type of the decoded body: the JSON or form type, the type of an event stream's data;
    /// a string for text and the other encodings.
    pub ty: TypeRef,
    /// The body must be sent (requests; always true for responses).
    pub required: bool,
    /// The body's other media types the spec lists, one per encoding (this one, chosen first,
    /// is JSON if listed, else the first), in the spec's order: the client offers each
    /// through a method of its own.
    pub alternatives: Vec<Alternative>,
}

/// Another media type of a body.
#[derive(Clone, Debug, PartialEq)]
pub struct Alternative {
    /// Media type.
    pub media_type: String,
    /// How the body is written in it.
    pub encoding: Encoding,
    /// Type of the decoded body (see [`Body::ty`]).
    pub ty: TypeRef,
}

impl Encoding {
    /// A word for the encoding, as method names use it (`form`, `bytes`...).
    pub fn word(&self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Form => "form",
            Encoding::Multipart(_) => "multipart",
            Encoding::EventStream(_) => "events",
            Encoding::Text => "text",
            Encoding::Binary => "bytes",
        }
    }

    fn types<'a>(&'a self, ty: &'a TypeRef, out: &mut Vec<&'a TypeRef>) {
        out.push(ty);
        match self {
            Encoding::Multipart(multipart) => out.extend(multipart.parts.iter().filter_map(|p| match &p.kind {
                PartKind::Text(ty) | PartKind::Json(ty) => Some(ty),
                PartKind::File => None,
            })),
            Encoding::EventStream(events) => out.extend(events.iter().map(|e| &e.ty)),
            _ => {}
        }
    }

    fn types_mut<'a>(&'a mut self, ty: &'a mut TypeRef, out: &mut Vec<&'a mut TypeRef>) {
        out.push(ty);
        match self {
            Encoding::Multipart(multipart) => {
                out.extend(multipart.parts.iter_mut().filter_map(|p| match &mut p.kind {
                    PartKind::Text(ty) | PartKind::Json(ty) => Some(ty),
                    PartKind::File => None,
                }))
            }
            Encoding::EventStream(events) => out.extend(events.iter_mut().map(|e| &mut e.ty)),
            _ => {}
        }
    }
}

impl Body {
    /// The body's type when it is JSON.
    pub fn json(&self) -> Option<&TypeRef> {
        (self.encoding == Encoding::Json).then_some(&self.ty)
    }

    /// Every type the body names: its own, its multipart parts' and kinds of event's, and its
    /// alternatives'.
    pub fn types(&self) -> Vec<&TypeRef> {
        let mut out = Vec::new();
        self.encoding.types(&self.ty, &mut out);
        for alternative in &self.alternatives {
            alternative.encoding.types(&alternative.ty, &mut out);
        }
        out
    }

    /// [`Body::types`], to change them.
    pub fn types_mut(&mut self) -> Vec<&mut TypeRef> {
        let mut out = Vec::new();
        self.encoding.types_mut(&mut self.ty, &mut out);
        for alternative in &mut self.alternatives {
            alternative.encoding.types_mut(&mut alternative.ty, &mut out);
        }
        out
    }
}

/// How a body is written: what its media type and schema say.
#[derive(Clone, Debug, PartialEq)]
pub enum Encoding {
    /// JSON (`application/json`, `*/*+json`, `*/json`).
    Json,
    /// `application/x-www-form-urlencoded`: the type's properties as pairs.
    Form,
    /// `multipart/form-data`: one part per property.
    Multipart(Multipart),
    /// `text/event-stream`: Server-Sent Events, each event's data decoded as the body's type
    /// (taken as text when that is a string), or, when the spec names the kinds of event
    /// (OpenAPI 3.2's `itemSchema`, one member per `event` value), as the type of its kind.
    EventStream(Vec<NamedEvent>),
    /// Text (`text/*` other than event streams, and `application/xml`-like text types): a
    /// string, read whole.
    Text,
    /// Bytes, streamed: `application/octet-stream`, `image/*` and other binary types, any
    /// body whose schema is `format: binary`, and the fallback of media types nothing else
    /// handles (reported as a warning).
    Binary,
}

/// A kind of event of an event stream, named by the events' `event` field.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedEvent {
    /// The `event` field's value and the variant's Rust name.
    pub name: Name,
    /// The type of its data (a string: the data as text).
    pub ty: TypeRef,
}

/// A `multipart/form-data` body: its parts, one per property of its schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Multipart {
    /// The Rust name of the struct generated for it (`<Operation>Multipart`).
    pub rust: String,
    /// The parts, in the schema's order.
    pub parts: Vec<Part>,
    /// The schema's description.
    pub docs: Docs,
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The part's name and its field's Rust name.
    pub name: Name,
    /// What the part holds.
    pub kind: PartKind,
    /// The schema requires it.
    pub required: bool,
    /// An array: one part per item.
    pub repeated: bool,
    /// The `encoding`'s `contentType` for the part, when given.
    pub content_type: Option<String>,
    /// The property's description.
    pub docs: Docs,
}

/// What a multipart part holds.
#[derive(Clone, Debug, PartialEq)]
pub enum PartKind {
    /// A file (`format: binary`, or `contentMediaType`/`contentEncoding` in 3.1).
    File,
    /// A value written as text: a string as it is, a number or boolean as its JSON text.
    Text(TypeRef),
    /// An object or a list of objects: JSON text.
    Json(TypeRef),
}

/// A cursor-paginated listing: a JSON request leading to the cursor, one page type, and the
/// page's item list. Wire paths are dotted property names, Rust paths field names.
#[derive(Clone, Debug, PartialEq)]
pub struct Paging {
    /// The request body's type.
    pub request: TypeRef,
    /// The page type every success with content has.
    pub page: TypeRef,
    /// True when a success may come without content, which ends the listing.
    pub or_none: bool,
    /// The cursor in the request, as a wire path (`Limitation.Cursor`).
    pub request_cursor: String,
    /// The cursor in the page, as a wire path.
    pub response_cursor: String,
    /// The Rust field path from the page to its cursor; every field but the last is plain.
    pub cursor: Vec<String>,
    /// How the page holds its cursor.
    pub cursor_presence: Presence,
    /// The page's item list: its Rust field name and how the page holds it.
    pub items: String,
    /// How the page holds its item list.
    pub items_presence: Presence,
    /// The item type.
    pub item: TypeRef,
    /// True when the items decode one by one ([`Field::isolated`]).
    pub isolated: bool,
}

/// Which responses a [`Response`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// One status code, such as 200.
    Code(u16),
    /// Every code of a class: `Range(4)` is 400–499.
    Range(u8),
    /// Every code no other response names.
    Default,
}

impl Status {
    /// True for 2xx codes and the 2XX range.
    pub fn is_success(self) -> bool {
        match self {
            Status::Code(code) => (200..300).contains(&code),
            Status::Range(class) => class == 2,
            Status::Default => false,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Code(code) => write!(f, "{code}"),
            Status::Range(class) => write!(f, "{class}XX"),
            Status::Default => f.write_str("default"),
        }
    }
}

/// One part of a path template.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSegment {
    /// Text sent as written.
    Literal(String),
    /// A path parameter, by wire name.
    Param(String),
}

/// A server an API is served from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// URL, possibly holding `{variable}` placeholders.
    pub url: String,
    /// Description.
    pub description: Option<String>,
    /// Placeholders of `url`, in specification order.
    pub variables: Vec<ServerVariable>,
}

impl Server {
    /// The URL with every variable at its default.
    pub fn default_url(&self) -> String {
        let mut url = self.url.clone();
        for variable in &self.variables {
            url = url.replace(&format!("{{{}}}", variable.name), &variable.default);
        }
        url
    }
}

/// A placeholder in a server URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerVariable {
    /// Name, as written between braces.
    pub name: String,
    /// Value used when the caller gives none.
    pub default: String,
    /// Allowed values (empty: any).
    pub allowed: Vec<String>,
    /// Description.
    pub description: Option<String>,
}

/// A way of authenticating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityScheme {
    /// Name the scheme is declared under (requirements refer to it).
    pub name: String,
    /// What it is.
    pub kind: SecurityKind,
    /// Description.
    pub description: Option<String>,
}

/// The kinds of [`SecurityScheme`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityKind {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic <user:password>`.
    Basic,
    /// A key in a header, query parameter or cookie.
    ApiKey {
        /// Where the key goes.
        location: ParamLocation,
        /// Header, parameter or cookie name.
        name: String,
    },
    /// A scheme the generated code does not apply itself (OAuth 2, OpenID Connect, mutual
    /// TLS, other HTTP schemes), by its kind; callers add such credentials with a request hook.
    Other(String),
}

/// Schemes that must all be satisfied together; an operation accepts any one of its requirements.
pub type SecurityRequirement = Vec<String>;

/// One response of an operation.
#[derive(Clone, Debug)]
pub struct Response {
    /// The status codes it describes.
    pub status: Status,
    /// Documentation.
    pub docs: Docs,
    /// Body, if any.
    pub body: Option<Body>,
}

/// A request/response operation.
#[derive(Clone, Debug)]
pub struct Operation {
    /// Wire name is the operation id (or a derived one); Rust name is snake_case.
    pub name: Name,
    /// HTTP method.
    pub method: Method,
    /// Path template, such as `/api/connector/v1/customers/getAll`.
    pub path: String,
    /// The path template parsed into literal text and parameters.
    pub segments: Vec<PathSegment>,
    /// Security requirements (any one suffices; an empty list means none is needed);
    /// `None` when the operation states none of its own and [`Api::security`] applies.
    pub security: Option<Vec<SecurityRequirement>>,
    /// Documentation.
    pub docs: Docs,
    /// Parameters outside the body.
    pub params: Vec<Param>,
    /// Request body.
    pub request: Option<Body>,
    /// Responses, sorted by status (codes, then ranges, then the default).
    pub responses: Vec<Response>,
    /// What its error responses carry (set by [`crate::analyze`]).
    pub errors: ErrorBodies,
    /// How the listing is followed page after page, when it is cursor-paginated (decided by
    /// [`crate::analyze`] from the config's pagination shape).
    pub paging: Option<Paging>,
    /// Safe to repeat after a timeout, a 408 or 5xx answer or a lost connection: GET, HEAD,
    /// OPTIONS, PUT and DELETE, and the operations the config's `retry_safe` names (decided by
    /// [`crate::analyze`]).
    pub retry_safe: bool,
    /// The credential body fields (the config's `auth.body_fields`) its JSON request body type
    /// declared, in declaration order: [`crate::analyze`] takes them out of the type, since the
    /// client writes them into every body and the API server reads them apart.
    pub body_credentials: Vec<BodyCredential>,
    /// For an operation answering with an event stream: the stream may be resumed after a lost
    /// connection, sending the last event id as `Last-Event-ID` (a GET, or an operation that
    /// declares that header; the declared header is then the stream's to send, not a parameter).
    pub resumable: bool,
    /// Where it was defined.
    pub origin: Location,
}

/// A credential body field of a request body, as its type declared it before analysis took it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyCredential {
    /// The property's wire name (a [`Credential`] carried as [`Carried::BodyField`]).
    pub wire: String,
    /// True when the body had to carry it (required, whether or not nullable).
    pub required: bool,
}

/// What the error responses of an operation carry, for the typed error of both the client's
/// method and the API server's trait method.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ErrorBodies {
    /// No error response has a body.
    #[default]
    None,
    /// Every error response with a body has the same JSON type.
    One(TypeRef),
    /// Error bodies of several types or media types.
    Several,
}

/// A request the provider sends to a URL the consumer hosts.
#[derive(Clone, Debug)]
pub struct Webhook {
    /// Wire name is the webhook key; Rust name is snake_case.
    pub name: Name,
    /// HTTP method.
    pub method: Method,
    /// Documentation.
    pub docs: Docs,
    /// Body the provider sends.
    pub payload: Option<Body>,
    /// How a delivery becomes events (set by [`crate::analyze`]).
    pub delivery: Delivery,
    /// Where it was defined.
    pub origin: Location,
}

/// How a received payload (a webhook's body, a channel's frame) becomes events: decided once
/// by [`crate::analyze`] for every crate.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Delivery {
    /// A struct (`ty`, through aliases `envelope`) with exactly one list of a tagged union,
    /// required (nullable or not): one event per item. `field` indexes the envelope's fields;
    /// `item` is the list's item type as written, `union` the union it is.
    /// `entity` is the property naming each event's entity, when every event has one.
    Batch { ty: TypeRef, envelope: TypeId, field: usize, item: TypeRef, union: TypeId, entity: Option<EntityId> },
    /// A tagged union (`ty`, through aliases `union`): one event.
    Tagged { ty: TypeRef, union: TypeId },
    /// Any other type: one value.
    Whole { ty: TypeRef },
    /// Nothing is received (a channel without received messages).
    #[default]
    Nothing,
}

/// The property that names the entity of every event of a batch: in each variant's payload
/// struct, a required property of one wire name and one type that is a string, an integer or a
/// uuid (`Id`, any case, preferred, then the first name ending in `id`).
#[derive(Clone, Debug, PartialEq)]
pub struct EntityId {
    /// The property's wire name.
    pub wire: String,
    /// Its type.
    pub ty: TypeRef,
    /// Per variant of the union: the Rust field holding it and whether that field is nullable
    /// (`None` for a variant without payload).
    pub fields: Vec<Option<(String, bool)>>,
}

/// Direction of a channel message, seen from the consumer of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// The provider sends it; the consumer receives it.
    Receive,
    /// The consumer sends it.
    Send,
}

/// A message on a channel.
#[derive(Clone, Debug)]
pub struct Message {
    /// Wire name (message key) and Rust name.
    pub name: Name,
    /// Direction.
    pub direction: Direction,
    /// Payload type.
    pub payload: TypeRef,
    /// Documentation.
    pub docs: Docs,
    /// JSON pointer into the payload of the message's correlation id (from a `correlationId`
    /// located at `$message.payload#/...`); `None` when it has none a client can read.
    pub correlation: Option<String>,
    /// For a sent message with a correlation id: what the server replies with.
    pub reply: Option<Reply>,
}

/// The reply to a sent message, matched to it by correlation id.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Wire names of the received messages that reply.
    pub messages: Vec<String>,
    /// What a reply decodes as: the only reply message's payload, or a union of the payloads.
    pub ty: TypeRef,
}

/// A long-lived connection on which messages flow (a WebSocket endpoint).
#[derive(Clone, Debug)]
pub struct Channel {
    /// Wire name (channel key) and Rust name.
    pub name: Name,
    /// Address (path) on the server, such as `/ws/connector`, possibly holding `{parameter}`
    /// placeholders.
    pub address: String,
    /// Servers the channel is served from, in specification order.
    pub servers: Vec<ChannelServer>,
    /// Placeholders of `address`, in the order they appear in it.
    pub params: Vec<ChannelParam>,
    /// Query parameters of the connection request, as one object type.
    pub query: Option<TypeRef>,
    /// Headers of the connection request, as one object type.
    pub headers: Option<TypeRef>,
    /// What one received frame decodes as: the payload of the only received message, or a
    /// union of the payloads when several are received; `None` when nothing is received.
    pub received: Option<TypeRef>,
    /// How a received frame becomes events (set by [`crate::analyze`]).
    pub delivery: Delivery,
    /// The credentials its connection request carries: the config's WebSocket cookies, then the
    /// keys and tokens of its servers' security schemes (decided by [`crate::analyze`]).
    pub credentials: Vec<ChannelCredential>,
    /// JSON pointer of the correlation id in received frames, when a sent message has a reply:
    /// the listener hands frames with a waiting request's id to that request.
    pub correlation: Option<String>,
    /// Documentation.
    pub docs: Docs,
    /// Messages, sorted by Rust name.
    pub messages: Vec<Message>,
    /// Where it was defined.
    pub origin: Location,
}

/// A server a channel is reached on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelServer {
    /// Name the server is declared under; Rust name is SCREAMING_SNAKE_CASE.
    pub name: Name,
    /// URL of the server, without the channel's address (`wss://ws.mews.com`).
    pub url: String,
    /// Description.
    pub description: Option<String>,
    /// Schemes the connection request authenticates with; the client applies every one it has
    /// credentials for.
    pub security: Vec<SecurityScheme>,
}

impl ChannelServer {
    /// The server URL joined with a channel address (one `/` between them).
    pub fn join(&self, address: &str) -> String {
        let base = self.url.trim_end_matches('/');
        if address.is_empty() || address == "/" {
            return if address == "/" { format!("{base}/") } else { base.to_owned() };
        }
        format!("{base}/{}", address.trim_start_matches('/'))
    }
}

/// A placeholder in a channel address.
#[derive(Clone, Debug)]
pub struct ChannelParam {
    /// Wire name (as written between braces) and Rust name.
    pub name: Name,
    /// Type of the value (a string, or a named string enum).
    pub ty: TypeRef,
    /// Documentation.
    pub docs: Docs,
}

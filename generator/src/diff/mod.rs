//! What changed between two versions of an API, for whom, and which version each generated
//! crate needs next.
//!
//! Both versions are compared at the IR level ([`crate::ir::Api`]), keyed by wire names (schema
//! keys, property names, enum values, operation ids), which stay stable when Rust names do not.
//! Every change is classified twice over:
//!
//! - for the **Rust API** of the crate that shows it, under Cargo's semver rules and the shape
//!   the emitters give each item ([`Shape`]): [`Class::Breaking`] or [`Class::Additive`];
//! - for the **wire**, where Rust's type checker cannot help: [`Class::Wire`] when programs built
//!   from the old version fail on the new version's data, or send what it now rejects.
//!
//! The crate reports ([`CrateReport`]) carry the changes each generated crate shows and the
//! [`Bump`] it needs; [`render`] turns a [`Report`] into text, Markdown or JSON.

mod surface;
mod types;

pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::emit::Files;
use crate::ir::{Api, Direction, TypeId, TypeKind, TypeRef};

/// One version of an API: its config, the API it describes and the files generated from it.
pub struct Version<'a> {
    /// The codegen config.
    pub config: &'a Config,
    /// The lowered and analyzed API.
    pub api: &'a Api,
    /// Every generated file, keyed by path under the output folder (crate folder first).
    pub files: &'a Files,
}

/// How a change affects the people who depend on a crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Code written against the old crate may stop compiling.
    Breaking,
    /// Programs built from the old version fail on the new version's data (or send what it now
    /// rejects), whatever the Rust API says.
    Wire,
    /// New items; code written against the old crate keeps compiling.
    Additive,
}

impl Class {
    /// The spelling used in every output (`breaking`, `wire`, `additive`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Wire => "wire",
            Class::Additive => "additive",
        }
    }
}

/// The version bump a crate needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bump {
    /// Nothing generated changed.
    None,
    /// Only fixes: documentation, wire details, generated bodies.
    Patch,
    /// Additions (or, below 1.0, breaking changes).
    Minor,
    /// Breaking changes from 1.0 on.
    Major,
}

impl Bump {
    /// The spelling used in every output (`major`, `minor`, `patch`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }

    /// The bump that Cargo's semver rules ask of `version` for changes of these classes, when
    /// `changed` says whether any generated file differs. Below 1.0 the left-most non-zero
    /// component is the major one: `0.y.z` takes breaking changes in `y` and everything else
    /// in `z`; `0.0.z` takes every change in `z`.
    pub fn needed(version: &str, classes: &BTreeSet<Class>, changed: bool) -> Bump {
        let breaking = classes.contains(&Class::Breaking);
        let additive = classes.contains(&Class::Additive);
        if !breaking && !additive && !changed && classes.is_empty() {
            return Bump::None;
        }
        let (major, minor) = semver::Version::parse(version).map_or((0, 0), |v| (v.major, v.minor));
        match (major, minor) {
            (0, 0) => Bump::Patch,
            (0, _) if breaking => Bump::Minor,
            (0, _) => Bump::Patch,
            _ if breaking => Bump::Major,
            _ if additive => Bump::Minor,
            _ => Bump::Patch,
        }
    }

    /// `version` with this bump applied (`0.3.1` + minor = `0.4.0`); pre-release and build
    /// suffixes are dropped. A version that is not semver is returned as it is.
    pub fn apply(self, version: &str) -> String {
        let Ok(v) = semver::Version::parse(version) else { return version.to_owned() };
        let (major, minor, patch) = (v.major, v.minor, v.patch);
        match self {
            Bump::None => version.to_owned(),
            Bump::Patch if v.pre.is_empty() => format!("{major}.{minor}.{}", patch + 1),
            Bump::Patch => format!("{major}.{minor}.{patch}"),
            Bump::Minor => format!("{major}.{}.0", minor + 1),
            Bump::Major => format!("{}.0.0", major + 1),
        }
    }
}

/// The kind of a generated crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Model and event types.
    Types,
    /// The async client and WebSocket listener.
    Client,
    /// The webhook receiver and API server.
    Server,
}

impl Kind {
    /// The spelling used in every output (`types`, `client`, `server`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Types => "types",
            Kind::Client => "client",
            Kind::Server => "server",
        }
    }
}

/// One change, as shown to a maintainer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// How it affects dependents.
    pub class: Class,
    /// The item, in Rust terms where it has one (`Reservation.state`, `Client::bills_get_all`).
    pub item: String,
    /// What changed, in one sentence.
    pub message: String,
    /// Where, in the new version's spec (the old one's for removals): `file:line:column (#pointer)`.
    pub location: String,
}

/// The changes one generated crate shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrateReport {
    /// Package name (the new version's).
    pub name: String,
    /// Which crate it is.
    pub kind: Kind,
    /// The version the old config gives it.
    pub version: String,
    /// The bump it needs.
    pub bump: Bump,
    /// Its version after the bump.
    pub next_version: String,
    /// Whether any of its generated files differ.
    pub files_changed: bool,
    /// Changes, breaking first.
    pub changes: Vec<Change>,
}

/// Every generated crate's changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One entry per crate either version generates, types first.
    pub crates: Vec<CrateReport>,
}

impl Report {
    /// Whether any change of `class` was found (for `--fail-on`).
    pub fn has(&self, class: Class) -> bool {
        self.crates.iter().any(|c| c.changes.iter().any(|change| change.class == class))
    }
}

/// How the emitters shape items, which decides what a change means for code that uses them.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Structs are `#[non_exhaustive]` and built through constructors and setters: a new
    /// optional field is additive.
    pub open_structs: bool,
    /// Enums are `#[non_exhaustive]`: a new variant is additive.
    pub open_enums: bool,
    /// Every method of the API-server and webhook traits has a default body: a new operation
    /// is additive for implementors.
    pub default_methods: bool,
}

impl Shape {
    /// The shape the emitters of this generator produce.
    pub const fn generated() -> Shape {
        Shape { open_structs: true, open_enums: true, default_methods: true }
    }
}

/// Changes collected per crate kind while comparing.
#[derive(Default)]
struct Changes {
    by_kind: BTreeMap<Kind, BTreeSet<Change>>,
}

impl Changes {
    fn add(&mut self, kind: Kind, class: Class, item: impl Into<String>, message: impl Into<String>, location: &str) {
        let change = Change { class, item: item.into(), message: message.into(), location: location.to_owned() };
        self.by_kind.entry(kind).or_default().insert(change);
    }
}

/// Compares two versions of an API.
pub fn compare(old: &Version<'_>, new: &Version<'_>) -> Report {
    compare_with(old, new, Shape::generated())
}

/// [`compare`] for emitters that shape items as `shape` says.
pub fn compare_with(old: &Version<'_>, new: &Version<'_>, shape: Shape) -> Report {
    let pair = Pair::new(old, new, shape);
    let mut changes = Changes::default();
    types::compare(&pair, &mut changes);
    surface::compare(&pair, &mut changes);
    let mut crates = Vec::new();
    for kind in [Kind::Types, Kind::Client, Kind::Server] {
        let (Some(old_name), Some(new_name)) = (crate_name(old, kind), crate_name(new, kind)) else {
            continue;
        };
        let mut found: Vec<Change> = changes.by_kind.remove(&kind).unwrap_or_default().into_iter().collect();
        let types_breaks = kind != Kind::Types
            && crates.first().is_some_and(|t: &CrateReport| t.kind == Kind::Types && t.bump_is_breaking());
        if types_breaks {
            let types_name = crates.first().map(|t: &CrateReport| t.name.clone()).unwrap_or_default();
            found.push(Change {
                class: Class::Breaking,
                item: types_name.clone(),
                message: format!("its public API shows the types of `{types_name}`, which has breaking changes"),
                location: new.config.file.clone(),
            });
        }
        found.sort();
        let files_changed = crate_files(old.files, old_name) != crate_files(new.files, new_name);
        let version = settings(old.config, kind).version.clone();
        let classes: BTreeSet<Class> = found.iter().map(|c| c.class).collect();
        let bump = Bump::needed(&version, &classes, files_changed || old_name != new_name);
        crates.push(CrateReport {
            name: new_name.to_owned(),
            kind,
            next_version: bump.apply(&version),
            version,
            bump,
            files_changed,
            changes: found,
        });
    }
    Report { crates }
}

impl CrateReport {
    /// Whether the crate has a breaking change (its dependents then break with it).
    fn bump_is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.class == Class::Breaking)
    }
}

/// The crate settings of one kind.
fn settings(config: &Config, kind: Kind) -> &crate::config::CrateSettings {
    match kind {
        Kind::Types => &config.types_crate,
        Kind::Client => &config.client.krate,
        Kind::Server => &config.server.krate,
    }
}

/// The package name of a crate kind when `version` generates it.
fn crate_name<'a>(version: &Version<'a>, kind: Kind) -> Option<&'a str> {
    let name = settings(version.config, kind).name.as_str();
    version.files.keys().any(|path| path.strip_prefix(name).is_some_and(|rest| rest.starts_with('/'))).then_some(name)
}

/// The files of one crate, keyed by path inside the crate (both versions are generated with one
/// provenance, so header lines compare equal).
fn crate_files<'a>(files: &'a Files, name: &str) -> BTreeMap<&'a str, &'a str> {
    files
        .iter()
        .filter_map(|(path, text)| {
            let rest = path.strip_prefix(name)?.strip_prefix('/')?;
            Some((rest, text.as_str()))
        })
        .collect()
}

/// Both versions, with what the comparisons share: wire-name indexes and which types travel in
/// which direction.
struct Pair<'a> {
    old: &'a Api,
    new: &'a Api,
    shape: Shape,
    /// New wire name of each old type that was renamed.
    renamed: BTreeMap<String, String>,
    /// Wire names of the types (of either version) that clients send.
    sent: BTreeSet<String>,
    /// Wire names of the types (of either version) that clients or receivers get.
    received: BTreeSet<String>,
    /// Wire names of body fields the transport writes (credentials), taken out of request types.
    body_credentials: BTreeSet<String>,
}

impl<'a> Pair<'a> {
    fn new(old: &'a Version<'a>, new: &'a Version<'a>, shape: Shape) -> Self {
        let mut sent = BTreeSet::new();
        let mut received = BTreeSet::new();
        for api in [old.api, new.api] {
            let (s, r) = directions(api);
            sent.extend(s);
            received.extend(r);
        }
        let body_credentials = new
            .api
            .credentials
            .iter()
            .filter(|c| matches!(c.carried, crate::ir::Carried::BodyField))
            .map(|c| c.wire.clone())
            .collect();
        let renamed = types::renames(old.api, new.api);
        Pair { old: old.api, new: new.api, shape, renamed, sent, received, body_credentials }
    }

    /// The wire name an old type has in the new version.
    fn new_name<'s>(&'s self, old_wire: &'s str) -> &'s str {
        self.renamed.get(old_wire).map_or(old_wire, String::as_str)
    }

    /// Whether two type expressions, one of each version, are the same type (named types by
    /// wire name, following renames).
    fn same(&self, old: &TypeRef, new: &TypeRef) -> bool {
        match (old, new) {
            (TypeRef::Named(a), TypeRef::Named(b)) => match (wire(self.old, *a), wire(self.new, *b)) {
                (Some(a), Some(b)) => self.new_name(a) == b,
                _ => false,
            },
            (TypeRef::Primitive(a), TypeRef::Primitive(b)) => a == b,
            (TypeRef::List(a), TypeRef::List(b)) | (TypeRef::Map(a), TypeRef::Map(b)) => self.same(a, b),
            (TypeRef::Any, TypeRef::Any) => true,
            _ => false,
        }
    }

    fn moves(&self, wire_name: &str) -> Travel {
        Travel { sent: self.sent.contains(wire_name), received: self.received.contains(wire_name) }
    }
}

/// Which way a type's values travel.
#[derive(Clone, Copy)]
struct Travel {
    sent: bool,
    received: bool,
}

/// The wire name of a named type.
fn wire(api: &Api, id: TypeId) -> Option<&str> {
    api.types.get(id.0).map(|t| t.name.wire.as_str())
}

/// A type expression in words, by wire names (`list of Reservation`).
fn show(api: &Api, ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(id) => wire(api, *id).unwrap_or("?").to_owned(),
        TypeRef::Primitive(p) => format!("{p:?}").to_lowercase(),
        TypeRef::List(item) => format!("list of {}", show(api, item)),
        TypeRef::Map(value) => format!("map of {}", show(api, value)),
        TypeRef::Any => "any JSON value".to_owned(),
    }
}

/// The wire names of the types clients send and of those they (or receivers) get, each with
/// every type it reaches.
fn directions(api: &Api) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut sent = Vec::new();
    let mut received = Vec::new();
    for op in &api.operations {
        sent.extend(op.request.iter().map(|b| b.ty.clone()));
        sent.extend(op.params.iter().map(|p| p.ty.clone()));
        received.extend(op.responses.iter().filter_map(|r| r.body.as_ref()).map(|b| b.ty.clone()));
    }
    received.extend(api.webhooks.iter().filter_map(|w| w.payload.as_ref()).map(|b| b.ty.clone()));
    for channel in &api.channels {
        for message in &channel.messages {
            match message.direction {
                Direction::Send => sent.push(message.payload.clone()),
                Direction::Receive => received.push(message.payload.clone()),
            }
        }
    }
    (reach(api, sent), reach(api, received))
}

/// The wire names of every named type `roots` reach.
fn reach(api: &Api, roots: Vec<TypeRef>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = roots;
    while let Some(ty) = stack.pop() {
        match ty {
            TypeRef::List(inner) | TypeRef::Map(inner) => stack.push(*inner),
            TypeRef::Named(id) => {
                let Some(def) = api.types.get(id.0) else { continue };
                if !seen.insert(def.name.wire.clone()) {
                    continue;
                }
                match &def.kind {
                    TypeKind::Struct(s) => stack.extend(s.fields.iter().map(|f| f.ty.clone())),
                    TypeKind::Union(u) => stack.extend(u.variants.iter().filter_map(|v| v.ty.clone())),
                    TypeKind::Alias(t) | TypeKind::Newtype(t) => stack.push(t.clone()),
                    TypeKind::Enum(_) => {}
                }
            }
            TypeRef::Primitive(_) | TypeRef::Any => {}
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_follow_cargo_semver_rules_below_and_from_one() {
        let set = |classes: &[Class]| classes.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(Bump::needed("0.3.1", &set(&[Class::Breaking, Class::Additive]), true), Bump::Minor);
        assert_eq!(Bump::needed("0.3.1", &set(&[Class::Additive]), true), Bump::Patch);
        assert_eq!(Bump::needed("0.0.4", &set(&[Class::Breaking]), true), Bump::Patch);
        assert_eq!(Bump::needed("1.2.3", &set(&[Class::Breaking]), true), Bump::Major);
        assert_eq!(Bump::needed("1.2.3", &set(&[Class::Additive, Class::Wire]), true), Bump::Minor);
        assert_eq!(Bump::needed("1.2.3", &set(&[Class::Wire]), true), Bump::Patch);
        assert_eq!(Bump::needed("1.2.3", &set(&[]), true), Bump::Patch);
        assert_eq!(Bump::needed("1.2.3", &set(&[]), false), Bump::None);
        assert_eq!(Bump::Minor.apply("0.3.1"), "0.4.0");
        assert_eq!(Bump::Major.apply("1.9.2-beta.1"), "2.0.0");
        assert_eq!(Bump::Patch.apply("2.0.0"), "2.0.1");
        assert_eq!(Bump::None.apply("2.0.0"), "2.0.0");
    }
}

//! The `Cargo.toml` of a generated crate, written by the `toml` serializer: no config or spec
//! text can add keys or tables. What a registry needs (license, `rust-version`, repository,
//! README, keywords, categories) comes from the config's `package` settings and the crate's
//! kind; features and the features each example program needs come from the crate's emitter.

use std::collections::BTreeMap;

use super::{EmitError, Provenance, one_line};
use crate::config::{Config, CrateSettings, RUST_VERSION, is_keyword};

/// The version of `triad-runtime` generated crates depend on.
pub(crate) const RUNTIME_VERSION: &str = "0.1.0";

/// A dependency in a generated `Cargo.toml`.
#[derive(serde::Serialize)]
pub(crate) struct Dependency {
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(rename = "default-features", skip_serializing_if = "Option::is_none")]
    default_features: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    features: Vec<&'static str>,
}

impl Dependency {
    /// A crate from the registry, default features off.
    pub(crate) fn registry(version: &str, features: &[&'static str]) -> Self {
        Dependency {
            version: version.to_owned(),
            path: None,
            default_features: Some(false),
            features: features.to_vec(),
        }
    }

    /// A crate by version and, when given, by path: published, it is the version.
    pub(crate) fn local(version: &str, path: Option<String>, features: &[&'static str]) -> Self {
        Dependency { version: version.to_owned(), path, default_features: None, features: features.to_vec() }
    }

    /// The same dependency with its default features off.
    pub(crate) fn without_default_features(self) -> Self {
        Dependency { default_features: Some(false), ..self }
    }
}

/// What one generated crate's manifest says beyond the config's `package` settings.
pub(crate) struct Manifest<'a> {
    /// Name, version and categories.
    pub(crate) krate: &'a CrateSettings,
    pub(crate) description: String,
    /// The crate kind's own keyword (`types`, `client`, `server`).
    pub(crate) keyword: &'static str,
    /// Categories when the config gives none.
    pub(crate) categories: Vec<&'static str>,
    pub(crate) dependencies: BTreeMap<&'a str, Dependency>,
    pub(crate) dev_dependencies: BTreeMap<&'a str, Dependency>,
    /// Cargo features, `default` among them: what each enables.
    pub(crate) features: BTreeMap<&'static str, Vec<&'static str>>,
    /// Example programs that build only with some features: name → those features.
    pub(crate) examples: Vec<(String, Vec<&'static str>)>,
}

#[derive(serde::Serialize)]
struct File<'a> {
    package: Package<'a>,
    lib: Lib,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    features: BTreeMap<&'static str, Vec<&'static str>>,
    dependencies: BTreeMap<&'a str, Dependency>,
    #[serde(rename = "dev-dependencies", skip_serializing_if = "BTreeMap::is_empty")]
    dev_dependencies: BTreeMap<&'a str, Dependency>,
    #[serde(rename = "example", skip_serializing_if = "Vec::is_empty")]
    examples: Vec<Example>,
}

#[derive(serde::Serialize)]
struct Package<'a> {
    name: &'a str,
    version: &'a str,
    edition: &'static str,
    #[serde(rename = "rust-version")]
    rust_version: &'a str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<&'a str>,
    readme: &'static str,
    keywords: Vec<&'a str>,
    categories: Vec<&'a str>,
    /// Only `false` is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    publish: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
}

/// `[package.metadata.docs.rs]`: docs.rs documents every feature, each item gated by one
/// marked with it.
#[derive(serde::Serialize)]
struct Metadata {
    docs: Docs,
}

#[derive(serde::Serialize)]
struct Docs {
    rs: DocsRs,
}

#[derive(serde::Serialize)]
struct DocsRs {
    #[serde(rename = "all-features")]
    all_features: bool,
}

#[derive(serde::Serialize)]
struct Lib {
    path: &'static str,
}

#[derive(serde::Serialize)]
struct Example {
    name: String,
    #[serde(rename = "required-features")]
    required_features: Vec<&'static str>,
}

/// The `Cargo.toml` of a generated crate, behind the `@generated` line.
pub(crate) fn manifest(m: Manifest<'_>, config: &Config, provenance: &Provenance) -> Result<String, EmitError> {
    let package = &config.package;
    let name = m.krate.name.as_str();
    let mut keywords: Vec<&str> = if package.keywords.is_empty() {
        Some(config.name.as_str()).filter(|n| is_keyword(n)).into_iter().collect()
    } else {
        package.keywords.iter().map(String::as_str).collect()
    };
    if !keywords.contains(&m.keyword) {
        keywords.push(m.keyword);
    }
    let categories = if m.krate.categories.is_empty() {
        m.categories
    } else {
        m.krate.categories.iter().map(String::as_str).collect()
    };
    let file = File {
        package: Package {
            name,
            version: &m.krate.version,
            edition: "2024",
            rust_version: package.rust_version.as_deref().unwrap_or(RUST_VERSION),
            description: m.description,
            license: package.license.as_deref(),
            repository: package.repository.as_deref(),
            readme: "README.md",
            keywords,
            categories,
            publish: package.publish.filter(|publish| !publish),
            metadata: (!m.features.is_empty()).then_some(Metadata { docs: Docs { rs: DocsRs { all_features: true } } }),
        },
        lib: Lib { path: "src/lib.rs" },
        features: m.features,
        dependencies: m.dependencies,
        dev_dependencies: m.dev_dependencies,
        examples: m.examples.into_iter().map(|(name, required_features)| Example { name, required_features }).collect(),
    };
    let body = toml::to_string(&file)
        .map_err(|e| EmitError::Text { what: format!("Cargo.toml of {name}"), message: e.to_string() })?;
    Ok(format!("# {}\n{body}", one_line(&provenance.header())))
}

//! Package metadata of the generated crates (`package:` and `crates.<kind>.categories` in the
//! file): what their manifests say to a registry, and the rules each value must follow so that
//! `cargo package` and crates.io take it.

/// The oldest Rust the generated crates build with (edition 2024), their `rust-version` unless
/// the config says otherwise.
pub const RUST_VERSION: &str = "1.85";

/// Keywords the config may give (crates.io takes five per crate, and each crate adds its kind's).
pub const MAX_KEYWORDS: usize = 4;

/// Categories a crate may have on crates.io.
pub const MAX_CATEGORIES: usize = 5;

/// What `package.license` must look like.
pub(super) const LICENSE: &str = "an SPDX license expression such as `MIT OR Apache-2.0`";
/// What `package.repository` must look like.
pub(super) const REPOSITORY: &str = "an `https://` or `http://` URL without spaces";
/// What `package.rust_version` must look like.
pub(super) const RUST_VERSION_RULE: &str = "a quoted Rust version such as '1.85' or '1.88.0', at least 1.85";
/// What a keyword must look like.
pub(super) const KEYWORD: &str =
    "at most 20 ASCII letters, digits, `_`, `-` or `+`, starting with a letter (crates.io's rule)";
/// What a category must look like.
pub(super) const CATEGORY: &str = "a crates.io category slug such as `api-bindings` or `web-programming::http-client`";

/// Package metadata every generated crate's manifest carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageSettings {
    /// The crates' license, an SPDX expression; none by default.
    pub license: Option<String>,
    /// URL of the repository the crates are kept in; none by default.
    pub repository: Option<String>,
    /// The oldest Rust the crates support; [`RUST_VERSION`] by default.
    pub rust_version: Option<String>,
    /// crates.io keywords shared by the crates, to which each adds its kind (`types`,
    /// `client`, `server`); empty: the API's `name` when it is a valid keyword.
    pub keywords: Vec<String>,
    /// `Some(false)` writes `publish = false` into every manifest; otherwise the crates are
    /// publishable.
    pub publish: Option<bool>,
}

/// Why `license` is no license expression cargo and crates.io take, if it is not.
pub(super) fn check_license(license: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '+' | '(' | ')' | '/');
    if license.trim().is_empty() {
        Err("is empty".into())
    } else if let Some(c) = license.chars().find(|c| !allowed(*c)) {
        Err(format!("holds {c:?}"))
    } else {
        Ok(())
    }
}

/// Why `url` is no repository URL, if it is not.
pub(super) fn check_repository(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        None => Err("is not an `https://` or `http://` URL".into()),
        Some("") => Err("names no host".into()),
        Some(_) if url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Err("holds a space or a control character".into())
        }
        Some(_) => Ok(()),
    }
}

/// Why `version` is no `rust-version` the generated crates can have, if it is not.
pub(super) fn check_rust_version(version: &str) -> Result<(), String> {
    let parts: Vec<&str> = version.split('.').collect();
    let numbers: Option<Vec<u64>> =
        parts.iter().map(|p| p.bytes().all(|b| b.is_ascii_digit()).then(|| p.parse().ok()).flatten()).collect();
    match numbers.as_deref() {
        Some([major, minor, ..]) if parts.len() <= 3 => {
            if (*major, *minor) < (1, 85) {
                Err(format!("`{version}` is older than 1.85, which edition 2024 needs"))
            } else {
                Ok(())
            }
        }
        _ => Err(format!("`{version}` is not a Rust version")),
    }
}

/// Whether `keyword` is one crates.io takes.
pub fn is_keyword(keyword: &str) -> bool {
    keyword.len() <= 20
        && keyword.starts_with(|c: char| c.is_ascii_alphabetic())
        && keyword.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

/// Whether `category` is written as a crates.io category slug.
pub(super) fn is_category(category: &str) -> bool {
    category
        .split("::")
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_a_registry_takes() {
        assert!(check_license("MIT OR Apache-2.0").is_ok());
        assert!(check_license("(MIT OR Apache-2.0) AND BSD-3-Clause").is_ok());
        assert!(check_license("MIT\nevil = 1").is_err());
        assert!(check_license(" ").is_err());
        assert!(check_repository("https://example.com/org/repo").is_ok());
        assert!(check_repository("git@example.com:org/repo").is_err());
        assert!(check_repository("https://").is_err());
        assert!(check_repository("https://example.com/a b").is_err());
        assert!(check_rust_version("1.85").is_ok());
        assert!(check_rust_version("1.88.0").is_ok());
        assert!(check_rust_version("2.0").is_ok());
        assert!(check_rust_version("1.84").is_err());
        assert!(check_rust_version("1").is_err());
        assert!(check_rust_version("1.85.0.1").is_err());
        assert!(check_rust_version("1.x").is_err());
        assert!(check_rust_version("+1.85").is_err());
        assert!(is_keyword("mews") && is_keyword("web-hooks") && is_keyword("c++"));
        assert!(!is_keyword("9lives") && !is_keyword("") && !is_keyword("a b") && !is_keyword(&"a".repeat(21)));
        assert!(is_category("api-bindings") && is_category("web-programming::http-client"));
        assert!(!is_category("API") && !is_category("web::") && !is_category(""));
    }
}

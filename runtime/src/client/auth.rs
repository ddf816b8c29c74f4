//! Credentials and where they go.

pub use crate::secret::Secret;

/// One credential and its place in a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A member written first into every JSON object body (replacing one of the same name the
    /// body has), as a string.
    BodyField {
        /// Property name.
        name: String,
        /// Value, sent as a JSON string.
        value: Secret,
    },
    /// A request header.
    Header {
        /// Header name.
        name: String,
        /// Header value.
        value: Secret,
    },
    /// A query parameter.
    Query {
        /// Parameter name.
        name: String,
        /// Parameter value.
        value: Secret,
    },
    /// A cookie.
    Cookie {
        /// Cookie name.
        name: String,
        /// Cookie value.
        value: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic <base64(user:password)>`.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
    },
}

/// Every credential of a client. Each belongs either to the whole API (`scheme: None`, sent
/// with every request) or to a named security scheme (sent with the operations that accept it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Auth {
    pub(crate) entries: Vec<(Option<String>, Credential)>,
}

impl Auth {
    /// No credentials.
    pub fn new() -> Self {
        Auth::default()
    }

    /// Adds a credential sent with every request.
    pub fn always(mut self, credential: Credential) -> Self {
        self.entries.push((None, credential));
        self
    }

    /// Adds a credential of the security scheme `scheme`, sent with operations that accept it.
    pub fn scheme(mut self, scheme: &str, credential: Credential) -> Self {
        self.entries.push((Some(scheme.to_owned()), credential));
        self
    }

    /// True when no credential is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The credentials that apply to an operation accepting `schemes` (`None`: any).
    pub(crate) fn for_schemes<'a>(&'a self, schemes: Option<&'a [&'a str]>) -> impl Iterator<Item = &'a Credential> {
        self.entries.iter().filter_map(move |(scheme, credential)| match (scheme, schemes) {
            (None, _) | (Some(_), None) => Some(credential),
            (Some(s), Some(accepted)) => accepted.contains(&s.as_str()).then_some(credential),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let auth = Auth::new()
            .always(Credential::BodyField { name: "ClientToken".into(), value: "tok-123".into() })
            .scheme("basic", Credential::Basic { user: "ann".into(), password: Secret::new("pw-456") });
        let shown = format!("{auth:?} {:?} {}", Secret::new("x-789"), Secret::new("x-789"));
        for secret in ["tok-123", "pw-456", "x-789"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("ClientToken") && shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn scheme_credentials_go_only_where_accepted() {
        let auth = Auth::new()
            .always(Credential::Header { name: "X-A".into(), value: "a".into() })
            .scheme("key", Credential::Query { name: "k".into(), value: "b".into() });
        assert_eq!(auth.for_schemes(None).count(), 2);
        assert_eq!(auth.for_schemes(Some(&["key"])).count(), 2);
        assert_eq!(auth.for_schemes(Some(&["other"])).count(), 1);
        assert_eq!(auth.for_schemes(Some(&[])).count(), 1);
    }
}

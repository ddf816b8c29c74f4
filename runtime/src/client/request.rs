//! One call as generated code describes it, and the response it gets.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::Error;
use super::params::{self, Style};

/// Characters kept as they are in a path segment: RFC 3986 unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A body that is neither JSON nor a form: bytes with their media type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raw {
    /// `Content-Type` to send.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Raw {
    /// A body of `bytes` sent as `content_type`.
    pub fn new(content_type: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Raw { content_type: content_type.into(), bytes: bytes.into() }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Body {
    Empty,
    Json(Value),
    Form(Vec<(String, String)>),
    Raw(Raw),
}

/// A request to send: built by generated code, one builder call per path segment, parameter and
/// body. The first value that fails to serialize is kept and reported by [`super::Transport::send`].
#[derive(Clone, Debug)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) operation: &'static str,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) body: Body,
    pub(crate) retry_safe: bool,
    pub(crate) schemes: Option<&'static [&'static str]>,
    pub(crate) invalid: Option<String>,
}

impl Request {
    /// A request of `operation` (its id, shown in traces and errors) with an empty path.
    /// GET, HEAD, OPTIONS, PUT and DELETE are safe to repeat; others only if marked so.
    pub fn new(method: Method, operation: &'static str) -> Self {
        let retry_safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE);
        Request {
            method,
            operation,
            path: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            body: Body::Empty,
            retry_safe,
            schemes: None,
            invalid: None,
        }
    }

    /// Marks whether the operation may be repeated after a failure whose outcome is unknown.
    pub fn retry_safe(mut self, safe: bool) -> Self {
        self.retry_safe = safe;
        self
    }

    /// The security schemes the operation accepts (credentials of other schemes stay home).
    pub fn schemes(mut self, schemes: &'static [&'static str]) -> Self {
        self.schemes = Some(schemes);
        self
    }

    /// Appends a literal part of the path.
    pub fn path(mut self, literal: &str) -> Self {
        self.path.push_str(literal);
        self
    }

    /// Appends a path parameter, percent-encoded.
    pub fn path_param<T: Serialize + ?Sized>(mut self, name: &str, style: Style, explode: bool, value: &T) -> Self {
        if let Some(value) = self.value(name, value) {
            match params::simple(name, &value, style, explode) {
                Some(text) => self.path.extend(utf8_percent_encode(&text, SEGMENT)),
                None => self.fail(format!("path parameter `{name}` is null")),
            }
        }
        self
    }

    /// Adds a query parameter; `None`/null adds nothing.
    pub fn query<T: Serialize + ?Sized>(mut self, name: &str, style: Style, explode: bool, value: &T) -> Self {
        if let Some(value) = self.value(name, value) {
            self.query.extend(params::query_pairs(name, &value, style, explode));
        }
        self
    }

    /// Adds a header; `None`/null adds nothing.
    pub fn header<T: Serialize + ?Sized>(mut self, name: &str, explode: bool, value: &T) -> Self {
        if let Some(text) = self.value(name, value).and_then(|v| params::simple(name, &v, Style::Simple, explode)) {
            self.headers.push((name.to_owned(), text));
        }
        self
    }

    /// Adds a cookie; `None`/null adds nothing.
    pub fn cookie<T: Serialize + ?Sized>(mut self, name: &str, explode: bool, value: &T) -> Self {
        if let Some(text) = self.value(name, value).and_then(|v| params::simple(name, &v, Style::Simple, explode)) {
            self.cookies.push((name.to_owned(), text));
        }
        self
    }

    /// Sends `body` as JSON.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        if let Some(value) = self.value("body", body) {
            self.body = Body::Json(value);
        }
        self
    }

    /// Sends `body` as `application/x-www-form-urlencoded`.
    pub fn form<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        if let Some(value) = self.value("body", body) {
            let pairs = match &value {
                Value::Object(map) => {
                    map.iter().flat_map(|(k, v)| params::query_pairs(k, v, Style::Form, true)).collect()
                }
                other => params::query_pairs("body", other, Style::Form, true),
            };
            self.body = Body::Form(pairs);
        }
        self
    }

    /// Sends bytes with their own media type.
    pub fn raw(mut self, body: Raw) -> Self {
        self.body = Body::Raw(body);
        self
    }

    fn value<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Option<Value> {
        match serde_json::to_value(value) {
            Ok(value) => Some(value),
            Err(e) => {
                self.fail(format!("`{name}` does not serialize: {e}"));
                None
            }
        }
    }

    fn fail(&mut self, message: String) {
        self.invalid.get_or_insert(message);
    }
}

/// A successful (2xx) response, read whole.
#[derive(Clone, Debug)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// Decodes the body as JSON; failure keeps the body and the decode error.
    pub fn json<T: DeserializeOwned, E>(&self) -> Result<T, Error<E>> {
        serde_json::from_slice(&self.body).map_err(|source| Error::Decode {
            status: self.status,
            body: String::from_utf8_lossy(&self.body).into_owned(),
            source,
        })
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.body
    }

    /// The error for a success status the operation does not document.
    pub fn unexpected<E>(&self) -> Error<E> {
        Error::UnexpectedStatus { status: self.status, body: self.text() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_encoded_and_bad_values_reported() {
        let request =
            Request::new(Method::GET, "get").path("/files/").path_param("name", Style::Simple, false, "a b/c");
        assert_eq!(request.path, "/files/a%20b%2Fc");
        assert!(request.invalid.is_none());
        let request = Request::new(Method::GET, "get").path("/x/").path_param("id", Style::Simple, false, &None::<u8>);
        assert_eq!(request.invalid.as_deref(), Some("path parameter `id` is null"));
        let map: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let request = Request::new(Method::POST, "post").json(&map);
        assert!(request.invalid.unwrap().contains("`body` does not serialize"));
    }

    #[test]
    fn reads_are_retry_safe_writes_are_not() {
        assert!(Request::new(Method::GET, "a").retry_safe);
        assert!(!Request::new(Method::POST, "a").retry_safe);
        assert!(Request::new(Method::POST, "a").retry_safe(true).retry_safe);
    }
}

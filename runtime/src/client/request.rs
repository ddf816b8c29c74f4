//! One call as generated code describes it, and the response it gets.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::body::{FilePart, Upload};
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

#[derive(Clone, Debug, Default)]
pub(crate) enum Body {
    #[default]
    Empty,
    /// The body as serialized: credential members and cursors are written into these bytes
    /// (`super::json`), so every value keeps its exact text.
    Json(Vec<u8>),
    Form(Vec<(String, String)>),
    Raw(Raw),
    /// Bytes sent as they are read, with their media type.
    Upload(String, Upload),
    Multipart(Vec<PartSpec>),
}

impl Body {
    /// False when the body can be sent only once (a stream).
    pub(crate) fn repeatable(&self) -> bool {
        match self {
            Body::Upload(_, upload) => upload.repeatable(),
            Body::Multipart(parts) => parts.iter().all(|part| match &part.content {
                PartContent::File(file) => file.body.repeatable(),
                PartContent::Text(_) => true,
            }),
            _ => true,
        }
    }

    /// True when the body is in memory, so its sending is quick to bound.
    pub(crate) fn in_memory(&self) -> bool {
        !matches!(self, Body::Upload(..) | Body::Multipart(_))
    }
}

/// One part of a multipart body.
#[derive(Clone, Debug)]
pub(crate) struct PartSpec {
    pub(crate) name: String,
    /// The part's media type: the specification's `encoding`, or the file's own.
    pub(crate) content_type: Option<String>,
    pub(crate) content: PartContent,
}

#[derive(Clone, Debug)]
pub(crate) enum PartContent {
    Text(String),
    File(FilePart),
}

/// What is fixed about one operation. Generated code keeps one per operation in a `static`, so
/// a method only adds what varies from call to call (parameters and body) as a [`Request`].
#[derive(Clone, Debug)]
pub struct Operation {
    /// The operation id, shown in traces and errors.
    pub id: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template below the base URL; each `{name}` is filled in by [`Request::path_param`].
    pub path: &'static str,
    /// Whether the operation may be repeated after a failure whose outcome is unknown (a
    /// timeout, a lost connection, 408 or 5xx). A 429 is retried whatever this says.
    pub retry_safe: bool,
    /// The security schemes the operation accepts (credentials of other schemes stay home);
    /// `None` sends every credential.
    pub schemes: Option<&'static [&'static str]>,
}

/// The values of one call: path parameters, query, headers, cookies and body, added by one
/// builder call each. The first value that fails to serialize is kept and reported by
/// [`super::Transport::send`].
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub(crate) path_params: Vec<(&'static str, String)>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) body: Body,
    pub(crate) invalid: Option<String>,
}

impl Request {
    /// A request without parameters or body.
    pub fn new() -> Self {
        Request::default()
    }

    /// Sets the path parameter `name` (`{name}` in the operation's path template), percent-encoded.
    pub fn path_param<T: Serialize + ?Sized>(
        mut self,
        name: &'static str,
        style: Style,
        explode: bool,
        value: &T,
    ) -> Self {
        if let Some(value) = self.value(name, value) {
            match params::simple(name, &value, style, explode) {
                Some(text) => self.path_params.push((name, utf8_percent_encode(&text, SEGMENT).to_string())),
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

    /// Sends `body` as JSON (serialized once, here; the transport writes the credential
    /// members into it).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Body::Json(bytes),
            Err(e) => self.fail(format!("`body` does not serialize: {e}")),
        }
        self
    }

    /// Sends `body` as JSON when there is one.
    pub fn json_opt<T: Serialize + ?Sized>(self, body: Option<&T>) -> Self {
        match body {
            Some(body) => self.json(body),
            None => self,
        }
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

    /// Sends `body` as a form when there is one.
    pub fn form_opt<T: Serialize + ?Sized>(self, body: Option<&T>) -> Self {
        match body {
            Some(body) => self.form(body),
            None => self,
        }
    }

    /// Sends bytes with their own media type.
    pub fn raw(mut self, body: Raw) -> Self {
        self.body = Body::Raw(body);
        self
    }

    /// Sends bytes with their own media type when there are some.
    pub fn raw_opt(self, body: Option<Raw>) -> Self {
        match body {
            Some(body) => self.raw(body),
            None => self,
        }
    }

    /// Sends `text` with the media type `content_type`.
    pub fn text(mut self, content_type: &str, text: &str) -> Self {
        self.body = Body::Raw(Raw::new(content_type, text));
        self
    }

    /// Sends `text` with the media type `content_type` when there is some.
    pub fn text_opt(self, content_type: &str, text: Option<&str>) -> Self {
        match text {
            Some(text) => self.text(content_type, text),
            None => self,
        }
    }

    /// The request as `f` makes it (generated code writes a multipart body's parts this way).
    pub fn apply(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }

    /// Sends `body` as it is read, with the media type `content_type`.
    pub fn upload(mut self, content_type: &str, body: Upload) -> Self {
        self.body = Body::Upload(content_type.to_owned(), body);
        self
    }

    /// Sends `body` as it is read when there is one.
    pub fn upload_opt(self, content_type: &str, body: Option<Upload>) -> Self {
        match body {
            Some(body) => self.upload(content_type, body),
            None => self,
        }
    }

    /// Starts a `multipart/form-data` body; parts follow.
    pub fn multipart(mut self) -> Self {
        self.body = Body::Multipart(Vec::new());
        self
    }

    /// Adds text parts named `name`: `None`/null adds none, a list one part per item, a string
    /// is sent as it is and any other value as its JSON text (`12`, `true`). `content_type`
    /// is the part's `encoding` in the specification.
    pub fn part_text<T: Serialize + ?Sized>(self, name: &str, content_type: Option<&str>, value: &T) -> Self {
        self.parts(name, content_type, value, false)
    }

    /// Adds JSON parts named `name`: `None`/null adds none, a list one part per item.
    pub fn part_json<T: Serialize + ?Sized>(self, name: &str, content_type: Option<&str>, value: &T) -> Self {
        self.parts(name, Some(content_type.unwrap_or("application/json")), value, true)
    }

    /// Adds one file part named `name` per file; `content_type` is the specification's, used
    /// for a file that does not name its own.
    pub fn part_files(
        mut self,
        name: &str,
        content_type: Option<&str>,
        files: impl IntoIterator<Item = FilePart>,
    ) -> Self {
        if let Body::Multipart(parts) = &mut self.body {
            for file in files {
                let content_type = file.content_type.clone().or_else(|| content_type.map(str::to_owned));
                parts.push(PartSpec { name: name.to_owned(), content_type, content: PartContent::File(file) });
            }
        }
        self
    }

    fn parts<T: Serialize + ?Sized>(mut self, name: &str, content_type: Option<&str>, value: &T, json: bool) -> Self {
        let Some(value) = self.value(name, value) else { return self };
        let items = match value {
            Value::Null => Vec::new(),
            Value::Array(items) => items,
            other => vec![other],
        };
        if let Body::Multipart(parts) = &mut self.body {
            for item in items {
                let text = match item {
                    Value::String(text) if !json => text,
                    other => other.to_string(),
                };
                parts.push(PartSpec {
                    name: name.to_owned(),
                    content_type: content_type.map(str::to_owned),
                    content: PartContent::Text(text),
                });
            }
        }
        self
    }

    /// The path of `operation` with this request's path parameters filled in.
    pub(crate) fn path(&self, operation: &Operation) -> Result<String, String> {
        let mut path = String::with_capacity(operation.path.len());
        let mut rest = operation.path;
        while let Some(open) = rest.find('{') {
            path.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| format!("unclosed `{{` in path `{}`", operation.path))?;
            let name = &after[..close];
            let value = self
                .path_params
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| format!("path parameter `{name}` is missing"))?;
            path.push_str(&value.1);
            rest = &after[close + 1..];
        }
        path.push_str(rest);
        Ok(path)
    }

    /// The JSON body's integer at `path` (property names from the top), if there is one.
    pub(crate) fn json_integer_at(&self, path: &[&str]) -> Option<i64> {
        let Body::Json(body) = &self.body else { return None };
        super::json::get(body, path)?.get().parse().ok()
    }

    /// Sets the JSON body's value at `path` to `value` serialized, making the objects on the
    /// way where they are absent or `null` (a step that is something else leaves the body as it
    /// is); a value that does not serialize makes the request invalid.
    pub(crate) fn set_json_at<T: Serialize + ?Sized>(&mut self, path: &[&str], value: &T) {
        let value = match serde_json::to_vec(value) {
            Ok(value) => value,
            Err(e) => return self.fail(format!("`{}` does not serialize: {e}", path.join("."))),
        };
        let Body::Json(body) = &mut self.body else { return };
        if let Some(next) = super::json::set(body, path, &value) {
            *body = next;
        }
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

    /// Decodes the body as JSON, or gives `None` for a response without content (204, or an
    /// empty body).
    pub fn json_or_none<T: DeserializeOwned, E>(&self) -> Result<Option<T>, Error<E>> {
        if self.status == 204 || self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.json().map(Some)
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

    const GET_FILE: Operation = Operation {
        id: "get_file",
        method: Method::GET,
        path: "/files/{folder}/{name}.json",
        retry_safe: true,
        schemes: None,
    };

    #[test]
    fn path_parameters_are_encoded_and_bad_values_reported() {
        let request = Request::new().path_param("name", Style::Simple, false, "a b/c").path_param(
            "folder",
            Style::Simple,
            false,
            &7,
        );
        assert_eq!(request.path(&GET_FILE).unwrap(), "/files/7/a%20b%2Fc.json");
        assert!(request.invalid.is_none());
        let request = Request::new().path_param("id", Style::Simple, false, &None::<u8>);
        assert_eq!(request.invalid.as_deref(), Some("path parameter `id` is null"));
        let request = Request::new().path_param("name", Style::Simple, false, "x");
        assert_eq!(request.path(&GET_FILE).unwrap_err(), "path parameter `folder` is missing");
        let map: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let request = Request::new().json(&map);
        assert!(request.invalid.unwrap().contains("`body` does not serialize"));
    }

    #[test]
    fn an_absent_body_is_not_sent() {
        assert!(matches!(Request::new().json_opt(None::<&u8>).body, Body::Empty));
        assert!(matches!(Request::new().json_opt(Some(&1)).body, Body::Json(_)));
        assert!(matches!(Request::new().form_opt(None::<&u8>).body, Body::Empty));
        assert!(matches!(Request::new().raw_opt(None).body, Body::Empty));
    }

    #[test]
    fn no_content_decodes_as_none() {
        let response = |status, body: &str| Response { status, headers: HeaderMap::new(), body: body.into() };
        assert_eq!(response(204, "").json_or_none::<u8, ()>().unwrap(), None);
        assert_eq!(response(200, " \n").json_or_none::<u8, ()>().unwrap(), None);
        assert_eq!(response(200, "7").json_or_none::<u8, ()>().unwrap(), Some(7));
        assert!(matches!(response(200, "x").json_or_none::<u8, ()>(), Err(Error::Decode { .. })));
    }
}

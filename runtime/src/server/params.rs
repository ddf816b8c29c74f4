//! What a generated API server reads from a request besides its body: the path matched against
//! an operation's template, and path, query, header and cookie parameters read back by the
//! style and `explode` flag the specification gives them (the counterpart of the client's
//! encoding), then decoded into their Rust types.

use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use crate::style::Style;

/// What a parameter's type holds, so its text is split the way the client joined it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One value (a string, number, boolean, enum...).
    Scalar,
    /// A list of values.
    List,
    /// An object or map: key/value pairs.
    Object,
}

/// A piece of one path segment of an operation's template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text that must be there as written (compared after percent-decoding the request).
    Literal(&'static str),
    /// A path parameter, by wire name.
    Param(&'static str),
}

/// The texts of the path parameters of a matched request (percent-decoded), by wire name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParams(Vec<(&'static str, String)>);

/// One request to a generated API server: the router hands it to each operation its path may
/// belong to. Its body is read whole ([`ApiRequest::read`]), or, on a route with an operation
/// that streams its body ([`ApiRequest::read_head`]), left unread until an operation takes it
/// as a stream or loads it whole.
#[derive(Debug)]
pub struct ApiRequest {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: std::sync::OnceLock<Bytes>,
    /// The request whose body is not read yet.
    unread: std::sync::Mutex<Option<axum::extract::Request>>,
    /// The router's [`super::UploadLimit`], if it has one.
    upload_limit: Option<u64>,
}

impl ApiRequest {
    /// Reads a request, its body up to the router's body limit (413 beyond it).
    pub async fn read(request: axum::extract::Request) -> Result<Self, Box<Response>> {
        let this = ApiRequest::read_head(request);
        this.load().await?;
        Ok(this)
    }

    /// Reads a request's head; its body stays unread.
    pub fn read_head(request: axum::extract::Request) -> Self {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let query = request
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let headers = request.headers().clone();
        let upload_limit = request.extensions().get::<super::UploadLimit>().map(|limit| limit.0);
        ApiRequest {
            upload_limit,
            method,
            path,
            query,
            headers,
            body: std::sync::OnceLock::new(),
            unread: std::sync::Mutex::new(Some(request)),
        }
    }

    /// Reads the body whole, up to the router's body limit (413 beyond it), if it is not read
    /// yet. A body an operation already took as a stream reads as empty.
    pub async fn load(&self) -> Result<(), Box<Response>> {
        if self.body.get().is_some() {
            return Ok(());
        }
        let unread = self.unread.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        let bytes = match unread {
            Some(request) => Bytes::from_request(request, &()).await.map_err(|e| Box::new(e.into_response()))?,
            None => Bytes::new(),
        };
        let _ = self.body.set(bytes);
        Ok(())
    }

    /// True when the body is `application/x-www-form-urlencoded` (by its `Content-Type`).
    pub fn is_form(&self) -> bool {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    }

    /// The router's upload limit, when it was given one.
    pub fn upload_limit(&self) -> Option<u64> {
        self.upload_limit
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body as a stream: the unread body, or the bytes already read. Once.
    pub fn take_body(&self) -> axum::body::Body {
        if let Some(bytes) = self.body.get() {
            return axum::body::Body::from(bytes.clone());
        }
        let unread = self.unread.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        unread.map(axum::extract::Request::into_body).unwrap_or_default()
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Makes a HEAD request a GET, for a second pass over the route's operations when no
    /// operation took it as HEAD: a HEAD is answered as its GET would be (axum then sends the
    /// status and headers without the body). False, and no change, for any other method.
    pub fn head_as_get(&mut self) -> bool {
        if self.method != Method::HEAD {
            return false;
        }
        self.method = Method::GET;
        true
    }

    /// The body bytes, once [`ApiRequest::load`]ed (empty before).
    pub fn body(&self) -> &Bytes {
        static EMPTY: Bytes = Bytes::new();
        self.body.get().unwrap_or(&EMPTY)
    }

    /// The body, or `None` when it is empty (only whitespace).
    pub fn body_opt(&self) -> Option<&Bytes> {
        let body = self.body();
        (!body.iter().all(u8::is_ascii_whitespace)).then_some(body)
    }

    /// The path parameters, when the path has as many segments as `template` and each
    /// segment matches its pieces; `None` when the request is not for this template. In a
    /// segment, a literal after the last parameter is matched at its end and one between two
    /// parameters at its first occurrence; of two adjacent parameters, the first takes all.
    pub fn match_path(&self, template: &[&[Piece]]) -> Option<PathParams> {
        let rest = self.path.strip_prefix('/').unwrap_or(&self.path);
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.len() != template.len() {
            return None;
        }
        let mut out = Vec::new();
        for (raw, pieces) in segments.iter().zip(template) {
            let text = percent_decode_str(raw).decode_utf8().ok()?;
            if !match_segment(pieces, &text, &mut out) {
                return None;
            }
        }
        Some(PathParams(out))
    }

    /// A path parameter decoded as `T`; the error is the 400's message.
    pub fn path_param<T: DeserializeOwned>(
        &self,
        params: &PathParams,
        name: &str,
        style: Style,
        explode: bool,
        shape: Shape,
    ) -> Result<T, String> {
        let text = params.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        let text = text.ok_or_else(|| missing("path", name))?;
        let value = unsimple(name, text, style, explode, shape).map_err(|e| invalid("path", name, &e))?;
        typed(value).map_err(|e| invalid("path", name, &e))
    }

    /// A query parameter decoded as `T`, `None` when absent; the error is the 400's message.
    pub fn query<T: DeserializeOwned>(
        &self,
        name: &str,
        style: Style,
        explode: bool,
        shape: Shape,
    ) -> Result<Option<T>, String> {
        let value = unquery(&self.query, name, style, explode, shape).map_err(|e| invalid("query", name, &e))?;
        let Some(value) = value else {
            return Ok(None);
        };
        typed(value).map(Some).map_err(|e| invalid("query", name, &e))
    }

    /// A header decoded as `T` (style `simple`), `None` when absent.
    pub fn header<T: DeserializeOwned>(&self, name: &str, explode: bool, shape: Shape) -> Result<Option<T>, String> {
        let Some(raw) = self.headers.get(name) else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(raw.as_bytes());
        let value = unsimple(name, &text, Style::Simple, explode, shape).map_err(|e| invalid("header", name, &e))?;
        typed(value).map(Some).map_err(|e| invalid("header", name, &e))
    }

    /// A cookie decoded as `T` (style `simple`, as the client writes it), `None` when absent.
    pub fn cookie<T: DeserializeOwned>(&self, name: &str, explode: bool, shape: Shape) -> Result<Option<T>, String> {
        let found = self
            .headers
            .get_all(header::COOKIE)
            .iter()
            .flat_map(|line| line.as_bytes().split(|b| *b == b';'))
            .map(|pair| String::from_utf8_lossy(pair).trim().to_owned())
            .find_map(|pair| pair.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_owned()));
        let Some(text) = found else {
            return Ok(None);
        };
        let value = unsimple(name, &text, Style::Simple, explode, shape).map_err(|e| invalid("cookie", name, &e))?;
        typed(value).map(Some).map_err(|e| invalid("cookie", name, &e))
    }

    /// The answer when no operation of a route took the request: 405 when its method is none
    /// of `methods`, else 404.
    pub fn unmatched(&self, methods: &[&str]) -> Response {
        if methods.contains(&self.method.as_str()) {
            axum::http::StatusCode::NOT_FOUND.into_response()
        } else {
            axum::http::StatusCode::METHOD_NOT_ALLOWED.into_response()
        }
    }
}

/// A parameter's value, or the 400's message when a required one is missing.
pub fn required<T>(value: Result<Option<T>, String>, location: &str, name: &str) -> Result<T, String> {
    value?.ok_or_else(|| missing(location, name))
}

fn missing(location: &str, name: &str) -> String {
    format!("Missing required {location} parameter `{name}`")
}

fn invalid(location: &str, name: &str, error: &str) -> String {
    format!("Invalid {location} parameter `{name}`: {error}")
}

fn match_segment(pieces: &[Piece], text: &str, out: &mut Vec<(&'static str, String)>) -> bool {
    match pieces {
        [] => text.is_empty(),
        [Piece::Literal(literal), rest @ ..] => {
            text.strip_prefix(literal).is_some_and(|after| match_segment(rest, after, out))
        }
        [Piece::Param(name)] => {
            out.push((name, text.to_owned()));
            true
        }
        [Piece::Param(name), Piece::Param(_), ..] => {
            out.push((name, text.to_owned()));
            match_segment(&pieces[1..], "", out)
        }
        [Piece::Param(name), Piece::Literal(literal), rest @ ..] => {
            let at = if rest.is_empty() { text.strip_suffix(literal).map(str::len) } else { text.find(literal) };
            let Some(at) = at else { return false };
            out.push((name, text[..at].to_owned()));
            match_segment(&pieces[1..], &text[at..], out)
        }
    }
}

fn strings(items: impl IntoIterator<Item = impl Into<String>>) -> Value {
    Value::Array(items.into_iter().map(|s| Value::String(s.into())).collect())
}

/// Key/value texts as an object: `k,v,k,v` (`explode` false) or `k=v` items.
fn object(items: Vec<&str>, explode: bool) -> Result<Value, String> {
    let mut map = Map::new();
    if explode {
        for item in items.into_iter().filter(|i| !i.is_empty()) {
            let (k, v) = item.split_once('=').ok_or_else(|| format!("`{item}` is not `key=value`"))?;
            map.insert(k.to_owned(), Value::String(v.to_owned()));
        }
    } else {
        let items: Vec<&str> = items.into_iter().filter(|i| !i.is_empty()).collect();
        if items.len() % 2 != 0 {
            return Err("expected key,value pairs".into());
        }
        for pair in items.chunks(2) {
            map.insert(pair[0].to_owned(), Value::String(pair[1].to_owned()));
        }
    }
    Ok(Value::Object(map))
}

fn split<'a>(text: &'a str, separator: &str) -> Vec<&'a str> {
    if text.is_empty() { Vec::new() } else { text.split(separator).collect() }
}

/// The value of a path, header or cookie parameter from its text: the inverse of the client's
/// `simple`, `label` and `matrix` writing.
fn unsimple(name: &str, text: &str, style: Style, explode: bool, shape: Shape) -> Result<Value, String> {
    let (prefix, separator) = match style {
        Style::Label => (".".to_owned(), if explode { "." } else { "," }),
        Style::Matrix => (format!(";{name}="), if explode { ";" } else { "," }),
        _ => (String::new(), ","),
    };
    if style == Style::Matrix && explode && shape == Shape::List {
        let items = text.split(prefix.as_str()).collect::<Vec<_>>();
        return match items.split_first() {
            Some((&"", items)) => Ok(strings(items.iter().copied())),
            _ => Err(format!("expected `{prefix}` before each item")),
        };
    }
    let body = text.strip_prefix(prefix.as_str()).ok_or_else(|| format!("expected `{prefix}` first"))?;
    match shape {
        Shape::Scalar => Ok(Value::String(body.to_owned())),
        Shape::List => Ok(strings(split(body, if style == Style::Label { separator } else { "," }))),
        Shape::Object if explode => object(split(body, separator), true),
        Shape::Object => object(split(body, ","), false),
    }
}

/// The value of a query parameter from the request's pairs, `None` when absent: the inverse of
/// the client's `form`, `spaceDelimited`, `pipeDelimited` and `deepObject` writing. An exploded
/// `form` object takes every pair of the query (its type keeps the properties it knows).
fn unquery(
    query: &[(String, String)],
    name: &str,
    style: Style,
    explode: bool,
    shape: Shape,
) -> Result<Option<Value>, String> {
    let mut named = query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match shape {
        Shape::Scalar => Ok(named.next().map(|v| Value::String(v.to_owned()))),
        Shape::List => {
            let all: Vec<&str> = named.collect();
            let Some(first) = all.first().copied() else {
                return Ok(None);
            };
            Ok(Some(match style {
                Style::SpaceDelimited => strings(split(first, " ")),
                Style::PipeDelimited => strings(split(first, "|")),
                _ if explode => strings(all),
                _ => strings(split(first, ",")),
            }))
        }
        Shape::Object => {
            let mut map = Map::new();
            match style {
                Style::DeepObject => {
                    for (k, v) in query {
                        let key =
                            k.strip_prefix(name).and_then(|k| k.strip_prefix('[')).and_then(|k| k.strip_suffix(']'));
                        if let Some(key) = key {
                            map.insert(key.to_owned(), Value::String(v.clone()));
                        }
                    }
                }
                _ if explode => {
                    for (k, v) in query {
                        map.entry(k.clone()).or_insert_with(|| Value::String(v.clone()));
                    }
                }
                _ => return named.next().map(|first| object(split(first, ","), false)).transpose(),
            }
            Ok((!map.is_empty()).then_some(Value::Object(map)))
        }
    }
}

/// Replaces every string that reads as a JSON number or boolean by that value.
fn parsed(value: &Value) -> Value {
    match value {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v @ (Value::Number(_) | Value::Bool(_))) if s.trim() == s => v,
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(parsed).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), parsed(v))).collect()),
        other => other.clone(),
    }
}

/// Decodes text values as `T`: as strings first (strings, enums, dates, decimals read exactly),
/// then with numbers and booleans read as such. The error is the first attempt's.
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    let numbers = parsed(&value);
    let as_text = serde_json::from_value(value.clone());
    match as_text {
        Ok(v) => Ok(v),
        Err(_) if numbers != value => serde_json::from_value(numbers).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Decodes an `application/x-www-form-urlencoded` body as the client writes it (each property
/// as a pair, lists as repeated pairs): the properties named in `lists` are lists, the others
/// take their first value. On failure, the 400 answer in the provider's error shape.
pub fn decode_form<T: DeserializeOwned>(
    body: &Bytes,
    lists: &[&str],
    message_field: Option<&str>,
) -> Result<T, Box<Response>> {
    let mut map = Map::new();
    for (k, v) in form_urlencoded::parse(body) {
        if lists.contains(&k.as_ref()) {
            let entry = map.entry(k.into_owned()).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(Value::String(v.into_owned()));
            }
        } else {
            map.entry(k.into_owned()).or_insert(Value::String(v.into_owned()));
        }
    }
    typed(Value::Object(map))
        .map_err(|e| Box::new(super::api::bad_request(&format!("Invalid request body: {e}"), message_field)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path_of(path: &str) -> ApiRequest {
        let request = axum::http::Request::builder().uri(path).body(axum::body::Body::empty()).unwrap();
        ApiRequest::read_head(request)
    }

    #[test]
    fn paths_match_their_templates() {
        use Piece::{Literal, Param};
        let template: &[&[Piece]] = &[&[Literal("v1")], &[Param("name"), Literal(":cancel")]];
        let found = path_of("/v1/a%3Acancel:cancel").match_path(template).unwrap();
        assert_eq!(found.0, [("name", "a:cancel".to_owned())]);
        assert_eq!(path_of("/v1/a:undo").match_path(template), None);
        assert_eq!(path_of("/v1/a:cancel/x").match_path(template), None);
        let two: &[&[Piece]] = &[&[Param("a"), Literal("."), Param("b")]];
        let found = path_of("/x.y.z").match_path(two).unwrap();
        assert_eq!(found.0, [("a", "x".to_owned()), ("b", "y.z".to_owned())]);
        assert_eq!(path_of("/%FF").match_path(&[&[Param("a")]]), None);
    }

    #[test]
    fn simple_texts_read_back() {
        let read = |text, style, explode, shape| unsimple("id", text, style, explode, shape).unwrap();
        assert_eq!(read("3,4", Style::Simple, false, Shape::List), json!(["3", "4"]));
        assert_eq!(read("", Style::Simple, false, Shape::List), json!([]));
        assert_eq!(read("a,b", Style::Simple, false, Shape::Scalar), json!("a,b"));
        assert_eq!(read("a=1,b=2", Style::Simple, true, Shape::Object), json!({"a": "1", "b": "2"}));
        assert_eq!(read("a,1,b,2", Style::Simple, false, Shape::Object), json!({"a": "1", "b": "2"}));
        assert_eq!(read(".3.4", Style::Label, true, Shape::List), json!(["3", "4"]));
        assert_eq!(read(".3,4", Style::Label, false, Shape::List), json!(["3", "4"]));
        assert_eq!(read(";id=3;id=4", Style::Matrix, true, Shape::List), json!(["3", "4"]));
        assert_eq!(read(";id=3,4", Style::Matrix, false, Shape::List), json!(["3", "4"]));
        assert_eq!(read(";id=5", Style::Matrix, false, Shape::Scalar), json!("5"));
        assert!(unsimple("id", "5", Style::Matrix, false, Shape::Scalar).is_err());
        assert!(unsimple("id", "a,1,b", Style::Simple, false, Shape::Object).is_err());
    }

    #[test]
    fn query_texts_read_back() {
        let q: Vec<(String, String)> = [("id", "3"), ("id", "4"), ("f[a]", "1"), ("s", "3 4"), ("p", "3|4")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let read = |name, style, explode, shape| unquery(&q, name, style, explode, shape).unwrap();
        assert_eq!(read("id", Style::Form, true, Shape::List), Some(json!(["3", "4"])));
        assert_eq!(read("id", Style::Form, true, Shape::Scalar), Some(json!("3")));
        assert_eq!(read("s", Style::SpaceDelimited, false, Shape::List), Some(json!(["3", "4"])));
        assert_eq!(read("p", Style::PipeDelimited, false, Shape::List), Some(json!(["3", "4"])));
        assert_eq!(read("f", Style::DeepObject, true, Shape::Object), Some(json!({"a": "1"})));
        assert_eq!(read("none", Style::Form, true, Shape::List), None);
        assert_eq!(read("none", Style::DeepObject, true, Shape::Object), None);
    }

    #[test]
    fn texts_decode_into_types() {
        assert_eq!(typed::<String>(json!("5")).unwrap(), "5");
        assert_eq!(typed::<i64>(json!("5")).unwrap(), 5);
        assert_eq!(typed::<Vec<i32>>(json!(["5", "6"])).unwrap(), [5, 6]);
        assert_eq!(typed::<Vec<String>>(json!(["5", "true"])).unwrap(), ["5", "true"]);
        assert!(typed::<bool>(json!("true")).unwrap());
        let error = typed::<i64>(json!("five")).unwrap_err();
        assert!(error.contains("five"), "{error}");
        assert!(typed::<i64>(json!(" 5")).is_err());
    }
}

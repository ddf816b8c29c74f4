//! Channel URLs: a server URL joined to a channel address whose `{parameters}` are filled in,
//! and the connection's query parameters. Generated `url` functions call these, so no channel
//! builds its URL with code of its own.

use std::fmt::{self, Write as _};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

/// What is percent-encoded in a path segment or query value: everything but RFC 3986's
/// unreserved characters (letters, digits, `-`, `.`, `_`, `~`).
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The URL of a channel on a server: `server` (its trailing `/`s dropped), then `address`
/// with every `{name}` replaced by the percent-encoded text of the value given for `name` in
/// `params`. A `/` is put between the two when `address` does not begin with one. A
/// placeholder with no value in `params` is left as written, braces included; an unclosed `{`
/// is text.
///
/// ```
/// use triad_runtime::ws::address;
/// let url = address("wss://example.com/", "/rooms/{roomId}/feed", &[("roomId", &"a b/c")]);
/// assert_eq!(url, "wss://example.com/rooms/a%20b%2Fc/feed");
/// ```
pub fn address(server: &str, address: &str, params: &[(&str, &dyn fmt::Display)]) -> String {
    let mut url = String::with_capacity(server.len() + address.len() + 16);
    url.push_str(server.trim_end_matches('/'));
    if !address.is_empty() && !address.starts_with('/') {
        url.push('/');
    }
    let mut rest = address;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|close| open + close) else { break };
        url.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        match params.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => encode_into(&mut url, *value),
            None => url.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    url.push_str(rest);
    url
}

/// `url` with the properties of `query` (serialized as a JSON object) appended as query
/// parameters, names and values percent-encoded, after a `?` (or a `&` when `url` has a query
/// already). `null` properties are left out; strings are written as they are and other
/// values as JSON (`true`, `3`, `[1,2]`). `None`, or a value that is not an object, appends
/// nothing.
pub fn with_query<Q: Serialize + ?Sized>(mut url: String, query: Option<&Q>) -> String {
    let Some(Ok(serde_json::Value::Object(map))) = query.map(serde_json::to_value) else { return url };
    let mut separator = if url.contains('?') { '&' } else { '?' };
    for (name, value) in map {
        let value = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        url.push(separator);
        url.extend(utf8_percent_encode(&name, RESERVED));
        url.push('=');
        url.extend(utf8_percent_encode(&value, RESERVED));
        separator = '&';
    }
    url
}

/// Appends the percent-encoded text of `value` to `url`.
fn encode_into(url: &mut String, value: &dyn fmt::Display) {
    struct Encoder<'a>(&'a mut String);
    impl fmt::Write for Encoder<'_> {
        fn write_str(&mut self, text: &str) -> fmt::Result {
            self.0.extend(utf8_percent_encode(text, RESERVED));
            Ok(())
        }
    }
    // Writing into a `String` cannot fail; a `Display` impl that fails leaves what it wrote.
    let _ = write!(Encoder(url), "{value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_parameters_encoded_and_keeps_the_rest() {
        let id = 42;
        assert_eq!(address("wss://h", "/rooms/{roomId}", &[("roomId", &id)]), "wss://h/rooms/42");
        assert_eq!(
            address("wss://h//", "{type}/{self}/x", &[("self", &"é?#"), ("type", &"a")]),
            "wss://h/a/%C3%A9%3F%23/x"
        );
        assert_eq!(address("wss://h", "/{missing}/{}/{open", &[]), "wss://h/{missing}/{}/{open");
        assert_eq!(address("wss://h/", "", &[]), "wss://h");
        assert_eq!(address("wss://h", "/a-b_c.d~e", &[]), "wss://h/a-b_c.d~e");
    }

    #[test]
    fn appends_query_properties() {
        let query = serde_json::json!({"token": "a b&c", "n": 3, "skip": null, "on": true});
        assert_eq!(with_query("wss://h/x".into(), Some(&query)), "wss://h/x?n=3&on=true&token=a%20b%26c");
        assert_eq!(with_query("wss://h/x?v=1".into(), Some(&query)), "wss://h/x?v=1&n=3&on=true&token=a%20b%26c");
        assert_eq!(with_query::<serde_json::Value>("wss://h/x".into(), None), "wss://h/x");
        assert_eq!(with_query("wss://h/x".into(), Some(&[1, 2])), "wss://h/x");
    }
}

//! Verification of webhook deliveries: who may call the receiver.
//!
//! Every check runs over the raw bytes of the request as received (never over re-serialized
//! JSON), compares secrets and signatures in constant time after checking their lengths, and
//! accepts any of up to several secrets, so a secret can be rotated without refusing deliveries.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How a receiver checks that a delivery comes from the provider, chosen at construction.
#[derive(Clone)]
pub struct Verifier {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    None,
    QueryToken { param: String, secrets: Vec<Vec<u8>> },
    Hmac { header: String, encoding: Encoding, keys: Vec<Vec<u8>> },
    Standard { keys: Vec<Vec<u8>>, tolerance: Duration },
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, count) = match &self.kind {
            Kind::None => ("none", 0),
            Kind::QueryToken { secrets, .. } => ("query token", secrets.len()),
            Kind::Hmac { keys, .. } => ("HMAC-SHA256 header", keys.len()),
            Kind::Standard { keys, .. } => ("Standard Webhooks", keys.len()),
        };
        write!(f, "Verifier({name}, {count} secret(s), redacted)")
    }
}

/// How an HMAC signature header writes the 32 bytes of the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Standard padded Base64.
    #[default]
    Base64,
    /// Hexadecimal, either case.
    Hex,
}

/// A verifier that cannot be built: the reason says which setting is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Why a delivery was refused (each answered with 401 and counted under its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The credential (token, signature header, Standard Webhooks header) is absent.
    Missing,
    /// The credential is present but matches no secret.
    Invalid,
    /// The Standard Webhooks timestamp is unreadable or outside the tolerance.
    Stale,
}

impl Rejection {
    /// Short name, used in counters and answers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Missing => "missing credential",
            Self::Invalid => "invalid credential",
            Self::Stale => "stale timestamp",
        }
    }
}

fn check_secrets(what: &str, secrets: &[Vec<u8>]) -> Result<(), ConfigError> {
    if secrets.is_empty() {
        return Err(ConfigError(format!("{what}: at least one secret is needed")));
    }
    if secrets.iter().any(Vec::is_empty) {
        return Err(ConfigError(format!("{what}: an empty secret would accept anyone")));
    }
    Ok(())
}

/// Equal in constant time for equal lengths; different lengths (and empty values) never match.
fn same(expected: &[u8], given: &[u8]) -> bool {
    !expected.is_empty() && expected.len() == given.len() && bool::from(expected.ct_eq(given))
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().into())
}

impl Verifier {
    /// Accepts every delivery: for receivers behind something else that authenticates.
    pub fn none() -> Self {
        Self { kind: Kind::None }
    }

    /// A shared secret in the URL's query (Mews: `?Token=SECRET`); any of `secrets` is valid.
    pub fn query_token<S: AsRef<[u8]>>(param: &str, secrets: &[S]) -> Result<Self, ConfigError> {
        let secrets: Vec<Vec<u8>> = secrets.iter().map(|s| s.as_ref().to_vec()).collect();
        if param.is_empty() {
            return Err(ConfigError("query token: the parameter name is empty".into()));
        }
        check_secrets("query token", &secrets)?;
        Ok(Self { kind: Kind::QueryToken { param: param.to_owned(), secrets } })
    }

    /// A header carrying the standard (padded) Base64 of HMAC-SHA256(secret, raw body), as in
    /// `X-Signature`; any of `secrets` is valid.
    pub fn hmac_sha256<S: AsRef<[u8]>>(header: &str, secrets: &[S]) -> Result<Self, ConfigError> {
        Self::hmac_sha256_encoded(header, Encoding::Base64, secrets)
    }

    /// [`Verifier::hmac_sha256`] with the tag written in `encoding`.
    pub fn hmac_sha256_encoded<S: AsRef<[u8]>>(
        header: &str,
        encoding: Encoding,
        secrets: &[S],
    ) -> Result<Self, ConfigError> {
        let keys: Vec<Vec<u8>> = secrets.iter().map(|s| s.as_ref().to_vec()).collect();
        if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(ConfigError(format!("HMAC signature: `{header}` is not a header name")));
        }
        check_secrets("HMAC signature", &keys)?;
        Ok(Self { kind: Kind::Hmac { header: header.to_ascii_lowercase(), encoding, keys } })
    }

    /// Standard Webhooks: `webhook-id`, `webhook-timestamp` (seconds, within `tolerance` of now)
    /// and `webhook-signature` (space-separated `v1,<base64>` signatures of
    /// `id.timestamp.body`). Secrets are written `whsec_<base64 key>` (the prefix is optional).
    pub fn standard_webhooks<S: AsRef<str>>(secrets: &[S], tolerance: Duration) -> Result<Self, ConfigError> {
        let mut keys = Vec::new();
        for secret in secrets {
            let text = secret.as_ref();
            let text = text.strip_prefix("whsec_").unwrap_or(text);
            let key = STANDARD
                .decode(text)
                .map_err(|e| ConfigError(format!("Standard Webhooks: a secret is not Base64 ({e})")))?;
            keys.push(key);
        }
        check_secrets("Standard Webhooks", &keys)?;
        Ok(Self { kind: Kind::Standard { keys, tolerance } })
    }

    /// Whether deliveries carry their own id (Standard Webhooks): then duplicates are found by
    /// id, otherwise by a digest of the body.
    pub fn has_delivery_ids(&self) -> bool {
        matches!(self.kind, Kind::Standard { .. })
    }

    /// Checks one delivery; returns the provider's delivery id when the scheme has one.
    pub fn verify(
        &self,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Option<String>, Rejection> {
        match &self.kind {
            Kind::None => Ok(None),
            Kind::QueryToken { param, secrets } => {
                let given = form_urlencoded::parse(query.unwrap_or("").as_bytes())
                    .find(|(name, _)| name == param.as_str())
                    .map(|(_, value)| value.into_owned())
                    .ok_or(Rejection::Missing)?;
                let ok = secrets.iter().fold(false, |ok, secret| ok | same(secret, given.as_bytes()));
                if ok { Ok(None) } else { Err(Rejection::Invalid) }
            }
            Kind::Hmac { header, encoding, keys } => {
                let given = headers.get(header.as_str()).ok_or(Rejection::Missing)?;
                let given = match encoding {
                    Encoding::Base64 => STANDARD.decode(given.as_bytes()).map_err(|_| Rejection::Invalid)?,
                    Encoding::Hex => hex::decode(given.as_bytes()).map_err(|_| Rejection::Invalid)?,
                };
                let ok = keys.iter().filter_map(|key| mac(key, &[body])).fold(false, |ok, tag| ok | same(&tag, &given));
                if ok { Ok(None) } else { Err(Rejection::Invalid) }
            }
            Kind::Standard { keys, tolerance } => {
                let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).ok_or(Rejection::Missing);
                let id = text("webhook-id")?;
                let timestamp = text("webhook-timestamp")?;
                let signatures = text("webhook-signature")?;
                if id.is_empty() {
                    return Err(Rejection::Missing);
                }
                let seconds: u64 = timestamp.trim().parse().map_err(|_| Rejection::Stale)?;
                let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
                if seconds.abs_diff(now) > tolerance.as_secs() {
                    return Err(Rejection::Stale);
                }
                let expected: Vec<[u8; 32]> = keys
                    .iter()
                    .filter_map(|key| mac(key, &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body]))
                    .collect();
                let mut ok = false;
                for signature in signatures.split(' ') {
                    let Some(value) = signature.strip_prefix("v1,") else { continue };
                    let Ok(given) = STANDARD.decode(value) else { continue };
                    for tag in &expected {
                        ok |= same(tag, &given);
                    }
                }
                if ok { Ok(Some(id.to_owned())) } else { Err(Rejection::Invalid) }
            }
        }
    }
}

/// Signs `body` the way [`Verifier::hmac_sha256`] checks it (standard padded Base64).
pub fn sign_hmac_sha256(secret: &[u8], body: &[u8]) -> String {
    mac(secret, &[body]).map(|tag| STANDARD.encode(tag)).unwrap_or_default()
}

/// Signs a delivery the way [`Verifier::standard_webhooks`] checks it: the value of one
/// `webhook-signature` entry (`v1,<base64>`). `secret` is written as for the verifier.
pub fn sign_standard_webhooks(secret: &str, id: &str, timestamp: u64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).ok()?;
    let tag = mac(&key, &[id.as_bytes(), b".", timestamp.to_string().as_bytes(), b".", body])?;
    Some(format!("v1,{}", STANDARD.encode(tag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in list {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn empty_secrets_and_no_secrets_are_refused() {
        assert!(Verifier::query_token("Token", &[""]).is_err());
        assert!(Verifier::query_token::<&str>("Token", &[]).is_err());
        assert!(Verifier::query_token("", &["x"]).is_err());
        assert!(Verifier::hmac_sha256("X-Signature", &["ok", ""]).is_err());
        assert!(Verifier::standard_webhooks(&["whsec_"], Duration::from_secs(300)).is_err());
        assert!(Verifier::standard_webhooks(&["whsec_!!"], Duration::from_secs(300)).is_err());
    }

    #[test]
    fn query_token_accepts_either_rotated_secret_and_nothing_else() {
        let v = Verifier::query_token("Token", &["old-secret", "new-secret"]).unwrap();
        let h = HeaderMap::new();
        let now = SystemTime::now();
        assert_eq!(v.verify(Some("Token=old-secret"), &h, b"{}", now), Ok(None));
        assert_eq!(v.verify(Some("a=1&Token=new-secret"), &h, b"{}", now), Ok(None));
        assert_eq!(v.verify(Some("Token=new-secre"), &h, b"{}", now), Err(Rejection::Invalid));
        assert_eq!(v.verify(Some("Token="), &h, b"{}", now), Err(Rejection::Invalid));
        assert_eq!(v.verify(Some("token=new-secret"), &h, b"{}", now), Err(Rejection::Missing));
        assert_eq!(v.verify(None, &h, b"{}", now), Err(Rejection::Missing));
    }

    #[test]
    fn hmac_is_over_the_raw_body() {
        let v = Verifier::hmac_sha256("X-Signature", &["s3cret"]).unwrap();
        let body = br#"{"a": 1}"#;
        let good = headers(&[("x-signature", sign_hmac_sha256(b"s3cret", body))]);
        let now = SystemTime::now();
        assert_eq!(v.verify(None, &good, body, now), Ok(None));
        // The same JSON written differently is another body.
        assert_eq!(v.verify(None, &good, br#"{"a":1}"#, now), Err(Rejection::Invalid));
        let empty = headers(&[("x-signature", String::new())]);
        assert_eq!(v.verify(None, &empty, body, now), Err(Rejection::Invalid));
        assert_eq!(v.verify(None, &HeaderMap::new(), body, now), Err(Rejection::Missing));
    }

    #[test]
    fn hmac_in_hex() {
        let v = Verifier::hmac_sha256_encoded("X-Signature", Encoding::Hex, &["s3cret"]).unwrap();
        let body = br#"{"a": 1}"#;
        let tag = STANDARD.decode(sign_hmac_sha256(b"s3cret", body)).unwrap();
        let now = SystemTime::now();
        let good = headers(&[("x-signature", hex::encode(&tag))]);
        assert_eq!(v.verify(None, &good, body, now), Ok(None));
        let upper = headers(&[("x-signature", hex::encode_upper(&tag))]);
        assert_eq!(v.verify(None, &upper, body, now), Ok(None));
        // The Base64 form is not accepted where hex is expected.
        let base64 = headers(&[("x-signature", sign_hmac_sha256(b"s3cret", body))]);
        assert_eq!(v.verify(None, &base64, body, now), Err(Rejection::Invalid));
    }

    #[test]
    fn standard_webhooks_checks_every_signature_time_and_the_empty_one() {
        let v = Verifier::standard_webhooks(&[KEY], Duration::from_secs(300)).unwrap();
        let body = br#"{"type":"x"}"#;
        let now = SystemTime::now();
        let ts = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let sig = sign_standard_webhooks(KEY, "msg_1", ts, body).unwrap();
        let with = |sig: String, ts: u64| {
            headers(&[
                ("webhook-id", "msg_1".into()),
                ("webhook-timestamp", ts.to_string()),
                ("webhook-signature", sig),
            ])
        };
        assert_eq!(v.verify(None, &with(sig.clone(), ts), body, now), Ok(Some("msg_1".into())));
        // Several signatures: one matching is enough.
        let several = format!("v1,AAAA v2,zzz {sig}");
        assert_eq!(v.verify(None, &with(several, ts), body, now), Ok(Some("msg_1".into())));
        assert_eq!(v.verify(None, &with("v1,".into(), ts), body, now), Err(Rejection::Invalid));
        assert_eq!(v.verify(None, &with("v1, v1,".into(), ts), body, now), Err(Rejection::Invalid));
        assert_eq!(v.verify(None, &with(sig.clone(), ts - 301), body, now), Err(Rejection::Stale));
        assert_eq!(v.verify(None, &with(sig.clone(), ts + 301), body, now), Err(Rejection::Stale));
        let mut tampered = body.to_vec();
        tampered[2] = b'T';
        assert_eq!(v.verify(None, &with(sig, ts), &tampered, now), Err(Rejection::Invalid));
    }

    #[test]
    fn debug_shows_no_secret() {
        let v = Verifier::query_token("Token", &["very-secret-value"]).unwrap();
        assert!(!format!("{v:?}").contains("very-secret"));
    }
}

//! Cognito token set: safe `Debug`, refresh timing, unverified claim decoding,
//! redaction of JWTs in text, and cache file naming.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Tokens are refreshed when less than this much lifetime remains.
const REFRESH_MARGIN: TimeDelta = TimeDelta::minutes(5);
/// Longest sanitized readable prefix of a cache key, before the hash suffix.
const CACHE_KEY_READABLE_MAX: usize = 80;
const REDACTED_JWT: &str = "<redacted jwt>";

/// Tokens from a Cognito sign-in or refresh; `Debug` never shows their values.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: DateTime<Utc>,
}

struct Redacted<'a>(&'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"<redacted {} bytes>\"", self.0.len())
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("id_token", &Redacted(&self.id_token))
            .field("access_token", &Redacted(&self.access_token))
            .field(
                "refresh_token",
                &self.refresh_token.as_deref().map(Redacted),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Tokens {
    /// True when fewer than five minutes of validity remain (or the tokens expired).
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - now < REFRESH_MARGIN
    }
}

/// Why a JWT could not be decoded; never contains any part of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
}

/// Decodes a JWT's payload claims without verifying the signature (the API verifies).
pub fn decode_claims(jwt: &str) -> Result<Map<String, Value>, TokenError> {
    let mut parts = jwt.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("expected three dot-separated parts"));
    };
    let bytes = base64url()
        .decode(payload)
        .map_err(|_| TokenError::Malformed("payload is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        Ok(_) => Err(TokenError::Malformed("payload is not a JSON object")),
        Err(_) => Err(TokenError::Malformed("payload is not valid JSON")),
    }
}

/// Replaces every JWT (JWS `eyJ..`.`eyJ..`.sig, or five-part JWE such as Cognito
/// refresh tokens) in `text` with `<redacted jwt>`, for defensive use on messages.
pub fn redact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match jwt_len_at(&bytes[i..]) {
            Some(len) => {
                out.push_str(&text[copied..i]);
                out.push_str(REDACTED_JWT);
                i += len;
                copied = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A file-name-safe key for the token cache of one user of one app client:
/// a lowercase readable prefix plus a hash of the exact inputs, so distinct users never collide.
pub fn cache_key(user_pool_id: &str, client_id: &str, username: &str) -> String {
    let mut readable: String = [user_pool_id, client_id, username]
        .join("_")
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '_') => c,
            _ => '_',
        })
        .collect();
    readable.truncate(CACHE_KEY_READABLE_MAX);
    let digest = [user_pool_id, client_id, username]
        .iter()
        .fold(Sha256::new(), |h, part| {
            h.chain_update((part.len() as u64).to_be_bytes())
                .chain_update(part.as_bytes())
        })
        .finalize();
    let suffix = digest
        .iter()
        .take(8)
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    format!("{readable}-{suffix:016x}")
}

fn base64url() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn run_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| is_b64url(b)).count()
}

/// Length of the JWT starting at the beginning of `bytes`, if one starts there.
/// Segments are read greedily (up to five) so a token followed by `.text` still matches.
fn jwt_len_at(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(b"eyJ") {
        return None;
    }
    let mut starts = vec![0];
    let mut ends = vec![run_len(bytes)];
    while let Some(&end) = ends.last() {
        if ends.len() == 5 || bytes.get(end) != Some(&b'.') {
            break;
        }
        let seg = run_len(&bytes[end + 1..]);
        // Only the JWE key (index 1) and the JWS signature (index 2) may be empty.
        if seg == 0 && ends.len() > 2 {
            break;
        }
        starts.push(end + 1);
        ends.push(end + 1 + seg);
    }
    if ends.len() == 5 && (2..5).all(|i| ends[i] > starts[i]) {
        return Some(ends[4]);
    }
    (ends.len() >= 3 && bytes[starts[1]..].starts_with(b"eyJ")).then(|| ends[2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rstest::rstest;

    const SIGNATURE: &str = "c2lnbmF0dXJlLWJ5dGVz";

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.{SIGNATURE}",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64(payload)
        )
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, h, m, s).unwrap()
    }

    fn tokens(refresh: Option<&str>) -> Tokens {
        Tokens {
            id_token: jwt(r#"{"sub":"id-token-subject"}"#),
            access_token: jwt(r#"{"sub":"access-token-subject"}"#),
            refresh_token: refresh.map(str::to_owned),
            expires_at: at(12, 0, 0),
        }
    }

    #[rstest]
    #[case::with_refresh(Some("refresh-secret-value"))]
    #[case::without_refresh(None)]
    fn debug_redacts_every_token(#[case] refresh: Option<&str>) {
        let t = tokens(refresh);
        for text in [format!("{t:?}"), format!("{t:#?}")] {
            assert!(!text.contains(&t.id_token), "{text}");
            assert!(!text.contains(&t.access_token), "{text}");
            assert!(!text.contains("eyJ"), "{text}");
            assert!(!text.contains("refresh-secret"), "{text}");
            assert!(text.contains(&format!("<redacted {} bytes>", t.id_token.len())));
        }
        let compact = format!("{t:?}");
        assert!(compact.starts_with(&format!(
            "Tokens {{ id_token: \"<redacted {} bytes>\"",
            t.id_token.len()
        )));
        assert_eq!(
            compact.contains("Some(\"<redacted 20 bytes>\")"),
            refresh.is_some()
        );
        assert!(compact.contains("2026-03-04T12:00:00Z"));
    }

    #[rstest]
    #[case::plenty_left(at(11, 0, 0), false)]
    #[case::just_over_five_minutes(at(11, 54, 59), false)]
    #[case::exactly_five_minutes(at(11, 55, 0), false)]
    #[case::just_under_five_minutes(at(11, 55, 1), true)]
    #[case::at_expiry(at(12, 0, 0), true)]
    #[case::expired(at(13, 0, 0), true)]
    fn needs_refresh_boundaries(#[case] now: DateTime<Utc>, #[case] expected: bool) {
        assert_eq!(tokens(None).needs_refresh(now), expected);
    }

    #[test]
    fn tokens_round_trip_through_json() {
        let t = tokens(Some("r"));
        let back: Tokens = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back.id_token, t.id_token);
        assert_eq!(back.refresh_token.as_deref(), Some("r"));
        assert_eq!(back.expires_at, t.expires_at);
    }

    #[test]
    fn decode_claims_reads_payload() {
        let token = jwt(
            r#"{"sub":"a1b2","cognito:groups":["admin"],"exp":1767225600,"email":"ü@example.com"}"#,
        );
        let claims = decode_claims(&token).unwrap();
        assert_eq!(claims["sub"], "a1b2");
        assert_eq!(claims["cognito:groups"][0], "admin");
        assert_eq!(claims["exp"].as_i64(), Some(1_767_225_600));
        assert_eq!(claims["email"], "ü@example.com");
        assert_eq!(claims.keys().next().map(String::as_str), Some("sub"));
    }

    #[test]
    fn decode_claims_accepts_padded_payload() {
        let padded = base64::engine::general_purpose::URL_SAFE.encode(r#"{"a":1}"#);
        assert!(padded.ends_with('='));
        let claims = decode_claims(&format!("eyJ.{padded}.sig")).unwrap();
        assert_eq!(claims["a"].as_i64(), Some(1));
    }

    #[rstest]
    #[case::empty("", "expected three dot-separated parts")]
    #[case::two_parts(
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzZWNyZXQifQ",
        "expected three dot-separated parts"
    )]
    #[case::four_parts("a.eyJ9.c.d", "expected three dot-separated parts")]
    #[case::bad_base64("eyJ.not*base64.sig", "payload is not base64url")]
    #[case::not_json("eyJ.bm90IGpzb24.sig", "payload is not valid JSON")]
    #[case::array("eyJ.WzEsMl0.sig", "payload is not a JSON object")]
    fn decode_claims_rejects_malformed(#[case] token: &str, #[case] reason: &'static str) {
        let err = decode_claims(token).unwrap_err();
        assert_eq!(err, TokenError::Malformed(reason));
        let message = err.to_string();
        for part in token.split('.').filter(|p| p.len() > 3) {
            assert!(!message.contains(part), "{message}");
        }
    }

    #[test]
    fn redact_replaces_embedded_jwts() {
        let a = jwt(r#"{"sub":"1"}"#);
        let b = jwt(r#"{"sub":"2"}"#);
        let text = format!("Bearer {a}, retry with token={b}. Done (é)");
        assert_eq!(
            redact(&text),
            "Bearer <redacted jwt>, retry with token=<redacted jwt>. Done (é)"
        );
    }

    #[rstest]
    #[case::unsigned("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "<redacted jwt>")]
    #[case::unsigned_then_period("x eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. y", "x <redacted jwt> y")]
    #[case::jwe("eyJjdHkiOiJKV1QifQ.a-b_c.ivXYZ.cipher.tag!", "<redacted jwt>!")]
    #[case::jwe_empty_key("eyJlbmMiOiJBMjU2R0NNIn0..iv.ct.tag", "<redacted jwt>")]
    #[case::followed_by_dot_text("eyJhIjoxfQ.eyJiIjoyfQ.sig.txt", "<redacted jwt>.txt")]
    #[case::followed_by_colon("eyJhIjoxfQ.eyJiIjoyfQ.sig: expired", "<redacted jwt>: expired")]
    #[case::quoted("\"eyJhIjoxfQ.eyJiIjoyfQ.sig\"", "\"<redacted jwt>\"")]
    #[case::two_parts("eyJhIjoxfQ.eyJiIjoyfQ only", "eyJhIjoxfQ.eyJiIjoyfQ only")]
    #[case::payload_not_json("eyJhIjoxfQ.abc.def", "eyJhIjoxfQ.abc.def")]
    #[case::plain_text("eyJ is a prefix; a.b.c is not", "eyJ is a prefix; a.b.c is not")]
    #[case::empty("", "")]
    fn redact_cases(#[case] text: &str, #[case] expected: &str) {
        assert_eq!(redact(text), expected);
    }

    #[test]
    fn cache_key_is_safe_and_stable() {
        let key = cache_key(
            "eu-west-1_AbC123",
            "3n4b5urk1ft4fl",
            "Jöhn.Doe+x@example.com",
        );
        assert_eq!(
            key,
            cache_key(
                "eu-west-1_AbC123",
                "3n4b5urk1ft4fl",
                "Jöhn.Doe+x@example.com"
            )
        );
        assert!(key.starts_with("eu-west-1_abc123_3n4b5urk1ft4fl_j_hn_doe_x_example_com-"));
        assert_eq!(
            key.len(),
            "eu-west-1_abc123_3n4b5urk1ft4fl_j_hn_doe_x_example_com-".len() + 16
        );
    }

    #[rstest]
    #[case::case_only(("p_1", "c", "Alice"), ("p_1", "c", "alice"))]
    #[case::punctuation(("p_1", "c", "a@b"), ("p_1", "c", "a.b"))]
    #[case::shifted_boundary(("p_1", "c_x", "y"), ("p_1", "c", "x_y"))]
    #[case::other_client(("p_1", "c1", "u"), ("p_1", "c2", "u"))]
    fn cache_key_distinguishes_inputs(
        #[case] one: (&str, &str, &str),
        #[case] two: (&str, &str, &str),
    ) {
        assert_ne!(
            cache_key(one.0, one.1, one.2).to_lowercase(),
            cache_key(two.0, two.1, two.2).to_lowercase()
        );
    }

    proptest! {
        #[test]
        fn cache_key_is_always_a_safe_file_name(pool in "\\PC{0,40}", client in "\\PC{0,40}", user in "\\PC{0,200}") {
            let key = cache_key(&pool, &client, &user);
            prop_assert!(key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'));
            prop_assert!(key.len() <= CACHE_KEY_READABLE_MAX + 17);
            prop_assert!(!key.starts_with('.') && !key.is_empty());
        }

        #[test]
        fn redact_never_leaks_an_embedded_token(prefix in "\\PC{0,20}", suffix in "\\PC{0,20}", sub in "[a-z0-9]{1,30}") {
            let token = jwt(&format!(r#"{{"sub":"{sub}"}}"#));
            let redacted = redact(&format!("{prefix}{token}{suffix}"));
            prop_assert!(!redacted.contains(&token));
            prop_assert!(redacted.contains(REDACTED_JWT));
        }

        #[test]
        fn redact_leaves_jwt_free_text_alone(text in "[^e]{0,60}") {
            prop_assert_eq!(redact(&text), text);
        }

        #[test]
        fn decode_claims_never_panics(text in "\\PC{0,80}") {
            let _ = decode_claims(&text);
        }
    }
}

//! Cognito `USER_SRP_AUTH` client maths (SRP-6a as in amazon-cognito-identity-js
//! `AuthenticationHelper`), `SECRET_HASH`, and the Cognito timestamp format.

use std::fmt;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

mod server;
pub use server::SrpServer;

/// The 3072-bit RFC 5054 / RFC 3526 group prime Cognito uses.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const G: u32 = 2;
const HKDF_INFO: &[u8] = b"Caldera Derived Key";
/// Bytes of randomness for the private value, as amazon-cognito-identity-js uses.
const PRIVATE_KEY_BYTES: usize = 128;
/// Longest hex input accepted for B, salt or a; real values are at most 768 digits.
const MAX_HEX_DIGITS: usize = 2048;
const HMAC_BLOCK: usize = 64;

struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let n = N_HEX
        .bytes()
        .filter_map(|c| char::from(c).to_digit(16))
        .fold(BigUint::ZERO, |acc, d| (acc << 4u32) + d);
    let g = BigUint::from(G);
    let k = hash_to_int(&[&padded(&n), &padded(&g)]);
    Group { n, g, k }
});

/// Why an SRP step was refused; messages never contain the password or private key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    #[error("invalid user pool id {0:?}: expected <region>_<pool name>")]
    InvalidPoolId(String),
    #[error("{field} is not a valid hexadecimal number")]
    InvalidHex { field: &'static str },
    #[error("SECRET_BLOCK is not valid base64")]
    InvalidSecretBlock,
    #[error("server sent an invalid SRP_B (B mod N is zero)")]
    InvalidServerB,
    #[error("SRP scrambling parameter u is zero; retry the sign-in")]
    ZeroU,
    #[error("SRP private key must not be zero modulo N")]
    InvalidPrivateKey,
    #[error("system random number generator failed: {0}")]
    Random(String),
}

/// One SRP sign-in attempt: the ephemeral private `a` and public `A = g^a mod N`.
pub struct SrpClient {
    pool_name: String,
    a: BigUint,
    big_a: BigUint,
}

impl fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpClient")
            .field("pool_name", &self.pool_name)
            .field("a", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl SrpClient {
    /// Starts an attempt with a fresh random private value from the OS.
    pub fn new(user_pool_id: &str) -> Result<Self, SrpError> {
        let mut bytes = [0u8; PRIVATE_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| SrpError::Random(e.to_string()))?;
        Self::from_private(user_pool_id, BigUint::from_bytes_be(&bytes))
    }

    /// Starts an attempt with a fixed private value (hex); for known-vector tests.
    pub fn with_private_key(user_pool_id: &str, a_hex: &str) -> Result<Self, SrpError> {
        Self::from_private(user_pool_id, parse_hex(a_hex, "private key")?)
    }

    fn from_private(user_pool_id: &str, a: BigUint) -> Result<Self, SrpError> {
        let pool_name = pool_name(user_pool_id)?.to_owned();
        let group = &*GROUP;
        let a = a % &group.n;
        if a == BigUint::ZERO {
            return Err(SrpError::InvalidPrivateKey);
        }
        let big_a = group.g.modpow(&a, &group.n);
        if &big_a % &group.n == BigUint::ZERO {
            return Err(SrpError::InvalidPrivateKey);
        }
        Ok(Self {
            pool_name,
            a,
            big_a,
        })
    }

    /// The `SRP_A` auth parameter: `A` as lowercase hex without padding.
    pub fn srp_a_hex(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// The pool name (the part of the pool id after `_`) used in the SRP hashes.
    pub fn pool_name(&self) -> &str {
        &self.pool_name
    }

    /// Computes `PASSWORD_CLAIM_SIGNATURE` (base64) for a `PASSWORD_VERIFIER` challenge;
    /// `timestamp` must be the exact `TIMESTAMP` string sent alongside it.
    pub fn password_claim(
        &self,
        user_id_for_srp: &str,
        password: &str,
        srp_b_hex: &str,
        salt_hex: &str,
        secret_block_b64: &str,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        let big_b = parse_hex(srp_b_hex, "SRP_B")?;
        let salt = parse_hex(salt_hex, "SALT")?;
        let secret_block = lenient_base64()
            .decode(secret_block_b64.trim())
            .map_err(|_| SrpError::InvalidSecretBlock)?;
        let key = self.authentication_key(user_id_for_srp, password, &big_b, &salt)?;
        let signature = hmac_sha256(
            &key,
            &[
                self.pool_name.as_bytes(),
                user_id_for_srp.as_bytes(),
                &secret_block,
                timestamp.as_bytes(),
            ],
        );
        Ok(STANDARD.encode(signature))
    }

    /// The 16-byte HKDF key shared with Cognito for this challenge.
    fn authentication_key(
        &self,
        username: &str,
        password: &str,
        big_b: &BigUint,
        salt: &BigUint,
    ) -> Result<[u8; 16], SrpError> {
        let group = &*GROUP;
        if big_b % &group.n == BigUint::ZERO {
            return Err(SrpError::InvalidServerB);
        }
        let u = compute_u(&self.big_a, big_b);
        if u == BigUint::ZERO {
            return Err(SrpError::ZeroU);
        }
        let identity = Sha256::new()
            .chain_update(self.pool_name.as_bytes())
            .chain_update(username.as_bytes())
            .chain_update(b":")
            .chain_update(password.as_bytes())
            .finalize();
        let x = hash_to_int(&[&padded(salt), &identity]);
        let kv = (&group.k * group.g.modpow(&x, &group.n)) % &group.n;
        let base = (big_b % &group.n + &group.n - kv) % &group.n;
        let s = base.modpow(&(&self.a + &u * &x), &group.n);
        Ok(hkdf_key(&padded(&s), &padded(&u)))
    }
}

/// The Cognito `TIMESTAMP` format, e.g. `Tue Nov 3 07:05:09 UTC 2026` (day not zero-padded).
pub fn cognito_timestamp(t: DateTime<Utc>) -> String {
    t.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// The `SECRET_HASH` parameter: base64(HMAC-SHA256(client secret, username + client id)).
pub fn secret_hash(username: &str, client_id: &str, client_secret: &str) -> String {
    STANDARD.encode(hmac_sha256(
        client_secret.as_bytes(),
        &[username.as_bytes(), client_id.as_bytes()],
    ))
}

fn pool_name(user_pool_id: &str) -> Result<&str, SrpError> {
    match user_pool_id.split_once('_') {
        Some((region, name))
            if !region.is_empty()
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            Ok(name)
        }
        _ => Err(SrpError::InvalidPoolId(user_pool_id.to_owned())),
    }
}

/// Parses an unsigned hex number (any case, leading zeros allowed, nothing else).
fn parse_hex(text: &str, field: &'static str) -> Result<BigUint, SrpError> {
    let valid = !text.is_empty()
        && text.len() <= MAX_HEX_DIGITS
        && text.bytes().all(|c| c.is_ascii_hexdigit());
    valid
        .then(|| BigUint::parse_bytes(text.as_bytes(), 16))
        .flatten()
        .ok_or(SrpError::InvalidHex { field })
}

/// Big-endian bytes of `n` as amazon-cognito-identity-js `padHex` yields them:
/// minimal length, plus a leading zero byte when the top bit is set.
fn padded(n: &BigUint) -> Vec<u8> {
    let bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(0);
        out.extend_from_slice(&bytes);
        out
    } else {
        bytes
    }
}

fn hash_to_int(parts: &[&[u8]]) -> BigUint {
    let digest = parts
        .iter()
        .fold(Sha256::new(), Digest::chain_update)
        .finalize();
    BigUint::from_bytes_be(&digest)
}

fn compute_u(big_a: &BigUint, big_b: &BigUint) -> BigUint {
    hash_to_int(&[&padded(big_a), &padded(big_b)])
}

/// HKDF-SHA256 (RFC 5869) for a single 16-byte output block, as Cognito uses it.
fn hkdf_key(ikm: &[u8], salt: &[u8]) -> [u8; 16] {
    let prk = hmac_sha256(salt, &[ikm]);
    let block = hmac_sha256(&prk, &[HKDF_INFO, &[1]]);
    let mut okm = [0u8; 16];
    okm.copy_from_slice(&block[..16]);
    okm
}

/// HMAC-SHA256 over the concatenated parts. The key is brought to block size as
/// RFC 2104 prescribes, which makes construction infallible.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; HMAC_BLOCK];
    if key.len() > HMAC_BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut mac = Hmac::<Sha256>::new(&block.into());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn lenient_base64() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

#[cfg(test)]
mod tests;

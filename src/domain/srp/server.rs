//! The server side of SRP-6a as Cognito runs it: the verifier of a password, the server's
//! public `B`, and the check of a client's `PASSWORD_CLAIM_SIGNATURE`. The emulator accepts
//! any signature; a test front uses this to refuse a wrong one as Cognito does.

use base64::Engine as _;
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

use super::{
    GROUP, SrpError, compute_u, hash_to_int, hkdf_key, hmac_sha256, lenient_base64, padded,
    parse_hex, pool_name,
};

/// One user's side of a sign-in as the pool sees it: salt, verifier and ephemeral `b`.
pub struct SrpServer {
    pool_name: String,
    user_id_for_srp: String,
    salt: BigUint,
    verifier: BigUint,
    b: BigUint,
    big_b: BigUint,
}

impl SrpServer {
    /// The pool's state for `user_id_for_srp` (the identity Cognito hashes, which may differ
    /// from the name the user typed) with `password`, a salt and a private `b` (hex).
    pub fn new(
        user_pool_id: &str,
        user_id_for_srp: &str,
        password: &str,
        salt_hex: &str,
        b_hex: &str,
    ) -> Result<Self, SrpError> {
        let group = &*GROUP;
        let pool_name = pool_name(user_pool_id)?.to_owned();
        let salt = parse_hex(salt_hex, "SALT")?;
        let b = parse_hex(b_hex, "private key")? % &group.n;
        if b == BigUint::ZERO {
            return Err(SrpError::InvalidPrivateKey);
        }
        let identity = Sha256::new()
            .chain_update(pool_name.as_bytes())
            .chain_update(user_id_for_srp.as_bytes())
            .chain_update(b":")
            .chain_update(password.as_bytes())
            .finalize();
        let x = hash_to_int(&[&padded(&salt), &identity]);
        let verifier = group.g.modpow(&x, &group.n);
        let big_b = (&group.k * &verifier + group.g.modpow(&b, &group.n)) % &group.n;
        Ok(Self {
            pool_name,
            user_id_for_srp: user_id_for_srp.to_owned(),
            salt,
            verifier,
            b,
            big_b,
        })
    }

    /// `SRP_B` as Cognito sends it (hex).
    pub fn srp_b_hex(&self) -> String {
        self.big_b.to_str_radix(16)
    }

    /// `SALT` as Cognito sends it (hex).
    pub fn salt_hex(&self) -> String {
        self.salt.to_str_radix(16)
    }

    /// Whether `signature_b64` is the `PASSWORD_CLAIM_SIGNATURE` a client knowing the
    /// password computes for `SRP_A`, the secret block (base64) and the timestamp it sent.
    pub fn verify(
        &self,
        srp_a_hex: &str,
        secret_block_b64: &str,
        timestamp: &str,
        signature_b64: &str,
    ) -> Result<bool, SrpError> {
        let group = &*GROUP;
        let big_a = parse_hex(srp_a_hex, "SRP_A")?;
        if &big_a % &group.n == BigUint::ZERO {
            return Ok(false);
        }
        let u = compute_u(&big_a, &self.big_b);
        if u == BigUint::ZERO {
            return Err(SrpError::ZeroU);
        }
        let s = (big_a * self.verifier.modpow(&u, &group.n)).modpow(&self.b, &group.n);
        let key = hkdf_key(&padded(&s), &padded(&u));
        let secret_block = lenient_base64()
            .decode(secret_block_b64.trim())
            .map_err(|_| SrpError::InvalidSecretBlock)?;
        let expected = hmac_sha256(
            &key,
            &[
                self.pool_name.as_bytes(),
                self.user_id_for_srp.as_bytes(),
                &secret_block,
                timestamp.as_bytes(),
            ],
        );
        Ok(base64::engine::general_purpose::STANDARD.encode(expected) == signature_b64.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::super::SrpClient;
    use super::*;

    const POOL: &str = "eu-west-1_Ab12Cd34E";
    const SALT: &str = "5a1e7f0c3b9d2e8a";
    const B: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    const BLOCK: &str = "c2VjcmV0LWJsb2NrLWZvci10ZXN0cw==";
    const TS: &str = "Wed Dec 2 10:00:00 UTC 2026";

    fn claim(user_id: &str, password: &str, server: &SrpServer, client: &SrpClient) -> String {
        client
            .password_claim(
                user_id,
                password,
                &server.srp_b_hex(),
                &server.salt_hex(),
                BLOCK,
                TS,
            )
            .unwrap()
    }

    #[test]
    fn the_right_password_and_identity_verify_and_nothing_else_does() {
        let sub = "7d3f0b2a-1c4e-4f5a-8b6c-9d0e1f2a3b4c";
        let server = SrpServer::new(POOL, sub, "Correct-Horse-1", SALT, B).unwrap();
        let client = SrpClient::with_private_key(POOL, "1234567890abcdef1234567890abcdef").unwrap();
        let a = client.srp_a_hex();
        let good = claim(sub, "Correct-Horse-1", &server, &client);
        assert!(server.verify(&a, BLOCK, TS, &good).unwrap());
        let wrong_password = claim(sub, "Correct-Horse-2", &server, &client);
        assert!(!server.verify(&a, BLOCK, TS, &wrong_password).unwrap());
        let typed_name = claim("alice@example.com", "Correct-Horse-1", &server, &client);
        assert!(
            !server.verify(&a, BLOCK, TS, &typed_name).unwrap(),
            "the identity is USER_ID_FOR_SRP"
        );
        assert!(
            !server
                .verify(&a, BLOCK, "Wed Dec 2 10:00:01 UTC 2026", &good)
                .unwrap()
        );
        assert!(!server.verify("0", BLOCK, TS, &good).unwrap());
    }
}

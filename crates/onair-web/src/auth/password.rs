//! Password hashing with argon2id, on a blocking thread so a login never stalls the runtime.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

use crate::error::AppError;

/// Hashes and verifies passwords; holds a hash of a random password so that logins for unknown
/// emails can do the same work as logins with a wrong password.
#[derive(Debug)]
pub(crate) struct Passwords {
    dummy_hash: String,
}

impl Passwords {
    pub(crate) fn new() -> Self {
        let mut random = [0u8; 32];
        rand::rng().fill_bytes(&mut random);
        // Hashing with default parameters and a fresh salt does not fail in practice; should it,
        // fall back to a fixed, well-formed PHC string with the same parameters, so verifying
        // against it still does the full argon2 work (an unparseable one would be a fast path).
        let dummy_hash = hash_blocking(&base64_of(&random)).unwrap_or_else(|_| {
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
             Zz1F1p0C7kN3f8rP0M4w5nq5Gdc8u6b2pB2p0Q5yJ9c"
                .to_owned()
        });
        Self { dummy_hash }
    }

    pub(crate) async fn hash(&self, password: String) -> Result<String, AppError> {
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(AppError::internal)?
    }

    /// Verifies `password` against `hash`, or against the dummy hash when `hash` is `None`
    /// (unknown email) — always doing one argon2 verification, always answering `false` for
    /// the dummy.
    pub(crate) async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false);
        known && matched
    }
}

/// Hashes a password with argon2id on a blocking thread (for `onair user create`).
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(AppError::internal)?
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string().into()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string().into()))
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_the_dummy_never_matches() {
        let p = Passwords::new();
        let hash = p.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(p.verify("correct horse".into(), Some(hash.clone())).await);
        assert!(!p.verify("wrong horse".into(), Some(hash)).await);
        assert!(!p.verify("anything".into(), None).await);
    }
}

//! Password hashing with argon2id at OWASP's recommended parameters (19 MiB, 2 passes,
//! 1 lane: the `argon2` crate's defaults), off the async runtime's worker threads.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::OsRng;

use super::domain::Password;
use crate::error::AppError;

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Hashes a new password into PHC format.
pub async fn hash_password(password: Password) -> Result<String, AppError> {
    let joined = tokio::task::spawn_blocking(move || hash_blocking(password.expose())).await;
    match joined {
        Ok(Ok(hash)) => Ok(hash),
        Ok(Err(err)) => Err(AppError::internal(
            "hash password",
            &std::io::Error::other(err.to_string()),
        )),
        Err(err) => Err(AppError::internal("hash password task", &err)),
    }
}

/// Whether `password` matches `hash`.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &hash))
        .await
        .unwrap_or(false)
}

/// Spends the same time as a real check, so an unknown email cannot be told from a wrong
/// password by timing.
pub async fn verify_against_dummy(password: String) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let _ = tokio::task::spawn_blocking(move || {
        let hash =
            DUMMY.get_or_init(|| hash_blocking("dummy password for timing").unwrap_or_default());
        verify_blocking(&password, hash)
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_round_trip_uses_argon2id() {
        let hash = hash_password(Password::parse("correct horse 电池").expect("valid"))
            .await
            .expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse 电池".into(), hash.clone()).await);
        assert!(!verify_password("correct horse".into(), hash.clone()).await);
        assert!(!verify_password("anything".into(), "not a hash".into()).await);
    }
}

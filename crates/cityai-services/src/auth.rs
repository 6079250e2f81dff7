//! Accounts and credentials: password hashing, login checks, session tokens and API keys.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, one
//! lane, as OWASP recommends). Session tokens and API key secrets are 256-bit random values
//! from the operating system; the store keeps only their SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use cityai_core::Role;
use cityai_store::{NewUser, Store, User};
use sha2::{Digest, Sha256};

use crate::ServiceError;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest user name accepted, in characters.
const MAX_USERNAME_CHARS: usize = 64;

/// Characters of generated passwords: letters and digits without look-alikes (0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The length of generated passwords: about 116 bits.
const GENERATED_PASSWORD_CHARS: usize = 20;

/// The start of every API key, so that keys pasted into the wrong place can be recognised.
pub const API_KEY_PREFIX: &str = "cai_";

/// A problem with a credential given by a person.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error(
        "password too short: {length} characters, at least {MIN_PASSWORD_CHARS} are needed; \
         a passphrase of several words is easiest to remember"
    )]
    PasswordTooShort { length: usize },

    #[error(
        "invalid user name {0:?}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a \
         letter or digit"
    )]
    InvalidUsername(String),
}

/// Returns `bytes` random bytes from the operating system.
///
/// # Panics
///
/// When the operating system has no random source, because no credential can be made safely
/// without one.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system random source failed");
    bytes
}

/// Returns a new 256-bit random token as 64 hex digits, for sessions and CSRF checks.
pub fn random_token() -> String {
    hex::encode(random_bytes::<32>())
}

/// Returns the SHA-256 of a token as hex, the form the store keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// Returns a random password of letters and digits that people can read aloud without
/// mixing up characters.
pub fn generate_password() -> String {
    let bytes = random_bytes::<GENERATED_PASSWORD_CHARS>();
    // 256 is not a multiple of the alphabet size, so the first characters are very slightly
    // more likely; with 56 characters the bias costs well under one bit in all.
    bytes
        .iter()
        .map(|b| char::from(PASSWORD_ALPHABET[usize::from(*b) % PASSWORD_ALPHABET.len()]))
        .collect()
}

/// Checks that a password is long enough.
///
/// # Errors
///
/// [`CredentialError::PasswordTooShort`].
pub fn check_password(password: &str) -> Result<(), CredentialError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(CredentialError::PasswordTooShort { length });
    }
    Ok(())
}

/// Checks a user name: letters (any script), digits, `.`, `_` and `-`.
///
/// # Errors
///
/// [`CredentialError::InvalidUsername`].
pub fn check_username(username: &str) -> Result<(), CredentialError> {
    let valid = !username.is_empty()
        && username.chars().count() <= MAX_USERNAME_CHARS
        && username.chars().next().is_some_and(char::is_alphanumeric)
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(CredentialError::InvalidUsername(username.to_owned()))
    }
}

/// Hashes a password with Argon2id and a random salt, in PHC string format.
///
/// # Errors
///
/// [`ServiceError::Task`] when hashing fails, which happens only for absurd inputs.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|err| ServiceError::Task(format!("cannot encode a salt: {err}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| ServiceError::Task(format!("cannot hash the password: {err}")))
}

/// Returns whether `password` matches a stored PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A user created by [`add_user`], with the password when one was generated.
#[derive(Debug)]
pub struct AddedUser {
    pub user: User,
    /// The generated password, to be shown once; `None` when the caller gave one.
    pub generated_password: Option<String>,
}

/// Creates a user with the given password, or with a generated one when `password` is
/// `None`.
///
/// # Errors
///
/// [`ServiceError::Credential`] for a bad name or short password, and the store's errors
/// for a taken name or unknown department.
pub async fn add_user(
    store: &Store,
    username: &str,
    role: Role,
    department: Option<&str>,
    password: Option<String>,
    actor: &str,
) -> Result<AddedUser, ServiceError> {
    check_username(username)?;
    let (password, generated) = match password {
        Some(password) => {
            check_password(&password)?;
            (password, false)
        }
        None => (generate_password(), true),
    };
    let hash = hash_blocking(password.clone()).await?;
    let user = store
        .create_user(
            &NewUser {
                username,
                role,
                department,
                password_hash: &hash,
            },
            actor,
        )
        .await?;
    Ok(AddedUser {
        user,
        generated_password: generated.then_some(password),
    })
}

/// Sets a user's password, or a generated one when `password` is `None`, and returns the
/// generated password.
///
/// # Errors
///
/// [`ServiceError::Credential`] for a short password, and the store's errors.
pub async fn change_password(
    store: &Store,
    username: &str,
    password: Option<String>,
    actor: &str,
) -> Result<Option<String>, ServiceError> {
    let (password, generated) = match password {
        Some(password) => {
            check_password(&password)?;
            (password, false)
        }
        None => (generate_password(), true),
    };
    let hash = hash_blocking(password.clone()).await?;
    store.set_password(username, &hash, actor).await?;
    Ok(generated.then_some(password))
}

/// Checks a login and returns the enabled user it belongs to.
///
/// Unknown and disabled users cost one Argon2 verification too, so response times do not
/// tell which user names exist.
///
/// # Errors
///
/// The store's errors.
pub async fn authenticate(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<Option<User>, ServiceError> {
    // A valid hash of a random password, verified when the user is unknown.
    const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
                              9VZcBqjYo3TQ8GVqJ8a0yA7c1B3o0TgWDr2M6qk3M3A";
    let found = store.user_credentials(username).await?;
    let (user, hash) = match found {
        Some((user, hash)) if !user.disabled => (Some(user), hash),
        _ => (None, DUMMY_HASH.to_owned()),
    };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|err| ServiceError::Task(err.to_string()))?;
    Ok(user.filter(|_| matches))
}

async fn hash_blocking(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|err| ServiceError::Task(err.to_string()))?
}

/// A new API key: the full key is shown once, the store keeps the prefix and the hash.
#[derive(Debug)]
pub struct NewApiKey {
    /// `cai_` followed by the prefix, `_` and the secret.
    pub key: String,
    /// The public part that identifies the key in lists and logs.
    pub prefix: String,
    pub hash: String,
}

/// Makes a new API key.
pub fn new_api_key() -> NewApiKey {
    let prefix = hex::encode(random_bytes::<6>());
    let secret = random_token();
    let key = format!("{API_KEY_PREFIX}{prefix}_{secret}");
    NewApiKey {
        hash: token_hash(&key),
        key,
        prefix,
    }
}

/// Creates an API key for `username` and returns it; show the key once, it is not stored.
///
/// # Errors
///
/// The store's errors, such as an unknown user.
pub async fn create_api_key(
    store: &Store,
    username: &str,
    label: &str,
    actor: &str,
) -> Result<NewApiKey, ServiceError> {
    let key = new_api_key();
    store
        .create_api_key(username, &key.prefix, &key.hash, label, actor)
        .await?;
    Ok(key)
}

/// Returns the enabled user an API key belongs to, or `None` for an unknown, revoked or
/// malformed key.
///
/// # Errors
///
/// The store's errors.
pub async fn api_key_user(store: &Store, key: &str) -> Result<Option<User>, ServiceError> {
    let Some(prefix) = key
        .strip_prefix(API_KEY_PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .map(|(prefix, _)| prefix)
    else {
        return Ok(None);
    };
    let Some((user, stored_hash)) = store.api_key_user(prefix).await? else {
        return Ok(None);
    };
    Ok(constant_time_eq(&token_hash(key), &stored_hash).then_some(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn dummy_hash_parses() {
        // authenticate() must spend the same work on unknown users, so its hash must parse.
        let parsed = PasswordHash::new(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
             9VZcBqjYo3TQ8GVqJ8a0yA7c1B3o0TgWDr2M6qk3M3A",
        );
        assert!(parsed.is_ok());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.chars().count(), GENERATED_PASSWORD_CHARS);
        assert!(check_password(&a).is_ok());
        assert_ne!(a, generate_password());
    }

    #[test]
    fn short_passwords_and_odd_names_are_rejected() {
        assert_eq!(
            check_password("short"),
            Err(CredentialError::PasswordTooShort { length: 5 })
        );
        assert!(check_username("li.wei-01").is_ok());
        assert!(check_username("王芳").is_ok());
        for bad in ["", "-lead", "a b", "x;drop", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn api_keys_carry_their_prefix() {
        let key = new_api_key();
        assert!(
            key.key
                .starts_with(&format!("{API_KEY_PREFIX}{}_", key.prefix))
        );
        assert_eq!(key.hash, token_hash(&key.key));
        assert!(constant_time_eq(&key.hash, &token_hash(&key.key)));
        assert!(!constant_time_eq("ab", "abc"));
    }
}

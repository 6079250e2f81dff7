//! User accounts, login sessions and API keys.
//!
//! The store keeps only hashes: Argon2id password hashes made by the caller, and SHA-256 of
//! session tokens and API key secrets, so a copy of the database opens no account.
//! Every change to an account is written to the audit trail in the same transaction.

use chrono::{DateTime, Utc};
use cityai_core::Role;
use cityai_core::time::to_storage;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// How long a looked-up API key's user is reused. A key revoked or a user disabled by
/// another process (the `cityai` command, another node) stops working within this time;
/// changes made through this process's store take effect at once.
const API_KEY_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The maximum number of API keys in the cache, which is emptied when full.
const API_KEY_CACHE_MAX: usize = 1_024;

/// API keys' users and stored hashes, by key prefix, each reused for [`API_KEY_TTL`], so
/// that a client sending many requests does not cost one database query each. Unknown
/// prefixes are never cached.
#[derive(Debug, Default)]
pub(crate) struct ApiKeyCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, User, String)>>,
}

impl ApiKeyCache {
    fn get(&self, prefix: &str) -> Option<(User, String)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(prefix)
            .filter(|(at, _, _)| at.elapsed() < API_KEY_TTL)
            .map(|(_, user, hash)| (user.clone(), hash.clone()))
    }

    fn put(&self, prefix: &str, user: &User, hash: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= API_KEY_CACHE_MAX {
            entries.clear();
        }
        entries.insert(
            prefix.to_owned(),
            (std::time::Instant::now(), user.clone(), hash.to_owned()),
        );
    }

    /// Forgets every key, after a change to users or keys.
    fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// A user account without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The department a handler works for.
    pub department: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub role: Role,
    pub department: Option<&'a str>,
    pub password_hash: &'a str,
}

/// A session found by its token, with the CSRF token that forms must send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user: User,
    pub csrf_token: String,
}

/// An API key row, for listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    pub prefix: String,
    pub username: String,
    pub label: String,
    pub created_at: String,
    pub revoked: bool,
}

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.department_code, u.disabled, u.created_at";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: role.parse().map_err(|_| StoreError::InvalidStoredValue {
            column: "users.role",
            value: role,
        })?,
        department: row.try_get("department_code")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Creates a user and records who created it.
    ///
    /// # Errors
    ///
    /// [`StoreError::UserExists`] when the name is taken, [`StoreError::DepartmentRequired`]
    /// for a handler without a department or another role with one,
    /// [`StoreError::UnknownDepartment`] for an unregistered department, and
    /// [`StoreError::Database`].
    pub async fn create_user(&self, new: &NewUser<'_>, actor: &str) -> Result<User> {
        if (new.role == Role::Handler) != new.department.is_some() {
            return Err(StoreError::DepartmentRequired(new.role));
        }
        let mut tx = self.begin_write().await?;
        if let Some(department) = new.department {
            let known = sqlx::query("SELECT 1 FROM departments WHERE code = $1")
                .bind(department)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !known {
                return Err(StoreError::UnknownDepartment(department.to_owned()));
            }
        }
        let taken = sqlx::query("SELECT 1 FROM users WHERE username = $1")
            .bind(new.username)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if taken {
            return Err(StoreError::UserExists(new.username.to_owned()));
        }
        let now = to_storage(Utc::now());
        let id: i64 = sqlx::query(
            "INSERT INTO users (username, role, department_code, password_hash, disabled, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $5) RETURNING id",
        )
        .bind(new.username)
        .bind(new.role.as_str())
        .bind(new.department)
        .bind(new.password_hash)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "user.create")
                .target(format!("user:{}", new.username))
                .detail(json!({"role": new.role, "department": new.department})),
        )
        .await?;
        tx.commit().await?;
        Ok(User {
            id,
            username: new.username.to_owned(),
            role: new.role,
            department: new.department.map(str::to_owned),
            disabled: false,
            created_at: now,
        })
    }

    /// Returns every user in name order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Counts user accounts, disabled ones included.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn user_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Returns a user and its password hash, for checking a login.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((user_from_row(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }

    /// Replaces a user's password hash and ends the user's sessions.
    ///
    /// # Errors
    ///
    /// [`StoreError::UserNotFound`] and [`StoreError::Database`].
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let id = user_id(&mut tx, username).await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(to_storage(Utc::now()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "user.password").target(format!("user:{username}")),
        )
        .await?;
        tx.commit().await?;
        self.key_cache.clear();
        Ok(())
    }

    /// Disables or re-enables a user. Disabling ends the user's sessions and revokes the
    /// user's API keys.
    ///
    /// # Errors
    ///
    /// [`StoreError::UserNotFound`] and [`StoreError::Database`].
    pub async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let id = user_id(&mut tx, username).await?;
        let now = to_storage(Utc::now());
        sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(disabled))
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, action).target(format!("user:{username}")),
        )
        .await?;
        tx.commit().await?;
        self.key_cache.clear();
        Ok(())
    }

    /// Starts a session for `user` and records the login.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the write fails.
    pub async fn create_session(
        &self,
        user: &User,
        token_hash: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.id)
        .bind(csrf_token)
        .bind(to_storage(Utc::now()))
        .bind(to_storage(expires_at))
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(format!("user:{}", user.username), "session.login"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns the enabled user behind an unexpired session.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<SessionUser>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
        ))
        .bind(token_hash)
        .bind(to_storage(Utc::now()))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(SessionUser {
                user: user_from_row(&row)?,
                csrf_token: row.try_get("csrf_token")?,
            })
        })
        .transpose()
    }

    /// Ends a session and records the logout; ending an unknown session does nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the write fails.
    pub async fn delete_session(&self, token_hash: &str, username: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted > 0 {
            audit::append(
                &mut tx,
                &AuditEvent::new(format!("user:{username}"), "session.logout"),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed login and the client address, without the password that was tried.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the write fails.
    pub async fn record_failed_login(
        &self,
        username: &str,
        address: &str,
        limited: bool,
    ) -> Result<()> {
        self.audit(
            &AuditEvent::new("anonymous", "session.login_failed")
                .target(format!("user:{username}"))
                .detail(json!({"rate_limited": limited, "address": address})),
        )
        .await?;
        Ok(())
    }

    /// Stores a new API key for `username`; the caller shows the secret once and keeps only
    /// its hash here.
    ///
    /// # Errors
    ///
    /// [`StoreError::UserNotFound`] and [`StoreError::Database`].
    pub async fn create_api_key(
        &self,
        username: &str,
        prefix: &str,
        key_hash: &str,
        label: &str,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let id = user_id(&mut tx, username).await?;
        sqlx::query(
            "INSERT INTO api_keys (user_id, prefix, key_hash, label, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(prefix)
        .bind(key_hash)
        .bind(label)
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "apikey.create")
                .target(format!("user:{username}"))
                .detail(json!({"prefix": prefix, "label": label})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns the enabled user of an unrevoked API key and the key's stored hash.
    ///
    /// A key found is reused for 5 seconds without a query. Revoking a key or disabling a
    /// user through this store clears every cached key at once.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn api_key_user(&self, prefix: &str) -> Result<Option<(User, String)>> {
        if let Some(found) = self.key_cache.get(prefix) {
            return Ok(Some(found));
        }
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, k.key_hash FROM api_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.prefix = $1 AND k.revoked_at IS NULL AND u.disabled = 0"
        ))
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?;
        let found: Option<(User, String)> = row
            .map(|row| Ok::<_, StoreError>((user_from_row(&row)?, row.try_get("key_hash")?)))
            .transpose()?;
        if let Some((user, hash)) = &found {
            self.key_cache.put(prefix, user, hash);
        }
        Ok(found)
    }

    /// Revokes an API key by its prefix.
    ///
    /// # Errors
    ///
    /// [`StoreError::ApiKeyNotFound`] for an unknown or already revoked key, and
    /// [`StoreError::Database`].
    pub async fn revoke_api_key(&self, prefix: &str, actor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL",
        )
        .bind(to_storage(Utc::now()))
        .bind(prefix)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if revoked == 0 {
            return Err(StoreError::ApiKeyNotFound(prefix.to_owned()));
        }
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "apikey.revoke").detail(json!({"prefix": prefix})),
        )
        .await?;
        tx.commit().await?;
        self.key_cache.clear();
        Ok(())
    }

    /// Returns every API key without secrets, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let rows = sqlx::query(
            "SELECT k.prefix, u.username, k.label, k.created_at, k.revoked_at \
             FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiKeyInfo {
                    prefix: row.try_get("prefix")?,
                    username: row.try_get("username")?,
                    label: row.try_get("label")?,
                    created_at: row.try_get("created_at")?,
                    revoked: row.try_get::<Option<String>, _>("revoked_at")?.is_some(),
                })
            })
            .collect()
    }
}

async fn user_id(conn: &mut sqlx::AnyConnection, username: &str) -> Result<i64> {
    let row = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::UserNotFound(username.to_owned()))?;
    Ok(row.try_get("id")?)
}

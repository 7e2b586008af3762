//! Accounts, roles and bearer tokens. A token is shown once, when it is made; only its
//! SHA-256 is stored.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Platform, PlatformError};
use crate::{
    clock,
    registry::log,
    text::{self, Shape},
};

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The regulator's platform operators: catalog revisions, accounts.
    Admin,
    /// A standards body: publishes modules for the products the catalog assigns to it.
    Publisher,
    /// A certification or testing body: submits gradings.
    Lab,
    /// Market supervision: spot checks and revokes certificates.
    Inspector,
    /// An enterprise (企业), bound to its credit code: reads its own record and downloads
    /// its labels' print files. Everything else it sees, the public sees.
    Enterprise,
}

impl Role {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Publisher => "publisher",
            Role::Lab => "lab",
            Role::Inspector => "inspector",
            Role::Enterprise => "enterprise",
        }
    }

    /// The role with this name.
    pub fn parse(name: &str) -> Option<Role> {
        [
            Role::Admin,
            Role::Publisher,
            Role::Lab,
            Role::Inspector,
            Role::Enterprise,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// An authenticated account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: String,
    /// Its name (the lab's or body's name).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// For a publisher: its catalog publisher id.
    pub publisher: Option<String>,
    /// For an enterprise: its unified social credit code.
    pub credit_code: Option<String>,
}

/// An account to create.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// Id: lowercase letters, digits, dashes.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// For a publisher: the catalog publisher id it acts for.
    pub publisher: Option<String>,
    /// For an enterprise: the unified social credit code it acts for.
    pub credit_code: Option<String>,
}

/// Recently authenticated tokens, so that a request does not read the accounts table:
/// a revoked token keeps working for at most [`SESSION_TTL`].
#[derive(Default)]
pub(super) struct Sessions(
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Account)>>,
);

/// How long a token is valid after it is made.
pub const TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(365 * 86_400);

/// How long an authenticated token is trusted without reading the database again.
pub const SESSION_TTL: std::time::Duration = std::time::Duration::from_secs(2);

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> Result<String, PlatformError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| PlatformError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("qg_{}", hex::encode(bytes)))
}

/// Longest account id.
const MAX_ID: usize = 64;
/// Longest account name.
const MAX_NAME: usize = 200;

impl Platform {
    /// Make sure an admin exists. With no admin yet, creates `admin` with `token` (or a
    /// fresh one) and returns the token, to be shown once.
    pub async fn bootstrap_admin(
        &self,
        token: Option<String>,
    ) -> Result<Option<String>, PlatformError> {
        if self.has_admin().await? {
            return Ok(None);
        }
        let token = admin_token(token)?;
        let admin = NewAccount {
            id: "admin".into(),
            name: "平台管理员 platform administrator".into(),
            role: Role::Admin,
            publisher: None,
            credit_code: None,
        };
        match self.insert_account(&admin, &token, "bootstrap").await {
            Ok(()) => Ok(Some(token)),
            // Another server process sharing the database made the admin first.
            Err(PlatformError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether an active admin account exists.
    pub async fn has_admin(&self) -> Result<bool, PlatformError> {
        let exists =
            sqlx::query("SELECT id FROM accounts WHERE role = 'admin' AND revoked_at IS NULL")
                .fetch_optional(self.registry.pool())
                .await?;
        Ok(exists.is_some())
    }

    /// Give a locked-out platform its administrator back: the `admin` account gets
    /// `token` (or a fresh one, returned), a new year of validity and is active again,
    /// made if missing. The recovery is itself a log entry, so that it can never happen
    /// unseen.
    pub async fn recover_admin(&self, token: Option<String>) -> Result<String, PlatformError> {
        let token = admin_token(token)?;
        let mut tx = self.registry.write().await?;
        let exists = sqlx::query("SELECT id FROM accounts WHERE id = 'admin'")
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            sqlx::query(
                "UPDATE accounts SET role = 'admin', token_hash = $1, expires_at = $2, revoked_at = NULL WHERE id = 'admin'",
            )
            .bind(hash(&token))
            .bind(clock::timestamp_in(TOKEN_LIFETIME))
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO accounts (id, name, role, publisher, token_hash, created_at, expires_at) VALUES ('admin', $1, 'admin', NULL, $2, $3, $4)",
            )
            .bind("平台管理员 platform administrator")
            .bind(hash(&token))
            .bind(clock::now())
            .bind(clock::timestamp_in(TOKEN_LIFETIME))
            .execute(&mut *tx)
            .await?;
        }
        log::record(
            &mut tx,
            "account.recover",
            "recovery",
            "account admin",
            json!({ "id": "admin", "expires_at": clock::timestamp_in(TOKEN_LIFETIME) }),
        )
        .await?;
        tx.commit().await?;
        self.forget_sessions_of("admin");
        Ok(token)
    }

    /// Create an account (admin only); returns it with its token, shown once.
    pub async fn create_account(
        &self,
        by: &Account,
        new: NewAccount,
    ) -> Result<(Account, String), PlatformError> {
        require(by, &[Role::Admin], "create accounts")?;
        if new.id.is_empty()
            || new.id.len() > MAX_ID
            || !new
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(PlatformError::field(
                "id",
                format!("an account id is 1–{MAX_ID} lowercase letters, digits and dashes"),
            ));
        }
        if new.name.trim().is_empty() {
            return Err(PlatformError::field("name", "an account needs a name"));
        }
        check_text("name", &new.name, Shape::Line, MAX_NAME)?;
        match (new.role, &new.publisher) {
            (Role::Publisher, None) => {
                return Err(PlatformError::field(
                    "publisher",
                    "a publisher account names its catalog publisher",
                ));
            }
            (Role::Publisher, Some(p)) => {
                let catalog = self.registry.catalog().await?;
                if !catalog.revisions().iter().any(|r| r.publisher(p).is_some()) {
                    return Err(PlatformError::field(
                        "publisher",
                        format!("publisher {} is not in the catalog", text::printable(p)),
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(PlatformError::field(
                    "publisher",
                    "only a publisher account names a publisher",
                ));
            }
            _ => {}
        }
        match (new.role, &new.credit_code) {
            (Role::Enterprise, None) => {
                return Err(PlatformError::field(
                    "credit_code",
                    "an enterprise account names its unified social credit code",
                ));
            }
            (Role::Enterprise, Some(code)) => {
                if let Some(problem) = super::credit_code::check(code) {
                    return Err(PlatformError::field("credit_code", problem));
                }
            }
            (_, Some(_)) => {
                return Err(PlatformError::field(
                    "credit_code",
                    "only an enterprise account names a credit code",
                ));
            }
            _ => {}
        }
        let token = new_token()?;
        self.insert_account(&new, &token, &by.id).await?;
        let account = Account {
            id: new.id,
            name: new.name,
            role: new.role,
            publisher: new.publisher,
            credit_code: new.credit_code,
        };
        Ok((account, token))
    }

    async fn insert_account(
        &self,
        new: &NewAccount,
        token: &str,
        actor: &str,
    ) -> Result<(), PlatformError> {
        let mut tx = self.registry.write().await?;
        let taken = sqlx::query("SELECT id FROM accounts WHERE id = $1")
            .bind(&new.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(PlatformError::Conflict(format!(
                "account {} exists",
                new.id
            )));
        }
        sqlx::query(
            "INSERT INTO accounts (id, name, role, publisher, credit_code, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&new.id)
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(new.publisher.clone())
        .bind(new.credit_code.clone())
        .bind(hash(token))
        .bind(clock::now())
        .bind(clock::timestamp_in(TOKEN_LIFETIME))
        .execute(&mut *tx)
        .await?;
        let mut record = json!({
            "id": new.id,
            "name": new.name,
            "role": new.role.as_str(),
            "publisher": new.publisher,
        });
        if let Some(code) = &new.credit_code {
            record["credit_code"] = json!(code);
        }
        log::record(
            &mut tx,
            "account.create",
            actor,
            &format!("account {}", new.id),
            record,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issue a new token for an account (admin only): the old one stops working, the new
    /// one is valid a year. A revoked account stays revoked.
    pub async fn reissue_token(&self, by: &Account, id: &str) -> Result<String, PlatformError> {
        require(by, &[Role::Admin], "issue tokens")?;
        let token = new_token()?;
        let expires = clock::timestamp_in(TOKEN_LIFETIME);
        let mut tx = self.registry.write().await?;
        let row = sqlx::query("SELECT revoked_at FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                PlatformError::NotFound(format!("no account {}", text::printable(id)))
            })?;
        if row.try_get::<Option<String>, _>("revoked_at")?.is_some() {
            return Err(PlatformError::Conflict(format!(
                "account {id} is revoked; a revoked account gets no new token"
            )));
        }
        sqlx::query("UPDATE accounts SET token_hash = $1, expires_at = $2 WHERE id = $3")
            .bind(hash(&token))
            .bind(&expires)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        log::record(
            &mut tx,
            "account.token",
            &by.id,
            &format!("account {id}"),
            json!({ "id": id, "expires_at": expires }),
        )
        .await?;
        tx.commit().await?;
        self.forget_sessions_of(id);
        Ok(token)
    }

    /// The account a bearer token belongs to.
    pub async fn authenticate(&self, token: &str) -> Result<Account, PlatformError> {
        let token_hash = hash(token);
        if let Some((at, account)) = self
            .sessions
            .0
            .lock()
            .expect("not poisoned")
            .get(&token_hash)
            && at.elapsed() < SESSION_TTL
        {
            return Ok(account.clone());
        }
        let row = sqlx::query(
            "SELECT id, name, role, publisher, credit_code, expires_at, revoked_at FROM accounts WHERE token_hash = $1",
        )
        .bind(&token_hash)
        .fetch_optional(self.registry.pool())
        .await?
        .ok_or_else(|| PlatformError::Unauthorized("the bearer token is not valid".into()))?;
        if row.try_get::<Option<String>, _>("revoked_at")?.is_some() {
            return Err(PlatformError::Unauthorized(
                "the bearer token was revoked".into(),
            ));
        }
        if row.try_get::<String, _>("expires_at")? < clock::now() {
            return Err(PlatformError::Unauthorized(
                "the bearer token has expired; ask an administrator for a new token (POST /api/v1/accounts/{id}/token)".into(),
            ));
        }
        let role: String = row.try_get("role")?;
        let account = Account {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            role: Role::parse(&role)
                .ok_or_else(|| PlatformError::Internal(format!("stored role {role:?}")))?,
            publisher: row.try_get("publisher")?,
            credit_code: row.try_get("credit_code")?,
        };
        self.sessions
            .0
            .lock()
            .expect("not poisoned")
            .insert(token_hash, (std::time::Instant::now(), account.clone()));
        Ok(account)
    }

    /// Revoke an account's token (admin only): refused from now on (by another server
    /// process sharing the database, within [`SESSION_TTL`]).
    pub async fn revoke_account(&self, by: &Account, id: &str) -> Result<(), PlatformError> {
        require(by, &[Role::Admin], "revoke accounts")?;
        let mut tx = self.registry.write().await?;
        let done =
            sqlx::query("UPDATE accounts SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(clock::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(PlatformError::NotFound(format!(
                "no active account {}",
                text::printable(id)
            )));
        }
        log::record(
            &mut tx,
            "account.revoke",
            &by.id,
            &format!("account {id}"),
            json!({ "id": id }),
        )
        .await?;
        tx.commit().await?;
        self.forget_sessions_of(id);
        Ok(())
    }

    fn forget_sessions_of(&self, id: &str) {
        self.sessions
            .0
            .lock()
            .expect("not poisoned")
            .retain(|_, (_, account)| account.id != id);
    }
}

/// The first (or recovered) admin's token: the one given, or a fresh one.
fn admin_token(token: Option<String>) -> Result<String, PlatformError> {
    match token {
        Some(t) if t.len() >= 16 && text::problem(&t, Shape::Line, 256).is_none() => Ok(t),
        Some(_) => Err(PlatformError::field(
            "admin_token",
            "an admin token has 16 to 256 printable characters",
        )),
        None => new_token(),
    }
}

/// Refuse a text field that is too long or holds characters no honest value contains.
pub(super) fn check_text(
    field: &str,
    value: &str,
    shape: Shape,
    max: usize,
) -> Result<(), PlatformError> {
    match text::problem(value, shape, max) {
        Some(problem) => Err(PlatformError::field(field, format!("{field} {problem}"))),
        None => Ok(()),
    }
}

/// Refuse unless `account` has one of `roles`.
pub(super) fn require(account: &Account, roles: &[Role], what: &str) -> Result<(), PlatformError> {
    if roles.contains(&account.role) {
        Ok(())
    } else {
        Err(PlatformError::Forbidden(format!(
            "a {} account may not {what}",
            account.role.as_str()
        )))
    }
}

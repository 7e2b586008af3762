//! `Idempotency-Key`: a client that retries a grading or a revocation after a timeout or
//! a dropped connection gets the first answer again, never a second certificate.
//!
//! The first answer is stored in the same transaction as what it reports (the
//! certificate, the revocation), so there is no moment at which the act is committed and
//! its answer is not. A key is an account's: two accounts may use the same key. A key
//! sent again with a different request is refused, never answered with the other
//! request's result.

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::PlatformError;
use crate::{
    clock,
    registry::{log::leaf::canonical, placeholders},
    text,
};

/// Longest key accepted.
pub const MAX_KEY: usize = 255;

/// A request's idempotency key, with what identifies the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The account that sent it.
    pub account: String,
    /// The key, as sent.
    pub key: String,
    /// SHA-256 of the method, the path and the canonical JSON body.
    pub request_hash: String,
}

/// An answer given before.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAnswer {
    /// Its HTTP status.
    pub status: u16,
    /// Its body.
    pub body: Value,
}

/// What an idempotent act produced: something new, or the first answer again.
#[derive(Debug)]
pub enum Answer<T> {
    /// Done now.
    New(T),
    /// Done before, with this answer.
    Replayed(StoredAnswer),
}

impl IdempotencyKey {
    /// The key `key` of `account` for the request `method path` with `body`.
    pub fn new(
        account: &str,
        key: &str,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Result<IdempotencyKey, PlatformError> {
        if key.is_empty() || text::problem(key, text::Shape::Line, MAX_KEY).is_some() {
            return Err(PlatformError::field(
                "Idempotency-Key",
                format!("an Idempotency-Key is 1–{MAX_KEY} printable characters"),
            ));
        }
        let mut hash = Sha256::new();
        hash.update(method.as_bytes());
        hash.update(b" ");
        hash.update(path.as_bytes());
        hash.update(b"\n");
        hash.update(canonical(body));
        Ok(IdempotencyKey {
            account: account.into(),
            key: key.into(),
            request_hash: hex::encode(hash.finalize()),
        })
    }

    /// The refusal of a key sent again with another request.
    pub fn reused() -> PlatformError {
        PlatformError::field(
            "Idempotency-Key",
            "this Idempotency-Key was used for a different request: use a new key for a new request",
        )
    }

    /// The answer `stored` for this key, as this request's: refused if the key answered
    /// another request.
    pub fn replay<T>(&self, stored: &Stored) -> Result<Answer<T>, PlatformError> {
        if stored.request_hash != self.request_hash {
            return Err(IdempotencyKey::reused());
        }
        Ok(Answer::Replayed(stored.answer.clone()))
    }

    /// The answer stored for this key, if any; a key used before for another request is
    /// refused.
    pub async fn stored(
        &self,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<Option<StoredAnswer>, PlatformError> {
        let found = IdempotencyKey::stored_many(conn, &[self]).await?;
        match found.get(&(self.account.clone(), self.key.clone())) {
            None => Ok(None),
            Some(stored) => match self.replay::<()>(stored)? {
                Answer::Replayed(answer) => Ok(Some(answer)),
                Answer::New(()) => unreachable!("a replay"),
            },
        }
    }

    /// The answers stored for `keys`, by (account, key), in one query.
    pub async fn stored_many(
        conn: &mut sqlx::AnyConnection,
        keys: &[&IdempotencyKey],
    ) -> Result<HashMap<(String, String), Stored>, PlatformError> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(200) {
            let mut sql = String::from(
                "SELECT account, idem_key, request_hash, status, body FROM idempotency WHERE ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!(
                    "(account = ${} AND idem_key = ${})",
                    2 * i + 1,
                    2 * i + 2
                ));
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for key in chunk {
                query = query.bind(&key.account).bind(&key.key);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let body: String = row.try_get("body")?;
                found.insert(
                    (row.try_get("account")?, row.try_get("idem_key")?),
                    Stored {
                        request_hash: row.try_get("request_hash")?,
                        answer: StoredAnswer {
                            status: u16::try_from(row.try_get::<i64, _>("status")?).unwrap_or(200),
                            body: serde_json::from_str(&body).map_err(|e| {
                                PlatformError::Internal(format!("stored answer: {e}"))
                            })?,
                        },
                    },
                );
            }
        }
        Ok(found)
    }

    /// Store the answer, inside the transaction that did what it reports.
    pub async fn store(
        &self,
        conn: &mut sqlx::AnyConnection,
        status: u16,
        body: &Value,
    ) -> Result<(), PlatformError> {
        IdempotencyKey::store_many(conn, status, &[(self, body.clone())]).await
    }

    /// Store several answers of one status in one statement.
    pub async fn store_many(
        conn: &mut sqlx::AnyConnection,
        status: u16,
        answers: &[(&IdempotencyKey, Value)],
    ) -> Result<(), PlatformError> {
        let now = clock::now();
        for chunk in answers.chunks(200) {
            if chunk.is_empty() {
                continue;
            }
            let sql = format!(
                "INSERT INTO idempotency (account, idem_key, request_hash, status, body, created_at) VALUES {}",
                placeholders(&*conn, chunk.len(), 6)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (key, body) in chunk {
                query = query
                    .bind(&key.account)
                    .bind(&key.key)
                    .bind(&key.request_hash)
                    .bind(i64::from(status))
                    .bind(body.to_string())
                    .bind(&now);
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// An answer as stored, with the request it answered.
pub struct Stored {
    request_hash: String,
    answer: StoredAnswer,
}

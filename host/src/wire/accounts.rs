//! Accounts: creating one, and the token an account is given (once).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /accounts`: a new account.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    /// Its id: lowercase letters, digits and `-`.
    pub id: String,
    /// Its holder's name.
    pub name: String,
    /// What it may do.
    #[schemars(extend("enum" = ["admin", "publisher", "lab", "inspector", "enterprise"]))]
    pub role: String,
    /// For a publisher: the catalog publisher it publishes for.
    #[serde(default)]
    pub publisher: Option<String>,
    /// For an enterprise: its unified social credit code.
    #[serde(default)]
    pub credit_code: Option<String>,
}

/// The account created, with its bearer token (shown this once).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CreatedAccount {
    /// Its id.
    pub id: String,
    /// Its holder's name.
    pub name: String,
    /// Its role.
    pub role: &'static str,
    /// Its catalog publisher, for a publisher.
    pub publisher: Option<String>,
    /// Its credit code, for an enterprise.
    pub credit_code: Option<String>,
    /// Its bearer token.
    pub token: String,
}

/// A new bearer token for an account (shown this once; the old one stops working).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct IssuedToken {
    /// The account's id.
    pub id: String,
    /// Its new bearer token.
    pub token: String,
}

//! What the platform refuses or fails at. `http/error.rs` maps each to one status.

use crate::{
    grading::Invalid,
    registry::{PublishError, RegistryError},
    runtime::SandboxError,
};

/// A platform operation that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// No or an unknown bearer token.
    #[error("{0}")]
    Unauthorized(String),
    /// The account may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A request field is not acceptable.
    #[error("{message}")]
    BadField {
        /// The field, dotted (`enterprise.credit_code`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The submission is not gradable.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such certificate (or other named thing).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the state (already revoked, account exists).
    #[error("{0}")]
    Conflict(String),
    /// The test report already backs a certificate.
    #[error("{message}")]
    AlreadyCertified {
        /// The certificate it backs.
        certificate: String,
        /// What is wrong.
        message: String,
    },
    /// A product identifier (a GTIN) is already covered by a valid certificate.
    #[error("{message}")]
    Covered {
        /// The certificate that covers it.
        certificate: String,
        /// The request's field (`gtin[0]`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The platform is at a limit for this kind of request; try again.
    #[error("{0}")]
    Busy(String),
    /// Publishing refused.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The catalog or registry refused (unknown product, no module in force).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The module misbehaved.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Our own failure; details are logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for PlatformError {
    fn from(e: sqlx::Error) -> Self {
        PlatformError::Registry(RegistryError::Database(e))
    }
}

impl From<crate::registry::log::LogError> for PlatformError {
    fn from(e: crate::registry::log::LogError) -> Self {
        PlatformError::Registry(RegistryError::Log(e))
    }
}

impl PlatformError {
    /// A bad request field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        PlatformError::BadField {
            field: field.into(),
            message: message.into(),
        }
    }
}

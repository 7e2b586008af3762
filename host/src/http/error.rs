//! The one place errors become HTTP statuses. Every error body is the shared
//! [`ErrorBody`], `{ "error": { "code", "message", "field"? } }`; internal details are
//! logged, never sent.

use crate::{
    grading::InvalidKind,
    model::Fault,
    platform::PlatformError,
    registry::{PublishError, RegistryError},
    wire::ErrorBody,
};
use axum::{
    Json,
    extract::rejection::BytesRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// A stable snake_case code.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// The request field at fault, dotted.
    pub field: Option<String>,
    /// Seconds after which a retry may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// Tell the client when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl ApiError {
    /// The error as the body carries it.
    pub fn detail(self) -> crate::wire::ErrorDetail {
        ErrorBody::new(self.code, self.message, self.field).error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody::new(self.code, self.message, self.field);
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> Self {
        use StatusCode as S;
        match e {
            PlatformError::Unauthorized(m) => ApiError::new(S::UNAUTHORIZED, "unauthorized", m),
            PlatformError::Forbidden(m) => ApiError::new(S::FORBIDDEN, "forbidden", m),
            PlatformError::BadField { field, message } => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_field", message).with_field(field)
            }
            PlatformError::Invalid(invalid) => {
                let status = match invalid.kind {
                    InvalidKind::TooLarge => S::PAYLOAD_TOO_LARGE,
                    InvalidKind::InvalidJson => S::BAD_REQUEST,
                    _ => S::UNPROCESSABLE_ENTITY,
                };
                let body = ErrorBody::from(&invalid);
                ApiError {
                    status,
                    code: invalid.kind.as_str(),
                    message: body.error.message,
                    field: body.error.field,
                    retry_after: None,
                }
            }
            PlatformError::NotFound(m) => ApiError::new(S::NOT_FOUND, "not_found", m),
            PlatformError::Conflict(m) => ApiError::new(S::CONFLICT, "conflict", m),
            PlatformError::AlreadyCertified { message, .. } => {
                ApiError::new(S::CONFLICT, "report_already_certified", message)
                    .with_field("report.number")
            }
            PlatformError::Covered { field, message, .. } => {
                ApiError::new(S::CONFLICT, "gtin_covered", message).with_field(&field)
            }
            PlatformError::Busy(m) => {
                ApiError::new(S::SERVICE_UNAVAILABLE, "busy", m).retry_after(5)
            }
            PlatformError::Publish(e) => publish(e),
            PlatformError::Registry(e) => registry(e),
            PlatformError::Sandbox(e) => {
                if e.fault == Fault::Busy {
                    return ApiError::new(S::SERVICE_UNAVAILABLE, "busy", e.to_string())
                        .retry_after(1);
                }
                // The module's fault, named as the CLI names it (`out_of_fuel`, …).
                ApiError::new(S::BAD_GATEWAY, e.fault.code(), e.to_string())
            }
            PlatformError::Internal(m) => internal(m),
        }
    }
}

fn publish(e: PublishError) -> ApiError {
    use StatusCode as S;
    let message = e.to_string();
    match e {
        PublishError::TooLarge { .. } => ApiError::new(S::PAYLOAD_TOO_LARGE, "too_large", message),
        PublishError::OverBudget(_) => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "publish_budget", message)
        }
        PublishError::Artifact(_) => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_artifact", message)
        }
        PublishError::Module(_) => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_module", message)
        }
        PublishError::UnknownProduct(_) | PublishError::Withdrawn(_) => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "unknown_product", message).with_field("product")
        }
        PublishError::NotYourProduct { .. } => ApiError::new(S::FORBIDDEN, "forbidden", message),
        PublishError::Contradicts(_) => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "contradicts_catalog", message)
        }
        PublishError::BadVectors(_) | PublishError::FailsOwnVectors(_) => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "vectors_fail", message)
        }
        PublishError::Conflict { .. } => ApiError::new(S::CONFLICT, "version_exists", message),
        PublishError::ChangesGrades { .. } => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "changes_grades", message)
        }
        PublishError::Registry(e) => registry(e),
    }
}

fn registry(e: RegistryError) -> ApiError {
    use StatusCode as S;
    let message = e.to_string();
    match e {
        RegistryError::Catalog(_) | RegistryError::RevisionChanged(_) => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_catalog", message)
        }
        RegistryError::NoRevision(_)
        | RegistryError::UnknownProduct { .. }
        | RegistryError::Withdrawn { .. } => {
            ApiError::new(S::UNPROCESSABLE_ENTITY, "unknown_product", message).with_field("product")
        }
        RegistryError::NoModule { .. } => ApiError::new(S::CONFLICT, "no_module", message),
        other => internal(other.to_string()),
    }
}

fn internal(details: String) -> ApiError {
    tracing::error!(%details, "internal error");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; it has been logged",
    )
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "invalid_body"
        };
        ApiError::new(r.status(), code, r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{model::TrapKind, runtime::SandboxError};

    #[test]
    fn a_module_fault_is_named_by_its_kind() {
        let stopped = |fault| {
            ApiError::from(PlatformError::Sandbox(SandboxError {
                module: "kettle 1.0.0".into(),
                fault,
            }))
        };
        let e = stopped(Fault::Trap {
            kind: TrapKind::Deadline,
            fuel: 5,
            message: "ran past the deadline of 1000 ms".into(),
        });
        assert_eq!((e.status, e.code), (StatusCode::BAD_GATEWAY, "deadline"));
        let e = stopped(Fault::InvalidOutput(
            "grade AAAAA with a failed floor".into(),
        ));
        assert_eq!(e.code, "invalid_output");
        let e = stopped(Fault::Busy);
        assert_eq!(
            (e.status, e.code),
            (StatusCode::SERVICE_UNAVAILABLE, "busy")
        );
    }
}

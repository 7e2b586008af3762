//! `Authorization: Bearer <token>` → the account, or a 401 with the JSON error body.

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::request::Parts,
};

use super::{
    ApiError,
    guard::{ClientAddr, Guard},
};
use crate::platform::{Account, Platform, PlatformError, Role};

/// The authenticated account of a request.
pub struct Auth(pub Account);

impl FromRequestParts<Arc<Platform>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        platform: &Arc<Platform>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                PlatformError::Unauthorized("this needs an Authorization: Bearer token".into())
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| {
                PlatformError::Unauthorized(
                    "the Authorization header is not `Bearer <token>`".into(),
                )
            })?;
        // Wrong tokens are counted per address (see `guard.rs`); a missing one is not a
        // guess.
        let guard = parts.extensions.get::<Arc<Guard>>().cloned();
        let client = parts.extensions.get::<ClientAddr>().map(|c| c.0);
        if let (Some(guard), Some(client)) = (&guard, client) {
            guard.refuse_if_blocked(client)?;
        }
        match platform.authenticate(token.trim()).await {
            Ok(account) => Ok(Auth(account)),
            Err(e @ PlatformError::Unauthorized(_)) => {
                if let (Some(guard), Some(client)) = (&guard, client) {
                    guard.failed(client);
                }
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// On an endpoint anyone may call, the account when the request names one (a bad token
/// is still a 401: it is never read as no token at all).
impl OptionalFromRequestParts<Arc<Platform>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        platform: &Arc<Platform>,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
        {
            return Ok(None);
        }
        <Auth as FromRequestParts<_>>::from_request_parts(parts, platform)
            .await
            .map(Some)
    }
}

/// Extractors that authenticate and require one role, before the body is read: a
/// forbidden caller learns nothing about what a valid body looks like.
macro_rules! role_extractor {
    ($($name:ident => $role:expr, $what:literal;)*) => {$(
        #[doc = concat!("An authenticated account that may ", $what, ".")]
        pub struct $name(pub Account);

        impl FromRequestParts<Arc<Platform>> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, platform: &Arc<Platform>) -> Result<Self, Self::Rejection> {
                let Auth(account) = <Auth as FromRequestParts<_>>::from_request_parts(parts, platform).await?;
                if account.role != $role {
                    return Err(PlatformError::Forbidden(format!(
                        "a {} account may not {}",
                        account.role.as_str(),
                        $what
                    ))
                    .into());
                }
                Ok($name(account))
            }
        }
    )*};
}

role_extractor! {
    AsAdmin => Role::Admin, "administer the platform";
    AsPublisher => Role::Publisher, "publish modules";
    AsLab => Role::Lab, "submit gradings";
    AsInspector => Role::Inspector, "revoke certificates";
    AsEnterprise => Role::Enterprise, "read an enterprise's own record";
}

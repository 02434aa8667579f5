//! The one error type. Handlers and domain code return `AppError`; the web
//! layer's error middleware turns any error response into a TV page, a back
//! office page or JSON depending on where the request went.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::validate::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed; the text says what to fix (shown to the user).
    #[error("{0}")]
    BadRequest(String),
    /// Form input that fails validation, field by field.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// API caller without a valid token.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed-in admin pages only: send the browser to the sign-in form,
    /// which leads back to the page asked for (a GET's path and query).
    #[error("请先登录")]
    LoginRequired(Option<String>),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// An address names no village (the TV error page then offers the
    /// village chooser instead of that village's home).
    #[error("找不到这个村")]
    UnknownVillage,
    /// The stored data changed under the user, or a unique name is taken.
    #[error("{0}")]
    Conflict(String),
    /// Content that existed but is no longer shown (expired, archived).
    #[error("{0}")]
    Gone(String),
    #[error("提交的内容太大")]
    PayloadTooLarge,
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected: what was being done and the error that stopped
    /// it (kept, so the log shows the whole chain); never shown to the user.
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// Any error, kept as the cause of an [`AppError::Internal`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl AppError {
    pub fn forbidden() -> Self {
        AppError::Forbidden("您没有权限进行此操作".into())
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("找不到{what}"))
    }

    /// An unexpected failure while doing `context`, keeping its cause.
    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        AppError::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// For `map_err`: `.map_err(AppError::because("writing the file"))`.
    pub fn because<E: Into<BoxError>>(context: &'static str) -> impl Fn(E) -> AppError + Copy {
        move |e| AppError::internal(context, e)
    }

    /// For `map_err` on a lookup: a "not found" becomes `instead()` (say, a
    /// form's field error); any other failure, a database one included,
    /// stays what it was.
    pub fn if_not_found(instead: impl FnOnce() -> AppError) -> impl FnOnce(AppError) -> AppError {
        move |e| match e {
            AppError::NotFound(_) => instead(),
            other => other,
        }
    }

    /// A state the portal's own checks should have made impossible.
    pub fn bug(context: impl Into<String>) -> Self {
        AppError::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// The error with its causes, for the log.
    pub fn detail(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(e) = cause {
            out.push_str(": ");
            out.push_str(&e.to_string());
            cause = e.source();
        }
        out
    }

    /// The message safe to show to the person or program that asked.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal { .. } => "服务器出了点问题，请稍后再试".into(),
            AppError::Unavailable(_) => "服务暂时不可用，请稍后再试".into(),
            other => other.to_string(),
        }
    }
}

impl FieldErrors {
    /// `Ok(())` when nothing was added, else `AppError::Invalid`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found("该记录"),
            // The database went away (restarted, network): the request may
            // succeed again shortly, so it is a 503, not the portal's fault.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection
                | diesel::result::DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => AppError::Unavailable(format!("database: {}", info.message())),
            diesel::result::Error::BrokenTransactionManager => {
                AppError::Unavailable("database: broken transaction manager".into())
            }
            other => AppError::internal("database", other),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::internal("template", e)
    }
}

/// Carried in the response's extensions so the error middleware can render the
/// message in the style of the page that failed.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub message: String,
    pub unknown_village: bool,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::LoginRequired(_) => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::UnknownVillage => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal { .. } | AppError::Unavailable(_) => {
                log::error!("{}", self.detail());
            }
            _ => {}
        }
        if let AppError::LoginRequired(next) = self {
            let to = match next {
                Some(n) => format!(
                    "/admin/login?{}",
                    serde_urlencoded::to_string([("next", n)]).unwrap_or_default()
                ),
                None => "/admin/login".into(),
            };
            return HttpResponse::SeeOther()
                .insert_header(("Location", to))
                .finish();
        }
        let mut builder = HttpResponse::build(self.status_code());
        if let AppError::Unavailable(_) = self {
            // Boxes and monitors may ask again in a few seconds.
            builder.insert_header(("Retry-After", "5"));
        }
        let mut res = builder
            .content_type("text/plain; charset=utf-8")
            .body(self.public_message());
        res.extensions_mut().insert(ErrorInfo {
            message: self.public_message(),
            unknown_village: matches!(self, AppError::UnknownVillage),
        });
        res
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn a_lost_database_is_a_503_to_retry_not_a_500() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            let e = AppError::from(Error::DatabaseError(kind, Box::new("gone".to_string())));
            assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
            let res = e.error_response();
            assert_eq!(
                res.headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()),
                Some("5")
            );
        }
        let other = AppError::from(Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("dup".to_string()),
        ));
        assert_eq!(other.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    #[test]
    fn only_a_not_found_is_turned_into_the_field_error() {
        let field = || AppError::BadRequest("所选地点不存在".into());
        let missing = AppError::from(Error::NotFound);
        assert!(matches!(
            AppError::if_not_found(field)(missing),
            AppError::BadRequest(_)
        ));
        let broken = AppError::from(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("disk I/O error".to_string()),
        ));
        let kept = AppError::if_not_found(field)(broken);
        assert_eq!(kept.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}

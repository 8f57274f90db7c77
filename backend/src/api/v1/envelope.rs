//! The `{success, data, error}` envelope of API v1, on every answer, failures included.

use crate::error::{Error, Unavailability};
use crate::phrase::{Lang, Phrase};
use crate::state::SharedState;
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

tokio::task_local! {
    /// The language of the v1 call being answered, from its `Accept-Language`.
    static LANG: Lang;
}

/// The language errors of this call are written in: Russian, as the guide's, unless the
/// caller's `Accept-Language` prefers English (the mobile app on an English phone).
pub fn lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// Wraps the v1 routes: every call runs with its language set, and its answer says that it
/// depends on `Accept-Language` (for any cache between the caller and us).
pub async fn with_language<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let lang = req
        .headers()
        .get(poem::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::Ru, Lang::from_accept_language);
    let mut resp = LANG
        .scope(lang, async move {
            next.call(req).await.map(IntoResponse::into_response)
        })
        .await?;
    resp.headers_mut().append(
        poem::http::header::VARY,
        poem::http::HeaderValue::from_static("accept-language"),
    );
    Ok(resp)
}

/// Wraps the v1 routes, inside `with_language`: while PostgreSQL is known to be out of reach
/// (`Store::database_known_down`), a call is answered 503 at once, not after the pool's wait;
/// any call answered 503 has the store probe whether it is.
pub async fn unless_database_down<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let state = req.data::<SharedState>().cloned();
    if state
        .as_ref()
        .is_some_and(|s| s.store.database_known_down())
    {
        // Not logged per call: the probe logged the outage once.
        return Ok(V1Error::unavailable(Unavailability::Unreachable).into_response());
    }
    let resp = next.call(req).await?.into_response();
    if resp.status() == StatusCode::SERVICE_UNAVAILABLE
        && let Some(state) = state
    {
        state.store.suspect_outage();
    }
    Ok(resp)
}

/// A failed call: `success` is false, `data` is null, `error` says why (in Russian unless the
/// request's `Accept-Language` prefers English).
#[derive(Object, Debug, Clone)]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub success: bool,
    /// Always `null`.
    pub data: Option<serde_json::Value>,
    /// What went wrong, for people.
    pub error: String,
}

impl ErrorEnvelope {
    /// The envelope saying `error` in the call's language.
    pub fn new(error: &Phrase) -> Json<Self> {
        Json(Self {
            success: false,
            data: None,
            error: error.get(lang()).to_owned(),
        })
    }
}

/// Every failure of a v1 method; the HTTP status says the class, the envelope the reason.
#[derive(ApiResponse, Debug)]
pub enum V1Error {
    /// The request is malformed or a value is invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorEnvelope>),
    /// No token, an unknown token or an expired one.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorEnvelope>),
    /// The token is valid but may not do this (another partner's INN, a partner method with an employee token).
    #[oai(status = 403)]
    Forbidden(Json<ErrorEnvelope>),
    /// Unknown INN, employee or message.
    #[oai(status = 404)]
    NotFound(Json<ErrorEnvelope>),
    /// The employee cannot receive messages (disabled or awaiting approval), or the record exists.
    #[oai(status = 409)]
    Conflict(Json<ErrorEnvelope>),
    /// The body did not arrive within the server's time for it (30 s unless its operator set
    /// another): a client that trickles its body in would hold a connection for as long as it
    /// likes.
    #[oai(status = 408)]
    RequestTimeout(Json<ErrorEnvelope>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorEnvelope>),
    /// Too many requests (SMS codes, code attempts, a company's calls above its rate); retry
    /// after the given seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorEnvelope>, #[oai(header = "Retry-After")] String),
    /// Our fault; the request may be retried.
    #[oai(status = 500)]
    Internal(Json<ErrorEnvelope>),
    /// A dependency (SMS gateway) failed; the request may be retried.
    #[oai(status = 502)]
    BadGateway(Json<ErrorEnvelope>),
    /// The service's database cannot be reached for now (restarting, overloaded), is held by
    /// another program, or its disk is full; repeat the request after the given seconds. While
    /// the database is known to be out of reach this comes at once. With an `Idempotency-Key`,
    /// `createmessage` is safe to repeat whatever became of the first attempt.
    #[oai(status = 503)]
    Unavailable(Json<ErrorEnvelope>, #[oai(header = "Retry-After")] String),
}

fn server_fault() -> Phrase {
    phrase!(
        "Внутренняя ошибка сервера. Повторите запрос позже",
        "Internal server error. Repeat the request later"
    )
}

impl V1Error {
    pub fn bad_request(msg: Phrase) -> Self {
        Self::BadRequest(ErrorEnvelope::new(&msg))
    }
    pub fn unauthorized(msg: Phrase) -> Self {
        Self::Unauthorized(ErrorEnvelope::new(&msg))
    }
    pub fn forbidden(msg: Phrase) -> Self {
        Self::Forbidden(ErrorEnvelope::new(&msg))
    }
}

/// Seconds a caller is asked to wait when the database cannot be reached: a restart of
/// PostgreSQL takes a few.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// The same when its disk is full: it takes the operator to free space.
pub const DISK_FULL_RETRY_SECS: u64 = 60;

impl V1Error {
    /// 503: the database cannot serve the call for now, told as `why` is.
    fn unavailable(why: Unavailability) -> Self {
        let (words, secs) = match why {
            Unavailability::DiskFull => (
                phrase!(
                    "Сервис временно не может сохранять данные: на его диске нет места. Повторите запрос позже",
                    "The service cannot store anything for now: its disk is full. Repeat the request later"
                ),
                DISK_FULL_RETRY_SECS,
            ),
            Unavailability::Unreachable => (
                phrase!(
                    "Сервис временно недоступен: нет связи с базой данных. Повторите запрос через несколько секунд",
                    "The service is unavailable for now: its database cannot be reached. Repeat the request in a few seconds"
                ),
                UNAVAILABLE_RETRY_SECS,
            ),
            Unavailability::ReadOnly => (
                phrase!(
                    "Сервис временно не может сохранять данные: его база данных сейчас только для чтения. Повторите запрос через несколько секунд",
                    "The service cannot store anything for now: its database is read-only at the moment. Repeat the request in a few seconds"
                ),
                UNAVAILABLE_RETRY_SECS,
            ),
            Unavailability::Busy => (
                phrase!(
                    "Сервис временно недоступен: база данных занята другой программой. Повторите запрос через несколько секунд",
                    "The service is unavailable for now: its database is held by another program. Repeat the request in a few seconds"
                ),
                UNAVAILABLE_RETRY_SECS,
            ),
        };
        Self::Unavailable(ErrorEnvelope::new(&words), secs.to_string())
    }
}

impl From<Error> for V1Error {
    fn from(e: Error) -> Self {
        if let Some(why) = e.unavailability() {
            tracing::error!(error = %e, "request failed: the database is unavailable");
            return Self::unavailable(why);
        }
        if e.is_server_fault() {
            tracing::error!(error = %e, "request failed");
        }
        match e {
            Error::Invalid(m) => Self::BadRequest(ErrorEnvelope::new(&m)),
            Error::Unauthorized(m) => Self::Unauthorized(ErrorEnvelope::new(&m)),
            Error::Forbidden(m) => Self::Forbidden(ErrorEnvelope::new(&m)),
            Error::NotFound(m) => Self::NotFound(ErrorEnvelope::new(&m)),
            Error::Conflict(m) => Self::Conflict(ErrorEnvelope::new(&m)),
            Error::TooManyRequests {
                message,
                retry_after_secs,
            } => Self::TooManyRequests(ErrorEnvelope::new(&message), retry_after_secs.to_string()),
            Error::Sms(_) => Self::BadGateway(ErrorEnvelope::new(&phrase!(
                "Не удалось отправить SMS. Повторите попытку позже",
                "The SMS could not be sent. Try again later"
            ))),
            _ => Self::Internal(ErrorEnvelope::new(&server_fault())),
        }
    }
}

impl From<crate::domain::ParseError> for V1Error {
    fn from(e: crate::domain::ParseError) -> Self {
        Self::bad_request(e.0)
    }
}

/// Wraps a method's payload in a successful envelope type of its own (one per method, for the spec).
macro_rules! envelope {
    ($(#[$doc:meta])* $name:ident, $data:ty) => {
        $crate::api::v1::envelope::envelope!(@type $(#[$doc])* $name, $data);

        impl $name {
            pub fn ok(data: $data) -> poem_openapi::payload::Json<Self> {
                poem_openapi::payload::Json(Self { success: true, data, error: String::new() })
            }
        }
    };
    (@type $(#[$doc:meta])* $name:ident, $data:ty) => {
        $(#[$doc])*
        #[derive(poem_openapi::Object, Debug)]
        pub struct $name {
            /// Always `true`.
            pub success: bool,
            pub data: $data,
            /// Always an empty string.
            pub error: String,
        }
    };
}
pub(crate) use envelope;

/// A JSON answer already written, for the big ones (`getmessage`: up to 1,000 messages), whose
/// writer puts the stored rows straight into the bytes (see `page_json`). poem-openapi's `Json`
/// first builds a `serde_json::Value` tree, a map and a copied string per field. The spec still
/// comes from `T`'s poem-openapi type; a test checks both write the same bytes.
pub struct JsonBytes<T> {
    body: poem::Body,
    schema: std::marker::PhantomData<fn() -> T>,
}

impl<T> JsonBytes<T> {
    pub fn new(body: Vec<u8>) -> Self {
        Self::stream(poem::Body::from_vec(body))
    }

    /// An answer too big to hold at once (`getstaff` of a whole large staff), written as it
    /// is sent.
    pub fn stream(body: poem::Body) -> Self {
        Self {
            body,
            schema: std::marker::PhantomData,
        }
    }
}

const JSON_UTF8: &str = "application/json; charset=utf-8";

impl<T: poem_openapi::types::Type> poem_openapi::payload::Payload for JsonBytes<T> {
    const CONTENT_TYPE: &'static str = JSON_UTF8;

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }
}

impl<T> IntoResponse for JsonBytes<T> {
    fn into_response(self) -> Response {
        Response::builder().content_type(JSON_UTF8).body(self.body)
    }
}

impl<T: poem_openapi::types::Type> ApiResponse for JsonBytes<T> {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::payload::Payload;
        poem_openapi::registry::MetaResponses {
            responses: vec![poem_openapi::registry::MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![poem_openapi::registry::MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }
}

/// Turns whatever poem rejected before our handlers ran (unknown path, wrong method, missing
/// token, oversized body) into the envelope, so clients never see a bare text error.
pub async fn envelope_any_error(err: poem::Error) -> Response {
    let status = err.status();
    let detail = err.to_string();
    let resp = err.into_response();
    let is_json = resp
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let message = match status {
        StatusCode::UNAUTHORIZED => phrase!(
            "Требуется авторизация: передайте токен в заголовке Authorization",
            "Authorization required: pass the token in the Authorization header"
        ),
        StatusCode::NOT_FOUND => phrase!("Метод API не найден", "No such API method"),
        StatusCode::METHOD_NOT_ALLOWED => phrase!(
            "Этот HTTP-метод не поддерживается для данного адреса",
            "This HTTP method is not supported at this address"
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            phrase!("Слишком большой запрос", "The request is too large")
        }
        s if s.is_client_error() => bad_request_because(&detail),
        _ => {
            tracing::error!(%status, error = %detail, "unhandled error");
            server_fault()
        }
    };
    let status = if status.is_server_error() || status.is_client_error() {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    ErrorEnvelope::new(&message)
        .with_status(status)
        .into_response()
}

/// "Wrong request: …" with what the parser said (in English, whichever language we speak).
pub fn bad_request_because(detail: &str) -> Phrase {
    phrase!("Неверный запрос: {detail}", "Wrong request: {detail}")
}

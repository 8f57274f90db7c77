//! HTTP APIs: the documented v1 and its OpenAPI description.

pub mod v1;

use poem_openapi::OpenApiService;

pub type V1Apis = (
    v1::LoginApi,
    v1::MessagesApi,
    v1::StaffApi,
    v1::BulkApi,
    v1::ScheduleApi,
    v1::GroupsApi,
    v1::HistoryApi,
    v1::FilesApi,
);

/// The v1 service; the spec's server is relative so the committed file does not depend on a host.
pub fn v1_service() -> OpenApiService<V1Apis, &'static dyn crate::webhook::StatusWebhook> {
    OpenApiService::new(
        (
            v1::LoginApi,
            v1::MessagesApi,
            v1::StaffApi,
            v1::BulkApi,
            v1::ScheduleApi,
            v1::GroupsApi,
            v1::HistoryApi,
            v1::FilesApi,
        ),
        "SiMO API v1",
        env!("CARGO_PKG_VERSION"),
    )
    .description(include_str!("v1/description.md"))
    .server("/api/v1")
    // Not served: the requests this server makes to partners' webhooks, documented for them.
    .webhooks::<&dyn crate::webhook::StatusWebhook>()
}

/// The spec as committed in `openapi/simo-v1.json` (pretty-printed, newline at the end).
pub fn v1_spec_json() -> String {
    let mut s = as_openapi_31(v1_service().spec());
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Swagger UI with the spec inside, as `/api/docs` serves it.
pub fn v1_docs_html() -> String {
    as_openapi_31(v1_service().swagger_ui_html())
}

/// poem-openapi labels its documents 3.0.0 but writes `webhooks`, a field of 3.1 that a 3.0
/// validator refuses. Nothing else it writes for us differs between the two (CI validates the
/// committed file as 3.1 with openapi-spec-validator), so the label is what changes, and
/// Swagger UI, reading 3.1, then shows the webhook too.
fn as_openapi_31(document: String) -> String {
    const LABEL_30: &str = "\"openapi\": \"3.0.0\"";
    debug_assert!(
        document.contains(LABEL_30),
        "poem-openapi changed its label"
    );
    document.replacen(LABEL_30, "\"openapi\": \"3.1.0\"", 1)
}

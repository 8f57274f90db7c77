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
    let mut s = v1_service().spec();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

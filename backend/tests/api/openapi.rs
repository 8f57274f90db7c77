//! The committed spec is what the code generates; `simo-backend openapi` rewrites it.

#[test]
fn committed_openapi_spec_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/simo-v1.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = simo_backend::api::v1_spec_json();
    assert!(
        committed == generated,
        "openapi/simo-v1.json is stale: run `cargo run -p simo-backend -- openapi` and commit it"
    );
}

#[test]
fn the_spec_documents_every_v1_method() {
    let spec: serde_json::Value = serde_json::from_str(&simo_backend::api::v1_spec_json()).unwrap();
    for path in [
        "/auth",
        "/confirmsmscode",
        "/updatepushtoken",
        "/createmessage",
        "/getmessage",
        "/getstaff",
        "/deletestaff",
        "/messagestatus",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    assert!(spec["paths"]["/getstaff"]["get"].is_object());
}

#[tokio::test]
async fn the_spec_and_docs_are_served() {
    let app = crate::helpers::spawn_app(crate::helpers::Db::Sqlite)
        .await
        .unwrap();
    let spec = app
        .client
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(spec.status(), 200);
    let spec: serde_json::Value = spec.json().await.unwrap();
    assert_eq!(spec["info"]["title"], "SiMO API v1");
    // `webhooks` is a 3.1 field: a document with it must say 3.1.
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["webhooks"]["messagestatus"]["post"].is_object());
    let docs = app
        .client
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    let docs = docs.text().await.unwrap();
    assert!(docs.contains("SwaggerUIBundle"));
    assert!(docs.contains("\"openapi\": \"3.1.0\""));
}

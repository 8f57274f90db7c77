//! `/metrics`: what the operator's Prometheus scrapes, behind its token.

use crate::helpers::*;
use crate::push::{employee_with_device, eventually, on_both_databases, push_app, send};
use serde_json::json;
use std::collections::HashMap;

on_both_databases!(the_operator_scrapes_counts_of_requests_pushes_and_queues);

/// The scrape as `name{labels}` → value.
pub async fn scrape(app: &TestApp, token: &str) -> HashMap<String, f64> {
    let resp = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
    );
    let text = resp.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_owned(), v.parse().ok()?))
        })
        .collect()
}

async fn the_operator_scrapes_counts_of_requests_pushes_and_queues(db: Db) {
    let Some(app) = push_app(db, |s| s.apply("metrics_token", "scrape-secret").unwrap()).await
    else {
        return;
    };
    let get = |auth: Option<&'static str>| {
        let mut req = app.client.get(format!("{}/metrics", app.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(None).await, 401);
    assert_eq!(get(Some("Bearer wrong")).await, 401);
    assert_eq!(
        get(Some("scrape-secret")).await,
        401,
        "the scheme is required"
    );

    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "token-1", "android").await;
    for i in 0..3 {
        send(&app, &p, &e, &format!("Сообщение {i}")).await;
    }
    let refused = app
        .post(
            "createmessage",
            Some("simo_p_not-a-token"),
            json!({"inn": p.inn, "staffid": e.id, "title": "x", "message": "y"}),
        )
        .await;
    refused.failed(401);
    app.post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok();
    eventually("three pushes", || async {
        scrape(&app, "scrape-secret")
            .await
            .get("simo_pushes_total{outcome=\"sent\"}")
            .copied()
            == Some(3.0)
    })
    .await;

    let m = scrape(&app, "scrape-secret").await;
    let at = |k: &str| m.get(k).copied().unwrap_or_else(|| panic!("{k} in {m:?}"));
    assert_eq!(
        at("simo_http_requests_total{route=\"createmessage\",status=\"200\"}"),
        3.0
    );
    assert_eq!(
        at("simo_http_requests_total{route=\"createmessage\",status=\"401\"}"),
        1.0
    );
    assert_eq!(
        at("simo_http_requests_total{route=\"auth\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        at("simo_http_requests_total{route=\"confirmsmscode\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        at("simo_http_requests_total{route=\"updatepushtoken\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        at("simo_http_requests_total{route=\"getstaff\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        at("simo_http_requests_total{route=\"metrics\",status=\"401\"}"),
        3.0
    );
    assert_eq!(
        at("simo_http_request_duration_seconds_count{route=\"createmessage\"}"),
        4.0
    );
    assert!(at("simo_http_request_duration_seconds_sum{route=\"createmessage\"}") > 0.0);
    assert_eq!(at("simo_sms_total{result=\"ok\"}"), 1.0);
    assert_eq!(at("simo_push_queue_jobs"), 0.0);
    assert_eq!(at("simo_webhook_queue_events"), 0.0);
    assert_eq!(at("simo_webhooks_failing"), 0.0);
    assert!(at("simo_process_resident_memory_bytes") > 1e6);
    // The pools: SQLite reads on a pool and writes on one connection; PostgreSQL has one pool.
    let pools: &[&str] = if app.state.store.is_postgres() {
        &["main"]
    } else {
        &["read", "write"]
    };
    for pool in pools {
        let in_use = at(&format!(
            "simo_db_connections{{pool=\"{pool}\",state=\"in_use\"}}"
        ));
        let idle = at(&format!(
            "simo_db_connections{{pool=\"{pool}\",state=\"idle\"}}"
        ));
        let max = at(&format!("simo_db_connections_max{{pool=\"{pool}\"}}"));
        assert!(
            in_use + idle >= 1.0 && in_use + idle <= max,
            "{pool}: {in_use} + {idle} of {max}"
        );
    }
    if !app.state.store.is_postgres() {
        assert_eq!(at("simo_db_connections_max{pool=\"write\"}"), 1.0);
    }
    assert_eq!(at("simo_scheduled_pending"), 0.0);
    let at_hour =
        chrono::DateTime::from_timestamp_millis(simo_backend::domain::now_millis() + 3_600_000)
            .unwrap()
            .to_rfc3339();
    app.post(
        "schedulemessage",
        Some(&p.token),
        json!({"inn": p.inn, "all": true, "title": "t", "message": "m", "senddate": at_hour}),
    )
    .await
    .ok();
    let later = scrape(&app, "scrape-secret").await;
    assert_eq!(later["simo_scheduled_pending"], 1.0);
    assert_eq!(later["simo_scheduled_overdue"], 0.0, "an hour ahead");

    // Without a token configured, there is no such route.
    let Some(closed) = spawn_app(db).await else {
        return;
    };
    let status = closed
        .client
        .get(format!("{}/metrics", closed.base))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
}

//! The benchmark's ceiling: a bare poem handler answering a constant v1-style envelope.
//! Same framework, same machine, same client as the real server; nothing else.
//!
//! `cargo run --release -p simo-backend --example ceiling -- 127.0.0.1:8090`

use once_cell::sync::Lazy;
use poem::listener::TcpListener;
use poem::{Response, Route, Server, handler, post};

#[handler]
fn constant() -> Response {
    Response::builder()
        .content_type("application/json; charset=utf-8")
        .body(r#"{"success":true,"data":{"messageid":"1"},"error":""}"#)
}

static PAGE: Lazy<Vec<u8>> = Lazy::new(|| {
    let item = r#"{"createdate":"2026-11-28T16:05:56.103+03:00","delivereddate":null,"inn":"7707083893","message":"Текст уведомления номер 990001 о событии в учётной системе","messageId":"990002","readdate":null,"senddate":"2026-11-28T16:05:56.153+03:00","staffId":"2","status":"sent","statusname":"Отправлено","title":"Сообщение 990001"}"#;
    let items = vec![item; 50].join(",");
    format!(r#"{{"data":[{items}],"error":"","success":true}}"#).into_bytes()
});

#[handler]
fn page() -> Response {
    Response::builder()
        .content_type("application/json; charset=utf-8")
        .body(PAGE.as_slice())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    Server::new(TcpListener::bind(addr))
        .run(
            Route::new()
                .at("/api/v1/createmessage", post(constant))
                .at("/api/v1/getmessage", post(page)),
        )
        .await
}

//! The benchmark's ceiling: a bare poem handler answering a constant v1-style envelope.
//! Same framework, same machine, same client as the real server; nothing else.
//!
//! `cargo run --release -p simo-backend --example ceiling -- 127.0.0.1:8090`

use poem::listener::TcpListener;
use poem::{Response, Route, Server, handler, post};

#[handler]
fn constant() -> Response {
    Response::builder()
        .content_type("application/json; charset=utf-8")
        .body(r#"{"success":true,"data":{"messageid":"1"},"error":""}"#)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    Server::new(TcpListener::bind(addr))
        .run(Route::new().at("/api/v1/createmessage", post(constant)))
        .await
}

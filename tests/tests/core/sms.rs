//! A fake SMS gateway speaking the HTTP provider's protocol: the server POSTs
//! `{"phone": "+7…", "text": "…"}` to it. Plain tokio over a real loopback socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Texts received, by phone; the server runs in a background task until the test ends.
#[derive(Clone, Default)]
pub struct FakeSmsGateway {
    texts: Arc<Mutex<HashMap<String, Vec<String>>>>,
    arrived: Arc<Notify>,
    pub url: String,
}

impl FakeSmsGateway {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = FakeSmsGateway {
            url: format!("http://{}/sms", listener.local_addr().unwrap()),
            ..Default::default()
        };
        let handle = gateway.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handle = handle.clone();
                tokio::spawn(async move { handle.serve(stream).await });
            }
        });
        gateway
    }

    /// The code of the next SMS to `phone` (the last run of 4+ digits of its text).
    pub async fn next_code(&self, phone: &str) -> String {
        let wait = async {
            loop {
                let notified = self.arrived.notified();
                if let Some(text) = self.take(phone) {
                    return text;
                }
                notified.await;
            }
        };
        let text = tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("no SMS within 10 s"));
        last_code(&text).unwrap_or_else(|| panic!("no code in the SMS text {text:?}"))
    }

    fn take(&self, phone: &str) -> Option<String> {
        let mut texts = self.texts.lock().unwrap();
        let queue = texts.get_mut(phone)?;
        (!queue.is_empty()).then(|| queue.remove(0))
    }

    async fn serve(&self, mut stream: TcpStream) {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let body = loop {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
            let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                break buffer[end + 4..end + 4 + length].to_vec();
            }
        };
        let sms: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if let (Some(phone), Some(text)) = (sms["phone"].as_str(), sms["text"].as_str()) {
            self.texts
                .lock()
                .unwrap()
                .entry(phone.to_owned())
                .or_default()
                .push(text.to_owned());
            self.arrived.notify_waiters();
        }
        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\nconnection: close\r\n\r\n{\"status\":\"ok\"}";
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

fn last_code(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .rfind(|run| run.len() >= 4)
        .map(str::to_owned)
}

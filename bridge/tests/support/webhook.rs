//! A webhook receiver the test controls: it answers 503 while failing, 200 otherwise, and
//! records every result it answered 200 to.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;

#[derive(Default)]
pub struct Seen {
    /// (kiosk header, seq header, body) of every delivery answered 200.
    pub delivered: Mutex<Vec<(String, u64, Value)>>,
    pub refused: AtomicUsize,
    pub failing: AtomicBool,
}

pub struct Webhook {
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
    task: tokio::task::JoinHandle<()>,
}

async fn answer(seen: Arc<Seen>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (kiosk, seq) = (header("x-myna-kiosk"), header("x-myna-seq").parse().unwrap_or(0));
    let path = req.uri().path().to_string();
    let body = req.into_body().collect().await?.to_bytes();
    let status = if seen.failing.load(Ordering::SeqCst) || path != "/hook" {
        seen.refused.fetch_add(1, Ordering::SeqCst);
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        seen.delivered.lock().unwrap().push((kiosk, seq, value));
        StatusCode::OK
    };
    Ok(Response::builder().status(status).body(Full::new(Bytes::new())).unwrap())
}

impl Webhook {
    pub async fn start(failing: bool) -> Webhook {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        seen.failing.store(failing, Ordering::SeqCst);
        let shared = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let seen = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| answer(seen.clone(), req));
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
                });
            }
        });
        Webhook { addr, seen, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn recover(&self) {
        self.seen.failing.store(false, Ordering::SeqCst);
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

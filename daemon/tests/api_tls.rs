//! The API on the clinic LAN: a non-loopback bind needs TLS; with TLS it serves over rustls.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use myna_api::server::{tls_config, Limits, TlsListener};
use myna_kiosk::journal::Journal;
use myna_kiosk::run::{run, RunError, RunOptions};
use myna_kiosk::session::SessionConfig;
use rustls_pki_types::{CertificateDer, ServerName};
use support::http::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn opts(listen: &str, state: &str) -> RunOptions {
    let mut o = RunOptions::new(true, myna_kiosk::config::Config::default());
    o.listen = Some(listen.parse().unwrap());
    o.state_dir = Some(std::env::temp_dir().join(state));
    o
}

#[tokio::test]
async fn a_lan_address_without_tls_is_refused() {
    let err = run(opts("0.0.0.0:0", "myna-tls-refuse")).await.unwrap_err();
    assert!(matches!(err, RunError::LanWithoutTls(_)), "{err}");
    assert!(err.to_string().contains("--tls-cert"));
}

#[tokio::test]
async fn unusable_tls_files_are_reported() {
    let dir = std::env::temp_dir().join(format!("myna-tls-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, "not a certificate").unwrap();
    let mut o = opts("0.0.0.0:0", "myna-tls-bad");
    o.tls = Some((cert.clone(), cert));
    let err = run(o).await.unwrap_err();
    assert!(matches!(err, RunError::Tls(_)), "{err}");
}

fn write_cert() -> (PathBuf, PathBuf, CertificateDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["kiosk.clinic.example".into()]).unwrap();
    let dir = std::env::temp_dir().join(format!("myna-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    (cert, key, ck.cert.der().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_on_a_non_loopback_bind_serves_the_api() {
    let (cert, key, der) = write_cert();
    let router = Router::new(Journal::in_memory(), SessionConfig::default(), false, &[]);
    let tcp = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let server = router.serve(TlsListener::new(tcp, tls_config(&cert, &key).unwrap()), Limits::default());

    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(ServerName::try_from("kiosk.clinic.example").unwrap(), tcp).await.unwrap();
    tls.write_all(b"GET /v1/health HTTP/1.1\r\nHost: kiosk\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), tls.read_to_string(&mut response)).await.unwrap().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""));

    // Plain HTTP on the TLS port gets no API answer.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain.write_all(b"GET /v1/health HTTP/1.1\r\nHost: kiosk\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), plain.read(&mut buf)).await.unwrap().unwrap_or(0);
    assert!(!String::from_utf8_lossy(&buf[..n]).contains("HTTP/1.1 200"));

    router.stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(8), server).await.unwrap().unwrap();
}

//! A kiosk on the clinic LAN serves TLS with its own (self-signed) certificate: the bridge
//! reaches it with the certificate's SHA-256 pinned or the certificate given as the CA, and
//! refuses any other certificate (nothing is delivered, nothing acknowledged).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use myna_bridge::net::TlsTrust;
use sha2::{Digest, Sha256};
use support::kiosk::Kiosk;
use support::{fresh_dir, result_files, token_file, Bridge};

/// A self-signed certificate for `localhost` and 127.0.0.1: PEM files and its SHA-256.
fn certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    (cert, key, hex::encode(Sha256::digest(ck.cert.der())))
}

fn bridge(dir: &Path, url: &str, trust: &[&str]) -> Bridge {
    let mut args: Vec<String> = vec!["--kiosk".into(), format!("k1={url}"), "--token-file".into()];
    args.push(token_file(dir).display().to_string());
    args.extend(["--out".into(), dir.join("out").display().to_string(), "--max-backoff".into(), "1".into()]);
    args.extend(trust.iter().map(|s| s.to_string()));
    Bridge::start(&args, &dir.join("bridge.log"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_kiosk_is_followed_with_a_pin_or_a_ca_and_another_certificate_is_refused() {
    let dir = fresh_dir("tls");
    let (cert, key, sha) = certificate(&dir, "kiosk");
    let (_, _, other_sha) = certificate(&dir, "other");
    let pin = TlsTrust { ca: None, pin_sha256: Some(sha.clone()) };
    let k = Kiosk::start_tls(&dir.join("k1"), &cert, &key, pin);
    let by_ip = format!("https://{}", k.addr);

    // Another certificate's pin: the handshake fails, nothing is stored or acknowledged.
    let wrong = bridge(&dir, &by_ip, &["--pin-sha256", &other_sha]);
    k.check_in().await;
    support::until("a refused handshake in the log", || async { wrong.log().contains("TLS").then_some(()) }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(result_files(&dir.join("out")).is_empty());
    assert_eq!(k.unacknowledged().await, 1);
    wrong.stop();

    // The kiosk's own pin (reached by IP address, as on a LAN without DNS).
    let pinned = bridge(&dir, &by_ip, &["--pin-sha256", &sha]);
    support::until("the result over TLS", || async { (k.unacknowledged().await == 0).then_some(()) }).await;
    assert_eq!(result_files(&dir.join("out")), ["k1-000000000001.json"]);
    pinned.stop();

    // The certificate as the trust anchor, by name.
    let url = format!("https://localhost:{}", k.addr.port());
    let anchored = bridge(&dir, &url, &["--ca", &cert.display().to_string()]);
    k.check_in().await;
    support::until("the next result over TLS", || async { (k.unacknowledged().await == 0).then_some(()) }).await;
    assert_eq!(result_files(&dir.join("out")), ["k1-000000000001.json", "k1-000000000002.json"]);
    anchored.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

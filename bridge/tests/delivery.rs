//! The bridge's promise: every result of every kiosk lands in the folder exactly once, and is
//! acknowledged on its kiosk only once it is there, through the bridge's own SIGKILLs, a kiosk
//! restarted mid-stream, a network cut and a webhook that fails before it recovers. An
//! existing file with other content is never overwritten: that kiosk's follower stops, loudly.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::kiosk::Kiosk;
use support::proxy::Proxy;
use support::webhook::Webhook;
use support::{everything_in, fresh_dir, result_files, token_file, Bridge};

fn args(kiosks: &[(&str, String)], token: &Path, out: &Path, state: &Path, webhook: Option<String>) -> Vec<String> {
    let mut a = vec![];
    for (name, url) in kiosks {
        a.extend(["--kiosk".to_string(), format!("{name}={url}")]);
    }
    a.extend(["--token-file".into(), token.display().to_string(), "--out".into(), out.display().to_string()]);
    a.extend(["--state".into(), state.display().to_string(), "--max-backoff".into(), "1".into()]);
    if let Some(url) = webhook {
        a.extend(["--webhook".into(), url]);
    }
    a
}

/// Every result the kiosks hold, by the file name the bridge gives it.
async fn expected(kiosks: &[(&str, &Kiosk)]) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    for (name, k) in kiosks {
        for r in k.results().await {
            all.insert(format!("{name}-{:012}.json", r["seq"].as_u64().unwrap()), r);
        }
    }
    all
}

/// Waits until the folder holds exactly the kiosks' results and none is unacknowledged.
async fn wait_delivered(out: &Path, kiosks: &[(&str, &Kiosk)], bridge: &Bridge) -> BTreeMap<String, Value> {
    let deadline = tokio::time::Instant::now() + support::WAIT;
    loop {
        let want = expected(kiosks).await;
        let files = result_files(out);
        let mut unacked = 0;
        for (_, k) in kiosks {
            unacked += k.unacknowledged().await;
        }
        if files == want.keys().cloned().collect::<Vec<_>>() && unacked == 0 {
            return want;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered: files {files:?}, expected {:?}, {unacked} unacknowledged\nbridge log:\n{}",
            want.keys().collect::<Vec<_>>(),
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_result_lands_once_through_kills_a_kiosk_restart_a_cut_and_a_failing_webhook() {
    let dir = fresh_dir("delivery");
    let (out, state) = (dir.join("out"), dir.join("state"));
    let token = token_file(&dir);
    let mut k1 = Kiosk::start(&dir.join("k1"));
    let k2 = Kiosk::start(&dir.join("k2"));
    let (p1, p2) = (Proxy::start(k1.addr).await, Proxy::start(k2.addr).await);
    let hook = Webhook::start(true).await;
    let args = args(&[("k1", p1.url()), ("k2", p2.url())], &token, &out, &state, Some(hook.url()));
    let log = dir.join("bridge.log");
    let mut bridge = Bridge::start(&args, &log);
    let mut interrupted = None;

    for round in 0..10u64 {
        // Check-ins on both kiosks; the bridge is SIGKILLed at another moment of them each
        // round, so at every step of its work: reading, file, webhook, ack, cursor.
        let doomed = bridge;
        let (files, hooked) = (result_files(&out).len(), hook.seen.delivered.lock().unwrap().len());
        tokio::join!(k1.check_in(), k2.check_in(), async {
            match round % 4 {
                // At a moment of its own.
                0 => tokio::time::sleep(Duration::from_millis(37 * round % 300)).await,
                // As soon as it wrote a file: before (or during) its webhook call and ack.
                1 => support::until("a new file", || async { (result_files(&out).len() > files).then_some(()) }).await,
                // As soon as the webhook answered it 200: before it noted that, before the ack.
                2 => {
                    let delivered = || hook.seen.delivered.lock().unwrap().len();
                    support::until("a webhook delivery", || async { (delivered() > hooked).then_some(()) }).await
                }
                // As soon as a kiosk counts one result fewer unacknowledged: before the cursor.
                _ => {
                    let acked = || async { k1.acknowledged().await + k2.acknowledged().await };
                    let before = acked().await;
                    support::until("an ack", || async { (acked().await > before).then_some(()) }).await
                }
            }
            doomed.kill();
        });
        bridge = Bridge::start(&args, &log);
        match round {
            // The webhook failed for everything so far: it recovers now.
            1 => hook.recover(),
            // k1 loses power mid-session while the bridge follows it; it comes back on another
            // port (the network finds it) with the session recorded as interrupted.
            4 => {
                interrupted = Some(k1.tap().await);
                k1 = k1.restart();
                p1.retarget(k1.addr);
            }
            // The LAN goes down: streams dropped, reconnects refused, check-ins go on.
            6 => {
                p1.cut();
                p2.cut();
                tokio::join!(k1.check_in(), k2.check_in());
                tokio::time::sleep(Duration::from_millis(500)).await;
                p1.restore();
                p2.restore();
            }
            _ => {}
        }
    }

    let kiosks = [("k1", &k1), ("k2", &k2)];
    let want = wait_delivered(&out, &kiosks, &bridge).await;
    assert_eq!(want.len(), 10 * 2 + 2 + 1, "{:?}", want.keys());
    assert_eq!(everything_in(&out), want.keys().cloned().collect::<Vec<_>>(), "no temp file or other file left");
    for (name, result) in &want {
        let file: Value = serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap();
        assert_eq!(&file, result, "{name} holds the kiosk's result");
    }
    let interrupted = interrupted.unwrap();
    let cut_short: Vec<_> = want.values().filter(|r| r["id"] == interrupted.as_str()).collect();
    assert_eq!(cut_short.len(), 1);
    assert_eq!(cut_short[0]["outcome"], "interrupted");

    // The webhook took every result (at least once: a kill between its 200 and the bridge's
    // note of it repeats one; the Idempotency-Key header names it).
    let delivered = hook.seen.delivered.lock().unwrap().clone();
    assert!(hook.seen.refused.load(std::sync::atomic::Ordering::SeqCst) > 0, "the webhook did fail first");
    for (name, result) in &want {
        let (kiosk, seq) = (&name[..2], result["seq"].as_u64().unwrap());
        let got: Vec<_> = delivered.iter().filter(|(k, s, _)| k == kiosk && *s == seq).collect();
        assert!(!got.is_empty(), "{name} reached the webhook");
        assert!(got.iter().all(|(_, _, body)| body == result), "{name}: the webhook got the result");
    }
    let replayed = std::fs::read_to_string(&log).unwrap().matches("written=Same").count();
    println!(
        "webhook: {} deliveries for {} results; {replayed} files found already written",
        delivered.len(),
        want.len()
    );
    assert!(replayed > 0, "some kills landed between a file and its ack, and the replay found the file");
    bridge.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_other_content_is_kept_and_stops_only_that_kiosk() {
    let dir = fresh_dir("conflict");
    let (out, state) = (dir.join("out"), dir.join("state"));
    let token = token_file(&dir);
    let (k1, k2) = (Kiosk::start(&dir.join("k1")), Kiosk::start(&dir.join("k2")));
    std::fs::create_dir_all(&out).unwrap();
    let foreign = out.join("k1-000000000001.json");
    std::fs::write(&foreign, "{\"someone\":\"else\"}\n").unwrap();
    let urls = [("k1", format!("http://{}", k1.addr)), ("k2", format!("http://{}", k2.addr))];
    let bridge = Bridge::start(&args(&urls, &token, &out, &state, None), &dir.join("bridge.log"));
    tokio::join!(k1.check_in(), k2.check_in());

    support::until("k2's result delivered", || async {
        (out.join("k2-000000000001.json").exists() && k2.unacknowledged().await == 0).then_some(())
    })
    .await;
    let log = support::until("the follower's stop in the log", || async {
        let log = bridge.log();
        log.contains("STOPPED following").then_some(log)
    })
    .await;
    assert!(log.contains("k1") && log.contains("other content"), "{log}");
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "{\"someone\":\"else\"}\n", "never overwritten");
    assert_eq!(k1.unacknowledged().await, 1, "not acknowledged: it is not in the folder");
    assert_eq!(result_files(&out), ["k1-000000000001.json", "k2-000000000001.json"]);
    bridge.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_logged_as_an_error_and_retried() {
    let dir = fresh_dir("token");
    let k = Kiosk::start(&dir.join("k1"));
    let token = dir.join("wrong.token");
    std::fs::write(&token, "not-the-reception-token-0123").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let urls = [("k1", format!("http://{}", k.addr))];
    let mut bridge =
        Bridge::start(&args(&urls, &token, &dir.join("out"), &dir.join("state"), None), &dir.join("bridge.log"));
    let refusals = || bridge.log().matches("ERROR").count();
    support::until("two refusals in the log", || async { (refusals() >= 2).then_some(()) }).await;
    let log = bridge.log();
    assert!(log.contains("refused the token (401 Unauthorized)"), "{log}");
    assert!(!log.contains("not-the-reception-token"), "the token never reaches the log");
    assert!(bridge.running(), "it keeps trying (the kiosk's tokens are reloadable)");
    bridge.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_network_is_noticed_by_the_idle_timeout_and_nothing_is_lost() {
    let dir = fresh_dir("stall");
    let (out, state) = (dir.join("out"), dir.join("state"));
    let k = Kiosk::start(&dir.join("k1"));
    let proxy = Proxy::start(k.addr).await;
    let mut a = args(&[("k1", proxy.url())], &token_file(&dir), &out, &state, None);
    a.extend(["--idle-timeout".into(), "1".into()]);
    let bridge = Bridge::start(&a, &dir.join("bridge.log"));
    k.check_in().await;
    support::until("the first result", || async { (k.unacknowledged().await == 0).then_some(()) }).await;

    // The cable is pulled: the open stream goes silent, nothing is closed, reconnects hang.
    proxy.stall();
    k.check_in().await;
    k.check_in().await;
    support::until("the silence noticed", || async { bridge.log().contains("nothing for 1 s").then_some(()) }).await;
    assert_eq!(k.unacknowledged().await, 2);
    proxy.restore();
    let want = wait_delivered(&out, &[("k1", &k)], &bridge).await;
    assert_eq!(want.len(), 3);
    bridge.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

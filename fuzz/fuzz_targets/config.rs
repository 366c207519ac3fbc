//! The configuration file: TOML text through the daemon's parser and validation, then every
//! accessor the daemon calls on a configuration it accepted. Tokens never show in Debug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myna_kiosk::config::Config;

fuzz_target!(|data: &[u8]| {
    // The daemon reads the file with read_to_string: only UTF-8 reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::parse(text, "/etc/myna-kiosk/config.toml") {
        Ok(config) => {
            let _ = config.session_config();
            let _ = config.retention();
            let _ = config.indicators.wiring();
            let _ = config.indicators.volume_policy();
            for tok in &config.api.tokens {
                let t = tok.get_ref();
                if let Some(secret) = &t.token {
                    let shown = format!("{t:?}");
                    let elsewhere = t.name.contains(secret.as_str())
                        || t.token_file.as_ref().is_some_and(|p| format!("{p:?}").contains(secret.as_str()));
                    assert!(!shown.contains(secret.as_str()) || elsewhere, "an API token reached Debug");
                }
            }
            let _ = format!("{config:?}");
        }
        Err(e) => {
            // The message names file:line:column; it must format for any input.
            let shown = e.to_string();
            if let Some((line, col)) = e.line {
                assert!(line >= 1 && col >= 1);
                assert!(line <= text.lines().count().max(1) + 1, "{shown}");
            }
        }
    }
});

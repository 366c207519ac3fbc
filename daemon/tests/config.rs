//! The configuration file: the annotated example is the defaults, every key is read, and every
//! rejection names the file, the line and what is wrong.

use std::time::Duration;

use chrono::NaiveTime;
use myna_api::backend::Role;
use myna_api::proto::{ConsentItem, Method};
use myna_indicator::gpio::{BuzzerWiring, LedWiring, Wiring};
use myna_indicator::{QuietHours, Volume, VolumePolicy};
use myna_kiosk::config::{Config, IndicatorBackend, LogFormat};
use myna_kiosk::session::SessionConfig;

const EXAMPLE: &str = include_str!("../config.example.toml");

#[test]
fn the_annotated_example_is_exactly_the_defaults() {
    let example = Config::parse(EXAMPLE, "config.example.toml").unwrap();
    let empty = Config::parse("", "empty.toml").unwrap();
    assert_eq!(example.session_config(), SessionConfig::default());
    assert_eq!(empty.session_config(), SessionConfig::default());
    assert_eq!(example.retention(), empty.retention());
    assert_eq!(example.api.listen.get_ref(), empty.api.listen.get_ref());
    assert_eq!(example.trust.anchors.get_ref(), empty.trust.anchors.get_ref());
    assert_eq!(example.trust.card_face_cas, empty.trust.card_face_cas);
    assert_eq!(example.journal.dir, empty.journal.dir);
    assert_eq!(example.indicators.backend, IndicatorBackend::Gpio);
    assert_eq!(empty.indicators.backend, IndicatorBackend::Gpio);
    // The defaults are the wiring hardware.md documents.
    assert_eq!(example.indicators.wiring(), Wiring::default());
    assert_eq!(empty.indicators.wiring(), Wiring::default());
    assert_eq!(
        Wiring::default(),
        Wiring {
            leds: LedWiring::Traffic { green: 17, amber: 27, red: 22, active_low: false },
            buzzer: BuzzerWiring::Active { pin: 18, active_low: false },
        }
    );
    assert_eq!(example.indicators.volume_policy(), VolumePolicy::default());
    assert_eq!(empty.indicators.volume_policy(), VolumePolicy { normal: Volume::Normal, quiet_hours: None });
}

#[test]
fn the_commented_indicator_examples_parse_when_uncommented() {
    // The example's commented keys under [indicators.*]: uncommented, they are valid as shown.
    let uncommented: String = EXAMPLE
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[indicators.") || rest.starts_with("from =") || rest.starts_with("to =") =>
            {
                rest.to_string()
            }
            Some(rest) if rest.starts_with("volume = \"off\"") => rest.to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = Config::parse(&uncommented, "uncommented.toml").unwrap();
    let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
    assert_eq!(
        c.indicators.volume_policy().quiet_hours,
        Some(QuietHours { from: t("12:30"), to: t("14:00"), volume: Volume::Off })
    );
    let rgb = EXAMPLE
        .replace("kind = \"traffic\"", "kind = \"rgb\"")
        .replace("amber = 27", "# blue = 27")
        .replace("# blue = 27\n# true", "blue = 27\n# true");
    let c = Config::parse(&rgb, "rgb.toml").unwrap();
    assert_eq!(c.indicators.wiring().leds, LedWiring::Rgb { red: 22, green: 17, blue: 27, active_low: false });
}

#[test]
fn every_documented_key_is_read() {
    let text = r#"
[reader]
name = "RC-S300"
exact = true

[session]
methods = ["pin", "visual"]
consent_items = ["medication", "limit_amount", "diagnosis", "health_checkups", "surgery", "specific_diseases", "electronic_prescription"]
consent_all_shortcut = false
staff_check = "always"
face_attempts = 2

[session.timeouts]
card_operation_secs = 11
choose_method_secs = 12
pin_entry_secs = 13
face_check_secs = 14
staff_check_secs = 15
consent_secs = 16
take_card_secs = 17

[api]
listen = "192.168.1.20:8443"
unix_socket = "/run/myna-kiosk/api.sock"
allow_plain_http_on_lan = false
max_connections = 64
max_local_connections = 600
header_read_timeout_secs = 5

[api.tls]
cert = "/etc/myna-kiosk/tls/cert.pem"
key = "/etc/myna-kiosk/tls/key.pem"

[[api.tokens]]
name = "reception PC"
token_file = "/etc/myna-kiosk/tokens/reception"
roles = ["reception", "staff"]

[[api.tokens]]
token = "0123456789abcdef0123"
roles = ["kiosk"]

[trust]
anchors = ["/a.pem"]

[journal]
dir = "/srv/kiosk"
acknowledged_retention_hours = 12
unacknowledged_retention_days = 3

[log]
format = "json"
level = "debug"

[indicators]
backend = "mock"

[indicators.leds]
kind = "rgb"
green = 5
red = 6
blue = 13
active_low = true

[indicators.buzzer]
kind = "passive"
pin = 12
active_low = true
tone_hz = 4000
volume = "low"

[indicators.quiet_hours]
from = "22:00"
to = "07:30"
volume = "off"
"#;
    let c = Config::parse(text, "full.toml").unwrap();
    assert_eq!((c.reader.name.as_str(), c.reader.exact), ("RC-S300", true));
    let s = c.session_config();
    assert_eq!(s.methods, [Method::Pin, Method::Visual]);
    assert_eq!(s.consent_items.len(), 7);
    assert_eq!(s.consent_items[6], ConsentItem::ElectronicPrescription);
    assert!(!s.consent_all_shortcut);
    assert_eq!(s.staff_check, myna_kiosk::session::StaffCheck::Always);
    assert_eq!(s.face_attempts, 2);
    let t = s.timeouts;
    assert_eq!(
        [t.card_operation, t.choose_method, t.pin_entry, t.face_check, t.staff_check, t.consent, t.take_card],
        [11, 12, 13, 14, 15, 16, 17].map(Duration::from_secs)
    );
    assert_eq!(c.api.listen.get_ref().to_string(), "192.168.1.20:8443");
    assert_eq!(c.api.unix_socket.as_deref(), Some(std::path::Path::new("/run/myna-kiosk/api.sock")));
    assert_eq!(*c.api.max_connections.get_ref(), 64);
    assert_eq!(*c.api.max_local_connections.get_ref(), 600);
    assert_eq!(*c.api.header_read_timeout_secs.get_ref(), 5);
    assert!(c.api.tls.is_some());
    assert_eq!(c.api.tokens.len(), 2);
    assert_eq!(c.api.tokens[0].get_ref().roles, [Role::Reception, Role::Staff]);
    assert_eq!(c.api.tokens[0].get_ref().name, "reception PC");
    assert_eq!(c.trust.anchors.get_ref().len(), 1);
    assert_eq!(c.journal.dir, std::path::Path::new("/srv/kiosk"));
    assert_eq!(c.retention().acknowledged, Duration::from_secs(12 * 3600));
    assert_eq!(c.retention().unacknowledged, Duration::from_secs(3 * 86_400));
    assert_eq!((c.log.format, c.log.level.as_str()), (LogFormat::Json, "debug"));
    assert_eq!(c.indicators.backend, IndicatorBackend::Mock);
    assert_eq!(
        c.indicators.wiring(),
        Wiring {
            leds: LedWiring::Rgb { red: 6, green: 5, blue: 13, active_low: true },
            buzzer: BuzzerWiring::Passive { pin: 12, active_low: true, tone_hz: 4000 },
        }
    );
    let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
    assert_eq!(
        c.indicators.volume_policy(),
        VolumePolicy {
            normal: Volume::Low,
            quiet_hours: Some(QuietHours { from: t("22:00"), to: t("07:30"), volume: Volume::Off })
        }
    );
    // The traffic-light keys not used above.
    let traffic = Config::parse(
        "[indicators.leds]\nkind = \"traffic\"\ngreen = 2\namber = 3\nred = 4\n[indicators.buzzer]\nkind = \"none\"\n",
        "t.toml",
    )
    .unwrap();
    assert_eq!(
        traffic.indicators.wiring(),
        Wiring {
            leds: LedWiring::Traffic { green: 2, amber: 3, red: 4, active_low: false },
            buzzer: BuzzerWiring::None
        }
    );
    let none = Config::parse("[indicators]\nbackend = \"none\"\n", "n.toml").unwrap();
    assert_eq!(none.indicators.backend, IndicatorBackend::None);
    // The token never shows in Debug output.
    assert!(!format!("{:?}", c.api.tokens).contains("0123456789abcdef0123"));
}

fn rejected(text: &str) -> String {
    Config::parse(text, "/etc/myna-kiosk/config.toml").unwrap_err().to_string()
}

#[test]
fn every_rejection_says_where_and_what() {
    let cases: &[(&str, &str)] = &[
        ("[reader]\nnmae = \"x\"\n", ":2:1: unknown field `nmae`"),
        ("[sesion]\n", ":1:2: unknown field `sesion`"),
        ("[session]\nmethods = [\"iris\"]\n", ":2:12: unknown variant `iris`"),
        ("[session]\nmethods = []\n", ":2:11: session.methods: enable at least one"),
        ("[session]\nmethods = [\"pin\", \"pin\"]\n", ":2:11: session.methods: a method is listed twice"),
        ("[session]\nconsent_items = [\"blood_type\"]\n", "unknown variant `blood_type`"),
        ("[session]\nstaff_check = \"never\"\n", ":2:15: unknown variant `never`"),
        ("[session]\nconsent_items = [\"surgery\", \"surgery\"]\n", "session.consent_items: an item is listed twice"),
        ("[session]\nface_attempts = 0\n", ":2:17: session.face_attempts: between 1 and 10"),
        ("[session.timeouts]\npin_entry_secs = 0\n", ":2:18: session.timeouts.pin_entry_secs: between 1 and 3600"),
        ("[session.timeouts]\nconsent_secs = 99999\n", "session.timeouts.consent_secs: between 1 and 3600"),
        ("[session.timeouts]\npin_entry_secs = \"60\"\n", ":2:18: invalid type: string \"60\", expected u64"),
        ("[api]\nlisten = \"0.0.0.0:8787\"\n", ":2:10: api.listen = \"0.0.0.0:8787\" is not a loopback address"),
        ("[api]\nlisten = \"localhost\"\n", ":2:10: invalid socket address"),
        ("[api]\nmax_connections = 0\n", "api.max_connections: between 1 and 65536"),
        ("[api]\nmax_local_connections = 0\n", "api.max_local_connections: between 1 and 65536"),
        ("[api]\nheader_read_timeout_secs = 0\n", "api.header_read_timeout_secs: between 1 and 300"),
        ("[api.tls]\ncert = \"/c.pem\"\n", "missing field `key`"),
        ("[[api.tokens]]\nroles = [\"kiosk\"]\n", ":1:1: api.tokens: give exactly one of token or token_file"),
        ("[[api.tokens]]\ntoken = \"short\"\nroles = [\"kiosk\"]\n", "api.tokens: a token has at least 16 characters"),
        (
            "[[api.tokens]]\ntoken = \"0123456789abcdef\"\nroles = []\n",
            "api.tokens: each token needs at least one role",
        ),
        ("[[api.tokens]]\ntoken = \"0123456789abcdef\"\nroles = [\"admin\"]\n", "unknown variant `admin`"),
        ("[trust]\nanchors = []\n", "trust.anchors: at least one CA certificate file"),
        ("[journal]\nacknowledged_retention_hours = 0\n", "journal.acknowledged_retention_hours: between 1 and 720"),
        ("[journal]\nunacknowledged_retention_days = 365\n", "journal.unacknowledged_retention_days: between 1 and 90"),
        ("[log]\nformat = \"xml\"\n", "unknown variant `xml`"),
        ("[log]\nlevel = \"[[[\"\n", "log.level: \"[[[\" is not a valid filter"),
        ("this is not toml", "/etc/myna-kiosk/config.toml:1:"),
        ("[indicators]\nbackend = \"serial\"\n", ":2:11: unknown variant `serial`"),
        ("[indicators]\nbuzer = 1\n", ":2:1: unknown field `buzer`"),
        ("[indicators.leds]\ngreen = 28\n", ":2:9: indicators.leds.green: GPIO 28 does not exist (BCM numbers 0–27)"),
        ("[indicators.leds]\nred = -1\n", ":2:7: indicators.leds.red: GPIO -1 does not exist"),
        ("[indicators.buzzer]\npin = 40\n", ":2:7: indicators.buzzer.pin: GPIO 40 does not exist"),
        (
            "[indicators.leds]\nred = 17\n",
            ":2:7: indicators.leds.red: GPIO 17 is already used by indicators.leds.green",
        ),
        (
            "[indicators.buzzer]\npin = 22\n",
            ":2:7: indicators.buzzer.pin: GPIO 22 is already used by indicators.leds.red",
        ),
        (
            "[indicators.leds]\nkind = \"rgb\"\nblue = 18\n",
            ":3:8: indicators.buzzer.pin: GPIO 18 is already used by indicators.leds.blue",
        ),
        (
            "[indicators.leds]\nkind = \"rgb\"\namber = 5\n",
            ":3:9: indicators.leds.amber: an RGB LED shows amber as red + green",
        ),
        ("[indicators.leds]\nblue = 5\n", ":2:8: indicators.leds.blue: only an RGB LED"),
        ("[indicators.leds]\nkind = \"matrix\"\n", "unknown variant `matrix`"),
        ("[indicators.buzzer]\nvolume = \"loud\"\n", "unknown variant `loud`"),
        (
            "[indicators.buzzer]\nkind = \"passive\"\ntone_hz = 50\n",
            ":3:11: indicators.buzzer.tone_hz: between 100 and 10000",
        ),
        ("[indicators.quiet_hours]\nfrom = \"12:30\"\n", "missing field `to`"),
        (
            "[indicators.quiet_hours]\nfrom = \"25:00\"\nto = \"14:00\"\n",
            ":2:8: indicators.quiet_hours.from: \"25:00\" is not a time of day",
        ),
        ("[indicators.quiet_hours]\nfrom = \"12:30\"\nto = \"2pm\"\n", ":3:6: indicators.quiet_hours.to: \"2pm\""),
        (
            "[indicators.quiet_hours]\nfrom = \"12:30\"\nto = \"12:30\"\n",
            "indicators.quiet_hours: from and to are the same",
        ),
        ("[indicators.quiet_hours]\nfrom = \"12:30\"\nto = \"14:00\"\nvolume = \"quiet\"\n", "unknown variant `quiet`"),
    ];
    for (text, expected) in cases {
        let message = rejected(text);
        assert!(message.starts_with("/etc/myna-kiosk/config.toml"), "{message}");
        assert!(message.contains(expected), "for {text:?}\n  got: {message}\n  want: {expected}");
    }
}

#[test]
fn a_lan_address_with_tls_or_explicit_plain_http_is_accepted() {
    Config::parse("[api]\nlisten = \"0.0.0.0:8443\"\n[api.tls]\ncert = \"/c\"\nkey = \"/k\"\n", "c").unwrap();
    Config::parse("[api]\nlisten = \"0.0.0.0:8787\"\nallow_plain_http_on_lan = true\n", "c").unwrap();
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let e = Config::load(std::path::Path::new("/nonexistent/myna.toml")).unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/myna.toml: cannot read the file"), "{e}");
}

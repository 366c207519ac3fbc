//! The message catalogue as reception vendors and patients meet it: complete (every code any
//! source, page or test names has its entry), published (README's table is the catalogue,
//! generated from it), and worded as a clinic's front desk speaks (the texts a patient reads).

use std::path::{Path, PathBuf};

use myna_kiosk::catalogue::{self, Text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Source files under `dir` (recursively) ending in one of `exts`.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("node_modules") && !p.ends_with("target") {
                files(&p, exts, out);
            }
        } else if exts.iter().any(|x| p.extension().is_some_and(|e| e == *x)) {
            out.push(p);
        }
    }
}

fn is_code(s: &str) -> bool {
    let mut parts = s.split('_');
    let first = parts.next().unwrap_or_default();
    first.starts_with(|c: char| c.is_ascii_uppercase())
        && s.contains('_')
        && s.split('_').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

/// Every quoted UPPER_SNAKE string in `text` ("…" or '…', one line).
fn quoted_codes(text: &str) -> Vec<String> {
    let mut out = vec![];
    for line in text.lines() {
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'"' || b[i] == b'\'' {
                if let Some(len) = line[i + 1..].find(b[i] as char) {
                    let inner = &line[i + 1..i + 1 + len];
                    if is_code(inner) {
                        out.push(inner.to_string());
                    }
                    i += len + 2;
                    continue;
                }
            }
            i += 1;
        }
    }
    out
}

/// Names in quotes that are not codes: environment variables.
fn not_a_code(s: &str) -> bool {
    // NOT_IN_THE_CATALOGUE: the OpenAPI contract test's deliberately unknown code.
    s.starts_with("MYNA_")
        || s.starts_with("CARGO_")
        || [
            "NOTIFY_SOCKET",
            "WATCHDOG_PID",
            "WATCHDOG_USEC",
            "JOURNAL_STREAM",
            "CREDENTIALS_DIRECTORY",
            "PCSCLITE_CSOCK_NAME",
            "NOT_IN_THE_CATALOGUE",
        ]
        .contains(&s)
}

#[test]
fn every_code_used_anywhere_is_in_the_catalogue() {
    let root = root();
    // The API's own transport errors (404, 401, 413, …) are listed once, in its error module.
    let api_codes = quoted_codes(&std::fs::read_to_string(root.join("api/src/error.rs")).unwrap());
    let mut sources = vec![];
    for dir in
        ["daemon/src", "daemon/tests", "api/src", "api/kiosk", "hal", "tests/src", "tests/tests", "tests/browser"]
    {
        files(&root.join(dir), &["rs", "js", "mjs"], &mut sources);
    }
    assert!(sources.len() > 50, "found the sources: {}", sources.len());
    let mut missing = vec![];
    for file in &sources {
        let text = std::fs::read_to_string(file).unwrap();
        for code in quoted_codes(&text) {
            let known = catalogue::ALL.iter().any(|t| t.code == code) || api_codes.contains(&code) || not_a_code(&code);
            if !known {
                missing.push(format!("{code} ({})", file.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(missing.is_empty(), "codes with no catalogue entry (daemon/src/catalogue.rs):\n{}", missing.join("\n"));
    // The scan finds codes at all (a scanner that saw nothing would pass the check above).
    assert!(quoted_codes(r#"x("PIN_LOCKED") 'CARD_REMOVED' "not code" "A_b""#) == ["PIN_LOCKED", "CARD_REMOVED"]);
}

const BEGIN: &str = "<!-- codes:begin: generated from daemon/src/catalogue.rs; MYNA_WRITE_README=1 cargo test -p myna-kiosk --test catalogue rewrites it -->";
const END: &str = "<!-- codes:end -->";

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// README's table of every code: what reception software may show or translate by code.
fn table() -> String {
    let mut t = String::from("| code | 日本語 | English | when |\n|---|---|---|---|\n");
    for e in catalogue::ALL {
        t += &format!("| `{}` | {} | {} | {} |\n", e.code, cell(e.ja), cell(e.en), cell(e.when));
    }
    t
}

#[test]
fn the_readme_table_is_the_catalogue() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md has no {BEGIN} … {END} section")
    };
    let current = &readme[b + BEGIN.len()..e];
    let wanted = format!("\n{}", table());
    if current == wanted {
        return;
    }
    if std::env::var_os("MYNA_WRITE_README").is_some() {
        let updated = format!("{}{BEGIN}{wanted}{}", &readme[..b], &readme[e..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!("README's code table differs from the catalogue: run MYNA_WRITE_README=1 cargo test -p myna-kiosk --test catalogue");
}

/// Texts a patient reads on the kiosk screen (the rest are for reception, the face module or
/// a kiosk developer).
fn patient_texts() -> impl Iterator<Item = &'static Text> {
    const NOT_FOR_PATIENTS: [&str; 12] = [
        "COLLATION_B_FORMAT",
        "PHOTO_ALREADY_GIVEN",
        "PHOTO_FIRST",
        "CONSENT_ITEM_NOT_ASKED",
        "CHALLENGE_FORMAT",
        "STAFF_ID_REQUIRED",
        "SESSION_MISMATCH",
        "SESSION_REQUIRED",
        "STAFF_ID_FORMAT",
        "JOURNAL_ROW_UNREADABLE",
        "BENCH_DISABLED",
        "UNKNOWN_PROFILE",
    ];
    catalogue::ALL.iter().copied().filter(|t| !NOT_FOR_PATIENTS.contains(&t.code))
}

#[test]
fn patient_texts_read_as_a_front_desk_says_them() {
    for t in patient_texts() {
        // です・ます, whole sentences.
        assert!(t.ja.ends_with('。'), "{}: {}", t.code, t.ja);
        assert!(
            ["です。", "ます。", "ません。", "でした。", "ください。"].iter().any(|e| t.ja.contains(e)),
            "{}: {}",
            t.code,
            t.ja
        );
        // Jargon and awkward passives the issue lists.
        for word in ["目視", "だめ", "離されました", "署名を確認", "資格確認のみ", "送信"] {
            assert!(!t.ja.contains(word), "{}: {word} in {}", t.code, t.ja);
        }
        // Short sentences.
        for sentence in t.ja.split_inclusive('。') {
            assert!(sentence.chars().count() <= 80, "{}: a long sentence: {sentence}", t.code);
        }
        // The English names the document, with its Japanese name in brackets.
        for name in ["資格確認書", "資格情報のお知らせ", "マイナポータル", "住基カード"] {
            for (at, _) in t.en.match_indices(name) {
                assert!(t.en[..at].ends_with('('), "{}: {name} in English without an English name: {}", t.code, t.en);
            }
        }
    }
    // The ones the issue names.
    assert_eq!(catalogue::PIN_LAST_TRY.ja, "暗証番号の入力は残り1回です。間違えるとロックされます。");
    assert!(catalogue::PIN_LOCKED.ja.starts_with("暗証番号がロックされています。"));
    assert!(catalogue::CERT_EXPIRED.ja.contains("再発行") && catalogue::CERT_EXPIRED.ja.contains("資格確認書"));
    assert!(!catalogue::CERT_EXPIRED.ja.contains("更新"), "after the grace the office re-issues");
    assert!(catalogue::CERT_GRACE.ja.contains("{until}まで") && catalogue::CERT_GRACE.ja.contains("お薬"));
    assert!(catalogue::NO_AUTH_METHOD.ja.starts_with("この端末では"));
    assert!(!catalogue::COLLATION_B_RETRY.ja.contains("読み取れません"));
    // Card and transport failures name the national fallback.
    for t in [
        &catalogue::CARD_UNREADABLE,
        &catalogue::CARD_TIMEOUT,
        &catalogue::READER_UNAVAILABLE,
        &catalogue::CERT_UNREADABLE,
    ] {
        assert!(t.ja.contains("資格情報のお知らせ") && t.ja.contains("受付"), "{}: {}", t.code, t.ja);
        assert!(t.en.contains("Eligibility Information Notice (資格情報のお知らせ)"), "{}: {}", t.code, t.en);
    }
    for t in [&catalogue::CARD_UNREADABLE, &catalogue::READER_UNAVAILABLE] {
        assert!(t.ja.contains("マイナポータル"), "{}: {}", t.code, t.ja);
    }
}

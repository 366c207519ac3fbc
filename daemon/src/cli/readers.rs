//! `myna-kiosk readers`: what pcscd sees, and which reader the kiosk would use.

use std::process::ExitCode;

use myna_pcsc::{list_readers, ReaderSelector};

use crate::catalogue::Explained;
use crate::config::Config;

pub fn main(config: &Config) -> ExitCode {
    let readers = match list_readers() {
        Ok(r) => r,
        Err(e) => {
            let t = e.text();
            eprintln!("{}: {} / {}", t.code, t.en, t.ja);
            eprintln!("Is pcscd installed and running? (sudo systemctl start pcscd.socket)");
            return if e == myna_card::transport::TransportError::NoService {
                crate::platform::exit::unavailable()
            } else {
                ExitCode::FAILURE
            };
        }
    };
    if readers.is_empty() {
        println!("No card reader: pcscd runs but sees none. Plug the reader in; `pcsc_scan` shows it once pcscd does.");
        return ExitCode::FAILURE;
    }
    let selector = ReaderSelector::new(config.reader.name.clone(), config.reader.exact);
    let names: Vec<String> = readers.iter().map(|r| r.name.clone()).collect();
    let chosen = selector.pick(&names);
    for r in &readers {
        let mark = if chosen == Some(&r.name) { "*" } else { " " };
        let kind = if r.contactless { "contactless" } else { "" };
        let card =
            if r.card_present { format!("card present, ATR {}", hex::encode_upper(&r.atr)) } else { "no card".into() };
        println!("{mark} {:<48} {kind:<12} {card}", r.name);
    }
    match chosen {
        Some(name) => {
            println!("* = the reader the kiosk uses ({name})");
            ExitCode::SUCCESS
        }
        None => {
            println!("No reader matches [reader] name = \"{}\" in the configuration.", config.reader.name);
            ExitCode::FAILURE
        }
    }
}

//! Response APDUs and status words: splitting raw card bytes, the status word mapping and its
//! re-encoding, and `exchange`'s 61xx / 6Cxx handling when every answer is hostile.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myna_card::apdu::{Command, Response, StatusWord};
use myna_card::transport::exchange;
use myna_kiosk_fuzz::{Script, ScriptedCard};

fuzz_target!(|data: &[u8]| {
    // One raw answer, as a backend hands it up.
    if let Some(r) = Response::from_bytes(data.to_vec()) {
        assert_eq!(r.data.len(), data.len() - 2);
        let [sw1, sw2] = [data[data.len() - 2], data[data.len() - 1]];
        let sw = StatusWord::from_bytes(sw1, sw2);
        assert_eq!(r.status, sw);
        // The mapping re-encodes to the bytes the card sent (Blocked folds 6983 into 6984).
        let raw = u16::from_be_bytes([sw1, sw2]);
        if raw != 0x6983 {
            assert_eq!(sw.to_u16(), raw, "{sw:?}");
        }
        assert_eq!(sw.to_string(), format!("{raw:04X}").replace("6983", "6984"));
        let _ = sw.is_success();
        // Debug shows sizes, never response data (it may be a signature or a photo).
        let _ = format!("{r:?}");
    } else {
        assert!(data.len() < 2);
    }

    // The same bytes as a conversation: READ BINARY through the one exchange loop.
    let script = Script::parse(data);
    let mut card = ScriptedCard::new(script);
    for cmd in [
        Command::new(0x00, 0xB0, 0, 0).with_le(256),
        Command::new(0x00, 0xB0, 0, 0).with_le(8192).extended(),
        Command::new(0x80, 0x2A, 0, 0x80).with_data(vec![0x30; 51]).with_le(256),
    ] {
        if let Ok(r) = exchange(&mut card, &cmd) {
            assert!(r.data.len() <= myna_card::transport::MAX_CHAINED_RESPONSE + 65_536);
        }
    }
    // Every command the loop sent is one the card could parse.
    for apdu in card.sent() {
        assert!(apdu.len() >= 4);
    }
});

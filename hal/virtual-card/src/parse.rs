//! Command APDUs as the card parses them.

/// A command APDU as the card parses it (ISO 7816-3 cases 1–4, short and extended).
pub(crate) struct ParsedApdu<'a> {
    pub(crate) cla: u8,
    pub(crate) ins: u8,
    pub(crate) p1: u8,
    pub(crate) p2: u8,
    pub(crate) data: &'a [u8],
    pub(crate) le: Option<usize>,
    pub(crate) extended: bool,
}

impl<'a> ParsedApdu<'a> {
    pub(crate) fn parse(apdu: &'a [u8]) -> Option<Self> {
        let (&[cla, ins, p1, p2], body) = (apdu.first_chunk::<4>()?, &apdu[4..]);
        let short_le = |b: u8| if b == 0 { 256 } else { b as usize };
        let ext_le = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
            0 => 65_536,
            n => n as usize,
        };
        let mk = |data, le, extended| Some(ParsedApdu { cla, ins, p1, p2, data, le, extended });
        match body {
            [] => mk(&[], None, false),
            [le] => mk(&[], Some(short_le(*le)), false),
            [0, hi, lo] => mk(&[], Some(ext_le(*hi, *lo)), true),
            [0, hi, lo, rest @ ..] => {
                let lc = u16::from_be_bytes([*hi, *lo]) as usize;
                if lc == 0 {
                    return None;
                }
                match rest.len().checked_sub(lc)? {
                    0 => mk(rest, None, true),
                    2 => mk(&rest[..lc], Some(ext_le(rest[lc], rest[lc + 1])), true),
                    _ => None,
                }
            }
            [lc, rest @ ..] => {
                let lc = *lc as usize;
                match rest.len().checked_sub(lc)? {
                    0 => mk(rest, None, false),
                    1 => mk(&rest[..lc], Some(short_le(rest[lc])), false),
                    _ => None,
                }
            }
        }
    }
}

//! Finding the reader to use.

use pcsc::{Context, Scope, State};

use super::{map_error, quirks};
use myna_card::transport::TransportError;

/// Which reader the kiosk uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderSelector {
    /// Part of the reader's name (case-insensitive), or the exact name with `exact`. Empty:
    /// the first contactless reader, else the first reader.
    pub name: String,
    pub exact: bool,
}

impl ReaderSelector {
    pub fn new(name: impl Into<String>, exact: bool) -> Self {
        ReaderSelector { name: name.into(), exact }
    }

    pub fn matches(&self, reader: &str) -> bool {
        if self.exact {
            reader == self.name
        } else {
            reader.to_lowercase().contains(&self.name.to_lowercase())
        }
    }

    /// The reader to use among `readers` (in pcscd's order).
    pub fn pick<'a>(&self, readers: &'a [String]) -> Option<&'a String> {
        if !self.name.is_empty() {
            return readers.iter().find(|r| self.matches(r));
        }
        readers.iter().find(|r| quirks::looks_contactless(r)).or_else(|| readers.first())
    }
}

/// A reader as pcscd reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderInfo {
    pub name: String,
    pub card_present: bool,
    /// The card's ATR when one is present (informative only).
    pub atr: Vec<u8>,
    pub contactless: bool,
}

/// Every reader pcscd knows, with whether a card is on it. No reader is an empty list.
pub fn list_readers() -> Result<Vec<ReaderInfo>, TransportError> {
    let ctx = Context::establish(Scope::User).map_err(map_error)?;
    let names = match ctx.list_readers_owned() {
        Ok(n) => n,
        Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
        Err(e) => return Err(map_error(e)),
    };
    let mut states: Vec<_> = names.into_iter().map(|n| pcsc::ReaderState::new(n, State::UNAWARE)).collect();
    ctx.get_status_change(std::time::Duration::ZERO, &mut states).map_err(map_error)?;
    Ok(states
        .iter()
        .map(|s| {
            let name = s.name().to_string_lossy().into_owned();
            let card_present = s.event_state().contains(State::PRESENT);
            ReaderInfo {
                contactless: quirks::looks_contactless(&name),
                atr: if card_present { s.atr().to_vec() } else { Vec::new() },
                card_present,
                name,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_configured_part_of_the_name_wins() {
        let r = names(&["Gemalto PC Twin Reader 00 00", "Sony FeliCa RC-S300/P 01 00"]);
        assert_eq!(ReaderSelector::new("rc-s300", false).pick(&r).unwrap(), &r[1]);
        assert_eq!(ReaderSelector::new("RC-S300", true).pick(&r), None);
        assert_eq!(ReaderSelector::new("Sony FeliCa RC-S300/P 01 00", true).pick(&r).unwrap(), &r[1]);
        assert_eq!(ReaderSelector::new("ACR", false).pick(&r), None);
    }

    #[test]
    fn without_a_name_the_first_contactless_then_the_first() {
        let r = names(&["Gemalto PC Twin Reader 00 00", "ACS ACR1252 1S CL Reader PICC 01 00"]);
        assert_eq!(ReaderSelector::default().pick(&r).unwrap(), &r[1]);
        let r = names(&["Virtual PCD 00 00", "Virtual PCD 00 01"]);
        assert_eq!(ReaderSelector::default().pick(&r).unwrap(), &r[0]);
        assert_eq!(ReaderSelector::default().pick(&[]), None);
    }
}

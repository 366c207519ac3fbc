//! `run --mock` (feature `mock`): the in-process virtual reader, the bench tokens it prints,
//! and the automated patient. Nothing here is in the packaged kiosk.

pub mod autopilot;
pub mod reader;
pub mod tokens;

pub use myna_virtual_card::test_trust_anchors;

//! Cross-crate tests live in `tests/tests/`; this library holds what they share: the PC/SC
//! rig (pcscd + vpcd) started by `tests/run-all.sh`.

pub mod bench;
pub mod rig;

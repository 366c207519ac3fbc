//! myna-bridge: the reception PC's side of myna-kiosk's result delivery. It follows each
//! kiosk's `/v1/events` as reception and puts every result into a folder (and, if asked, to a
//! webhook) exactly once, acknowledging it on the kiosk only after that. README "Results into
//! a folder: myna-bridge" is the manual.

pub mod config;
pub mod follower;
pub mod net;
pub mod sse;
pub mod store;

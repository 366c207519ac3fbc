//! The HTTP face of myna-kiosk. It depends on no other workspace crate: the daemon implements
//! [`backend::Backend`] and maps its domain types onto the wire types in [`proto`].

pub mod auth;
pub mod backend;
mod body;
pub mod error;
pub mod kiosk_page;
mod peer;
pub mod problem;
pub mod proto;
mod response;
pub mod router;
pub mod routes;
pub mod server;
mod session_events;
mod sse;
mod state;

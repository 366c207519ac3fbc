//! Who is on the other end of a connection. The server puts it into every request's extensions;
//! the throttles and the kiosk page tell the kiosk's own screen from the LAN by it.

use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Tcp(SocketAddr),
    /// A local process on the Unix socket.
    Unix,
}

impl Peer {
    /// Loopback (127.0.0.0/8, ::1, or ::ffff:127.x) or the Unix socket: this machine.
    pub fn is_local(&self) -> bool {
        match self {
            Peer::Tcp(a) => match a.ip() {
                IpAddr::V4(ip) => ip.is_loopback(),
                IpAddr::V6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
            },
            Peer::Unix => true,
        }
    }
}

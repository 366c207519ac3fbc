//! A TCP proxy the test controls, standing for the clinic LAN between the reception PC and a
//! kiosk: it follows the kiosk to its new port after a restart; a cut drops every open
//! connection and refuses new ones (a switch that resets); a stall forwards nothing, open or
//! new, without closing anything (a pulled cable: only a timeout notices).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Up,
    Cut,
    Stalled,
}

pub struct Proxy {
    pub addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    link: watch::Sender<Link>,
    task: tokio::task::JoinHandle<()>,
}

/// Waits while the link is stalled; `false` if it is cut.
async fn passable(link: &mut watch::Receiver<Link>) -> bool {
    loop {
        match *link.borrow_and_update() {
            Link::Up => return true,
            Link::Cut => return false,
            Link::Stalled => {}
        }
        if link.changed().await.is_err() {
            return false;
        }
    }
}

async fn forward(mut client: TcpStream, to: SocketAddr, mut link: watch::Receiver<Link>) {
    if !passable(&mut link).await {
        return; // the network is down: nothing gets through
    }
    let Ok(mut server) = TcpStream::connect(to).await else { return };
    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
    tokio::pin!(copy);
    loop {
        tokio::select! {
            _ = &mut copy => return,
            // A stall stops polling the copy (nothing moves, both sides stay open); a cut drops
            // both sides mid-stream.
            _ = link.changed() => if !passable(&mut link).await { return },
        }
    }
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(target));
        let (link, _) = watch::channel(Link::Up);
        let (to, watcher) = (target.clone(), link.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let to = *to.lock().unwrap();
                tokio::spawn(forward(client, to, watcher.subscribe()));
            }
        });
        Proxy { addr, target, link, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The kiosk moved (restarted on another port).
    pub fn retarget(&self, to: SocketAddr) {
        *self.target.lock().unwrap() = to;
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        self.link.send_replace(Link::Cut);
    }

    /// Forwards nothing more, closes nothing.
    pub fn stall(&self) {
        self.link.send_replace(Link::Stalled);
    }

    pub fn restore(&self) {
        self.link.send_replace(Link::Up);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

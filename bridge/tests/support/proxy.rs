//! A TCP proxy the test controls, standing for the clinic LAN between the reception PC and a
//! kiosk: it follows the kiosk to its new port after a restart, and a cut drops every open
//! connection and refuses new ones until the network is back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    /// `true` while cut; every change also ends the connections open before it.
    cut: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(target));
        let (cut, _) = watch::channel(false);
        let (to, watcher) = (target.clone(), cut.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let mut cut = watcher.subscribe();
                if *cut.borrow_and_update() {
                    drop(client); // the network is down: nothing gets through
                    continue;
                }
                let to = *to.lock().unwrap();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(to).await else { return };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {} // dropped mid-stream, both ways
                    }
                });
            }
        });
        Proxy { addr, target, cut, task }
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
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

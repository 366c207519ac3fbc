//! The connection loop: hyper 1 over TCP, TLS or a Unix socket, with a header-read timeout, a
//! write-stall timeout, connection limits (overall and per LAN address), and a graceful
//! shutdown that lets in-flight requests finish.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::backend::Backend;
// [`serve`] inserts it into every request's extensions; callers have always found it here.
pub use crate::peer::Peer;
use crate::router::route;
use crate::state::Api;

/// The most a connection buffers of a request head (hyper's floor is 8 KiB); more is 431.
pub const MAX_HEADER_BUFFER: usize = 16 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections from other machines served at once; more are closed at accept.
    pub max_connections: usize,
    /// Connections from this machine (loopback, the Unix socket) served at once, counted apart:
    /// a flood from the LAN never locks the kiosk's own screen out.
    pub max_local_connections: usize,
    /// A client must send its request headers within this time.
    pub header_read_timeout: Duration,
    /// A connection whose answer makes no progress for this long (a client that stops reading,
    /// a tiny receive window) is closed: hyper itself has no write timeout.
    pub write_stall_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_local_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            write_stall_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

impl Limits {
    /// Connections one LAN address may hold at once: a quarter of `max_connections` (at least
    /// one), so one host cannot take every slot and lock reception out.
    pub fn per_address(&self) -> usize {
        (self.max_connections / 4).max(1)
    }
}

/// Counts the LAN connections each address holds; a slot is given back when its [`AddressSlot`]
/// is dropped.
#[derive(Debug, Default)]
pub struct PerAddress {
    held: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in [`PerAddress`].
#[derive(Debug)]
pub struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    /// A slot for `ip`, unless it already holds `cap` connections.
    pub fn try_take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<AddressSlot> {
        // ::ffff:a.b.c.d is the same host as a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(AddressSlot { table: self.clone(), ip })
    }

    /// Connections `ip` holds now.
    pub fn held(&self, ip: IpAddr) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).get(&ip).copied().unwrap_or(0)
    }

    /// Addresses holding a connection now (the table never keeps an address at zero).
    pub fn addresses(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut held = self.table.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

/// Wraps a connection so that a write making no progress for `limit` fails with `TimedOut`
/// (and hyper closes the connection). Any progress starts the clock again; reads are bounded
/// elsewhere (header and body timeouts, hyper's keep-alive idle timeout).
pub struct StallGuard<Io> {
    io: Io,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<Io> StallGuard<Io> {
    pub fn new(io: Io, limit: Duration) -> Self {
        StallGuard { io, limit, stalled: None }
    }

    /// What a write that returned `Pending` becomes: still pending, or timed out.
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading the answer")))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(&mut self, r: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.pending(cx),
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for StallGuard<Io> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for StallGuard<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        self.progress(r, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.progress(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_flush(cx);
        self.progress(r, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_shutdown(cx);
        self.progress(r, cx)
    }
}

/// A connection accepted but not yet ready (a TLS handshake may still be ahead).
pub type Pending<Io> = Pin<Box<dyn Future<Output = io::Result<Io>> + Send>>;

/// What [`Acceptor::accept`] yields: the connection-to-be and who is on the other end
/// (`None`: unknown, never treated as local).
pub struct Accepted<Io> {
    pub io: Pending<Io>,
    pub peer: Option<Peer>,
}

/// Something that yields connections. The handshake runs in the connection's own task, so a
/// slow client cannot hold up the accept loop.
pub trait Acceptor: Send + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&self) -> impl Future<Output = io::Result<Accepted<Self::Io>>> + Send;
}

impl Acceptor for TcpListener {
    type Io = tokio::net::TcpStream;
    async fn accept(&self) -> io::Result<Accepted<Self::Io>> {
        let (s, addr) = TcpListener::accept(self).await?;
        // Small JSON answers and SSE events must not wait for Nagle.
        let _ = s.set_nodelay(true);
        Ok(Accepted { io: Box::pin(std::future::ready(Ok(s))), peer: Some(Peer::Tcp(addr)) })
    }
}

impl Acceptor for UnixListener {
    type Io = tokio::net::UnixStream;
    async fn accept(&self) -> io::Result<Accepted<Self::Io>> {
        let (s, _) = UnixListener::accept(self).await?;
        Ok(Accepted { io: Box::pin(std::future::ready(Ok(s))), peer: Some(Peer::Unix) })
    }
}

/// TCP with TLS (rustls): what a non-loopback bind on the clinic LAN uses.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshake_timeout: Duration,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        TlsListener { tcp, acceptor: TlsAcceptor::from(config), handshake_timeout: Duration::from_secs(10) }
    }
}

impl Acceptor for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    async fn accept(&self) -> io::Result<Accepted<Self::Io>> {
        let (s, addr) = self.tcp.accept().await?;
        let _ = s.set_nodelay(true);
        let acceptor = self.acceptor.clone();
        let limit = self.handshake_timeout;
        let io: Pending<Self::Io> = Box::pin(async move {
            tokio::time::timeout(limit, acceptor.accept(s))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))?
        });
        Ok(Accepted { io, peer: Some(Peer::Tcp(addr)) })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {0}: {1}")]
    Read(String, String),
    #[error("{0} holds no certificate")]
    NoCertificate(String),
    #[error("{0} holds no private key")]
    NoKey(String),
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(String),
}

/// Loads a PEM certificate chain and private key into a TLS server configuration.
pub fn tls_config(
    cert_pem: &std::path::Path,
    key_pem: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let name = |p: &std::path::Path| p.display().to_string();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_pem)
        .map_err(|e| TlsError::Read(name(cert_pem), e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Read(name(cert_pem), e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(name(cert_pem)));
    }
    let key = PrivateKeyDer::from_pem_file(key_pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoKey(name(key_pem)),
        e => TlsError::Read(name(key_pem), e.to_string()),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

/// What a connection holds while it is served: its place in the overall limit and, from the
/// LAN, in its address's.
pub struct Admitted {
    _permit: tokio::sync::OwnedSemaphorePermit,
    _address: Option<AddressSlot>,
}

/// Whether a connection from `peer` may be served: this machine (loopback, the Unix socket)
/// within `max_local_connections`; anyone else within `max_connections` overall and `per_ip`
/// from its address. `None`: close it.
pub fn admit(
    peer: Option<Peer>,
    local: &Arc<Semaphore>,
    remote: &Arc<Semaphore>,
    per_address: &Arc<PerAddress>,
    per_ip: usize,
) -> Option<Admitted> {
    if peer.is_some_and(|p| p.is_local()) {
        return Some(Admitted { _permit: local.clone().try_acquire_owned().ok()?, _address: None });
    }
    // Its address first: a host at its cap must not take an overall slot, even for a moment.
    let address = match peer {
        Some(Peer::Tcp(addr)) => Some(per_address.try_take(addr.ip(), per_ip)?),
        _ => None,
    };
    Some(Admitted { _permit: remote.clone().try_acquire_owned().ok()?, _address: address })
}

/// Serves `api` on `listener` until `shutdown` resolves, then drains for `limits.shutdown_grace`.
pub async fn serve<B: Backend, L: Acceptor>(
    listener: L,
    api: Arc<Api<B>>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let remote_permits = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = Arc::new(PerAddress::default());
    let local_permits = Arc::new(Semaphore::new(limits.max_local_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    // hyper buffers ~400 KiB of unfinished headers per connection by default: a few hundred
    // trickling clients would push the daemon past its MemoryMax. No request of ours needs more.
    http.max_buf_size(MAX_HEADER_BUFFER);
    tokio::pin!(shutdown);
    loop {
        let Accepted { io, peer } = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(permit) = admit(peer, &local_permits, &remote_permits, &per_address, limits.per_address()) else {
            // Over a limit: close at once so one client cannot starve the kiosk or reception.
            drop(io);
            continue;
        };
        let stall_limit = limits.write_stall_timeout;
        let api = api.clone();
        let http = http.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let Ok(io) = io.await else { return };
            let service = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let api = api.clone();
                if let Some(peer) = peer {
                    req.extensions_mut().insert(peer);
                }
                async move { Ok::<_, std::convert::Infallible>(route(&api, req).await) }
            });
            let conn = http.serve_connection(TokioIo::new(StallGuard::new(io, stall_limit)), service);
            let _ = watcher.watch(conn).await;
            drop(permit);
        });
    }
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("shutdown: some connections did not finish in time");
    }
}

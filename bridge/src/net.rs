//! The bridge's HTTP client: one connection per request (hyper 1, HTTP/1.1), plain or TLS
//! through rustls. A LAN kiosk's certificate is trusted by a CA file (or its own self-signed
//! certificate as the anchor, names checked as usual), or pinned by its SHA-256.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};

/// How long a connection (TCP and TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What an `https://` endpoint trusts.
#[derive(Debug, Clone, Default)]
pub struct TlsTrust {
    pub ca: Option<PathBuf>,
    pub pin_sha256: Option<String>,
}

/// A base URL: scheme, host, port and path prefix, with its TLS settings loaded.
#[derive(Clone)]
pub struct Endpoint {
    host: String,
    port: u16,
    prefix: String,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}{}", self.host, self.port, self.prefix)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error("connect: timed out")]
    ConnectTimeout,
    #[error("TLS: {0}")]
    Tls(std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

impl Endpoint {
    /// `http://host[:port][/prefix]` or `https://…` (which needs a CA file or a pin: the
    /// bridge carries no public CA list, a kiosk on the LAN has no public certificate).
    pub fn parse(url: &str, trust: TlsTrust) -> Result<Endpoint, String> {
        let uri: Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("http") => None,
            Some("https") => Some(Arc::new(tls_config(&trust)?)),
            _ => return Err("the URL must start with http:// or https://".into()),
        };
        let host = uri.host().ok_or("the URL has no host")?.trim_matches(['[', ']']).to_string();
        let port = uri.port_u16().unwrap_or(if tls.is_some() { 443 } else { 80 });
        if uri.query().is_some() {
            return Err("the URL must not have a query".into());
        }
        let prefix = uri.path().trim_end_matches('/').to_string();
        Ok(Endpoint { host, port, prefix, tls })
    }

    /// The URL of `path` under this endpoint (for logs).
    pub fn url(&self, path: &str) -> String {
        format!("{self:?}{path}")
    }

    /// Sends `req` on a new connection. Its URI is a path under the prefix (`/` alone: the
    /// endpoint's URL itself, as a webhook is called).
    pub async fn send(&self, mut req: Request<Full<Bytes>>) -> Result<Response<Incoming>, NetError> {
        let path = match req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/") {
            "/" if !self.prefix.is_empty() => self.prefix.clone(),
            p => format!("{}{p}", self.prefix),
        };
        *req.uri_mut() = path.parse().expect("a path that parsed before still parses");
        let host = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        req.headers_mut().insert(http::header::HOST, host.parse().expect("a host that parsed as a URL"));
        let io =
            tokio::time::timeout(CONNECT_TIMEOUT, self.connect()).await.map_err(|_| NetError::ConnectTimeout)??;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
        tokio::spawn(async move {
            // Ends with the response body (or the peer); its error shows on the body read.
            let _ = conn.await;
        });
        Ok(sender.send_request(req).await?)
    }

    async fn connect(&self) -> Result<Box<dyn Io>, NetError> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await.map_err(NetError::Connect)?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else { return Ok(Box::new(tcp)) };
        let name = ServerName::try_from(self.host.clone())
            .map_err(|e| NetError::Tls(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let stream = tokio_rustls::TlsConnector::from(tls.clone()).connect(name, tcp).await.map_err(NetError::Tls)?;
        Ok(Box::new(stream))
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_config(trust: &TlsTrust) -> Result<rustls::ClientConfig, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match (&trust.ca, &trust.pin_sha256) {
        (Some(_), Some(_)) => return Err("give a CA file or a pinned SHA-256, not both".into()),
        (None, None) => return Err("https:// needs a CA file (--ca) or a pinned certificate (--pin-sha256)".into()),
        (Some(ca), None) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{}: {e}", ca.display()))? {
                let cert = cert.map_err(|e| format!("{}: {e}", ca.display()))?;
                roots.add(cert).map_err(|e| format!("{}: {e}", ca.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("{}: no certificate in it", ca.display()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        (None, Some(pin)) => {
            let sha256 = hex::decode(pin.replace(':', "")).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
            let sha256 = sha256.ok_or("the pinned SHA-256 must be 64 hex digits (colons allowed)")?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned { sha256, provider: provider() }))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// Accepts exactly the server certificate whose DER has the pinned SHA-256 (the kiosk's own,
/// often self-signed and reached by IP address, so no name or chain to check); the handshake
/// signatures are still verified by rustls' provider, proving the kiosk holds its key.
#[derive(Debug)]
struct Pinned {
    sha256: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if Sha256::digest(end_entity.as_ref()).as_slice() == self.sha256 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

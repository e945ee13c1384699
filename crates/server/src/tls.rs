//! TLS for the service (rustls, with the *ring* provider): `oncodata serve --tls-cert FILE
//! --tls-key FILE` (PEM) serves HTTPS and Arrow Flight SQL over TLS on the same certificate.
//! Handshakes run beside the accept loop, so that a slow or broken client holds nobody up.
//! TLS 1.2 and 1.3 (rustls's safe defaults); no client certificates.

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish its handshake.
const HANDSHAKE_SECONDS: u64 = 10;

/// The server's TLS configuration from a certificate chain and its private key (PEM files),
/// offering the application protocols `alpn` (`h2` for gRPC, `http/1.1` for the web).
pub fn config(cert: &Path, key: &Path, alpn: &[&[u8]]) -> Result<Arc<ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("{}: not a PEM certificate chain ({e})", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: not a PEM private key ({e})", key.display()))?;
    // rustls 0.23.48 deprecates *ring*'s provider because it offers no post-quantum key exchange
    // (X25519 and the NIST curves only); aws-lc-rs, which does, needs CMake and a C toolchain
    // to build. Classical key exchange until the build can take aws-lc-rs.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("{} and {}: {e}", cert.display(), "the key"))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// A TLS connection, with its client's address.
pub struct Tls {
    stream: TlsStream<TcpStream>,
    /// The client's address.
    pub client: SocketAddr,
}

impl AsyncRead for Tls {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tls {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl tonic::transport::server::Connected for Tls {
    type ConnectInfo = SocketAddr;

    fn connect_info(&self) -> SocketAddr {
        self.client
    }
}

/// The TLS connections a listener accepts, their handshakes done.
pub struct TlsListener {
    ready: mpsc::Receiver<Tls>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `listener`, shaking hands with `config`.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (done, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let Ok((tcp, client)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let (acceptor, done) = (acceptor.clone(), done.clone());
                if done.is_closed() {
                    break;
                }
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(Duration::from_secs(HANDSHAKE_SECONDS), acceptor.accept(tcp));
                    if let Ok(Ok(stream)) = handshake.await {
                        let _ = done.send(Tls { stream, client }).await;
                    }
                });
            }
        });
        Ok(Self { ready, local })
    }

    /// The next connection, or `None` when the accept loop ended.
    pub async fn next(&mut self) -> Option<Tls> {
        self.ready.recv().await
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = Tls;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Tls, SocketAddr) {
        match self.next().await {
            Some(tls) => {
                let client = tls.client;
                (tls, client)
            }
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

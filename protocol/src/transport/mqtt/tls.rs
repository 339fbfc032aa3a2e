//! TLS to the broker (`mqtts://`): the broker's CA, and optionally the
//! client's own certificate and key (mutual TLS, which a broker such as
//! Mosquitto with `require_certificate` and `use_identity_as_username`
//! turns into the client's identity for its access control list).
//!
//! Rustls with the `ring` provider, chosen here rather than taken from a
//! process-wide default, so that the link works whatever else the process
//! links in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::transport::TransportError;

/// The files of a TLS connection to the broker (PEM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttTls {
    /// The CA that signed the broker's certificate.
    pub ca: PathBuf,
    /// This client's certificate and private key, for brokers that ask for one.
    pub identity: Option<(PathBuf, PathBuf)>,
}

fn tls_err(path: &Path, what: &str, e: impl std::fmt::Display) -> TransportError {
    TransportError::Mqtt(format!("{}: {what}: {e}", path.display()))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_err(path, "reading certificates", e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err(path, "expected PEM certificates", e))?;
    if certs.is_empty() {
        return Err(tls_err(path, "expected PEM certificates", "none found"));
    }
    Ok(certs)
}

impl MqttTls {
    /// The rustls client configuration: trusts only [`MqttTls::ca`]
    /// (not the system's roots: a site broker is signed by the site's CA).
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TransportError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in certificates(&self.ca)? {
            roots.add(cert).map_err(|e| tls_err(&self.ca, "not a CA certificate", e))?;
        }
        let builder =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| TransportError::Mqtt(format!("TLS: {e}")))?
                .with_root_certificates(roots);
        match &self.identity {
            None => Ok(builder.with_no_client_auth()),
            Some((cert, key)) => {
                let chain = certificates(cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| tls_err(key, "expected a PEM private key", e))?;
                builder.with_client_auth_cert(chain, key).map_err(|e| tls_err(cert, "certificate and key", e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_bad_files_say_which_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let missing = MqttTls { ca: dir.path().join("nope.pem"), identity: None };
        let e = missing.client_config().unwrap_err().to_string();
        assert!(e.contains("nope.pem") && e.contains("reading certificates"), "{e}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = MqttTls { ca: junk, identity: None }.client_config().unwrap_err().to_string();
        assert!(e.contains("junk.pem") && e.contains("none found"), "{e}");
    }
}

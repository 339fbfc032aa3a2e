//! A certificate authority for trials, and the certificates it issues
//! (rcgen, ECDSA P-256): one per identity, the identity in the common name.
//!
//! Re-running keeps what exists: the CA and every certificate already
//! issued stay; only identities without one get a new certificate. A site
//! with its own PKI puts its files under the same names instead.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose,
};

use super::SecureError;

/// The CA's certificate and key, and where it issues into.
pub struct Pki {
    dir: PathBuf,
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
    days: u32,
}

/// A certificate and its private key, as files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM, readable by the owner only).
    pub key: PathBuf,
}

/// What a certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A server's (the Zenoh router, the broker): its names are its host names and addresses.
    Server,
    /// A client's (the orchestrator, an operator, a vehicle).
    Client,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SecureError + '_ {
    move |source| SecureError::Io { path: path.to_path_buf(), source }
}

fn pki(what: String) -> impl FnOnce(rcgen::Error) -> SecureError {
    move |e| SecureError::Pki(format!("{what}: {e}"))
}

/// Writes `text` to `path`; a private key gets mode 0600.
fn write(path: &Path, text: &str, private: bool) -> Result<(), SecureError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, text).map_err(io(path))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    let _ = private;
    Ok(())
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(i64::from(days.max(1)));
}

impl Pki {
    /// Opens the CA in `dir` (`ca.pem`, `ca-key.pem`), creating one if
    /// there is none. Certificates it issues are valid for `days`.
    pub fn open_or_create(dir: &Path, days: u32) -> Result<Pki, SecureError> {
        let (cert, key) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
        let (ca_pem, signing_key) = if cert.exists() && key.exists() {
            let key_pem = std::fs::read_to_string(&key).map_err(io(&key))?;
            let ca_pem = std::fs::read_to_string(&cert).map_err(io(&cert))?;
            (ca_pem, KeyPair::from_pem(&key_pem).map_err(pki(key.display().to_string()))?)
        } else {
            let signing_key = KeyPair::generate().map_err(pki("a CA key".into()))?;
            let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki("the CA".into()))?;
            params.distinguished_name = DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, "Yardmaster site CA (for trials)");
            params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            validity(&mut params, days.max(365));
            let ca = params.self_signed(&signing_key).map_err(pki("the CA".into()))?;
            write(&key, &signing_key.serialize_pem(), true)?;
            write(&cert, &ca.pem(), false)?;
            (ca.pem(), signing_key)
        };
        let issuer =
            Issuer::from_ca_cert_pem(&ca_pem, signing_key).map_err(pki(cert.display().to_string()))?;
        Ok(Pki { dir: dir.to_path_buf(), ca_pem, issuer, days })
    }

    /// The CA's certificate file.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The CA's certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The certificate `file`.pem (with `file`-key.pem) for `common_name`,
    /// issued now unless it exists. `names` are a server's DNS names and
    /// IP addresses.
    pub fn issue(
        &self,
        file: &str,
        common_name: &str,
        role: Role,
        names: &[String],
    ) -> Result<Identity, SecureError> {
        let identity = Identity {
            cert: self.dir.join(format!("{file}.pem")),
            key: self.dir.join(format!("{file}-key.pem")),
        };
        if identity.cert.exists() && identity.key.exists() {
            return Ok(identity);
        }
        let what = || format!("the certificate of {common_name:?}");
        let key = KeyPair::generate().map_err(pki(what()))?;
        let mut params = CertificateParams::new(match role {
            Role::Server => names.to_vec(),
            Role::Client => Vec::new(),
        })
        .map_err(pki(what()))?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![match role {
            Role::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Role::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }];
        validity(&mut params, self.days);
        let cert = params.signed_by(&key, &self.issuer).map_err(pki(what()))?;
        write(&identity.key, &key.serialize_pem(), true)?;
        write(&identity.cert, &cert.pem(), false)?;
        Ok(identity)
    }
}

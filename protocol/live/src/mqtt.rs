//! The command-line options of a VDA 5050 MQTT connection, the same in
//! `yardmaster serve` and `agv-agent`.

use std::path::PathBuf;

use protocol::transport::TransportError;
use protocol::transport::mqtt::{DEFAULT_INTERFACE, MqttConfig, MqttTls, Version};

/// `--mqtt URL` and what goes with it.
#[derive(clap::Args, Clone, Debug)]
pub struct MqttArgs {
    /// VDA 5050 over this MQTT broker: mqtt://[USER:PASSWORD@]HOST[:PORT],
    /// or mqtts://… for TLS (with --mqtt-ca).
    #[arg(long)]
    pub mqtt: Option<String>,
    /// The MQTT topics' interfaceName.
    #[arg(long, default_value = DEFAULT_INTERFACE)]
    pub mqtt_interface: String,
    /// The MQTT protocol version: 3.1.1 or 5.
    #[arg(long, default_value = "3.1.1")]
    pub mqtt_version: Version,
    /// The CA certificate (PEM) that signed the broker's: connects with TLS.
    #[arg(long)]
    pub mqtt_ca: Option<PathBuf>,
    /// This client's certificate (PEM), for a broker that identifies clients by certificate.
    #[arg(long, requires = "mqtt_key", requires = "mqtt_ca")]
    pub mqtt_cert: Option<PathBuf>,
    /// The private key (PEM) of --mqtt-cert.
    #[arg(long, requires = "mqtt_cert")]
    pub mqtt_key: Option<PathBuf>,
}

impl MqttArgs {
    /// The connection's configuration for this client id, if `--mqtt` was given.
    pub fn config(&self, client_id: &str) -> Result<Option<MqttConfig>, TransportError> {
        let Some(url) = &self.mqtt else { return Ok(None) };
        let mut config = MqttConfig::from_url(url, &self.mqtt_interface, client_id)?;
        config.version = self.mqtt_version;
        Ok(Some(match &self.mqtt_ca {
            Some(ca) => config.with_tls(MqttTls {
                ca: ca.clone(),
                identity: self.mqtt_cert.clone().zip(self.mqtt_key.clone()),
            }),
            None => config,
        }))
    }
}

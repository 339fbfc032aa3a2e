//! The Zenoh side: the router's configuration (TLS with mutual
//! authentication, TLS links only, access control from the fleet list)
//! and each client's (the orchestrator, an operator, each vehicle).
//!
//! Access control runs on the router, on every link, keyed by the
//! certificate's common name; everything not allowed is denied:
//!
//! - a vehicle may publish only its own `state`, `connection`,
//!   `factsheet` and `visualization`, declare only its own liveliness
//!   token, answer queries only on its own `connection` and `factsheet`
//!   (the retained ones), subscribe only to its own `order` and
//!   `instantActions`, and is delivered only those two;
//! - the orchestrator may do anything on `vda5050/**` and `yardmaster/**`
//!   (it alone publishes orders and answers the `yardmaster/{site}/**` API);
//! - an operator may query the site's API and hear its events.
//!
//! What a client is *sent* besides its own data — declarations of who
//! subscribes where, queries for its retained messages — is allowed: it
//! carries nothing the client could act on.

use serde_json::{Value, json};

use super::{Kit, Member, pki::Identity};
use protocol::topic::{ANY_MASTER_PRESENCE, PREFIX};

fn rule(id: &str, flow: &str, messages: &[&str], keys: &[String]) -> Value {
    json!({ "id": id, "flows": [flow], "messages": messages, "key_exprs": keys, "permission": "allow" })
}

/// The rules of one vehicle, named after `subject`.
fn vehicle_rules(subject: &str, m: &Member) -> Vec<Value> {
    let own = |topic: &str| format!("{PREFIX}/{}/{}/{topic}", m.manufacturer, m.serial);
    let any = |topic: &str| format!("{PREFIX}/*/*/{topic}");
    let master = vec![ANY_MASTER_PRESENCE.to_string()];
    vec![
        rule(
            &format!("{subject}/publishes"),
            "ingress",
            &["put"],
            &[own("state"), own("connection"), own("factsheet"), own("visualization")],
        ),
        rule(
            &format!("{subject}/retains"),
            "ingress",
            &["declare_queryable", "reply"],
            &[own("connection"), own("factsheet")],
        ),
        rule(&format!("{subject}/is-present"), "ingress", &["liveliness_token"], &[own("alive")]),
        rule(
            &format!("{subject}/listens"),
            "ingress",
            &["declare_subscriber"],
            &[own("order"), own("instantActions")],
        ),
        rule(
            &format!("{subject}/watches-master"),
            "ingress",
            &["declare_liveliness_subscriber", "liveliness_query"],
            &master,
        ),
        rule(&format!("{subject}/receives"), "egress", &["put"], &[own("order"), own("instantActions")]),
        rule(
            &format!("{subject}/is-asked"),
            "egress",
            &["query"],
            &[own("connection"), own("factsheet"), any("connection"), any("factsheet")],
        ),
        rule(&format!("{subject}/sees-master"), "egress", &["liveliness_token"], &master),
        rule(
            &format!("{subject}/hears-interest"),
            "egress",
            &["declare_subscriber", "declare_queryable", "declare_liveliness_subscriber"],
            &[format!("{PREFIX}/**")],
        ),
    ]
}

const EVERY_MESSAGE: [&str; 9] = [
    "put",
    "delete",
    "declare_subscriber",
    "query",
    "declare_queryable",
    "reply",
    "liveliness_token",
    "declare_liveliness_subscriber",
    "liveliness_query",
];

/// The router's `access_control` section.
pub fn access_control(kit: &Kit) -> Value {
    let mut rules = Vec::new();
    let mut subjects = Vec::new();
    let mut policies = Vec::new();
    let orchestrator_keys = vec![format!("{PREFIX}/**"), "yardmaster/**".to_string()];
    for flow in ["ingress", "egress"] {
        rules.push(rule(&format!("orchestrator/{flow}"), flow, &EVERY_MESSAGE, &orchestrator_keys));
    }
    subjects.push(json!({ "id": "orchestrator", "cert_common_names": [kit.orchestrator_name()] }));
    policies.push(json!({ "id": "orchestrator", "subjects": ["orchestrator"], "rules": ["orchestrator/ingress", "orchestrator/egress"] }));

    let api = vec![protocol::topic::api_keys(&kit.site)];
    rules.push(rule("operator/asks", "ingress", &["query", "declare_subscriber"], &api));
    rules.push(rule(
        "operator/hears",
        "egress",
        &["reply", "put", "declare_queryable", "declare_subscriber"],
        &api,
    ));
    subjects.push(json!({ "id": "operator", "cert_common_names": [kit.operator_name()] }));
    policies.push(
        json!({ "id": "operator", "subjects": ["operator"], "rules": ["operator/asks", "operator/hears"] }),
    );

    for m in kit.fleet.iter().filter(|m| m.transport == orchestrator::fleet::Transport::Zenoh) {
        let subject = m.common_name();
        let these = vehicle_rules(&subject, m);
        let ids: Vec<Value> = these.iter().map(|r| r["id"].clone()).collect();
        rules.extend(these);
        subjects.push(json!({ "id": subject, "cert_common_names": [subject] }));
        policies.push(json!({ "id": subject, "subjects": [subject], "rules": ids }));
    }
    json!({
        "enabled": true,
        "default_permission": "deny",
        "rules": rules,
        "subjects": subjects,
        "policies": policies,
    })
}

/// What every configuration of the kit shares: its mode and endpoints,
/// no scouting, TLS links only with these TLS settings.
fn config(mode: &str, listen: &[&str], connect: &[&str], tls: Value) -> Value {
    json!({
        "mode": mode,
        "listen": { "endpoints": listen },
        "connect": { "endpoints": connect },
        "scouting": { "multicast": { "enabled": false }, "gossip": { "enabled": false } },
        "transport": { "link": { "protocols": ["tls"], "tls": tls } },
    })
}

/// The router's whole configuration: listens on the kit's endpoint, TLS
/// links only, clients must present a certificate of the CA.
pub fn router_config(kit: &Kit, ca: &str, router: &Identity) -> Value {
    let tls = json!({
        "root_ca_certificate": ca,
        "listen_certificate": router.cert.display().to_string(),
        "listen_private_key": router.key.display().to_string(),
        "enable_mtls": true,
        "close_link_on_expiration": true,
    });
    let mut config = config("router", &[&kit.zenoh_listen], &[], tls);
    config["access_control"] = access_control(kit);
    config
}

/// A client's configuration: connects to the router only, over TLS, with
/// its own certificate, and checks the router's name.
pub fn client_config(kit: &Kit, ca: &str, identity: &Identity) -> Value {
    let tls = json!({
        "root_ca_certificate": ca,
        "connect_certificate": identity.cert.display().to_string(),
        "connect_private_key": identity.key.display().to_string(),
        // Present the certificate (without it the client sends none).
        "enable_mtls": true,
        "verify_name_on_connect": true,
        "close_link_on_expiration": true,
    });
    config("client", &[], &[&kit.zenoh_listen], tls)
}

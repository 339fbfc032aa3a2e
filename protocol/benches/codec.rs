//! Codec cost per message: encode and decode a realistic `state` (the
//! orchestrator decodes every state of the fleet), and the slow path that
//! explains a rejected one. `cargo bench -p protocol --bench codec`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use protocol::codec::{DecodeLimits, decode, encode};
mod common;

use common::sample_state;
use protocol::messages::State;
use protocol::topic::{Topic, TopicKey};
use protocol::transport::VehicleId;

fn bench(c: &mut Criterion) {
    let key = TopicKey::new("bench", "V0001", Topic::State).unwrap();
    let state = sample_state(&VehicleId::new("bench", "V0001"), 1);
    let bytes = encode(&state).unwrap();
    let limits = DecodeLimits::default();
    let mut broken: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    broken["nodeStates"][2]["sequenceId"] = serde_json::json!(-1);
    let broken = serde_json::to_vec(&broken).unwrap();
    c.bench_function("state/encode", |b| b.iter(|| encode(black_box(&state)).unwrap()));
    c.bench_function("state/decode", |b| {
        b.iter(|| decode::<State>(&key, black_box(&bytes), &limits).unwrap());
    });
    c.bench_function("state/decode_rejected", |b| {
        b.iter(|| decode::<State>(&key, black_box(&broken), &limits).unwrap_err());
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

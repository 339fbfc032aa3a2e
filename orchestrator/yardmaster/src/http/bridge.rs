//! From the HTTP handlers (async, many) to the serve loop (sync, one):
//! a handler sends a [`Call`] — the core inputs of one request — and
//! waits; the loop drains every call waiting into one [`Batch`], steps
//! the core once with all of them, commits the records and the
//! idempotency keys in one transaction (a group commit), and only then
//! answers. A retried request with the same `Idempotency-Key` gets the
//! first answer back instead of creating its orders again.

use std::ops::Range;
use std::sync::mpsc;

use orchestrator::input::{Input, Reply};
use orchestrator::orders::Millis;
use tokio::sync::oneshot;

use crate::store::{OrderStore, Remembered, StoreError};

/// How one request's replies become its answer (run by the loop, so that
/// the answer can be remembered with the records).
pub type Answerer = fn(&[Input], &[Reply], Millis) -> Answer;

/// An HTTP answer: status and JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body (a problem for 4xx).
    pub body: String,
    /// Replayed from an earlier request with the same idempotency key.
    pub replayed: bool,
}

/// A request's idempotency key and a digest of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyed {
    /// The `Idempotency-Key` header.
    pub key: String,
    /// A digest of method, path and body.
    pub fingerprint: String,
}

/// One request's commands, waiting for the loop.
#[derive(Debug)]
pub struct Call {
    /// The core inputs, in order.
    pub inputs: Vec<Input>,
    /// Its idempotency key, if it has one.
    pub keyed: Option<Keyed>,
    /// How its replies become its answer.
    pub answer: Answerer,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Answer>,
}

/// Calls waiting at most; more are refused with 503 (back-pressure).
pub const QUEUE: usize = 20_000;

/// The handlers' end.
pub type Calls = mpsc::SyncSender<Call>;

/// The loop's end.
pub type Inbox = mpsc::Receiver<Call>;

/// A new channel.
pub fn channel() -> (Calls, Inbox) {
    mpsc::sync_channel(QUEUE)
}

/// The calls one step serves.
#[derive(Debug, Default)]
pub struct Batch {
    calls: Vec<(Call, Range<usize>)>,
    inputs: Vec<Input>,
    /// Answered without stepping (a replayed or conflicting key).
    early: Vec<(oneshot::Sender<Answer>, Answer)>,
}

fn conflict(status: u16, slug: &str, detail: &str) -> Answer {
    let problem = super::problem::Problem::new(
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::CONFLICT),
        slug,
        detail,
    )
    .field("Idempotency-Key");
    Answer { status, body: serde_json::to_string(&problem).unwrap_or_default(), replayed: false }
}

impl Batch {
    /// Every call waiting now. Keys already answered get their first answer
    /// back (or 422 if the request differs); a key twice in one batch gets
    /// 409 the second time, as a request still in flight.
    pub fn drain(inbox: &Inbox, store: &OrderStore) -> Result<Batch, StoreError> {
        let mut batch = Batch::default();
        while let Ok(call) = inbox.try_recv() {
            if let Some(keyed) = &call.keyed {
                if let Some(first) = store.remembered(&keyed.key)? {
                    let answer = if first.fingerprint == keyed.fingerprint {
                        Answer { status: first.status, body: first.body, replayed: true }
                    } else {
                        conflict(
                            422,
                            "idempotency-key-reused",
                            "this Idempotency-Key was used for another request; use a new key for a new request",
                        )
                    };
                    batch.early.push((call.reply, answer));
                    continue;
                }
                if batch.calls.iter().any(|(c, _)| c.keyed.as_ref().is_some_and(|k| k.key == keyed.key)) {
                    let answer = conflict(
                        409,
                        "idempotency-key-in-flight",
                        "a request with this Idempotency-Key is being served; retry once it is answered",
                    );
                    batch.early.push((call.reply, answer));
                    continue;
                }
            }
            let at = batch.inputs.len();
            batch.inputs.extend(call.inputs.iter().cloned());
            batch.calls.push((Call { inputs: Vec::new(), ..call }, at..batch.inputs.len()));
        }
        Ok(batch)
    }

    /// Whether nothing waits (no step needed, nothing to answer).
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.early.is_empty()
    }

    /// Whether the core has inputs to step.
    pub fn has_inputs(&self) -> bool {
        !self.inputs.is_empty()
    }

    /// The inputs to append to a step's (take them once).
    pub fn inputs(&mut self) -> Vec<Input> {
        std::mem::take(&mut self.inputs)
    }

    /// The answers, from this batch's inputs and their replies (the
    /// step's, from where the batch's inputs began), and the keys to commit
    /// with the step's records. Send the answers only once that commit is done.
    pub fn answers(self, inputs: &[Input], replies: &[Reply], now: Millis) -> Answers {
        let mut remember = Vec::new();
        let mut send = self.early;
        for (call, range) in self.calls {
            let answer = match (inputs.get(range.clone()), replies.get(range)) {
                (Some(i), Some(r)) => (call.answer)(i, r, now),
                _ => conflict(503, "unavailable", "the core gave no reply to this request"),
            };
            if let Some(keyed) = call.keyed
                && answer.status < 500
            {
                remember.push((
                    keyed.key,
                    Remembered {
                        fingerprint: keyed.fingerprint,
                        status: answer.status,
                        body: answer.body.clone(),
                        at: now,
                    },
                ));
            }
            send.push((call.reply, answer));
        }
        Answers { remember, send }
    }
}

/// What a batch leaves to do after its step.
#[derive(Debug)]
pub struct Answers {
    /// Idempotency keys to commit with the step's records.
    pub remember: Vec<(String, Remembered)>,
    /// Answers to send once committed.
    pub send: Vec<(oneshot::Sender<Answer>, Answer)>,
}

impl Answers {
    /// Sends every answer (a handler that gave up is no error).
    pub fn send(self) {
        for (reply, answer) in self.send {
            let _ = reply.send(answer);
        }
    }

    /// Tells every waiting handler that the commit failed.
    pub fn fail(self, why: &str) {
        for (reply, _) in self.send {
            let _ = reply.send(conflict(503, "unavailable", why));
        }
    }
}

//! Group commit of webhook deliveries.
//!
//! Each delivery must be durable before its 200, and with
//! `synchronous=FULL` every commit waits for the disk. One transaction per
//! delivery would make the disk's flush time the ceiling of the intake
//! (a few hundred a second on a fast SSD, tens on a slow virtual disk). So
//! one writer task takes every delivery waiting when it starts a
//! transaction, stores them all in it, and answers each handler only after
//! the commit: the same guarantee per delivery, one flush for the batch.

use tokio::sync::{mpsc, oneshot};

use crate::store::{Store, StoredEvent};
use crate::webhooks::Change;

/// The most deliveries committed together.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for the writer before handlers wait to hand theirs in.
const QUEUE: usize = 1024;

/// Why a delivery could not be stored.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct IntakeError(String);

struct Job {
    changes: Vec<Change>,
    received_at: i64,
    reply: oneshot::Sender<Result<Vec<StoredEvent>, IntakeError>>,
}

/// The handle of the writer task; the task ends when every handle is gone.
#[derive(Debug, Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Job")
            .field("changes", &self.changes.len())
            .finish_non_exhaustive()
    }
}

impl Intake {
    /// Starts the writer on the current tokio runtime.
    pub fn start(store: Store) -> Intake {
        let (jobs, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write(store, receiver));
        Intake { jobs }
    }

    /// Stores one delivery's changes; returns the ones that were new once
    /// they are committed.
    pub async fn store(
        &self,
        changes: Vec<Change>,
        received_at: i64,
    ) -> Result<Vec<StoredEvent>, IntakeError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                changes,
                received_at,
                reply,
            })
            .await
            .map_err(|_| IntakeError("the relay is shutting down".to_owned()))?;
        answer
            .await
            .map_err(|_| IntakeError("the event writer stopped".to_owned()))?
    }
}

async fn write(store: Store, mut receiver: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let deliveries: Vec<(&[Change], i64)> = jobs
            .iter()
            .map(|job| (job.changes.as_slice(), job.received_at))
            .collect();
        let outcome = store.insert_deliveries(&deliveries).await;
        drop(deliveries);
        if jobs.len() > 1 {
            tracing::debug!(deliveries = jobs.len(), "committed deliveries together");
        }
        match outcome {
            Ok(stored) => {
                for (job, events) in jobs.drain(..).zip(stored) {
                    let _ = job.reply.send(Ok(events));
                }
            }
            Err(error) => {
                let message = error.to_string();
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(IntakeError(message.clone())));
                }
            }
        }
    }
}

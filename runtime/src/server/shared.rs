//! A journal several receiver processes share ([`SharedJournal`]): the deliveries, the
//! duplicate window, retries with their due times and the failed set live in an engine every
//! process reaches, and workers *claim* due deliveries under a lease instead of taking them
//! from an in-process queue.
//!
//! The rules, whatever the engine:
//! - an admission is committed before the receiver answers 2xx;
//! - a claim makes a delivery invisible to other claims until its lease expires; a worker that
//!   still handles it renews the lease, and a process that dies stops renewing, so its claims
//!   are taken over once their leases expire (never lost; handled twice at most for what was in
//!   flight at the death);
//! - completing, retrying or giving up a delivery applies only while the claim is the worker's
//!   own: a worker whose lease was taken over learns it and does nothing more;
//! - a delivery known only by its body is never a duplicate; an identical body arriving while
//!   one is admitted and not yet claimed by anyone is coalesced with it (the handler that runs
//!   later reads the state after both changes).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::journal::{Admission, Admit, Entry, JournalError};

/// The future of a [`SharedJournal`] call.
pub type JournalFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, JournalError>> + Send + 'a>>;

/// A delivery claimed from a [`SharedJournal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The delivery, with the events earlier attempts handled.
    pub entry: Entry,
    /// Which attempt this claim is: 1 for the first, counting claims whose lease expired.
    pub attempt: u32,
}

/// A durable store of deliveries that several receiver processes share (see the module docs
/// for the rules). Every call is async; a call that returns `Ok` has been committed by the
/// engine.
pub trait SharedJournal: Send + Sync + 'static {
    /// Admits one delivery as [`Admit`] says; a delivery without a key may come back as
    /// [`Admission::Coalesced`] when an identical body waits unclaimed.
    fn admit(&self, admit: Admit) -> JournalFuture<'_, Admission>;
    /// Forgets a duplicate key (the provider's resend of a delivery an inline handler failed).
    fn forget(&self, key: Vec<u8>) -> JournalFuture<'_, ()>;
    /// Claims up to `max` due deliveries for `owner`, each for `lease`, oldest due first.
    fn claim(&self, owner: &str, max: usize, lease: Duration) -> JournalFuture<'_, Vec<Claimed>>;
    /// Extends the leases `owner` holds on `seqs`.
    fn renew(&self, owner: &str, seqs: Vec<u64>, lease: Duration) -> JournalFuture<'_, ()>;
    /// Removes a handled delivery; false when `owner` no longer holds it.
    fn complete(&self, owner: &str, seq: u64) -> JournalFuture<'_, bool>;
    /// Releases a delivery whose handlers failed, due again after `delay`, with the events
    /// handled so far; false when `owner` no longer holds it.
    fn retry(&self, owner: &str, seq: u64, done: Vec<u32>, delay: Duration) -> JournalFuture<'_, bool>;
    /// Moves a delivery to the failed set with the events handled so far; false when `owner`
    /// no longer holds it.
    fn give_up(&self, owner: &str, seq: u64, done: Vec<u32>) -> JournalFuture<'_, bool>;
    /// Waits until new work may be due (an admission anywhere, when the engine says so), or
    /// `timeout` at most.
    fn wait(&self, timeout: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
    /// Number of pending deliveries, claimed or not.
    fn pending_count(&self) -> JournalFuture<'_, u64>;
    /// Deliveries given up on, oldest first.
    fn failed(&self) -> JournalFuture<'_, Vec<Entry>>;
    /// Moves a failed delivery back to the pending set, due now; false when no failed
    /// delivery has that sequence number.
    fn requeue(&self, seq: u64) -> JournalFuture<'_, bool>;
    /// Deletes a failed delivery; false when no failed delivery has that sequence number.
    fn purge(&self, seq: u64) -> JournalFuture<'_, bool>;

    /// The PostgreSQL journal behind this one, whose handlers can write in the transaction
    /// that completes their delivery ([`super::Delivery::pg_transaction`]).
    #[cfg(feature = "postgres")]
    fn postgres(&self) -> Option<&super::PgJournal> {
        None
    }
}

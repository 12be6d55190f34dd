//! Keeps a re-read from the database from undoing a newer local change.
//!
//! Routing and learning settings live in the database and in memory: a
//! change is saved, then applied here, and every host re-reads all of them
//! when one is announced. A re-read whose query began before a local change
//! was saved would, applied after it, put back what that change replaced.

use std::sync::{Mutex, MutexGuard};

/// Counts the local changes of one kind of shared value.
#[derive(Default)]
pub struct LocalWrites(Mutex<u64>);

impl LocalWrites {
    /// Call before a local change is applied (after it is saved); hold the
    /// guard while applying it.
    pub fn write(&self) -> MutexGuard<'_, u64> {
        let mut count = self.lock();
        *count += 1;
        count
    }

    /// Call before re-reading from the database.
    pub fn mark(&self) -> u64 {
        *self.lock()
    }

    /// After the re-read: the guard to hold while applying it, or `None`
    /// when a local change came in between (read again: it is saved now).
    pub fn unchanged_since(&self, mark: u64) -> Option<MutexGuard<'_, u64>> {
        let count = self.lock();
        (*count == mark).then_some(count)
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // A panic while holding it leaves nothing half-done: the count only goes up.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_between_mark_and_apply_asks_for_another_read() {
        let writes = LocalWrites::default();
        let mark = writes.mark();
        drop(writes.write());
        assert!(writes.unchanged_since(mark).is_none());
        let mark = writes.mark();
        assert!(writes.unchanged_since(mark).is_some());
    }
}

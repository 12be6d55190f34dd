//! The scoring slots: how many model calls may run at once, shared fairly
//! between tenants. A call beyond them waits; when a slot frees, it goes to
//! the next tenant in turn among those waiting ([`Fair`]), not to whoever
//! queued first, so a tenant with a thousand calls waiting holds up another
//! tenant's one call by at most one call per slot.

use std::sync::Mutex;

use tokio::sync::oneshot;

use super::fair::Fair;

/// Slots shared fairly between tenants.
pub struct FairSlots {
    state: Mutex<State>,
}

struct State {
    /// Slots no call holds.
    free: usize,
    /// Calls waiting, by tenant; each is handed a slot through its sender.
    waiting: Fair<oneshot::Sender<()>>,
}

/// A held slot: freed (handed to the next tenant in turn) when dropped.
pub struct Slot<'a> {
    slots: &'a FairSlots,
}

impl FairSlots {
    /// `count` slots (at least one).
    pub fn new(count: usize) -> FairSlots {
        FairSlots { state: Mutex::new(State { free: count.max(1), waiting: Fair::default() }) }
    }

    /// A slot for a call of `tenant`'s, waiting for one if none is free.
    pub async fn acquire(&self, tenant: &str) -> Slot<'_> {
        let mut waiting = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.free > 0 {
                state.free -= 1;
                return Slot { slots: self };
            }
            let (sender, receiver) = oneshot::channel();
            state.waiting.push(tenant, sender);
            Waiting { slots: self, receiver: Some(receiver) }
        };
        if let Some(receiver) = waiting.receiver.as_mut() {
            // A sender is only dropped unsent by a release that found this
            // wait cancelled, which cannot be while it is awaited here.
            let _ = receiver.await;
        }
        waiting.receiver = None;
        Slot { slots: self }
    }

    /// Hands a freed slot to the next waiting call in turn, or keeps it free.
    fn release(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(waiter) = state.waiting.pop() {
            // A waiter whose call was cancelled is skipped.
            if waiter.send(()).is_ok() {
                return;
            }
        }
        state.free += 1;
    }
}

/// A call waiting for a slot. Dropped before it got one (the call was
/// cancelled), it gives back a slot that was handed to it meanwhile.
struct Waiting<'a> {
    slots: &'a FairSlots,
    receiver: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut receiver) = self.receiver.take() {
            receiver.close();
            if receiver.try_recv().is_ok() {
                self.slots.release();
            }
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.release();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::FairSlots;

    #[tokio::test]
    async fn a_freed_slot_goes_to_the_next_tenant_in_turn_not_to_the_first_in_line() {
        let slots = Arc::new(FairSlots::new(1));
        let held = slots.acquire("a").await;
        let (order, mut served) = tokio::sync::mpsc::unbounded_channel();
        let mut calls = Vec::new();
        for (n, tenant) in ["a", "a", "a", "b"].into_iter().enumerate() {
            let (slots, order) = (slots.clone(), order.clone());
            calls.push(tokio::spawn(async move {
                let _slot = slots.acquire(tenant).await;
                order.send(format!("{tenant}{n}")).unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            // Queued in this order.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(held);
        for call in calls {
            call.await.unwrap();
        }
        let mut seen = Vec::new();
        while let Ok(call) = served.try_recv() {
            seen.push(call);
        }
        assert_eq!(seen, ["a0", "b3", "a1", "a2"], "b waited for one of a's calls, not three");
    }

    #[tokio::test]
    async fn a_cancelled_wait_gives_its_slot_to_the_next() {
        let slots = FairSlots::new(1);
        let held = slots.acquire("a").await;
        let cancelled = tokio::time::timeout(Duration::from_millis(10), slots.acquire("b")).await;
        assert!(cancelled.is_err());
        drop(held);
        let _again = tokio::time::timeout(Duration::from_secs(1), slots.acquire("c")).await.expect("the slot is free");
    }
}

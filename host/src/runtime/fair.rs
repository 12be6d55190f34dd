//! Round-robin between tenants: what keeps one tenant's burst from
//! queueing another tenant's work behind it, in the queue's in-process
//! lanes and in the scoring slots.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

/// Items queued per tenant, taken round-robin: one from each tenant in
/// turn, starting after the tenant served last.
#[derive(Debug)]
pub struct Fair<T> {
    queues: BTreeMap<String, VecDeque<T>>,
    last: Option<String>,
    len: usize,
}

impl<T> Default for Fair<T> {
    fn default() -> Fair<T> {
        Fair { queues: BTreeMap::new(), last: None, len: 0 }
    }
}

impl<T> Fair<T> {
    /// Queues `item` for `tenant`.
    pub fn push(&mut self, tenant: &str, item: T) {
        self.queues.entry(tenant.to_string()).or_default().push_back(item);
        self.len += 1;
    }

    /// Items queued, every tenant's.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next item, in turn.
    pub fn pop(&mut self) -> Option<T> {
        self.take(1).pop()
    }

    /// Up to `count` items, one per tenant in turn.
    pub fn take(&mut self, count: usize) -> Vec<T> {
        let mut taken = Vec::new();
        while taken.len() < count {
            let after = match &self.last {
                Some(last) => self.queues.range::<str, _>((Bound::Excluded(last.as_str()), Bound::Unbounded)).next(),
                None => None,
            };
            let Some(tenant) = after.or_else(|| self.queues.iter().next()).map(|(t, _)| t.clone()) else { break };
            let Some(queue) = self.queues.get_mut(&tenant) else { break };
            if let Some(item) = queue.pop_front() {
                taken.push(item);
                self.len -= 1;
            }
            if queue.is_empty() {
                self.queues.remove(&tenant);
            }
            self.last = Some(tenant);
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::Fair;

    #[test]
    fn a_tenant_with_one_item_waits_for_one_turn_not_for_a_burst() {
        let mut fair = Fair::default();
        for n in 0..1000 {
            fair.push("a", format!("a{n}"));
        }
        fair.push("b", "b0".to_string());
        fair.push("c", "c0".to_string());
        assert_eq!(fair.take(4), ["a0", "b0", "c0", "a1"]);
        fair.push("b", "b1".to_string());
        assert_eq!(fair.take(3), ["b1", "a2", "a3"], "the turn goes on after the tenant served last");
        assert_eq!(fair.len(), 996);
        assert_eq!(fair.take(2000).len(), 996);
        assert!(fair.is_empty());
        assert!(fair.take(5).is_empty());
    }
}

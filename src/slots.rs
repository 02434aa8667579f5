//! A limit on how many of one kind of heavy blocking work run at once
//! (picture decoding, argon2): the rest wait on a condition variable, so
//! memory is bounded by the limit rather than by how many threads ask.

use std::sync::{Condvar, Mutex};

/// The count of work under way; `take` waits for a free slot.
pub struct Slots {
    busy: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    pub const fn new() -> Slots {
        Slots {
            busy: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Waits until fewer than `most` are under way, then counts this one
    /// until the returned guard drops.
    pub fn take(&self, most: usize) -> Slot<'_> {
        // Only a counter is guarded: a poisoned lock is still whole.
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= most.max(1) {
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        Slot(self)
    }
}

impl Default for Slots {
    fn default() -> Slots {
        Slots::new()
    }
}

pub struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut busy = self.0.busy.lock().unwrap_or_else(|e| e.into_inner());
        *busy = busy.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_than_the_limit_at_once() {
        static SLOTS: Slots = Slots::new();
        static NOW: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    let _slot = SLOTS.take(2);
                    let n = NOW.fetch_add(1, Ordering::SeqCst) + 1;
                    MOST.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    NOW.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            assert!(t.join().is_ok());
        }
        assert_eq!(MOST.load(Ordering::SeqCst), 2);
    }
}

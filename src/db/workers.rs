//! The threads that do database work: one per pooled connection, started
//! with the pool and kept for its life.
//!
//! Why not the executor's blocking pool: it starts a thread for every task
//! that finds none idle, per worker, and lets idle ones exit after seconds.
//! After a county notice that meant a dozen or more threads coming and
//! going, each leaving its allocator caches (Rust's and SQLite's) behind;
//! fixed threads keep the memory flat. Work beyond the threads waits in the
//! queue, in order, on no thread at all.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Why work given to the threads brought no answer.
#[derive(Debug, thiserror::Error)]
pub enum Lost {
    #[error("the database threads have stopped")]
    Stopped,
    #[error("database work panicked")]
    Panicked,
}

#[derive(Clone)]
pub struct Workers {
    queue: mpsc::Sender<Job>,
}

impl Workers {
    /// Starts `n` threads named `{name}-{i}`; they end when the last
    /// `Workers` handle is dropped.
    pub fn start(n: usize, name: &str) -> std::io::Result<Workers> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for i in 0..n.max(1) {
            let jobs = Arc::clone(&jobs);
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job;
                    // a job never panics (it catches), so it is never poisoned
                    // by one, and a poisoned receiver is still whole.
                    let next = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })?;
        }
        Ok(Workers { queue })
    }

    /// Runs `f` on one of the threads and waits for its answer. Work whose
    /// asker has gone (a box that hung up) before a thread is free is
    /// skipped.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Lost>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            if tx.is_closed() {
                return;
            }
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        });
        self.queue.send(job).map_err(|_| Lost::Stopped)?;
        match rx.await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(Lost::Panicked),
            Err(_) => Err(Lost::Stopped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[actix_web::test]
    async fn work_runs_on_the_fixed_threads_only_and_survives_a_panic() {
        let workers = Workers::start(2, "test-db").unwrap();
        let busy = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut runs = Vec::new();
        for _ in 0..8 {
            let (busy, most) = (busy.clone(), most.clone());
            runs.push(workers.run(move || {
                let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                busy.fetch_sub(1, Ordering::SeqCst);
                std::thread::current().name().unwrap_or("").to_string()
            }));
        }
        let names: HashSet<String> = futures_util::future::join_all(runs)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(most.load(Ordering::SeqCst), 2, "two threads, two at once");
        assert!(names.iter().all(|n| n.starts_with("test-db-")), "{names:?}");
        assert!(matches!(
            workers.run(|| panic!("boom")).await,
            Err(Lost::Panicked)
        ));
        assert_eq!(
            workers.run(|| 7).await.unwrap(),
            7,
            "threads outlive a panic"
        );
    }
}

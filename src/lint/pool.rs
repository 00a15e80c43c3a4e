//! The render workers of a lint run: a queue of jobs that workers take as they free up,
//! and a channel of results that the linting thread reads in whatever order they finish.
//!
//! Jobs are submitted while the linting thread is still preparing (the default and
//! values-matrix renders before the chart's toggles are even detected), and the linting
//! thread parses each finished render while the others are still rendering, so neither
//! side waits for the other more than it must. Template values are `!Send`, so jobs and
//! results are plain data; everything built from a result stays on the linting thread.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Condvar, Mutex};

/// Templates recurse through `include` up to Helm's limit of 1000 levels: workers get the
/// same stack as the main thread (reserved, not used).
const STACK_SIZE: usize = 256 * 1024 * 1024;

/// Jobs not taken yet, and whether more may come.
struct State<J> {
    jobs: VecDeque<(usize, J)>,
    closed: bool,
}

/// A blocking job queue shared by the workers.
pub struct Queue<J> {
    state: Mutex<State<J>>,
    ready: Condvar,
}

impl<J> Queue<J> {
    pub fn new() -> Self {
        Queue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }

    fn push(&self, id: usize, job: J) {
        if let Ok(mut s) = self.state.lock() {
            s.jobs.push_back((id, job));
        }
        self.ready.notify_one();
    }

    /// No more jobs: workers finish what is queued and stop. With `discard`, what is
    /// queued is dropped too (the run is over).
    fn close(&self, discard: bool) {
        if let Ok(mut s) = self.state.lock() {
            s.closed = true;
            if discard {
                s.jobs.clear();
            }
        }
        self.ready.notify_all();
    }

    /// The next job, waiting for one; `None` once the queue is closed and empty.
    fn pop(&self) -> Option<(usize, J)> {
        let mut s = self.state.lock().ok()?;
        loop {
            if let Some(job) = s.jobs.pop_front() {
                return Some(job);
            }
            if s.closed {
                return None;
            }
            s = self.ready.wait(s).ok()?;
        }
    }
}

impl<J> Default for Queue<J> {
    fn default() -> Self {
        Self::new()
    }
}

/// The linting thread's handle on the workers: submit jobs, receive results by id.
pub struct Pool<'q, J, R> {
    queue: &'q Queue<J>,
    results: Receiver<(usize, R)>,
    /// Results received while waiting for others.
    early: HashMap<usize, R>,
    next_id: usize,
    /// Whether any worker could be started (if none, jobs run on the calling thread).
    workers: usize,
    run: fn(&J) -> R,
}

impl<'q, J: Send, R: Send> Pool<'q, J, R> {
    /// Start `workers` threads in `scope` that run `run` on each job of `queue`.
    pub fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        queue: &'q Queue<J>,
        workers: usize,
        run: fn(&J) -> R,
    ) -> Self
    where
        'q: 'scope,
        J: 'scope,
        R: 'scope,
    {
        let (tx, rx) = channel::<(usize, R)>();
        let mut started = 0;
        for _ in 0..workers {
            let tx = tx.clone();
            let spawned = std::thread::Builder::new()
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, move || {
                    while let Some((id, job)) = queue.pop() {
                        if tx.send((id, run(&job))).is_err() {
                            break;
                        }
                    }
                });
            if spawned.is_ok() {
                started += 1;
            }
        }
        Pool {
            queue,
            results: rx,
            early: HashMap::new(),
            next_id: 0,
            workers: started,
            run,
        }
    }

    /// Queue a job; its result is asked for by the returned id.
    pub fn submit(&mut self, job: J) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        if self.workers == 0 {
            // No threads: run it now, on this thread.
            let out = (self.run)(&job);
            self.early.insert(id, out);
        } else {
            self.queue.push(id, job);
        }
        id
    }

    /// The result of one of `ids` (whichever is ready first), waiting if none is.
    /// `None` when none of them can arrive any more (a worker died).
    pub fn next_of(&mut self, ids: &[usize]) -> Option<(usize, R)> {
        if let Some(&id) = ids.iter().find(|id| self.early.contains_key(id)) {
            return self.early.remove(&id).map(|r| (id, r));
        }
        loop {
            let (id, r) = self.results.recv().ok()?;
            if ids.contains(&id) {
                return Some((id, r));
            }
            self.early.insert(id, r);
        }
    }
}

impl<J, R> Drop for Pool<'_, J, R> {
    /// Workers stop when the linting side is done (or gave up on an error): nothing left
    /// to render is rendered, and the scope's join cannot wait on an open queue.
    fn drop(&mut self) {
        self.queue.close(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: &u64) -> u64 {
        x * x
    }

    #[test]
    fn results_arrive_by_id_in_any_order() {
        let queue = Queue::new();
        let got = std::thread::scope(|scope| {
            let mut pool = Pool::start(scope, &queue, 2, square);
            let a: Vec<usize> = (1..=5).map(|x| pool.submit(x)).collect();
            let b: Vec<usize> = (6..=8).map(|x| pool.submit(x)).collect();
            // Ask for the later batch first: the earlier results wait in the pool.
            let mut second: Vec<u64> = (0..b.len())
                .filter_map(|_| pool.next_of(&b).map(|(_, r)| r))
                .collect();
            second.sort_unstable();
            let mut first: Vec<(usize, u64)> =
                (0..a.len()).filter_map(|_| pool.next_of(&a)).collect();
            first.sort_unstable();
            (first, second)
        });
        assert_eq!(got.1, vec![36, 49, 64]);
        assert_eq!(got.0, vec![(0, 1), (1, 4), (2, 9), (3, 16), (4, 25)]);
    }

    #[test]
    fn without_workers_jobs_run_inline() {
        let queue = Queue::new();
        std::thread::scope(|scope| {
            let mut pool = Pool::start(scope, &queue, 0, square);
            let id = pool.submit(3);
            assert_eq!(pool.next_of(&[id]), Some((id, 9)));
        });
    }

    #[test]
    fn dropping_the_pool_stops_idle_workers() {
        let queue: Queue<u64> = Queue::new();
        // The scope only ends if the workers see the queue closed.
        std::thread::scope(|scope| {
            let _pool = Pool::start(scope, &queue, 2, square);
        });
    }
}

//! The streamer: the engine under out-of-core expressions and table queries.
//!
//! Work is a sequence of jobs (slabs: chunk-aligned row ranges). One I/O thread runs `fetch`
//! for each job in order: what must happen under the HDF5 library's lock (locating chunks,
//! copying raw bytes). Worker threads run `work` on fetched jobs in any order: decoding,
//! evaluating, encoding. The calling thread runs `sink` on the results in job order: writing
//! chunks, folding reductions, handing rows on. A fixed number of credits bounds the jobs
//! between `fetch` and `sink`, so memory stays flat however many jobs there are.
//!
//! The first error, by job order, stops everything and is returned; jobs after it are never
//! sunk.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{bounded, unbounded};

use crate::error::{Error, Result};

/// What the sink wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// Enough: stop reading (the jobs in flight are dropped).
    Stop,
}

/// A callback told how far a long evaluation or scan has come: (jobs done, jobs in all).
/// It runs on the thread that sinks results, once per slab.
#[derive(Clone)]
pub struct Progress(std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>);

impl Progress {
    /// A progress callback, called with (slabs done, slabs in all).
    pub fn new(f: impl Fn(u64, u64) + Send + Sync + 'static) -> Progress {
        Progress(std::sync::Arc::new(f))
    }

    /// Reports progress.
    pub fn tell(&self, done: u64, total: u64) {
        (self.0)(done, total)
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// How many threads and jobs in flight, and who hears of progress.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    pub workers: usize,
    /// Jobs between fetch and sink at most.
    pub window: usize,
    pub progress: Option<Progress>,
}

impl Shape {
    pub fn new(threads: Option<usize>, progress: Option<Progress>) -> Shape {
        let workers = threads.unwrap_or_else(rayon::current_num_threads).max(1);
        Shape { workers, window: 3 * workers, progress }
    }
}

/// Runs `jobs` through fetch (one I/O thread, in order) → work (workers) → sink (this
/// thread, in order). `init` makes each worker's private state (buffers, a VM worker).
pub(crate) fn run<F, S, I, St, W, R, K>(
    jobs: Range<usize>,
    shape: &Shape,
    mut fetch: F,
    init: I,
    work: W,
    mut sink: K,
) -> Result<()>
where
    F: FnMut(usize) -> Result<S> + Send,
    S: Send,
    I: Fn() -> St + Sync,
    W: Fn(usize, S, &mut St) -> Result<R> + Sync,
    R: Send,
    K: FnMut(usize, R) -> Result<Flow>,
{
    if jobs.is_empty() {
        return Ok(());
    }
    let window = shape.window.max(1);
    let stop = AtomicBool::new(false);
    let (credit_tx, credit_rx) = bounded::<()>(window);
    for _ in 0..window {
        let _ = credit_tx.send(());
    }
    let (job_tx, job_rx) = bounded::<(usize, Result<S>)>(window);
    let (done_tx, done_rx) = unbounded::<(usize, Result<R>)>();
    let (stop, work, init) = (&stop, &work, &init);
    std::thread::scope(|scope| {
        let reader_jobs = jobs.clone();
        scope.spawn(move || {
            for i in reader_jobs {
                if credit_rx.recv().is_err() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let fetched = fetch(i);
                let failed = fetched.is_err();
                if job_tx.send((i, fetched)).is_err() || failed {
                    break;
                }
            }
        });
        for _ in 0..shape.workers {
            let job_rx = job_rx.clone();
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut state = init();
                for (i, fetched) in job_rx {
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let r = fetched.and_then(|s| work(i, s, &mut state));
                    if done_tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(job_rx);
        drop(done_tx);
        // The sink: results in job order, one credit back per job consumed.
        let mut pending: BTreeMap<usize, Result<R>> = BTreeMap::new();
        let mut next = jobs.start;
        let outcome = 'sink: loop {
            while let Some(r) = pending.remove(&next) {
                let flow = match r.and_then(|v| sink(next, v)) {
                    Ok(f) => f,
                    Err(e) => break 'sink Err(e),
                };
                next += 1;
                if let Some(p) = &shape.progress {
                    p.tell((next - jobs.start) as u64, jobs.len() as u64);
                }
                if flow == Flow::Stop || next == jobs.end {
                    break 'sink Ok(());
                }
                let _ = credit_tx.send(());
            }
            match done_rx.recv() {
                Ok((i, r)) => {
                    pending.insert(i, r);
                }
                Err(_) => break 'sink Err(Error::internal("the streamer's workers stopped early")),
            }
        };
        stop.store(true, Ordering::Relaxed);
        drop(credit_tx);
        drop(done_rx);
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_with_bounded_jobs_in_flight() {
        use std::sync::atomic::AtomicUsize;
        let in_flight = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let mut seen = Vec::new();
        let shape = Shape { workers: 3, window: 4, progress: None };
        run(
            0..200,
            &shape,
            |i| {
                let n = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                Ok(i)
            },
            || (),
            |i, s, _| {
                // Uneven work, so workers finish out of order.
                std::thread::sleep(std::time::Duration::from_micros(((i * 37) % 5) as u64 * 50));
                Ok(s * 2)
            },
            |i, r| {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                assert_eq!(r, i * 2);
                seen.push(i);
                Ok(Flow::Continue)
            },
        )
        .unwrap();
        assert_eq!(seen, (0..200).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 4, "peak {}", peak.load(Ordering::SeqCst));
    }

    #[test]
    fn the_first_error_by_job_order_wins_and_stop_ends_early() {
        let r = run(
            0..100,
            &Shape { workers: 2, window: 4, progress: None },
            Ok,
            || (),
            |i, _, _| if i == 7 || i == 30 { Err(Error::range(format!("job {i}"))) } else { Ok(i) },
            |_, _| Ok(Flow::Continue),
        );
        assert_eq!(r.unwrap_err().to_string(), Error::range("job 7").to_string());
        let mut sunk = 0;
        run(
            0..1000,
            &Shape { workers: 2, window: 4, progress: None },
            Ok,
            || (),
            |i, _, _| Ok(i),
            |i, _| {
                sunk += 1;
                Ok(if i == 10 { Flow::Stop } else { Flow::Continue })
            },
        )
        .unwrap();
        assert_eq!(sunk, 11);
    }
}

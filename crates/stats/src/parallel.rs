//! Work split over the machine's cores: chunks handed out one at a time to a thread per core,
//! results returned in chunk order (the scan statistic's windows, replicates and cylinders).

/// The number of threads to use: the machine's cores.
pub fn threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Runs `work(chunk)` for chunks `0..chunks` on every core, each chunk once, and returns the
/// results in chunk order.
pub fn in_parallel<T: Send>(chunks: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    in_parallel_with(chunks, || (), |_, k| work(k))
}

/// [`in_parallel`] with a state per thread, made once by `init` and handed to each of that
/// thread's chunks (buffers reused from chunk to chunk instead of allocated and faulted in again).
pub fn in_parallel_with<S, T: Send>(
    chunks: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> T + Sync,
) -> Vec<T> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads().min(chunks.max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut state = init();
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if k >= chunks {
                            return mine;
                        }
                        mine.push((k, work(&mut state, k)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a worker thread panicked")).collect()
    });
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, t)| t).collect()
}

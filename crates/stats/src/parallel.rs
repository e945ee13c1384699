//! Work split over the machine's cores: chunks handed out one at a time to a thread per core,
//! results returned in chunk order (the scan statistic's windows, replicates and cylinders), or
//! handed on in order as they are ready (blocks of output, [`in_order`]).

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

/// Makes block `k` of bytes with `work(k, buffer)` for blocks `0..blocks` on every core and hands
/// each to `consume` in block order, as soon as it and those before it are made, while the next
/// are being made: output formatted on every core and written in order, without waiting for
/// the slowest block of a batch. At most two blocks per core are made ahead of the one being
/// consumed, in buffers given back and reused: taken from `spare` and left there for the next
/// call (threads end with each call, and an allocator keeps the pages of buffers a finished
/// thread made). The first error (of a block in order, or of `consume`) stops the work and is
/// returned.
pub fn in_order<E: Send>(
    blocks: usize,
    spare: &mut Vec<Vec<u8>>,
    work: impl Fn(usize, &mut Vec<u8>) -> Result<(), E> + Sync,
    mut consume: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    use std::collections::BTreeMap;
    use std::sync::{Condvar, Mutex};
    struct Shared<E> {
        /// The next block to make.
        next: usize,
        /// Blocks consumed so far.
        consumed: usize,
        /// Blocks made, not yet consumed (a panic in `work` as its payload, raised again here).
        made: BTreeMap<usize, std::thread::Result<Result<Vec<u8>, E>>>,
        spare: Vec<Vec<u8>>,
        stop: bool,
    }
    let ahead = 2 * threads();
    let kept = std::mem::take(spare);
    let shared = Mutex::new(Shared { next: 0, consumed: 0, made: BTreeMap::new(), spare: kept, stop: false });
    let (made, room) = (Condvar::new(), Condvar::new());
    let lock = || shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let outcome = std::thread::scope(|s| {
        for _ in 0..threads().min(blocks) {
            s.spawn(|| {
                loop {
                    let mut state = lock();
                    while !state.stop && state.next < blocks && state.next >= state.consumed + ahead {
                        state = room.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
                    }
                    if state.stop || state.next >= blocks {
                        return;
                    }
                    let k = state.next;
                    state.next += 1;
                    let mut buffer = state.spare.pop().unwrap_or_default();
                    drop(state);
                    buffer.clear();
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(k, &mut buffer)))
                        .map(|r| r.map(|()| buffer));
                    lock().made.insert(k, result);
                    made.notify_one();
                }
            });
        }
        let mut outcome = Ok(());
        for k in 0..blocks {
            let mut state = lock();
            let block = loop {
                if let Some(block) = state.made.remove(&k) {
                    break block;
                }
                state = made.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
            };
            drop(state);
            let block = block.unwrap_or_else(|panic| {
                lock().stop = true;
                room.notify_all();
                std::panic::resume_unwind(panic)
            });
            let result = block.and_then(|buffer| consume(&buffer).map(|()| buffer));
            let mut state = lock();
            state.consumed = k + 1;
            match result {
                Ok(buffer) => state.spare.push(buffer),
                Err(e) => {
                    state.stop = true;
                    outcome = Err(e);
                }
            }
            drop(state);
            room.notify_all();
            if outcome.is_err() {
                break;
            }
        }
        outcome
    });
    let state = shared.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    *spare = state.spare;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks made at uneven speeds reach the consumer in order; the first error of a block
    /// or of the consumer is returned and ends the work.
    #[test]
    fn blocks_are_consumed_in_order_and_errors_stop_the_work() {
        let work = |k: usize, buffer: &mut Vec<u8>| -> Result<(), String> {
            std::thread::sleep(std::time::Duration::from_micros((k * 7919 % 13) as u64 * 50));
            buffer.extend_from_slice(format!("{k};").as_bytes());
            if k == 500 { Err("block 500".into()) } else { Ok(()) }
        };
        let mut out = Vec::new();
        in_order(300, &mut Vec::new(), work, |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        let expected: String = (0..300).map(|k| format!("{k};")).collect();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        let mut seen = 0;
        let stop = in_order(800, &mut Vec::new(), work, |_| {
            seen += 1;
            Ok(())
        });
        assert_eq!(stop, Err("block 500".to_string()));
        assert_eq!(seen, 500);
        let mut seen = 0;
        let stop = in_order(800, &mut Vec::new(), work, |_| {
            seen += 1;
            if seen == 10 { Err("consumer".to_string()) } else { Ok(()) }
        });
        assert_eq!((stop, seen), (Err("consumer".to_string()), 10));
    }

    /// A panic while a block is made is raised again in the caller, not left to hang it.
    #[test]
    fn a_panic_in_a_block_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            in_order(
                50,
                &mut Vec::new(),
                |k, _: &mut Vec<u8>| -> Result<(), ()> {
                    assert_ne!(k, 20, "block 20");
                    Ok(())
                },
                |_| Ok(()),
            )
        });
        assert!(caught.is_err());
    }
}

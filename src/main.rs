//! `kubectl-opm`: parse arguments, run the command, map errors to exit codes
//! (0 ok, 1 findings, 2 bad input or usage, 3 environment).

mod fast_alloc;

#[global_allocator]
static ALLOCATOR: fast_alloc::FastAlloc = fast_alloc::FastAlloc::new();

/// Templates recurse through `include` up to Helm's limit of 1000 levels; give the work a
/// stack that holds that in any build (the memory is only reserved, not used).
const STACK_SIZE: usize = 256 * 1024 * 1024;

fn main() {
    // What still goes to the C library's allocator (its own buffers, `opendir`'s) comes
    // from one arena: a thread's first call would otherwise reserve an arena of its own,
    // mapping and unmapping tens of megabytes while the other threads wait on the
    // address-space lock.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a tunable; no allocation is in flight on another thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
    // Everything, argument parsing included, runs on the worker: each thread's heap maps
    // its own first chunks, and the main thread now needs next to none.
    let (detach, detached) = std::sync::mpsc::channel::<()>();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || work(detach));
    let handle = match worker {
        Ok(handle) => handle,
        Err(err) => {
            eprintln!("Error: cannot start the worker thread: {err}");
            std::process::exit(3);
        }
    };
    if detached.recv().is_ok() {
        // A render ends the process from its worker. A process ends only once every one
        // of its threads has, and a thread asleep on an idle CPU of a virtual machine can
        // take a millisecond to be run just to end: so this one ends now, while the
        // render runs. Only the thread ends (no unwinding, nothing of the process is
        // released), and the worker catches its own panics, so the exit code is always
        // the worker's.
        #[cfg(target_os = "linux")]
        // SAFETY: ends the calling thread only. Nothing on this thread's stack is used by
        // another thread (the worker owns its closure's captures), and glibc is never asked
        // about this thread again.
        unsafe {
            libc::syscall(libc::SYS_exit, 0);
        }
    }
    // Other commands: wait here (the worker ends the process itself).
    let code = match handle.join() {
        Ok(never) => match never {},
        Err(_) => {
            eprintln!("{PANICKED}");
            2
        }
    };
    std::process::exit(code);
}

const PANICKED: &str = "Error: internal error: the command panicked";

/// The worker thread: parse the arguments, run the command, and exit with its code. Tells
/// `main` through `detach` when it may end before the process does (a render).
fn work(detach: std::sync::mpsc::Sender<()>) -> std::convert::Infallible {
    let code = match std::panic::catch_unwind(move || run(detach)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("{PANICKED}");
            2
        }
    };
    // Exit from here: handing the code to the main thread would wake it first, and a
    // waiting CPU on a virtual machine can take a millisecond to run it. (`exit` flushes
    // standard output.)
    std::process::exit(code)
}

fn run(detach: std::sync::mpsc::Sender<()>) -> i32 {
    let cli = opm::cli::parse();
    if let opm::cli::Command::Render(args) = &cli.command {
        // A plain render renders once and exits: the OS reclaims its memory faster than
        // freeing it piece by piece would.
        if args.values_matrix.is_none() {
            opm::render::teardown::skip_teardown();
        }
        let _ = detach.send(());
    }
    match opm::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", opm::cli::format_error(&err));
            err.exit_code()
        }
    }
}

/// The binary's linkage (build.rs): GCC's unwinder is linked statically on glibc targets.
#[cfg(test)]
mod linkage_tests {
    /// The worker's exit code for a panic depends on catching it.
    #[test]
    fn panics_still_unwind_and_are_caught() {
        let caught = std::panic::catch_unwind(|| -> i32 { panic!("unwinds") });
        let payload = caught.expect_err("the panic is caught");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"unwinds"));
    }

    /// `libgcc_s.so.1` probes the CPU when it loads (slow on virtual machines); the static
    /// unwinder ahead of it means it is never loaded.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn libgcc_s_is_not_loaded() {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("readable");
        assert!(maps.contains("libc.so"), "a dynamically linked test binary");
        assert!(!maps.contains("libgcc_s"), "{maps}");
    }
}

/// The allocator's tests live here: the benchmark includes `fast_alloc.rs` too.
#[cfg(test)]
mod tests {
    use super::fast_alloc::*;
    use std::alloc::{GlobalAlloc, Layout};
    use std::ptr;

    #[test]
    fn classes_cover_their_sizes() {
        for size in 1..=LARGE_MAX {
            let layout = Layout::from_size_align(size, 8).unwrap();
            let class = class_of(layout).unwrap();
            assert!(class < CLASSES);
            assert!(class_size(class) >= size, "{size}");
            if class > 0 {
                assert!(class_size(class - 1) < size, "{size}");
            }
        }
        assert_eq!(
            class_of(Layout::from_size_align(LARGE_MAX + 1, 8).unwrap()),
            None
        );
        assert_eq!(class_of(Layout::from_size_align(64, 32).unwrap()), None);
    }

    #[test]
    fn blocks_are_reused_and_distinct() {
        let a = FastAlloc::new();
        let layout = Layout::from_size_align(40, 8).unwrap();
        unsafe {
            let p = a.alloc(layout);
            let q = a.alloc(layout);
            assert_ne!(p, q);
            assert_eq!(p as usize % ALIGN, 0);
            a.dealloc(p, layout);
            assert_eq!(a.alloc(layout), p);
            let grown = a.realloc(q, layout, 48);
            assert_eq!(grown, q, "same class: grown in place");
            ptr::write_bytes(grown, 7, 48);
            let big = a.realloc(grown, Layout::from_size_align(48, 8).unwrap(), 5000);
            assert_eq!(*big.add(47), 7);
            a.dealloc(big, Layout::from_size_align(5000, 8).unwrap());
            let z = a.alloc_zeroed(Layout::from_size_align(5000, 8).unwrap());
            assert!(std::slice::from_raw_parts(z, 5000).iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn blocks_across_many_chunks_stay_intact() {
        // 12 MiB of the largest class, over dozens of chunks. Every block is filled with its
        // own byte and checked after all are allocated, so overlapping blocks or chunks too
        // short would show.
        let a = FastAlloc::new();
        let layout = Layout::from_size_align(CHUNKED_MAX, 16).unwrap();
        let blocks: Vec<*mut u8> = (0..192)
            .map(|i| unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % ALIGN, 0);
                ptr::write_bytes(p, i as u8, CHUNKED_MAX);
                p
            })
            .collect();
        for (i, &p) in blocks.iter().enumerate() {
            let block = unsafe { std::slice::from_raw_parts(p, CHUNKED_MAX) };
            assert!(block.iter().all(|&b| b == i as u8), "block {i} overwritten");
        }
        // Small blocks fill the rest of the last chunk and read back zeroed when asked.
        let small = Layout::from_size_align(24, 8).unwrap();
        for _ in 0..100_000 {
            let z = unsafe { a.alloc_zeroed(small) };
            assert!(unsafe { std::slice::from_raw_parts(z, 24) }
                .iter()
                .all(|&b| b == 0));
        }
        for p in blocks {
            unsafe { a.dealloc(p, layout) };
        }
    }

    #[test]
    fn chunks_taken_at_once_on_many_threads_never_overlap() {
        // 4 threads × 272 blocks of 64 KiB: 68 MiB of chunks, carved concurrently and past
        // the end of at least one 64 MiB region. Every block gets its own byte pattern
        // and is checked once all threads are done, so two threads handed one range (or a
        // chunk running past its region) would show.
        let layout = Layout::from_size_align(CHUNKED_MAX, 16).unwrap();
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                std::thread::spawn(move || {
                    let a = FastAlloc::new();
                    (0..272u16)
                        .map(|i| unsafe {
                            let p = a.alloc(layout);
                            assert!(!p.is_null());
                            assert_eq!(p as usize % ALIGN, 0);
                            // Fresh chunk memory is zeroed.
                            assert_eq!(*p.add(CHUNKED_MAX - 1), 0);
                            ptr::write_bytes(p, (u16::from(t) * 272 + i) as u8, CHUNKED_MAX);
                            p as usize
                        })
                        .collect::<Vec<usize>>()
                })
            })
            .collect();
        let blocks: Vec<Vec<usize>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        for (t, list) in blocks.iter().enumerate() {
            for (i, &p) in list.iter().enumerate() {
                let want = (t * 272 + i) as u8;
                let block = unsafe { std::slice::from_raw_parts(p as *const u8, CHUNKED_MAX) };
                assert!(block.iter().all(|&b| b == want), "thread {t} block {i}");
            }
        }
    }

    #[test]
    fn large_blocks_are_mapped_kept_and_reused() {
        // Blocks between 64 KiB and 256 KiB are mapped one by one; freed ones are handed
        // out again for their class, and moving data between every kind of block keeps it.
        let a = FastAlloc::new();
        let sizes = [CHUNKED_MAX + 1, 100_000, 200_000, LARGE_MAX];
        unsafe {
            let blocks: Vec<(*mut u8, Layout)> = sizes
                .iter()
                .enumerate()
                .map(|(i, &size)| {
                    let layout = Layout::from_size_align(size, 16).unwrap();
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % 4096, 0);
                    // Freshly mapped memory is zeroed.
                    assert_eq!(*p.add(size - 1), 0);
                    ptr::write_bytes(p, i as u8 + 1, size);
                    (p, layout)
                })
                .collect();
            for (i, &(p, layout)) in blocks.iter().enumerate() {
                let block = std::slice::from_raw_parts(p, layout.size());
                assert!(block.iter().all(|&b| b == i as u8 + 1), "block {i}");
            }
            // A freed block comes back for its class; zeroed when asked.
            let (p, layout) = blocks[2];
            a.dealloc(p, layout);
            let same_class = Layout::from_size_align(250_000, 16).unwrap();
            let again = a.alloc_zeroed(same_class);
            assert_eq!(again, p);
            assert!(std::slice::from_raw_parts(again, 250_000)
                .iter()
                .all(|&b| b == 0));
            // Small → large → system-sized → small again, the data carried each time.
            let small = Layout::from_size_align(200, 8).unwrap();
            let s = a.alloc(small);
            ptr::write_bytes(s, 9, 200);
            let large = a.realloc(s, small, 150_000);
            assert_eq!(*large.add(199), 9);
            let huge = a.realloc(large, Layout::from_size_align(150_000, 8).unwrap(), 5 << 20);
            assert_eq!(*huge.add(199), 9);
            let back = a.realloc(huge, Layout::from_size_align(5 << 20, 8).unwrap(), 200);
            assert!(std::slice::from_raw_parts(back, 200)
                .iter()
                .all(|&b| b == 9));
            a.dealloc(back, small);
            for (i, &(p, layout)) in blocks.iter().enumerate() {
                if i != 2 {
                    a.dealloc(p, layout);
                }
            }
            a.dealloc(again, same_class);
        }
    }

    #[test]
    fn exited_threads_give_their_heap_back() {
        // Far more threads than owned heaps, one after the other: each takes a heap and
        // returns it when it exits, so the pool never runs dry.
        for i in 0..200 {
            std::thread::spawn(move || {
                let v: Vec<String> = (0..100).map(|j| format!("{i}-{j}")).collect();
                assert_eq!(v[99], format!("{i}-99"));
            })
            .join()
            .unwrap();
        }
        // Other tests may hold heaps on their threads meanwhile, but not all of them.
        assert!(super::ALLOCATOR.heaps_in_use() < 16);
    }

    #[test]
    fn blocks_freed_on_other_threads_stay_intact() {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<Box<[u8; 48]>>>();
        let producers: Vec<_> = (0..4u8)
            .map(|t| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for round in 0..50u8 {
                        let batch = (0..64).map(|_| Box::new([t ^ round; 48])).collect();
                        tx.send(batch).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut seen = 0;
        let mut kept = Vec::new();
        for batch in rx {
            for b in &batch {
                let first = b[0];
                assert!(b.iter().all(|&x| x == first));
            }
            seen += batch.len();
            // Keep some, free the rest here: freed blocks join this thread's lists and
            // are handed out again below while the kept ones must not change.
            kept.push(batch.into_iter().next().unwrap());
            let reuse: Vec<Box<[u8; 48]>> = (0..32).map(|_| Box::new([0xAA; 48])).collect();
            assert!(reuse.iter().all(|b| b.iter().all(|&x| x == 0xAA)));
        }
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(seen, 4 * 50 * 64);
        for b in &kept {
            let first = b[0];
            assert!(b.iter().all(|&x| x == first));
        }
    }
}

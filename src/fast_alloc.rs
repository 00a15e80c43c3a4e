//! The binary's memory allocator: size classes on free lists, carved from large chunks.
//!
//! A render makes hundreds of thousands of small allocations and frees few of them before
//! the process exits, which is the slow path of a general-purpose allocator (a third of a
//! whole `kubectl-opm render` run went to malloc/free). Here a small allocation is a pop
//! from a free list or a pointer bump, and a free is a push. Freed blocks are reused for
//! allocations of the same class and never returned to the system: right for a
//! command-line process that exits after one command. Blocks above 64 KiB (up to 256 KiB)
//! are mapped one by one like chunks and kept on their class's list when freed; larger
//! ones, or ones aligned above 16, go to the system allocator.
//!
//! Each thread owns a heap of its own from its first allocation until it exits, so the
//! common path takes no lock and no atomic instruction. A block freed on another thread
//! simply joins that thread's free list, since blocks of one class are interchangeable. A
//! heap whose thread has exited goes back to a pool for the next new thread (its free
//! blocks with it); threads beyond the pool share one heap behind a spin lock.
//!
//! Chunks come from the kernel already mapped (on Linux, `MADV_POPULATE_WRITE` over part
//! of a large reserved region): one system call maps a whole chunk, where touching fresh
//! memory page by page costs a page fault each, the largest single cost of a short process
//! that builds a few megabytes of data. Chunks are small (64 KiB, then 128 KiB, then
//! 256 KiB each): where the kernel gives no huge pages (below), every page of a chunk is
//! paid for when it is mapped, used or not.
//! Carving them from one reservation, rather than mapping each on its own, keeps `mmap`
//! (which locks the whole address space, stalling every other thread's page faults) out of
//! a multi-threaded render.
//!
//! Mapping is still paid per 4 KiB page (about a microsecond each on a virtual machine:
//! 3 ms of a 14 MiB render). So the region asks for transparent huge pages
//! (`MADV_HUGEPAGE`): one 2 MiB page costs what ten to fifteen small ones do. Even a small
//! chart's render fills most of its first 2 MiB (three threads each carve their own chunks),
//! so small pages there cost it about 0.3 ms more than one huge page, for 0.2 MiB less
//! peak memory. Where the kernel gives no huge pages, chunks are populated page by page.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};
use std::ptr::{self, null_mut};
use std::sync::atomic::{AtomicBool, Ordering};

/// Sizes up to this are rounded up to a multiple of 16 (64 classes).
const SMALL_MAX: usize = 1024;
const SMALL_CLASSES: usize = SMALL_MAX / 16;
/// Then powers of two: 2, 4, 8, 16, 32 and 64 KiB, carved from a heap's chunks.
pub(crate) const CHUNKED_MAX: usize = 64 * 1024;
const CHUNKED_CLASSES: usize = SMALL_CLASSES + (CHUNKED_MAX / 2048).trailing_zeros() as usize + 1;
/// Then 128 and 256 KiB, each block mapped on its own (as a chunk is) when no freed one
/// is at hand: the values files, lexer buffers and rendered text of a large chart. The
/// system allocator would map (and page-fault in) each of these afresh, and every thread
/// asking it for one got an arena of its own (a 64 MiB reservation). Larger blocks still
/// go to it: mapped whole, a CRD-sized buffer grown by doubling (2, then 4 MiB) would cost
/// more memory than the page faults it saves.
pub(crate) const LARGE_MAX: usize = 256 * 1024;
pub(crate) const CLASSES: usize =
    CHUNKED_CLASSES + (LARGE_MAX / CHUNKED_MAX).trailing_zeros() as usize;
pub(crate) const ALIGN: usize = 16;
/// A heap's first chunk; each next one is twice as large, up to [`MAX_CHUNK`].
const FIRST_CHUNK: usize = 64 * 1024;
const MAX_CHUNK: usize = 256 * 1024;
/// Heaps that threads own; more threads than this at once share [`FastAlloc::shared`].
const OWNED_HEAPS: usize = 32;

/// The class of a request, or `None` for the system allocator. Depends only on the layout,
/// so `dealloc` routes a block exactly as `alloc` did.
#[inline]
pub(crate) fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if layout.align() > ALIGN || size > LARGE_MAX {
        return None;
    }
    if size <= SMALL_MAX {
        return Some(size.max(1).div_ceil(16) - 1);
    }
    // 1025..=2048 → class 64, …, 32769..=65536 → class 69, …, up to 256 KiB → class 71.
    let log2 = usize::BITS - (size - 1).leading_zeros();
    Some(SMALL_CLASSES + (log2 as usize - 11))
}

#[inline]
pub(crate) fn class_size(class: usize) -> usize {
    if class < SMALL_CLASSES {
        (class + 1) * 16
    } else {
        2048 << (class - SMALL_CLASSES)
    }
}

/// `size` bytes of zeroed, 4096-aligned memory that is never given back, or null.
fn new_chunk(size: usize) -> *mut u8 {
    #[cfg(target_os = "linux")]
    {
        linux::new_chunk(size)
    }
    #[cfg(not(target_os = "linux"))]
    {
        // SAFETY: the size is non-zero and the alignment a power of two.
        unsafe { System.alloc_zeroed(Layout::from_size_align_unchecked(size, 4096)) }
    }
}

/// Chunks carved one after another from large reserved regions in huge pages (see the
/// module documentation).
#[cfg(target_os = "linux")]
mod linux {
    use super::SpinLock;
    use std::ptr::{self, null_mut};

    /// A transparent huge page, and the alignment regions get.
    const HUGE_PAGE: usize = 2 << 20;
    /// Address space reserved per region (only what chunks take of it is ever mapped).
    const REGION_SIZE: usize = 64 << 20;

    /// The rest of the current region (`end` is 0 until one is reserved).
    struct Chunks {
        next: usize,
        end: usize,
    }

    static CHUNKS: SpinLock<Chunks> = SpinLock::new(Chunks { next: 0, end: 0 });

    /// `size` bytes of fresh, zeroed and mapped memory, or null.
    ///
    /// Mapping a chunk only populates part of an existing mapping (`madvise`), which shares
    /// the address-space lock with page faults: a separate `mmap` per chunk would take
    /// that lock exclusively, and every other thread touching a new page would wait.
    pub(super) fn new_chunk(size: usize) -> *mut u8 {
        match CHUNKS.with(|c| c.take(size)) {
            Some(chunk) => {
                populate(chunk, size);
                chunk
            }
            // No region could be reserved: a mapping of its own.
            None => map(size, libc::MAP_POPULATE).unwrap_or(null_mut()),
        }
    }

    impl Chunks {
        /// Where the next chunk of `size` bytes goes. Populating it is left to the caller,
        /// outside the lock: a huge page takes long enough to map that another thread
        /// needing a chunk would otherwise wait.
        fn take(&mut self, size: usize) -> Option<*mut u8> {
            if self.end - self.next < size {
                // The rest of the old region (less than a chunk) is never touched.
                let start = reserve_region()?;
                self.next = start;
                self.end = start + REGION_SIZE;
            }
            let chunk = self.next as *mut u8;
            self.next += size;
            Some(chunk)
        }
    }

    /// A fresh private anonymous mapping of `size` bytes (`flags` added), or `None`.
    fn map(size: usize, flags: libc::c_int) -> Option<*mut u8> {
        // SAFETY: an anonymous private mapping has no preconditions; the result is checked.
        let p = unsafe {
            libc::mmap(
                null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | flags,
                -1,
                0,
            )
        };
        (p != libc::MAP_FAILED).then_some(p.cast())
    }

    /// Reserve [`REGION_SIZE`] bytes aligned to a huge page, asking for huge pages (a
    /// kernel without them, or with them disabled, just ignores the advice). Nothing is
    /// mapped yet; the slack for alignment is never touched.
    fn reserve_region() -> Option<usize> {
        let p = map(REGION_SIZE + HUGE_PAGE, libc::MAP_NORESERVE)?;
        let start = (p as usize).next_multiple_of(HUGE_PAGE);
        // SAFETY: the range lies inside the mapping just made. Failure only means no huge
        // pages, which is not an error.
        unsafe { libc::madvise(start as *mut libc::c_void, REGION_SIZE, libc::MADV_HUGEPAGE) };
        Some(start)
    }

    /// Map the pages of `[chunk, chunk + size)` now, in one system call where the kernel
    /// has `MADV_POPULATE_WRITE` (5.14 and later), else by touching each page. In a
    /// huge-page region the first chunk of each 2 MiB maps the whole huge page, and the
    /// next ones find it mapped.
    fn populate(chunk: *mut u8, size: usize) {
        // SAFETY: the range lies in a region this allocator reserved and hands out once.
        let done = unsafe { libc::madvise(chunk.cast(), size, libc::MADV_POPULATE_WRITE) == 0 };
        if !done {
            for offset in (0..size).step_by(4096) {
                // SAFETY: as above; writing the zero the page already holds maps it.
                unsafe { ptr::write_volatile(chunk.add(offset), 0) };
            }
        }
    }
}

struct Heap {
    /// Singly linked free lists: a free block's first word points to the next one.
    free: [*mut u8; CLASSES],
    bump: *mut u8,
    end: *mut u8,
    /// Size of the next chunk to map.
    next_chunk: usize,
}

impl Heap {
    const fn new() -> Self {
        Heap {
            free: [null_mut(); CLASSES],
            bump: null_mut(),
            end: null_mut(),
            next_chunk: FIRST_CHUNK,
        }
    }

    #[inline]
    fn alloc(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            // SAFETY: blocks on a free list are ours, at least 16 bytes, 16-aligned, and
            // hold the next pointer in their first word.
            self.free[class] = unsafe { ptr::read(head.cast::<*mut u8>()) };
            return head;
        }
        let size = class_size(class);
        if class >= CHUNKED_CLASSES {
            // Zeroed and mapped like a chunk; freed blocks go back to this class's list.
            return new_chunk(size);
        }
        if (self.end as usize) - (self.bump as usize) < size {
            let chunk_size = self.next_chunk;
            let chunk = new_chunk(chunk_size);
            if chunk.is_null() {
                return null_mut();
            }
            self.next_chunk = (chunk_size * 2).min(MAX_CHUNK);
            // The rest of the old chunk (less than 64 KiB) is abandoned.
            self.bump = chunk;
            // SAFETY: within (one past the end of) the chunk just mapped.
            self.end = unsafe { chunk.add(chunk_size) };
        }
        let block = self.bump;
        // SAFETY: `size` bytes fit between bump and end (checked above; every chunk holds
        // at least one block of the largest chunked class).
        self.bump = unsafe { block.add(size) };
        block
    }

    #[inline]
    fn free(&mut self, block: *mut u8, class: usize) {
        // SAFETY: the block is ours, at least 16 bytes and 16-aligned, and no longer used.
        unsafe { ptr::write(block.cast::<*mut u8>(), self.free[class]) };
        self.free[class] = block;
    }
}

/// A heap one thread at a time owns (`taken`).
struct OwnedHeap {
    taken: AtomicBool,
    heap: UnsafeCell<Heap>,
}

/// A value behind a spin lock (critical sections are a few instructions, or one system
/// call when a chunk is mapped).
struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached under the lock (`with`).
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    const fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Run `f` with the value locked.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut spins = 0u32;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spins += 1;
            if spins > 64 {
                // The holder may have been preempted: let it run.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        // SAFETY: the lock gives this thread exclusive access until it is released below.
        let r = f(unsafe { &mut *self.value.get() });
        self.locked.store(false, Ordering::Release);
        r
    }
}

/// The allocator (see the module documentation). Meant as the one global allocator of a
/// process: a thread's heap is remembered in a thread-local, and another instance used on
/// the same thread falls back to its own shared heap.
pub struct FastAlloc {
    owned: [OwnedHeap; OWNED_HEAPS],
    /// The heap of threads that own none.
    shared: SpinLock<Heap>,
}

// SAFETY: an owned heap is only touched by the thread that took it (`taken`, with
// acquire/release ordering when it changes hands), the shared heap only under its lock.
unsafe impl Sync for FastAlloc {}

/// This thread's heap: null before its first small allocation, [`SHARED`] when it uses the
/// shared heap, otherwise the `OwnedHeap` it took.
type Mine = *const OwnedHeap;
const SHARED: Mine = ptr::dangling();

/// Gives this thread's heap back to the pool when the thread exits.
struct ReleaseOnExit;

impl Drop for ReleaseOnExit {
    fn drop(&mut self) {
        let mine = MINE.get();
        if !mine.is_null() && mine != SHARED {
            // Whatever the thread allocates from now on comes from the shared heap.
            MINE.set(SHARED);
            // SAFETY: `mine` points into the allocator, a static that outlives the thread.
            unsafe { (*mine).taken.store(false, Ordering::Release) };
        }
    }
}

thread_local! {
    /// Const-initialised without a destructor: usable inside the allocator at any time,
    /// even while the thread's other thread-locals are being destroyed.
    static MINE: Cell<Mine> = const { Cell::new(ptr::null()) };
    static RELEASE: ReleaseOnExit = const { ReleaseOnExit };
}

impl Default for FastAlloc {
    fn default() -> Self {
        Self::new()
    }
}

impl FastAlloc {
    pub const fn new() -> Self {
        FastAlloc {
            owned: [const {
                OwnedHeap {
                    taken: AtomicBool::new(false),
                    heap: UnsafeCell::new(Heap::new()),
                }
            }; OWNED_HEAPS],
            shared: SpinLock::new(Heap::new()),
        }
    }

    /// Whether `mine` is one of this allocator's owned heaps.
    #[inline]
    fn is_ours(&self, mine: Mine) -> bool {
        let first = self.owned.as_ptr() as usize;
        let addr = mine as usize;
        addr >= first && addr < first + OWNED_HEAPS * std::mem::size_of::<OwnedHeap>()
    }

    /// How many owned heaps threads hold right now (the binary's tests; the benchmark,
    /// which includes this file, has none).
    #[cfg(test)]
    #[allow(dead_code)]
    pub(crate) fn heaps_in_use(&self) -> usize {
        self.owned
            .iter()
            .filter(|h| h.taken.load(Ordering::Relaxed))
            .count()
    }

    /// Take a free heap for this thread, or settle for the shared one.
    #[cold]
    fn claim(&self) -> Mine {
        // Registering the exit hook may allocate: that allocation sees SHARED.
        MINE.set(SHARED);
        if RELEASE.try_with(|_| ()).is_err() {
            // The thread is exiting.
            return SHARED;
        }
        for heap in &self.owned {
            if heap
                .taken
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                let mine: Mine = heap;
                MINE.set(mine);
                return mine;
            }
        }
        SHARED
    }

    /// Run `f` on this thread's heap.
    #[inline]
    fn with_heap<R>(&self, f: impl FnOnce(&mut Heap) -> R) -> R {
        let mut mine = MINE.get();
        if mine.is_null() {
            mine = self.claim();
        }
        if self.is_ours(mine) {
            // SAFETY: this thread took the heap (`claim`) and is the only one using it
            // until `ReleaseOnExit` gives it back; allocation never re-enters itself.
            f(unsafe { &mut *(*mine).heap.get() })
        } else {
            self.shared.with(f)
        }
    }
}

// SAFETY: blocks are handed out once until freed, sized and aligned for their layout
// (class sizes are multiples of 16 from 4096-aligned chunks); other requests go to `System`
// and come back to it, since `class_of` depends only on the layout.
unsafe impl GlobalAlloc for FastAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(class) => self.with_heap(|h| h.alloc(class)),
            None => System.alloc(layout),
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some(class) => self.with_heap(|h| h.free(ptr, class)),
            None => System.dealloc(ptr, layout),
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(_) => {
                let p = self.alloc(layout);
                if !p.is_null() {
                    ptr::write_bytes(p, 0, layout.size());
                }
                p
            }
            None => System.alloc_zeroed(layout),
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class_of(layout), class_of(new_layout)) {
            (Some(a), Some(b)) if a == b => ptr,
            (None, None) => System.realloc(ptr, layout, new_size),
            _ => {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

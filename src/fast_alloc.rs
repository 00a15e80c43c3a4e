//! The binary's memory allocator: size classes on free lists, carved from large chunks.
//!
//! A render makes hundreds of thousands of small allocations and frees few of them before
//! the process exits, which is the slow path of a general-purpose allocator (a third of a
//! whole `kubectl-opm render` run went to malloc/free). Here a small allocation is a pop
//! from a free list or a pointer bump, and a free is a push. Freed blocks are reused for
//! allocations of the same class and never returned to the system: right for a
//! command-line process that exits after one command. Requests above 64 KiB or with an
//! alignment above 16 go to the system allocator.
//!
//! Threads get one of a few heaps (each behind its own spin lock) when they first allocate,
//! so concurrent renders (a values matrix) rarely contend; a block freed on another thread
//! simply joins that thread's free list, since blocks of one class are interchangeable.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};
use std::ptr::{self, null_mut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Sizes up to this are rounded up to a multiple of 16 (64 classes).
const SMALL_MAX: usize = 1024;
const SMALL_CLASSES: usize = SMALL_MAX / 16;
/// Then powers of two: 2, 4, 8, 16, 32 and 64 KiB.
pub(crate) const LARGE_MAX: usize = 64 * 1024;
pub(crate) const CLASSES: usize = SMALL_CLASSES + 6;
pub(crate) const ALIGN: usize = 16;
/// Memory is taken from the system in chunks of this size (1 MiB).
const CHUNK: usize = 1 << 20;
const HEAPS: usize = 8;

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
    // 1025..=2048 → class 64, …, 32769..=65536 → class 69.
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

struct Heap {
    /// Singly linked free lists: a free block's first word points to the next one.
    free: [*mut u8; CLASSES],
    bump: *mut u8,
    end: *mut u8,
}

struct LockedHeap {
    locked: AtomicBool,
    heap: UnsafeCell<Heap>,
}

impl LockedHeap {
    const fn new() -> Self {
        LockedHeap {
            locked: AtomicBool::new(false),
            heap: UnsafeCell::new(Heap {
                free: [null_mut(); CLASSES],
                bump: null_mut(),
                end: null_mut(),
            }),
        }
    }

    /// Run `f` with the heap locked (a spin lock: critical sections are a few instructions).
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut Heap) -> R) -> R {
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
        let r = f(unsafe { &mut *self.heap.get() });
        self.locked.store(false, Ordering::Release);
        r
    }
}

impl Heap {
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
        if (self.end as usize) - (self.bump as usize) < size {
            // SAFETY: CHUNK is non-zero and the alignment a power of two.
            let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, 4096)) };
            if chunk.is_null() {
                return null_mut();
            }
            // The rest of the old chunk (less than 64 KiB) is abandoned.
            self.bump = chunk;
            // SAFETY: within (one past the end of) the chunk just allocated.
            self.end = unsafe { chunk.add(CHUNK) };
        }
        let block = self.bump;
        // SAFETY: `size` bytes fit between bump and end (checked above).
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

/// The allocator (see the module documentation).
pub struct FastAlloc {
    heaps: [LockedHeap; HEAPS],
    next_heap: AtomicUsize,
}

// SAFETY: every heap is only touched under its lock.
unsafe impl Sync for FastAlloc {}

thread_local! {
    /// This thread's heap (`usize::MAX` until its first allocation). A const-initialised
    /// `Cell` has no destructor, so it is usable inside the allocator at any time.
    static HEAP: Cell<usize> = const { Cell::new(usize::MAX) };
}

impl FastAlloc {
    pub const fn new() -> Self {
        FastAlloc {
            heaps: [const { LockedHeap::new() }; HEAPS],
            next_heap: AtomicUsize::new(0),
        }
    }

    #[inline]
    fn heap(&self) -> &LockedHeap {
        let index = HEAP
            .try_with(|h| {
                let mut i = h.get();
                if i == usize::MAX {
                    i = self.next_heap.fetch_add(1, Ordering::Relaxed) % HEAPS;
                    h.set(i);
                }
                i
            })
            .unwrap_or(0);
        &self.heaps[index % HEAPS]
    }
}

// SAFETY: blocks are handed out once until freed, sized and aligned for their layout
// (class sizes are multiples of 16 from 16-aligned chunks); other requests go to `System`
// and come back to it, since `class_of` depends only on the layout.
unsafe impl GlobalAlloc for FastAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(class) => self.heap().with(|h| h.alloc(class)),
            None => System.alloc(layout),
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some(class) => self.heap().with(|h| h.free(ptr, class)),
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

//! Skipping the teardown of a render's big structures when the process is about to exit.
//!
//! A render builds large graphs of small allocations (parsed templates, values, scopes);
//! freeing them one by one costs as much as a fifth of a whole `kubectl-opm render` run,
//! and the operating system reclaims the memory at exit anyway. The binary opts in with
//! [`skip_teardown`] for commands that render once and exit; library users (tests,
//! long-running callers, commands that render many times) get ordinary drops.

use std::sync::atomic::{AtomicBool, Ordering};

static SKIP: AtomicBool = AtomicBool::new(false);

/// Leave the structures of renders unfreed from now on (for a process that renders once
/// and exits).
pub fn skip_teardown() {
    SKIP.store(true, Ordering::Relaxed);
}

/// Drop `value`, or forget it when the process asked to skip teardowns.
pub(crate) fn release<T>(value: T) {
    if SKIP.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

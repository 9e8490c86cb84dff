//! Two jobs side by side: natively the second runs on a thread of its own while the first
//! runs on the caller's; in wasm (one thread), or where no thread can be started, one after
//! the other. The results are the same either way. The `web` build runs them one after the
//! other natively too, so that its native simulation of the tab's memory
//! (`examples/wasm_memory.rs`) allocates in the tab's order.

pub fn beside<A, B: Send>(first: impl FnOnce() -> A, second: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(not(any(target_arch = "wasm32", feature = "web")))]
    {
        // Taken by the thread, or back by this one when no thread could be had.
        let slot = std::sync::Mutex::new(Some(second));
        let take = || slot.lock().ok().and_then(|mut f| f.take());
        let (a, b) = std::thread::scope(|s| {
            let job = std::thread::Builder::new()
                .spawn_scoped(s, || take().map(|f| f()))
                .ok();
            let a = first();
            let b = job.and_then(|j| j.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            (a, b)
        });
        let b = match b {
            Some(b) => b,
            None => take().expect("the job neither ran nor is left")(),
        };
        (a, b)
    }
    #[cfg(any(target_arch = "wasm32", feature = "web"))]
    {
        let a = first();
        (a, second())
    }
}

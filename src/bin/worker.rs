//! Web Worker entry (built by trunk for wasm32): the analysis.

fn main() {
    #[cfg(target_arch = "wasm32")]
    dumpscope::web::worker::run();
}

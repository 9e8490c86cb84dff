//! Web app entry (built by trunk for wasm32): the UI thread.

fn main() {
    #[cfg(target_arch = "wasm32")]
    dumpscope::web::app::run();
}

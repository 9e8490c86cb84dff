// Starts the analysis worker (a classic worker: wasm-bindgen's no-modules output).
importScripts('./worker.js');
// The exports are kept so a benchmark can read the linear memory's size (Playwright
// evaluates in the worker); nothing in the app uses them.
wasm_bindgen({ module_or_path: './worker_bg.wasm' }).then((exports) => {
  self.__dumpscopeWasm = exports;
});

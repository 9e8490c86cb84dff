// Starts the analysis worker (a classic worker: wasm-bindgen's no-modules output).
//
// The page's <meta> Content-Security-Policy does not reach a worker (only HTTP headers on
// the worker script would, and static hosts like GitHub Pages send none), so the worker
// shuts its own doors first: it reads the dump from the File it is given (a stream, and
// FileReaderSync for contents) and talks to the page with postMessage only, and needs the
// network for nothing but its own wasm file.
(() => {
  const same = (u) => new URL(u, self.location.href).origin === self.location.origin;
  const fetchSameOrigin = self.fetch.bind(self);
  self.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!same(url)) {
      return Promise.reject(new TypeError(`dumpscope: off-origin request blocked (${url})`));
    }
    return fetchSameOrigin(input, init);
  };
  for (const api of ['XMLHttpRequest', 'WebSocket', 'EventSource', 'WebTransport']) {
    try {
      delete self[api];
      Object.defineProperty(self, api, { value: undefined, configurable: false, writable: false });
    } catch (e) {
      // Not present in this browser: nothing to close.
    }
  }
})();

importScripts('./worker.js');
self.importScripts = () => {
  throw new TypeError('dumpscope: importScripts is closed after start-up');
};
// The exports are kept so a benchmark can read the linear memory's size (Playwright
// evaluates in the worker); nothing in the app uses them.
wasm_bindgen({ module_or_path: './worker_bg.wasm' }).then((exports) => {
  self.__dumpscopeWasm = exports;
});

// Starts the app's wasm. The CSP allows only this site's own script files, so this file
// replaces trunk's inline loader; trunk writes the hashed names into data attributes.
const tag = document.querySelector('script[data-js]');
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });

// dumpscope's service worker: keeps the app's own files so it opens offline after the
// first visit. Network first (a new build is picked up at once), the cache when offline.
// Only same-origin GETs are touched; dumps opened from disk never pass through here.
const CACHE = 'dumpscope-v1';

// The files every start needs. The hashed app files are read from index.html.
const FIXED = ['./', 'boot.js', 'worker_loader.js', 'worker.js', 'worker_bg.wasm', 'sample.dump'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const index = await fetch('./', { cache: 'no-cache' });
      const html = await index.clone().text();
      await cache.put('./', index);
      // Absolute URLs: addAll() rejects the whole list if two entries are the same file.
      const abs = (u) => new URL(u, self.registration.scope).href;
      const urls = new Set(FIXED.slice(1).map(abs));
      for (const m of html.matchAll(/(?:href|src|data-js|data-wasm)="([^"#:]+)"/g)) {
        urls.add(abs(m[1]));
      }
      await cache.addAll([...urls]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(req);
        if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
        return res;
      } catch (err) {
        const hit =
          (await cache.match(req, { ignoreSearch: true })) ||
          (req.mode === 'navigate' ? await cache.match('./') : undefined);
        if (hit) return hit;
        throw err;
      }
    })(),
  );
});

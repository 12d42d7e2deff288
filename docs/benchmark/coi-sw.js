// Cross-origin isolation for the "Benchmark this device" page on hosts that cannot set
// headers (GitHub Pages): this service worker adds COOP and COEP to every response the page
// gets, so `crossOriginIsolated` becomes true after one reload and ONNX Runtime Web may use
// SharedArrayBuffer, that is WebAssembly threads. The page loads nothing from elsewhere, so
// require-corp blocks nothing. Registered by webbench.js with this folder as its scope.
// The same approach as coi-serviceworker (MIT, github.com/gzuidhof/coi-serviceworker),
// written small for this page.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Chrome throws on this combination (devtools' requests); let the network have it.
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response; // opaque: its headers cannot be changed
      const headers = new Headers(response.headers);
      headers.set("Cross-Origin-Opener-Policy", "same-origin");
      headers.set("Cross-Origin-Embedder-Policy", "require-corp");
      headers.set("Cross-Origin-Resource-Policy", "same-origin");
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    }),
  );
});

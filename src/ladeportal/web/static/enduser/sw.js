/* The app's service worker (scope /app/). It keeps ONLY the static shell: the stylesheet, the
   script, the icons and the offline page. Pages, JSON and the live stream are private and always
   go to the network; when the network is gone, a page request gets the offline page, never a copy
   of someone's data. */
"use strict";

const VERSION = "__APP_VERSION__";
const SHELL_CACHE = "ladeportal-app-shell-" + VERSION;
const OFFLINE_URL = "/app/offline";
const SHELL_FILES = [
  OFFLINE_URL,
  "/static/enduser/app.css?v=" + VERSION,
  "/static/enduser/app.js?v=" + VERSION,
  "/static/enduser/icons/icon.svg",
  "/static/enduser/icons/icon-192.png",
  "/static/enduser/icons/icon-512.png",
];
const SHELL_PREFIX = "/static/enduser/";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== SHELL_CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // network only; the offline page when there is no network
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (url.pathname.startsWith(SHELL_PREFIX)) {
    // static shell: from the cache, else the network (not stored: only the install step stores)
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  // everything else (JSON, the live stream, forms): untouched, network only
});

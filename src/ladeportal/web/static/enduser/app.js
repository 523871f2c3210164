/* The app's one small script: the service worker, one tap per form, the live session stream. Every
   page works without it (forms post, the live page reloads itself). */
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(function () {});
  }

  // A second tap while the first post is on its way does nothing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute("aria-disabled", "true");
  });

  var live = document.querySelector("[data-live]");
  if (live && "EventSource" in window) {
    var refresh = document.querySelector("meta[http-equiv=refresh]");
    if (refresh) refresh.parentNode.removeChild(refresh);
    var source = new EventSource(live.dataset.live);
    source.addEventListener("live", function (message) {
      var data = JSON.parse(message.data);
      ["energy", "power", "duration", "cost"].forEach(function (key) {
        var el = live.querySelector("[data-field=" + key + "]");
        if (el) el.textContent = data[key];
      });
      live.dataset.costMinor = data.cost_minor == null ? "" : String(data.cost_minor);
      if (!data.active) {
        source.close();
        window.location.reload();
      }
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) window.setTimeout(function () { window.location.reload(); }, 5000);
    };
  }
})();

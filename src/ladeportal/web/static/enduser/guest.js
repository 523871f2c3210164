// Keeps the guest's charge page live: the status part is fetched again every few seconds while the
// charge is in progress (paying, starting, charging, settling), and no longer once it has ended.
(function () {
  var live = document.getElementById("live");
  if (!live) return;
  function tick() {
    if (!live.querySelector("[data-refresh]")) return;
    fetch(live.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var wasActive = !!live.querySelector("[data-refresh]");
        live.innerHTML = html;
        // A state that changes the buttons (paid, started, ended) needs the whole page.
        var now = live.querySelector("[data-status]") || live.firstElementChild;
        if (wasActive && now && now.className !== live.dataset.lastClass && live.dataset.lastClass) location.reload();
        live.dataset.lastClass = now ? now.className : "";
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, 4000); });
  }
  var first = live.firstElementChild;
  live.dataset.lastClass = first ? first.className : "";
  setTimeout(tick, 4000);
})();

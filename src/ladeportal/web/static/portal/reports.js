// The reports page's charts: Chart.js (vendored from npm) draws what the page put in #report-data.
// Every chart has a table beside it with the same figures, for screen readers and for copying.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("report-data");
    if (!holder || typeof window.Chart === "undefined") return;
    var data = JSON.parse(holder.textContent);
    var Chart = window.Chart;
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    var blue = "#206bc4", green = "#2fb344", orange = "#f76707";

    var series = document.getElementById("chart-series");
    if (series) {
      new Chart(series, {
        data: {
          labels: data.labels,
          datasets: [
            { type: "bar", label: data.text.energy, data: data.energy_kwh, backgroundColor: blue, yAxisID: "y" },
            { type: "line", label: data.text.revenue, data: data.revenue, borderColor: green, backgroundColor: green, yAxisID: "y1" }
          ]
        },
        options: {
          scales: {
            y: { beginAtZero: true, position: "left" },
            y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } }
          }
        }
      });
    }
    var sites = document.getElementById("chart-sites");
    if (sites) {
      new Chart(sites, {
        type: "bar",
        data: { labels: data.sites, datasets: [{ label: data.text.energy, data: data.site_kwh, backgroundColor: blue }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } } }
      });
    }
    var profile = document.getElementById("chart-profile");
    if (profile) {
      new Chart(profile, {
        type: "bar",
        data: { labels: data.hours, datasets: [{ label: data.text.profile, data: data.profile_kwh, backgroundColor: orange }] },
        options: { plugins: { legend: { display: false } } }
      });
    }
    var script = document.getElementById("reports-script");
    if (script && script.dataset.print === "1") {
      window.setTimeout(function () { window.print(); }, 300);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

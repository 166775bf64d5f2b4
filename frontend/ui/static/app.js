// dhis2sync dashboard behaviour: time zone detection, the activity chart, the log level filter and the
// elapsed-time clock. Everything else is htmx.
(function () {
  "use strict";

  // Store the browser's time zone so the server shows dates in it; reload once when it changes.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var current = (document.cookie.match(/(?:^|; )dhis2sync_tz=([^;]*)/) || [])[1];
    if (tz && decodeURIComponent(current || "") !== tz) {
      document.cookie = "dhis2sync_tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
      if (!sessionStorage.getItem("dhis2sync_tz_reloaded")) {
        sessionStorage.setItem("dhis2sync_tz_reloaded", "1");
        location.reload();
      }
    }
  } catch (e) { /* no Intl: stay in UTC */ }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function formatDuration(ms) {
    var s = Math.max(0, Math.round(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    if (h > 0) return h + " h " + pad(m) + " min";
    if (m > 0) return m + " min " + pad(s % 60) + " s";
    return s + " s";
  }

  function tickElapsed() {
    document.querySelectorAll(".elapsed[data-start]:not([data-end])").forEach(function (el) {
      el.textContent = formatDuration(Date.now() - Date.parse(el.dataset.start));
    });
  }
  setInterval(tickElapsed, 1000);

  function drawChart() {
    var data = document.getElementById("activity-data"), canvas = document.getElementById("activity-chart");
    if (!data || !canvas || typeof Chart === "undefined") return;
    var parsed = JSON.parse(data.textContent);
    var palette = ["#0d6efd", "#20c997", "#6f42c1", "#fd7e14", "#0dcaf0", "#d63384", "#6c757d"];
    (parsed.datasets || []).forEach(function (d, i) { d.backgroundColor = palette[i % palette.length]; d.borderRadius = 3; });
    new Chart(canvas, {
      type: "bar",
      data: parsed,
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: { x: { stacked: true, grid: { display: false } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  function bindLogFilter() {
    var sel = document.getElementById("log-level"), win = document.getElementById("log-window");
    if (!sel || !win) return;
    sel.addEventListener("change", function () { win.dataset.minLevel = sel.value; });
  }

  function followLog(evt) {
    var win = document.getElementById("log-window");
    if (win && evt.detail && evt.detail.elt && evt.detail.elt.id === "log-lines") win.scrollTop = win.scrollHeight;
  }

  function bindAuthType() {
    var form = document.getElementById("instance-form");
    if (!form) return;
    function update() {
      var token = form.querySelector("#auth_token").checked;
      form.querySelectorAll(".auth-basic").forEach(function (el) { el.hidden = token; });
      form.querySelectorAll(".auth-token").forEach(function (el) { el.hidden = !token; });
    }
    form.querySelectorAll("input[name=auth_type]").forEach(function (el) { el.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawChart(); bindLogFilter(); bindAuthType(); tickElapsed();
    var win = document.getElementById("log-window");
    if (win) win.scrollTop = win.scrollHeight;
  });
  document.addEventListener("htmx:sseMessage", followLog);
})();

// Live progress on the Cursor connection page: polls progress.json while a sync is active,
// updates the bar and the per-stream rows, and reloads the page once the run has finished
// (so the status, coverage and recent-runs table are rendered by the server again).
(function () {
  "use strict";
  var section = document.getElementById("sync-status");
  if (!section) return;
  var url = section.getAttribute("data-progress-url");
  var activeRun = section.getAttribute("data-active-run");
  if (!url || !activeRun) return; // nothing running: no polling

  var INTERVAL_MS = 2000;
  var MAX_FAILURES = 10;
  var failures = 0;

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function renderStreams(streams) {
    var body = document.getElementById("stream-rows");
    if (!body) return;
    streams.forEach(function (s) {
      var key = window.CSS && CSS.escape ? CSS.escape(s.key) : s.key;
      var row = body.querySelector('tr[data-stream="' + key + '"]');
      if (!row) {
        row = document.createElement("tr");
        row.setAttribute("data-stream", s.key);
        var th = document.createElement("th");
        th.scope = "row";
        th.textContent = s.label;
        row.appendChild(th);
        ["stream-status", "stream-rows num", "stream-note muted"].forEach(function (cls) {
          var td = document.createElement("td");
          td.className = cls;
          row.appendChild(td);
        });
        body.appendChild(row);
      }
      row.querySelector(".stream-status").textContent =
        s.status + (s.total ? " (" + s.done + "/" + s.total + ")" : "");
      row.querySelector(".stream-rows").textContent = String(s.rows);
      row.querySelector(".stream-note").textContent = s.note || "";
    });
  }

  function render(data) {
    var run = data.run;
    if (!run || String(run.id) !== activeRun || !run.active) {
      window.location.reload();
      return false;
    }
    var bar = document.getElementById("sync-progress");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(run.percent));
      var fill = bar.querySelector(".progress-bar");
      if (fill) fill.style.width = run.percent + "%";
    }
    setText("sync-percent", String(run.percent));
    setText("connection-status", data.connection.status_label);
    if (run.message) setText("sync-message", run.message);
    renderStreams(run.streams || []);
    return true;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        return resp.json();
      })
      .then(function (data) {
        failures = 0;
        if (render(data)) window.setTimeout(poll, INTERVAL_MS);
      })
      .catch(function () {
        // A blip (deploy, network): keep trying for a while, then leave the page as it is.
        failures += 1;
        if (failures < MAX_FAILURES) window.setTimeout(poll, INTERVAL_MS * 2);
      });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();

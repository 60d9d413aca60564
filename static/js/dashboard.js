/* AI analytics pages: draw the server-built Plotly figures, sort small tables, follow a sync.
 * Figures arrive as <script type="application/json" id="fig-…"> elements (Django json_script);
 * plotly.js is served from static/ (never a CDN). */
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
  };

  function drawFigures() {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data || [], figure.layout || {}, CONFIG);
    });
  }

  // Client-side sorting for small tables (class js-sortable): cells carry data-value.
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return "";
    }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    var n = parseFloat(raw);
    return raw !== "" && !isNaN(n) && isFinite(raw) ? n : raw.toLowerCase();
  }

  function sortTable(table, index, th) {
    var body = table.tBodies[0];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index);
      var y = cellValue(b, index);
      if (x === "" && y !== "") return 1; // empty values last either way
      if (y === "" && x !== "") return -1;
      if (x < y) return ascending ? -1 : 1;
      if (x > y) return ascending ? 1 : -1;
      return 0;
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    table.querySelectorAll("th").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function enableSorting() {
    document.querySelectorAll("table.js-sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th, index) {
        var button = th.querySelector("button.sort-btn");
        if (button) {
          button.addEventListener("click", function () {
            sortTable(table, index, th);
          });
        }
      });
    });
  }

  // While a sync runs, poll its progress and reload once it has finished.
  function followSync() {
    var banner = document.querySelector("[data-sync-poll]");
    if (!banner || !window.fetch) {
      return;
    }
    var url = banner.getAttribute("data-sync-poll");
    var bar = banner.querySelector("[data-sync-bar]");
    var text = banner.querySelector("[data-sync-text]");
    var progress = banner.querySelector("[role=progressbar]");
    var timer = window.setInterval(function () {
      window
        .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (state) {
          if (!state) {
            return;
          }
          if (bar) bar.style.width = state.percent + "%";
          if (progress) progress.setAttribute("aria-valuenow", state.percent);
          if (text) text.textContent = state.percent + "% done. Figures fill in as the sync progresses.";
          if (!state.syncing) {
            window.clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () {
          window.clearInterval(timer);
        });
    }, 5000);
  }

  function init() {
    drawFigures();
    enableSorting();
    followSync();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

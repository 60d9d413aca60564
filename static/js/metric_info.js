/* Info controls ({% metric_info %}, web/templatetags/metric_info.py): a disclosure button and
 * its panel. Click or tap toggles it, and so do Enter and Space (native <button> behaviour);
 * Escape closes it and returns focus to its button; a click or tap outside closes it. The
 * panel is positioned fixed next to its button so a scrolling table cannot clip it.
 * No inline script or handler: the CSP allows only scripts from 'self'. */
(function () {
  "use strict";

  var MARGIN = 8;

  function panelOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function openButtons() {
    return document.querySelectorAll("[data-metric-info][aria-expanded='true']");
  }

  function place(button, panel) {
    var rect = button.getBoundingClientRect();
    var width = panel.offsetWidth;
    var height = panel.offsetHeight;
    var left = Math.min(Math.max(MARGIN, rect.left), window.innerWidth - width - MARGIN);
    var top = rect.bottom + 6;
    if (top + height > window.innerHeight - MARGIN && rect.top - height - 6 > MARGIN) {
      top = rect.top - height - 6; // no room below: above the button
    }
    panel.style.left = Math.max(MARGIN, left) + "px";
    panel.style.top = top + "px";
  }

  function close(button, restoreFocus) {
    var panel = panelOf(button);
    button.setAttribute("aria-expanded", "false");
    if (panel) {
      panel.hidden = true;
    }
    if (restoreFocus) {
      button.focus();
    }
  }

  function closeAll(except) {
    openButtons().forEach(function (button) {
      if (button !== except) {
        close(button, false);
      }
    });
  }

  function open(button) {
    var panel = panelOf(button);
    if (!panel) {
      return;
    }
    closeAll(button);
    button.setAttribute("aria-expanded", "true");
    panel.hidden = false;
    place(button, panel);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-metric-info]") : null;
    if (button) {
      event.preventDefault(); // inside a sortable header link: explain, don't sort
      event.stopPropagation();
      if (button.getAttribute("aria-expanded") === "true") {
        close(button, false);
      } else {
        open(button);
      }
      return;
    }
    // A click inside an open panel (selecting text) keeps it; anywhere else closes it.
    if (!(event.target.closest && event.target.closest(".metric-info-panel"))) {
      closeAll(null);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    var buttons = openButtons();
    buttons.forEach(function (button) {
      close(button, true);
    });
  });

  function reposition() {
    openButtons().forEach(function (button) {
      var panel = panelOf(button);
      if (panel) {
        place(button, panel);
      }
    });
  }

  window.addEventListener("resize", reposition);
  window.addEventListener("scroll", reposition, { passive: true, capture: true });
})();

/* Embed every Altair chart of the page with the site's own Vega copy.
 *
 * Charts are written by xaibook.book.altair_setup as an empty
 * <div class="xaibook-chart" id="..."> plus a
 * <script type="application/json" class="xaibook-chart-spec" data-for="...">
 * holding {"spec": <vega-lite>, "options": <vega-embed options>}.
 * xaibook.book.sphinxext loads vega, vega-lite and vega-embed from
 * _static/vendor (deferred, in that order) before this file, on pages with
 * charts only. Nothing is fetched from another host.
 */
(function () {
  "use strict";

  function fail(el, message) {
    el.classList.add("xaibook-chart-error");
    el.textContent = "This chart could not be drawn: " + message;
    console.error("xaibook chart " + el.id + ": " + message);
  }

  // The placeholder is the element just before its spec; the id is only a
  // fallback (the same chart shown twice on a page repeats its id).
  function placeholder(s) {
    var el = s.previousElementSibling;
    if (el && el.classList.contains("xaibook-chart")) return el;
    return document.getElementById(s.getAttribute("data-for"));
  }

  function embedAll() {
    var specs = document.querySelectorAll("script.xaibook-chart-spec");
    if (specs.length && typeof window.vegaEmbed !== "function") {
      specs.forEach(function (s) {
        var el = placeholder(s);
        if (el) fail(el, "vega-embed is not loaded");
      });
      return;
    }
    specs.forEach(function (s) {
      var el = placeholder(s);
      if (!el || el.getAttribute("data-embedded")) return;
      el.setAttribute("data-embedded", "pending");
      var payload;
      try {
        payload = JSON.parse(s.textContent);
      } catch (e) {
        fail(el, "invalid spec (" + e + ")");
        return;
      }
      var target = document.createElement("div");
      el.textContent = "";
      el.appendChild(target);
      window
        .vegaEmbed(target, payload.spec, payload.options || {})
        .then(function (result) {
          el.setAttribute("data-embedded", "done");
          window.xaibookCharts = window.xaibookCharts || [];
          window.xaibookCharts.push({ id: el.id, view: result.view });
        })
        .catch(function (e) {
          fail(el, String(e && e.message ? e.message : e));
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", embedAll);
  } else {
    embedAll();
  }
})();

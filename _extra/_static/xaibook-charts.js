/* Draw the Altair charts of a page with the site's own Vega copy, lazily.
 *
 * Charts are written by xaibook.book.altair_setup as an empty
 * <div class="xaibook-chart" id="..."> plus a
 * <script type="application/json" class="xaibook-chart-spec" data-for="...">
 * holding {"spec": <vega-lite>, "options": <vega-embed options>}.
 *
 * Fast pages (issue 16): nothing is drawn at load. Each chart is drawn when it
 * comes near the viewport (IntersectionObserver), one chart per task, and
 * Vega, Vega-Lite and Vega-Embed are loaded from _static/libs/ (beside this
 * file) only when the first chart is needed. Printing draws every chart
 * first; `window.xaibookDrawAll()` does the same for tests (it returns a
 * promise). Without IntersectionObserver every chart is drawn at once.
 *
 * Charts that fit: a drawn SVG wider than its card is scaled down with its
 * viewBox (xaibook.css: `max-width: 100%; height: auto`), so no chart ever
 * scrolls sideways inside the article, at 1280 px or on a phone. On a phone a
 * grid of panels is first laid out in one column (phoneSpec), so its panels
 * keep their size and their text stays legible.
 *
 * No layout shift: xaibook.book.siteperf sized each placeholder at build time
 * (a box of the chart's own width and aspect ratio, data-width/data-height),
 * so the drawn chart takes the place its placeholder held.
 *
 * Nothing is fetched from another host.
 */
(function () {
  "use strict";

  // --- phones: a grid of panels in one column --------------------------------
  // A chart of several views (hconcat, vconcat, concat, a facet or repeat) is
  // redrawn on a phone as the same panels one under another (hconcat becomes
  // vconcat; concat, facets and repeats get one column), each plot at most
  // PHONE_PANEL px wide, its titles wrapped into lines, legends below it, one
  // entry per line, axis labels cut at PHONE_LABEL px, instead of the whole
  // grid scaled down to the card (text at half size). A pure function of the
  // Vega-Lite spec; chartsize.mjs (Node) calls this same function to size the
  // phone placeholder at build time. A single view is returned unchanged (the
  // object itself): on a phone it is drawn as wide as its card instead.
  var PHONE_PANEL = 180;
  var PHONE_LABEL = 150;
  var TITLE_CHARS = 38;      // a 13-px bold title line in about 300 px
  var SUBTITLE_CHARS = 46;

  function wrapText(text, n) {
    if (Array.isArray(text)) {
      return text.reduce(function (acc, t) { return acc.concat(wrapText(t, n)); }, []);
    }
    if (typeof text !== "string" || text.length <= n) return text;
    var lines = [], line = "";
    text.split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > n) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines;
  }

  function wrapTitle(title) {
    if (typeof title === "string" || Array.isArray(title)) return wrapText(title, TITLE_CHARS);
    if (!title || typeof title !== "object") return title;
    var out = Object.assign({}, title);
    if (out.text !== undefined) out.text = wrapText(out.text, TITLE_CHARS);
    if (out.subtitle !== undefined) out.subtitle = wrapText(out.subtitle, SUBTITLE_CHARS);
    return out;
  }

  function isGrid(s) {
    if (!s || typeof s !== "object") return false;
    if (s.hconcat || s.vconcat || s.concat || s.facet || s.repeat) return true;
    var enc = s.encoding || {};
    return !!(enc.row || enc.column || enc.facet);
  }

  function phoneSpec(spec) {
    if (!isGrid(spec)) return spec;
    function walk(s) {
      if (!s || typeof s !== "object" || Array.isArray(s)) return s;
      var out = Object.assign({}, s);
      if (s.title !== undefined) out.title = wrapTitle(s.title);
      if (typeof s.width === "number" && s.width > PHONE_PANEL) out.width = PHONE_PANEL;
      if (Array.isArray(s.hconcat)) {
        out.vconcat = s.hconcat.map(walk);
        delete out.hconcat;
      }
      if (Array.isArray(s.vconcat)) out.vconcat = s.vconcat.map(walk);
      if (Array.isArray(s.concat)) {
        out.concat = s.concat.map(walk);
        out.columns = 1;
      }
      if (Array.isArray(s.layer)) out.layer = s.layer.map(walk);
      if (s.spec && typeof s.spec === "object") out.spec = walk(s.spec);
      if (s.facet && typeof s.facet === "object") {
        var f = s.facet;
        if (f.column && !f.row) out.facet = f.column;   // one row of panels: wrap it
        if (!f.row) out.columns = 1;
      }
      if (s.repeat && typeof s.repeat === "object") {
        if (Array.isArray(s.repeat)) out.columns = 1;
        else if (Array.isArray(s.repeat.column) && !s.repeat.row) {
          out.repeat = s.repeat.column;
          out.columns = 1;
        }
      }
      var enc = s.encoding;
      if (enc && typeof enc === "object") {
        Object.keys(enc).forEach(function (ch) {
          var lg = enc[ch] && enc[ch].legend;
          if (lg && typeof lg === "object" && /^(top|bottom)$/.test(lg.orient) && !lg.direction) {
            out.encoding = out.encoding === enc ? Object.assign({}, enc) : out.encoding;
            out.encoding[ch] = Object.assign({}, enc[ch], {
              legend: Object.assign({}, lg, { direction: "vertical" }) });
          }
        });
        enc = out.encoding;
        if (enc.column && !enc.row) {
          out.encoding = Object.assign({}, enc, { facet: enc.column });
          delete out.encoding.column;
          out.columns = 1;
        } else if (enc.facet) {
          out.columns = 1;
        }
      }
      return out;
    }
    var result = walk(spec);
    // Legends under the chart, one entry per line (not a row as wide as the
    // grid, nor a column beside it); axis labels at most PHONE_LABEL px.
    var config = Object.assign({}, result.config || {});
    config.legend = Object.assign({ orient: "bottom", direction: "vertical" }, config.legend || {});
    config.axis = Object.assign({}, config.axis || {});
    if (!(config.axis.labelLimit <= PHONE_LABEL)) config.axis.labelLimit = PHONE_LABEL;
    result.config = config;
    return JSON.stringify(result) === JSON.stringify(spec) ? spec : result;
  }

  if (typeof module === "object" && module && module.exports) {
    module.exports = { phoneSpec: phoneSpec };   // Node (chartsize.mjs): no drawing
    return;
  }

  var LIBS = [
    "libs/vega/vega.min.js",
    "libs/vega-lite/vega-lite.min.js",
    "libs/vega-embed/vega-embed.min.js",
  ];
  // Draw a chart when it is within this distance of the viewport.
  var MARGIN = "600px 0px";
  // Chart text in Arial or a font with its metrics (Helvetica, Liberation
  // Sans, Arimo): xaibook.book.siteperf sized the placeholders with them
  // (a chart's own config.font still wins).
  var FONT = 'Arial, Helvetica, "Liberation Sans", Arimo, sans-serif';
  // Phones: as in xaibook.css.
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 576px)") : { matches: false };

  var me = document.currentScript;
  var base = me && me.src ? me.src.replace(/[^/]*(\?.*)?$/, "") : "";

  function fail(el, message) {
    el.classList.add("xaibook-chart-error");
    el.setAttribute("data-embedded", "error");
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

  // --- the libraries, loaded once, in order, on first use -------------------
  var libsPromise = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.async = false;
      tag.onload = resolve;
      tag.onerror = function () {
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(tag);
    });
  }

  function libs() {
    if (typeof window.vegaEmbed === "function") return Promise.resolve();
    if (!libsPromise) {
      if (!base) {
        libsPromise = Promise.reject(new Error("vega-embed is not loaded"));
      } else {
        libsPromise = LIBS.reduce(function (p, path) {
          return p.then(function () {
            return loadScript(base + path);
          });
        }, Promise.resolve()).then(function () {
          if (typeof window.vegaEmbed !== "function") throw new Error("vega-embed is not loaded");
        });
      }
    }
    return libsPromise;
  }

  // --- drawing, one chart per task ------------------------------------------
  var queue = Promise.resolve();

  function nextTask() {
    return new Promise(function (resolve) {
      setTimeout(resolve, 0);
    });
  }

  // A drawn SVG keeps its natural size when it fits, else scales to the card.
  function fit(el) {
    var svg = el.querySelector("svg");
    if (!svg) return;
    var w = parseFloat(svg.getAttribute("width"));
    var h = parseFloat(svg.getAttribute("height"));
    if (w > 0 && h > 0) {
      if (!svg.getAttribute("viewBox")) svg.setAttribute("viewBox", "0 0 " + w + " " + h);
      svg.style.maxWidth = "100%";
      svg.style.height = "auto";
      svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    }
  }

  // A spec the build moved out of the page (xaibook.book.siteperf: large
  // data): a script that sets window.xaibookSpecs[key], loaded once.
  function externalSpec(s) {
    var key = s.getAttribute("data-key");
    var specs = (window.xaibookSpecs = window.xaibookSpecs || {});
    if (specs[key]) return Promise.resolve(specs[key]);
    return loadScript(s.getAttribute("data-src")).then(function () {
      if (!specs[key]) throw new Error("no spec in " + s.getAttribute("data-src"));
      return specs[key];
    });
  }

  function draw(s) {
    var el = placeholder(s);
    if (!el || el.getAttribute("data-embedded")) return Promise.resolve();
    el.setAttribute("data-embedded", "pending");
    if (s.getAttribute("data-src")) {
      return externalSpec(s).then(function (payload) {
        return drawPayload(s, el, payload);
      }, function (e) {
        fail(el, String(e && e.message ? e.message : e));
      });
    }
    var payload;
    try {
      payload = JSON.parse(s.textContent);
    } catch (e) {
      fail(el, "invalid spec (" + e + ")");
      return Promise.resolve();
    }
    return drawPayload(s, el, payload);
  }

  function drawPayload(s, el, payload) {
    // The drawn SVG's aria-label (charts written before descriptions were added).
    if (payload.spec && !payload.spec.description) {
      payload.spec.description = el.getAttribute("aria-label") || "Chart";
    }
    return libs()
      .then(nextTask)
      .then(function () {
        // The card keeps its height (the pre-sized placeholder's) while Vega
        // draws, so nothing below it moves twice.
        var held = el.getBoundingClientRect().height;
        if (held > 0) el.style.minHeight = held + "px";
        var target = document.createElement("div");
        var spec = payload.spec;
        var options = Object.assign({}, payload.options || {});
        options.config = Object.assign({ font: FONT }, options.config || {});
        // On a phone a single chart (not a grid of panels) that is wider than
        // its card is drawn as wide as the card, its text at full size,
        // instead of scaled down (siteperf marked it "xb-fluid" and reserved
        // its unscaled height).
        var fluid = el.querySelector(".xaibook-chart-space.xb-fluid");
        // On a phone a grid of panels wider than the card (siteperf marked it
        // "xb-grid" and sized its placeholder for this layout) is drawn in
        // one column.
        if (PHONE.matches && el.querySelector(".xaibook-chart-space.xb-grid")) {
          spec = phoneSpec(spec);
        }
        if (fluid && PHONE.matches && el.getAttribute("data-width") &&
            +el.getAttribute("data-width") > el.clientWidth - 46) {
          spec = Object.assign({}, spec, { width: "container" });
          target.classList.add("xb-fluid");
          options.config.title = Object.assign({ limit: Math.max(120, el.clientWidth - 60) },
                                               options.config.title || {});
        }
        el.textContent = "";
        el.appendChild(target);
        return window.vegaEmbed(target, spec, options);
      })
      .then(function (result) {
        fit(el);
        el.style.minHeight = "";
        // Every SVG group Vega gives a graphics role gets a name (axe-core
        // svg-img-alt): its role description ("shape mark container", ...).
        el.querySelectorAll("svg [role]:not([aria-label])").forEach(function (g) {
          if (/^(img|graphics-)/.test(g.getAttribute("role"))) {
            g.setAttribute("aria-label", g.getAttribute("aria-roledescription") || "chart element");
          }
        });
        // Vega-Embed's "..." menu: a named button (axe-core summary-name).
        el.querySelectorAll(".vega-embed summary").forEach(function (sm) {
          if (!sm.getAttribute("aria-label")) sm.setAttribute("aria-label", "Export this chart");
        });
        el.setAttribute("data-embedded", "done");
        window.xaibookCharts = window.xaibookCharts || [];
        window.xaibookCharts.push({ id: el.id, view: result.view });
      })
      .catch(function (e) {
        fail(el, String(e && e.message ? e.message : e));
      });
  }

  function enqueue(s) {
    if (s.getAttribute("data-queued")) return queue;
    s.setAttribute("data-queued", "1");
    queue = queue.then(function () {
      return draw(s);
    });
    return queue;
  }

  function specs() {
    return Array.prototype.slice.call(document.querySelectorAll("script.xaibook-chart-spec"));
  }

  function drawAll() {
    specs().forEach(enqueue);
    return queue;
  }
  window.xaibookDrawAll = drawAll;

  function start() {
    var all = specs();
    if (!all.length) return;
    window.addEventListener("beforeprint", drawAll);
    if (!("IntersectionObserver" in window)) {
      drawAll();
      return;
    }
    var bySlot = new Map();
    var io = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          io.unobserve(entry.target);
          var s = bySlot.get(entry.target);
          if (s) enqueue(s);
        });
      },
      { rootMargin: MARGIN }
    );
    all.forEach(function (s) {
      var el = placeholder(s);
      if (!el) return;
      el.setAttribute("data-embedded-lazy", "1");
      bySlot.set(el, s);
      io.observe(el);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// Sizes of Vega-Lite charts, computed at build time (issue 16: placeholders
// pre-sized so that lazy drawing shifts no content).
//
//   node chartsize.mjs NODE_MODULES < {"roots": ["/site/book", ...], "specs": [spec, ...],
//                                       "charts_js": "/book/_extra/_static/xaibook-charts.js"}
//   -> [[width, height, inputs(, phone_width, phone_height)], ...]
//      (null where a chart could not be laid out; inputs: how many parameters
//      are bound to an HTML input below the SVG; phone_*: the size of the same
//      chart laid out for a phone, for a grid of panels that xaibook-charts.js
//      redraws in one column there -- its own phoneSpec, loaded from charts_js)
//
// Runs the site's own pinned Vega and Vega-Lite (from the NODE_MODULES folder
// that scripts/vendor_assets.py installs) headless, renderer "none": the size
// of the SVG Vega draws in the browser. Called by xaibook.book.siteperf.
// Node has no canvas to measure text, so text widths come from Helvetica's
// (= Arial's, Liberation Sans') character widths: xaibook-charts.js draws
// chart text in Arial or a font with its metrics (Vega's own fallback guesses
// 0.8 em per character).
// Relative data URLs are read from the first of `roots` that has the file.
import { readFileSync, existsSync } from "node:fs";
import { resolve, join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const modules = process.argv[2];
const load = (pkg, file) => import(pathToFileURL(join(modules, pkg, file)).href);
const vega = await load("vega", "build/vega.module.js");
const vl = await load("vega-lite", "build/index.js");

const W = [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015,
  667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778,
  722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556,
  500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
  278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584];

function rawWidth(item, s) {
  const size = vega.textMetrics.height(item) || 11;
  const w = String(item.fontWeight || "");
  const bold = w === "bold" || w === "bolder" || Number(w) >= 600;
  let units = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    units += c >= 32 && c <= 126 ? W[c - 32] : 556;
  }
  return (units / 1000) * size * (bold ? 1.06 : 1);
}

// Text cut at the item's `limit` with an ellipsis, as Vega draws it (its
// truncate(), here with these widths): Vega computes text bounds from the
// width function with the whole text, and its own measures cut it first.
function truncated(item, s) {
  const limit = +item.limit;
  if (!(limit > 0) || !s.length || rawWidth(item, s) < limit) return s;
  const ellipsis = item.ellipsis || "\u2026";
  const room = limit - rawWidth(item, ellipsis);
  let lo = 0, hi = s.length;
  if (item.dir === "rtl") {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rawWidth(item, s.slice(mid)) > room) lo = mid + 1; else hi = mid;
    }
    return ellipsis + s.slice(lo);
  }
  while (lo < hi) {
    const mid = 1 + ((lo + hi) >>> 1);
    if (rawWidth(item, s.slice(0, mid)) < room) lo = mid; else hi = mid - 1;
  }
  return s.slice(0, lo) + ellipsis;
}

function textWidth(item, text) {
  return rawWidth(item, truncated(item, text == null ? "" : String(text).trim()));
}
vega.textMetrics.width = textWidth;
vega.textMetrics.estimateWidth = textWidth;

// The font xaibook-charts.js draws with (Arial's metrics, as in W above).
const FONT = 'Arial, Helvetica, "Liberation Sans", Arimo, sans-serif';

const input = JSON.parse(readFileSync(0, "utf8"));
const roots = input.roots || [];

const loader = vega.loader();
const plainLoad = loader.load.bind(loader);
loader.load = async (uri, options) => {
  if (!/^[a-z]+:/i.test(uri) && !uri.startsWith("/")) {
    for (const root of roots) {
      const file = resolve(root, uri.split(/[?#]/)[0]);
      if (existsSync(file)) return readFileSync(file, "utf8");
    }
    throw new Error("no file for " + uri);
  }
  return plainLoad(uri, options);
};

// The browser's own phone layout of a grid of panels (one column).
const phoneSpec = input.charts_js && existsSync(input.charts_js)
  ? createRequire(import.meta.url)(resolve(input.charts_js)).phoneSpec : null;

const isVega = (spec) => spec && spec.$schema && /vega\/v\d/.test(spec.$schema) && !/vega-lite/.test(spec.$schema);

async function size(spec) {
  const compiled = isVega(spec) ? spec : vl.compile(spec, { config: { font: FONT } }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", loader });
  try {
    await view.runAsync();
    const svg = await view.toSVG();
    const m = svg.match(/^<svg[^>]* width="([\d.]+)" height="([\d.]+)"/);
    return m ? [Number(m[1]), Number(m[2])] : null;
  } finally {
    view.finalize();
  }
}

const out = [];
for (const spec of input.specs) {
  try {
    const wh = await size(spec);
    if (!wh) { out.push(null); continue; }
    // Inputs bound to parameters (sliders, radio buttons) are HTML below the SVG.
    const inputs = (spec.params || []).filter((p) => p && p.bind && p.bind.input).length;
    const row = [wh[0], wh[1], inputs];
    const phone = phoneSpec && !isVega(spec) ? phoneSpec(spec) : spec;
    if (phone !== spec) {
      const pw = await size(phone).catch(() => null);
      if (pw) row.push(pw[0], pw[1]);
    }
    out.push(row);
  } catch (e) {
    out.push(null);
  }
}
process.stdout.write(JSON.stringify(out));

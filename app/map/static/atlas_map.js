/* Client-side helpers of the atlas map: tooltips, project cards, the legend, and the canvas
 * painter that draws city-scale layers.
 *
 * Everything shown as text is built with DOM nodes and textContent (no HTML parsing), so
 * register text (names, descriptions, notes) can never run as markup or script, whatever the
 * number of features.
 *
 * Small layers arrive as GeoJSON and become one SVG path per feature (geojson + bind). Big
 * layers arrive as columnar payloads (see app/map/payload.py): geometry as raw-deflated Int32
 * vertex steps plus part/ring/vertex counts, inflated natively (DecompressionStream) and
 * projected once to Web Mercator fractions; property columns deflated too, decoded on first
 * use. One painter per map draws them on one <canvas> between the tiles and the SVG overlays:
 * per style class one path, features outside the view skipped, vertices closer than a pixel to
 * the previous one dropped (simplification to the zoom shown), features smaller than two
 * pixels drawn as dots, points and outlines thinner when a dense layer is zoomed out. Tooltips
 * and cards are made on demand, from the columns, for the feature under the pointer (a grid
 * index built lazily after each redraw). Panning and zooming only redraw here: nothing goes
 * back to Python. */
window.atlasMap = (function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function show(value) {
    if (value === null || value === undefined || value === "") { return "—"; }
    if (Array.isArray(value)) { return value.join(", "); }
    return String(value);
  }

  /* `cfg` is a layer's tooltip/card configuration (app/map/fields.py card_config): the
   * tooltip fields (the first in bold), the card's title field and its [field, label] rows,
   * all in the layer spec's order. `get(key)` reads one property of one feature, whatever its
   * storage. */
  function tooltipNode(cfg, get) {
    var box = el("div", "atlas-tip");
    cfg.tooltip.forEach(function (key, i) {
      box.appendChild(el(i === 0 ? "strong" : "div", null, show(get(key))));
    });
    return box;
  }

  function unset(value) {
    return value === null || value === undefined || value === "" ||
      (Array.isArray(value) && value.length === 0);
  }

  /* the stage history (app/map/fields.py stages_of): one row per entry, oldest first --
   * the date, the stage, and where it is known from; the stage in force last */
  function timelineNode(entries) {
    var list = el("ol", "atlas-timeline");
    (Array.isArray(entries) ? entries : []).forEach(function (entry, i, all) {
      if (!entry || typeof entry !== "object") { return; }
      var item = el("li", i === all.length - 1 ? "atlas-stage atlas-stage-now" : "atlas-stage");
      item.setAttribute("data-stage", String(entry.stage || ""));
      item.appendChild(el("span", "atlas-stage-date", show(entry.date)));
      item.appendChild(el("span", "atlas-stage-label", show(entry.label || entry.stage)));
      if (entry.source) { item.appendChild(el("span", "atlas-stage-source", String(entry.source))); }
      list.appendChild(item);
    });
    return list;
  }

  /* links: http(s) only (checked again here), opened in a new tab without the opener */
  function linksNode(urls) {
    var list = el("ul", "atlas-links");
    (Array.isArray(urls) ? urls : []).forEach(function (url) {
      var href = null;
      try { href = new URL(String(url)); } catch (e) { href = null; }
      if (!href || (href.protocol !== "http:" && href.protocol !== "https:")) { return; }
      var a = el("a", null, String(url));
      a.setAttribute("href", href.href);
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener noreferrer");
      var item = el("li");
      item.appendChild(a);
      list.appendChild(item);
    });
    return list;
  }

  function cardNode(cfg, get) {
    var box = el("div", "atlas-card");
    box.setAttribute("data-project-id", show(get("id")));
    box.appendChild(el("div", "atlas-card-title", show(get(cfg.title))));
    var table = el("table"), optional = cfg.optional || [], kinds = cfg.kinds || {};
    cfg.card.forEach(function (row) {
      var value = get(row[0]);
      if (optional.indexOf(row[0]) >= 0 && unset(value)) { return; }
      var tr = el("tr"), td;
      tr.setAttribute("data-field", row[0]);
      tr.appendChild(el("th", null, row[1]));
      if (kinds[row[0]] === "timeline") {
        td = el("td");
        td.appendChild(timelineNode(value));
      } else if (kinds[row[0]] === "links") {
        td = el("td");
        td.appendChild(linksNode(value));
      } else {
        td = el("td", null, show(value));
      }
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  var POPUP = { maxWidth: 340, minWidth: 220, autoPanPadding: [20, 20] };

  /* the card's popup options: `options` (an object, or a function of none giving one: the
   * live map sizes its cards to the map) or the defaults */
  function popupOptions(options) {
    if (typeof options === "function") { return options(); }
    return options || POPUP;
  }

  function bind(cfg, options) {
    return function (feature, layer) {
      function get(key) { return layer.feature.properties[key]; }
      layer.bindTooltip(function () { return tooltipNode(cfg, get); },
                        { sticky: true, direction: "top" });
      layer.bindPopup(function () { return cardNode(cfg, get); }, popupOptions(options));
    };
  }

  /* A small layer: one SVG path per feature, styled per style class, with its own tooltip
   * and card (the same as folium's GeoJson with a constant style and circle markers). */
  function geojson(map, data, style, radius, cfg) {
    var layer = L.geoJSON(data, {
      style: function () { return style; },
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, { radius: radius }); },
      onEachFeature: bind(cfg)
    });
    layer.addTo(map);
    return layer;
  }

  /* the legend `spec` (app/map/legend.py) into `box`: a title that folds it, then the groups */
  function legendInto(box, spec) {
    var title = el("div", "atlas-legend-title", spec.title);
    title.setAttribute("role", "button");
    title.addEventListener("click", function () { box.classList.toggle("atlas-collapsed"); });
    box.appendChild(title);
    spec.groups.forEach(function (group) {
      box.appendChild(el("div", "atlas-legend-group", group.title));
      group.entries.forEach(function (entry) {
        var row = el("div", "atlas-legend-row");
        var swatch = el("span", "atlas-swatch atlas-swatch-" + entry.shape);
        swatch.style.borderColor = entry.color;
        swatch.style.background = entry.shape === "line" ? entry.color : entry.fill;
        if (entry.dashed) { swatch.style.borderStyle = "dashed"; }
        row.appendChild(swatch);
        row.appendChild(el("span", null, entry.label));
        if (entry.count !== null && entry.count !== undefined) {
          row.appendChild(el("span", "atlas-legend-count", entry.count));
        }
        box.appendChild(row);
      });
    });
  }

  function legend(map, spec) {
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "atlas-legend leaflet-bar");
      legendInto(box, spec);
      if (map.getSize().x < 600) { box.classList.add("atlas-collapsed"); }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  /* ---------------------------------------------------------------- columnar data */

  var INT_TYPES = { u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, i4: Int32Array };

  function bytes(b64) {
    if (typeof Uint8Array.fromBase64 === "function") { return Uint8Array.fromBase64(b64); }
    var text = atob(b64), out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i); }
    return out;
  }

  /* {t: type, b: base64 little-endian} -> typed array */
  function ints(packed) {
    var Type = INT_TYPES[packed.t], raw = bytes(packed.b);
    return new Type(raw.buffer, raw.byteOffset, raw.byteLength / Type.BYTES_PER_ELEMENT);
  }

  /* raw deflate (base64) -> Promise of an ArrayBuffer, inflated natively */
  function inflate(b64) {
    var stream = new Blob([bytes(b64)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Response(stream).arrayBuffer();
  }

  /* A column is a plain array, or {v: values, c: codes} with code 0 meaning "no value". */
  function column(col) {
    if (Array.isArray(col)) { return function (i) { return col[i]; }; }
    var values = col.v, codes = ints(col.c);
    return function (i) { return values[codes[i]]; };
  }

  /* Promise of the property columns of a set, inflated and parsed on first use. */
  function columns(set) {
    if (!set.columnsReady) {
      set.columnsReady = inflate(set.packedColumns).then(function (buffer) {
        var raw = JSON.parse(new TextDecoder().decode(buffer)), cols = {};
        Object.keys(raw).forEach(function (key) { cols[key] = column(raw[key]); });
        set.cols = cols;
        set.packedColumns = null;
        return set;
      });
    }
    return set.columnsReady;
  }

  var DENSE = 2000;          // a set this big draws points and outlines thinner when zoomed out
  var FULL_ZOOM = 16;        // ... reaching the styled size at this zoom

  /* Decode one set of features of one geometry kind from its inflated geometry `words`
   * (vertex steps, then count levels); project its vertices to Web Mercator fractions of the
   * world (x east, y south), once. */
  function decode(data, cfg, words) {
    var nv = data.sizes[0] / 2, q = data.scale, k, x = 0, y = 0, lat;
    var fx = new Float64Array(nv), fy = new Float64Array(nv);
    for (k = 0; k < nv; k++) {
      x += words[2 * k];
      y += words[2 * k + 1];
      fx[k] = (x / q + 180) / 360;
      lat = y / q * Math.PI / 180;
      fy[k] = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / (2 * Math.PI);
    }
    var n = data.n, levels = [], size = n, at = data.sizes[0], block = 1;
    data.levels.forEach(function (present) {
      var off = new Uint32Array(size + 1), i;
      if (present) {
        for (i = 0; i < size; i++) { off[i + 1] = off[i] + words[at + i]; }
        at += data.sizes[block++];
      } else {
        for (i = 0; i <= size; i++) { off[i] = i; }
      }
      levels.push(off);
      size = off[size];
    });
    var set = { kind: data.kind, n: n, fx: fx, fy: fy, levels: levels, cfg: cfg, classes: [],
                cols: null, packedColumns: data.columns, columnsReady: null,
                radius: data.radius, dense: n > DENSE, ids: null, shown: null };
    var start = 0;
    data.classes.forEach(function (c) {
      set.classes.push({ style: c.style, start: start, end: start + c.n });
      start += c.n;
    });
    set.bbox = bounds(set);
    if (set.kind === "polygon") { set.flip = windings(set); }
    return set;
  }

  /* vertex range [from, to) of feature i (points, lines) via the offset levels */
  function featureVertices(set, i) {
    var lv = set.levels, a = i, b = i + 1;
    for (var j = 0; j < lv.length; j++) { a = lv[j][a]; b = lv[j][b]; }
    return [a, b];
  }

  function bounds(set) {
    var out = new Float64Array(4 * set.n), fx = set.fx, fy = set.fy;
    for (var i = 0; i < set.n; i++) {
      var r = featureVertices(set, i), x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var k = r[0]; k < r[1]; k++) {
        if (fx[k] < x0) { x0 = fx[k]; } if (fx[k] > x1) { x1 = fx[k]; }
        if (fy[k] < y0) { y0 = fy[k]; } if (fy[k] > y1) { y1 = fy[k]; }
      }
      out[4 * i] = x0; out[4 * i + 1] = y0; out[4 * i + 2] = x1; out[4 * i + 3] = y1;
    }
    return out;
  }

  /* Per ring: 1 when it must be traced backwards so that outer rings all turn one way and
   * holes the other (batched fills use the nonzero rule: overlaps stay filled, holes open). */
  function windings(set) {
    var polys = set.levels[1], rings = set.levels[2], nr = rings.length - 1;
    var flip = new Uint8Array(nr), fx = set.fx, fy = set.fy;
    for (var p = 0; p < polys.length - 1; p++) {
      for (var r = polys[p]; r < polys[p + 1]; r++) {
        var a = rings[r], b = rings[r + 1], area = 0;
        for (var k = a; k < b; k++) {
          var m = k + 1 < b ? k + 1 : a;
          area += fx[k] * fy[m] - fx[m] * fy[k];
        }
        flip[r] = (r === polys[p]) === (area < 0) ? 1 : 0;
      }
    }
    return flip;
  }

  /* ---------------------------------------------------------------- the painter */

  var Painter = L.Renderer.extend({
    options: { padding: 0.1, pane: "atlasCanvas" },

    initialize: function (options) {
      L.Renderer.prototype.initialize.call(this, options);
      this._sets = [];
      this._pending = [];
      this._drawnWaiters = [];
      this._drawnCount = 0;
      this._grid = null;
      this._hover = null;
      this._frame = null;
      this.drawnAt = null;
    },

    /* Add a set (its geometry is inflated off the parse; sets keep the order they came in). */
    add: function (data, cfg) {
      var self = this, slot = this._sets.length;
      this._sets.push(null);
      this._pending.push(inflate(data.geometry).then(function (buffer) {
        self._sets[slot] = decode(data, cfg, new Int32Array(buffer));
        self._grid = null;
      }));
      // one draw once every set given so far is decoded (not one per set as each arrives)
      var count = this._pending.length;
      Promise.all(this._pending).then(function () {
        if (self._pending.length === count) { self._schedule(); }
      });
      return this;
    },

    /* Promise resolved once every set added so far has been drawn. */
    whenDrawn: function () {
      var self = this, count = this._pending.length;
      return Promise.all(this._pending).then(function () {
        if (self._drawnCount >= count) { return null; }
        return new Promise(function (resolve) { self._drawnWaiters.push(resolve); });
      });
    },

    /* Promise resolved once every set's properties are decoded too. */
    whenReady: function () {
      var self = this;
      return Promise.all(this._pending).then(function () {
        return Promise.all(self._sets.filter(Boolean).map(columns));
      });
    },

    _live: function () { return this._sets.filter(Boolean); },

    /* Show only the features whose id passes `keep(id)` (null: all); resolves once redrawn.
     * The live map calls it on every filter change: nothing is decoded again. */
    filter: function (keep) {
      var self = this;
      this._keep = keep;
      return this.whenReady().then(function () {
        if (self._keep !== keep) { return null; }
        self._live().forEach(function (set) {
          set.toned = null;  // the tone's classes follow the features shown
          if (keep === null) { set.shown = null; return; }
          var shown = new Uint8Array(set.n);
          for (var i = 0; i < set.n; i++) { shown[i] = keep(set.cols.id(i)) ? 1 : 0; }
          set.shown = shown;
        });
        self._grid = null;
        var drawn = new Promise(function (resolve) { self._drawnWaiters.push(resolve); });
        self._schedule();
        return drawn;
      });
    },

    /* Colour the features by `colourOf(id)` (a colour, or null: the style class's own); null
     * instead of a function: every feature its own colour again. Resolves once redrawn. */
    tone: function (colourOf) {
      var self = this;
      this._toneOf = colourOf;
      return this.whenReady().then(function () {
        if (self._toneOf !== colourOf) { return null; }
        self._live().forEach(function (set) {
          set.tone = null;
          set.toned = null;
          if (!colourOf) { return; }
          var codes = new Uint8Array(set.n), palette = [null], index = {};
          for (var i = 0; i < set.n; i++) {
            var colour = colourOf(set.cols.id(i));
            if (colour) {
              if (!(colour in index)) { index[colour] = palette.length; palette.push(colour); }
              codes[i] = index[colour];
            }
          }
          set.tone = { codes: codes, palette: palette };
        });
        var drawn = new Promise(function (resolve) { self._drawnWaiters.push(resolve); });
        self._schedule();
        return drawn;
      });
    },

    /* The classes to draw of `set`: its style classes, or -- coloured by tone -- each class
     * split by colour, each part with the mask of its features (`only`). */
    _classes: function (set) {
      if (!set.tone) { return set.classes; }
      if (set.toned) { return set.toned; }
      var out = [], codes = set.tone.codes, palette = set.tone.palette, shown = set.shown;
      set.classes.forEach(function (cls) {
        palette.forEach(function (colour, code) {
          var only = new Uint8Array(set.n), any = false;
          for (var i = cls.start; i < cls.end; i++) {
            if (codes[i] === code && (shown === null || shown[i] === 1)) { only[i] = 1; any = true; }
          }
          if (!any) { return; }
          var style = colour === null ? cls.style
            : Object.assign({}, cls.style, { color: colour, fillColor: colour });
          out.push({ style: style, start: cls.start, end: cls.end, only: only });
        });
      });
      set.toned = out;
      return out;
    },

    /* Forget every set (the live map's language or basemap changed). */
    clear: function () {
      this._sets = [];
      this._pending = [];
      this._grid = null;
      this._unhover();
      this._schedule();
    },

    _initContainer: function () {
      var canvas = this._container = document.createElement("canvas");
      canvas.className = "atlas-canvas";
      this._ctx = canvas.getContext("2d");
    },

    _destroyContainer: function () {
      L.DomUtil.remove(this._container);
      delete this._ctx;
      delete this._container;
    },

    onAdd: function (map) {
      L.Renderer.prototype.onAdd.call(this, map);
      var box = map.getContainer(), self = this;
      this._listeners = {
        mousemove: function (e) { self._onMove(e); },
        click: function (e) { self._onClick(e); },
        mouseleave: function () { self._unhover(); }
      };
      Object.keys(this._listeners).forEach(function (type) {
        box.addEventListener(type, self._listeners[type], true);
      });
      this._tip = L.tooltip({ sticky: true, direction: "top", className: "atlas-canvas-tip" });
    },

    onRemove: function (map) {
      var box = map.getContainer(), self = this;
      Object.keys(this._listeners).forEach(function (type) {
        box.removeEventListener(type, self._listeners[type], true);
      });
      this._unhover();
      L.Renderer.prototype.onRemove.call(this, map);
    },

    _update: function () {
      if (this._map._animatingZoom && this._bounds) { return; }
      L.Renderer.prototype._update.call(this);
      var b = this._bounds, canvas = this._container, size = b.getSize();
      var m = window.devicePixelRatio > 1 ? 2 : 1;
      L.DomUtil.setPosition(canvas, b.min);
      canvas.width = m * size.x;
      canvas.height = m * size.y;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      this._ctx.setTransform(m, 0, 0, m, -m * b.min.x, -m * b.min.y);
      this._grid = null;
      this._draw();
      this.fire("update");
    },

    _schedule: function () {
      var self = this;
      if (this._frame === null && this._map) {
        this._frame = L.Util.requestAnimFrame(function () {
          self._frame = null;
          if (self._map) { self._update(); }
        });
      }
    },

    /* pixel scale and origin of the current view: layer point = fraction * s - origin */
    _view: function () {
      var map = this._map, s = map.options.crs.scale(map.getZoom()), o = map.getPixelOrigin();
      return { s: s, ox: o.x, oy: o.y, zoom: map.getZoom(), b: this._bounds };
    },

    _shrink: function (set, view) {
      return set.dense ? Math.min(1, Math.pow(2, (view.zoom - FULL_ZOOM) / 1.5)) : 1;
    },

    _draw: function () {
      var ctx = this._ctx, view = this._view(), self = this;
      ctx.save();
      this._live().forEach(function (set) {
        self._classes(set).forEach(function (cls) {
          var st = cls.style, k = self._shrink(set, view);
          ctx.beginPath();
          if (set.kind === "point") {
            self._points(set, cls, view, Math.max(1.5, (set.radius || 7) * Math.sqrt(k)));
          } else {
            self._paths(set, cls, view);
          }
          ctx.lineCap = "round";
          ctx.lineJoin = "round";
          if (st.fill !== false && set.kind !== "line") {
            ctx.globalAlpha = st.fillOpacity === undefined ? 0.2 : st.fillOpacity;
            ctx.fillStyle = st.fillColor || st.color || "#3388ff";
            ctx.fill("nonzero");
          }
          if (st.stroke !== false && (st.weight === undefined || st.weight > 0)) {
            ctx.globalAlpha = st.opacity === undefined ? 1 : st.opacity;
            ctx.strokeStyle = st.color || "#3388ff";
            ctx.lineWidth = Math.max(0.5, (st.weight === undefined ? 3 : st.weight) * k);
            ctx.setLineDash(st.dashArray && k === 1 ? st.dashArray.split(/[ ,]+/).map(Number) : []);
            ctx.stroke();
          }
        });
      });
      ctx.restore();
      this.drawnAt = performance.now();
      this._drawnCount = this._live().length;
      if (this._drawnWaiters.length) {
        var waiters = this._drawnWaiters;
        this._drawnWaiters = [];
        waiters.forEach(function (resolve) { resolve(); });
      }
    },

    _points: function (set, cls, view, r) {
      var ctx = this._ctx, s = view.s, ox = view.ox, oy = view.oy, b = view.b;
      var x0 = b.min.x - r, y0 = b.min.y - r, x1 = b.max.x + r, y1 = b.max.y + r;
      var lv = set.levels[0], fx = set.fx, fy = set.fy, tiny = r < 2;
      var shown = cls.only || set.shown;
      for (var i = cls.start; i < cls.end; i++) {
        if (shown !== null && shown[i] === 0) { continue; }
        for (var k = lv[i]; k < lv[i + 1]; k++) {
          var x = fx[k] * s - ox, y = fy[k] * s - oy;
          if (x < x0 || x > x1 || y < y0 || y > y1) { continue; }
          if (tiny) {
            ctx.rect(x - r, y - r, 2 * r, 2 * r);
          } else {
            ctx.moveTo(x + r, y);
            ctx.arc(x, y, r, 0, 2 * Math.PI);
          }
        }
      }
    },

    _paths: function (set, cls, view) {
      var ctx = this._ctx, s = view.s, ox = view.ox, oy = view.oy, b = view.b;
      var bb = set.bbox, fx = set.fx, fy = set.fy, lv = set.levels, polygon = set.kind === "polygon";
      var runs = lv[lv.length - 1], flip = set.flip, shown = cls.only || set.shown;
      for (var i = cls.start; i < cls.end; i++) {
        if (shown !== null && shown[i] === 0) { continue; }
        var bx0 = bb[4 * i] * s - ox, by0 = bb[4 * i + 1] * s - oy;
        var bx1 = bb[4 * i + 2] * s - ox, by1 = bb[4 * i + 3] * s - oy;
        if (bx1 < b.min.x || bx0 > b.max.x || by1 < b.min.y || by0 > b.max.y) { continue; }
        if (bx1 - bx0 < 2 && by1 - by0 < 2) {   // smaller than two pixels: a dot
          ctx.rect(bx0, by0, Math.max(1, bx1 - bx0), Math.max(1, by1 - by0));
          continue;
        }
        // runs (rings or lines) of feature i
        var a = i, z = i + 1;
        for (var j = 0; j < lv.length - 1; j++) { a = lv[j][a]; z = lv[j][z]; }
        for (var r = a; r < z; r++) {
          var from = runs[r], to = runs[r + 1], back = polygon && flip[r] === 1;
          var k = back ? to - 1 : from, step = back ? -1 : 1, end = back ? from - 1 : to;
          var px = fx[k] * s - ox, py = fy[k] * s - oy, sx = px, sy = py;
          ctx.moveTo(px, py);
          for (k += step; k !== end; k += step) {
            var x = fx[k] * s - ox, y = fy[k] * s - oy;
            if (Math.abs(x - px) + Math.abs(y - py) >= 1 || k === end - step) {
              ctx.lineTo(x, y);
              px = x; py = y;
            }
          }
          // back to the start by hand: closePath() costs time in proportion to the whole
          // path in Chromium, which makes a path of many rings quadratic
          if (polygon) { ctx.lineTo(sx, sy); }
        }
      }
    },

    /* --------------------------------------------------------------- pointer */

    /* Whether an event at `target` is ours to handle: on the bare map, a tile, or a path of
     * a layer marked see-through (the district outline) -- not controls, popups, markers or
     * the reference paths drawn above the projects. */
    _ours: function (target) {
      if (target === this._map.getContainer()) { return true; }
      if (!(target instanceof Element)) { return false; }
      if (target.closest(".leaflet-control-container, .leaflet-popup-pane, .leaflet-tooltip-pane, " +
                         ".leaflet-marker-pane, .leaflet-shadow-pane")) { return false; }
      // interactive paths above the projects (stations, the measuring tool) keep their events
      return !target.classList.contains("leaflet-interactive") ||
        target.classList.contains("atlas-below");
    },

    _buildGrid: function (view) {
      var CELL = 32, b = view.b, cols = Math.ceil((b.max.x - b.min.x) / CELL) + 1;
      var rows = Math.ceil((b.max.y - b.min.y) / CELL) + 1, cells = new Array(cols * rows);
      var s = view.s, ox = view.ox, oy = view.oy, self = this;
      function put(entry, x0, y0, x1, y1) {
        var c0 = Math.max(0, Math.floor((x0 - b.min.x) / CELL));
        var c1 = Math.min(cols - 1, Math.floor((x1 - b.min.x) / CELL));
        var r0 = Math.max(0, Math.floor((y0 - b.min.y) / CELL));
        var r1 = Math.min(rows - 1, Math.floor((y1 - b.min.y) / CELL));
        for (var r = r0; r <= r1; r++) {
          for (var c = c0; c <= c1; c++) {
            var cell = cells[r * cols + c];
            if (cell === undefined) { cells[r * cols + c] = [entry]; } else { cell.push(entry); }
          }
        }
      }
      this._sets.forEach(function (set, si) {
        if (!set) { return; }
        var pad = self._pad(set, view), bb = set.bbox;
        set.classes.forEach(function (cls) {
          for (var i = cls.start; i < cls.end; i++) {
            if (set.shown !== null && set.shown[i] === 0) { continue; }
            var x0 = bb[4 * i] * s - ox - pad, y0 = bb[4 * i + 1] * s - oy - pad;
            var x1 = bb[4 * i + 2] * s - ox + pad, y1 = bb[4 * i + 3] * s - oy + pad;
            if (x1 < b.min.x || x0 > b.max.x || y1 < b.min.y || y0 > b.max.y) { continue; }
            put(si * 4194304 + i, x0, y0, x1, y1);
          }
        });
      });
      return { cells: cells, cols: cols, rows: rows, cell: CELL, view: view };
    },

    /* how far from a feature's outline the pointer still counts as on it, in pixels */
    _pad: function (set, view) {
      var k = this._shrink(set, view), w = (set.classes.length ? set.classes[0].style.weight : 3) || 3;
      if (set.kind === "point") { return Math.max(1.5, (set.radius || 7) * Math.sqrt(k)) + w * k / 2 + 2; }
      return w * k / 2 + 3;
    },

    /* the top-most feature under layer point (x, y): [set, index] or null */
    hit: function (x, y) {
      var view = this._view();
      if (!this._grid || this._grid.view.s !== view.s || this._grid.view.ox !== view.ox ||
          this._grid.view.oy !== view.oy) {
        this._grid = this._buildGrid(view);
      }
      var g = this._grid, b = view.b;
      var c = Math.floor((x - b.min.x) / g.cell), r = Math.floor((y - b.min.y) / g.cell);
      if (c < 0 || r < 0 || c >= g.cols || r >= g.rows) { return null; }
      var cell = g.cells[r * g.cols + c] || [];
      for (var e = cell.length - 1; e >= 0; e--) {
        var set = this._sets[Math.floor(cell[e] / 4194304)], i = cell[e] % 4194304;
        if (this._inside(set, i, x, y, view)) { return [set, i]; }
      }
      return null;
    },

    _inside: function (set, i, x, y, view) {
      var s = view.s, ox = view.ox, oy = view.oy, fx = set.fx, fy = set.fy, pad = this._pad(set, view);
      var bb = set.bbox, lv = set.levels, k;
      if (set.kind === "point") {
        var v = featureVertices(set, i);
        for (k = v[0]; k < v[1]; k++) {
          var dx = fx[k] * s - ox - x, dy = fy[k] * s - oy - y;
          if (dx * dx + dy * dy <= pad * pad) { return true; }
        }
        return false;
      }
      var w = (bb[4 * i + 2] - bb[4 * i]) * s, h = (bb[4 * i + 3] - bb[4 * i + 1]) * s;
      if (w < 6 && h < 6) { return true; }  // tiny: its padded box is the target
      var a = i, z = i + 1, runs = lv[lv.length - 1];
      for (var j = 0; j < lv.length - 1; j++) { a = lv[j][a]; z = lv[j][z]; }
      var mx = (x + ox) / s, my = (y + oy) / s, inside = false, tol = pad / s;
      for (var r = a; r < z; r++) {
        for (k = runs[r]; k < runs[r + 1]; k++) {
          var m = k + 1 < runs[r + 1] ? k + 1 : (set.kind === "polygon" ? runs[r] : -1);
          if (m < 0) { break; }
          var ax = fx[k], ay = fy[k], bx = fx[m], by = fy[m];
          if (set.kind === "polygon" && ((ay > my) !== (by > my)) &&
              mx < (bx - ax) * (my - ay) / (by - ay) + ax) { inside = !inside; }
          if (set.kind === "line") {
            var ex = bx - ax, ey = by - ay, len = ex * ex + ey * ey;
            var t = len > 0 ? Math.max(0, Math.min(1, ((mx - ax) * ex + (my - ay) * ey) / len)) : 0;
            var qx = ax + t * ex - mx, qy = ay + t * ey - my;
            if (qx * qx + qy * qy <= tol * tol) { return true; }
          }
        }
      }
      return inside;
    },

    _event: function (e) {
      var map = this._map, p = map.mouseEventToContainerPoint(e);
      var layer = map.containerPointToLayerPoint(p);
      return { point: layer, latlng: map.layerPointToLatLng(layer) };
    },

    _onMove: function (e) {
      if (!this._map || !this._ours(e.target) || this._map.dragging && this._map.dragging.moved()) {
        this._unhover();
        return;
      }
      var at = this._event(e), found = this.hit(at.point.x, at.point.y), self = this;
      if (!found) { this._unhover(); return; }
      this._map.getContainer().classList.add("atlas-hovering");
      this._at = at.latlng;
      if (this._hover && this._hover[0] === found[0] && this._hover[1] === found[1]) {
        if (this._map.hasLayer(this._tip)) { this._tip.setLatLng(at.latlng); }
        return;
      }
      this._hover = found;
      columns(found[0]).then(function () {
        if (self._hover !== found || !self._map) { return; }
        self._tip.setContent(tooltipNode(found[0].cfg, getter(found[0], found[1])));
        self._tip.setLatLng(self._at);
        if (!self._map.hasLayer(self._tip)) { self._tip.openOn(self._map); }
      });
    },

    _unhover: function () {
      this._hover = null;
      if (this._map) {
        this._map.getContainer().classList.remove("atlas-hovering");
        if (this._tip && this._map.hasLayer(this._tip)) { this._tip.close(); }
      }
    },

    _onClick: function (e) {
      if (this.passive || !this._map || !this._ours(e.target) || this._map._draggableMoved(this._map)) { return; }
      var at = this._event(e), found = this.hit(at.point.x, at.point.y);
      if (!found) { return; }
      e.stopImmediatePropagation();
      e.stopPropagation();
      this.open(found[0], found[1], found[0].kind === "point" ? null : at.latlng);
      var map = this._map;
      columns(found[0]).then(function (set) { map.fire("atlasselect", { id: set.cols.id(found[1]) }); });
    },

    /* open the card of feature i of `set` at `latlng` (default: the point, or the box centre);
     * `autoPan` false: the view stays where it is */
    open: function (set, i, latlng, autoPan) {
      var self = this;
      this._unhover();
      return columns(set).then(function () {
        if (!self._map) { return; }
        var options = Object.assign({}, popupOptions(self.popupOptions),
                                    autoPan === false ? { autoPan: false } : {});
        L.popup(options).setLatLng(latlng || self.anchor(set, i))
          .setContent(cardNode(set.cfg, getter(set, i))).openOn(self._map);
      });
    },

    anchor: function (set, i) {
      var bb = set.bbox, crs = this._map.options.crs, s = crs.scale(0);
      return crs.pointToLatLng(L.point((bb[4 * i] + bb[4 * i + 2]) / 2 * s,
                                       (bb[4 * i + 1] + bb[4 * i + 3]) / 2 * s), 0);
    },

    /* Promise of [set, index] of a project id, or null */
    find: function (projectId) {
      var self = this;
      return this.whenReady().then(function () {
        var sets = self._live();
        for (var j = 0; j < sets.length; j++) {
          var set = sets[j];
          if (set.ids === null) {
            set.ids = new Map();
            for (var i = 0; i < set.n; i++) { set.ids.set(set.cols.id(i), i); }
          }
          if (set.ids.has(projectId)) { return [set, set.ids.get(projectId)]; }
        }
        return null;
      });
    },

    /* counts for tests and benchmarks: sets, features, style classes */
    stats: function () {
      var out = { sets: this._sets.length, features: 0, classes: 0, drawnAt: this.drawnAt };
      this._live().forEach(function (set) { out.features += set.n; out.classes += set.classes.length; });
      return out;
    }
  });

  function getter(set, i) {
    return function (key) { return set.cols[key] ? set.cols[key](i) : null; };
  }

  var painters = [];

  /* The painter of `map`, made (with its pane between tiles and SVG overlays) on first use. */
  function canvas(map) {
    var existing = painterOf(map);
    if (existing) { return existing; }
    if (!map.getPane("atlasCanvas")) {
      var pane = map.createPane("atlasCanvas");
      pane.style.zIndex = 390;
      pane.style.pointerEvents = "none";
    }
    var painter = new Painter();
    painter._owner = map;
    painters.push(painter);
    painter.addTo(map);
    return painter;
  }

  function openPopup(map, projectId) {
    var opened = false;
    map.eachLayer(function (layer) {
      if (layer.feature && layer.feature.properties && layer.feature.properties.id === projectId
          && layer.openPopup) {
        layer.openPopup();
        opened = true;
      }
    });
    var painter = painterOf(map);
    if (!opened && painter) {
      return painter.find(projectId).then(function (found) {
        return found ? painter.open(found[0], found[1]) : null;
      });
    }
    return Promise.resolve(null);
  }

  function painterOf(map) {
    for (var j = 0; j < painters.length; j++) {
      if (painters[j]._owner === map) { return painters[j]; }
    }
    return null;
  }

  /* Promise of the container point [x, y] of a canvas-drawn project (its point or box
   * centre), or of null */
  function locate(map, projectId) {
    var painter = painterOf(map);
    if (!painter) { return Promise.resolve(null); }
    return painter.find(projectId).then(function (found) {
      if (!found) { return null; }
      var p = map.latLngToContainerPoint(painter.anchor(found[0], found[1]));
      return [p.x, p.y];
    });
  }

  function stats(map) {
    var painter = painterOf(map);
    return painter ? painter.stats() : { sets: 0, features: 0, classes: 0, drawnAt: null };
  }

  /* Promise resolved when every painter has drawn all its sets (at once without painters) */
  function whenDrawn() {
    return Promise.all(painters.map(function (painter) { return painter.whenDrawn(); }));
  }

  /* Promise resolved when every painter's properties are decoded too */
  function whenReady() {
    return Promise.all(painters.map(function (painter) { return painter.whenReady(); }));
  }

  /* when any painter last finished drawing (performance.now() ms), or null */
  function drawnAt() {
    var last = null;
    painters.forEach(function (painter) {
      if (painter.drawnAt !== null && (last === null || painter.drawnAt > last)) { last = painter.drawnAt; }
    });
    return last;
  }

  return { bind: bind, geojson: geojson, legend: legend, legendInto: legendInto,
           openPopup: openPopup, canvas: canvas,
           locate: locate, stats: stats, drawnAt: drawnAt, whenDrawn: whenDrawn,
           whenReady: whenReady };
})();

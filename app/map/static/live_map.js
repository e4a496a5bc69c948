/* The live map: a Streamlit component (app/ui/live_map.py) that keeps one Leaflet map for the
 * whole page visit and updates it in place.
 *
 * Why a component of our own rather than st_folium: st_folium's feature_group_to_add re-sends
 * and re-evaluates the whole group's script on every change (at 100,000 features: megabytes
 * re-parsed and the canvas payload decoded again per filter), its clicks only report SVG
 * layers (not the canvas painter), and a moved view can only reach Python by rerunning the
 * script. Here the map's base (app/map/live.py: every located project, reference layers,
 * tiles) is fetched once per visit from the app's static files; a rerun sends only the row
 * mask of the filter (a bitset), the legend, the visible reference layers and, when they
 * change, a focus or a box to fit. Features are shown or hidden, never rebuilt. Pan and zoom
 * go to the address bar (lat/lon/z, debounced) without a rerun; a click on a feature sends
 * its id back (the page selects its row and writes p=).
 *
 * The Streamlit component protocol (componentReady / render / setComponentValue /
 * setFrameHeight) is spoken directly: there is no build step and no library to fetch. */
(function () {
  "use strict";

  var state = {
    args: null, map: null, loading: null, base: null, baseKey: null, tiles: [], tileErrors: 0,
    projects: [], refs: {}, legend: null, layerBox: null, idRow: null, painter: null,
    focusSeq: null, fitSeq: null, clicked: null, maskText: null, notice: null, shift: [0, 0],
    // the map's own layer control acts at once: which project layers it hides (by index in
    // the base), which reference layers it shows, and when it last changed them (Date.now(),
    // echoed back by the page once its rerun has seen the change)
    rowLayer: [], layerIds: [], hidden: {}, refsShown: null, localAt: null,
    legendText: null, boxText: null, fetching: null, minimap: null, reported: false,
    // supervision: the colours by progress and the changes between two days shown (their keys)
    toneKey: null, compareKey: null, compareLayer: null
  };
  // for tests and the bench: counts of renders and of mask applications, and when the last
  // mask was fully painted (performance.now())
  // (changedAt: when the map's layer control was last used, on the same clock as paintedAt;
  // localPaintedAt: when the map had painted that change itself, before the page's rerun)
  // (complete: the page has drawn everything around the map, not the map first)
  window.__atlasLive = { renders: 0, applied: 0, paintedAt: null, baseLoads: 0, ready: false,
                         marks: {}, changedAt: null, localPaintedAt: null, complete: false };
  function mark(name) {
    var live = window.__atlasLive;
    if (!(name in live.marks)) { live.marks[name] = Math.round(performance.timeOrigin + performance.now()); }
  }
  mark("script");

  function send(type, data) {
    var message = { isStreamlitMessage: true, type: type };
    Object.keys(data || {}).forEach(function (k) { message[k] = data[k]; });
    window.parent.postMessage(message, "*");
  }

  function setValue(value) { send("streamlit:setComponentValue", { value: value, dataType: "json" }); }

  /* a stylesheet or a script; scripts are fetched in parallel and run in the order added */
  function load(tag, url) {
    return new Promise(function (resolve, reject) {
      var node = document.createElement(tag);
      if (tag === "link") { node.rel = "stylesheet"; node.href = url; } else { node.src = url; node.async = false; }
      node.onload = resolve;
      node.onerror = function () { reject(new Error("cannot load " + url)); };
      document.head.appendChild(node);
    });
  }

  /* Leaflet.VectorGrid and vector_layer.js, loaded once, when a base has a tiled layer */
  var vectorLoading = null;
  function vectorScripts() {
    if (!vectorLoading) {
      vectorLoading = load("script", "./vendor/Leaflet.VectorGrid.bundled.min.js").then(function () {
        return load("script", "./vector_layer.js");
      });
    }
    return vectorLoading;
  }

  /* Leaflet, the plugins and atlas_map.js, in order (CSS alongside). */
  function loadAssets(assets) {
    assets.css.forEach(function (url) { load("link", url); });
    var chain = Promise.all(assets.js.concat(["./atlas_map.js"]).map(function (url) {
      return load("script", url);
    }));
    var style = document.createElement("style");
    style.textContent = assets.style;
    document.head.appendChild(style);
    return chain;
  }

  /* ------------------------------------------------------------- the address bar */

  function parentUrl() {
    try { return new URL(window.parent.location.href); } catch (e) { return null; }
  }

  function viewParams() {
    var c = state.map.getCenter();
    return { lat: (c.lat - state.shift[0]).toFixed(5), lon: (c.lng - state.shift[1]).toFixed(5),
             z: String(state.map.getZoom()) };
  }

  /* lat/lon/z of the map into the parent's address bar (replaceState: no rerun, no history) */
  function writeView() {
    var url = parentUrl();
    if (!url || !state.map) { return; }
    var view = viewParams(), changed = false;
    Object.keys(view).forEach(function (k) {
      if (url.searchParams.get(k) !== view[k]) { url.searchParams.set(k, view[k]); changed = true; }
    });
    try { window.parent.sessionStorage.setItem("atlas-live-view", JSON.stringify(view)); } catch (e) { /* private mode */ }
    if (changed) { window.parent.history.replaceState(window.parent.history.state, "", url.toString()); }
  }

  var viewTimer = null;
  function viewMoved() {
    if (viewTimer !== null) { clearTimeout(viewTimer); }
    viewTimer = setTimeout(function () { viewTimer = null; writeView(); }, 250);
  }

  /* ------------------------------------------------------------- the map */

  function frameHeight(args) {
    var height = args.height;
    try {
      var frame = window.frameElement, top = frame.getBoundingClientRect().top + window.parent.scrollY;
      var inner = window.parent.innerHeight;
      height = inner < 700 || window.parent.innerWidth < 700
        ? Math.max(300, Math.round(inner * 0.6))
        : Math.max(args.height, Math.min(inner - top - 16, 1400));
    } catch (e) { /* not framed: keep the given height */ }
    return height;
  }

  function createMap(args) {
    // the frame's final height first: the first view is fitted to it
    var height = frameHeight(args);
    send("streamlit:setFrameHeight", { height: height });
    document.getElementById("map_div").style.height = height + "px";
    var map = L.map("map_div", { zoomControl: true, minZoom: 9, preferCanvas: false });
    window.map_div = map;
    state.map = map;
    var below = map.createPane("atlasBelow");
    below.style.zIndex = 395;
    var above = map.createPane("atlasAbove");
    above.style.zIndex = 410;
    L.control.scale().addTo(map);
    if (L.Control.FullScreen) {
      new L.Control.FullScreen({ position: "topleft", title: args.texts.fullscreen,
                                 titleCancel: args.texts.exit_fullscreen }).addTo(map);
    }
    if (L.Control.Measure) {
      new L.Control.Measure({ position: "topleft", primaryLengthUnit: "meters",
                              secondaryLengthUnit: "kilometers", primaryAreaUnit: "sqmeters",
                              secondaryAreaUnit: "hectares" }).addTo(map);
    }
    map.on("moveend", viewMoved);
    // an open card never sits under the legend or the layer control: they fold while it is open
    map.on("popupopen", function () {
      document.body.classList.add("atlas-card-open");  // and the minimap steps aside (CSS)
      document.querySelectorAll(".atlas-legend, .atlas-layers").forEach(function (box) {
        box.setAttribute("data-open", box.classList.contains("atlas-collapsed") ? "0" : "1");
        box.classList.add("atlas-collapsed");
      });
    });
    map.on("popupclose", function () {
      document.body.classList.remove("atlas-card-open");
      document.querySelectorAll(".atlas-legend, .atlas-layers").forEach(function (box) {
        if (box.getAttribute("data-open") === "1") { box.classList.remove("atlas-collapsed"); }
      });
    });
    map.on("atlasselect", function (e) { select(e.id); });
    map.invalidateSize();
    state.shift = args.shift || [0, 0];
    var remembered = null;
    try { remembered = JSON.parse(window.parent.sessionStorage.getItem("atlas-live-view")); } catch (e) { remembered = null; }
    var view = args.view || remembered;
    if (view && view.lat !== undefined) {
      map.setView([Number(view.lat) + state.shift[0], Number(view.lon) + state.shift[1]], Number(view.z) || 13);
    } else {
      map.fitBounds(args.district, { animate: false });
    }
    return map;
  }

  function select(id) {
    state.clicked = id;
    setValue({ select: id, at: Date.now() });
  }

  function tileNotice(texts) {
    if (state.notice) { return; }
    var box = document.createElement("div");
    box.className = "atlas-live-notice";
    box.setAttribute("data-testid", "atlas-tile-error");
    box.appendChild(document.createTextNode(texts.tile_error));
    var link = document.createElement("a");
    var url = parentUrl();
    if (url) { url.searchParams.set("basemap", "none"); link.href = url.toString(); }
    link.textContent = texts.tile_fallback;
    // the frame may not navigate the page: the page switches the basemap itself (same frame)
    link.addEventListener("click", function (event) {
      event.preventDefault();
      setValue({ basemap: "none", at: Date.now() });
    });
    box.appendChild(link);
    document.body.appendChild(box);
    state.notice = box;
  }

  function setTiles(base, texts) {
    state.tiles.forEach(function (layer) { state.map.removeLayer(layer); });
    state.tiles = [];
    state.tileErrors = 0;
    if (state.notice) { state.notice.remove(); state.notice = null; }
    base.tiles.forEach(function (tiles) {
      var layer = L.tileLayer(tiles.url, tiles.options);
      var loaded = 0;
      layer.on("tileload", function () { loaded++; });
      layer.on("tileerror", function () {
        state.tileErrors++;
        if (loaded === 0 && state.tileErrors >= 2) { tileNotice(texts); }
      });
      layer.addTo(state.map);
      state.tiles.push(layer);
    });
    state.map.setMaxZoom(base.maxZoom);
    // the minimap shows the basemap's own tiles (none without a basemap)
    if (state.minimap) { state.map.removeControl(state.minimap); state.minimap = null; }
    if (base.tiles.length && L.Control.MiniMap) {
      state.minimap = new L.Control.MiniMap(L.tileLayer(base.tiles[0].url, base.tiles[0].options),
                                            { position: "bottomleft", toggleDisplay: false });
      state.minimap.addTo(state.map);
    }
  }

  function clearOverlays() {
    state.projects.forEach(function (p) { state.map.removeLayer(p.group); });
    state.projects = [];
    Object.keys(state.refs).forEach(function (id) { state.map.removeLayer(state.refs[id]); });
    state.refs = {};
    if (state.painter) { state.painter.clear(); }
    if (state.halos) { state.map.removeLayer(state.halos.group); state.halos = null; }
  }

  /* uncertainty halos (app/map/halos.py): a faint circle of a point's radius, below the
   * symbols, shown while its project passes the filter and is larger than its symbol */
  function buildHalos(base) {
    var group = L.layerGroup(), items = [];
    (base.halos || []).forEach(function (h) {
      var circle = L.circle([h[1], h[2]], { radius: h[3], pane: "atlasBelow", interactive: false,
        className: "atlas-halo", color: "#555555", weight: 1, opacity: 0.35, dashArray: "3 4",
        fill: true, fillColor: "#777777", fillOpacity: 0.08 });
      items.push({ id: base.ids[h[0]], lat: h[1], radius: h[3], circle: circle });
    });
    state.halos = { group: group, items: items, keep: function () { return true; } };
    group.addTo(state.map);
    state.map.off("zoomend", showHalos);
    state.map.on("zoomend", showHalos);
    showHalos();
  }

  function showHalos() {
    var halos = state.halos;
    if (!halos) { return; }
    var zoom = state.map.getZoom(), shown = 0;
    halos.items.forEach(function (item) {
      var perPixel = 40075016.686 * Math.cos(item.lat * Math.PI / 180) / Math.pow(2, zoom + 8);
      var want = halos.keep(item.id) && item.radius / perPixel > 8, has = halos.group.hasLayer(item.circle);
      if (want && !has) { halos.group.addLayer(item.circle); } else if (!want && has) { halos.group.removeLayer(item.circle); }
      if (want) { shown++; }
    });
    window.__atlasLive.halos = shown;
  }

  function svgLayer(parts, cfg, pane, onClick) {
    var group = L.featureGroup(), members = [];
    parts.forEach(function (part) {
      var style = part[1], radius = part[2];
      if (pane) { style = Object.assign({}, style, { pane: pane }); }
      L.geoJSON(part[0], {
        style: function () { return style; },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, Object.assign({}, style, { radius: radius }));
        },
        onEachFeature: function (feature, layer) {
          window.atlasMap.bind(cfg)(feature, layer);
          if (onClick) { layer.on("click", function () { onClick(feature.properties.id); }); }
          members.push(layer);
          group.addLayer(layer);
        }
      });
    });
    return { group: group, members: members };
  }

  function buildBase(base, args) {
    clearOverlays();
    setTiles(base, args.texts);
    state.idRow = new Map();
    base.ids.forEach(function (id, row) { state.idRow.set(id, row); });
    state.rowLayer = base.row_layers || [];
    state.layerIds = base.layers.map(function (layer) { return layer.id; });
    base.refs.forEach(function (ref) {
      if (ref.tiles !== undefined) {  // a planner's own layer: vector tiles (none on a GCJ-02 basemap)
        var holder = state.refs[ref.id] = L.layerGroup();
        if (ref.tiles) { vectorScripts().then(function () { holder.addLayer(window.atlasVectorLayer(ref.tiles)); }); }
        return;
      }
      var made = svgLayer(ref.parts, ref.config, ref.below ? "atlasBelow" : "atlasAbove", null);
      state.refs[ref.id] = made.group;
    });
    base.layers.forEach(function (layer) {
      if (layer.strategy === "svg") {
        var made = svgLayer(layer.parts, layer.config, null, select);
        made.group.addTo(state.map);
        state.projects.push({ id: layer.id, strategy: "svg", group: made.group, members: made.members,
                              shown: made.members.slice() });
      } else {
        state.painter = window.atlasMap.canvas(state.map);
        layer.parts.forEach(function (part) { state.painter.add(part, layer.config); });
        state.projects.push({ id: layer.id, strategy: "canvas", group: L.layerGroup() });
      }
    });
    buildHalos(base);
    state.baseKey = base.key;
    state.maskText = null;
    state.toneKey = null;  // new features: colour them again
    window.__atlasLive.baseLoads++;
    // decode the canvas sets' properties now, in the background, not on the first filter change
    if (state.painter) {
      var painter = state.painter;
      painter.whenDrawn().then(function () { return painter.whenReady(); });
    }
  }

  /* ------------------------------------------------------------- per render */

  /* keep(id): the row passes the page's filter (the mask) and its layer is not hidden here */
  function decodeMask(text) {
    var raw = atob(text), bits = new Uint8Array(raw.length), hidden = state.hidden;
    for (var i = 0; i < raw.length; i++) { bits[i] = raw.charCodeAt(i); }
    return function (id) {
      var row = state.idRow.get(id);
      return row !== undefined && (bits[row >> 3] >> (row & 7) & 1) === 1 &&
        !hidden[state.rowLayer[row]];
    };
  }

  function applyMask(text) {
    var key = text + "|" + Object.keys(state.hidden).join(",");
    if (key === state.maskText) { return Promise.resolve(); }
    state.maskText = key;
    window.__atlasLive.ready = false;
    var keep = decodeMask(text), waits = [];
    state.projects.forEach(function (p) {
      if (p.strategy !== "svg") { return; }
      p.members.forEach(function (layer) {
        var want = keep(layer.feature.properties.id), has = p.group.hasLayer(layer);
        if (want && !has) { p.group.addLayer(layer); } else if (!want && has) { p.group.removeLayer(layer); }
      });
    });
    if (state.painter) { waits.push(state.painter.filter(keep)); }
    if (state.halos) { state.halos.keep = keep; showHalos(); }
    window.__atlasLive.applied++;
    return Promise.all(waits).then(function () {
      return new Promise(function (resolve) {
        requestAnimationFrame(function () { window.__atlasLive.paintedAt = performance.now(); resolve(); });
      });
    });
  }

  function applyRefs(visible) {
    Object.keys(state.refs).forEach(function (id) {
      var want = visible.indexOf(id) >= 0, has = state.map.hasLayer(state.refs[id]);
      if (want && !has) { state.refs[id].addTo(state.map); } else if (!want && has) { state.map.removeLayer(state.refs[id]); }
    });
  }

  /* the legend, rebuilt only when it changed (a rebuilt box would unfold, over an open card) */
  function applyLegend(spec) {
    var text = JSON.stringify(spec);
    if (text === state.legendText) { return; }
    state.legendText = text;
    var old = state.legend && state.legend.getContainer(), folded = null, open = null;
    if (old) {
      folded = old.classList.contains("atlas-collapsed");
      open = old.getAttribute("data-open");
      state.map.removeControl(state.legend);
    }
    state.legend = window.atlasMap.legend(state.map, spec);
    var box = state.legend.getContainer();
    if (folded !== null) {  // a new legend keeps the old one's fold (and its state under a card)
      box.classList.toggle("atlas-collapsed", folded);
      if (open !== null) { box.setAttribute("data-open", open); }
    }
  }

  /* the layer control was used: hide or show at once, then tell the page (which reruns and
   * sends the same choice back as a mask) */
  function layerChanged(div, event) {
    var chosen = { layer: [], ref: [] }, hidden = {};
    div.querySelectorAll("input").forEach(function (box) {
      var kind = box.getAttribute("data-kind"), id = box.getAttribute("data-layer");
      if (box.checked) { chosen[kind].push(id); } else if (kind === "layer") {
        hidden[state.layerIds.indexOf(id)] = true;
      }
    });
    var at = Date.now();
    window.__atlasLive.changedAt = event.timeStamp;
    state.localAt = at;
    state.hidden = chosen.layer.length ? hidden : {};  // none ticked: the page shows all
    state.refsShown = chosen.ref;
    applyRefs(chosen.ref);
    if (state.args) {
      applyMask(state.args.mask).then(function () {
        var live = window.__atlasLive;
        live.ready = true;
        live.localPaintedAt = live.paintedAt;  // this change's own paint (a rerun's comes later)
      });
    }
    setValue({ layers: chosen.layer, refs: chosen.ref, at: at });
  }

  /* the layer control under the legend: project layers and reference layers, as in the sidebar */
  function applyLayerBox(control) {
    var text = JSON.stringify([control.title, control.items.map(function (item) {
      return [item.id, item.kind, item.title];
    })]);
    if (text === state.boxText && state.layerBox) {  // the same box: only its ticks may move
      var on = {};
      control.items.forEach(function (item) { on[item.kind + "\u001f" + item.id] = item.on; });
      state.layerBox.getContainer().querySelectorAll("input").forEach(function (box) {
        box.checked = on[box.getAttribute("data-kind") + "\u001f" + box.getAttribute("data-layer")];
      });
      return;
    }
    state.boxText = text;
    if (state.layerBox) { state.map.removeControl(state.layerBox); }
    var box = L.control({ position: "topright" });
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "atlas-layers leaflet-bar");
      div.setAttribute("data-testid", "atlas-layer-control");
      var title = document.createElement("div");
      title.className = "atlas-legend-title atlas-layers-title";
      title.textContent = control.title;
      title.addEventListener("click", function () { div.classList.toggle("atlas-collapsed"); });
      div.appendChild(title);
      // folded unless the map is wide: open under the legend it would cover a third of a
      // laptop's map (the same toggles are in the sidebar); a click on its title unfolds it
      if (state.map.getSize().x < 900) { div.classList.add("atlas-collapsed"); }
      control.items.forEach(function (item) {
        var label = document.createElement("label"), input = document.createElement("input");
        input.type = "checkbox";
        input.checked = item.on;
        input.setAttribute("data-layer", item.id);
        input.addEventListener("change", function (event) { layerChanged(div, event); });
        input.setAttribute("data-kind", item.kind);
        label.appendChild(input);
        label.appendChild(document.createTextNode(item.title));
        div.appendChild(label);
      });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    box.addTo(state.map);
    state.layerBox = box;
  }

  function featureLayer(id) {
    var found = null;
    state.projects.forEach(function (p) {
      if (p.strategy !== "svg") { return; }
      p.members.forEach(function (layer) { if (layer.feature.properties.id === id) { found = layer; } });
    });
    return found;
  }

  function focus(id) {
    if (id === state.clicked) { return; }   // clicked on the map: its card is open already
    var layer = featureLayer(id), map = state.map;
    if (layer) {
      if (layer.getLatLng) { map.setView(layer.getLatLng(), Math.max(map.getZoom(), 16), { animate: false }); } else {
        map.fitBounds(layer.getBounds(), { maxZoom: 17, animate: false });
      }
      layer.openPopup();
    } else if (state.painter) {
      state.painter.find(id).then(function (found) {
        if (!found) { return; }
        map.setView(state.painter.anchor(found[0], found[1]), Math.max(map.getZoom(), 16), { animate: false });
        state.painter.open(found[0], found[1]);
      });
    }
  }

  function apply(args) {
    var live = window.__atlasLive;
    var control = args.layer_control, local = state.localAt !== null &&
      !(control.at && control.at >= state.localAt);
    if (!local) {
      // the page has seen every change of the layer control: its choice is the map's
      state.localAt = null;
      state.hidden = {};
      control.items.forEach(function (item) {
        if (item.kind === "layer" && !item.on) { state.hidden[state.layerIds.indexOf(item.id)] = true; }
      });
      state.refsShown = null;
    }
    var painted = applyMask(args.mask);
    applyTone(args.tone || null);
    applyCompare(args.compare || null);
    applyRefs(local ? state.refsShown : args.refs);
    applyLegend(args.legend);
    if (!local) { applyLayerBox(control); }
    if (args.fit && args.fit.seq !== state.fitSeq) {
      state.fitSeq = args.fit.seq;
      if (args.fit.bounds && state.fitSeq > 0) {
        state.map.fitBounds(args.fit.bounds, { maxZoom: 17, padding: [24, 24], animate: false });
      }
    }
    var wanted = args.focus ? args.focus.id + "\u001f" + args.focus.seq : null;
    if (wanted !== state.focusSeq) {
      state.focusSeq = wanted;
      if (args.focus && args.focus.id) { focus(args.focus.id); }
    }
    if (!args.focus || !args.focus.id) { state.clicked = null; }
    writeView();
    painted.then(function () {
      live.ready = true;
      mark("painted");
      // the page draws its controls, table and charts once the map is up (map_page.MAP_PAINTED)
      reportPainted();
      if (!args.report_painted) { live.complete = true; }
    });
  }

  /* ------------------------------------------------------------- supervision (app/map/supervision.py) */

  /* colour by progress: tone = {key, colours, codes (base64, one per row; 0: the layer's own
   * colour)}, or null for every feature's own colour. SVG paths are restyled in place, the
   * canvas painter redraws with the colours. */
  function applyTone(tone) {
    var key = tone ? tone.key : null;
    if (key === state.toneKey) { return; }
    state.toneKey = key;
    var codes = null;
    if (tone) {
      var raw = atob(tone.codes);
      codes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) { codes[i] = raw.charCodeAt(i); }
    }
    function colourOf(id) {
      var row = state.idRow.get(id), code = codes && row !== undefined ? codes[row] : 0;
      return code ? tone.colours[code] : null;
    }
    state.projects.forEach(function (p) {
      if (p.strategy !== "svg") { return; }
      p.members.forEach(function (layer) {
        var colour = colourOf(layer.feature.properties.id);
        if (colour) {
          if (!layer.atlasOwnStyle) {
            layer.atlasOwnStyle = { color: layer.options.color, fillColor: layer.options.fillColor };
          }
          layer.setStyle({ color: colour, fillColor: colour });
        } else if (layer.atlasOwnStyle) {
          layer.setStyle(layer.atlasOwnStyle);
          layer.atlasOwnStyle = null;
        }
      });
    });
    if (state.painter) { state.painter.tone(codes ? colourOf : null); }
    window.__atlasLive.tone = key;
  }

  var CHANGE_CSS = ".atlas-change{background:none;border:0}" +
    ".atlas-change-symbol{display:flex;align-items:center;justify-content:center;width:18px;" +
    "height:18px;border-radius:50%;color:#fff;font:bold 12px/1 system-ui,sans-serif;" +
    "border:1.5px solid #fff;box-shadow:0 0 2px rgba(0,0,0,.7);box-sizing:border-box}";

  /* the changes between two days: compare = {key, features (GeoJSON: symbols, ghosts of old
   * positions, move lines), count, shown}, or null. Text goes in with textContent only. */
  function applyCompare(compare) {
    var key = compare ? compare.key : null;
    if (key === state.compareKey) { return; }
    state.compareKey = key;
    if (state.compareLayer) { state.map.removeLayer(state.compareLayer); state.compareLayer = null; }
    window.__atlasLive.compare = compare ? compare.shown : null;
    if (!compare) { return; }
    if (!document.getElementById("atlas-change-css")) {
      var css = document.createElement("style");
      css.id = "atlas-change-css";
      css.textContent = CHANGE_CSS;
      document.head.appendChild(css);
    }
    state.compareLayer = L.geoJSON(compare.features, {
      style: function (feature) { return Object.assign({ pane: "atlasAbove", interactive: true }, feature.properties.style || {}); },
      pointToLayer: function (feature, latlng) {
        var props = feature.properties, box = document.createElement("span");
        if (props.role !== "marker") {  // a moved point's old place: a hollow dashed ring
          return L.circleMarker(latlng, Object.assign({ radius: 8, pane: "atlasAbove" }, props.style || {}));
        }
        box.className = "atlas-change-symbol";
        box.setAttribute("data-change", props.kind);
        box.setAttribute("data-project-id", props.id);
        box.style.background = props.colour;
        box.textContent = props.symbol;
        return L.marker(latlng, { keyboard: false, icon: L.divIcon({
          className: "atlas-change", html: box, iconSize: [18, 18], iconAnchor: [9, 9] }) });
      },
      onEachFeature: function (feature, layer) {
        var props = feature.properties;
        layer.bindTooltip(function () {
          var tip = document.createElement("div");
          tip.textContent = props.tip;
          return tip;
        }, { direction: "top", sticky: props.role !== "marker" });
        if (props.role === "marker" && props.kind !== "retired") {
          layer.on("click", function () { select(props.id); });
        }
      }
    }).addTo(state.map);
  }

  function fetchBase(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) { throw new Error("base " + url + ": HTTP " + response.status); }
      return response.json();
    });
  }

  function render(args) {
    state.args = args;
    window.__atlasLive.renders++;
    mark("render");
    window.__atlasLive.renderAt = performance.timeOrigin + performance.now();
    // a new base is fetched at once, while Leaflet loads (not after)
    if (args.base_key !== state.baseKey && !(state.fetching && state.fetching.key === args.base_key)) {
      state.fetching = { key: args.base_key, base: fetchBase(args.base_url) };
    }
    if (!state.loading) {
      state.loading = loadAssets(args.assets).then(function () { mark("assets"); createMap(args); });
    }
    state.loading = state.loading.then(function () {
      var latest = state.args;
      if (latest.base_key === state.baseKey) { apply(latest); return null; }
      var fetching = state.fetching && state.fetching.key === latest.base_key ? state.fetching.base
        : fetchBase(latest.base_url);
      return fetching.then(function (base) {
        mark("base");
        if (state.args.base_key === base.key && base.key !== state.baseKey) {
          // another basemap CRS: keep the same ground under the view
          var shift = state.args.shift || [0, 0], c = state.map.getCenter();
          if (shift[0] !== state.shift[0] || shift[1] !== state.shift[1]) {
            state.map.setView([c.lat - state.shift[0] + shift[0], c.lng - state.shift[1] + shift[1]],
                              state.map.getZoom(), { animate: false });
            state.shift = shift;
          }
          buildBase(base, state.args);
        }
        apply(state.args);
      });
    });
    // a map that cannot be drawn must not hold the rest of the page back
    state.loading.catch(reportPainted);
  }

  /* once per visit, when the page asks for it: the map is up (or cannot be drawn) */
  function reportPainted() {
    if (state.args && state.args.report_painted && !state.reported) {
      state.reported = true;
      setValue({ painted: 1, at: Date.now() });
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (data && data.type === "streamlit:render") { render(data.args); }
  });
  send("streamlit:componentReady", { apiVersion: 1 });
})();

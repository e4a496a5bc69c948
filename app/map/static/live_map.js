/* The atlas's one map: a Streamlit component (app/ui/live_map.py) that keeps one Leaflet map for
 * the whole page visit and updates it in place. Every page that shows a map uses it, in one of
 * four modes (args.mode):
 *
 *   view    the map page (and the import page's preview): a click on a feature opens its card
 *           and, where the page asks for it (args.selectable), selects it; the map's own layer
 *           control acts at once and tells the page;
 *   pick    the field page: a tap anywhere sets a position and does nothing else -- features
 *           take no click, so a tap on a project's outline never selects that project;
 *   draw    the planner page: Leaflet.draw with the tools of the project's layer only, one
 *           drawing at a time (a new one replaces it), the project's recorded shape ready to
 *           edit; every project, the reference layers and the basemap stay around it;
 *   review  the review page: the recorded and the proposed geometry side by side.
 *
 * Why a component of our own rather than st_folium: st_folium's feature_group_to_add re-sends
 * and re-evaluates the whole group's script on every change (at 100,000 features: megabytes
 * re-parsed and the canvas payload decoded again per filter), its clicks only report SVG
 * layers (not the canvas painter), and a moved view can only reach Python by rerunning the
 * script. Here the map's base (app/map/live.py: every located project, reference layers,
 * tiles) is fetched once per visit from the app's static files; a rerun sends only the row
 * mask of the filter (a bitset), the legend, the visible reference layers and, when they
 * change, a focus, a box to fit, a position, overlays or a shape to edit. Features are shown or
 * hidden, never rebuilt. In view mode pan and zoom go to the address bar (lat/lon/z,
 * debounced) without a rerun.
 *
 * The Streamlit component protocol (componentReady / render / setComponentValue /
 * setFrameHeight) is spoken directly: there is no build step and no library to fetch. */
(function () {
  "use strict";

  var state = {
    args: null, map: null, loading: null, base: null, baseKey: null, tiles: [], tileErrors: 0,
    projects: [], refs: {}, panel: null, legendBox: null, layerBox: null, idRow: null,
    painter: null, focusSeq: null, fitSeq: null, clicked: null, maskText: null, notice: null,
    shift: [0, 0], mode: "view",
    // the map's own layer control acts at once: which project layers it hides (by index in
    // the base), which reference layers it shows, and when it last changed them (Date.now(),
    // echoed back by the page once its rerun has seen the change)
    rowLayer: [], layerIds: [], hidden: {}, refsShown: null, localAt: null,
    legendText: null, boxText: null, fetching: null, minimap: null, reported: false,
    // supervision: the colours by progress and the changes between two days shown (their keys)
    toneKey: null, compareKey: null, compareLayer: null,
    // the card open now (a project id; reopened where it was after a new base: a language
    // switch), the mask of the last render (a filter change fits the map when the selection
    // left the view), the position marker, overlays and the drawing
    openId: null, rebuilding: false, lastMask: null, here: null, hereText: null,
    overlays: null, overlayText: null, drawn: null, drawControl: null, shapeKey: null
  };
  // for tests and the bench: counts of renders and of mask applications, and when the last
  // mask was fully painted (performance.now())
  // (changedAt: when the map's layer control was last used, on the same clock as paintedAt;
  // localPaintedAt: when the map had painted that change itself, before the page's rerun)
  // (complete: the page has drawn everything around the map, not the map first)
  // (fits: how often a filter change fitted the map to a selection that had left the view)
  window.__atlasLive = { renders: 0, applied: 0, paintedAt: null, baseLoads: 0, ready: false,
                         marks: {}, changedAt: null, localPaintedAt: null, complete: false,
                         fits: 0, picks: 0, drawings: 0, mode: null };
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

  /* lat/lon/z of the map into the parent's address bar (replaceState: no rerun, no history);
   * only the map page's map (view mode) owns the address bar's view */
  function writeView() {
    var url = parentUrl();
    if (!url || !state.map || !state.args || !state.args.selectable) { return; }
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

  function parentSize() {
    try { return [window.parent.innerWidth, window.parent.innerHeight]; } catch (e) { return [window.innerWidth, window.innerHeight]; }
  }

  function frameHeight(args) {
    var height = args.height;
    try {
      var frame = window.frameElement, top = frame.getBoundingClientRect().top + window.parent.scrollY;
      var inner = window.parent.innerHeight;
      if (args.fixed_height) {  // a page's working map: its own height, never taller than a phone's screen allows
        return inner < 700 ? Math.min(height, Math.max(300, Math.round(inner * 0.6))) : height;
      }
      height = inner < 700 || window.parent.innerWidth < 700
        ? Math.max(300, Math.round(inner * 0.6))
        : Math.max(args.height, Math.min(inner - top - 16, 1400));
    } catch (e) { /* not framed: keep the given height */ }
    return height;
  }

  /* Card placement: clear of the controls on the left (zoom, full screen, measuring: about
   * 50 px wide) and of the folded legend at the top right, and never taller than the map. */
  function popupOptions() {
    // the popup adds about 48 px around its content; the paddings below keep it off the controls
    var size = state.map.getSize(), room = size.x - 58 - 12 - 48;
    return { maxWidth: Math.min(340, room), minWidth: Math.min(220, room),
             maxHeight: Math.max(160, size.y - 130),
             autoPanPaddingTopLeft: [58, 48], autoPanPaddingBottomRight: [12, 56] };
  }

  function cardId(popup) {
    var node = popup.getElement && popup.getElement();
    var card = node && node.querySelector(".atlas-card");
    return card ? card.getAttribute("data-project-id") : null;
  }

  function createMap(args) {
    state.mode = args.mode || "view";
    window.__atlasLive.mode = state.mode;
    document.body.classList.add("atlas-mode-" + state.mode);
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
    var compare = map.createPane("atlasCompare");
    compare.style.zIndex = 420;
    L.control.scale().addTo(map);
    if (L.Control.FullScreen) {
      new L.Control.FullScreen({ position: "topleft", title: args.texts.fullscreen,
                                 titleCancel: args.texts.exit_fullscreen }).addTo(map);
    }
    if (L.Control.Measure && state.mode !== "draw") {
      new L.Control.Measure({ position: "topleft", primaryLengthUnit: "meters",
                              secondaryLengthUnit: "kilometers", primaryAreaUnit: "sqmeters",
                              secondaryAreaUnit: "hectares" }).addTo(map);
    }
    map.on("moveend", viewMoved);
    // an open card never sits under the legend or the layer control: they fold while it is open
    map.on("popupopen", function (e) {
      var id = cardId(e.popup);
      if (id) { state.openId = id; }
      document.body.classList.add("atlas-card-open");  // and the minimap steps aside (CSS)
      foldForCard(true);
    });
    map.on("popupclose", function () {
      if (!state.rebuilding) { state.openId = null; }
      document.body.classList.remove("atlas-card-open");
      foldForCard(false);
    });
    map.on("atlasselect", function (e) { select(e.id); });
    if (state.mode === "pick") { map.on("click", picked); }
    map.invalidateSize();
    state.shift = args.shift || [0, 0];
    var remembered = null;
    if (args.selectable) {
      try { remembered = JSON.parse(window.parent.sessionStorage.getItem("atlas-live-view")); } catch (e) { remembered = null; }
    }
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
    if (state.args && state.args.selectable) { setValue({ select: id, at: Date.now() }); }
  }

  /* pick mode: a tap is a position, in the basemap's coordinates (the page turns it back to
   * WGS-84), and nothing else */
  function picked(e) {
    if (!state.base) { return; }
    window.__atlasLive.picks++;
    showHere({ lat: e.latlng.lat, lon: e.latlng.lng, accuracy: null });
    setValue({ pick: { lat: e.latlng.lat, lng: e.latlng.lng }, crs: state.base.crs, at: Date.now() });
  }

  function tileNotice(texts) {
    if (state.notice) { return; }
    var box = document.createElement("div");
    box.className = "atlas-live-notice";
    box.setAttribute("data-testid", "atlas-tile-error");
    box.appendChild(document.createTextNode(texts.tile_error));
    if (state.args && state.args.selectable) {
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
    }
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
    if (base.tiles.length && L.Control.MiniMap && state.mode === "view") {
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

  /* Features of one layer as SVG paths; in pick mode they take no pointer event at all (a tap
   * on them is a tap on the map). */
  function svgLayer(parts, cfg, pane, onClick) {
    var group = L.featureGroup(), members = [], interactive = state.mode !== "pick";
    parts.forEach(function (part) {
      var style = part[1], radius = part[2];
      if (pane) { style = Object.assign({}, style, { pane: pane }); }
      if (!interactive) { style = Object.assign({}, style, { interactive: false }); }
      L.geoJSON(part[0], {
        interactive: interactive,
        style: function () { return style; },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, Object.assign({}, style, { radius: radius }));
        },
        onEachFeature: function (feature, layer) {
          if (interactive) {
            window.atlasMap.bind(cfg, popupOptions)(feature, layer);
            if (onClick) { layer.on("click", function () { onClick(feature.properties.id); }); }
          }
          members.push(layer);
          group.addLayer(layer);
        }
      });
    });
    return { group: group, members: members };
  }

  function buildBase(base, args) {
    state.rebuilding = true;
    state.map.closePopup();
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
        // pick and draw: a tap or a vertex over a canvas feature belongs to the map
        state.painter.passive = state.mode === "pick" || state.mode === "draw";
        state.painter.popupOptions = popupOptions;
        layer.parts.forEach(function (part) { state.painter.add(part, layer.config); });
        state.projects.push({ id: layer.id, strategy: "canvas", group: L.layerGroup() });
      }
    });
    buildHalos(base);
    state.base = base;
    state.baseKey = base.key;
    state.maskText = null;
    state.toneKey = null;  // new features: colour them again
    state.rebuilding = false;
    window.__atlasLive.baseLoads++;
    // decode the canvas sets' properties now, in the background, not on the first filter change
    if (state.painter) {
      var painter = state.painter;
      painter.whenDrawn().then(function () { return painter.whenReady(); });
    }
  }

  /* ------------------------------------------------------------- per render */

  /* keep(id): the row passes the page's filter (the mask; "" or none: every row) and its
   * layer is not hidden here */
  function decodeMask(text) {
    var hidden = state.hidden, bits = null;
    if (text) {
      var raw = atob(text);
      bits = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) { bits[i] = raw.charCodeAt(i); }
    }
    return function (id) {
      var row = state.idRow.get(id);
      return row !== undefined && (bits === null || (bits[row >> 3] >> (row & 7) & 1) === 1) &&
        !hidden[state.rowLayer[row]];
    };
  }

  function applyMask(text) {
    var key = (text || "*") + "|" + Object.keys(state.hidden).join(",");
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

  /* ---------------------------------------------------- legend and layers: one control */

  /* Whether the legend and the layer box share one folded control: on windows narrower than
   * 1400 px (a laptop: open, they would cover the densest part of the district) and on narrow
   * maps. */
  function compact() {
    return parentSize()[0] < 1400 || state.map.getSize().x < 600;
  }

  function panel(texts) {
    if (state.panel) { return state.panel; }
    var control = L.control({ position: "topright" }), folded = compact();
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "atlas-panel leaflet-bar");
      div.setAttribute("data-testid", "atlas-panel");
      var head = document.createElement("div");
      head.className = "atlas-panel-title atlas-legend-title";
      head.setAttribute("role", "button");
      head.textContent = texts.legend_layers || "";
      head.addEventListener("click", function () { div.classList.toggle("atlas-collapsed"); });
      div.appendChild(head);
      if (folded) { div.classList.add("atlas-compact", "atlas-collapsed"); }
      state.legendBox = L.DomUtil.create("div", "atlas-legend", div);
      state.layerBox = L.DomUtil.create("div", "atlas-layers", div);
      state.layerBox.setAttribute("data-testid", "atlas-layer-control");
      // folded unless the map is wide: the same toggles are in the sidebar
      if (state.map.getSize().x < 900) { state.layerBox.classList.add("atlas-collapsed"); }
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    control.addTo(state.map);
    state.panel = control;
    return control;
  }

  /* while a card is open the boxes fold (and unfold as they were when it closes) */
  function foldForCard(open) {
    if (!state.panel) { return; }
    var boxes = [state.panel.getContainer(), state.legendBox, state.layerBox];
    boxes.forEach(function (box) {
      if (open) {
        box.setAttribute("data-open", box.classList.contains("atlas-collapsed") ? "0" : "1");
        if (box === state.panel.getContainer() ? box.classList.contains("atlas-compact") : true) {
          box.classList.add("atlas-collapsed");
        }
      } else if (box.getAttribute("data-open") === "1") {
        box.classList.remove("atlas-collapsed");
      }
    });
  }

  /* the legend, refilled only when it changed (its fold stays as the user left it) */
  function applyLegend(spec, texts) {
    var text = JSON.stringify(spec);
    if (text === state.legendText) { return; }
    state.legendText = text;
    panel(texts);
    var box = state.legendBox, folded = box.classList.contains("atlas-collapsed");
    box.textContent = "";
    window.atlasMap.legendInto(box, spec);
    if (!state.legendFilled && state.map.getSize().x < 600) { folded = true; }
    state.legendFilled = true;
    box.classList.toggle("atlas-collapsed", folded);
  }

  /* the layer control was used: hide or show at once, then tell the page (which reruns and
   * sends the same choice back as a mask); a page that does not listen keeps it here */
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
    if (state.args && state.args.selectable) { setValue({ layers: chosen.layer, refs: chosen.ref, at: at }); }
  }

  /* the layer box under the legend: project layers and reference layers, as in the sidebar */
  function applyLayerBox(control, texts) {
    var text = JSON.stringify([control.title, control.items.map(function (item) {
      return [item.id, item.kind, item.title];
    })]);
    panel(texts);
    var div = state.layerBox;
    if (text === state.boxText) {  // the same box: only its ticks may move
      var on = {};
      control.items.forEach(function (item) { on[item.kind + "\u001f" + item.id] = item.on; });
      div.querySelectorAll("input").forEach(function (box) {
        box.checked = on[box.getAttribute("data-kind") + "\u001f" + box.getAttribute("data-layer")];
      });
      return;
    }
    state.boxText = text;
    var folded = div.classList.contains("atlas-collapsed");
    div.textContent = "";
    var title = document.createElement("div");
    title.className = "atlas-legend-title atlas-layers-title";
    title.textContent = control.title;
    title.addEventListener("click", function () { div.classList.toggle("atlas-collapsed"); });
    div.appendChild(title);
    div.classList.toggle("atlas-collapsed", folded);
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
  }

  /* ---------------------------------------------------- cards, focus, fitting */

  function featureLayer(id) {
    var found = null;
    state.projects.forEach(function (p) {
      if (p.strategy !== "svg") { return; }
      p.members.forEach(function (layer) { if (layer.feature.properties.id === id) { found = layer; } });
    });
    return found;
  }

  /* open the card of project `id`; `move`: bring it into view first (a selection from the
   * table), else open it where it is and leave the view alone (a shared link's own view, the
   * same card after a language switch) */
  function openCard(id, move) {
    var layer = featureLayer(id), map = state.map;
    if (layer) {
      if (move) {
        if (layer.getLatLng) { map.setView(layer.getLatLng(), Math.max(map.getZoom(), 16), { animate: false }); } else {
          map.fitBounds(layer.getBounds(), { maxZoom: 17, animate: false });
        }
      }
      var popup = layer.getPopup();
      if (popup) { popup.options.autoPan = move; }
      layer.openPopup();
      if (popup) { popup.options.autoPan = true; }
    } else if (state.painter) {
      state.painter.find(id).then(function (found) {
        if (!found) { return; }
        if (move) {
          map.setView(state.painter.anchor(found[0], found[1]), Math.max(map.getZoom(), 16), { animate: false });
        }
        state.painter.open(found[0], found[1], null, move);
      });
    }
  }

  function focus(id, move) {
    if (id === state.clicked) { return; }   // clicked on the map: its card is open already
    openCard(id, move);
  }

  /* Is any feature of the selection in the map's view? SVG features are asked one by one;
   * canvas-drawn ones by the selection's box (`bounds`, [[s, w], [n, e]]). */
  function selectionInView(bounds) {
    var view = state.map.getBounds().pad(-0.05), seen = false;
    state.projects.forEach(function (p) {
      if (p.strategy !== "svg" || seen) { return; }
      p.group.eachLayer(function (layer) {
        if (!seen && (layer.getLatLng ? view.contains(layer.getLatLng()) : view.intersects(layer.getBounds()))) {
          seen = true;
        }
      });
    });
    return seen || (state.painter !== null && view.intersects(L.latLngBounds(bounds)));
  }

  /* ---------------------------------------------------- position, overlays, drawing */

  function showHere(here) {
    if (state.here) { state.here.forEach(function (layer) { state.map.removeLayer(layer); }); }
    state.here = [];
    if (!here) { return; }
    var at = [here.lat, here.lon];
    if (here.accuracy) {
      state.here.push(L.circle(at, { radius: here.accuracy, color: "#1565c0", weight: 1, fill: true,
                                     fillOpacity: 0.1, interactive: false, pane: "atlasCompare",
                                     className: "atlas-here-accuracy" }).addTo(state.map));
    }
    state.here.push(L.circleMarker(at, { radius: 8, color: "#ffffff", weight: 3, fill: true,
                                         fillColor: "#1565c0", fillOpacity: 1, interactive: false,
                                         pane: "atlasCompare", className: "atlas-here" }).addTo(state.map));
  }

  function applyHere(here) {
    var text = JSON.stringify(here || null);
    if (text === state.hereText) { return; }
    state.hereText = text;
    showHere(here);
  }

  /* Geometries drawn over everything, never clickable: the recorded one and the proposed one
   * (review), an uploaded boundary (planner). Each {geometry, role, style}. */
  function applyOverlays(list) {
    var text = JSON.stringify(list || []);
    if (text === state.overlayText) { return; }
    state.overlayText = text;
    if (state.overlays) { state.map.removeLayer(state.overlays); }
    state.overlays = L.featureGroup();
    (list || []).forEach(function (item) {
      var style = Object.assign({ interactive: false, pane: "atlasCompare",
                                  className: "atlas-overlay atlas-overlay-" + item.role }, item.style);
      L.geoJSON(item.geometry, {
        interactive: false,
        style: function () { return style; },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, Object.assign({}, style, { radius: 8 }));
        }
      }).eachLayer(function (layer) { state.overlays.addLayer(layer); });
    });
    state.overlays.addTo(state.map);
  }

  /* Leaflet.draw's English texts replaced by the page's (paths in L.drawLocal) */
  function drawTexts(texts) {
    Object.keys(texts || {}).forEach(function (path) {
      var keys = path.split("."), node = L.drawLocal;
      for (var i = 0; i < keys.length - 1; i++) { node = node && node[keys[i]]; }
      if (node) { node[keys[keys.length - 1]] = texts[path]; }
    });
  }

  function sendDrawing() {
    var layers = state.drawn.getLayers(), last = layers[layers.length - 1];
    window.__atlasLive.drawings++;
    setValue({ drawn: last ? last.toGeoJSON().geometry : null, crs: state.base.crs, at: Date.now() });
  }

  function setupDraw(draw) {
    if (state.drawControl || !L.Control.Draw) { return; }
    drawTexts(draw.texts);
    state.drawn = new L.FeatureGroup();
    state.drawn.addTo(state.map);
    state.drawControl = new L.Control.Draw({
      position: "bottomright", draw: draw.tools,
      edit: { featureGroup: state.drawn, poly: { allowIntersection: false } }
    });
    state.map.addControl(state.drawControl);
    state.map.on(L.Draw.Event.CREATED, function (e) {
      state.drawn.clearLayers();  // one drawing at a time: the new one replaces the last
      state.drawn.addLayer(e.layer);
      sendDrawing();
    });
    state.map.on(L.Draw.Event.EDITED, sendDrawing);
    state.map.on(L.Draw.Event.DELETED, sendDrawing);
  }

  /* the shape to edit (the recorded geometry, or what the page holds as drawn), when it changed */
  function applyShape(draw) {
    if (draw.shape_key === state.shapeKey) { return; }
    state.shapeKey = draw.shape_key;
    state.drawn.clearLayers();
    if (!draw.shape) { return; }
    L.geoJSON(draw.shape, {
      style: function () { return draw.style; },
      pointToLayer: function (feature, latlng) { return L.marker(latlng); }
    }).eachLayer(function (layer) { state.drawn.addLayer(layer); });
  }

  /* ---------------------------------------------------- one render */

  function apply(args, first) {
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
    var maskChanged = state.lastMask !== null && args.mask !== state.lastMask;
    state.lastMask = args.mask;
    var painted = applyMask(args.mask);
    applyTone(args.tone || null);
    applyCompare(args.compare || null);
    applyRefs(local ? state.refsShown : args.refs);
    applyLegend(args.legend, args.texts);
    if (!local) { applyLayerBox(control, args.texts); }
    applyHere(args.here);
    applyOverlays(args.overlays);
    if (args.draw && state.mode === "draw") {
      setupDraw(args.draw);
      applyShape(args.draw);
    }
    var fitted = false;
    if (args.fit && args.fit.seq !== state.fitSeq) {
      state.fitSeq = args.fit.seq;
      if (args.fit.bounds && (typeof state.fitSeq !== "number" || state.fitSeq > 0)) {
        state.map.fitBounds(args.fit.bounds, { maxZoom: args.fit.max_zoom || 17, padding: [24, 24], animate: false });
        fitted = true;
      }
    }
    var wanted = args.focus ? args.focus.id + "\u001f" + args.focus.seq : null;
    var focusing = wanted !== state.focusSeq && args.focus && args.focus.id;
    // a filter whose selection is nowhere in the view: the map goes to it (not when a search,
    // a selected project or the map's own layer box moves it)
    if (maskChanged && !fitted && !focusing && !local && args.selection && !selectionInView(args.selection)) {
      state.map.fitBounds(args.selection, { maxZoom: 17, padding: [24, 24], animate: false });
      live.fits++;
    }
    if (wanted !== state.focusSeq) {
      state.focusSeq = wanted;
      // a shared link with its own view: the card opens where the project is, the view stays
      if (focusing) { focus(args.focus.id, !(first && args.view)); }
    } else if (first && state.openId && (!args.focus || args.focus.id === state.openId)) {
      openCard(state.openId, false);  // a new base (a language switch): the same card again
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
      if (latest.base_key === state.baseKey) { apply(latest, false); return null; }
      var fetching = state.fetching && state.fetching.key === latest.base_key ? state.fetching.base
        : fetchBase(latest.base_url);
      return fetching.then(function (base) {
        mark("base");
        var first = false;
        if (state.args.base_key === base.key && base.key !== state.baseKey) {
          // another basemap CRS: keep the same ground under the view
          var shift = state.args.shift || [0, 0], c = state.map.getCenter();
          if (shift[0] !== state.shift[0] || shift[1] !== state.shift[1]) {
            state.map.setView([c.lat - state.shift[0] + shift[0], c.lng - state.shift[1] + shift[1]],
                              state.map.getZoom(), { animate: false });
            state.shift = shift;
          }
          first = state.baseKey === null;
          buildBase(base, state.args);
          first = true;
        }
        apply(state.args, first);
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

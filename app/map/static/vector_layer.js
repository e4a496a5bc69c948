/* A reference layer drawn from vector tiles (app/map/vector_tiles.py), for the live map.
 *
 * window.atlasVectorLayer(spec) gives a Leaflet layer (Leaflet.VectorGrid, vendored in
 * static/vendor) of the tiles at spec.url ("…/{z}/{x}/{y}.pbf", source layer spec.id), drawn
 * with spec.style; a click on a feature opens a popup listing its attributes, every name and
 * value set as text (never parsed as HTML). The map adds and removes it like any reference layer:
 * live_map.js, for a reference layer whose base entry has "tiles", makes it here.
 *
 * window.atlasVectorStats counts what has been painted, for the tests and the benchmark:
 * tiles loaded, features drawn, and the ms from navigation start to the first painted feature.
 */
(function () {
  "use strict";

  var stats = window.atlasVectorStats = { tiles: 0, features: 0, firstPaintMs: null, clicks: 0 };

  function cell(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value === null || value === undefined ? "" : String(value);
    return node;
  }

  /* the attributes of a clicked feature, as a table of text */
  function attributes(title, properties) {
    var box = document.createElement("div");
    box.className = "atlas-vector-card";
    box.appendChild(cell("strong", title));
    var table = document.createElement("table");
    Object.keys(properties || {}).slice(0, 40).forEach(function (name) {
      var row = document.createElement("tr");
      row.appendChild(cell("th", name));
      row.appendChild(cell("td", properties[name]));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }

  window.atlasVectorLayer = function (spec) {
    var style = Object.assign({ weight: 1, color: "#6b5b4b", fill: true, fillColor: "#b8a48c",
                                fillOpacity: 0.45, opacity: 0.9 }, spec.style || {});
    var styles = {};
    styles[spec.id] = function () { return style; };
    var layer = L.vectorGrid.protobuf(spec.url, {
      vectorTileLayerStyles: styles,
      rendererFactory: L.svg.tile,
      interactive: true,
      maxNativeZoom: spec.maxNativeZoom || 16,
      minNativeZoom: spec.minNativeZoom || 11,
      minZoom: spec.minZoom || 11,
      pane: spec.pane || "overlayPane"
    });
    layer.on("tileload", function (event) {
      stats.tiles += 1;
      var drawn = event.tile && event.tile.querySelectorAll ? event.tile.querySelectorAll("path").length : 0;
      stats.features += drawn;
      if (drawn && stats.firstPaintMs === null) { stats.firstPaintMs = performance.now(); }
    });
    layer.on("click", function (event) {
      stats.clicks += 1;
      var properties = (event.layer && event.layer.properties) || {};
      L.popup({ maxWidth: 360 }).setLatLng(event.latlng)
        .setContent(attributes(spec.title || spec.id, properties)).openOn(layer._map);
    });
    return layer;
  };
})();

/* Client-side helpers of the atlas map: tooltips, project cards and the legend.
 * Everything is built with DOM nodes and textContent (no HTML parsing), so register text
 * (names, descriptions, notes) can never run as markup or script. */
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

  function tooltip(cfg) {
    return function (layer) {
      var p = layer.feature.properties;
      var box = el("div", "atlas-tip");
      cfg.tooltip.forEach(function (key, i) {
        box.appendChild(el(i === 0 ? "strong" : "div", null, show(p[key])));
      });
      return box;
    };
  }

  function card(cfg) {
    return function (layer) {
      var p = layer.feature.properties;
      var box = el("div", "atlas-card");
      box.setAttribute("data-project-id", show(p.id));
      box.appendChild(el("div", "atlas-card-title", show(p[cfg.title])));
      if (cfg.subtitle) { box.appendChild(el("div", "atlas-card-subtitle", show(p[cfg.subtitle]))); }
      var table = el("table");
      cfg.card.forEach(function (row) {
        var tr = el("tr");
        tr.appendChild(el("th", null, row[1]));
        tr.appendChild(el("td", null, show(p[row[0]])));
        table.appendChild(tr);
      });
      box.appendChild(table);
      return box;
    };
  }

  function bind(cfg) {
    return function (feature, layer) {
      layer.bindTooltip(tooltip(cfg), { sticky: true, direction: "top" });
      layer.bindPopup(card(cfg), { maxWidth: 340, minWidth: 220, autoPanPadding: [20, 20] });
    };
  }

  function legend(map, spec) {
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "atlas-legend leaflet-bar");
      var title = el("div", "atlas-legend-title", spec.title);
      title.setAttribute("role", "button");
      title.addEventListener("click", function () { box.classList.toggle("atlas-collapsed"); });
      box.appendChild(title);
      if (map.getSize().x < 600) { box.classList.add("atlas-collapsed"); }
      spec.groups.forEach(function (group) {
        box.appendChild(el("div", "atlas-legend-group", group.title));
        group.entries.forEach(function (entry) {
          var row = el("div", "atlas-legend-row");
          var swatch = el("span", "atlas-swatch atlas-swatch-" + entry.shape);
          swatch.style.borderColor = entry.color;
          swatch.style.background = entry.shape === "line" ? entry.color : entry.fill;
          row.appendChild(swatch);
          row.appendChild(el("span", null, entry.label));
          if (entry.count !== null && entry.count !== undefined) {
            row.appendChild(el("span", "atlas-legend-count", entry.count));
          }
          box.appendChild(row);
        });
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  function openPopup(map, projectId) {
    map.eachLayer(function (layer) {
      if (layer.feature && layer.feature.properties && layer.feature.properties.id === projectId
          && layer.openPopup) {
        layer.openPopup();
      }
    });
  }

  return { bind: bind, legend: legend, openPopup: openPopup };
})();

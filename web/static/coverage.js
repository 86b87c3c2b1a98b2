/* geociv planner page: 15-minute service circles on a Leaflet map, from /api/coverage. */
(function () {
  "use strict";

  var API = "/api/coverage";
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var mapEl = document.getElementById("cov-map");
  var canWrite = mapEl.dataset.canWrite === "true";

  // Facility colours come from /api/coverage/options (the same as in the exported map).
  var TYPE_COLORS = {};
  // Inner rings darker: 5 min, 10 min, 15 min (or the outermost time).
  var RING_COLORS = ["#1e8449", "#52be80", "#a9dfbf", "#d5f5e3"];
  var SUGGEST_COLOR = "#ff8f00";

  var map = L.map(mapEl, { zoomControl: true, preferCanvas: false });
  L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map);
  var osm = L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", {
    attribution: "© OpenStreetMap contributors", maxZoom: 19
  });
  var blank = L.layerGroup();
  blank.addTo(map);
  map.setView([32.98, 114.03], 12);

  // Streets of the chosen network sit below every other layer.
  map.createPane("networkPane").style.zIndex = 350;
  var layers = {
    network: L.layerGroup().addTo(map),
    aoi: L.layerGroup().addTo(map),
    zones: L.layerGroup().addTo(map),
    rings: L.layerGroup().addTo(map),
    uncovered: L.layerGroup().addTo(map),
    facilities: L.layerGroup().addTo(map),
    suggestedAreas: L.layerGroup().addTo(map),
    batch: L.layerGroup().addTo(map),
    suggested: L.layerGroup().addTo(map)
  };
  L.control.layers(
    { "无底图（离线可用）": blank, "OpenStreetMap（需联网）": osm },
    {
      "路网": layers.network, "统计范围": layers.aoi, "统计单元覆盖率": layers.zones, "服务圈": layers.rings,
      "未覆盖区域": layers.uncovered, "设施": layers.facilities,
      "建议新址服务圈": layers.suggestedAreas, "建议新址": layers.suggested,
      "区县汇总覆盖率": layers.batch
    },
    { collapsed: true }
  ).addTo(map);

  // One legend, rebuilt (never appended to) for what the map shows; it folds away, and starts
  // folded on a narrow (phone) map so that it never hides the area.
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("details", "cov-legend");
    div.id = "cov-legend";
    div.open = mapEl.clientWidth >= 600;
    div.innerHTML = "<summary>图例</summary><div class='legend-body'><div class='muted'>尚未计算</div></div>";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);
  function setLegend(html) { $("cov-legend").querySelector(".legend-body").innerHTML = html; }

  var banner = L.control({ position: "topleft" });
  banner.onAdd = function () {
    var div = L.DomUtil.create("div", "cov-banner");
    div.id = "cov-banner";
    div.hidden = true;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  banner.addTo(map);

  var state = { options: null, run: null, suggestion: null, facilities: null, batch: null, shown: null };

  // The banner says what the map shows now: a coverage run or the county summary.
  function setBanner(text, note) {
    var b = $("cov-banner");
    b.hidden = false;
    b.innerHTML = "<div class='cov-banner-text'>" + esc(text) + "</div>" +
      (note ? "<div class='muted'>" + esc(note) + "</div>" : "");
  }

  // Which result is on the map; the other one can be brought back from the side panel.
  function showing(kind) {
    state.shown = kind;
    $("cov-show-run").hidden = kind === "run" || !state.run;
    var back = $("cov-show-batch");
    if (back) { back.hidden = kind === "batch" || !state.batch; }
  }

  // -- helpers -------------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }
  function esc(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + " %"; }
  function num(x, digits) {
    return x === null || x === undefined ? "—" : Number(x).toLocaleString("zh-CN", {
      maximumFractionDigits: digits === undefined ? 0 : digits
    });
  }

  function request(method, url, body, isForm) {
    var opts = { method: method, headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
                 credentials: "same-origin" };
    if (body !== undefined) {
      if (isForm) { opts.body = body; } else {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(body);
      }
    }
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return { error: "服务器返回了无法解析的内容" }; })
        .then(function (data) {
          if (!resp.ok) { var err = new Error(data.error || ("请求失败 " + resp.status)); err.data = data; throw err; }
          return data;
        });
    });
  }

  function showErrors(el, err) {
    var data = err.data || {};
    var html = "<b>" + esc(data.error || err.message) + "</b>";
    // the field's Chinese label leads; its machine name is only a small tag after the message
    (data.problems || []).forEach(function (p) {
      var where = [p.row ? "第 " + p.row + " 行" : "", p.label || ""].filter(Boolean).join(" ");
      html += "<div>" + (where ? esc(where) + "：" : "") + esc(p.message) +
        (p.field ? ' <small class="tag">' + esc(p.field) + "</small>" : "") + "</div>";
    });
    el.innerHTML = html;
  }

  function progressOf(box) {
    return {
      show: function (fraction, text) {
        box.hidden = false;
        box.querySelector("progress").value = fraction;
        box.querySelector(".cov-progress-text").textContent =
          Math.round(fraction * 100) + " %  " + (text || "");
      },
      hide: function () { box.hidden = true; }
    };
  }

  // Poll a background job until it ends; resolves with its result.
  function follow(jobId, bar) {
    return new Promise(function (resolve, reject) {
      function tick() {
        request("GET", API + "/jobs/" + jobId).then(function (job) {
          bar.show(job.progress, job.message);
          if (job.state === "done") { resolve(job.result); }
          else if (job.state === "failed") {
            var err = new Error(job.error.error); err.data = job.error; reject(err);
          } else { setTimeout(tick, 400); }
        }).catch(reject);
      }
      tick();
    });
  }

  // -- options and facilities ----------------------------------------------------------------

  function fillSelect(sel, items, value, label) {
    items.forEach(function (item) {
      var opt = document.createElement("option");
      opt.value = item[value];
      opt.textContent = label(item);
      sel.appendChild(opt);
    });
  }

  function resetSelect(sel, keepFirst) {
    Array.prototype.slice.call(sel.options).forEach(function (opt, i) {
      if (!(keepFirst && i === 0) && !/^division:/.test(opt.value)) { sel.removeChild(opt); }
    });
  }

  function loadOptions() {
    return request("GET", API + "/options").then(function (opts) {
      state.options = opts;
      opts.types.forEach(function (t) { TYPE_COLORS[t.code] = t.color; });
      var checked = {};
      document.querySelectorAll("#cov-types input").forEach(function (b) { checked[b.value] = b.checked; });
      var types = $("cov-types");
      types.innerHTML = "";
      opts.types.forEach(function (t) {
        var label = document.createElement("label");
        label.className = "check";
        label.innerHTML = "<input type='checkbox' name='types' value='" + esc(t.code) + "'" +
          ((t.code in checked ? checked[t.code] : t.code === "rental_station") ? " checked" : "") + "> <span class='swatch' style='background:" +
          (TYPE_COLORS[t.code] || "#555") + "'></span>" + esc(t.label) +
          " <span class='muted'>(" + t.count + ")</span>";
        types.appendChild(label);
      });
      var speed = $("cov-speed");
      var speedValue = speed.value;
      speed.innerHTML = "";
      // Refilling keeps what the planner has chosen (options may arrive after a choice).
      var chosen = {};
      var first = !state.optionsLoaded;
      ["cov-aoi", "cov-network", "cov-raster", "cov-raster2", "cov-zones"].forEach(function (id, i) {
        chosen[id] = $(id).value;
        resetSelect($(id), i > 0);
      });
      fillSelect(speed, opts.speeds, "code", function (s) { return s.label + " " + s.mps + " m/s"; });
      if (speedValue) { speed.value = speedValue; }
      var aoi = $("cov-aoi");
      opts.aois.slice().reverse().forEach(function (z) {
        var opt = document.createElement("option");
        opt.value = "zone_set:" + z.set_id;
        opt.textContent = z.name;
        aoi.insertBefore(opt, aoi.firstChild);
      });
      if (first) { aoi.selectedIndex = 0; }
      fillSelect($("cov-network"), opts.networks, "network_id", function (n) {
        return n.name + "（" + num(n.length_km, 1) + " km 路网）";
      });
      ["cov-raster", "cov-raster2"].forEach(function (id) {
        fillSelect($(id), opts.rasters, "raster_id", function (r) {
          return r.label + "（合计 " + num(r.total) + " 人）";
        });
      });
      fillSelect($("cov-zones"), opts.zone_sets, "set_id", function (z) {
        // a division change case took effect since the set was made: say so where it is chosen
        return z.name + "（" + z.n_zones + " 个）" + (z.stale ? "（区划已变更，需更新）" : "");
      });
      if (first && opts.zone_sets.length) { $("cov-zones").value = opts.zone_sets[0].set_id; }
      if (!first) {
        Object.keys(chosen).forEach(function (id) {
          var sel = $(id);
          if (Array.prototype.some.call(sel.options, function (o) { return o.value === chosen[id]; })) {
            sel.value = chosen[id];
          }
        });
      }
      state.optionsLoaded = true;
    });
  }

  function facilityPopup(p) {
    return "<b>" + esc(p.name) + "</b><br>" + esc(p.type_label) + " · " + esc(p.status_label) +
      (p.capacity_beds ? "<br>床位 " + esc(p.capacity_beds) : "") +
      (p.address ? "<br>" + esc(p.address) : "") +
      "<br><span class='muted'>" + esc(p.facility_id) + (p.sample ? " · 示例" : "") + "</span>";
  }

  function loadFacilities() {
    return request("GET", API + "/facilities").then(function (fc) {
      state.facilities = fc;
      layers.facilities.clearLayers();
      var bounds = [];
      fc.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var color = TYPE_COLORS[p.type] || "#555";
        var built = p.status === "existing";
        var marker = L.circleMarker([c[1], c[0]], built ? {
          radius: 6, color: "#fff", weight: 1.5, fillColor: color, fillOpacity: 0.95,
          className: "cov-facility cov-type-" + p.type
        } : {
          radius: 6, color: color, weight: 2, fillColor: "#fff", fillOpacity: 0.9, dashArray: "3 2",
          className: "cov-facility cov-type-" + p.type
        }).bindPopup(facilityPopup(p));
        marker.facilityId = p.facility_id;
        marker.addTo(layers.facilities);
        bounds.push([c[1], c[0]]);
      });
      if (bounds.length && !state.run) { map.fitBounds(bounds, { padding: [40, 40] }); }
    });
  }

  // -- drawing a run ---------------------------------------------------------------------------

  // Zone classes as in the exported map: under 25 % unfilled so the rings keep their colours.
  var ZONE_BINS = [[0.25, null], [0.5, "#cbc9e2"], [0.75, "#9e9ac8"], [Infinity, "#6a51a3"]];
  function zoneColor(share) {
    if (share === null || share === undefined) { return null; }
    for (var i = 0; i < ZONE_BINS.length; i++) { if (share < ZONE_BINS[i][0]) { return ZONE_BINS[i][1]; } }
    return ZONE_BINS[ZONE_BINS.length - 1][1];
  }

  var RUN_LAYERS = ["network", "aoi", "zones", "rings", "uncovered", "suggestedAreas", "suggested"];

  function drawRun(run) {
    state.run = run;
    RUN_LAYERS.concat(["batch"]).forEach(function (k) { layers[k].clearLayers(); });
    var aoi = L.geoJSON(run.aoi, { style: { color: "#1f3a5f", weight: 2.5, dashArray: "6 4", fill: false },
                                   interactive: false }).addTo(layers.aoi);
    if (run.zones) {
      L.geoJSON(run.zones, {
        style: function (f) {
          var fill = zoneColor(f.properties.area_share);
          return { color: "#5e548e", weight: 0.8, fillColor: fill || "#ffffff", fillOpacity: fill ? 0.55 : 0,
                   className: "cov-zone" };
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(esc(p.name || p.code) + "：覆盖 " + pct(p.area_share) +
            (p.share !== undefined && p.share !== null ? "，人口 " + pct(p.share) : "") +
            "，设施 " + p.facilities + " 处" + (p.served ? "（达标）" : ""), { sticky: true });
        }
      }).addTo(layers.zones);
    }
    var rings = run.isochrones.features.slice().sort(function (a, b) {
      return b.properties.minutes - a.properties.minutes;
    });
    var n = rings.length;
    rings.forEach(function (f, i) {
      var color = RING_COLORS[Math.max(0, Math.min(RING_COLORS.length - 1, n - 1 - i))];
      L.geoJSON(f, {
        style: { color: "#196f3d", weight: i === 0 ? 1.5 : 0.8, fillColor: color, fillOpacity: 0.45,
                 dashArray: run.method === "fallback" ? "4 3" : null, className: "cov-ring" },
        onEachFeature: function (feat, layer) {
          layer.bindTooltip(feat.properties.minutes + " 分钟服务圈（" + run.method_label + "）", { sticky: true });
        }
      }).addTo(layers.rings);
    });
    L.geoJSON(run.uncovered, {
      style: { color: "#c0392b", weight: 0.8, fillColor: "#e74c3c", fillOpacity: 0.18, className: "cov-uncovered" },
      onEachFeature: function (f, layer) {
        layer.bindTooltip("未覆盖区域 " + num(f.properties.area_km2, 2) + " km²", { sticky: true });
      }
    }).addTo(layers.uncovered);
    layers.facilities.eachLayer(function (l) { l.bringToFront(); });
    try { map.fitBounds(aoi.getBounds(), { padding: [20, 20] }); } catch (e) { /* empty aoi */ }
    drawNetwork(run, aoi);
    drawLegend(run);
    drawHeadline(run);
    drawZonesTable(run);
    $("cov-suggest").hidden = false;
    $("cov-suggest-result").hidden = true;
    showing("run");
  }

  function drawNetwork(run, aoi) {
    var req = run.inputs.request || {};
    if (run.method !== "network" || !req.network_id) { return; }
    var b = aoi.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    request("GET", API + "/networks/" + req.network_id + "/edges?bbox=" + bbox.join(","))
      .then(function (fc) {
        if (!state.run || state.run.run_id !== run.run_id) { return; }
        L.geoJSON(fc, { pane: "networkPane", interactive: false,
                        style: { color: "#7f8c8d", weight: 0.8, opacity: 0.8, className: "cov-network" } })
          .addTo(layers.network);
      })
      .catch(function (err) { $("cov-method").textContent += "（路网未显示：" + err.message + "）"; });
  }

  function swatch(color, text, extra) {
    return "<div><span class='swatch' style='background:" + color + (extra || "") + "'></span>" + text + "</div>";
  }

  function drawLegend(run) {
    var html = "<div class='legend-mode'>" + esc(run.speed_text) + "<br>" + esc(run.method_text) + "</div>";
    var minutes = run.minutes.slice().sort(function (a, b) { return a - b; });
    minutes.forEach(function (m, i) {
      html += swatch(RING_COLORS[Math.min(i, RING_COLORS.length - 1)], m + " 分钟");
    });
    html += swatch("#e74c3c", "未覆盖区域", ";opacity:.45");
    if (run.method === "network") { html += swatch("#7f8c8d", "步行路网", ";height:2px;border:0"); }
    var seen = {};
    (state.facilities ? state.facilities.features : []).forEach(function (f) {
      seen[f.properties.type] = f.properties.type_label;
    });
    // The run's facility types by name; the other types on the map in one line.
    var inRun = run.inputs.types || [];
    var dot = function (t) { return "<span class='dot' style='background:" + (TYPE_COLORS[t] || "#555") + "'></span>"; };
    inRun.forEach(function (t) { if (seen[t]) { html += "<div>" + dot(t) + esc(seen[t]) + "</div>"; } });
    var others = Object.keys(seen).filter(function (t) { return inRun.indexOf(t) < 0; });
    if (others.length) {
      html += "<div class='muted' title='" + esc(others.map(function (t) { return seen[t]; }).join("、")) + "'>" +
        others.map(dot).join("") + "其他设施（未参与计算）</div>";
    }
    html += "<div class='muted'>虚线空心点：规划/候选设施</div>";
    if (run.zones) {
      html += "<div class='muted'>单元面积覆盖率（≥ 50 % 达标）：</div><div class='ramp'>" +
        [0.1, 0.3, 0.6, 0.8].map(function (v) {
          return "<span style='background:" + (zoneColor(v) || "#fff") + "'></span>";
        }).join("") + "</div><div class='ramp-labels muted'><span>0</span><span>25%</span><span>50%</span><span>75%</span><span>100%</span></div>";
    }
    if (state.suggestion && state.suggestion.sites) {
      html += "<div><span class='dot' style='background:" + SUGGEST_COLOR + "'></span>建议新址</div>";
    }
    setLegend(html);
  }

  function drawHeadline(run) {
    var s = run.summary;
    $("cov-headline").hidden = false;
    $("cov-run-id").textContent = run.run_id;
    $("cov-headline-text").textContent = s.headline;
    setBanner(s.headline, run.method === "fallback" ? "未载入路网：按直线距离 × 绕行系数估算，结果偏粗" : "");
    var figs = [["面积覆盖率", pct(s.area_share)], ["覆盖面积", num(s.covered_area_km2, 2) + " km²"],
                ["未覆盖", num(s.uncovered_area_km2, 2) + " km²"]];
    if (s.population_share !== null) {
      var label = s.population_label || "人口";
      figs.push([label + "覆盖率", pct(s.population_share)], ["覆盖" + label, num(s.population_covered)],
                ["范围内" + label, num(s.population_total)]);
    }
    (s.other_populations || []).forEach(function (p) {
      figs.push([p.label + "覆盖率", pct(p.share)], ["覆盖" + p.label, num(p.covered)],
                ["范围内" + p.label, num(p.total)]);
    });
    if (s.zones_served_share !== null) { figs.push(["单元达标率", pct(s.zones_served_share)]); }
    $("cov-figures").innerHTML = figs.map(function (f) {
      return "<div>" + esc(f[0]) + "<b>" + esc(f[1]) + "</b></div>";
    }).join("");
    var inp = run.inputs;
    $("cov-method").textContent = "方法：" + run.method_label + "；速度 " + run.speed_mps + " m/s；" +
      "时间 " + run.minutes.join("/") + " 分钟；设施 " + inp.facility_ids.length + " 处；坐标系 " +
      inp.crs + "，量算 " + inp.metric_crs + (inp.network_id ? "；路网快照 " + inp.network_id : "");
    var base = API + "/runs/" + run.run_id;
    var q = state.suggestion ? "?suggestion=" + state.suggestion.run_id : "";
    $("cov-export-html").href = base + "/map.html" + q;
    $("cov-export-gpkg").href = base + "/export.gpkg" + q;
    $("cov-export-summary").href = base + "/summary.csv" + q;
    $("cov-export-zones").href = base + "/zones.csv";
    $("cov-export-zones").hidden = !run.zones;
  }

  function drawZonesTable(run) {
    var card = $("cov-zones-card");
    if (!run.zones) { card.hidden = true; return; }
    card.hidden = false;
    var feats = run.zones.features.map(function (f) { return f.properties; });
    var hasPop = feats.length && feats[0].population !== undefined && feats[0].population !== null;
    var head = "<tr><th>代码</th><th>名称</th><th class='num'>覆盖面积占比</th><th>达标（≥50 %）</th><th class='num'>设施数</th>" +
      (hasPop ? "<th class='num'>人口</th><th class='num'>覆盖人口</th><th class='num'>人口覆盖率</th>" : "") + "</tr>";
    $("cov-zones-table").querySelector("thead").innerHTML = head;
    feats.sort(function (a, b) { return (a.area_share || 0) - (b.area_share || 0); });
    $("cov-zones-table").querySelector("tbody").innerHTML = feats.map(function (p) {
      return "<tr><td>" + esc(p.code) + "</td><td>" + esc(p.name) + "</td><td class='num'>" + pct(p.area_share) +
        "</td><td>" + (p.served ? "<span class='verdict good'>达标</span>" : "<span class='verdict bad'>未达标</span>") +
        "</td><td class='num'>" + p.facilities + "</td>" +
        (hasPop ? "<td class='num'>" + num(p.population) + "</td><td class='num'>" + num(p.covered_population) +
          "</td><td class='num'>" + pct(p.share) + "</td>" : "") + "</tr>";
    }).join("");
    $("cov-served").textContent = "共 " + feats.length + " 个单元，达标 " + pct(run.summary.zones_served_share);
  }

  // -- suggestions ---------------------------------------------------------------------------

  function drawSuggestion(s) {
    state.suggestion = s;
    if (state.shown !== "run") { drawRun(state.run); }
    layers.suggested.clearLayers();
    layers.suggestedAreas.clearLayers();
    if (s.service_areas) {
      L.geoJSON(s.service_areas, {
        style: { color: SUGGEST_COLOR, weight: 1.5, dashArray: "5 4", fillColor: SUGGEST_COLOR, fillOpacity: 0.12,
                 className: "cov-suggested-area" },
        interactive: false
      }).addTo(layers.suggestedAreas);
    }
    var list = $("cov-sites");
    list.innerHTML = "";
    var ids = [];
    (s.sites ? s.sites.features : []).forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      ids.push(p.site_id);
      L.circleMarker([c[1], c[0]], { radius: 9, color: "#fff", weight: 2, fillColor: SUGGEST_COLOR,
                                     fillOpacity: 0.95, className: "cov-suggested" })
        .bindTooltip(String(p.rank), { permanent: true, direction: "center", className: "cov-rank" })
        .bindPopup("<b>建议新址 " + p.rank + "</b><br>" + esc(p.site_id) + "<br>新增覆盖 " + pct(p.added_share) +
                   "<br>累计覆盖率 " + pct(p.cumulative_share) + "<br>" + c[1].toFixed(5) + ", " + c[0].toFixed(5))
        .addTo(layers.suggested);
      var li = document.createElement("li");
      li.innerHTML = "<label><input type='checkbox' checked value='" + esc(p.site_id) + "'> " + esc(p.site_id) +
        "：新增 " + pct(p.added_share) + "，累计 " + pct(p.cumulative_share) + "</label>";
      list.appendChild(li);
    });
    var sum = s.summary || {};
    $("cov-suggest-result").hidden = false;
    $("cov-suggest-text").textContent = sum.text || ("新增 " + ids.length + " 处后覆盖率 " + pct(sum.share_before) +
      " → " + pct(sum.share_after));
    $("cov-bound").textContent = sum.bound_text || "";
    $("cov-whatif").textContent = "";
    var q = "?suggestion=" + s.run_id;
    if (state.run) {
      var base = API + "/runs/" + state.run.run_id;
      $("cov-export-html").href = base + "/map.html" + q;
      $("cov-export-gpkg").href = base + "/export.gpkg" + q;
      $("cov-export-summary").href = base + "/summary.csv" + q;
    }
    list.querySelectorAll("input").forEach(function (box) {
      box.addEventListener("change", whatIf);
    });
    drawLegend(state.run);
  }

  // "What if this facility closed?": offered in a facility's popup once sites are suggested.
  map.on("popupopen", function (e) {
    var source = e.popup._source;
    var existing = state.suggestion && (state.suggestion.params || {}).existing_ids;
    if (!source || !source.facilityId || !existing || existing.indexOf(source.facilityId) < 0) { return; }
    var box = e.popup.getElement().querySelector(".leaflet-popup-content");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "cov-whatif-remove";
    button.textContent = "假如撤销此站点";
    var out = document.createElement("div");
    out.className = "cov-whatif-popup";
    box.appendChild(button);
    box.appendChild(out);
    button.addEventListener("click", function () {
      var remove = [source.facilityId];
      $("cov-sites").querySelectorAll("input").forEach(function (b) { if (!b.checked) { remove.push(b.value); } });
      request("POST", API + "/suggestions/" + state.suggestion.run_id + "/what-if", { add: [], remove: remove })
        .then(function (r) {
          out.textContent = "覆盖率 " + pct(r.share_before) + " → " + pct(r.share_after) + "（" + pct(r.delta / r.total) + "）";
        })
        .catch(function (err) { showErrors(out, err); });
    });
  });

  function whatIf() {
    var remove = [], kept = 0;
    $("cov-sites").querySelectorAll("input").forEach(function (b) {
      if (b.checked) { kept += 1; } else { remove.push(b.value); }
    });
    var t0 = performance.now();
    request("POST", API + "/suggestions/" + state.suggestion.run_id + "/what-if", { add: [], remove: remove })
      .then(function (r) {
        var ms = Math.round(performance.now() - t0);
        $("cov-whatif").textContent = "假如只新增所勾选的 " + kept + " 处：覆盖率 " + pct(r.share_before) +
          " → " + pct(r.share_after) + "（" + ms + " 毫秒）";
      })
      .catch(function (err) { showErrors($("cov-suggest-errors"), err); });
  }

  // -- forms ---------------------------------------------------------------------------------

  // A number typed in a text box: the number, or the text as typed so that the server can say
  // what it got ("应为数字，收到“abc”"), never a silent 0 for an empty or non-numeric entry.
  function typedNumber(id) {
    var text = $(id).value.trim();
    var number = Number(text);
    return text === "" || isNaN(number) ? text : number;
  }

  function coverageBody() {
    var types = [];
    document.querySelectorAll("#cov-types input:checked").forEach(function (b) { types.push(b.value); });
    var aoi = $("cov-aoi").value.split(":");
    var body = {
      types: types,
      aoi: aoi[0] === "zone_set" ? { zone_set: aoi[1] } : { division: aoi[1] },
      minutes: typedNumber("cov-minutes"),
      rings: $("cov-rings").checked ? [5, 10] : [],
      speed: $("cov-speed").value,
      statuses: $("cov-planned").checked ? ["existing", "planned"] : ["existing"],
      network_id: $("cov-network").value || null,
      raster_id: $("cov-raster").value || null,
      other_raster_ids: $("cov-raster2").value ? [$("cov-raster2").value] : [],
      zones_id: $("cov-zones").value || null
    };
    return body;
  }

  function loadHistory() {
    return request("GET", API + "/runs?kind=coverage").then(function (r) {
      var sel = $("cov-history");
      while (sel.options.length > 1) { sel.remove(1); }
      r.runs.filter(function (run) { return run.reopenable; }).slice(0, 50).forEach(function (run) {
        var opt = document.createElement("option");
        opt.value = run.run_id;
        var when = run.created_at_text || "";  // Beijing time, formatted by the server
        opt.textContent = run.run_id + " · " + when + " · " + (run.summary.headline || "") +
          (run.stale ? "（区划已变更，结果已过时）" : "");
        sel.appendChild(opt);
      });
      if (state.run) { sel.value = state.run.run_id; }
    });
  }

  $("cov-history").addEventListener("change", function () {
    if (this.value) { openRun(this.value).catch(function (err) { showErrors($("cov-errors"), err); }); }
  });

  function openRun(runId) {
    return request("GET", API + "/runs/" + runId).then(function (run) {
      state.suggestion = null;
      drawRun(run);
      $("cov-history").value = runId;
      if (history.replaceState) { history.replaceState(null, "", "?run=" + runId); }
    });
  }

  $("cov-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!canWrite) { return; }
    var bar = progressOf($("cov-progress"));
    $("cov-errors").innerHTML = "";
    $("cov-run").disabled = true;
    bar.show(0, "提交计算");
    request("POST", API + "/runs", coverageBody())
      .then(function (job) { return follow(job.job_id, bar); })
      .then(function (result) { return openRun(result.run_id); })
      .then(function () { bar.show(1, "完成"); return loadHistory(); })
      .catch(function (err) { bar.hide(); showErrors($("cov-errors"), err); })
      .then(function () { $("cov-run").disabled = false; });
  });

  var suggestForm = $("cov-suggest-form");
  suggestForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!canWrite || !state.run) { return; }
    var bar = progressOf($("cov-suggest-progress"));
    var target = typedNumber("cov-target");
    var body = {
      run_id: state.run.run_id,
      k: target !== "" ? null : typedNumber("cov-k"),
      target_share: typeof target === "number" ? target / 100 : target || null,
      objective: $("cov-objective").value,
      candidates: $("cov-candidates").value,
      method: $("cov-method-select").value
    };
    $("cov-suggest-errors").innerHTML = "";
    $("cov-suggest-run").disabled = true;
    bar.show(0, "提交计算");
    request("POST", API + "/suggestions", body)
      .then(function (job) { return follow(job.job_id, bar); })
      .then(function (result) { return request("GET", API + "/suggestions/" + result.suggestion_id); })
      .then(function (s) { drawSuggestion(s); bar.show(1, "完成"); })
      .catch(function (err) { bar.hide(); showErrors($("cov-suggest-errors"), err); })
      .then(function () { $("cov-suggest-run").disabled = false; });
  });

  // A facility file is imported whole or not at all; after a refusal naming rows, the planner
  // may choose to import the valid rows and download the rejected ones with their reasons.
  function rejectedNote(r) {
    var box = document.createElement("div");
    box.className = "cov-import-rejected";
    box.innerHTML = "<div>跳过有误的 " + r.skipped + " 行：</div><ul>" + r.rejected.slice(0, 5).map(function (x) {
      return "<li>" + esc(x.reason) + "</li>";
    }).join("") + (r.rejected.length > 5 ? "<li>…</li>" : "") + "</ul>";
    if (r.rejected_csv) {
      var bytes = Uint8Array.from(atob(r.rejected_csv), function (c) { return c.charCodeAt(0); });
      var link = document.createElement("a");
      link.id = "cov-import-rejected";
      link.href = URL.createObjectURL(new Blob([bytes], { type: "text/csv;charset=utf-8" }));
      link.download = r.rejected_filename;
      link.textContent = "下载被拒行及原因（CSV，可用 Excel 打开，改正后再导入）";
      box.appendChild(link);
    }
    return box;
  }

  function skipChoice(send) {
    var box = document.createElement("div");
    box.className = "cov-import-choice";
    box.innerHTML = "<p class='muted'>默认任何一行有误则整个文件都不导入。也可以：</p>";
    var button = document.createElement("button");
    button.type = "button";
    button.id = "cov-import-skip";
    button.textContent = "只导入无误的行，下载被拒行及原因";
    button.addEventListener("click", function () { send(true); });
    box.appendChild(button);
    return box;
  }

  var importForm = $("cov-import-form");
  if (importForm) {
    var sendImport = function (skipInvalid) {
      var out = $("cov-import-result");
      out.className = "";
      out.textContent = "导入中…";
      var data = new FormData(importForm);
      // With a road network chosen, the points are checked against it (GCJ-02/BD-09 offsets).
      if ($("cov-network").value) { data.append("network_id", $("cov-network").value); }
      if (skipInvalid) { data.append("skip_invalid", "1"); }
      request("POST", API + "/facilities/import", data, true)
        .then(function (r) {
          var parts = Object.keys(r.by_type).map(function (k) { return k + " " + r.by_type[k] + " 处"; });
          // Say it once the map and the lists show the new facilities.
          return loadFacilities().then(loadOptions).then(function () {
            out.className = "ok";
            out.textContent = "已导入 " + r.added + " 处设施" + (parts.length ? "：" + parts.join("，") : "");
            if (r.skipped) { out.appendChild(rejectedNote(r)); }
          });
        })
        .catch(function (err) {
          out.className = "errors";
          showErrors(out, err);
          var byRow = ((err.data || {}).problems || []).some(function (p) { return p.row; });
          if (byRow && !skipInvalid) { out.appendChild(skipChoice(sendImport)); }
        });
    };
    importForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      sendImport(false);
    });
  }

  // Uploads of stored inputs: a network is built in the background (progress bar).
  function uploadForm(formId, url, describe) {
    var form = $(formId);
    if (!form) { return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var out = form.querySelector(".cov-upload-result");
      var box = form.querySelector(".cov-progress");
      out.className = "cov-upload-result";
      out.textContent = "上传中…";
      request("POST", url, new FormData(form), true)
        .then(function (r) {
          if (r.job_id) { out.textContent = ""; return follow(r.job_id, progressOf(box)); }
          return r;
        })
        .then(function (r) {
          return loadOptions().then(function () {
            out.className = "cov-upload-result ok";
            out.textContent = describe(r);
          });
        })
        .catch(function (err) {
          if (box) { box.hidden = true; }
          out.className = "cov-upload-result errors";
          showErrors(out, err);
        });
    });
  }
  uploadForm("cov-network-form", API + "/networks", function (r) { return "已导入：" + r.summary_text; });
  uploadForm("cov-raster-form", API + "/rasters", function (r) {
    return "已导入栅格 " + r.raster_id + "（" + r.label + "，合计 " + num(r.total) + " 人）";
  });
  uploadForm("cov-zones-form", API + "/zones", function (r) {
    return "已导入 " + r.set_id + "：" + r.name + "，" + r.n_zones + " 个面";
  });

  // -- batch over the counties (Dask) -------------------------------------------------------

  function batchColor(share) {
    if (share === null || share === undefined) { return "#d5d8dc"; }
    if (share >= 0.5) { return "#1a9850"; }
    if (share >= 0.2) { return "#91cf60"; }
    if (share >= 0.05) { return "#d9ef8b"; }
    if (share > 0) { return "#fee08b"; }
    return "#f4f6f7";
  }

  function drawBatch(b) {
    state.batch = b;
    RUN_LAYERS.concat(["batch"]).forEach(function (k) { layers[k].clearLayers(); });
    var geo = L.geoJSON(b.divisions, {
      style: function (f) {
        return { color: "#1f3a5f", weight: 1.2, fillColor: batchColor(f.properties.area_share), fillOpacity: 0.6,
                 className: "cov-batch-unit" };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(esc(p.name) + "：覆盖 " + pct(p.area_share) + "，区内设施 " + p.facilities + " 处" +
          (p.note ? "（" + esc(p.note) + "）" : ""), { sticky: true });
      }
    }).addTo(layers.batch);
    try { map.fitBounds(geo.getBounds(), { padding: [20, 20] }); } catch (e) { /* no geometry */ }
    setLegend("<div class='legend-batch'><div class='muted'>区县面积覆盖率：</div>" +
      [[0, "0"], [0.01, "<5 %"], [0.05, "5–20 %"], [0.2, "20–50 %"], [0.5, "≥50 %"]].map(function (c) {
        return swatch(batchColor(c[0]), c[1]);
      }).join("") + "</div>");
    setBanner(b.summary.headline, "各区县分别计算，逐县数字见下方表格");
    $("cov-batch-headline").hidden = false;
    $("cov-batch-headline").textContent = b.summary.headline;
    $("cov-batch-card").hidden = false;
    $("cov-batch-id").textContent = b.run_id;
    var rows = b.divisions.features.map(function (f) { return f.properties; });
    rows.sort(function (a, c) { return (c.area_share || 0) - (a.area_share || 0); });
    $("cov-batch-table").querySelector("tbody").innerHTML = rows.map(function (p) {
      return "<tr><td>" + esc(p.code) + "</td><td>" + esc(p.name) + "</td><td class='num'>" + num(p.area_km2, 1) +
        "</td><td class='num'>" + p.facilities + "</td><td class='num'>" + p.facilities_in_reach +
        "</td><td class='num'>" + pct(p.area_share) + "</td><td class='num'>" +
        (p.population_share === undefined ? "—" : pct(p.population_share)) + "</td><td class='muted'>" +
        esc(p.note || "") + "</td></tr>";
    }).join("");
    showing("batch");
  }

  var batchButton = $("cov-batch-run");
  if (batchButton) {
    batchButton.addEventListener("click", function () {
      var bar = progressOf($("cov-batch-progress"));
      var body = coverageBody();
      delete body.aoi;
      delete body.zones_id;
      $("cov-batch-errors").innerHTML = "";
      batchButton.disabled = true;
      bar.show(0, "提交计算");
      request("POST", API + "/batches", body)
        .then(function (job) { return follow(job.job_id, bar); })
        .then(function (result) { return request("GET", API + "/batches/" + result.run_id); })
        .then(function (b) { drawBatch(b); bar.show(1, "完成"); })
        .catch(function (err) { bar.hide(); showErrors($("cov-batch-errors"), err); })
        .then(function () { batchButton.disabled = false; });
    });
  }

  $("cov-show-run").addEventListener("click", function () {
    drawRun(state.run);
    if (state.suggestion) { drawSuggestion(state.suggestion); }
  });
  if ($("cov-show-batch")) {
    $("cov-show-batch").addEventListener("click", function () { drawBatch(state.batch); });
  }

  // -- start ---------------------------------------------------------------------------------

  loadOptions().then(loadFacilities).then(loadHistory).then(function () {
    var m = /[?&]run=([A-Za-z0-9]+)/.exec(location.search);
    if (m) { return openRun(m[1]); }
  }).catch(function (err) { showErrors($("cov-errors"), err); });
})();

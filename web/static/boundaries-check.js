// Field entry page of the joint inspection (界桩检查): markers follow the chosen plan's line,
// the distance to the registered position is shown as the inspector types or takes the GPS
// position (locate.js), and the reference objects of the chosen marker are listed as
// checkboxes.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("marker-data").textContent || "{}");
  var plan = document.getElementById("plan_id");
  var marker = document.getElementById("marker_id");
  var lon = document.getElementById("lon");
  var lat = document.getElementById("lat");
  var registered = document.getElementById("registered");
  var offset = document.getElementById("offset");
  var refs = document.getElementById("refs");
  if (!plan || !marker) { return; }

  function planLine() {
    var option = plan.options[plan.selectedIndex];
    return option ? option.getAttribute("data-line") : null;
  }

  function filterMarkers() {
    var line = planLine();
    for (var i = 0; i < marker.options.length; i++) {
      var option = marker.options[i];
      var own = option.getAttribute("data-line");
      var show = !own || !line || own === line;
      option.hidden = !show;
      option.disabled = !show;
    }
    var chosen = marker.options[marker.selectedIndex];
    if (chosen && chosen.disabled) { marker.value = ""; }
  }

  function showOffset() {
    var m = data[marker.value];
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    if (!m || m.lon === null || isNaN(x) || isNaN(y)) { offset.textContent = ""; return; }
    var d = window.geocivLocate.metres(m.lon, m.lat, x, y);
    offset.textContent = "距登记位置约 " + (d < 100 ? d.toFixed(1) : Math.round(d)) + " 米" +
      (d > 5 ? "（超过 5 米，签字后将列为“界桩移位”）" : "");
  }

  function text(tag, content, attrs) {
    var el = document.createElement(tag);
    if (content) { el.textContent = content; }
    for (var k in attrs || {}) { el.setAttribute(k, attrs[k]); }
    return el;
  }

  function showMarker() {
    var m = data[marker.value];
    registered.textContent = m && m.lon !== null ?
      "登记坐标：" + m.lon.toFixed(7) + ", " + m.lat.toFixed(7) + (m.sample ? "（示例界桩）" : "") : "";
    while (refs.firstChild) { refs.removeChild(refs.firstChild); }
    if (m && m.refs.length) {
      refs.appendChild(text("input", "", {type: "hidden", name: "ref_total", value: m.refs.length}));
      m.refs.forEach(function (description, i) {
        var label = text("label", "", {"class": "check"});
        var box = text("input", "", {type: "checkbox", name: "ref_ok", value: i});
        box.checked = true;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + description));
        refs.appendChild(label);
      });
    } else {
      refs.appendChild(text("label", "现存方位物（个）", {"for": "references_present"}));
      refs.appendChild(text("input", "", {name: "references_present", id: "references_present",
                                          inputmode: "numeric"}));
    }
    showOffset();
  }

  plan.addEventListener("change", function () { filterMarkers(); showMarker(); });
  marker.addEventListener("change", showMarker);
  lon.addEventListener("input", showOffset);
  lat.addEventListener("input", showOffset);

  filterMarkers();
  if (marker.value && !refs.querySelector("input[name=ref_total]")) { showMarker(); }
  showOffset();
})();

// The position block of the field forms (templates/field_position.html): "使用当前位置" fills
// longitude, latitude and GPS accuracy from the device (the fields stay editable); with a map
// (data-map: the folium map's name) a tap on the map fills them too and a marker follows the
// fields; with data-origin ([lon, lat] of the sign) the distance to it is shown. Fires "input"
// on the fields so the page's own scripts see the new position.
(function () {
  "use strict";

  function metres(lon1, lat1, lon2, lat2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }
  window.geocivLocate = {metres: metres};

  function setup(box) {
    var lon = document.getElementById(box.dataset.lon);
    var lat = document.getElementById(box.dataset.lat);
    var accuracy = box.dataset.accuracy ? document.getElementById(box.dataset.accuracy) : null;
    var status = box.querySelector(".locate-status");
    var offset = box.querySelector("#offset");
    var origin = box.dataset.origin ? JSON.parse(box.dataset.origin) : null;
    var map = box.dataset.map ? window[box.dataset.map] : null;
    var marker = null;

    function point() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      return isFinite(x) && isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90 ? [x, y] : null;
    }
    function follow() {
      var p = point();
      if (map && p && window.L) {
        if (marker) { marker.setLatLng([p[1], p[0]]); } else { marker = L.marker([p[1], p[0]]).addTo(map); }
      }
      if (origin && offset) {
        offset.textContent = p ? "距该标志登记位置约 " + Math.round(metres(origin[0], origin[1], p[0], p[1])) + " 米" : "";
      }
    }
    function fill(x, y) {
      lon.value = x.toFixed(7);
      lat.value = y.toFixed(7);
      [lon, lat].forEach(function (f) { f.dispatchEvent(new Event("input", {bubbles: true})); });
    }
    lon.addEventListener("input", follow);
    lat.addEventListener("input", follow);
    if (map) { map.on("click", function (e) { fill(e.latlng.lng, e.latlng.lat); }); }

    box.querySelector("button.locate").addEventListener("click", function () {
      if (!navigator.geolocation) {
        status.textContent = "此浏览器不能定位，请手工填写经纬度。";
        return;
      }
      status.textContent = "正在定位……";
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords;
        var metresText = Math.round(c.accuracy * 10) / 10;
        if (accuracy) { accuracy.value = metresText; }
        fill(c.longitude, c.latitude);
        status.textContent = "已填入当前位置（精度约 " + metresText + " 米），可以修改。";
        if (map) { map.panTo([c.latitude, c.longitude]); }
      }, function (error) {
        status.textContent = "无法获取位置（" + error.message + "），请手工填写经纬度。";
      }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
    });
    follow();
  }
  document.querySelectorAll("fieldset.position[data-lon]").forEach(setup);
})();

// The top bar on a phone: the 菜单 button opens and closes the menu of links (the links sit in
// the bar on wider screens, where the button is hidden). Escape or a tap outside closes it.
(function () {
  "use strict";
  function setup() {
    var bar = document.querySelector(".topbar");
    var button = document.getElementById("menu-button");
    if (!bar || !button) { return; }
    function show(open) {
      bar.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "关闭" : "菜单";
    }
    button.addEventListener("click", function () { show(!bar.classList.contains("open")); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && bar.classList.contains("open")) { show(false); button.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (bar.classList.contains("open") && !bar.contains(e.target)) { show(false); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();

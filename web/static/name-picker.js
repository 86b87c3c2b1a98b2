/* geociv name-record picker: type a name, pinyin or initials; click a hit to fill the name_id
   field. The picker fires a "name-picked" event (detail: the search hit) so a form can prefill
   other fields from the chosen record. */
(function () {
  "use strict";
  function setup(box) {
    const query = box.querySelector(".name-q");
    const hits = box.querySelector(".name-hits");
    const field = document.getElementById(box.dataset.field);
    const picked = document.getElementById(box.dataset.field + "-picked");
    let timer = null;
    let seq = 0;
    function line(text, cls) {
      const span = document.createElement(cls === "muted" ? "div" : "b");
      if (cls) { span.className = cls; }
      span.textContent = text;
      return span;
    }
    function choose(hit) {
      field.value = hit.name_id;
      picked.textContent = "已选：" + hit.name + "（" + hit.pinyin + "）· " + hit.category_label
        + " · " + (hit.division_name || hit.division_code);
      hits.innerHTML = "";
      box.dispatchEvent(new CustomEvent("name-picked", {detail: hit, bubbles: true}));
    }
    async function run() {
      const q = query.value.trim();
      const mine = ++seq;
      if (!q) { hits.innerHTML = ""; return; }
      const resp = await fetch("/api/names/search?" + new URLSearchParams({q: q, limit: 10}));
      const body = await resp.json();
      if (mine !== seq) { return; }
      hits.innerHTML = "";
      if (!resp.ok) { hits.appendChild(line(body.error, "muted")); return; }
      if (!body.results.length) { hits.appendChild(line("未找到", "muted")); return; }
      body.results.forEach(function (hit) {
        const li = document.createElement("li");
        li.className = "result";
        li.dataset.nameId = hit.name_id;
        li.appendChild(line(hit.name));
        if (hit.kind === "former" || hit.kind === "alias") {
          li.appendChild(document.createTextNode(" "));
          const tag = line((hit.kind === "former" ? "曾用名：" : "别名：") + hit.matched, "tag");
          li.appendChild(tag);
        }
        li.appendChild(line(hit.pinyin + " · " + hit.category_label + " · "
          + (hit.division_name || hit.division_code) + " · " + hit.name_id, "muted"));
        li.addEventListener("click", function () { choose(hit); });
        hits.appendChild(li);
      });
    }
    query.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 200); });
    query.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); run(); }
    });
  }
  document.querySelectorAll(".name-picker").forEach(setup);
})();

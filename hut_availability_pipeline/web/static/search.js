// Finding a hut by part of its name, accent- and case-insensitive ("konkordia" finds
// Konkordiahütte, "cles" finds Cabane des Clés): shared by the map and the tour planner.
// Results are shown as a list in the page (buttons or links made by the caller's `item`), every
// string set as text, never as HTML.
"use strict";

window.HutSearch = (function () {
  // the name's letters without accents, in lower case ("Hütte" -> "hutte"); ß -> ss
  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ß/g, "ss").toLowerCase();
  }

  // The huts whose name (or slug) holds `query`: those starting with it first, then by name.
  function find(huts, query, limit) {
    const q = fold(query.trim());
    if (!q) return [];
    const hits = [];
    for (const hut of huts) {
      const name = hut.folded || (hut.folded = fold(hut.name));
      const at = name.indexOf(q);
      if (at >= 0 || hut.slug.includes(q)) hits.push({ hut, rank: at === 0 ? 0 : 1 });
    }
    hits.sort((a, b) => a.rank - b.rank || a.hut.name.localeCompare(b.hut.name));
    return hits.slice(0, limit || 10).map((h) => h.hut);
  }

  // Wires a search box to a result list: `item(hut)` makes each <li>'s content; Enter in the box
  // chooses the first result (`choose(hut)`).
  function attach(input, list, huts, item, choose) {
    function render() {
      list.replaceChildren();
      for (const hut of find(huts(), input.value)) {
        const li = document.createElement("li");
        li.append(item(hut));
        list.append(li);
      }
    }
    input.addEventListener("input", render);
    input.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const first = find(huts(), input.value, 1)[0];
      if (first) choose(first);
    });
    return render;
  }

  return { fold, find, attach };
})();

// The tour planner's hut picker: the search (search.js) adds huts to the ordered list, each can be
// moved earlier or later or removed; the list is kept in the form's `huts` field (slugs in order),
// which works on its own without this script. Every string set as text.
"use strict";

(function () {
  const form = document.getElementById("tour-form");
  const catalog = JSON.parse(form.dataset.catalog);
  const T = JSON.parse(form.dataset.labels);
  const bySlug = new Map(catalog.map((h) => [h.slug, h]));
  const field = document.getElementById("tour-slugs");
  const list = document.getElementById("tour-huts");
  let chosen = field.value.split(",").map((s) => s.trim()).filter(Boolean);

  function button(text, cls, action) {
    const b = document.createElement("button");
    b.type = "button"; b.className = cls; b.textContent = text;
    b.addEventListener("click", action);
    return b;
  }

  function render() {
    field.value = chosen.join(",");
    list.replaceChildren(...chosen.map((slug, i) => {
      const li = document.createElement("li");
      li.dataset.slug = slug;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = bySlug.has(slug) ? bySlug.get(slug).name : slug;
      li.append(name, " ",
        button(T.up, "up", () => { if (i > 0) { [chosen[i - 1], chosen[i]] = [chosen[i], chosen[i - 1]]; render(); } }),
        button(T.down, "down", () => { if (i < chosen.length - 1) { [chosen[i + 1], chosen[i]] = [chosen[i], chosen[i + 1]]; render(); } }),
        button(T.remove, "remove", () => { chosen.splice(i, 1); render(); }));
      return li;
    }));
  }

  const input = document.getElementById("tour-search");
  function add(hut) { chosen.push(hut.slug); input.value = ""; results.replaceChildren(); render(); input.focus(); }
  const results = document.getElementById("tour-search-results");
  HutSearch.attach(input, results, () => catalog, (hut) => {
    const span = document.createElement("span");
    span.append(hut.name + " ", button(T.add, "add", () => add(hut)));
    span.dataset.slug = hut.slug;
    return span;
  }, add);
  field.addEventListener("change", () => { chosen = field.value.split(",").map((s) => s.trim()).filter(Boolean); render(); });
  render();
})();

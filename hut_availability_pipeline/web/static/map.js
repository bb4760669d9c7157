// The map of free places: every active hut from /v1/availability/{night}.geojson drawn as a circle
// on an empty background (an equirectangular projection scaled by the cosine of the middle
// latitude), coloured by the night's day state. No tiles, no library, nothing from another host.
// Every string from the data is set as text (textContent, attributes), never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 1000, HEIGHT = 640, PAD = 28;
  const LABELS = {
    bookable: "bookable", full: "full", not_bookable_online: "not bookable online",
    winter_room: "winter room", closed: "closed", unknown: "unknown",
  };
  const page = document.getElementById("map-page");
  const nightInput = document.getElementById("night");
  const partyInput = document.getElementById("party");
  const summary = document.getElementById("summary");
  const layer = document.getElementById("huts");
  const graticule = document.getElementById("graticule");
  const info = document.getElementById("info");
  let request = 0;

  function el(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  function projection(features) {
    const placed = features.filter((f) => f.geometry);
    if (!placed.length) return null;
    let [minLon, minLat, maxLon, maxLat] = [180, 90, -180, -90];
    for (const f of placed) {
      const [lon, lat] = f.geometry.coordinates;
      minLon = Math.min(minLon, lon); maxLon = Math.max(maxLon, lon);
      minLat = Math.min(minLat, lat); maxLat = Math.max(maxLat, lat);
    }
    const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
    const w = Math.max((maxLon - minLon) * k, 0.01), h = Math.max(maxLat - minLat, 0.01);
    const scale = Math.min((WIDTH - 2 * PAD) / w, (HEIGHT - 2 * PAD) / h);
    const dx = (WIDTH - w * scale) / 2, dy = (HEIGHT - h * scale) / 2;
    return {
      minLon, minLat, maxLon, maxLat,
      x: (lon) => dx + (lon - minLon) * k * scale,
      y: (lat) => dy + (maxLat - lat) * scale,
    };
  }

  function drawGraticule(p) {
    graticule.replaceChildren();
    for (let lon = Math.ceil(p.minLon); lon <= Math.floor(p.maxLon); lon++) {
      const x = p.x(lon);
      graticule.append(el("line", { x1: x, x2: x, y1: 0, y2: HEIGHT }));
      const label = el("text", { x: x + 3, y: HEIGHT - 6 }); label.textContent = lon + "°E"; graticule.append(label);
    }
    for (let lat = Math.ceil(p.minLat); lat <= Math.floor(p.maxLat); lat++) {
      const y = p.y(lat);
      graticule.append(el("line", { x1: 0, x2: WIDTH, y1: y, y2: y }));
      const label = el("text", { x: 4, y: y - 3 }); label.textContent = lat + "°N"; graticule.append(label);
    }
  }

  function placesText(day) {
    if (!day || (day.free === null && day.total === null)) return "–";
    return (day.free === null ? "?" : day.free) + "/" + (day.total === null ? "?" : day.total);
  }

  function stateClass(day) {
    if (!day) return "state-none";
    let cls = "state-" + day.day_state;
    if (day.day_state === "bookable" && day.occupancy_steps !== null) cls += " occ-" + Math.floor(day.occupancy_steps / 10);
    return cls;
  }

  function show(feature, day, night, circle) {
    for (const c of layer.querySelectorAll(".selected")) c.classList.remove("selected");
    circle.classList.add("selected");
    const slug = encodeURIComponent(feature.id);
    document.getElementById("info-name").textContent = feature.properties.name;
    document.getElementById("info-state").textContent = day ? LABELS[day.day_state] || day.day_state : "not checked";
    document.getElementById("info-places").textContent = placesText(day);
    document.getElementById("info-hut").setAttribute("href", "/huts/" + slug);
    document.getElementById("info-night").setAttribute("href", "/huts/" + slug + "/nights/" + night);
    info.hidden = false;
  }

  function draw(collection, night, party) {
    const p = projection(collection.features);
    layer.replaceChildren();
    info.hidden = true;
    if (!p) { summary.textContent = "No hut with a location."; return 0; }
    drawGraticule(p);
    let enough = 0;
    const drawn = collection.features.filter((f) => f.geometry).map((f) => {
      const day = f.properties.days.find((d) => d.date === night) || null;
      const fits = !!day && day.day_state === "bookable" && day.free !== null && day.free >= party;
      if (fits) enough++;
      return { f, day, fits };
    });
    drawn.sort((a, b) => Number(a.fits) - Number(b.fits)); // huts with room on top
    for (const { f, day, fits } of drawn) {
      const [lon, lat] = f.geometry.coordinates;
      const circle = el("circle", {
        cx: p.x(lon).toFixed(1), cy: p.y(lat).toFixed(1), r: fits ? 6 : 4,
        class: stateClass(day) + (fits ? "" : " too-few"), "data-slug": f.id,
      });
      const title = el("title");
      title.textContent = f.properties.name + " – " + (day ? LABELS[day.day_state] || day.day_state : "not checked") +
        " – " + placesText(day) + " free";
      circle.append(title);
      circle.addEventListener("click", () => show(f, day, night, circle));
      layer.append(circle);
    }
    const unplaced = collection.features.length - drawn.length;
    summary.textContent = drawn.length + " huts on " + night + ", " + enough + " with at least " + party +
      " free" + (unplaced ? " (" + unplaced + " without a location)" : "") + ".";
    return drawn.length;
  }

  async function load() {
    const night = nightInput.value || page.dataset.today;
    const party = Math.max(1, parseInt(partyInput.value, 10) || 1);
    const mine = ++request;
    page.dataset.ready = "";
    summary.textContent = "Loading huts…";
    const url = new URL(window.location.href);
    url.searchParams.set("date", night);
    url.searchParams.set("party", String(party));
    window.history.replaceState(null, "", url.pathname + url.search);
    try {
      const response = await fetch("/v1/availability/" + encodeURIComponent(night) + ".geojson?days=1");
      if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
      const collection = await response.json();
      if (mine !== request) return;
      draw(collection, night, party);
      performance.mark("huts-drawn");
      page.dataset.ready = night;
    } catch (error) {
      if (mine !== request) return;
      summary.textContent = "Could not load the huts: " + error.message;
      page.dataset.ready = "error";
    }
  }

  function shift(days) {
    const d = new Date((nightInput.value || page.dataset.today) + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    nightInput.value = d.toISOString().slice(0, 10);
    load();
  }

  document.getElementById("previous").addEventListener("click", () => shift(-1));
  document.getElementById("next").addEventListener("click", () => shift(1));
  nightInput.addEventListener("change", load);
  partyInput.addEventListener("change", load);
  document.getElementById("controls").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  load();
})();

// The map of free places: every active hut from /v1/availability/{night}.geojson drawn as a circle
// in Web Mercator (the projection of map tiles), coloured by the night's day state, over the base
// map's tiles when a tile URL template is configured (#map-page's data-tiles, {z}/{x}/{y}). Tiles
// are <img> elements beneath the SVG, placed in % of its box; a tile that cannot be loaded is
// removed and the huts show on the empty background. No library; nothing from another host but
// the tiles (the CSP allows images from the tile server only).
// Every string from the data is set as text (textContent, attributes), never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 1000, HEIGHT = 640, PAD = 28;
  const TILE = 256, MAX_ZOOM = 19, MAX_SCALE = TILE * 2 ** 16; // one hut alone: a valley's view
  const LABELS = {
    bookable: "bookable", full: "full", not_bookable_online: "not bookable online",
    winter_room: "winter room", closed: "closed", unknown: "unknown",
  };
  const page = document.getElementById("map-page");
  const nightInput = document.getElementById("night");
  const partyInput = document.getElementById("party");
  const summary = document.getElementById("summary");
  const layer = document.getElementById("huts");
  const tiles = document.getElementById("tiles");
  const tileTemplate = page.dataset.tiles || "";
  const graticule = document.getElementById("graticule");
  const info = document.getElementById("info");
  let request = 0;

  function el(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  // Web Mercator, in "world" units: the whole world is the square [0, 1] x [0, 1], y downwards.
  function worldX(lon) { return (lon + 180) / 360; }
  function worldY(lat) {
    const phi = Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI / 180;
    return (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2;
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
    const x0 = worldX(minLon), x1 = worldX(maxLon), y0 = worldY(maxLat), y1 = worldY(minLat);
    const w = x1 - x0, h = y1 - y0;
    const scale = Math.min(
      w > 0 ? (WIDTH - 2 * PAD) / w : MAX_SCALE, h > 0 ? (HEIGHT - 2 * PAD) / h : MAX_SCALE, MAX_SCALE);
    const dx = (WIDTH - w * scale) / 2 - x0 * scale, dy = (HEIGHT - h * scale) / 2 - y0 * scale;
    const x = (lon) => dx + worldX(lon) * scale, y = (lat) => dy + worldY(lat) * scale;
    // the graticule's extent: what the view shows
    const lonAt = (px) => ((px - dx) / scale) * 360 - 180;
    const latAt = (py) => Math.atan(Math.sinh(Math.PI * (1 - 2 * ((py - dy) / scale)))) * 180 / Math.PI;
    return {
      minLon: lonAt(0), maxLon: lonAt(WIDTH), minLat: latAt(HEIGHT), maxLat: latAt(0), scale, dx, dy, x, y,
    };
  }

  // The tiles covering the view at the zoom whose tiles are closest to 256 units of the view.
  function drawTiles(p) {
    if (!tileTemplate) return;
    const z = Math.max(0, Math.min(MAX_ZOOM, Math.round(Math.log2(p.scale / TILE))));
    const view = [z, p.scale, p.dx, p.dy].join(" ");
    if (tiles.dataset.view === view) return; // the same huts' extent (another night): the same tiles
    tiles.dataset.view = view;
    tiles.replaceChildren();
    const n = 2 ** z, size = p.scale / n;
    const first = (offset) => Math.max(0, Math.floor((-offset / p.scale) * n));
    const last = (offset, extent) => Math.min(n - 1, Math.floor(((extent - offset) / p.scale) * n));
    for (let ty = first(p.dy); ty <= last(p.dy, HEIGHT); ty++) {
      for (let tx = first(p.dx); tx <= last(p.dx, WIDTH); tx++) {
        const img = document.createElement("img");
        img.alt = "";
        img.decoding = "async";
        img.referrerPolicy = "strict-origin"; // the page's origin, as tile servers ask; never its path
        img.dataset.tile = z + "/" + tx + "/" + ty;
        img.addEventListener("error", () => img.remove()); // offline: the empty background
        img.style.left = ((p.dx + tx * size) / WIDTH) * 100 + "%";
        img.style.top = ((p.dy + ty * size) / HEIGHT) * 100 + "%";
        // half a pixel more than the tile: rounding leaves no seam between neighbours
        img.style.width = "calc(" + (size / WIDTH) * 100 + "% + 0.5px)";
        img.style.height = "calc(" + (size / HEIGHT) * 100 + "% + 0.5px)";
        img.src = tileTemplate.replace("{z}", z).replace("{x}", tx).replace("{y}", ty);
        tiles.append(img);
      }
    }
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
    drawTiles(p);
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

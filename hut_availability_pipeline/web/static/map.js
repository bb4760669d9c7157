// The map of free places: Leaflet (vendored, served by the app) with every active hut of
// /v1/availability/{night}.geojson as a marker coloured by the night's day state, clustered where
// they overlap (leaflet.markercluster), over the base map's tiles when a tile URL template is
// configured (#map-page's data-tiles; offline: the huts on an empty background). Every marker is
// a focusable button named after its hut (Enter opens its card); the huts in view are also listed
// below the map as links. The night, the party size and the view (lat, lon, zoom) are kept in
// the address, so that a view can be shared. Every string from the data is set as text.
"use strict";

(function () {
  const page = document.getElementById("map-page");
  const nightInput = document.getElementById("night");
  const partyInput = document.getElementById("party");
  const summary = document.getElementById("summary");
  const tourLink = document.getElementById("tour-link");
  const inView = document.getElementById("in-view");
  const inViewCount = document.getElementById("in-view-count");
  const T = JSON.parse(page.dataset.labels);
  const params = new URLSearchParams(window.location.search);
  const ALPS = [[45.8, 6.8], [47.6, 13.5]];
  const COARSE = window.matchMedia("(pointer: coarse)").matches; // a finger: bigger markers to tap
  const SIZE = COARSE ? [24, 18] : [16, 12]; // a hut with room for the party, one without

  const map = L.map("map", { zoomControl: true, attributionControl: false, minZoom: 3, maxZoom: 18 });
  map.zoomControl.getContainer().querySelector(".leaflet-control-zoom-in").title = T.zoom_in;
  map.zoomControl.getContainer().querySelector(".leaflet-control-zoom-out").title = T.zoom_out;
  if (page.dataset.tiles) {
    L.tileLayer(page.dataset.tiles, { maxZoom: 18, referrerPolicy: "strict-origin", crossOrigin: false }).addTo(map);
  }
  const lat = parseFloat(params.get("lat")), lon = parseFloat(params.get("lon")), zoom = parseInt(params.get("zoom"), 10);
  const viewGiven = isFinite(lat) && isFinite(lon) && isFinite(zoom);
  if (viewGiven) map.setView([lat, lon], zoom); else map.fitBounds(ALPS);

  const clusters = L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false, chunkedLoading: false });
  map.addLayer(clusters);
  let features = [];
  let huts = []; // {slug, name, latlng, marker, day, fits} of the huts with a location
  let request = 0;
  let first = true;

  function stateText(day) { return day ? T.states[day.day_state] || day.day_state : T.not_checked; }
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
  function hutHref(slug) { return "/huts/" + encodeURIComponent(slug); }

  function card(hut, night) {
    const box = document.createElement("div");
    box.className = "hut-card";
    const h = document.createElement("h2");
    h.textContent = hut.name;
    const p = document.createElement("p");
    p.textContent = stateText(hut.day) + " · " + placesText(hut.day) + " " + T.free;
    const links = document.createElement("p");
    const a = document.createElement("a");
    a.href = hutHref(hut.slug); a.className = "card-hut"; a.textContent = T.hut_page;
    const b = document.createElement("a");
    b.href = hutHref(hut.slug) + "/nights/" + night; b.className = "card-night"; b.textContent = T.this_night;
    links.append(a, " · ", b);
    box.append(h, p, links);
    return box;
  }

  function markerFor(hut, night) {
    const icon = L.divIcon({
      className: "hut-marker " + stateClass(hut.day) + (hut.fits ? "" : " too-few"),
      iconSize: hut.fits ? [SIZE[0], SIZE[0]] : [SIZE[1], SIZE[1]],
    });
    const label = hut.name + " – " + stateText(hut.day) + " – " + placesText(hut.day) + " " + T.free;
    const marker = L.marker(hut.latlng, { icon, keyboard: true, title: label, riseOnHover: true });
    marker.on("add", () => {
      const el = marker.getElement();
      el.setAttribute("aria-label", label);
      el.dataset.slug = hut.slug;
    });
    marker.bindPopup(() => card(hut, night), { autoPanPadding: [20, 20] });
    return marker;
  }

  function listInView() {
    const bounds = map.getBounds();
    const shown = huts.filter((h) => bounds.contains(h.latlng));
    inViewCount.textContent = String(shown.length);
    inView.replaceChildren(...shown.slice(0, 300).map((h) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = hutHref(h.slug); a.textContent = h.name; a.dataset.slug = h.slug;
      li.append(a, " – " + stateText(h.day) + ", " + placesText(h.day) + " " + T.free);
      return li;
    }));
  }

  function keepInAddress() {
    const night = nightInput.value || page.dataset.today;
    const party = Math.max(1, parseInt(partyInput.value, 10) || 1);
    const c = map.getCenter();
    const url = new URL(window.location.href);
    url.searchParams.set("date", night);
    url.searchParams.set("party", String(party));
    url.searchParams.set("lat", c.lat.toFixed(4));
    url.searchParams.set("lon", c.lng.toFixed(4));
    url.searchParams.set("zoom", String(map.getZoom()));
    window.history.replaceState(null, "", url.pathname + url.search);
    tourLink.href = "/tours?party=" + party + "&from=" + night;
  }

  function draw(collection, night, party) {
    features = collection.features;
    huts = [];
    let enough = 0;
    for (const f of features) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const day = f.properties.days.find((d) => d.date === night) || null;
      const fits = !!day && day.day_state === "bookable" && day.free !== null && day.free >= party;
      if (fits) enough++;
      huts.push({ slug: f.id, name: f.properties.name, latlng: L.latLng(lat, lon), day, fits });
    }
    clusters.clearLayers();
    map.closePopup();
    // the first view (unless the address gives one): every hut, set before the markers are added
    if (first && !viewGiven && huts.length) map.fitBounds(L.latLngBounds(huts.map((h) => h.latlng)), { padding: [10, 10], animate: false });
    first = false;
    const markers = huts.map((h) => (h.marker = markerFor(h, night)));
    clusters.addLayers(markers);
    const unplaced = features.length - huts.length;
    summary.textContent = T.summary.replace("{huts}", huts.length).replace("{night}", night)
      .replace("{enough}", enough).replace("{party}", party) + (unplaced ? " " + T.unplaced.replace("{n}", unplaced) : "");
    listInView();
  }

  async function load() {
    const night = nightInput.value || page.dataset.today;
    const party = Math.max(1, parseInt(partyInput.value, 10) || 1);
    const mine = ++request;
    page.dataset.ready = "";
    summary.textContent = T.loading;
    keepInAddress();
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
      summary.textContent = T.load_failed + " " + error.message;
      page.dataset.ready = "error";
    }
  }

  // the hut on the map: zoomed in until it is out of its cluster, its card open
  function showHut(hut) {
    clusters.zoomToShowLayer(hut.marker, () => hut.marker.openPopup());
  }

  const render = HutSearch.attach(
    document.getElementById("hut-search"), document.getElementById("search-results"), () => huts,
    (hut) => {
      const a = document.createElement("a");
      a.href = hutHref(hut.slug); a.textContent = hut.name; a.dataset.slug = hut.slug;
      const show = document.createElement("button");
      show.type = "button"; show.className = "show-on-map"; show.textContent = T.show_on_map;
      show.addEventListener("click", () => showHut(hut));
      const span = document.createElement("span");
      span.append(a, " ", show);
      return span;
    },
    (hut) => { window.location.href = hutHref(hut.slug); },
  );

  function shift(days) {
    const d = new Date((nightInput.value || page.dataset.today) + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    nightInput.value = d.toISOString().slice(0, 10);
    load();
  }

  map.on("moveend", () => { keepInAddress(); listInView(); });
  document.getElementById("previous").addEventListener("click", () => shift(-1));
  document.getElementById("next").addEventListener("click", () => shift(1));
  nightInput.addEventListener("change", load);
  partyInput.addEventListener("change", load);
  document.getElementById("controls").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  load().then(render);
})();

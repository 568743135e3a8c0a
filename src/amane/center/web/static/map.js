// The live map. Works offline: with no tile server it draws a labelled lat/lon grid and the
// configured region outlines; with `tile_url` set it shows those tiles underneath.
/* global L */

const GRID_STEPS = [10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005];

export class LiveMap {
  constructor(element, config) {
    this.map = L.map(element, { zoomControl: true, attributionControl: Boolean(config.tile_url) })
      .setView([config.center.lat, config.center.lon], config.zoom || 14);
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(this.map);
    }
    L.control.scale({ metric: true, imperial: false }).addTo(this.map);
    this.grid = L.layerGroup().addTo(this.map);
    this.regions = L.geoJSON(config.regions || null, {
      style: { color: "#5b8def", weight: 2, fillOpacity: 0.04, dashArray: "6 4" },
      onEachFeature: (feature, layer) => {
        const name = feature.properties && feature.properties.name;
        if (name) layer.bindTooltip(name, { permanent: true, direction: "center", className: "region-label" });
      },
    }).addTo(this.map);
    this.unitLayer = L.layerGroup().addTo(this.map);
    this.alertLayer = L.layerGroup().addTo(this.map);
    this.unitMarkers = new Map();
    this.alertMarkers = new Map();
    this.map.on("moveend zoomend", () => this.drawGrid());
    this.drawGrid();
  }

  drawGrid() {
    this.grid.clearLayers();
    const b = this.map.getBounds();
    const span = Math.max(b.getNorth() - b.getSouth(), b.getEast() - b.getWest());
    const step = GRID_STEPS.find((s) => span / s >= 4) || GRID_STEPS[GRID_STEPS.length - 1];
    const style = { color: "#22364a", weight: 1, interactive: false };
    const digits = Math.max(0, Math.ceil(-Math.log10(step)));
    for (let lat = Math.floor(b.getSouth() / step) * step; lat <= b.getNorth(); lat += step) {
      L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style).addTo(this.grid);
      L.marker([lat, b.getWest()], { interactive: false, icon: L.divIcon({ className: "grid-label",
        html: `${lat.toFixed(digits)}°`, iconAnchor: [-4, 12] }) }).addTo(this.grid);
    }
    for (let lon = Math.floor(b.getWest() / step) * step; lon <= b.getEast(); lon += step) {
      L.polyline([[b.getSouth(), lon], [b.getNorth(), lon]], style).addTo(this.grid);
      L.marker([b.getSouth(), lon], { interactive: false, icon: L.divIcon({ className: "grid-label",
        html: `${lon.toFixed(digits)}°`, iconAnchor: [-4, 16] }) }).addTo(this.grid);
    }
  }

  upsertUnit(unit) {
    if (!unit.last_position) return;
    const pos = [unit.last_position.lat, unit.last_position.lon];
    const glyph = { car: "CAR", motorcycle: "MOTO", drone: "UAV" }[unit.kind] || "UNIT";
    const cls = `unit-icon ${unit.online ? unit.status : "offline"}`;
    const icon = L.divIcon({ className: "", html: `<span class="${cls}"><small>${glyph}</small> ${escapeHtml(unit.callsign)}</span>`,
      iconAnchor: [10, 10] });
    let marker = this.unitMarkers.get(unit.callsign);
    if (!marker) {
      marker = L.marker(pos, { icon, title: unit.callsign }).addTo(this.unitLayer);
      this.unitMarkers.set(unit.callsign, marker);
    } else {
      marker.setLatLng(pos);
      marker.setIcon(icon);
    }
    marker.bindPopup(`<b>${escapeHtml(unit.callsign)}</b><br>${escapeHtml(unit.kind)} · ${escapeHtml(unit.region)}<br>` +
      `${escapeHtml(unit.status)} · ${unit.online ? "online" : "offline"}`);
  }

  upsertAlert(alert) {
    const open = alert.status === "new" || alert.status === "acknowledged" || alert.status === "pending_second_review";
    const existing = this.alertMarkers.get(alert.id);
    if (!alert.position || !open) {
      if (existing) { existing.remove(); this.alertMarkers.delete(alert.id); }
      return;
    }
    if (existing) return;
    const marker = L.marker([alert.position.lat, alert.position.lon], {
      icon: L.divIcon({ className: "", html: `<div class="alert-dot sev-${alert.severity}"></div>`, iconAnchor: [9, 9] }),
      title: alert.summary || alert.kind,
    }).addTo(this.alertLayer);
    marker.bindPopup(`<b>${escapeHtml(alert.kind)}</b> · ${escapeHtml(alert.severity)}<br>${escapeHtml(alert.summary || "")}`);
    this.alertMarkers.set(alert.id, marker);
  }

  focus(position) {
    if (position) this.map.panTo([position.lat, position.lon]);
  }
}

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

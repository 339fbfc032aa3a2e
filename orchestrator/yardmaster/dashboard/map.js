// The map: the layout drawn once per view into an offscreen canvas (roads
// with their direction, stations by kind and name, closed places), then
// every frame the vehicles, interpolated between two position updates,
// the selected vehicle's base and horizon, and the congestion heat map.

const COLORS = ['#8c96a5', '#3fb950', '#e3b341', '#f85149', '#6e40c9'];
const KINDS = { pickup: '#2f81f7', drop: '#db61a2', charging: '#3fb950', parking: '#8c96a5', inspection: '#d29922', other: '#6e7681' };

export class MapView {
  constructor(canvas, layout) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.layout = layout;
    this.level = 0;
    this.vehicles = new Map();
    this.tickMs = 200;
    this.selected = null;
    this.route = null;
    this.heat = null;
    this.showHeat = false;
    this.showLabels = true;
    this.closed = new Set();
    this.staticCanvas = document.createElement('canvas');
    this.dirty = true;
    const pair = new Set(layout.edges.map((e) => `${e.from}>${e.to}`));
    this.twoWay = layout.edges.map((e) => pair.has(`${e.to}>${e.from}`));
    this.resize();
    this.fit();
    this.interact();
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.dpr = dpr;
    this.dirty = true;
  }

  fit() {
    const nodes = this.layout.nodes.filter((n) => n.level === this.level);
    if (!nodes.length) return;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const n of nodes) { x0 = Math.min(x0, n.x); y0 = Math.min(y0, n.y); x1 = Math.max(x1, n.x); y1 = Math.max(y1, n.y); }
    const w = this.canvas.width, h = this.canvas.height, pad = 30 * this.dpr;
    this.scale = Math.min((w - 2 * pad) / Math.max(1, x1 - x0), (h - 2 * pad) / Math.max(1, y1 - y0));
    this.ox = pad - x0 * this.scale + (w - 2 * pad - (x1 - x0) * this.scale) / 2;
    this.oy = h - pad + y0 * this.scale - (h - 2 * pad - (y1 - y0) * this.scale) / 2;
    this.dirty = true;
  }

  sx(x) { return this.ox + x * this.scale; }
  sy(y) { return this.oy - y * this.scale; }

  interact() {
    let drag = null;
    this.canvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY, moved: false }; });
    window.addEventListener('mouseup', () => { drag = null; });
    this.canvas.addEventListener('mousemove', (e) => {
      if (!drag) return;
      const dx = (e.clientX - drag.x) * this.dpr, dy = (e.clientY - drag.y) * this.dpr;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      this.ox += dx; this.oy += dy; drag.x = e.clientX; drag.y = e.clientY; this.dirty = true;
    });
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = this.canvas.getBoundingClientRect();
      const px = (e.clientX - r.left) * this.dpr, py = (e.clientY - r.top) * this.dpr;
      const k = Math.exp(-e.deltaY * 0.0015);
      this.ox = px - (px - this.ox) * k; this.oy = py - (py - this.oy) * k; this.scale *= k; this.dirty = true;
    }, { passive: false });
  }

  /** The vehicle nearest to a click (client coordinates), within 14 px. */
  pick(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const px = (clientX - r.left) * this.dpr, py = (clientY - r.top) * this.dpr;
    let best = null, bestD = 14 * this.dpr;
    for (const v of this.vehicles.values()) {
      if (v.x == null) continue;
      const d = Math.hypot(this.sx(v.x) - px, this.sy(v.y) - py);
      if (d < bestD) { best = v.serial; bestD = d; }
    }
    return best;
  }

  /** A `positions` event: each vehicle moves from where it is drawn to its new pose. */
  positions(list, now) {
    for (const [serial, x, y, theta, state, loaded] of list) {
      let v = this.vehicles.get(serial);
      if (!v) { v = { serial, x, y, theta, fx: x, fy: y, ft: theta, t0: now }; this.vehicles.set(serial, v); }
      const cur = this.at(v, now);
      v.fx = cur.x; v.fy = cur.y; v.ft = cur.theta;
      v.x = x; v.y = y; v.theta = theta; v.state = state; v.loaded = loaded; v.t0 = now;
    }
  }

  at(v, now) {
    if (v.x == null || v.fx == null) return { x: v.x, y: v.y, theta: v.theta };
    const k = Math.min(1, (now - v.t0) / this.tickMs);
    let dt = v.theta - v.ft;
    while (dt > Math.PI) dt -= 2 * Math.PI;
    while (dt < -Math.PI) dt += 2 * Math.PI;
    return { x: v.fx + (v.x - v.fx) * k, y: v.fy + (v.y - v.fy) * k, theta: v.ft + dt * k };
  }

  drawStatic() {
    const c = this.staticCanvas;
    c.width = this.canvas.width; c.height = this.canvas.height;
    const g = c.getContext('2d');
    const { nodes, edges, stations } = this.layout;
    const lw = Math.max(1, Math.min(3, this.scale * 0.15));
    g.lineCap = 'round';
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i], a = nodes[e.from], b = nodes[e.to];
      if (a.level !== this.level) continue;
      const closed = this.closed.has(`edge:${e.id}`);
      g.strokeStyle = closed ? '#f85149' : '#3a4656';
      g.lineWidth = closed ? lw * 2 : lw;
      const [x1, y1, x2, y2] = [this.sx(a.x), this.sy(a.y), this.sx(b.x), this.sy(b.y)];
      g.beginPath(); g.moveTo(x1, y1); g.lineTo(x2, y2); g.stroke();
      if (!this.twoWay[i] && this.scale > 3) {
        // One-way: an arrowhead at the middle, pointing along the edge.
        const mx = (x1 + x2) / 2, my = (y1 + y2) / 2, ang = Math.atan2(y2 - y1, x2 - x1), s = 3 + lw * 2;
        g.fillStyle = '#5b6b80';
        g.beginPath(); g.moveTo(mx + s * Math.cos(ang), my + s * Math.sin(ang));
        g.lineTo(mx + s * Math.cos(ang + 2.5), my + s * Math.sin(ang + 2.5));
        g.lineTo(mx + s * Math.cos(ang - 2.5), my + s * Math.sin(ang - 2.5)); g.fill();
      }
    }
    for (const n of nodes) {
      if (n.level !== this.level || !this.closed.has(`node:${n.id}`)) continue;
      const x = this.sx(n.x), y = this.sy(n.y), s = 6 * this.dpr;
      g.strokeStyle = '#f85149'; g.lineWidth = 2 * this.dpr;
      g.beginPath(); g.moveTo(x - s, y - s); g.lineTo(x + s, y + s); g.moveTo(x + s, y - s); g.lineTo(x - s, y + s); g.stroke();
    }
    g.font = `${11 * this.dpr}px system-ui, sans-serif`;
    g.textBaseline = 'middle';
    // Labels are placed greedily: one that would overlap a placed one is left out (zoom in to see it).
    const placed = [];
    const free = (x, y, w, h) => !placed.some((b) => x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h);
    for (const s of stations) {
      const n = nodes[s.nodes[0]];
      if (!n || n.level !== this.level) continue;
      const x = this.sx(n.x), y = this.sy(n.y), r = Math.max(3, Math.min(7, this.scale * 0.6)) * this.dpr;
      g.fillStyle = KINDS[s.kind] || KINDS.other;
      g.fillRect(x - r, y - r, 2 * r, 2 * r);
      if (this.showLabels) {
        const text = s.name || s.id, w = g.measureText(text).width, h = 12 * this.dpr;
        if (free(x + r + 3, y - h / 2, w, h)) {
          placed.push([x + r + 3, y - h / 2, w, h]);
          g.fillStyle = '#aab4c3';
          g.fillText(text, x + r + 3, y);
        }
      }
    }
    this.dirty = false;
  }

  draw(now) {
    if (this.dirty) this.drawStatic();
    const g = this.ctx;
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    g.drawImage(this.staticCanvas, 0, 0);
    if (this.showHeat && this.heat) this.drawHeat(g);
    if (this.route) this.drawRoute(g);
    const size = Math.max(5 * this.dpr, Math.min(18 * this.dpr, this.scale * 0.9));
    const labels = this.showLabels && (this.vehicles.size <= 120 || this.scale > 10);
    g.font = `${10 * this.dpr}px system-ui, sans-serif`;
    g.textBaseline = 'bottom';
    g.lineWidth = Math.max(1.5, 2 * this.dpr);
    for (const v of this.vehicles.values()) {
      if (v.x == null) continue;
      const p = this.at(v, now);
      const x = this.sx(p.x), y = this.sy(p.y), t = -p.theta;
      const color = COLORS[v.state] || COLORS[0];
      g.beginPath();
      g.moveTo(x + size * Math.cos(t), y + size * Math.sin(t));
      g.lineTo(x + size * 0.7 * Math.cos(t + 2.4), y + size * 0.7 * Math.sin(t + 2.4));
      g.lineTo(x + size * 0.7 * Math.cos(t - 2.4), y + size * 0.7 * Math.sin(t - 2.4));
      g.closePath();
      g.strokeStyle = color;
      if (v.loaded) { g.fillStyle = color; g.fill(); } else { g.fillStyle = '#10141a'; g.fill(); }
      g.stroke();
      if (v.serial === this.selected) {
        g.strokeStyle = '#58a6ff';
        g.beginPath(); g.arc(x, y, size * 1.6, 0, 2 * Math.PI); g.stroke();
      }
      if (labels) { g.fillStyle = '#d8dee9'; g.fillText(v.serial, x + size, y - size * 0.5); }
    }
  }

  drawRoute(g) {
    const ids = new Map(this.layout.nodes.map((n, i) => [n.id, i]));
    const path = (list) => {
      g.beginPath();
      list.forEach((id, k) => {
        const n = this.layout.nodes[ids.get(id)];
        if (!n) return;
        if (k === 0) g.moveTo(this.sx(n.x), this.sy(n.y)); else g.lineTo(this.sx(n.x), this.sy(n.y));
      });
      g.stroke();
    };
    g.strokeStyle = '#58a6ff';
    g.lineWidth = 4 * this.dpr;
    path(this.route.base);
    g.setLineDash([6 * this.dpr, 6 * this.dpr]);
    g.lineWidth = 2 * this.dpr;
    path([this.route.base[this.route.base.length - 1], ...this.route.horizon].filter(Boolean));
    g.setLineDash([]);
  }

  drawHeat(g) {
    const ids = new Map(this.layout.nodes.map((n, i) => [n.id, i]));
    const max = this.heat.reduce((m, w) => Math.max(m, w.waits), 1);
    for (const w of this.heat) {
      const n = this.layout.nodes[ids.get(w.node)];
      if (!n || n.level !== this.level) continue;
      const k = Math.sqrt(w.waits / max);
      g.fillStyle = `rgba(248, 81, 73, ${0.15 + 0.5 * k})`;
      g.beginPath(); g.arc(this.sx(n.x), this.sy(n.y), (4 + 14 * k) * this.dpr, 0, 2 * Math.PI); g.fill();
    }
  }
}

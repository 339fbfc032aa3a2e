// A recorded run for the dashboard to play: frames of positions with the
// fleet's figures, and the core's events, from which the orders table,
// an order's history and each vehicle's state at any time are rebuilt.

const TERMINAL = new Set(['delivered', 'failed', 'cancelled']);
const LOADED = new Set(['to-stop', 'to-drop', 'unloading']);

export class Recording {
  /** `data`: {title, layout, step, frames: [{at, stats, vehicles: [[serial, x, y, theta]]}], events: [...]} */
  constructor(data) {
    this.data = data;
    this.step = data.step || 1000;
    this.start = data.frames.length ? data.frames[0].at : 0;
    this.byOrder = new Map();
    this.fences = [];
    for (const e of data.events) {
      if (e.event === 'order-accepted') {
        this.byOrder.set(e.order, { id: e.order, request: e.request || { from: '', to: '' }, history: [{ at: e.at, status: 'queued' }] });
      } else if (e.event === 'order-status') {
        const o = this.byOrder.get(e.order);
        if (o) o.history.push({ at: e.at, ...e.status });
      } else if (e.event === 'vehicle-fenced' || e.event === 'vehicle-recovered') {
        this.fences.push(e);
      }
    }
  }

  /** The time of frame `i`. */
  at(i) { const f = this.data.frames[i]; return f ? f.at : this.start; }

  /** The last frame at or before `t`. */
  index(t) {
    const frames = this.data.frames;
    let lo = 0, hi = frames.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (frames[mid].at <= t) lo = mid; else hi = mid - 1; }
    return Math.max(0, lo);
  }

  /** Every order accepted by `t`, as the API shows it, newest first. */
  orders(t) {
    const out = [];
    for (const o of this.byOrder.values()) {
      if (o.history[0].at > t) continue;
      const history = o.history.filter((h) => h.at <= t);
      const last = history[history.length - 1];
      const assigned = history.filter((h) => h.status === 'assigned').pop();
      out.push({
        id: o.id, state: last.status, finished: TERMINAL.has(last.status), vehicle: assigned ? assigned.vehicle : null,
        acceptedAt: o.history[0].at, updatedAt: last.at, request: o.request, history,
      });
    }
    return out.sort((a, b) => b.id - a.id);
  }

  /** What each vehicle does at `t`: serial → {order, loaded, fenced}. */
  duties(t) {
    const duties = new Map();
    for (const o of this.orders(t)) {
      if (o.finished || !o.vehicle || duties.has(o.vehicle)) continue;
      duties.set(o.vehicle, { order: o.id, loaded: LOADED.has(o.state), job: `order ${o.id}: ${o.state}` });
    }
    for (const e of this.fences) {
      if (e.at > t) break;
      const d = duties.get(e.vehicle) || {};
      d.fenced = e.event === 'vehicle-fenced' ? e.reason || 'fenced' : null;
      duties.set(e.vehicle, d);
    }
    return duties;
  }

  /** Frame `i` as a `positions` event of the live stream. */
  frame(i) {
    const f = this.data.frames[i];
    const duties = this.duties(f.at);
    const vehicles = f.vehicles.map(([serial, x, y, theta]) => {
      const d = duties.get(serial) || {};
      const code = d.fenced ? 3 : d.order != null ? 1 : 0;
      return [serial, x, y, theta, code, !!d.loaded];
    });
    const live = this.orders(f.at).filter((o) => !o.finished).length;
    return { at: f.at, stats: { ...f.stats, live }, vehicles };
  }

  /** One vehicle at frame `i`, shaped as the API's vehicle. */
  vehicle(serial, i) {
    const f = this.data.frames[i];
    const p = f.vehicles.find((v) => v[0] === serial);
    const d = this.duties(f.at).get(serial) || {};
    return {
      serial, vehicleType: '', manufacturer: '', health: d.fenced ? 'fenced' : 'ok', fenced: d.fenced || null,
      job: d.job || 'idle', waiting: null, order: d.order ?? null, battery: null, loads: d.loaded ? ['load'] : [],
      operatingMode: null, errors: [], node: null, pose: p ? { x: p[1], y: p[2], theta: p[3] } : null, base: [], horizon: [],
    };
  }
}

// Small line plots of the fleet's figures over the last minutes: a ring
// of samples per plot, drawn on a canvas with its latest value.

export class Plot {
  constructor(canvas, { keep = 600, unit = '' } = {}) {
    this.canvas = canvas;
    this.keep = keep;
    this.unit = unit;
    this.values = [];
  }

  push(v) {
    this.values.push(v);
    if (this.values.length > this.keep) this.values.shift();
  }

  draw() {
    const c = this.canvas, g = c.getContext('2d'), w = c.width, h = c.height;
    g.clearRect(0, 0, w, h);
    if (!this.values.length) return;
    const max = Math.max(1e-9, ...this.values);
    g.strokeStyle = '#58a6ff';
    g.lineWidth = 1.5;
    g.beginPath();
    this.values.forEach((v, i) => {
      const x = (i / Math.max(1, this.keep - 1)) * w, y = h - 4 - (v / max) * (h - 16);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = '#aab4c3';
    g.font = '11px system-ui, sans-serif';
    const last = this.values[this.values.length - 1];
    g.fillText(`${+last.toFixed(2)}${this.unit}  (max ${+max.toFixed(2)})`, 4, 11);
  }
}

/** Deliveries per minute from a cumulative count sampled with times (ms). */
export class Rate {
  constructor(windowMs = 60000) { this.windowMs = windowMs; this.samples = []; }
  push(at, total) {
    this.samples.push([at, total]);
    while (this.samples.length > 2 && this.samples[0][0] < at - this.windowMs) this.samples.shift();
    const [t0, n0] = this.samples[0];
    return at > t0 ? ((total - n0) * 60000) / Math.max(at - t0, 1000) : 0;
  }
}

// The dashboard: sign-in, the live map, details of a vehicle or order,
// the orders table, the flow plots, and the operator's forms. The same
// page plays a recorded run (the simulator's replay.html): the data is
// in the page, a timeline replaces the live stream, and nothing is sent.

import { api, ApiError, clearToken, setToken, stream, token } from 'yardmaster/api.js';
import { MapView } from 'yardmaster/map.js';
import { Plot, Rate } from 'yardmaster/plots.js';
import { Recording } from 'yardmaster/replay.js';

const $ = (id) => document.getElementById(id);
const state = { map: null, role: null, selected: null, order: null, stats: null, positions: 0, frames: 0, fps: 0 };
// What the browser tests and the frame-rate benchmark read.
window.__dashboard = state;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

// Live times are Unix ms; a simulated run's start at 0 (shown as seconds into the run).
function when(ms) {
  if (ms == null) return '';
  return ms < 1e11 ? `${(ms / 1000).toFixed(0)} s` : new Date(ms).toLocaleTimeString();
}

function key() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

async function signIn() {
  if (!token()) { showLogin(''); return; }
  try {
    const session = await api('/api/v1/session');
    state.role = session.role;
  } catch (e) {
    clearToken();
    showLogin(e instanceof ApiError && e.status === 401 ? 'That token is not accepted.' : String(e.message || e));
    return;
  }
  $('login').hidden = true;
  $('app').hidden = false;
  $('role').textContent = state.role;
  document.body.classList.toggle('viewer', state.role === 'viewer');
  await start();
}

function showLogin(message) {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('login-token').value.trim());
  signIn();
});
$('logout').addEventListener('click', () => { clearToken(); location.reload(); });

/** The map, its controls, the station lists and the plots, for either mode. */
function setup(layout, onPick) {
  const map = new MapView($('map'), layout);
  state.map = map;
  window.addEventListener('resize', () => { map.resize(); map.fit(); });
  layout.levels.forEach((l, i) => $('level').append(el('option', { value: i, textContent: l.name || l.id })));
  $('level').hidden = layout.levels.length < 2;
  $('level').addEventListener('change', () => { map.level = +$('level').value; map.fit(); });
  $('fit').addEventListener('click', () => map.fit());
  $('heat').addEventListener('change', () => { map.showHeat = $('heat').checked; refreshHeat(); });
  $('labels').addEventListener('change', () => { map.showLabels = $('labels').checked; map.dirty = true; });
  const places = layout.stations.length ? layout.stations.map((s) => [s.id, `${s.name || s.id} (${s.kind})`])
    : layout.nodes.slice(0, 2000).map((n) => [n.id, n.id]);
  for (const [id, label] of places) {
    $('order-from').append(el('option', { value: id, textContent: label }));
    $('order-to').append(el('option', { value: id, textContent: label }));
  }
  if (places.length > 1) $('order-to').selectedIndex = 1;
  $('map').addEventListener('click', (e) => {
    const serial = map.pick(e.clientX, e.clientY);
    if (serial) onPick(serial);
  });
  const plots = {
    throughput: new Plot($('plot-throughput')),
    queue: new Plot($('plot-queue')),
    tick: new Plot($('plot-tick'), { unit: ' ms' }),
  };
  let last = performance.now(), frames = 0;
  const frame = (now) => {
    map.draw(now);
    frames += 1;
    state.frames += 1;
    if (now - last >= 1000) {
      state.fps = (frames * 1000) / (now - last);
      frames = 0; last = now;
      Object.values(plots).forEach((p) => p.draw());
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  return { map, plots };
}

/** One `positions` update: the map, the figures, the summary line. */
function positions(view, rate, p) {
  state.positions += 1;
  state.stats = p.stats;
  view.map.positions(p.vehicles, performance.now());
  view.plots.throughput.push(rate.push(p.at, p.stats.delivered));
  view.plots.queue.push(p.stats.queued);
  view.plots.tick.push(p.stats.tickMs || 0);
  summarise(p);
}

function summarise(p) {
  $('summary').textContent = `${p.vehicles.length} vehicles · ${p.stats.live} live orders · ${p.stats.queued} queued · ${p.stats.delivered} delivered`;
}

async function start() {
  const layout = await api('/api/v1/layout');
  const view = setup(layout, selectVehicle);
  const map = view.map;
  const rate = new Rate();
  stream((name, data) => {
    if (name === 'positions') {
      positions(view, rate, JSON.parse(data));
    } else if (name === 'event') {
      const ev = JSON.parse(data);
      if (String(ev.event || '').startsWith('order')) scheduleOrders();
    }
  }, (live, err) => {
    $('conn').textContent = live ? 'live' : 'reconnecting';
    $('conn').className = `badge ${live ? 'live' : 'down'}`;
    if (err) showLogin('The token is no longer accepted.');
  });
  setInterval(() => { refreshOrders(); refreshPlaces(); refreshHeat(); refreshDetails(); }, 2000);
  refreshOrders();
  refreshPlaces();
}

let ordersTimer = null;
function scheduleOrders() {
  if (!ordersTimer) ordersTimer = setTimeout(() => { ordersTimer = null; refreshOrders(); }, 300);
}

async function refreshOrders() {
  let page;
  try { page = await api('/api/v1/orders?order=desc&limit=100'); } catch { return; }
  renderOrders(page.orders, selectOrder);
}

/** The orders table (newest first); a click on a row calls `onPick(id)`. */
function renderOrders(orders, onPick) {
  const body = $('orders-body');
  body.replaceChildren(...orders.map((o) => {
    const cancel = el('td');
    if (!o.finished && state.role === 'operator') {
      const b = el('button', { type: 'button', textContent: 'cancel' });
      b.addEventListener('click', async (e) => {
        e.stopPropagation();
        try { await api(`/api/v1/orders/${o.id}/cancel`, { method: 'POST' }); } catch (err) { $('order-result').textContent = err.message; }
        refreshOrders();
      });
      cancel.append(b);
    }
    const row = el('tr', {},
      el('td', { textContent: o.id }), el('td', { textContent: o.state, className: `state-${o.state}` }),
      el('td', { textContent: o.request.from }), el('td', { textContent: o.request.to }),
      el('td', { textContent: o.vehicle || '' }), el('td', { textContent: when(o.acceptedAt) }), cancel);
    row.dataset.order = o.id;
    row.dataset.state = o.state;
    row.addEventListener('click', () => onPick(o.id));
    return row;
  }));
  $('orders-count').textContent = `(newest ${orders.length})`;
}

async function refreshPlaces() {
  let closed;
  try { closed = await api('/api/v1/places'); } catch { return; }
  const map = state.map;
  map.closed = new Set(closed.map((c) => `${c.kind}:${c.id}`));
  map.dirty = true;
  $('closed').replaceChildren(...closed.map((c) => {
    const b = el('button', { type: 'button', textContent: 'reopen' });
    b.className = 'operator';
    b.addEventListener('click', async () => {
      try { await api(`/api/v1/${c.kind}s/${encodeURIComponent(c.id)}/open`, { method: 'POST' }); } catch (e) { $('place-result').textContent = e.message; }
      refreshPlaces();
    });
    return el('li', {}, `${c.kind} ${c.id}${c.reason ? ` — ${c.reason}` : ''} `, b);
  }));
}

async function refreshHeat() {
  if (!state.map || !state.map.showHeat) return;
  try { state.map.heat = (await api('/api/v1/congestion')).nodes; } catch { /* next time */ }
}

function details(title, rows) {
  const dl = el('dl');
  for (const [k, v] of rows) dl.append(el('dt', { textContent: k }), el('dd', { textContent: v == null || v === '' ? '—' : String(v) }));
  $('details-body').replaceChildren(el('h3', { textContent: title }), dl);
}

async function selectVehicle(serial) {
  state.selected = serial;
  state.order = null;
  state.map.selected = serial;
  await refreshDetails();
}

async function selectOrder(id) {
  state.order = id;
  state.selected = null;
  state.map.selected = null;
  state.map.route = null;
  await refreshDetails();
}

async function refreshDetails() {
  try {
    if (state.selected) {
      showVehicle(await api(`/api/v1/vehicles/${encodeURIComponent(state.selected)}`));
    } else if (state.order != null) {
      showOrder(await api(`/api/v1/orders/${state.order}`));
    }
  } catch (e) {
    $('details-body').replaceChildren(el('p', { className: 'error', textContent: e.message }));
  }
}

/** A vehicle's details, and its base and horizon on the map. */
function showVehicle(v) {
  state.map.route = { base: v.base, horizon: v.horizon };
  details(`Vehicle ${v.serial}`, [
        ['type', v.vehicleType], ['manufacturer', v.manufacturer], ['health', v.fenced ? `fenced: ${v.fenced}` : v.health],
        ['job', v.job], ['why it waits', v.waiting], ['order', v.order], ['battery', v.battery == null ? null : `${v.battery.toFixed(0)} %`],
        ['loads', v.loads.join(', ')], ['mode', v.operatingMode], ['errors', v.errors.join('; ')],
        ['node', v.node], ['pose', v.pose ? `${v.pose.x.toFixed(1)}, ${v.pose.y.toFixed(1)}, ${(v.pose.theta * 180 / Math.PI).toFixed(0)}°` : null],
    ['base', v.base.join(' → ')], ['horizon', v.horizon.join(' → ')],
  ]);
}

/** An order's details and history. */
function showOrder(o) {
  details(`Order ${o.id}`, [
    ['state', o.state], ['from', o.request.from], ['via', (o.request.via || []).join(', ')], ['to', o.request.to],
    ['vehicle', o.vehicle], ['priority', o.request.priority],
    ...o.history.map((h) => [when(h.at), h.status + (h.vehicle ? ` ${h.vehicle}` : '') + (h.reason ? `: ${h.reason}` : '')]),
  ]);
}

$('order-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = $('order-result');
  const request = { from: $('order-from').value, to: $('order-to').value, priority: +$('order-priority').value || 0 };
  try {
    const o = await api('/api/v1/orders', { method: 'POST', body: request, headers: { 'Idempotency-Key': key() } });
    out.className = 'ok';
    out.textContent = `Order ${o.id} accepted.`;
    refreshOrders();
  } catch (err) {
    out.className = 'error';
    out.textContent = `Refused (${err.status}): ${err.message}`;
  }
});

$('place-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = $('place-result');
  const kind = $('place-kind').value, id = $('place-id').value.trim();
  try {
    await api(`/api/v1/${kind}/${encodeURIComponent(id)}/close`, { method: 'POST', body: { reason: $('place-reason').value } });
    out.className = 'ok';
    out.textContent = `${kind === 'nodes' ? 'Node' : 'Edge'} ${id} closed.`;
    refreshPlaces();
  } catch (err) {
    out.className = 'error';
    out.textContent = `Refused (${err.status}): ${err.message}`;
  }
});

/** Plays a recorded run: a timeline instead of the live stream. */
function startReplay(data) {
  const rec = new Recording(data);
  state.role = 'viewer';
  state.replay = rec;
  document.body.classList.add('viewer', 'replay');
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = true;
  $('timeline').hidden = false;
  $('role').textContent = 'replay';
  $('conn').textContent = data.title;
  document.title = `Yardmaster replay — ${data.title}`;
  const view = setup(data.layout, (serial) => { state.selected = serial; state.order = null; view.map.selected = serial; show(); });
  view.map.tickMs = rec.step;
  const slider = $('slider');
  slider.max = Math.max(0, data.frames.length - 1);
  let shownOrders = -1;
  const show = () => {
    const i = +slider.value, t = rec.at(i);
    // The plots show the run up to the frame, at most their 600 last samples.
    const rate = new Rate();
    Object.values(view.plots).forEach((p) => { p.values = []; });
    for (let k = Math.max(0, i - 599); k <= i; k++) {
      const f = data.frames[k];
      view.plots.throughput.push(rate.push(f.at, f.stats.delivered));
      view.plots.queue.push(f.stats.queued);
      view.plots.tick.push(0);
    }
    const p = rec.frame(i);
    state.positions += 1;
    state.stats = p.stats;
    view.map.positions(p.vehicles, performance.now());
    summarise(p);
    $('clock').textContent = `${((t - rec.start) / 1000).toFixed(0)} s`;
    const orders = rec.orders(t);
    if (orders.length !== shownOrders || state.order != null) {
      renderOrders(orders.slice(0, 100), (id) => { state.order = id; state.selected = null; view.map.selected = null; view.map.route = null; show(); });
      shownOrders = orders.length;
    }
    if (state.selected) showVehicle(rec.vehicle(state.selected, i));
    else if (state.order != null) { const o = orders.find((x) => x.id === state.order); if (o) showOrder(o); }
    Object.values(view.plots).forEach((p) => p.draw());
  };
  slider.addEventListener('input', show);
  let timer = null;
  const stop = () => { clearInterval(timer); timer = null; $('play').textContent = '▶'; };
  $('play').addEventListener('click', () => {
    if (timer) { stop(); return; }
    $('play').textContent = '❚❚';
    const speed = +$('speed').value;
    view.map.tickMs = rec.step / speed;
    timer = setInterval(() => {
      const i = +slider.value + 1;
      if (i >= data.frames.length) { stop(); return; }
      slider.value = i;
      show();
    }, rec.step / speed);
  });
  $('speed').addEventListener('change', () => { if (timer) { stop(); $('play').click(); } });
  const m = /t=(\d+)/.exec(location.hash);
  slider.value = m ? rec.index(rec.start + +m[1] * 1000) : 0;
  show();
}

const recorded = document.getElementById('replay-data');
if (recorded) startReplay(JSON.parse(recorded.textContent));
else signIn();

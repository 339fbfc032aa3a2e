// The dashboard's frame-rate benchmark (not a test): a live fleet of N
// vehicles, the page in headless Chromium, frames per second measured by
// the page itself over a window, and a screenshot.
//
//   node fps.mjs [--vehicles 1000] [--layout maps/grid-warehouse.map] [--seconds 20] [--orders 200] [--screenshot out.png]

import { parseArgs } from 'node:util';
import { TOKENS, launchBrowser, openPage, startFleet } from './fleet.mjs';

const { values } = parseArgs({ options: {
  vehicles: { type: 'string', default: '100' },
  layout: { type: 'string', default: 'maps/car-plant.lif.json' },
  seconds: { type: 'string', default: '20' },
  orders: { type: 'string', default: '0' },
  'time-scale': { type: 'string', default: '1' },
  'tick-ms': { type: 'string', default: '200' },
  screenshot: { type: 'string' },
} });

const fleet = await startFleet({ layout: values.layout, count: +values.vehicles, timeScale: +values['time-scale'], tickMs: +values['tick-ms'] });
const browser = await launchBrowser();
try {
  const auth = { Authorization: `Bearer ${TOKENS.operator}`, 'Content-Type': 'application/json' };
  const layout = await (await fetch(`${fleet.base}/api/v1/layout`, { headers: auth })).json();
  const places = layout.stations.length ? layout.stations.filter((s) => s.kind === 'pickup' || s.kind === 'drop').map((s) => s.id)
    : layout.nodes.map((n) => n.id);
  const pick = (k) => places[(k * 7919) % places.length];
  const orders = [];
  for (let k = 0; k < +values.orders; k++) {
    const from = pick(2 * k), to = pick(2 * k + 1);
    if (from !== to) orders.push({ from, to });
  }
  for (let i = 0; i < orders.length; i += 500) {
    await fetch(`${fleet.base}/api/v1/orders`, { method: 'POST', headers: auth, body: JSON.stringify(orders.slice(i, i + 500)) });
  }
  const { page, errors } = await openPage(browser, `${fleet.base}/?token=${TOKENS.operator}`);
  await page.waitForFunction((n) => window.__dashboard.map && window.__dashboard.map.vehicles.size >= n, +values.vehicles, { timeout: 120000 });
  await page.waitForTimeout(3000);
  const start = await page.evaluate(() => ({ frames: window.__dashboard.frames, positions: window.__dashboard.positions, t: performance.now() }));
  const samples = [];
  for (let s = 0; s < +values.seconds; s++) {
    await page.waitForTimeout(1000);
    samples.push(await page.evaluate(() => window.__dashboard.fps));
  }
  const end = await page.evaluate(() => ({ frames: window.__dashboard.frames, positions: window.__dashboard.positions, t: performance.now() }));
  const secs = (end.t - start.t) / 1000;
  samples.sort((a, b) => a - b);
  if (values.screenshot) await page.screenshot({ path: values.screenshot });
  console.log(JSON.stringify({
    vehicles: +values.vehicles, layout: values.layout, seconds: +secs.toFixed(1),
    fps_mean: +((end.frames - start.frames) / secs).toFixed(1),
    fps_min_1s: +samples[0].toFixed(1), fps_median_1s: +samples[Math.floor(samples.length / 2)].toFixed(1),
    updates_per_s: +((end.positions - start.positions) / secs).toFixed(2), console_errors: errors.length,
  }));
} finally {
  await browser.close();
  await fleet.stop();
}

// The dashboard against a live fleet in headless Chromium: it loads with
// no console error, vehicles move, an order submitted through the page is
// delivered, and a viewer's token cannot submit.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TOKENS, bin, launchBrowser, openPage, repo, startFleet } from './fleet.mjs';

let fleet;
let browser;

before(async () => {
  fleet = await startFleet({ count: 4, timeScale: 4 });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (fleet) await fleet.stop();
});

test('an operator watches the fleet move and an order submitted on the page is delivered', { timeout: 240000 }, async () => {
  const { page, errors } = await openPage(browser, `${fleet.base}/?token=${TOKENS.operator}`);
  await page.waitForFunction(() => window.__dashboard.positions >= 3, null, { timeout: 30000 });
  assert.ok(!page.url().includes('token='), `the token is taken out of the address: ${page.url()}`);
  assert.equal(await page.textContent('#role'), 'operator');
  assert.equal(await page.locator('#order-form').isVisible(), true);

  await page.selectOption('#order-from', 'WH-PICK-A1');
  await page.selectOption('#order-to', 'SM-L01');
  await page.click('#order-form button[type=submit]');
  await page.waitForFunction(() => /Order \d+ accepted/.test(document.querySelector('#order-result').textContent), null, { timeout: 15000 });
  const id = (await page.textContent('#order-result')).match(/Order (\d+)/)[1];

  // Vehicles move: some vehicle's drawn pose changes between two samples.
  const poses = () => page.evaluate(() => [...window.__dashboard.map.vehicles.values()].map((v) => [v.serial, v.x, v.y, v.theta]));
  const first = await poses();
  assert.equal(first.length, 4, 'every vehicle is on the map');
  await page.waitForFunction((before) => {
    const now = [...window.__dashboard.map.vehicles.values()];
    return now.some((v) => { const b = before.find((p) => p[0] === v.serial); return b && (b[1] !== v.x || b[2] !== v.y || b[3] !== v.theta); });
  }, first, { timeout: 60000 });

  await page.waitForSelector(`#orders-body tr[data-order="${id}"][data-state="delivered"]`, { timeout: 200000 });
  await page.click(`#orders-body tr[data-order="${id}"]`);
  await page.waitForFunction((id) => document.querySelector('#details-body h3')?.textContent === `Order ${id}`, id);
  const history = await page.textContent('#details-body');
  for (const step of ['queued', 'assigned', 'loading', 'unloading', 'delivered']) assert.ok(history.includes(step), `${step} in ${history}`);

  // A vehicle's details: click it on the map.
  const box = await page.locator('#map').boundingBox();
  const target = await page.evaluate(() => {
    const m = window.__dashboard.map, v = [...m.vehicles.values()][0], r = m.canvas.getBoundingClientRect();
    return { x: r.left + m.sx(v.x) / m.dpr, y: r.top + m.sy(v.y) / m.dpr, serial: v.serial };
  });
  assert.ok(target.x >= box.x && target.x <= box.x + box.width, 'the vehicle is inside the map');
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((s) => document.querySelector('#details-body h3')?.textContent === `Vehicle ${s}`, target.serial, { timeout: 10000 });
  assert.match(await page.textContent('#details-body'), /battery\d+ %/);

  const fps = await page.evaluate(() => window.__dashboard.fps);
  assert.ok(fps > 5, `it draws (${fps} frames per second)`);
  assert.deepEqual(errors, [], 'no console error');
  await page.close();
});

test('a viewer sees the fleet but cannot submit', { timeout: 60000 }, async () => {
  const { page, errors } = await openPage(browser, `${fleet.base}/?token=${TOKENS.viewer}`);
  await page.waitForFunction(() => window.__dashboard.positions >= 1, null, { timeout: 30000 });
  assert.equal(await page.textContent('#role'), 'viewer');
  assert.equal(await page.locator('#order-form').isVisible(), false, 'a viewer is not offered the form');
  // Even with the form forced into view, the server refuses.
  await page.evaluate(() => document.body.classList.remove('viewer'));
  await page.click('#order-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#order-result').textContent.startsWith('Refused'), null, { timeout: 10000 });
  assert.match(await page.textContent('#order-result'), /Refused \(403\): this request needs the operator role/);
  assert.deepEqual(errors.filter((e) => !e.includes('403')), [], 'no console error but the refused request');
  await page.close();
});

test('a wrong token is asked again, not let in', { timeout: 30000 }, async () => {
  const { page } = await openPage(browser, `${fleet.base}/?token=not-a-token-of-this-server`);
  await page.waitForSelector('#login:not([hidden])');
  assert.equal(await page.textContent('#login-error'), 'That token is not accepted.');
  await page.fill('#login-token', TOKENS.viewer);
  await page.click('#login-form button');
  await page.waitForSelector('#app:not([hidden])');
  await page.close();
});

test('the simulator\'s replay.html is the dashboard playing the run, offline', { timeout: 120000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'yardmaster-replay-'));
  execFileSync(bin('yard-sim'), ['run', path.join(repo, 'scenarios/milk-run.toml'), '--ci', '--report', dir], { stdio: 'ignore' });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
  await page.goto(`file://${path.join(dir, 'replay.html')}#t=600`);
  await page.waitForFunction(() => window.__dashboard.replay && window.__dashboard.map.vehicles.size > 0, null, { timeout: 20000 });
  assert.equal(await page.textContent('#role'), 'replay');
  assert.equal(await page.locator('#order-form').isVisible(), false, 'nothing to submit in a recording');
  assert.ok(+(await page.textContent('#clock')).split(' ')[0] >= 600, 'the #t= link seeks');
  const rows = await page.locator('#orders-body tr').count();
  assert.ok(rows > 0, 'the orders of the run so far are listed');
  const poses = () => page.evaluate(() => [...window.__dashboard.map.vehicles.values()].map((v) => [v.x, v.y, v.theta].join()));
  const before = await poses();
  await page.click('#play');
  await page.waitForFunction((b) => [...window.__dashboard.map.vehicles.values()].some((v, k) => [v.x, v.y, v.theta].join() !== b[k]), before, { timeout: 20000 });
  await page.click('#play');
  await page.click('#orders-body tr:first-child');
  await page.waitForFunction(() => /^Order \d+$/.test(document.querySelector('#details-body h3')?.textContent || ''));
  assert.match(await page.textContent('#details-body'), /queued/);
  assert.deepEqual(errors, [], 'no console error');
  assert.deepEqual(requests, [], 'no network');
  await page.close();
});

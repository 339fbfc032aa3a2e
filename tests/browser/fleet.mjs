// Starts a live fleet for the browser tests: `yardmaster serve` with the
// HTTP API on a free loopback port and emulated vehicles (`agv-agent`),
// both with --die-with-parent so that none outlives the test, and
// Debian's Chromium through playwright-core.

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR || path.join(repo, 'target');
export const bin = (name) => path.join(process.env.YARDMASTER_BIN_DIR || path.join(targetDir, 'debug'), name);

export const TOKENS = {
  operator: 'operator-token-browser-test-0001',
  viewer: 'viewer-token-browser-test-00001',
};

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitFor(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try { const r = await fetch(url); if (r.ok) return; } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts the orchestrator and `count` vehicles on `layout` (relative to
 * the repository), `timeScale` times faster than real time.
 */
export async function startFleet({ layout = 'maps/car-plant.lif.json', count = 4, timeScale = 4, tickMs = 200 } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'yardmaster-browser-'));
  writeFileSync(path.join(dir, 'tokens.json'), JSON.stringify([
    { token: TOKENS.operator, role: 'operator' },
    { token: TOKENS.viewer, role: 'viewer' },
  ]));
  const [zenoh, http] = [await freePort(), await freePort()];
  const origin = String(Date.now());
  const clock = ['--time-scale', String(timeScale), '--time-origin-ms', origin, '--die-with-parent'];
  const layoutPath = path.join(repo, layout);
  const procs = [];
  const log = [];
  const run = (name, args) => {
    const p = spawn(bin(name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => log.push(`${name}: ${d}`));
    p.stderr.on('data', (d) => log.push(`${name}: ${d}`));
    procs.push(p);
    return p;
  };
  run('yardmaster', ['serve', '--layout', layoutPath, '--db', path.join(dir, 'orders.redb'),
    '--listen', `tcp/127.0.0.1:${zenoh}`, '--vehicles', String(count), '--tick-ms', String(tickMs),
    '--http', `127.0.0.1:${http}`, '--tokens', path.join(dir, 'tokens.json'), ...clock]);
  const base = `http://127.0.0.1:${http}`;
  await waitFor(`${base}/healthz`, 60000);
  run('agv-agent', ['--layout', layoutPath, '--count', String(count), '--connect', `tcp/127.0.0.1:${zenoh}`,
    '--state-interval-ms', '1000', ...clock]);
  await waitFor(`${base}/readyz`, 30000);
  const stop = async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null ? null : new Promise((r) => {
      const t = setTimeout(() => { p.kill('SIGKILL'); r(); }, 5000);
      p.on('exit', () => { clearTimeout(t); r(); });
    }))));
  };
  return { base, stop, log };
}

/** Debian's Chromium, headless, with no network of its own. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(browser, url, viewport = { width: 1400, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

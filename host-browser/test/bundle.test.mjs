// A `friscy-pack` bundle (OUT/web/) in headless Chromium: the page finds its
// image through manifest.json (no rootfs.tar, no ?image=), runs a program
// from it and shows [exited 0], reading only the image bytes it needs by
// range requests, or all of them from a server without ranges. Needs
// target/release/friscy-pack (just build).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { startServer } from '../scripts/serve.mjs';
import { loadManifest, repoDir } from './lib/fixtures.mjs';

const CHROMIUM = process.env.FRISCY_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = Number(process.env.FRISCY_TEST_TIMEOUT || 120) * 1000;
const PACK = path.join(repoDir, 'target', 'release', 'friscy-pack');

const m = loadManifest();
let server;
let plainServer;
let context;
let work;

before(async () => {
  assert.ok(existsSync(PACK), `${PACK} is missing: run \`just build\``);
  work = mkdtempSync(path.join(tmpdir(), 'friscy-bundle-'));
  const out = path.join(work, 'out');
  const r = spawnSync(PACK, [m.rootfsTar, '-o', out, '--name', 'fixtures'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `friscy-pack failed: ${r.stderr}`);
  server = await startServer({ root: path.join(out, 'web') });
  plainServer = await startServer({ root: path.join(out, 'web'), ranges: false });
  context = await chromium.launchPersistentContext(path.join(work, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 600 },
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  await plainServer?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Run /glibc/hello from the bundle served by `srv`; returns what the page shows. */
async function runHello(srv) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${srv.url}index.html?cmd=/glibc/hello&arg=bundle`);
  await page.waitForFunction(() => ['exited', 'error'].includes(document.body.dataset.state), null,
    { timeout: WAIT_MS, polling: 50 });
  const s = await page.evaluate(() => ({
    state: document.body.dataset.state,
    code: window.friscy.exitCode,
    error: window.friscy.error,
    image: window.friscy.imageUrl,
    stats: window.friscy.stats,
    lines: window.friscy.screenLines(),
  }));
  await page.close();
  assert.equal(s.state, 'exited', `error: ${s.error}`);
  assert.equal(s.code, 0, JSON.stringify(s.lines));
  assert.ok(s.image.endsWith('/image.fimg'), s.image);
  assert.ok(s.lines.includes('argv[1]=[bundle] (6 bytes)'), JSON.stringify(s.lines));
  assert.deepEqual(problems, []);
  return s;
}

describe('bundle: friscy-pack OUT/web in headless Chromium', () => {
  test('manifest.json names the image; ?cmd runs a program from it, reading the image on demand', { timeout: WAIT_MS + 30000 }, async () => {
    const manifest = JSON.parse(readFileSync(path.join(work, 'out', 'web', 'manifest.json'), 'utf8'));
    assert.equal(manifest.image, 'image.fimg');
    assert.equal(manifest.name, 'fixtures');
    const size = statSync(path.join(work, 'out', 'web', 'image.fimg')).size;
    const s = await runHello(server);
    const served = server.served('/image.fimg');
    // Every request for the image was a range; what hello needs (the index,
    // ld.so, libc, hello) is a fraction of an image of many test programs.
    assert.equal(served.ranged, served.requests, JSON.stringify(served));
    assert.ok(served.bytes < size / 2, `served ${served.bytes} of ${size} image bytes`);
    assert.equal(s.stats.image.size, size);
    assert.ok(s.stats.image.fetched <= served.bytes, JSON.stringify({ served, stats: s.stats.image }));
    console.log(`# image on demand: ${served.bytes} of ${size} bytes in ${served.requests} requests`);
  });

  test('a server without byte ranges: the image is downloaded whole, once', { timeout: WAIT_MS + 30000 }, async () => {
    const size = statSync(path.join(work, 'out', 'web', 'image.fimg')).size;
    const s = await runHello(plainServer);
    assert.deepEqual(plainServer.served('/image.fimg'), { requests: 1, ranged: 0, bytes: size });
    assert.equal(s.stats.image, undefined, 'no on-demand stats for a whole image');
  });
});

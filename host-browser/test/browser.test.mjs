// The built page (dist/) in real headless Chromium (Debian's, through
// playwright-core), served from 127.0.0.1 without COOP/COEP headers, with the
// fixture rootfs as rootfs.tar next to the page. What the terminal shows is
// compared with the oracle (qemu-riscv64 under proot).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { startServer } from '../scripts/serve.mjs';
import { distDir, loadManifest, runOracle, outputLines } from './lib/fixtures.mjs';
import { assertSameBytes } from './lib/assert-output.mjs';

const CHROMIUM = process.env.FRISCY_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = Number(process.env.FRISCY_TEST_TIMEOUT || 120) * 1000;
const SCREENSHOT = path.join(tmpdir(), 'friscy-browser-hello.png');

const m = loadManifest();
let server;
let context;
let userDataDir;

before(async () => {
  assert.ok(existsSync(path.join(distDir, 'index.html')), `${distDir} is not built: run \`npm run build\``);
  server = await startServer({ root: distDir, files: { '/rootfs.tar': m.rootfsTar } });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'friscy-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
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
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** Open the page with these query parameters; resolves once the page is loaded. */
async function open(params) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  const qs = new URLSearchParams(params).toString();
  await page.goto(`${server.url}index.html${qs ? '?' + qs : ''}`);
  return { page, problems };
}

/** Wait for the exit marker, then read the page's state back. */
async function finished(page) {
  await page.waitForFunction(() => ['exited', 'error'].includes(document.body.dataset.state), null,
    { timeout: WAIT_MS, polling: 50 });
  return page.evaluate(() => {
    const f = window.friscy;
    const bytes = (fd) => f.output.filter((c) => c.fd === fd).flatMap((c) => Array.from(c.data));
    return {
      state: document.body.dataset.state,
      exitAttr: document.body.dataset.exitCode,
      title: document.title,
      exitCode: f.exitCode,
      error: f.error,
      lines: f.screenLines(),
      cols: f.term.cols,
      rows: f.term.rows,
      stdout: bytes(1),
      stderr: bytes(2),
      crossOriginIsolated: self.crossOriginIsolated,
    };
  });
}

/** How a terminal `cols` wide shows this (pipe) output: lines, tabs expanded, wrapped. */
function screenOf(buf, cols) {
  const rows = [];
  for (const line of outputLines(buf)) {
    let s = '';
    for (const ch of line) s += ch === '\t' ? ' '.repeat(8 - (s.length % 8)) : ch;
    if (s === '') rows.push('');
    for (let i = 0; i < s.length; i += cols) rows.push(s.slice(i, i + cols));
  }
  return rows.map((r) => r.trimEnd());
}

/** The tty turns \n into \r\n (ONLCR); undo that to compare with the oracle's pipe. */
const fromTty = (bytes) => Buffer.from(Buffer.from(bytes).toString('latin1').replace(/\r\n/g, '\n'), 'latin1');

function assertExited(s, code) {
  assert.equal(s.state, 'exited', `the page reached "exited" (error: ${s.error})`);
  assert.equal(s.exitCode, code, `exit status (screen: ${JSON.stringify(s.lines)})`);
  assert.equal(s.exitAttr, String(code));
  assert.equal(s.title, `friscy: exited ${code}`);
}

describe('browser: the page in headless Chromium', () => {
  test('?cmd=/glibc/hello&arg=a&arg=b shows what qemu-riscv64 prints, then [exited N]', { timeout: WAIT_MS + 30000 }, async () => {
    const argv = ['/glibc/hello', 'a', 'b'];
    const oracle = runOracle(m.rootfsDir, argv);
    const { page, problems } = await open([['cmd', argv[0]], ...argv.slice(1).map((a) => ['arg', a])]);
    const s = await finished(page);
    await page.screenshot({ path: SCREENSHOT });
    assert.equal(s.crossOriginIsolated, false, 'the page runs without COOP/COEP (not cross-origin isolated)');
    assertExited(s, oracle.status);
    assertSameBytes(fromTty(s.stdout), oracle.stdout, 'stdout');
    assertSameBytes(fromTty(s.stderr), oracle.stderr, 'stderr');
    const want = [...screenOf(Buffer.concat([oracle.stdout, oracle.stderr]), s.cols), `[exited ${oracle.status}]`];
    assert.deepEqual(s.lines, want, 'the terminal screen');
    assert.deepEqual(problems, [], 'no page errors');
    await page.close();
  });

  test('argv and env from query parameters reach the guest (hello_args_musl)', { timeout: WAIT_MS + 30000 }, async () => {
    const c = m.cases.find((x) => x.name === 'hello_args_musl');
    assert.ok(c, 'the manifest has hello_args_musl');
    const oracle = runOracle(m.rootfsDir, c.argv, c.env);
    const params = [['cmd', c.argv[0]], ...c.argv.slice(1).map((a) => ['arg', a]), ...c.env.map(([k, v]) => ['env', `${k}=${v}`])];
    const { page, problems } = await open(params);
    const s = await finished(page);
    assertExited(s, oracle.status);
    assertSameBytes(fromTty(s.stdout), oracle.stdout, 'stdout');
    assertSameBytes(fromTty(s.stderr), oracle.stderr, 'stderr');
    assert.deepEqual(problems, [], 'no page errors');
    await page.close();
  });

  test('typed keys reach the guest: `cat -` echoes a line and prints it, Ctrl-D ends it', { timeout: WAIT_MS + 30000 }, async () => {
    const typed = 'typed from the keyboard';
    const oracle = runOracle(m.rootfsDir, ['/glibc/cat', '-'], [], Buffer.from(typed + '\n'));
    const { page, problems } = await open([['cmd', '/glibc/cat'], ['arg', '-']]);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: WAIT_MS });
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type(typed);
    await page.keyboard.press('Enter');
    // The line discipline echoes the line, then cat writes it back.
    await page.waitForFunction((t) => window.friscy.screenLines().filter((l) => l === t).length >= 2 ||
      document.body.dataset.state !== 'running', typed, { timeout: WAIT_MS });
    await page.keyboard.press('Control+D');
    const s = await finished(page);
    assertExited(s, oracle.status);
    assert.deepEqual(s.lines, [typed, ...screenOf(oracle.stdout, s.cols), `[exited ${oracle.status}]`], 'the terminal screen');
    assert.deepEqual(problems, [], 'no page errors');
    await page.close();
  });

  test('a command missing from the image: one error line, [exited 127]', { timeout: WAIT_MS + 30000 }, async () => {
    const missing = m.badInputs.missing_command;
    const { page, problems } = await open([['cmd', missing]]);
    const s = await finished(page);
    assertExited(s, 127);
    assert.equal(s.lines.length, 2, `one error line and the marker, got ${JSON.stringify(s.lines)}`);
    assert.ok(s.lines[0].includes(missing), `the error line ${JSON.stringify(s.lines[0])} names ${missing}`);
    assert.equal(s.lines[1], '[exited 127]');
    assert.equal(s.stdout.length, 0, 'nothing on stdout');
    assert.deepEqual(problems, [], 'no page errors');
    await page.close();
  });

  test('an image URL that does not exist: one error line, non-zero exit', { timeout: WAIT_MS + 30000 }, async () => {
    const { page, problems } = await open([['image', 'no-such-image.tar'], ['cmd', '/glibc/hello']]);
    const s = await finished(page);
    assert.equal(s.state, 'exited', `the emulator reports it (error: ${s.error})`);
    assert.notEqual(s.exitCode, 0);
    assert.equal(s.lines.length, 2, `one error line and the marker, got ${JSON.stringify(s.lines)}`);
    assert.ok(s.lines[0].includes('no-such-image.tar'), `the error line ${JSON.stringify(s.lines[0])} names the image`);
    assert.equal(s.lines[1], `[exited ${s.exitCode}]`);
    // The failed fetch itself is logged by Chromium as a console error; nothing else may be.
    assert.deepEqual(problems.filter((p) => !/404|Failed to load resource/.test(p)), [], 'no page errors');
    await page.close();
  });
});

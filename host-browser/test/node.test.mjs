// The transpiled emulator in Node (preview2-shim's Node build, the session
// driver of the browser host) on every fixture case of the CLI tests
// (build/fixtures/manifest.json), compared with the oracle run live:
// qemu-riscv64 under proot in the extracted rootfs.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { loadManifest, runNode, runOracle, outputLines } from './lib/fixtures.mjs';
import { assertSameBytes } from './lib/assert-output.mjs';

const m = loadManifest();

describe('node: fixture cases match qemu-riscv64', () => {
  for (const c of m.cases) {
    test(c.name, async () => {
      const oracle = runOracle(m.rootfsDir, c.argv, c.env, c.stdinBytes);
      assert.equal(oracle.status, c.status,
        `the oracle exited with ${oracle.status} but the manifest says ${c.status} (stale fixtures?)`);
      const got = await runNode({ imagePath: m.rootfsTar, argv: c.argv, env: c.env, stdin: c.stdinBytes });
      assertSameBytes(got.stdout, oracle.stdout, `${c.name}: stdout`);
      if (c.compare_stderr) assertSameBytes(got.stderr, oracle.stderr, `${c.name}: stderr`);
      assert.equal(got.status, oracle.status, `${c.name}: exit status (stderr: ${got.stderr.toString('utf8').trim()})`);
    });
  }
});

/** The error contract of the session interface: one line on fd 2, then exited(N). */
function assertOneErrorLine(got, { status, mentions }) {
  const lines = outputLines(got.stderr);
  const text = got.stderr.toString('utf8');
  assert.equal(got.stdout.length, 0, `nothing on stdout, got ${JSON.stringify(got.stdout.toString('utf8'))}`);
  assert.equal(lines.length, 1, `exactly one error line on stderr, got ${JSON.stringify(text)}`);
  assert.ok(lines[0].trim().length > 0, 'the error line is not blank');
  if (mentions) assert.ok(lines[0].includes(mentions), `the error line ${JSON.stringify(lines[0])} names ${mentions}`);
  if (typeof status === 'number') assert.equal(got.status, status, `exit status (stderr: ${JSON.stringify(text)})`);
  else assert.notEqual(got.status, 0, 'exit status is not 0');
}

describe('node: bad inputs give one clear error line and a failing status', () => {
  const b = m.badInputs;
  test('missing command -> 127', async () => {
    const got = await runNode({ imagePath: m.rootfsTar, argv: [b.missing_command] });
    assertOneErrorLine(got, { status: 127, mentions: b.missing_command });
  });
  for (const [name, key] of [['x86-64 ELF', 'x86_elf'], ['directory', 'directory'], ['file without x bit', 'not_executable']]) {
    test(`${name} as the command -> 126`, async () => {
      const got = await runNode({ imagePath: m.rootfsTar, argv: [b[key]] });
      assertOneErrorLine(got, { status: 126, mentions: b[key] });
    });
  }
  test('image that does not exist', async () => {
    const image = m.abs(b.missing_image);
    const got = await runNode({ imagePath: image, argv: ['/glibc/hello'] });
    assertOneErrorLine(got, { mentions: path.basename(image) });
  });
  test('image that is not a tar', async () => {
    const got = await runNode({ imagePath: m.abs(b.not_a_tar), argv: ['/glibc/hello'] });
    assertOneErrorLine(got, {});
  });
});

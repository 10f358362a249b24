import assert from 'node:assert/strict';

/** Byte-exact comparison with a readable diff when the text differs. */
export function assertSameBytes(got, want, what) {
  got = Buffer.from(got);
  want = Buffer.from(want);
  if (got.equals(want)) return;
  assert.equal(got.toString('utf8'), want.toString('utf8'), `${what} differs from the oracle`);
  assert.fail(`${what} differs from the oracle in bytes that are not valid UTF-8:\n` +
    `  got  ${got.toString('hex')}\n  want ${want.toString('hex')}`);
}

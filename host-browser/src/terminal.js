// `friscy:emulator/terminal-control` for a host whose terminal is raw
// (xterm.js in the page, or no terminal at all in tests): the emulator does
// the line discipline and echo itself, so `host-echoes` is false.

/**
 * @param {() => ({rows: number, cols: number} | null)} getSize current size,
 *   or null when there is no terminal (output is then not a tty for the guest)
 */
export function createTerminalControl(getSize = () => null) {
  return {
    windowSize() {
      const size = getSize();
      if (!size) return undefined; // option::none
      return [clampU16(size.rows), clampU16(size.cols)];
    },
    hostEchoes() {
      return false;
    },
  };
}

function clampU16(n) {
  return Math.max(1, Math.min(0xffff, Math.floor(Number(n) || 0)));
}

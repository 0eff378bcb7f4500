import * as assert from 'node:assert/strict';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until f() holds (true), or fails with what f last saw (a string says what it is waiting on). */
export async function until(what: string, f: () => boolean | string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  let last: boolean | string = false;
  while (Date.now() < end) {
    last = f();
    if (last === true) return;
    await sleep(50);
  }
  assert.fail(`${what}: not within ${ms} ms (last: ${String(last)})`);
}

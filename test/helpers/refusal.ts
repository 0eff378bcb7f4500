import * as assert from 'node:assert/strict';

/** The message and exit code f throws with; a failed assertion when it throws nothing. */
export function refusal(f: () => unknown): [string, unknown] {
  try {
    f();
  } catch (e) {
    return [(e as Error).message, (e as { exitCode?: unknown }).exitCode];
  }
  assert.fail('not refused');
}

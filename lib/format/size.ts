// Sizes as docker's flags take them (go-units' RAMInBytes: --memory, --memory-swap,
// --mount's tmpfs-size), apart from the engine: the CLI reads --mount with it too.

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * docker's RAMInBytes: '64m', '1.5g', '512k', '100' (bytes); units are binary. Throws an
 * Error saying why, in go-units' words, for the caller to put in its flag's message.
 */
export function ramInBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtpb]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) throw new Error(`invalid size: '${value}'`);
  return Math.floor(parseFloat(m[1]) * UNITS[m[2].toLowerCase()]);
}

// Sizes as docker's flags take them (go-units' RAMInBytes: --memory, --memory-swap,
// --mount's tmpfs-size), apart from the engine: the CLI reads --mount with it too.
import { goQuote } from './quote';

const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** strconv.ParseFloat's decimal forms: a sign, digits with a point, an exponent. */
const GO_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * docker's RAMInBytes (go-units 0.5's parseSize): a number, then at most one space, then a
 * suffix of b, or k, m, g, t, p alone or with b or ib, any case; units are binary ('64m' is
 * 64 MiB, '1.5g', '100', '1e8'). Throws an Error saying why in go-units' words (invalid
 * size, invalid suffix, or ParseFloat's), for the caller to put in its flag's message.
 */
export function ramInBytes(value: string): number {
  // The number ends at the last digit, point or space; a space there only separates.
  let sep = -1;
  for (let i = value.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(value[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${value}'`);
  const num = value[sep] === ' ' ? value.slice(0, sep) : value.slice(0, sep + 1);
  let sfx = value.slice(sep + 1);
  if (!GO_FLOAT.test(num)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(num)}: invalid syntax`);
  let size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${value}'`);
  if (!sfx) return Math.trunc(size);
  const badSuffix = (): Error => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw badSuffix();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw badSuffix();
    return Math.trunc(size);
  }
  const mul = UNITS[sfx[0]];
  if (mul === undefined) throw badSuffix();
  size *= mul;
  // The unit may have a b or an ib after it (KiB, MB).
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw badSuffix();
  return Math.trunc(size);
}

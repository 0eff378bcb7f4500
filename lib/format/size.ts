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
 * A number beyond float64 is ParseFloat's range error; a size beyond int64 comes out as Go's
 * int64() of it on amd64 does, the int64 minimum, which the callers refuse as the negative
 * size it is (docker's daemon: "Minimum memory limit allowed is 6MB", "SHM size can not be
 * less than 0").
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
  if (!Number.isFinite(size)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(num)}: value out of range`);
  if (size < 0) throw new Error(`invalid size: '${value}'`);
  if (!sfx) return int64(size);
  const badSuffix = (): Error => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw badSuffix();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw badSuffix();
    return int64(size);
  }
  const mul = UNITS[sfx[0]];
  if (mul === undefined) throw badSuffix();
  size *= mul;
  // The unit may have a b or an ib after it (KiB, MB).
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw badSuffix();
  return int64(size);
}

/** Go's int64(f) for a non-negative f on amd64: truncated, and the int64 minimum (CVTTSD2SQ's "indefinite") when it does not fit. */
function int64(f: number): number {
  return f >= 2 ** 63 ? -(2 ** 63) : Math.trunc(f);
}

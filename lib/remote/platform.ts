// Platforms: the one this host runs, and `--platform os/arch[/variant]` as given.
import { GockerError } from '../errors';

/** An image's platform, as an OCI image index names it: what a pull resolves a manifest list for. */
export interface Platform {
  /** 'linux' */
  os: string;
  /** the OCI (Go) name: 'amd64', 'arm64', 'arm', ... */
  architecture: string;
  /** 'v8', 'v7', ...: for architectures that have them */
  variant?: string;
}

export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: 'linux', architecture: arch, ...(arch === 'arm64' ? { variant: 'v8' } : arch === 'arm' ? { variant: 'v7' } : {}) };
}

/** `--platform os/arch[/variant]` as docker takes it; GockerError when it has no os or no arch. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new GockerError(`invalid platform: "${s}": expected os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export const platformString = (p: Platform): string => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

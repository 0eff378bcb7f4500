// A Kubernetes CRI client, for the calls kubelet makes to containerd's CRI plugin. The API's
// schema is the one the containerd under test serves: Debian packages no cri-api .proto, but its
// containerd binary carries the descriptor of runtime/v1's api.proto, gzipped, as gogo-protobuf
// registers every generated file; it is read from there and handed to @grpc/proto-loader.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

// A gzip member as Go's compress/gzip writes it (no name, no mtime).
const GZIP = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
// FileDescriptorProto's first fields: name "api.proto" (1), package "runtime.v1" (2).
const API_V1 = Buffer.from('\n\tapi.proto\x12\nruntime.v1', 'latin1');

function criDescriptor(binary: string): Buffer {
  const b = fs.readFileSync(binary);
  for (let i = b.indexOf(GZIP); i >= 0; i = b.indexOf(GZIP, i + 1)) {
    let d: Buffer;
    try {
      d = zlib.gunzipSync(b.subarray(i, i + (1 << 20)), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      continue; // the magic by chance, not a member
    }
    if (d.subarray(0, API_V1.length).equals(API_V1)) return d;
  }
  throw new Error(`${binary} carries no CRI runtime.v1 descriptor`);
}

/** A varint, as protobuf encodes lengths. */
function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
  out.push(n);
  return Buffer.from(out);
}

export type Call = (method: string, request: object, timeoutMs?: number) => Promise<any>;

export interface CriClient {
  runtime: Call;
  image: Call;
  close(): void;
}

export function criClient(sock: string, containerdBinary = '/usr/bin/containerd'): CriClient {
  const file = criDescriptor(containerdBinary);
  // A FileDescriptorSet of that one file (field 1, length-delimited).
  const set = Buffer.concat([Buffer.from([0x0a]), varint(file.length), file]);
  const def = protoLoader.loadFileDescriptorSetFromBuffer(set, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const v1 = (grpc.loadPackageDefinition(def) as any).runtime.v1;
  const address = `unix://${sock}`;
  const rt = new v1.RuntimeService(address, grpc.credentials.createInsecure());
  const im = new v1.ImageService(address, grpc.credentials.createInsecure());
  const call = (client: any): Call => (method, request, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      client[method](request, { deadline: Date.now() + timeoutMs }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res)));
    });
  return { runtime: call(rt), image: call(im), close: () => { rt.close(); im.close(); } };
}

// The container record: <root>/containers/<id>/config.v2.json, written atomically by the
// engine (create, start, stop, rm), and the monitor's state under runroot. Every lifecycle
// command reads these; only lib/container writes them.
import type { HostConfigBase } from '../spec';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  /** waiting out the restart policy's back-off (Running too, as docker has it); absent in older records */
  Restarting?: boolean;
  Pid: number;
  ExitCode: number;
  OOMKilled: boolean;
  /** RFC 3339 with nanoseconds, as docker; '0001-01-01T00:00:00Z' when never */
  StartedAt: string;
  FinishedAt: string;
  Error: string;
}

/** One of docker's Mounts, in its key order; Name and Driver for volumes only. */
export interface MountRecord {
  Type: 'bind' | 'tmpfs' | 'volume';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface HostConfigRecord extends HostConfigBase {
  Binds: string[] | null;
  AutoRemove: boolean;
  Tmpfs: Record<string, string> | null;
  /** --mount, as docker's HostConfig.Mounts (absent in records from before it) */
  Mounts?: Array<Record<string, unknown>> | null;
  /** -p: "80/tcp" -> [{ HostIp, HostPort }] as asked (HostPort '' for any); absent in older records */
  PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
  PublishAllPorts?: boolean;
  /** --log-driver and --log-opt; absent in records from before they existed (json-file) */
  LogConfig?: { Type: 'json-file' | 'none'; Config: Record<string, string> };
  /** --add-host, host:ip as given (host-gateway unresolved), and the DNS flags */
  ExtraHosts?: string[] | null;
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  /** --device and --device-cgroup-rule */
  Devices?: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
  DeviceCgroupRules?: string[] | null;
  /** --ipc (private by default), --pid and --uts ('' : its own); container:ID for a joined one */
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  /** --sysctl; absent when none, as docker's */
  Sysctls?: Record<string, string>;
  /** --restart; absent in records from before it (no) */
  RestartPolicy?: { Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped'; MaximumRetryCount: number };
}

export interface ContainerConfigRecord {
  Hostname: string;
  User: string;
  Env: string[];
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Image: string;
  WorkingDir: string;
  Labels: Record<string, string>;
  StopSignal?: string;
  /** --stop-timeout: stop's grace period when -t is not given */
  StopTimeout?: number;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
}

export interface ContainerRecord {
  /** 64 hex chars */
  Id: string;
  /** '/name', as docker */
  Name: string;
  /** RFC 3339 */
  Created: string;
  Path: string;
  Args: string[];
  /** image id, 'sha256:...' */
  Image: string;
  State: ContainerState;
  /** restarts by its restart policy since the user last started it */
  RestartCount?: number;
  Config: ContainerConfigRecord;
  HostConfig: HostConfigRecord;
  Mounts: MountRecord[];
  NetworkSettings: NetworkSettings;
  GraphDriver: {
    Name: 'overlay2' | 'vfs';
    Data: { LowerDir: string; UpperDir: string; MergedDir: string; WorkDir: string };
  };
  /** the files that belong to this container: log path, resolv.conf etc. */
  LogPath: string;
  HostnamePath: string;
  HostsPath: string;
  ResolvConfPath: string;
  /** cgroup name under each hierarchy, e.g. 'gocker/<id>' */
  CgroupPath: string;
}

/** A container's place on one network, as docker's inspect shows it. */
export interface EndpointSettings {
  /** --ip */
  IPAMConfig: { IPv4Address?: string } | null;
  Links: null;
  /** --network-alias */
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  /** the names others on a user network reach it by: its name, short id and aliases */
  DNSNames: string[] | null;
}

export interface NetworkSettings {
  Bridge?: string;
  SandboxID?: string;
  SandboxKey?: string;
  /** "80/tcp" -> the host ports it is published on (null: exposed only), while it runs */
  Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  /** the default bridge's endpoint, repeated at the top as docker does */
  IPAddress: string;
  Gateway?: string;
  IPPrefixLen?: number;
  MacAddress?: string;
  EndpointID?: string;
  Networks: Record<string, EndpointSettings | Record<string, never>>;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

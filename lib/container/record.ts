// The container record: <root>/containers/<id>/config.v2.json, written atomically by the
// engine (create, start, stop, rm), and the monitor's state under runroot. Every lifecycle
// command reads these; only lib/container writes them.
import type { HostConfigBase } from '../spec';

/** docker's State.Status: what `ps` shows and `--filter status=` matches. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** docker's State in `inspect`: where the container is in its life, and how its last run ended. */
export interface ContainerState {
  /** the one word for all of the below */
  Status: ContainerStatus;
  /** its command runs (or it waits out a restart back-off); true while paused too, as docker */
  Running: boolean;
  /** frozen by `pause` (the cgroup freezer) */
  Paused: boolean;
  /** waiting out the restart policy's back-off (Running too, as docker has it); absent in older records */
  Restarting?: boolean;
  /** its command's pid on the host while it runs; 0 otherwise */
  Pid: number;
  /** the last run's exit code (128 + the signal when a signal ended it); 0 before any run */
  ExitCode: number;
  /** the kernel's OOM killer ended a process of the last run */
  OOMKilled: boolean;
  /** RFC 3339 with nanoseconds, as docker; '0001-01-01T00:00:00Z' when never */
  StartedAt: string;
  /** when the last run ended, in the same form; '0001-01-01T00:00:00Z' while it has not */
  FinishedAt: string;
  /** why the last start failed ('' when it did not), as docker's */
  Error: string;
}

/** One of docker's Mounts, in its key order; Name and Driver for volumes only. */
export interface MountRecord {
  /** how it was given: -v or --mount type=bind, --tmpfs or type=tmpfs, a named or anonymous volume */
  Type: 'bind' | 'tmpfs' | 'volume';
  /** the volume's name (an anonymous one's is 64 hex chars) */
  Name?: string;
  /** the host path mounted ('' for tmpfs) */
  Source: string;
  /** where it is in the container */
  Destination: string;
  /** the volume's driver: 'local' */
  Driver?: string;
  /** -v's mode string as given ('ro', 'rw,z', ...; 'z' for a volume given without one), '' for --mount and tmpfs */
  Mode: string;
  /** writable by the container */
  RW: boolean;
  /** a bind's propagation ('rprivate' unless given), '' for the others */
  Propagation: string;
}

/** docker's HostConfig as `inspect` shows it: how the host runs the container, as it was created (and changed by `update`). */
export interface HostConfigRecord extends HostConfigBase {
  /** -v as given (`SRC:DST[:MODE]`), null when none */
  Binds: string[] | null;
  /** --rm: removed by its monitor when its command ends */
  AutoRemove: boolean;
  /** --tmpfs: target -> mount options ('' for the defaults), null when none */
  Tmpfs: Record<string, string> | null;
  /** --mount, as docker's HostConfig.Mounts (absent in records from before it) */
  Mounts?: Array<Record<string, unknown>> | null;
  /** -p: "80/tcp" -> [{ HostIp, HostPort }] as asked (HostPort '' for any); absent in older records */
  PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
  /** -P: every exposed port on a free host port */
  PublishAllPorts?: boolean;
  /** --log-driver and --log-opt; absent in records from before they existed (json-file) */
  LogConfig?: { Type: 'json-file' | 'none'; Config: Record<string, string> };
  /** --add-host, host:ip as given (host-gateway unresolved), and the DNS flags */
  ExtraHosts?: string[] | null;
  /** --dns: the nameservers its resolv.conf names */
  Dns?: string[];
  /** --dns-search: its resolv.conf's search domains */
  DnsSearch?: string[];
  /** --dns-option: its resolv.conf's options */
  DnsOptions?: string[];
  /** --device and --device-cgroup-rule */
  Devices?: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
  /** --device-cgroup-rule: 'c 1:3 rwm' and the like, on top of docker's default allow-list */
  DeviceCgroupRules?: string[] | null;
  /** --ipc (private by default), --pid and --uts ('' : its own); container:ID for a joined one */
  IpcMode?: string;
  /** --pid: '' (its own), 'host' or container:ID */
  PidMode?: string;
  /** --uts: '' (its own) or 'host' */
  UTSMode?: string;
  /** --sysctl; absent when none, as docker's */
  Sysctls?: Record<string, string>;
  /** --restart; absent in records from before it (no) */
  RestartPolicy?: { Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped'; MaximumRetryCount: number };
}

/** docker's Config as `inspect` shows it: what runs in the container, the image's settings under the flags'. */
export interface ContainerConfigRecord {
  /** -h, or the short id */
  Hostname: string;
  /** -u as given (user[:group], names or ids), '' for the image's or root */
  User: string;
  /** KEY=value: the image's, then -e and --env-file over them */
  Env: string[];
  /** the arguments after the image (or the image's CMD) */
  Cmd: string[] | null;
  /** --entrypoint, or the image's */
  Entrypoint: string[] | null;
  /** the image as the user named it */
  Image: string;
  /** -w, or the image's ('' : /) */
  WorkingDir: string;
  /** the image's labels with -l and --label-file over them */
  Labels: Record<string, string>;
  /** --stop-signal, or the image's; absent: SIGTERM */
  StopSignal?: string;
  /** --stop-timeout: stop's grace period when -t is not given */
  StopTimeout?: number;
  /** the image's EXPOSE and --expose, "80/tcp" -> {} */
  ExposedPorts?: Record<string, object>;
  /** -t: its stdio is a pty */
  Tty: boolean;
  /** -i: its stdin stays open for attach */
  OpenStdin: boolean;
  /** the foreground run (or `start -a`) attaches its stdin */
  AttachStdin: boolean;
  /** the foreground run attaches its stdout */
  AttachStdout: boolean;
  /** the foreground run attaches its stderr */
  AttachStderr: boolean;
}

/** A container as `inspect` shows it (docker's ContainerJSON, the fields gocker has), and as it is stored. */
export interface ContainerRecord {
  /** 64 hex chars */
  Id: string;
  /** '/name', as docker */
  Name: string;
  /** RFC 3339 */
  Created: string;
  /** the program it runs: the entrypoint's first word, or the command's */
  Path: string;
  /** the words after Path */
  Args: string[];
  /** image id, 'sha256:...' */
  Image: string;
  /** its life so far */
  State: ContainerState;
  /** restarts by its restart policy since the user last started it */
  RestartCount?: number;
  /** what runs in it */
  Config: ContainerConfigRecord;
  /** how the host runs it */
  HostConfig: HostConfigRecord;
  /** its binds, volumes and tmpfs mounts, in the order they are mounted */
  Mounts: MountRecord[];
  /** its networks, addresses and published ports */
  NetworkSettings: NetworkSettings;
  /** where its root filesystem is: the image's layers (lower), its own changes (upper), the merged view */
  GraphDriver: {
    Name: 'overlay2' | 'vfs';
    Data: { LowerDir: string; UpperDir: string; MergedDir: string; WorkDir: string };
  };
  /** the files that belong to this container: log path, resolv.conf etc. */
  LogPath: string;
  /** the file bound at /etc/hostname */
  HostnamePath: string;
  /** the file bound at /etc/hosts */
  HostsPath: string;
  /** the file bound at /etc/resolv.conf */
  ResolvConfPath: string;
  /** cgroup name under each hierarchy, e.g. 'gocker/<id>' */
  CgroupPath: string;
}

/** A container's place on one network, as docker's inspect shows it. */
export interface EndpointSettings {
  /** --ip */
  IPAMConfig: { IPv4Address?: string } | null;
  /** docker's legacy links: never set */
  Links: null;
  /** --network-alias */
  Aliases: string[] | null;
  /** its interface's address on this network */
  MacAddress: string;
  /** docker's per-endpoint driver options: never set */
  DriverOpts: null;
  /** the network's id */
  NetworkID: string;
  /** this endpoint's id (64 hex chars) */
  EndpointID: string;
  /** the network's gateway: the bridge's address */
  Gateway: string;
  /** its IPv4 address on this network */
  IPAddress: string;
  /** the subnet's prefix length */
  IPPrefixLen: number;
  /** '' : gocker's networks are IPv4 */
  IPv6Gateway: string;
  /** '' : gocker's networks are IPv4 */
  GlobalIPv6Address: string;
  /** 0 : gocker's networks are IPv4 */
  GlobalIPv6PrefixLen: number;
  /** the names others on a user network reach it by: its name, short id and aliases */
  DNSNames: string[] | null;
}

/** docker's NetworkSettings as `inspect` shows them. */
export interface NetworkSettings {
  /** not set by gocker (docker's legacy field, '' there) */
  Bridge?: string;
  /** '' : gocker has no sandbox apart from the container's own network namespace */
  SandboxID?: string;
  /** not set by gocker (docker's path of the network namespace) */
  SandboxKey?: string;
  /** "80/tcp" -> the host ports it is published on (null: exposed only), while it runs */
  Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  /** the default bridge's endpoint, repeated at the top as docker does */
  IPAddress: string;
  /** the default bridge's gateway, repeated likewise */
  Gateway?: string;
  /** the default bridge's prefix length, repeated likewise */
  IPPrefixLen?: number;
  /** the default bridge's MAC address, repeated likewise */
  MacAddress?: string;
  /** the default bridge's endpoint id, repeated likewise */
  EndpointID?: string;
  /** network name -> its endpoint there ({} for none and host) */
  Networks: Record<string, EndpointSettings | Record<string, never>>;
}

/** docker's time for never: Go's zero time. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

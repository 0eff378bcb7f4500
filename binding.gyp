{
  "targets": [
    {
      # The addon: every native/*.cc plus the layer, copy and name code, so a new module needs
      # no edit here. Helper executables have targets of their own below.
      "target_name": "gocker",
      "sources": ["<!@(ls -1 native/*.cc native/layer/*.cc native/copy/*.cc native/name/*.cc)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<(SHARED_INTERMEDIATE_DIR)"],
      # The sources' hash as a header, remade whenever any of them changes: lib/native.ts
      # compares it with the shipped sources, so a stale build is named as such.
      "actions": [
        {
          "action_name": "source_hash",
          "inputs": ["native/source-hash.js", "binding.gyp", "<!@(node native/source-hash.js --list)"],
          "outputs": ["<(SHARED_INTERMEDIATE_DIR)/gocker_source_hash.h", "<(PRODUCT_DIR)/gocker-sources.json"],
          "action": ["node", "native/source-hash.js", "--header", "<@(_outputs)"]
        }
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "defines": ["_GNU_SOURCE"],
      # zlib and zstd from Debian (zlib1g-dev, libzstd-dev); sha256 comes from the
      # OpenSSL that Node itself exports, through Node's own headers. libseccomp
      # (libseccomp-dev) compiles seccomp profiles; the monitor only loads the result.
      # libmnl (libmnl-dev) builds and reads the rtnetlink messages of native/net.cc.
      "libraries": ["-lz", "-lzstd", "-lseccomp", "-lmnl"]
    },
    {
      # The monitor's code but its main: linked into gocker-monitor, and into the policy test
      # below, which drives the same code without root.
      "target_name": "gocker-monitor-core",
      "type": "static_library",
      # The spec is JSON, read with nlohmann's header-only library (nlohmann-json3-dev): a
      # parser of untrusted-shaped input is not something to write by hand, and a header
      # library keeps the monitor one static binary.
      "sources": ["native/monitor/process.cc", "native/monitor/mounts.cc", "native/monitor/devices.cc", "native/monitor/cgroups.cc",
                  "native/monitor/io.cc", "native/monitor/exec.cc", "native/monitor/sys.cc", "native/monitor/attach.cc",
                  "native/monitor/seccomp.cc", "native/monitor/spec.cc"],
      # -O2, not -Os: the spec's parse is on every start's path, and takes half the time so
      # (0.15 ms over the key=value spec's, against 0.4 ms); the resident size is the same.
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "defines": ["_GNU_SOURCE"]
    },
    {
      # One per container: creates the container process, holds its stdio, records its exit.
      "target_name": "gocker-monitor",
      "type": "executable",
      "sources": ["native/monitor/monitor.cc"],
      "dependencies": ["gocker-monitor-core"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      # Static: one monitor stays resident per container, and a static binary maps no
      # shared libstdc++/libc pages (RSS about 1 MB instead of 3).
      "ldflags": ["-static"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "defines": ["_GNU_SOURCE"]
    },
    {
      # runc's command line over gocker-monitor, for containerd's shim and dockerd. Native, as
      # the shim runs it several times per container. libseccomp (dynamic: this is no resident
      # process) compiles a bundle's linux.seccomp with the addon's own compiler; cgroup v2 device
      # rules go through the addon's device program assembler.
      "target_name": "gocker-runtime",
      "type": "executable",
      "sources": ["native/runtime/runtime.cc", "native/runtime/cgroups.cc", "native/runtime/bundle.cc", "native/seccomp_bpf.cc",
                  "native/devices_bpf.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "defines": ["_GNU_SOURCE"],
      "libraries": ["-lseccomp"]
    },
    {
      # --init: PID 1 that reaps zombies and forwards signals; bind-mounted into the container.
      "target_name": "gocker-init",
      "type": "executable",
      "sources": ["native/init/init.cc"],
      "cflags_cc": ["-std=c++17", "-Os", "-Wall", "-Wextra"],
      "cflags_cc!": ["-std=gnu++1y", "-std=gnu++17"],
      "ldflags": ["-static"]
    }
  ],
  "conditions": [
    # The monitor's policy (mounts, device nodes, rlimits, capabilities, the spec's refusals)
    # with a recording fake of its system calls (native/monitor/sys.h): no root needed.
    # test/unit/monitor-policy.test.ts runs it. Built in a checkout only: the package npm
    # installs has no test/ (and no use for the test).
    ["'<!(test -f test/native/monitor-policy.cc && echo yes || echo no)'=='yes'", {
      "targets": [
        {
          "target_name": "gocker-monitor-policy-test",
          "type": "executable",
          "sources": ["test/native/monitor-policy.cc"],
          "dependencies": ["gocker-monitor-core"],
          "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
          "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
          "defines": ["_GNU_SOURCE"]
        }
      ]
    }]
  ]
}

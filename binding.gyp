{
  "targets": [
    {
      # The addon: every native/*.cc except the helper executables' own mains
      # (native/bin/), so a new module needs no edit here.
      "target_name": "gocker",
      "sources": ["<!@(ls -1 native/*.cc)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}

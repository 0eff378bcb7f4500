#include "devices_bpf.h"

#include <linux/bpf.h>

#include <cstring>

namespace gocker {
namespace {

// The program's context (struct bpf_cgroup_dev_ctx): access_type is (access << 16) | type,
// then major and minor, each a u32. It returns 1 to allow, 0 to deny.
struct bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  struct bpf_insn i;
  memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

constexpr uint8_t kLdxMemW = BPF_LDX | BPF_MEM | BPF_W;
constexpr uint8_t kMovX = BPF_ALU64 | BPF_MOV | BPF_X;
constexpr uint8_t kMovK = BPF_ALU64 | BPF_MOV | BPF_K;
constexpr uint8_t kAndK = BPF_ALU64 | BPF_AND | BPF_K;
constexpr uint8_t kRshK = BPF_ALU64 | BPF_RSH | BPF_K;
constexpr uint8_t kJneK = BPF_JMP | BPF_JNE | BPF_K;
constexpr uint8_t kExit = BPF_JMP | BPF_EXIT;

}  // namespace

// Registers: r2 access bits, r3 device type, r4 major, r5 minor, r6 scratch. Each test jumps
// past the rest of its rule's block when it fails; the block ends with "return 1".
std::string DeviceProgram(const std::vector<DeviceRule>& rules) {
  std::vector<struct bpf_insn> out = {Insn(kLdxMemW, 2, 1, 0, 0), Insn(kLdxMemW, 4, 1, 4, 0), Insn(kLdxMemW, 5, 1, 8, 0),
                                      Insn(kMovX, 3, 2, 0, 0),    Insn(kAndK, 3, 0, 0, 0xffff), Insn(kRshK, 2, 0, 0, 16)};
  for (const DeviceRule& r : rules) {
    // The tests of one rule, each a list of instructions whose last is the jump.
    std::vector<std::vector<struct bpf_insn>> tests;
    if (r.type != 'a') tests.push_back({Insn(kJneK, 3, 0, 0, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR)});
    int mask = 0;
    for (char c : r.access) mask |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
    if (mask != 7) {
      // Every access asked for must be in the rule: (asked & ~allowed) == 0.
      tests.push_back({Insn(kMovX, 6, 2, 0, 0), Insn(kAndK, 6, 0, 0, ~mask & 7), Insn(kJneK, 6, 0, 0, 0)});
    }
    if (r.major >= 0) tests.push_back({Insn(kJneK, 4, 0, 0, static_cast<int32_t>(r.major))});
    if (r.minor >= 0) tests.push_back({Insn(kJneK, 5, 0, 0, static_cast<int32_t>(r.minor))});
    size_t block = 2;
    for (const auto& t : tests) block += t.size();
    size_t done = 0;
    for (auto& t : tests) {
      done += t.size();
      t.back().off = static_cast<int16_t>(block - done);  // to the next rule's first instruction
      out.insert(out.end(), t.begin(), t.end());
    }
    out.push_back(Insn(kMovK, 0, 0, 0, 1));
    out.push_back(Insn(kExit, 0, 0, 0, 0));
  }
  out.push_back(Insn(kMovK, 0, 0, 0, 0));
  out.push_back(Insn(kExit, 0, 0, 0, 0));
  return std::string(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(struct bpf_insn));
}

}  // namespace gocker

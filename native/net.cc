// Links, addresses and routes through rtnetlink (libmnl builds and parses the messages), and
// the sockets that hold a published port. Policy — which bridge, which address, which rules —
// is in lib/network; these are the kernel operations it is made of, each reported with the
// netlink request that failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "errors.h"
#include "module.h"
#include "monitor/attach.h"

namespace gocker {
namespace {

// One rtnetlink socket, in the network namespace that was current when it was opened (a
// netlink socket stays in the namespace it was made in, whatever the thread does after).
class Rtnl {
 public:
  Rtnl() : nl_(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) {
    if (nl_ != nullptr && mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
      int e = errno;
      mnl_socket_close(nl_);
      nl_ = nullptr;
      errno = e;
    }
  }
  ~Rtnl() {
    if (nl_ != nullptr) mnl_socket_close(nl_);
  }
  Rtnl(const Rtnl&) = delete;
  Rtnl& operator=(const Rtnl&) = delete;
  bool ok() const { return nl_ != nullptr; }

  // Sends one request with NLM_F_ACK and reads the kernel's answer: 0, or its errno. A
  // request that returns data (a GETLINK) hands each message to cb before the ACK.
  int Request(nlmsghdr* nlh, mnl_cb_t cb = nullptr, void* data = nullptr) {
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++seq_;
    unsigned portid = mnl_socket_get_portid(nl_);
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return errno;
    char buf[8192];  // MNL_SOCKET_BUFFER_SIZE, which is not a constant expression
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl_, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      // mnl_cb_run turns an NLMSG_ERROR into -1 with errno set, and the ACK into MNL_CB_STOP.
      int r = mnl_cb_run(buf, static_cast<size_t>(n), seq_, portid, cb, data);
      if (r == MNL_CB_ERROR) return errno;
      if (r == MNL_CB_STOP) return 0;
    }
  }

 private:
  mnl_socket* nl_;
  unsigned seq_ = static_cast<unsigned>(time(nullptr));
};

// A message under construction, in a buffer of its own.
struct Msg {
  alignas(nlmsghdr) char buf[1024];  // the largest request here (a veth pair) is a few hundred bytes
  nlmsghdr* nlh;
  Msg(uint16_t type, uint16_t flags) {
    nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
  }
  template <typename T>
  T* Extra() { return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh, sizeof(T))); }
};

bool ParseMac(const std::string& s, unsigned char out[6]) {
  unsigned v[6];
  if (sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
  for (int i = 0; i < 6; i++) out[i] = static_cast<unsigned char>(v[i]);
  return true;
}

in_addr ParseIPv4(Napi::Env env, const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) throw CodedError(env, "EINVAL", "not an IPv4 address: " + s);
  return a;
}

unsigned IndexOf(Napi::Env env, const std::string& name) {
  unsigned i = if_nametoindex(name.c_str());
  if (i == 0) ThrowSys(env, errno, "if_nametoindex", name);
  return i;
}

// The index of a link by name, as the namespace rtnl lives in knows it: 0 and *err when none.
unsigned IndexIn(Rtnl& rtnl, const std::string& name, int* err) {
  Msg m(RTM_GETLINK, 0);
  ifinfomsg* ifi = m.Extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(m.nlh, IFLA_IFNAME, name.c_str());
  unsigned index = 0;
  *err = rtnl.Request(m.nlh, [](const nlmsghdr* h, void* data) -> int {
    *static_cast<unsigned*>(data) = static_cast<unsigned>(static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(h))->ifi_index);
    return MNL_CB_OK;
  }, &index);
  return *err ? 0 : index;
}

void Check(Napi::Env env, int err, const char* request, const std::string& what) {
  if (err != 0) ThrowSys(env, err, request, what);
}

// netCreateBridge(name, mac): a bridge with a fixed MAC (a bridge otherwise takes the lowest
// of its ports', and changes it, and its neighbours' ARP entries go stale, as ports come and go).
Napi::Value CreateBridge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>();
  std::string mac = info[1].As<Napi::String>();
  unsigned char hw[6];
  if (!ParseMac(mac, hw)) throw CodedError(env, "EINVAL", "not a MAC address: " + mac);
  Rtnl rtnl;
  if (!rtnl.ok()) ThrowSys(env, errno, "netlink socket");
  Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg* ifi = m.Extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(m.nlh, IFLA_IFNAME, name.c_str());
  mnl_attr_put(m.nlh, IFLA_ADDRESS, 6, hw);
  nlattr* linkinfo = mnl_attr_nest_start(m.nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(m.nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(m.nlh, linkinfo);
  Check(env, rtnl.Request(m.nlh), "RTM_NEWLINK", name);
  return env.Undefined();
}

// netSetLink(name, { up?, alias? }): brings a link up, or sets its alias (IFLA_IFALIAS, the
// free text `ip link` shows): gocker marks a bridge it has finished setting up that way.
Napi::Value SetLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>();
  Napi::Object o = info[1].As<Napi::Object>();
  unsigned index = IndexOf(env, name);
  Rtnl rtnl;
  if (!rtnl.ok()) ThrowSys(env, errno, "netlink socket");
  Msg m(RTM_NEWLINK, 0);
  ifinfomsg* ifi = m.Extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(index);
  if (o.Get("up").ToBoolean()) {
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
  }
  if (o.Has("alias")) mnl_attr_put_strz(m.nlh, IFLA_IFALIAS, o.Get("alias").As<Napi::String>().Utf8Value().c_str());
  Check(env, rtnl.Request(m.nlh), "RTM_NEWLINK", name);
  return env.Undefined();
}

// An RTM_NEWADDR's body: a/prefix on link index, with the broadcast address, as `ip addr add
// ... brd +` and docker set it.
void PutAddress(Msg& m, unsigned index, in_addr a, unsigned prefix) {
  ifaddrmsg* ifa = m.Extra<ifaddrmsg>();
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  mnl_attr_put_u32(m.nlh, IFA_LOCAL, a.s_addr);
  mnl_attr_put_u32(m.nlh, IFA_ADDRESS, a.s_addr);
  in_addr brd{};
  brd.s_addr = prefix >= 32 ? a.s_addr : (a.s_addr | htonl(~0U >> prefix));
  mnl_attr_put_u32(m.nlh, IFA_BROADCAST, brd.s_addr);
}

// netAddAddress(name, address, prefixLength): replaces an address already there.
Napi::Value AddAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>();
  in_addr a = ParseIPv4(env, info[1].As<Napi::String>());
  unsigned prefix = info[2].As<Napi::Number>().Uint32Value();
  unsigned index = IndexOf(env, name);
  Rtnl rtnl;
  if (!rtnl.ok()) ThrowSys(env, errno, "netlink socket");
  Msg m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  PutAddress(m, index, a, prefix);
  Check(env, rtnl.Request(m.nlh), "RTM_NEWADDR", name);
  return env.Undefined();
}

// netDeleteLink(name): false when there is no such link (deleting one end of a veth pair
// deletes both).
Napi::Value DeleteLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>();
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) {
    if (errno == ENODEV) return Napi::Boolean::New(env, false);
    ThrowSys(env, errno, "if_nametoindex", name);
  }
  Rtnl rtnl;
  if (!rtnl.ok()) ThrowSys(env, errno, "netlink socket");
  Msg m(RTM_DELLINK, 0);
  ifinfomsg* ifi = m.Extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(index);
  int err = rtnl.Request(m.nlh);
  if (err == ENODEV) return Napi::Boolean::New(env, false);
  Check(env, err, "RTM_DELLINK", name);
  return Napi::Boolean::New(env, true);
}

// Runs fn with this thread in the network namespace nsfd, and back in its own after, come
// what may. setns(CLONE_NEWNET) is per thread: Node's other threads are not moved.
template <typename F>
int InNamespace(int nsfd, F fn) {
  int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) return errno;
  if (setns(nsfd, CLONE_NEWNET) != 0) {
    int e = errno;
    close(own);
    return e;
  }
  int r = fn();
  // Failing to come back would leave Node's main thread in the container's network: abort
  // rather than go on there.
  if (setns(own, CLONE_NEWNET) != 0) abort();
  close(own);
  return r;
}

// netAttachVeth({ netns, host, peer, bridge, mac, address, prefixLength, gateway }): one end
// of a new veth pair on the bridge, up; the other made directly in the network namespace
// open at fd netns (so no half-made pair is ever left on the host: it lives and dies with
// that namespace), named peer, with the MAC, the address and a default route via gateway
// ('' for none: an --internal network).
Napi::Value AttachVeth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  int nsfd = o.Get("netns").As<Napi::Number>().Int32Value();
  std::string host = o.Get("host").As<Napi::String>();
  std::string peer = o.Get("peer").As<Napi::String>();
  std::string bridge = o.Get("bridge").As<Napi::String>();
  std::string mac = o.Get("mac").As<Napi::String>();
  in_addr addr = ParseIPv4(env, o.Get("address").As<Napi::String>());
  unsigned prefix = o.Get("prefixLength").As<Napi::Number>().Uint32Value();
  std::string gw = o.Get("gateway").As<Napi::String>();
  in_addr gateway{};
  if (!gw.empty()) gateway = ParseIPv4(env, gw);
  unsigned char hw[6];
  if (!ParseMac(mac, hw)) throw CodedError(env, "EINVAL", "not a MAC address: " + mac);
  unsigned master = IndexOf(env, bridge);

  Rtnl rtnl;
  if (!rtnl.ok()) ThrowSys(env, errno, "netlink socket");
  {
    Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    ifinfomsg* ifi = m.Extra<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, host.c_str());
    mnl_attr_put_u32(m.nlh, IFLA_MASTER, master);
    nlattr* linkinfo = mnl_attr_nest_start(m.nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(m.nlh, IFLA_INFO_KIND, "veth");
    nlattr* data = mnl_attr_nest_start(m.nlh, IFLA_INFO_DATA);
    nlattr* peerinfo = mnl_attr_nest_start(m.nlh, VETH_INFO_PEER);
    // The peer's own ifinfomsg, then its attributes.
    ifinfomsg* pifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifinfomsg)));
    // Not up yet: a veth end cannot be opened before its pair is complete (ENOTCONN).
    pifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, peer.c_str());
    mnl_attr_put(m.nlh, IFLA_ADDRESS, 6, hw);
    mnl_attr_put_u32(m.nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(nsfd));
    mnl_attr_nest_end(m.nlh, peerinfo);
    mnl_attr_nest_end(m.nlh, data);
    mnl_attr_nest_end(m.nlh, linkinfo);
    Check(env, rtnl.Request(m.nlh), "RTM_NEWLINK veth", host);
  }

  // The rest inside the container's namespace, through a socket opened there.
  std::string failed;
  int err = InNamespace(nsfd, [&]() -> int {
    Rtnl inner;
    if (!inner.ok()) {
      failed = "netlink socket";
      return errno;
    }
    int e = 0;
    unsigned index = IndexIn(inner, peer, &e);
    if (index == 0) {
      failed = "RTM_GETLINK";
      return e ? e : ENODEV;
    }
    {
      Msg m(RTM_NEWLINK, 0);
      ifinfomsg* ifi = m.Extra<ifinfomsg>();
      ifi->ifi_family = AF_UNSPEC;
      ifi->ifi_index = static_cast<int>(index);
      ifi->ifi_flags = IFF_UP;
      ifi->ifi_change = IFF_UP;
      if ((e = inner.Request(m.nlh)) != 0) {
        failed = "RTM_NEWLINK up";
        return e;
      }
    }
    {
      Msg m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
      PutAddress(m, index, addr, prefix);
      if ((e = inner.Request(m.nlh)) != 0) {
        failed = "RTM_NEWADDR";
        return e;
      }
    }
    if (!gw.empty()) {
      Msg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
      rtmsg* rtm = m.Extra<rtmsg>();
      rtm->rtm_family = AF_INET;
      rtm->rtm_dst_len = 0;
      rtm->rtm_table = RT_TABLE_MAIN;
      rtm->rtm_protocol = RTPROT_BOOT;
      rtm->rtm_scope = RT_SCOPE_UNIVERSE;
      rtm->rtm_type = RTN_UNICAST;
      mnl_attr_put_u32(m.nlh, RTA_GATEWAY, gateway.s_addr);
      mnl_attr_put_u32(m.nlh, RTA_OIF, index);
      if ((e = inner.Request(m.nlh)) != 0) {
        failed = "RTM_NEWROUTE";
        return e;
      }
    }
    return 0;
  });
  if (err != 0) {
    // The pair goes with its host end: nothing half-configured stays in the container.
    Msg m(RTM_DELLINK, 0);
    ifinfomsg* ifi = m.Extra<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, host.c_str());
    rtnl.Request(m.nlh);
    ThrowSys(env, err, failed.empty() ? "setns" : failed.c_str(), peer);
  }
  return env.Undefined();
}

// The indexes of the links with this MAC, as the namespace rtnl lives in knows them (a dump
// of its links); 0 on success, else the errno.
int LinksByMac(Rtnl& rtnl, const unsigned char hw[6], std::vector<unsigned>* found) {
  struct Want {
    const unsigned char* hw;
    std::vector<unsigned>* found;
  } want{hw, found};
  Msg m(RTM_GETLINK, NLM_F_DUMP);
  ifinfomsg* ifi = m.Extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  return rtnl.Request(m.nlh, [](const nlmsghdr* h, void* data) -> int {
    Want* w = static_cast<Want*>(data);
    const ifinfomsg* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(h));
    // mnl_attr_for_each, whose void* assignments C++ refuses.
    const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(h));
    for (const nlattr* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(h, sizeof(ifinfomsg)));
         mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
      if (mnl_attr_get_type(a) == IFLA_ADDRESS && mnl_attr_get_payload_len(a) == 6 && memcmp(mnl_attr_get_payload(a), w->hw, 6) == 0) {
        w->found->push_back(static_cast<unsigned>(ifi->ifi_index));
      }
    }
    return MNL_CB_OK;
  }, &want);
}

// fn(rtnl, links, &failed) in the network namespace nsfd, links being those there with the
// MAC mac; returns whether there were any. A failure (fn's errno, and the request it names in
// failed) is thrown as Node's error.
template <typename F>
Napi::Value WithLinksByMac(Napi::Env env, int nsfd, const std::string& mac, F fn) {
  unsigned char hw[6];
  if (!ParseMac(mac, hw)) throw CodedError(env, "EINVAL", "not a MAC address: " + mac);
  std::vector<unsigned> found;
  std::string failed;
  int err = InNamespace(nsfd, [&]() -> int {
    Rtnl inner;
    if (!inner.ok()) {
      failed = "netlink socket";
      return errno;
    }
    int e = LinksByMac(inner, hw, &found);
    if (e != 0) {
      failed = "RTM_GETLINK";
      return e;
    }
    return found.empty() ? 0 : fn(inner, found, &failed);
  });
  if (err != 0) ThrowSys(env, err, failed.empty() ? "setns" : failed.c_str(), mac);
  return Napi::Boolean::New(env, !found.empty());
}

// netDeleteLinkIn(netns, mac): deletes the link with this MAC in the network namespace open at
// fd netns (`network disconnect`: the container's end of a veth pair, and with it the pair,
// its address and its routes); false when that namespace has no such link. By MAC, not by
// name: gocker gave each of a container's endpoints a MAC of its own, and a name in the
// container is the container's to change.
Napi::Value DeleteLinkIn(const Napi::CallbackInfo& info) {
  int nsfd = info[0].As<Napi::Number>().Int32Value();
  return WithLinksByMac(info.Env(), nsfd, info[1].As<Napi::String>(), [](Rtnl& rtnl, const std::vector<unsigned>& links, std::string* failed) -> int {
    for (unsigned index : links) {
      Msg m(RTM_DELLINK, 0);
      ifinfomsg* ifi = m.Extra<ifinfomsg>();
      ifi->ifi_family = AF_UNSPEC;
      ifi->ifi_index = static_cast<int>(index);
      int e = rtnl.Request(m.nlh);
      // Its pair went first (deleting one end takes the other): nothing left to do.
      if (e != 0 && e != ENODEV) {
        *failed = "RTM_DELLINK";
        return e;
      }
    }
    return 0;
  });
}

// netRouteVia(netns, mac, gateway): the default route of the network namespace open at fd
// netns, through gateway on the link with this MAC (made, or replacing the one there); false
// when there is no such link. `network disconnect` of the network a container's default route
// went through hands the route to another of its networks, as docker's sandbox does.
Napi::Value RouteVia(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int nsfd = info[0].As<Napi::Number>().Int32Value();
  in_addr gateway = ParseIPv4(env, info[2].As<Napi::String>());
  return WithLinksByMac(env, nsfd, info[1].As<Napi::String>(), [gateway](Rtnl& rtnl, const std::vector<unsigned>& links, std::string* failed) -> int {
    Msg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    rtmsg* rtm = m.Extra<rtmsg>();
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = 0;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(m.nlh, RTA_GATEWAY, gateway.s_addr);
    mnl_attr_put_u32(m.nlh, RTA_OIF, links[0]);
    int e = rtnl.Request(m.nlh);
    if (e != 0) *failed = "RTM_NEWROUTE";
    return e;
  });
}

// bindPort(proto, address, port) -> { fd, port }: a socket bound to address:port (0: one the
// kernel picks), close-on-exec, never listening. Held while a container runs, it keeps the
// host port its published port is forwarded from: nothing else on the host can bind it, and
// a port already taken fails here, before the container starts. null for sctp where the
// kernel has no SCTP.
Napi::Value BindPort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string proto = info[0].As<Napi::String>();
  std::string address = info[1].As<Napi::String>();
  unsigned port = info[2].As<Napi::Number>().Uint32Value();
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr = ParseIPv4(env, address);
  int type = proto == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  int protocol = proto == "udp" ? IPPROTO_UDP : proto == "sctp" ? IPPROTO_SCTP : IPPROTO_TCP;
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    if (proto == "sctp" && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT)) return env.Null();
    ThrowSys(env, errno, "socket");
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    close(fd);
    ThrowSys(env, e, "bind", address + ":" + std::to_string(port));
  }
  socklen_t len = sizeof sa;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    int e = errno;
    close(fd);
    ThrowSys(env, e, "getsockname");
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("port", Napi::Number::New(env, ntohs(sa.sin_port)));
  return out;
}

// One frame of the monitor's attach protocol (monitor/attach.h), with fds (SCM_RIGHTS).
bool SendFrame(int sock, char type, const std::string& payload, const std::vector<int>& fds) {
  std::string bytes(5, '\0');
  bytes[0] = type;
  for (int i = 0; i < 4; i++) bytes[1 + i] = static_cast<char>((payload.size() >> (8 * (3 - i))) & 0xff);
  bytes += payload;
  size_t done = 0;
  while (done < bytes.size()) {
    struct iovec iov = {&bytes[done], bytes.size() - done};
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char ctrl[CMSG_SPACE(gocker_monitor::kMaxFdsPerFrame * sizeof(int))];
    if (done == 0 && !fds.empty()) {
      msg.msg_control = ctrl;
      msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
      struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
      memcpy(CMSG_DATA(cm), fds.data(), fds.size() * sizeof(int));
    }
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// monitorPorts(socketPath, fds | null, timeoutMs) -> 'done' | 'exited': through a running (or
// created) container's attach socket, its monitor closes the published ports' sockets it
// holds (fds null: `network disconnect`), or holds these too (`network connect`). Answered
// once done: the ports are free, or held, when this returns. 'exited': the container ended
// meanwhile (its monitor lets go of everything with it).
Napi::Value MonitorPorts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  bool release = info[1].IsNull();
  std::vector<int> fds;
  if (!release) {
    Napi::Array list = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) fds.push_back(list.Get(i).As<Napi::Number>().Int32Value());
  }
  int timeout = info[2].As<Napi::Number>().Int32Value();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw CodedError(env, "ENAMETOOLONG", "attach socket path too long: " + path);
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) ThrowSys(env, errno, "socket");
  auto fail = [&](int e, const char* what) {
    close(sock);
    ThrowSys(env, e, what, path);
  };
  if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail(errno, "connect");
  // Hello with no streams wanted: the container's output is not for this client.
  if (!SendFrame(sock, gocker_monitor::kFrameHello, std::string(1, '\0'), {})) fail(errno, "sendmsg");
  std::vector<std::vector<int>> frames;
  if (release) frames.push_back({});
  for (size_t i = 0; i < fds.size(); i += gocker_monitor::kMaxFdsPerFrame) {
    frames.emplace_back(fds.begin() + i, fds.begin() + std::min(fds.size(), i + gocker_monitor::kMaxFdsPerFrame));
  }
  std::string in;
  for (const std::vector<int>& part : frames) {
    if (!SendFrame(sock, release ? gocker_monitor::kFramePortsRelease : gocker_monitor::kFramePortsHold, "", part)) fail(errno, "sendmsg");
    // Its answer; output frames sent before the hello was read are passed over.
    for (bool answered = false; !answered;) {
      while (in.size() >= 5) {
        const unsigned char* h = reinterpret_cast<const unsigned char*>(in.data());
        size_t len = (size_t{h[1]} << 24) | (size_t{h[2]} << 16) | (size_t{h[3]} << 8) | h[4];
        if (in.size() < 5 + len) break;
        char type = in[0];
        in.erase(0, 5 + len);
        if (type == gocker_monitor::kFrameExit) {
          close(sock);
          return Napi::String::New(env, "exited");
        }
        if (type == gocker_monitor::kFramePortsDone) {
          answered = true;
          break;
        }
      }
      if (answered) break;
      struct pollfd p = {sock, POLLIN, 0};
      int k = poll(&p, 1, timeout);
      if (k < 0 && errno == EINTR) continue;
      if (k == 0) fail(ETIMEDOUT, "the container's monitor did not answer");
      if (k < 0) fail(errno, "poll");
      char buf[4096];
      ssize_t n = read(sock, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(errno, "read");
      if (n == 0) {
        // The monitor went without an answer: it has exited, its fds with it.
        close(sock);
        return Napi::String::New(env, "exited");
      }
      in.append(buf, static_cast<size_t>(n));
    }
  }
  close(sock);
  return Napi::String::New(env, "done");
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("netCreateBridge", Napi::Function::New(env, CreateBridge));
  exports.Set("netSetLink", Napi::Function::New(env, SetLink));
  exports.Set("netAddAddress", Napi::Function::New(env, AddAddress));
  exports.Set("netDeleteLink", Napi::Function::New(env, DeleteLink));
  exports.Set("netAttachVeth", Napi::Function::New(env, AttachVeth));
  exports.Set("netDeleteLinkIn", Napi::Function::New(env, DeleteLinkIn));
  exports.Set("netRouteVia", Napi::Function::New(env, RouteVia));
  exports.Set("bindPort", Napi::Function::New(env, BindPort));
  exports.Set("monitorPorts", Napi::Function::New(env, MonitorPorts));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker

// The attach socket: as conmon's, a unix socket per container in its runroot directory, that
// the CLI (run -it, start -a, attach), the library and any later API server connect to alike.
// The monitor stays single-threaded: one poll loop over the container's output, its stdin,
// the listening socket and every client.
#include "attach.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gocker_monitor {

namespace {

// What the monitor holds for one client: what the container printed and the client has not
// read yet. A client that falls this far behind (stopped, or not reading) is dropped, as
// conmon drops one whose socket is full: the container and its log never wait for it.
constexpr size_t kMaxClientBuffer = 1 << 20;
// What clients typed that the container has not read yet; past it, clients are not read
// from (they wait, as a writer on a full pipe), and the monitor's memory stays bounded.
constexpr size_t kMaxStdin = 64 * 1024;
// How long what the pipes hold once the command has exited is read: what it wrote is there
// at once. A process it left (outside its pid namespace: --pid host, or another
// container's), writing on, is not read after it: the monitor is to kill it and record the exit.
constexpr long long kDrainMs = 1000;
// A frame no client sends: the connection is not one of ours.
constexpr size_t kMaxFrame = 1 << 20;
constexpr size_t kHeader = 5;
// Clients served at once; more wait in the listen backlog until one goes. Each may hold
// kMaxClientBuffer, and an fd: the monitor's fds must last for its log and its exit file.
constexpr size_t kMaxClients = 128;

void SetNonBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

std::string Header(char type, size_t len) {
  std::string h(kHeader, '\0');
  h[0] = type;
  for (int i = 0; i < 4; i++) h[1 + i] = static_cast<char>((len >> (8 * (3 - i))) & 0xff);
  return h;
}

long long NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

}  // namespace

AttachServer::~AttachServer() {
  for (Client& c : clients_) {
    close(c.fd);
    for (int fd : c.fds) close(fd);
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (dir_fd_ >= 0) close(dir_fd_);
}

bool AttachServer::Listen(const std::string& path, std::string* error) {
  size_t slash = path.rfind('/');
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  name_ = path.substr(slash + 1);
  dir_fd_ = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) {
    *error = "attach socket: open " + dir + ": " + strerror(errno);
    return false;
  }
  // One an earlier start of the same container left (its monitor was killed).
  unlinkat(dir_fd_, name_.c_str(), 0);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir_fd_, name_.c_str());
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) {
    *error = std::string("attach socket: ") + strerror(errno);
    return false;
  }
  // 0600 from the start: the socket is the container's stdin, root's alone, never for a
  // moment anyone's (the directory is 0700 too).
  mode_t old = umask(0177);
  int r = bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (r != 0 || listen(listen_fd_, 64) != 0) {
    *error = "attach socket " + path + ": " + strerror(errno);
    return false;
  }
  return true;
}

bool AttachServer::Accepting() const { return listen_fd_ >= 0 && !fds_full_ && clients_.size() < kMaxClients; }

void AttachServer::Accept() {
  while (Accepting()) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of fds: the connection stays waiting, and the socket is not polled until a
      // client goes (it would be readable, and the poll loop spin, meanwhile).
      if (errno == EMFILE || errno == ENFILE) fds_full_ = true;
      return;  // EAGAIN: none waiting
    }
    Client c;
    c.fd = fd;
    clients_.push_back(c);
  }
}

void AttachServer::Resize(unsigned rows, unsigned cols) {
  if (master_ < 0) {
    // Asked for before the container was released: set once the master is there.
    rows_ = rows;
    cols_ = cols;
    return;
  }
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  // The kernel signals the pty's foreground process group (SIGWINCH) itself.
  ioctl(master_, TIOCSWINSZ, &ws);
}

// Reads what a client sent and acts on its whole frames. A client that has gone, or sends
// what is no frame of ours, is marked for dropping (fd -1).
void AttachServer::Read(Client* c) {
  char buf[16384];
  alignas(struct cmsghdr) char ctrl[CMSG_SPACE(kMaxFdsPerFrame * sizeof(int))];
  for (;;) {
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl;
    msg.msg_controllen = sizeof ctrl;
    ssize_t n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    // fds that came with the bytes ('H' frames' sockets): kept for the frame that takes them.
    for (struct cmsghdr* cm = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
        c->fds.push_back(fd);
      }
    }
    // More than one frame's worth waiting, or some cut off: no client of ours sends that.
    if (n <= 0 || (msg.msg_flags & MSG_CTRUNC) || c->fds.size() > kMaxFdsPerFrame) {
      close(c->fd);
      c->fd = -1;
      return;
    }
    c->in.append(buf, static_cast<size_t>(n));
    if (c->in.size() >= kHeader + kMaxFrame || stdin_.size() + c->in.size() >= kMaxStdin) break;
  }
  size_t done = 0;
  while (c->in.size() - done >= kHeader) {
    const unsigned char* h = reinterpret_cast<const unsigned char*>(c->in.data() + done);
    size_t len = (size_t{h[1]} << 24) | (size_t{h[2]} << 16) | (size_t{h[3]} << 8) | h[4];
    if (len > kMaxFrame) {
      close(c->fd);
      c->fd = -1;
      return;
    }
    if (c->in.size() - done < kHeader + len) break;
    const char* payload = c->in.data() + done + kHeader;
    switch (h[0]) {
      case kFrameHello:
        if (len >= 1) c->want = static_cast<unsigned char>(payload[0]);
        break;
      case kFrameStdin:
        // Nobody to read it (no -i, or the container closed its stdin): dropped, so a
        // client that types on is not held up.
        if ((c->want & kWantStdin) && !stdin_closed_) stdin_.append(payload, len);
        break;
      case kFrameStdinEnd:
        if ((c->want & kWantStdin) && (c->want & kWantStdinOnce)) stdin_end_ = true;
        break;
      case kFrameResize:
        if (len >= 4) {
          const unsigned char* p = reinterpret_cast<const unsigned char*>(payload);
          Resize((p[0] << 8) | p[1], (p[2] << 8) | p[3]);
        }
        break;
      case kFramePortsRelease:
        // `network disconnect` of the network that carries them: the host ports are free
        // once this is answered (another container, or anything on the host, may bind them).
        for (int fd : held_) close(fd);
        held_.clear();
        Send(c, kFramePortsDone, nullptr, 0);
        break;
      case kFramePortsHold:
        // `network connect` published them again: held as the start's were, until the
        // container exits (close-on-exec: not for the exit command).
        held_.insert(held_.end(), c->fds.begin(), c->fds.end());
        c->fds.clear();
        Send(c, kFramePortsDone, nullptr, 0);
        break;
      default:
        break;
    }
    if (c->fd < 0) return;
    done += kHeader + len;
  }
  c->in.erase(0, done);
}

void AttachServer::Flush(Client* c) {
  while (!c->out.empty()) {
    ssize_t n = write(c->fd, c->out.data(), c->out.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close(c->fd);
      c->fd = -1;
      return;
    }
    c->out.erase(0, static_cast<size_t>(n));
  }
}

void AttachServer::Send(Client* c, char type, const char* data, size_t len) {
  if (c->fd < 0) return;
  if (c->out.size() + kHeader + len > kMaxClientBuffer) {
    close(c->fd);
    c->fd = -1;
    return;
  }
  c->out += Header(type, len);
  c->out.append(data, len);
  Flush(c);
}

void AttachServer::Broadcast(unsigned want, char type, const char* data, size_t len) {
  for (Client& c : clients_) {
    if (c.want & want) Send(&c, type, data, len);
  }
}

void AttachServer::Drop(size_t i) {
  if (clients_[i].fd >= 0) close(clients_[i].fd);
  for (int fd : clients_[i].fds) close(fd);
  clients_.erase(clients_.begin() + static_cast<long>(i));
  fds_full_ = false;
}

void AttachServer::Prime(int master) {
  master_ = master;
  if (listen_fd_ < 0) return;
  Accept();
  for (Client& c : clients_) Read(&c);
  if (rows_ || cols_) Resize(rows_, cols_);
}

void AttachServer::PollFds(std::vector<struct pollfd>* p) const {
  p->push_back({Accepting() ? listen_fd_ : -1, POLLIN, 0});
  for (const Client& c : clients_) {
    short ev = 0;
    // As in Relay: a client with stdin to give waits while what came before is not read.
    if (!((c.want & kWantStdin) && stdin_.size() >= kMaxStdin)) ev |= POLLIN;
    if (!c.out.empty()) ev |= POLLOUT;
    p->push_back({c.fd, ev, 0});
  }
}

void AttachServer::Serve(const std::vector<struct pollfd>& p, size_t from) {
  if (listen_fd_ < 0 || from >= p.size()) return;
  for (size_t i = 0; from + 1 + i < p.size() && i < clients_.size(); i++) {
    Client& c = clients_[i];
    short rev = p[from + 1 + i].revents;
    if (rev & POLLOUT) Flush(&c);
    if (c.fd >= 0 && (rev & (POLLIN | POLLHUP | POLLERR))) Read(&c);
  }
  for (size_t i = clients_.size(); i-- > 0;) {
    if (clients_[i].fd < 0) Drop(i);
  }
  if (p[from].revents & POLLIN) {
    size_t known = clients_.size();
    Accept();
    for (size_t i = known; i < clients_.size(); i++) Read(&clients_[i]);
  }
}

void AttachServer::Relay(const AttachIo& io) {
  if (io.tty) master_ = io.out;
  int src[2] = {io.out, io.tty ? -1 : io.err};
  const char* names[2] = {"stdout", "stderr"};
  const char types[2] = {kFrameStdout, kFrameStderr};
  const unsigned wants[2] = {kWantStdout, kWantStderr};
  int local[2] = {io.local_out, io.local_err};
  int in = io.in, local_in = io.local_in;
  if (in < 0) {
    stdin_closed_ = true;
    stdin_.clear();
  }
  for (int fd : {src[0], src[1], in}) {
    if (fd >= 0) SetNonBlocking(fd);
  }
  bool exited = false;
  long long drain_until = 0;
  char buf[65536];
  std::vector<struct pollfd> p;
  // Ends the container's stdin, once it has what came before: end of file on its pipe, ^D on
  // its terminal (as docker).
  auto end_stdin = [&]() {
    if (in < 0 || !stdin_.empty()) return;
    if (io.tty) {
      char eof = 4;
      WriteAll(in, &eof, 1);
    } else {
      close(in);
    }
    in = -1;
    stdin_closed_ = true;
  };
  enum { kOut, kErr, kIn, kLocalIn, kExit, kListen, kClients };
  // stdin_end_: a client with stdin-once (or the CLI's stdin) has ended its input.
  while (src[0] >= 0 || src[1] >= 0) {
    p.assign(kClients, {-1, 0, 0});
    if (!exited) {
      p[kOut] = {src[0], POLLIN, 0};
      p[kErr] = {src[1], POLLIN, 0};
      p[kIn] = {in >= 0 && !stdin_.empty() ? in : -1, POLLOUT, 0};
      p[kLocalIn] = {in >= 0 && local_in >= 0 && stdin_.size() < kMaxStdin ? local_in : -1, POLLIN, 0};
      p[kExit] = {io.pidfd, POLLIN, 0};
      p[kListen] = {Accepting() ? listen_fd_ : -1, POLLIN, 0};
      for (Client& c : clients_) {
        short ev = 0;
        // A client with stdin to give waits while the container has not read what came before.
        if (!((c.want & kWantStdin) && stdin_.size() >= kMaxStdin)) ev |= POLLIN;
        if (!c.out.empty()) ev |= POLLOUT;
        p.push_back({c.fd, ev, 0});
      }
      int r = poll(p.data(), p.size(), -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      if (p[kExit].fd >= 0 && (p[kExit].revents & POLLIN)) {
        exited = true;
        drain_until = NowMs() + kDrainMs;
      }
    }
    // The clients first: one that connected before the output it is to see came is taken in
    // (and its hello read) before that output is read, even when the command was over
    // before the first poll.
    if (exited || (p[kListen].revents & POLLIN)) {
      size_t known = clients_.size();
      Accept();
      for (size_t i = known; i < clients_.size(); i++) Read(&clients_[i]);
    }
    if (!exited) {
      for (size_t i = 0; i + kClients < p.size() && i < clients_.size(); i++) {
        Client& c = clients_[i];
        short rev = p[kClients + i].revents;
        if (rev & POLLOUT) Flush(&c);
        if (c.fd >= 0 && (rev & (POLLIN | POLLHUP | POLLERR))) Read(&c);
      }
      for (size_t i = clients_.size(); i-- > 0;) {
        if (clients_[i].fd < 0) Drop(i);
      }
      if (p[kLocalIn].fd >= 0 && (p[kLocalIn].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(local_in, buf, sizeof buf);
        if (n > 0) {
          stdin_.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          local_in = -1;  // end of the CLI's input: the container reads end of file
          stdin_end_ = true;
        }
      }
      if (in >= 0 && !stdin_.empty() && (p[kIn].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t n = write(in, stdin_.data(), stdin_.size());
        if (n > 0) {
          stdin_.erase(0, static_cast<size_t>(n));
        } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
          // The container closed its stdin: nobody reads what the clients type.
          if (!io.tty) close(in);
          in = -1;
          stdin_closed_ = true;
          stdin_.clear();
        }
      }
      if (stdin_end_) end_stdin();
    }
    for (int i = 0; i < 2; i++) {
      if (src[i] < 0 || !(exited || (p[i].revents & (POLLIN | POLLHUP | POLLERR)))) continue;
      ssize_t n = exited && NowMs() >= drain_until ? 0 : read(src[i], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN && !exited) continue;
      if (n <= 0) {
        // End of file, EIO (every slave of the pty closed), or drained after the exit: a
        // background process the command left may hold the pipe on (and fill it as fast as
        // it is read), and is not waited for.
        if (io.log) io.log(names[i], nullptr, 0, true);
        src[i] = -1;
        continue;
      }
      size_t len = static_cast<size_t>(n);
      // A CLI killed with -9 takes its stdout away: keep logging and serving regardless.
      if (local[i] >= 0 && !WriteAll(local[i], buf, len)) local[i] = -1;
      if (io.log) io.log(names[i], buf, len, false);
      Broadcast(wants[i], types[i], buf, len);
    }
  }
  if (in >= 0 && !io.tty) close(in);
}

void AttachServer::Finish(int code) {
  if (listen_fd_ < 0) return;
  Accept();
  // Stop listening: a client that connects from now on is refused, and tells a stopped container.
  unlinkat(dir_fd_, name_.c_str(), 0);
  close(listen_fd_);
  listen_fd_ = -1;
  std::string text = std::to_string(code);
  for (Client& c : clients_) Send(&c, kFrameExit, text.data(), text.size());
  // What the clients have not read yet, for a while: a client that does not read is not
  // waited for (the exit command and the monitor's end would wait with it).
  long long deadline = NowMs() + 2000;
  for (;;) {
    std::vector<struct pollfd> p;
    for (Client& c : clients_) {
      if (c.fd >= 0 && !c.out.empty()) p.push_back({c.fd, POLLOUT, 0});
    }
    long long left = deadline - NowMs();
    if (p.empty() || left <= 0) break;
    if (poll(p.data(), p.size(), static_cast<int>(left)) < 0 && errno != EINTR) break;
    for (Client& c : clients_) {
      if (c.fd >= 0 && !c.out.empty()) Flush(&c);
    }
  }
  for (size_t i = clients_.size(); i-- > 0;) Drop(i);
}

}  // namespace gocker_monitor

// The container's stdio as the monitor holds it: the pty (made in the container's devpts, its
// master sent to the monitor), the relays of a run without the attach socket, and the
// docker json-file log that every relay writes, rotated by size.
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "monitor.h"
#include "util.h"

namespace gocker_monitor {

// Unlocks a new pty's master and sends it over sock (SCM_RIGHTS, with the slave's path as the
// message, as runc's console socket has it); returns the slave's path.
std::string SendPty(int master, int sock) {
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) Die(kStdio, errno, "unlock pty");
  int pty_num = -1;
  if (ioctl(master, TIOCGPTN, &pty_num) != 0) Die(kStdio, errno, "pty number");
  std::string slave = "/dev/pts/" + std::to_string(pty_num);
  struct iovec iov = {const_cast<char*>(slave.data()), slave.size()};
  char ctrl[CMSG_SPACE(sizeof(int))];
  memset(ctrl, 0, sizeof ctrl);
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(sock, &msg, 0) != static_cast<ssize_t>(slave.size())) Die(kStdio, errno, "send pty");
  close(master);
  return slave;
}

// -t: the pty comes from the container's own devpts instance (so `tty` names /dev/pts/0
// inside it); its master goes to the monitor over the socket, as runc's console socket.
// Returns the slave, opened. console: the socket is a runtime caller's console socket, which
// sends no acknowledgement (the shim takes the master only once `exec` has returned).
int OpenPty(int sock, bool console) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) Die(kStdio, errno, "/dev/ptmx");
  std::string slave = SendPty(master, sock);
  // Wait until the monitor has given the pty its size, so the command starts with it.
  char ack;
  while (!console && read(sock, &ack, 1) < 0 && errno == EINTR) {
  }
  close(sock);
  int t = open(slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (t < 0) Die(kStdio, errno, slave);
  return t;
}

// gocker-runtime's create with a terminal: the shim takes the pty master from the console
// socket before it starts the container, so it is made before the container is reported
// created, from the container's devpts (mounted by then; the pivot is still to come).
// Returns the slave's path, opened in Become once the root is the container's.
std::string g_console_slave;

void SendConsole(int root, int sock) {
  int master = static_cast<int>(Openat2(root, "dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (master < 0) Die(kStdio, errno, "/dev/pts/ptmx");
  g_console_slave = SendPty(master, sock);
  close(sock);
}

// The pty's slave as the controlling terminal and stdio of a new session: done by the
// process that will exec the command, which is then its session leader.
void TakePty(int t) {
  if (setsid() < 0) Die(kStdio, errno, "setsid");
  if (ioctl(t, TIOCSCTTY, 0) != 0) Die(kStdio, errno, "controlling terminal");
  if (dup2(t, 0) < 0 || dup2(t, 1) < 0 || dup2(t, 2) < 0) Die(kStdio, errno);
  if (t > 2) close(t);
}

int RecvFd(int sock) {
  char data;
  struct iovec iov = {&data, 1};
  char ctrl[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return -1;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

volatile sig_atomic_t g_winch = 0;
bool g_tty = false;

void CopyWinsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

// How long what the pipes (or the pty) hold once the command has exited is read: what it wrote
// is there at once. A process it left outside its pid namespace (--pid host, or another
// container's) may hold them open and fill them as fast as they are read: it is not read on
// for ever, as the monitor is to kill it (KillCgroupLeftovers) and record the exit.
constexpr long long kDrainMs = 1000;

long long MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Foreground -t: the CLI's terminal in raw mode, bytes relayed both ways until the
// container side of the pty closes, or the command has exited (pidfd: a background process
// of an exec may hold the pty on) and what it wrote has been read. What the container
// writes also goes to the log (one stream with a tty, as docker), so `logs` shows a
// foreground run too.
void RelayPty(int master, bool forward_stdin, int log_fd, int pidfd) {
  struct termios saved;
  bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
    CopyWinsize(0, master);
  }
  struct pollfd p[3] = {{master, POLLIN, 0}, {forward_stdin ? 0 : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
  char buf[16384];
  std::string pending;
  bool tee = true;
  bool exited = false;
  long long drain_until = 0;
  for (;;) {
    if (g_winch) {
      g_winch = 0;
      CopyWinsize(0, master);
    }
    int r = exited ? 1 : poll(p, 3, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (!exited && p[2].fd >= 0 && (p[2].revents & POLLIN)) {
      exited = true;
      drain_until = MonotonicMs() + kDrainMs;
      SetNonBlocking(master);
    }
    if (exited || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = exited && MonotonicMs() >= drain_until ? 0 : read(master, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EIO: every slave fd closed; EAGAIN: drained after the exit
      // A CLI killed with -9 takes the terminal's reader away: keep logging regardless.
      if (tee && !WriteAll(1, buf, static_cast<size_t>(n))) tee = false;
      if (log_fd >= 0) {
        pending.append(buf, static_cast<size_t>(n));
        LogLines(log_fd, "stdout", &pending);
      }
    }
    if (exited) continue;
    if (p[1].fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) {
        // End of input: as docker, send EOF (^D) to the terminal and stop reading.
        char eof = 4;
        WriteAll(master, &eof, 1);
        p[1].fd = -1;
      } else {
        WriteAll(master, buf, static_cast<size_t>(n));
      }
    }
  }
  if (log_fd >= 0 && !pending.empty()) LogLine(log_fd, "stdout", pending);
  if (raw) tcsetattr(0, TCSANOW, &saved);
}

std::string JsonEscape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o;
}

// --log-opt max-size / max-file: the log is rotated as dockerd's json-file does it, LOG to
// LOG.1 and on up to LOG.(max-file - 1), the oldest dropped; with one file it is truncated.
// A new file takes the old one's fd number (dup3), so the relays' fd stays the log's.
LogRotation g_rotation;

void RotateLog() {
  LogRotation& r = g_rotation;
  if (r.max_file <= 1) {
    if (ftruncate(r.fd, 0) == 0) r.size = 0;
    return;
  }
  for (long i = r.max_file - 1; i >= 1; i--) {
    std::string from = i == 1 ? r.path : r.path + "." + std::to_string(i - 1);
    rename(from.c_str(), (r.path + "." + std::to_string(i)).c_str());
  }
  int fd = open(r.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;  // the renamed file goes on being written
  dup3(fd, r.fd, O_CLOEXEC);
  close(fd);
  r.size = 0;
}

void LogLine(int log_fd, const char* stream, const std::string& line) {
  std::string j = "{\"log\":\"" + JsonEscape(line) + "\",\"stream\":\"" + stream + "\",\"time\":\"" + Now() + "\"}\n";
  bool rotated = log_fd == g_rotation.fd && g_rotation.max_size > 0;
  if (rotated && g_rotation.size > 0 && g_rotation.size + static_cast<long long>(j.size()) > g_rotation.max_size) RotateLog();
  if (WriteAll(log_fd, j.data(), j.size()) && rotated) g_rotation.size += static_cast<long long>(j.size());
}

// docker's json-file splits a line at 16 KiB (the later parts carry on where it stopped,
// without a newline): whatever a container prints, what the monitor holds for it outside the
// container's cgroup stays this small.
constexpr size_t kMaxLogLine = 16 * 1024;

void LogLines(int log_fd, const char* stream, std::string* pending) {
  size_t done = 0;
  for (;;) {
    size_t nl = pending->find('\n', done);
    size_t n = nl == std::string::npos ? (pending->size() - done >= kMaxLogLine ? kMaxLogLine : 0) : std::min(nl + 1 - done, kMaxLogLine);
    if (n == 0) break;
    LogLine(log_fd, stream, pending->substr(done, n));
    done += n;
  }
  pending->erase(0, done);
}

// attach: the relay's output to the log, line by line, per stream.
int g_log_fd = -1;
void LogOutput(const char* stream, const char* data, size_t len, bool flush) {
  static std::string pending[2];
  std::string& p = pending[strcmp(stream, "stderr") == 0 ? 1 : 0];
  if (flush) {
    if (!p.empty()) LogLine(g_log_fd, stream, p);
    p.clear();
    return;
  }
  p.append(data, len);
  LogLines(g_log_fd, stream, &p);
}

// What is still in a pipe once the command has exited, without waiting for writers that
// outlive it (a background process of an exec keeps the pipe open).
void SetNonBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

// Relays the container's stdio: stdout and stderr pipes to docker json-file lines and, in
// the foreground (tee), on unchanged to the monitor's own stdout and stderr, which are the
// CLI's (once a write there fails, the CLI was killed, only the log is written); with in_fd,
// the monitor's stdin to the container's stdin pipe. The container never holds the CLI's own
// fds: a background process would keep them, and read what is typed after the exec ended.
// Ends when both pipes close, or once the command has exited (pidfd) and what it left in
// the pipes has been read.
void Pump(int out_fd, int err_fd, int in_fd, int log_fd, bool tee, int pidfd) {
  enum { kOut, kErr, kIn, kStdin, kExit };
  struct pollfd p[5] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {-1, POLLOUT, 0}, {in_fd >= 0 ? 0 : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
  std::string pending[2];
  const char* names[2] = {"stdout", "stderr"};
  bool tee_ok[2] = {tee, tee};
  int open_count = err_fd >= 0 ? 2 : 1;
  std::string input;  // read from our stdin, not yet taken by the container: at most one read's worth
  bool exited = false;
  long long drain_until = 0;
  if (in_fd >= 0) SetNonBlocking(in_fd);
  char buf[65536];
  while (open_count > 0) {
    p[kIn].fd = in_fd >= 0 && !input.empty() ? in_fd : -1;
    p[kStdin].fd = in_fd >= 0 && input.empty() ? 0 : -1;
    int r = exited ? 0 : poll(p, 5, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (exited || (p[kExit].fd >= 0 && (p[kExit].revents & POLLIN))) {
      if (!exited) {
        exited = true;
        drain_until = MonotonicMs() + kDrainMs;
        for (int i = 0; i < 2; i++) {
          if (p[i].fd >= 0) SetNonBlocking(p[i].fd);
        }
      }
      for (int i = 0; i < 2; i++) p[i].revents = p[i].fd >= 0 ? POLLIN : 0;
    }
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = exited && MonotonicMs() >= drain_until ? 0 : read(p[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (log_fd >= 0 && !pending[i].empty()) LogLine(log_fd, names[i], pending[i]);
        pending[i].clear();
        close(p[i].fd);
        p[i].fd = -1;
        open_count--;
        continue;
      }
      if (tee_ok[i] && !WriteAll(i + 1, buf, static_cast<size_t>(n))) tee_ok[i] = false;
      if (log_fd < 0) continue;
      pending[i].append(buf, static_cast<size_t>(n));
      LogLines(log_fd, names[i], &pending[i]);
    }
    if (exited) continue;
    if (p[kStdin].fd >= 0 && (p[kStdin].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) {
        input.assign(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(in_fd);  // end of input: the container reads end of file
        in_fd = -1;
      }
    }
    if (p[kIn].fd >= 0 && (p[kIn].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, input.data(), input.size());
      if (n > 0) {
        input.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
        close(in_fd);  // the container closed its stdin: stop reading ours
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
}

}  // namespace gocker_monitor

// The container's stdio as the monitor serves it: the container's output to the log, to the
// CLI's own stdio (a foreground run without -t) and to every client of the attach socket;
// stdin from the CLI's or from the clients. Clients speak framed messages on a SOCK_STREAM
// unix socket (see kFrame* below and lib/container/attach.ts).
#ifndef GOCKER_MONITOR_ATTACH_H_
#define GOCKER_MONITOR_ATTACH_H_

#include <poll.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace gocker_monitor {

// A frame: one type byte, the payload's length (4 bytes, big-endian), the payload.
// Client to monitor:
constexpr char kFrameHello = 'h';   // one byte of kWant* flags; before it a client gets output only
constexpr char kFrameStdin = 'i';   // bytes for the container's stdin
constexpr char kFrameStdinEnd = 'e';  // end of the client's input (closes the container's stdin with kWantStdinOnce)
constexpr char kFrameResize = 'r';  // rows, cols: two 16-bit big-endian numbers
// The host ports the container publishes, whose sockets the monitor holds while it runs
// (the engine's `network connect` and `disconnect` of the network that carries them):
constexpr char kFramePortsRelease = 'P';  // close every one held: the ports are free at once
constexpr char kFramePortsHold = 'H';     // hold those whose fds came with the frame (SCM_RIGHTS) too
// Monitor to client:
constexpr char kFrameStdout = '1';
constexpr char kFrameStderr = '2';
constexpr char kFrameExit = 'x';  // the exit code in decimal; the last frame
constexpr char kFramePortsDone = 'p';  // a 'P' or 'H' done, in the order they came

// The fds one 'H' frame may bring: the kernel's own limit for one message (SCM_MAX_FD).
constexpr size_t kMaxFdsPerFrame = 253;

constexpr unsigned kWantStdin = 1, kWantStdout = 2, kWantStderr = 4, kWantStdinOnce = 8;

// What the relay moves between. -1: not there.
struct AttachIo {
  bool tty = false;
  int out = -1, err = -1;  // the container's stdout and stderr pipes; with tty, out is the pty's master
  int in = -1;             // the container's stdin: its pipe, or the master
  int local_in = -1, local_out = -1, local_err = -1;  // the CLI's stdio, inherited (foreground run without -t)
  int pidfd = -1;          // the command: once it has exited, what is left in the pipes is read and the relay ends
  // Writes what the container printed to its log (one stream with a tty, as docker).
  void (*log)(const char* stream, const char* data, size_t len, bool flush) = nullptr;
};

class AttachServer {
 public:
  ~AttachServer();
  // Listens on path (0600), bound through an O_PATH fd of its directory: sun_path holds
  // 108 bytes, a runroot's container directory may be longer. A client that connects from
  // now on, before the container runs, sees all of its output.
  bool Listen(const std::string& path, std::string* error);
  // The published ports' sockets the monitor was started with; 'P' and 'H' change the set.
  void Hold(const std::vector<int>& fds) { held_ = fds; }
  // Before the container runs (created, waiting for its release): the socket and the
  // clients for the caller's poll, appended to p, and what poll said of them served from
  // p[from] on. Clients' input is kept for the run; 'P' and 'H' are answered at once.
  void PollFds(std::vector<struct pollfd>* p) const;
  void Serve(const std::vector<struct pollfd>& p, size_t from);
  // -t, once the master is there and before the command runs: the clients already waiting
  // are taken in and the size they asked for is set, so the command starts with it.
  void Prime(int master);
  // Relays until the container's output has ended.
  void Relay(const AttachIo& io);
  // The exit code to every client (and any that connects meanwhile), then the socket goes.
  void Finish(int code);

 private:
  struct Client {
    int fd;
    unsigned want = kWantStdout | kWantStderr;
    std::string in;   // received, not yet a whole frame
    std::string out;  // to send, bounded: a client that does not read is dropped
    std::vector<int> fds;  // received (SCM_RIGHTS), not yet taken by an 'H' frame
  };
  bool Accepting() const;
  void Accept();
  void Read(Client* c);
  void Send(Client* c, char type, const char* data, size_t len);
  void Flush(Client* c);
  void Drop(size_t i);
  void Broadcast(unsigned want, char type, const char* data, size_t len);
  void Resize(unsigned rows, unsigned cols);

  int listen_fd_ = -1, dir_fd_ = -1;
  bool fds_full_ = false;  // accept found no fd free: not again until a client has gone
  std::string name_;
  std::vector<Client> clients_;
  int master_ = -1;
  std::string stdin_;  // from the clients, for the container's stdin: bounded, the clients wait
  bool stdin_end_ = false;
  bool stdin_closed_ = false;  // the container's stdin is closed, or it has none
  unsigned rows_ = 0, cols_ = 0;  // a size asked for before the master was there
  std::vector<int> held_;  // the published ports' sockets
};

}  // namespace gocker_monitor

#endif  // GOCKER_MONITOR_ATTACH_H_

// The container's stdio as the monitor serves it: the container's output to the log, to the
// CLI's own stdio (a foreground run without -t) and to every client of the attach socket;
// stdin from the CLI's or from the clients. Clients speak framed messages on a SOCK_STREAM
// unix socket (see kFrame* below and lib/container/attach.ts).
#ifndef GOCKER_MONITOR_ATTACH_H_
#define GOCKER_MONITOR_ATTACH_H_

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
// Monitor to client:
constexpr char kFrameStdout = '1';
constexpr char kFrameStderr = '2';
constexpr char kFrameExit = 'x';  // the exit code in decimal; the last frame

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
};

}  // namespace gocker_monitor

#endif  // GOCKER_MONITOR_ATTACH_H_

// gocker-init: a minimal PID 1 for --init (what tini and docker-init do). It runs the
// command as its child, forwards every signal it can catch to it, reaps whatever zombies
// the namespace hands it, and exits as soon as the command does, with its status.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child = -1;

static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) first++;
  if (first >= argc) {
    fprintf(stderr, "gocker-init: usage: gocker-init [--] COMMAND [ARG...]\n");
    return 2;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  child = fork();
  if (child < 0) {
    perror("gocker-init: fork");
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    // Its own process group in the foreground, so a terminal's ^C reaches it, as under tini.
    setpgid(0, 0);
    if (isatty(0)) {
      // From a group not yet in the foreground, tcsetpgrp raises SIGTTOU, whose default
      // stops us (and `run -t --init` hung): ignored for the call, as tini does.
      signal(SIGTTOU, SIG_IGN);
      tcsetpgrp(0, getpid());
      signal(SIGTTOU, SIG_DFL);
    }
    execvp(argv[first], argv + first);
    fprintf(stderr, "gocker-init: exec %s: %s\n", argv[first], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD) continue;
    sigaction(s, &sa, nullptr);
  }
  // SIGTTOU would stop us when the child takes the terminal's foreground.
  signal(SIGTTOU, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  // Until the command exits, reap whatever else ends (orphans the namespace hands us).
  // Then, as tini and docker-init, exit with its status after one last non-blocking reap:
  // anything it left running in the background goes with the namespace when we exit, so
  // `sh -c 'sleep 100 & exit 0'` ends at once instead of after 100 s.
  int code = 0;
  for (;;) {
    int status;
    pid_t p = wait(&status);
    if (p < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left
    }
    if (p == child) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
  }
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return code;
}

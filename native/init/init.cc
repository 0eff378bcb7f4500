// gocker-init: a minimal PID 1 for --init (what tini and docker-init do). It runs the
// command as its child, forwards every signal it can catch to it, reaps whatever zombies
// the namespace hands it, and exits as the command did.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
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
    if (isatty(0)) tcsetpgrp(0, getpid());
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
  int code = 0;
  for (;;) {
    int status;
    pid_t p = wait(&status);
    if (p < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left
    }
    if (p == child) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return code;
}

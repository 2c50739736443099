// hostlib/proc.c, which runs every QEMU the grader starts and every
// program the grader's tests run: what the grader relies on it for.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_grader.h"

static char *const *sh(const char *script) {
  static char *argv[4];
  argv[0] = "sh";
  argv[1] = "-c";
  argv[2] = (char *)script;
  argv[3] = NULL;
  return argv;
}

// What on_end saw: the grader removes a QEMU from its watchdog's table
// there, so it must run while the child still holds its pid (a zombie, not
// yet reaped): until the reap no other process can get that pid, and so
// no kill(-pid) can hit a stranger's process group.
struct seen {
  int calls;
  int zombie;  // waitid(WNOWAIT) found it ended but still there
  int reaped;  // p->exited was already set
};

static void note_end(struct proc *p, void *arg) {
  struct seen *s = arg;
  s->calls++;
  s->reaped = p->exited;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  s->zombie =
      waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      si.si_pid == p->pid;
}

TEST(grader_proc_on_end_before_reap) {
  // Ending by itself, collected by proc_wait.
  struct seen s = {0};
  struct proc p;
  struct proc_opts o = {.timeout = 10, .on_end = note_end, .on_end_arg = &s};
  CHECK(proc_start(&p, sh("echo bye; exit 7"), &o) == 0, "cannot start sh");
  proc_wait(&p);
  CHECK(s.calls == 1 && s.zombie && !s.reaped,
        "on_end: %d calls, zombie %d, reaped %d; expected once, before the "
        "reap",
        s.calls, s.zombie, s.reaped);
  CHECK(p.exited && p.status == 7 && !p.signal && strcmp(p.out, "bye\n") == 0,
        "exit status %d, signal %d, output '%s'", p.status, p.signal, p.out);
  CHECK(process_gone(p.pid), "pid %d still there after the reap", (int)p.pid);
  proc_free(&p);

  // Killed at its deadline, collected by proc_kill.
  memset(&s, 0, sizeof s);
  o.timeout = 0.3;
  CHECK(proc_start(&p, sh("exec sleep 60"), &o) == 0, "cannot start sh");
  proc_wait(&p);
  CHECK(p.timed_out && p.signal == SIGKILL && p.seconds < 5,
        "timed_out %d, signal %d after %.1fs", p.timed_out, p.signal,
        p.seconds);
  CHECK(s.calls == 1 && s.zombie && !s.reaped,
        "on_end at the deadline: %d calls, zombie %d, reaped %d", s.calls,
        s.zombie, s.reaped);
  proc_free(&p);

  // Set after the start, as the grader does: still called.
  memset(&s, 0, sizeof s);
  CHECK(proc_start(&p, sh("exit 0"), NULL) == 0, "cannot start sh");
  p.on_end = note_end;
  p.on_end_arg = &s;
  proc_wait(&p);
  CHECK(s.calls == 1 && s.zombie, "on_end set after the start: %d calls",
        s.calls);
  proc_free(&p);
}

// A whole run is bounded: a child that leaves a grandchild holding its
// output, or closes its output and lingers, ends at the deadline with its
// whole process group; a flood is cut at the cap.
TEST(grader_proc_deadline_group_flood) {
  char *dir = make_tmpdir("proc");
  char script[800], pidfile[700];
  snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
  snprintf(script, sizeof script,
           "sleep 60 & echo $! > '%s'; echo started; exit 0", pidfile);
  struct proc p;
  struct proc_opts o = {.timeout = 0.5};
  CHECK(proc_start(&p, sh(script), &o) == 0, "cannot start sh");
  proc_wait(&p);
  CHECK(p.timed_out && p.seconds < 5 && strstr(p.out, "started"),
        "grandchild holding the output: timed_out %d after %.1fs", p.timed_out,
        p.seconds);
  char *text = read_text(pidfile, NULL);
  pid_t g = text ? (pid_t)atoi(text) : 0;
  free(text);
  for (int i = 0; i < 100 && g > 0 && !process_gone(g); i++)
    usleep(20000);
  CHECK(g > 0 && process_gone(g), "the grandchild %d outlived the group kill",
        (int)g);
  proc_free(&p);

  CHECK(proc_start(&p, sh("exec >/dev/null 2>&1; exec sleep 60"), &o) == 0,
        "cannot start sh");
  proc_wait(&p);
  CHECK(p.timed_out && p.seconds < 5,
        "lingering after closing its output: "
        "timed_out %d after %.1fs",
        p.timed_out, p.seconds);
  proc_free(&p);

  o.max_output = 1000;
  o.timeout = 10;
  CHECK(proc_start(&p, (char *[]){"yes", NULL}, &o) == 0, "cannot start yes");
  proc_wait(&p);
  char why[100];
  CHECK(p.flooded && p.len == 1000 && strlen(p.out) == 1000 &&
            strstr(proc_verdict(&p, "yes", why, sizeof why), "flood"),
        "flooded %d, %zu bytes kept", p.flooded, p.len);
  proc_free(&p);
  remove_tree(dir);
  free(dir);
}

// Starting: a program that is not there is an error with errno, not a
// child exiting 127; env adds and replaces variables; stdout can go
// elsewhere while stderr is still collected; the child gets an empty
// signal mask even if ours blocks signals (as the grader's threads do).
TEST(grader_proc_start) {
  struct proc p;
  errno = 0;
  CHECK(proc_start(&p, (char *[]){"/nonexistent/hvlab-prog", NULL}, NULL) ==
                -1 &&
            errno == ENOENT,
        "a missing program: errno %d", errno);
  proc_free(&p);

  struct proc_opts o = {
      .timeout = 10,
      .env = (const char *const[]){"HVX_A=one", "HOME=/hvx", NULL}};
  CHECK(proc_start(&p, sh("echo \"$HVX_A $HOME\""), &o) == 0,
        "cannot start sh");
  proc_wait(&p);
  CHECK(p.exited && p.status == 0 && strcmp(p.out, "one /hvx\n") == 0,
        "env: '%s'", p.out);
  CHECK(getenv("HVX_A") == NULL, "the child's env leaked into ours");
  proc_free(&p);

  char *dir = make_tmpdir("proc");
  char path[700];
  snprintf(path, sizeof path, "%s/out", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CHECK(fd >= 0, "cannot create %s", path);
  struct proc_opts o2 = {.timeout = 10, .stdout_fd = fd};
  CHECK(proc_start(&p, sh("echo to-file; echo to-pipe >&2"), &o2) == 0,
        "cannot start sh");
  close(fd);
  proc_wait(&p);
  char *text = read_text(path, NULL);
  CHECK(text && strcmp(text, "to-file\n") == 0 &&
            strcmp(p.out, "to-pipe\n") == 0,
        "stdout to a file: file '%s', pipe '%s'", text ? text : "?", p.out);
  free(text);
  proc_free(&p);
  remove_tree(dir);
  free(dir);

  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old);
  o.env = NULL;
  CHECK(proc_start(&p, sh("grep SigBlk /proc/self/status"), &o) == 0,
        "cannot start sh");
  sigprocmask(SIG_SETMASK, &old, NULL);
  proc_wait(&p);
  CHECK(strstr(p.out, "SigBlk:\t0000000000000000\n") != NULL,
        "the child inherited a blocked signal:\n%s", p.out);
  proc_free(&p);
}

// gdb through the monitor's stub against gdb on QEMU's gdbstub directly:
// the time of one `stepi`, both measured in this run. Goal: within 2x
// (the monitor relays each packet, and gdb waits for every reply).
//
// Per stepi, not per session: gdb runs twice on each target, with few and
// with many stepi, and the difference is divided by the extra steps, so
// gdb's start-up and the connection's handshake cancel out. Each figure
// keeps the best of the rounds (noise only ever makes a run slower).

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "qemu.h"

#define FEW 20
#define MANY 420
#define ROUNDS 3
#define APPEND "guest=bench iterations=2000000000"

static double gdb_secs(const char *elf, int port, int steps) {
  static char cmd[16384];
  int k = snprintf(cmd, sizeof cmd,
                   "timeout 120 gdb-multiarch -q -nx -batch -ex 'set "
                   "architecture riscv:rv64' -ex 'file %s' -ex 'target remote "
                   "127.0.0.1:%d'",
                   elf, port);
  for (int i = 0; i < steps && k < (int)sizeof cmd - 32; i++)
    k += snprintf(cmd + k, sizeof cmd - (size_t)k, " -ex stepi");
  snprintf(cmd + k, sizeof cmd - (size_t)k, " -ex detach >/dev/null 2>&1");
  double t0 = now_seconds();
  int st = system(cmd);
  return st == 0 ? now_seconds() - t0 : -1;
}

// Seconds per stepi at port (or -1).
static double per_step(const char *elf, int port) {
  double few = gdb_secs(elf, port, FEW), many = gdb_secs(elf, port, MANY);
  return few < 0 || many < 0 ? -1 : (many - few) / (MANY - FEW);
}

// The monitor in batch mode, its stub's port from its first line.
static pid_t start_monitor(const char *mon, const char *elf, int *port) {
  char log[64];
  snprintf(log, sizeof log, "/tmp/hvbench-gdbstep-%d.log", (int)getpid());
  pid_t pid = fork();
  if (pid == 0) {
    FILE *f = fopen(log, "w");
    if (!f)
      _exit(127);
    dup2(fileno(f), 2);
    dup2(fileno(f), 1);
    execl(mon, mon, "--elf", elf, "--append", APPEND, "--batch", "--seconds",
          "300", (char *)NULL);
    _exit(127);
  }
  *port = -1;
  for (double until = now_seconds() + 20; *port < 0 && now_seconds() < until;) {
    char line[256];
    FILE *f = fopen(log, "r");
    while (f && fgets(line, sizeof line, f)) {
      const char *p = strstr(line, "gdb stub on localhost:");
      if (p)
        *port = atoi(p + strlen("gdb stub on localhost:"));
    }
    if (f)
      fclose(f);
    if (*port < 0)
      usleep(50 * 1000);
  }
  unlink(log);
  return pid;
}

BENCH(gdb_stepi_through_monitor,
      "gdb stepi through the monitor's stub vs on QEMU directly: goal <= 2x") {
  char elf[256], mon[256];
  snprintf(elf, sizeof elf, "%s/step3/hv.elf", bench_build_dir());
  snprintf(mon, sizeof mon, "%s/host/monitor", bench_build_dir());
  double best_via = 0, best_direct = 0;
  for (int round = 0; round < ROUNDS; round++) {
    int port;
    pid_t pid = start_monitor(mon, elf, &port);
    double via = port > 0 ? per_step(elf, port) : -1;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    struct qemu_cfg cfg = {
        .kernel = elf, .append = APPEND, .gdb_port = QEMU_GDB_AUTO};
    struct qemu_proc q;
    memset(&q, 0, sizeof q);
    if (qemu_start(&cfg, &q) < 0)
      return 1;
    double direct = per_step(elf, q.gdb_port);
    qemu_kill(&q);
    qemu_free(&q);
    if (via <= 0 || direct <= 0) {
      printf("  round %d: gdb failed (monitor %.3f, direct %.3f)\n", round, via,
             direct);
      return 1;
    }
    printf("  round %d: stepi %.2f ms through the monitor, %.2f ms direct\n",
           round, 1e3 * via, 1e3 * direct);
    if (!best_via || via < best_via)
      best_via = via;
    if (!best_direct || direct < best_direct)
      best_direct = direct;
  }
  double ratio = best_via / best_direct;
  printf("  ratio %.2fx (best of %d: %.2f ms vs %.2f ms) %s\n", ratio, ROUNDS,
         1e3 * best_via, 1e3 * best_direct,
         ratio <= 2 ? "meets <= 2x" : "ABOVE 2x");
  return 0;
}

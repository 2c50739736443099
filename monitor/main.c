// monitor: watch a stage's VM exits live, and let gdb in.
//
//   monitor --elf build/step3/hv.elf [--append "guest=bench"]   start QEMU
//   monitor --connect localhost:1234 --elf build/step3/hv.elf    attach
//   monitor ... --batch --seconds 5 [--csv]                      no screen
//
// Everything happens in one poll() loop (see monitor.h). Every way out --
// q, Ctrl-C, Ctrl-\, SIGTERM, SIGHUP, QEMU exiting, the connection
// dropping -- leaves through the end of main(), which restores the
// terminal before it says anything, so the message is readable and the
// shell is sane. A crash cannot: its handler restores the terminal with
// async-signal-safe calls (tui_emergency_exit) and dies of the signal.

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "monitor.h"

volatile sig_atomic_t got_signal;
static int tui_active;
static char tui_msg[256];  // mon_log while the screen is up

static void on_signal(int sig) { got_signal = sig; }

// A crash (a bug, an abort in a library) cannot go through the end of
// main(): put the terminal back from the handler, then die of the signal
// as if there had been no handler (the default action: a core, a status).
static void on_fatal(int sig) {
  tui_emergency_exit();
  signal(sig, SIG_DFL);
  raise(sig);
}

void mon_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (tui_active) {
    vsnprintf(tui_msg, sizeof tui_msg, fmt, ap);  // shown in the status line
  } else {
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}

// exit() from anywhere (a library, a bug) must not leave curses' terminal
// modes behind.
static void restore_terminal(void) {
  if (tui_active) {
    tui_active = 0;
    tui_stop();
  }
}

static void usage(FILE *f) {
  fprintf(
      f, "usage: monitor --elf IMAGE [options]\n"
         "  --elf IMAGE        the stage's ELF (symbols: exit_trace, vcpu, "
         "guest_exit)\n"
         "  --append ARGS      boot arguments, e.g. \"guest=bench "
         "iterations=1000000\"\n"
         "  --no-h             a CPU without the H extension\n"
         "  --connect H:P      attach to a QEMU already running with -gdb "
         "tcp::P\n"
         "  --mem-path FILE    with --connect: the file QEMU's RAM is in "
         "(memory-backend-file)\n"
         "  --trace-via shm|gdb  read the trace from shared RAM (default when "
         "we start\n"
         "                     QEMU) or by stopping QEMU through its gdbstub\n"
         "  --final-break      gdbstub mode: stop before power-off for exact "
         "final counts\n"
         "                     (slow: breakpoints slow QEMU's whole page)\n"
         "  --gdb-port N       our gdbstub for gdb-multiarch (default: a free "
         "port)\n"
         "  --hz N             refreshes per second (default 10)\n"
         "  --batch            no screen: print the exit table at the end\n"
         "  --seconds N        batch: stop after N seconds (default: when QEMU "
         "exits)\n"
         "  --csv              batch: the table as CSV rows\n");
}

// ---- Batch output ---------------------------------------------------------------

// Rates over the monitor's run: only the exits it saw happen (a QEMU we
// attached to may have run for a while before).
static double rate(uint64_t n, double secs) {
  return secs > 0 ? (double)n / secs : 0;
}

static void print_table(struct target *t, int csv, double secs) {
  struct exits *e = &t->ex;
  int idx[TRACE_NCOUNT];
  int n = exits_rows(e, SORT_TOTAL, -1, idx, TRACE_NCOUNT);
  uint64_t total = exits_shown_total(e);
  if (csv) {
    printf("reason,code,total,percent,rate\n");
    for (int i = 0; i < n; i++) {
      uint64_t c = exits_shown(e, idx[i]);
      printf("%s,%d,%llu,%.2f,%.1f\n", cause_long(cause_of_index(idx[i])),
             idx[i], (unsigned long long)c,
             total ? 100.0 * (double)c / (double)total : 0,
             rate(e->count[idx[i]] - e->first[idx[i]], secs));
    }
    printf("total,-1,%llu,100.00,%.1f\n", (unsigned long long)total,
           rate(e->total - e->first_total, secs));
    return;
  }
  printf("%-32s %12s %7s %12s\n", "reason", "total", "%", "rate/s");
  for (int i = 0; i < n; i++) {
    uint64_t c = exits_shown(e, idx[i]);
    printf("%-32s %12llu %7.2f %12.1f\n", cause_long(cause_of_index(idx[i])),
           (unsigned long long)c, total ? 100.0 * (double)c / (double)total : 0,
           rate(e->count[idx[i]] - e->first[idx[i]], secs));
  }
  printf("%-32s %12llu %7.2f %12.1f\n", "total", (unsigned long long)total,
         100.0, rate(e->total - e->first_total, secs));
}

// ---- The loop ---------------------------------------------------------------------

struct opts {
  int batch, csv, gdb_port;
  double seconds, hz;
};

static int run(struct target *t, struct opts *o, struct ui *u) {
  double start = now_seconds(), next = start;
  double last_draw = 0;
  int final_done = 0, dirty = 1;
  for (;;) {
    if (got_signal)
      return 0;
    if (u->quit)
      return 0;
    double now = now_seconds();
    if (o->batch && o->seconds > 0 && now - start >= o->seconds)
      return 0;
    if (t->state == ST_ENDED) {
      stub_target_ended(the_stub);
      if (!final_done) {
        tgt_refresh(t, 0);  // shared RAM outlives QEMU: the final counts
        final_done = 1;
        dirty = 1;
      }
      if (o->batch)
        return 0;
    }

    // What to wait for.
    struct pollfd pf[8];
    int n = 0, con = -1, rsp = -1, sfd0 = -1;
    if (tui_active)  // keys: read with getch() below, whatever poll says
      pf[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    if (t->qemu.fd >= 0)
      pf[con = n++] = (struct pollfd){.fd = t->qemu.fd, .events = POLLIN};
    if (t->rsp && t->rsp->fd >= 0 && t->state != ST_ENDED)
      pf[rsp = n++] = (struct pollfd){.fd = t->rsp->fd, .events = POLLIN};
    int sfds[2], ns = stub_fds(the_stub, sfds, 2);
    sfd0 = n;
    for (int i = 0; i < ns; i++)
      pf[n++] = (struct pollfd){.fd = sfds[i], .events = POLLIN};

    int polling = t->state == ST_RUNNING || t->state == ST_WAIT_NEXT ||
                  t->state == ST_WAIT_CAUSE ||
                  (t->state == ST_GDB_RUNNING && !stub_stepping(the_stub));
    double wait = polling ? next - now : 0.25;
    if (tui_active && wait > 0.25)
      wait = 0.25;
    if (wait < 0)
      wait = 0;
    int r = poll(pf, (nfds_t)n, (int)(wait * 1000));
    if (r < 0 && errno != EINTR)
      return -1;
    if (r > 0) {
      if (con >= 0 && pf[con].revents)
        tgt_on_console(t), dirty = 1;
      if (rsp >= 0 && pf[rsp].revents) {
        if (t->rsp->running) {
          tgt_on_rsp_readable(t);
        } else {
          // Nothing is expected while stopped: EOF, or junk.
          char b[64];
          int k = rsp_recv(t->rsp, b, sizeof b, 20);  // 0 never reads
          if (k < 0 && k != RSP_ETIMEOUT)
            tgt_ended(t, "lost the gdbstub: %s", rsp_error(t->rsp));
        }
        dirty = 1;
      }
      for (int i = 0; i < ns; i++)
        if (pf[sfd0 + i].revents)
          stub_on_readable(the_stub, pf[sfd0 + i].fd), dirty = 1;
    }
    if (tui_active) {
      // Also after EINTR: a resize arrives as KEY_RESIZE.
      int key;
      while ((key = getch()) != ERR)
        dirty |= tui_key(t, u, key);
    }

    // A stop reply already read into the client's buffer (with an earlier
    // packet) is invisible to poll(): look there too.
    if (t->state != ST_ENDED && t->rsp && t->rsp->running &&
        t->rsp->in_pos < t->rsp->in_len)
      tgt_on_rsp_readable(t), dirty = 1;

    now = now_seconds();
    if (polling && now >= next) {
      // CSRs cost a stop even with shared RAM: once a second is plenty.
      int csrs = tui_active && now - t->csr_t >= 1.0;
      tgt_refresh(t, csrs);
      next += u->interval;
      if (next < now)
        next = now + u->interval;  // fell behind: do not try to catch up
      dirty = 1;
    }
    if (tui_active && (dirty || now - last_draw > 0.5)) {
      tui_draw(t, u);
      last_draw = now;
      dirty = 0;
    }
  }
}

int main(int argc, char **argv) {
  static struct target t;
  struct opts o = {.hz = 10};
  struct ui u = {.sort = SORT_TOTAL, .filter = -1};
  const char *via = NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    // Options with a value: where it goes.
    static const char *const valued[] = {
        "--elf",       "--append",   "--connect", "--mem-path",
        "--trace-via", "--gdb-port", "--hz",      "--seconds"};
    int has_value = 0;
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
      has_value |= !strcmp(a, valued[k]);
    if (has_value) {
      if (!v) {
        fprintf(stderr, "monitor: %s needs a value\n", a);
        return 2;
      }
      i++;
    }
    if (!strcmp(a, "--elf"))
      t.elf_path = v;
    else if (!strcmp(a, "--append"))
      t.append = v;
    else if (!strcmp(a, "--connect"))
      t.connect = v;
    else if (!strcmp(a, "--mem-path"))
      t.mem_path = v;
    else if (!strcmp(a, "--trace-via"))
      via = v;
    else if (!strcmp(a, "--gdb-port"))
      o.gdb_port = atoi(v);
    else if (!strcmp(a, "--hz"))
      o.hz = atof(v);
    else if (!strcmp(a, "--seconds"))
      o.seconds = atof(v);
    else if (!strcmp(a, "--batch"))
      o.batch = 1;
    else if (!strcmp(a, "--csv"))
      o.csv = 1;
    else if (!strcmp(a, "--no-h"))
      t.no_h = 1;
    else if (!strcmp(a, "--final-break"))
      t.final_break = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "monitor: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (!t.elf_path) {
    usage(stderr);
    return 2;
  }
  if (o.hz <= 0 || o.hz > 100) {
    fprintf(stderr, "monitor: --hz must be in (0, 100]\n");
    return 2;
  }
  if (via && strcmp(via, "shm") && strcmp(via, "gdb")) {
    fprintf(stderr, "monitor: --trace-via is shm or gdb\n");
    return 2;
  }
  t.use_shm = via ? !strcmp(via, "shm") : 1;
  if (t.use_shm && t.connect && !t.mem_path && via) {
    fprintf(stderr,
            "monitor: --trace-via shm with --connect needs --mem-path\n");
    return 2;
  }
  u.interval = 1.0 / o.hz;

  // Flags only; the loop notices them (poll returns EINTR). cbreak mode
  // keeps the terminal's signal keys: Ctrl-C is SIGINT, Ctrl-\ SIGQUIT.
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL);
  // Crashes: the terminal back, then the default action (once: a second
  // fault inside the handler kills us outright).
  struct sigaction fa = {.sa_handler = on_fatal,
                         .sa_flags = SA_RESETHAND | SA_NODEFER};
  sigemptyset(&fa.sa_mask);
  sigaction(SIGSEGV, &fa, NULL);
  sigaction(SIGABRT, &fa, NULL);
  sigaction(SIGBUS, &fa, NULL);
  sigaction(SIGFPE, &fa, NULL);
  signal(SIGPIPE, SIG_IGN);
  atexit(restore_terminal);

  if (!o.batch) {
    // Before QEMU starts: can we have a screen at all? It needs the
    // terminal's foreground: from the background (for one, under `timeout`
    // without --foreground) curses would be stopped by SIGTTOU at its
    // first terminal mode change and hang there. And a TERM we know.
    char why[160];
    if (!isatty(0) || !isatty(1) || tcgetpgrp(0) != getpgrp()) {
      fprintf(stderr, "monitor: no terminal in the foreground for the screen "
                      "(use --batch, or timeout --foreground)\n");
      return 1;
    }
    if (tui_check_term(why, sizeof why) < 0) {
      fprintf(stderr, "monitor: cannot start the screen: %s\n", why);
      return 1;
    }
  }

  // Our stub listens before QEMU starts: a --gdb-port that cannot be had
  // fails here, with nothing to undo. Without one the kernel picks a port.
  the_stub = stub_open(&t, o.gdb_port);
  if (!the_stub && o.gdb_port)
    return 1;  // stub_open said why
  if (o.batch)
    t.echo_console = 1;
  if (tgt_open(&t) < 0) {
    stub_close(the_stub);
    tgt_close(&t);
    return 1;
  }
  if (the_stub)
    fprintf(
        stderr, "monitor: stage %d, trace via %s, gdb stub on localhost:%d\n",
        t.stage, t.ram ? "shared RAM" : "gdbstub stops", stub_port(the_stub));
  else
    fprintf(stderr, "monitor: stage %d, trace via %s, no gdb stub\n", t.stage,
            t.ram ? "shared RAM" : "gdbstub stops");

  if (!o.batch) {
    if (tui_start() < 0) {
      fprintf(stderr, "monitor: cannot start the screen (TERM=%s)\n",
              getenv("TERM") ? getenv("TERM") : "");
      stub_close(the_stub);
      tgt_close(&t);
      return 1;
    }
    tui_active = 1;
  }
  double start = now_seconds();
  int r = run(&t, &o, &u);
  double secs = now_seconds() - start;
  restore_terminal();

  // The terminal is ours again: say how it ended.
  if (got_signal)
    fprintf(stderr, "monitor: %s, stopping\n", strsignal(got_signal));
  if (r < 0)
    fprintf(stderr, "monitor: poll: %s\n", strerror(errno));
  if (t.state == ST_ENDED) {
    // Let QEMU's last words reach the console (and stderr, in batch).
    double until = now_seconds() + 2;
    while (t.qemu.fd >= 0 && now_seconds() < until) {
      struct pollfd pf = {.fd = t.qemu.fd, .events = POLLIN};
      if (poll(&pf, 1, 100) > 0)
        tgt_on_console(&t);
    }
    fprintf(stderr, "monitor: %s\n", t.ended_why);
    if (t.ram)
      tgt_refresh(&t, 0);
    else if (!t.final_break)
      fprintf(stderr, "monitor: counts as of the last refresh before QEMU "
                      "ended (gdbstub mode; --final-break makes them exact)\n");
  }
  if (tui_msg[0])
    fprintf(stderr, "monitor: %s\n", tui_msg);
  double qsecs = t.launched ? (t.qemu.exited ? t.qemu.seconds
                                             : now_seconds() - t.qemu.start)
                            : secs;
  if (o.batch) {
    print_table(&t, o.csv, qsecs);
    fprintf(o.csv ? stderr : stdout,
            "# %llu exits in %.3f s of QEMU (%.0f/s); log: %llu read, %llu "
            "missed; %d refresh stops, %.2f ms each; trace via %s\n",
            (unsigned long long)exits_shown_total(&t.ex), qsecs,
            qsecs > 0 ? (double)exits_shown_total(&t.ex) / qsecs : 0,
            (unsigned long long)(t.ex.seen - t.ex.missed),
            (unsigned long long)t.ex.missed, t.stops,
            t.stops ? 1e3 * t.stop_time / t.stops : 0.0,
            t.ram ? "shared RAM" : "gdbstub");
  } else {
    printf("monitor: %llu exits seen (%llu since the last reset)\n",
           (unsigned long long)t.ex.total,
           (unsigned long long)exits_shown_total(&t.ex));
  }
  stub_close(the_stub);
  tgt_close(&t);
  return r < 0 ? 1 : 0;
}

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
#include <getopt.h>
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
  fputs(
      "usage: monitor --elf IMAGE [options]\n"
      "  --elf IMAGE         the stage's ELF (symbols: exit_trace, vcpu, "
      "guest_exit)\n"
      "  --append ARGS       boot arguments, e.g. \"guest=demo\"\n"
      "  --initrd FILE       a file for QEMU's -initrd (make monitor "
      "GUEST=...\n"
      "                      passes stage 4's guest package this way)\n"
      "  --disk FILE         a raw disk image for stage 5's guest (make "
      "monitor\n"
      "                      GUEST_DISK=...)\n"
      "  --no-h              a CPU without the H extension\n"
      "  --smp N             harts for QEMU's -smp, 1-8 (default 1; make\n"
      "                      monitor GUEST_HARTS=n passes stage 5's here)\n"
      "  --connect HOST:PORT attach to a QEMU already running with -gdb\n"
      "  --mem-path FILE     with --connect: the file QEMU's RAM is in\n"
      "  --trace-via shm|gdb read the trace from shared RAM (default when we\n"
      "                      start QEMU) or by stopping QEMU through its "
      "gdbstub\n"
      "  --final-break       gdbstub mode: stop before power-off for exact\n"
      "                      final counts (slow)\n"
      "  --gdb-port N        our gdbstub for gdb-multiarch, 1-65535 (default:\n"
      "                      a free port)\n"
      "  --hz N              refreshes per second, 0.1-100 (default 10)\n"
      "  -l, --log FILE      append the counts to FILE as CSV once a second\n"
      "  --batch             no screen: print the exit table at the end\n"
      "  --seconds N         stop after N seconds (default: when QEMU exits)\n"
      "  --csv               batch: the table as CSV rows\n"
      "The exit status is the stage's when it ended (0 pass, 1 fail, ...),\n"
      "0 when the monitor was stopped first, and 1 for the monitor's own "
      "errors.\n",
      f);
}

// A number for option `name` in [lo, hi], all of `s` used; else a message.
static int num_opt(const char *name, const char *s, double lo, double hi,
                   double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end || errno || !(v >= lo && v <= hi)) {
    fprintf(stderr, "monitor: %s wants a number from %g to %g, not '%s'\n",
            name, lo, hi, s);
    return -1;
  }
  *out = v;
  return 0;
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
  int n = exits_rows(e, SORT_TOTAL, NULL, idx, TRACE_NCOUNT);
  uint64_t total = exits_shown_total(e);
  if (csv)
    printf("reason,code,total,percent,rate\n");
  else
    printf("%-32s %12s %7s %12s\n", "reason", "total", "%", "rate/s");
  for (int i = 0; i < n; i++) {
    const char *name = cause_long(cause_of_index(idx[i]));
    unsigned long long c = exits_shown(e, idx[i]);
    double pct = exits_percent(e, idx[i]);
    double r = rate(e->count[idx[i]] - e->first[idx[i]], secs);
    if (csv)
      printf("%s,%d,%llu,%.2f,%.1f\n", name, idx[i], c, pct, r);
    else
      printf("%-32s %12llu %7.2f %12.1f\n", name, c, pct, r);
  }
  double r = rate(e->total - e->first_total, secs);
  if (csv)
    printf("total,-1,%llu,100.00,%.1f\n", (unsigned long long)total, r);
  else
    printf("%-32s %12llu %7.2f %12.1f\n", "total", (unsigned long long)total,
           100.0, r);
}

// ---- -l/--log: the counts as a time series ------------------------------------
// One row per cause with exits, once a second: tidy CSV, so a plot or a
// spreadsheet needs no knowledge of which causes will appear.
static void log_rows(FILE *f, struct target *t, double secs) {
  struct exits *e = &t->ex;
  int idx[TRACE_NCOUNT];
  int n = exits_rows(e, SORT_NAME, NULL, idx, TRACE_NCOUNT);
  for (int i = 0; i < n; i++)
    fprintf(f, "%.3f,%s,%d,%llu,%.1f\n", secs,
            cause_long(cause_of_index(idx[i])), idx[i],
            (unsigned long long)exits_shown(e, idx[i]), e->rate[idx[i]]);
  fprintf(f, "%.3f,total,-1,%llu,%.1f\n", secs,
          (unsigned long long)exits_shown_total(e), e->rate_total);
  fflush(f);
}

// ---- The loop ---------------------------------------------------------------------

struct opts {
  int batch, csv, gdb_port;
  double seconds, hz;
  const char *via, *log_path;
  FILE *log;
};

static int run(struct target *t, struct opts *o, struct ui *u) {
  double start = now_seconds(), next = start, next_log = start;
  double last_draw = 0;
  int final_done = 0, dirty = 1;
  for (;;) {
    if (got_signal)
      return 0;
    if (u->quit)
      return 0;
    double now = now_seconds();
    if (o->seconds > 0 && now - start >= o->seconds)
      return 0;
    if (o->log && now >= next_log) {
      log_rows(o->log, t, now - start);
      next_log += 1;
    }
    if (t->state == ST_ENDED && o->batch)
      return 0;

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
    if (wait > 0.25)
      wait = 0.25;  // keys, --seconds and the log come round at least 4/s
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
    if (t->state == ST_ENDED && !final_done) {
      // Before the screen shows the end: shared RAM outlives QEMU, so
      // these are the final counts.
      stub_target_ended(the_stub);
      tgt_refresh(t, 0);
      final_done = 1;
      dirty = 1;
    }
    if (tui_active && (dirty || now - last_draw > 0.5)) {
      tui_draw(t, u);
      last_draw = now;
      dirty = 0;
    }
  }
}

// ---- Setting up ---------------------------------------------------------------------

// Options into t, o and u. Returns -1 to go on, else the exit status.
static int parse_args(int argc, char **argv, struct target *t, struct opts *o,
                      struct ui *u) {
  enum {
    O_ELF = 256,
    O_APPEND,
    O_CONNECT,
    O_MEMPATH,
    O_VIA,
    O_PORT,
    O_HZ,
    O_SECONDS,
    O_BATCH,
    O_CSV,
    O_NOH,
    O_FINAL,
    O_INITRD,
    O_DISK,
    O_SMP
  };
  static const struct option opts[] = {
      {"elf", required_argument, 0, O_ELF},
      {"append", required_argument, 0, O_APPEND},
      {"initrd", required_argument, 0, O_INITRD},
      {"disk", required_argument, 0, O_DISK},
      {"smp", required_argument, 0, O_SMP},
      {"connect", required_argument, 0, O_CONNECT},
      {"mem-path", required_argument, 0, O_MEMPATH},
      {"trace-via", required_argument, 0, O_VIA},
      {"gdb-port", required_argument, 0, O_PORT},
      {"hz", required_argument, 0, O_HZ},
      {"seconds", required_argument, 0, O_SECONDS},
      {"log", required_argument, 0, 'l'},
      {"batch", no_argument, 0, O_BATCH},
      {"csv", no_argument, 0, O_CSV},
      {"no-h", no_argument, 0, O_NOH},
      {"final-break", no_argument, 0, O_FINAL},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  double port = 0, smp = 0;
  opterr = 0;  // our own messages
  for (int c; (c = getopt_long(argc, argv, ":hl:", opts, NULL)) != -1;) {
    int bad = 0;
    switch (c) {
    case O_ELF: t->elf_path = optarg; break;
    case O_APPEND: t->append = optarg; break;
    case O_INITRD: t->initrd = optarg; break;
    case O_DISK: t->disk = optarg; break;
    case O_SMP: bad = num_opt("--smp", optarg, 1, 8, &smp); break;
    case O_CONNECT: t->connect = optarg; break;
    case O_MEMPATH: t->mem_path = optarg; break;
    case O_VIA: o->via = optarg; break;
    case O_PORT: bad = num_opt("--gdb-port", optarg, 1, 65535, &port); break;
    case O_HZ: bad = num_opt("--hz", optarg, 0.1, 100, &o->hz); break;
    case O_SECONDS:
      bad = num_opt("--seconds", optarg, 0.001, 1e7, &o->seconds);
      break;
    case 'l': o->log_path = optarg; break;
    case O_BATCH: o->batch = 1; break;
    case O_CSV: o->csv = 1; break;
    case O_NOH: t->no_h = 1; break;
    case O_FINAL: t->final_break = 1; break;
    case 'h': usage(stdout); return 0;
    case ':':
      fprintf(stderr, "monitor: %s needs a value\n", argv[optind - 1]);
      return 2;
    default:
      fprintf(stderr, "monitor: unknown option '%s'\n", argv[optind - 1]);
      usage(stderr);
      return 2;
    }
    if (bad)
      return 2;
  }
  if (port != (int)port) {
    fprintf(stderr, "monitor: --gdb-port wants a whole number\n");
    return 2;
  }
  o->gdb_port = (int)port;
  if (smp != (int)smp) {
    fprintf(stderr, "monitor: --smp wants a whole number\n");
    return 2;
  }
  t->smp = (int)smp;
  if (optind < argc) {
    fprintf(stderr, "monitor: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  if (!t->elf_path) {
    usage(stderr);
    return 2;
  }
  if (o->via && strcmp(o->via, "shm") && strcmp(o->via, "gdb")) {
    fprintf(stderr, "monitor: --trace-via is shm or gdb\n");
    return 2;
  }
  t->use_shm = o->via ? !strcmp(o->via, "shm") : 1;
  if (t->use_shm && t->connect && !t->mem_path && o->via) {
    fprintf(stderr,
            "monitor: --trace-via shm with --connect needs --mem-path\n");
    return 2;
  }
  if (o->log_path && !(o->log = fopen(o->log_path, "a"))) {
    fprintf(stderr, "monitor: --log %s: %s\n", o->log_path, strerror(errno));
    return 2;
  }
  if (o->log)
    fputs("seconds,reason,code,count,rate\n", o->log);
  u->interval = 1.0 / o->hz;
  return -1;
}

// Flags only; the loop notices them (poll returns EINTR). cbreak mode
// keeps the terminal's signal keys: Ctrl-C is SIGINT, Ctrl-\ SIGQUIT.
static void set_signals(void) {
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
}

// Before QEMU starts: can we have a screen at all? It needs the terminal's
// foreground: from the background (for one, under `timeout` without
// --foreground) curses would be stopped by SIGTTOU at its first terminal
// mode change and hang there. And a TERM that can draw one.
static int screen_possible(void) {
  char why[200];
  if (!isatty(0) || !isatty(1) || tcgetpgrp(0) != getpgrp()) {
    fprintf(stderr, "monitor: no terminal in the foreground for the screen "
                    "(use --batch, or timeout --foreground)\n");
    return 0;
  }
  if (tui_check_term(why, sizeof why) < 0) {
    fprintf(stderr, "monitor: cannot start the screen: %s\n", why);
    return 0;
  }
  return 1;
}

// After the loop, with the terminal ours again: how it ended, the table.
static void report(struct target *t, struct opts *o, int r, double secs) {
  // Our lines start lines, even after a console cut short (batch).
  if (t->echo_console && t->echo_mid_line)
    fputc('\n', stderr), t->echo_mid_line = 0;
  if (got_signal)
    fprintf(stderr, "monitor: %s, stopping\n", strsignal(got_signal));
  if (r < 0)
    fprintf(stderr, "monitor: poll: %s\n", strerror(errno));
  if (t->state == ST_ENDED) {
    // Let QEMU's last words reach the console (and stderr, in batch).
    double until = now_seconds() + 2;
    while (t->qemu.fd >= 0 && now_seconds() < until) {
      struct pollfd pf = {.fd = t->qemu.fd, .events = POLLIN};
      if (poll(&pf, 1, 100) > 0)
        tgt_on_console(t);
    }
    tgt_settle(t);
    if (t->echo_console && t->echo_mid_line)
      fputc('\n', stderr), t->echo_mid_line = 0;
    fprintf(stderr, "monitor: %s\n", t->ended_why);
    if (t->ram)
      tgt_refresh(t, 0);
    else if (!t->final_break)
      fprintf(stderr, "monitor: counts as of the last refresh before QEMU "
                      "ended (gdbstub mode; --final-break makes them exact)\n");
  }
  if (tui_msg[0])
    fprintf(stderr, "monitor: %s\n", tui_msg);
  if (t->ex.corrupt[0])
    fprintf(stderr, "monitor: WARNING: %s: the counts are not to be trusted\n",
            t->ex.corrupt);
  double qsecs = t->launched ? (t->qemu.exited ? t->qemu.seconds
                                               : now_seconds() - t->qemu.start)
                             : secs;
  if (o->log)
    log_rows(o->log, t, secs);
  if (!o->batch) {
    printf("monitor: %llu exits seen (%llu since the last reset)\n",
           (unsigned long long)t->ex.total,
           (unsigned long long)exits_shown_total(&t->ex));
    return;
  }
  print_table(t, o->csv, qsecs);
  fprintf(o->csv ? stderr : stdout,
          "# %llu exits in %.3f s of QEMU (%.0f/s); log: %llu read, %llu "
          "missed; %d refresh stops, %.2f ms each; trace via %s\n",
          (unsigned long long)exits_shown_total(&t->ex), qsecs,
          qsecs > 0 ? (double)exits_shown_total(&t->ex) / qsecs : 0,
          (unsigned long long)(t->ex.seen - t->ex.missed),
          (unsigned long long)t->ex.missed, t->stops,
          t->stops ? 1e3 * t->stop_time / t->stops : 0.0,
          t->ram ? "shared RAM" : "gdbstub");
}

int main(int argc, char **argv) {
  static struct target t;
  struct opts o = {.hz = 10};
  struct ui u = {.sort = SORT_TOTAL};
  setvbuf(stdout, NULL, _IOLBF, 0);
  int st = parse_args(argc, argv, &t, &o, &u);
  if (st >= 0)
    return st;
  set_signals();
  if (!o.batch && !screen_possible())
    return 1;

  // Our stub listens before QEMU starts: a --gdb-port that cannot be had
  // fails here, with nothing to undo. Without one the kernel picks a port.
  the_stub = stub_open(&t, o.gdb_port);
  if (!the_stub && o.gdb_port)
    return 1;  // stub_open said why
  t.echo_console = o.batch;
  // Every wait on QEMU's gdbstub ends at a signal or at --seconds.
  double start = now_seconds();
  t.lim.cancel = &got_signal;
  t.lim.give_up_at = o.seconds > 0 ? start + o.seconds + 1 : 0;
  if (tgt_open(&t) < 0) {
    if (t.state == ST_ENDED)  // it went wrong after connecting: say how
      fprintf(stderr, "monitor: %s\n", t.ended_why);
    stub_close(the_stub);
    tgt_close(&t);
    return 1;
  }
  fprintf(stderr, "monitor: stage %s, trace via %s, ", stage_str(&t),
          t.ram ? "shared RAM" : "gdbstub stops");
  if (the_stub)
    fprintf(stderr, "gdb stub on localhost:%d\n", stub_port(the_stub));
  else
    fprintf(stderr, "no gdb stub\n");

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
  int r = run(&t, &o, &u);
  double secs = now_seconds() - start;
  restore_terminal();
  report(&t, &o, r, secs);
  stub_close(the_stub);
  tgt_close(&t);
  if (o.log)
    fclose(o.log);
  // The stage's own status when it ended: a script sees a failed stage.
  if (r < 0)
    return 1;
  if (t.state == ST_ENDED && !got_signal)
    return t.status >= 0 ? t.status : 1;
  return 0;
}

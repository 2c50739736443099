// gdb probes: look inside the hypervisor while it runs.
//
// The console shows what a stage chooses to print; a probe checks what is
// actually there. QEMU starts halted (-S) with a gdbstub on a socket we
// bound for it (QEMU_GDB_AUTO); we connect with hostlib's RSP client, set
// breakpoints at addresses from the ELF's symbol table, and read registers
// by the names in QEMU's target description (so "hstatus" means hstatus
// whatever its number).
//
// While the target runs, its console still arrives on QEMU's stdout, so
// every wait alternates between the gdb socket and the console pipe: a
// stage that prints a lot must not stall on a full pipe while we wait for
// a breakpoint, and the test's deadline must hold throughout.

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "elfsym.h"
#include "grade.h"
#include "hvlab/csr.h"
#include "hvlab/pte.h"
#include "qemu.h"
#include "rsp.h"
#include "rvscan.h"

#define MAX_BP 8
#define CONNECT_TIMEOUT 10.0  // seconds for QEMU's gdbstub to answer

struct probe {
  const struct gctx *g;
  const char *elf_path;
  struct elfsym *elf;  // NULL until needed
  struct sbuf *log;
  struct qemu_proc *p;
  struct rsp_client *c;  // NULL until connected
  int broken;            // the probe cannot go on
  int failed;            // a check failed
  char why[256];         // the first of either
  struct {
    int type;
    uint64_t addr;
    int kind;
  } bp[MAX_BP];
  int nbp;
  uint64_t pc;  // where the target stopped last
  int stopped;  // ... and it is stopped there now
  int cpu;      // ... on this hart (QEMU's cpu index), or -1: not said
  uint64_t saved[32];
  const char *guest_path;    // the grader's guest ELF, or NULL
  struct elfsym *guest_elf;  // NULL until needed
  int console_in;            // our end of the guest console's input, or -1
  size_t mark;               // probe_expect searches the console from here
};

// libelf is not documented as safe to initialize from several threads.
static pthread_mutex_t elf_mu = PTHREAD_MUTEX_INITIALIZER;

struct probe *probe_new(const struct gctx *g, const char *elf_path,
                        struct sbuf *log) {
  struct probe *pr = calloc(1, sizeof *pr);
  if (!pr) {
    fprintf(stderr, "grade: out of memory\n");
    exit(2);
  }
  pr->g = g;
  pr->elf_path = elf_path;
  pr->log = log;
  pr->console_in = -1;
  return pr;
}

void probe_free(struct probe *pr) {
  if (pr->c) {
    rsp_close(pr->c);
    free(pr->c);
  }
  if (pr->elf)
    elfsym_close(pr->elf);
  if (pr->guest_elf)
    elfsym_close(pr->guest_elf);
  free(pr);
}

int probe_failed(const struct probe *pr) { return pr->broken || pr->failed; }
const char *probe_reason(const struct probe *pr) { return pr->why; }
uint64_t *probe_saved(struct probe *pr) { return pr->saved; }

// Keep the first failure's line as the reason (cut to fit).
static void set_why(struct probe *pr, const char *line) {
  if (pr->why[0])
    return;
  size_t n = strlen(line);
  if (n >= sizeof pr->why)
    n = sizeof pr->why - 1;
  memcpy(pr->why, line, n);
  pr->why[n] = 0;
}

int probe_fail(struct probe *pr, const char *fmt, ...) {
  va_list ap;
  char line[300];
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  set_why(pr, line);
  sb_printf(pr->log, "  FAILED   %s\n", line);
  pr->broken = 1;
  return -1;
}

int probe_check(struct probe *pr, int ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char line[300];
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  sb_printf(pr->log, "  %-8s %s\n", ok ? "ok" : "WRONG", line);
  if (!ok) {
    set_why(pr, line);
    pr->failed = 1;
  }
  return ok;
}

void probe_note(struct probe *pr, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char line[300];
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  sb_printf(pr->log, "  note     %s\n", line);
}

// ---- The ELF ----------------------------------------------------------------------

static int open_elf(struct probe *pr) {
  if (pr->elf)
    return 0;
  char err[256];
  pthread_mutex_lock(&elf_mu);
  pr->elf = elfsym_open(pr->elf_path, err, sizeof err);
  pthread_mutex_unlock(&elf_mu);
  if (!pr->elf)
    return probe_fail(pr, "cannot read symbols: %s", err);
  return 0;
}

int probe_sym(struct probe *pr, const char *name, uint64_t *addr,
              uint64_t *size) {
  if (open_elf(pr) < 0)
    return -1;
  if (elfsym_lookup(pr->elf, name, addr, size) < 0)
    return probe_fail(pr, "hv.elf has no symbol '%s'", name);
  return 0;
}

// A lookup that is allowed to fail quietly.
static int have_sym(struct probe *pr, const char *name, uint64_t *addr) {
  return open_elf(pr) == 0 && elfsym_lookup(pr->elf, name, addr, NULL) == 0;
}

int probe_has_sym(struct probe *pr, const char *name) {
  uint64_t a;
  return have_sym(pr, name, &a);
}

const char *probe_func_at(struct probe *pr, uint64_t addr) {
  uint64_t off;
  if (open_elf(pr) < 0)
    return NULL;
  return elfsym_func_at(pr->elf, addr, &off);
}

int probe_find_insn(struct probe *pr, const char *func, uint32_t want,
                    uint32_t mask, uint64_t *at) {
  uint64_t addr, size;
  if (probe_sym(pr, func, &addr, &size) < 0)
    return -1;
  if (size == 0)
    return probe_fail(pr,
                      "%s has no size in hv.elf (an assembly label "
                      "without .size): its instructions cannot be walked",
                      func);
  if (rv_find_insn(pr->elf, func, want, mask, at) < 0)
    return probe_fail(pr,
                      "no instruction %08x (mask %08x) in %s (%#lx, %lu "
                      "bytes)",
                      want, mask, func, (unsigned long)addr,
                      (unsigned long)size);
  return 0;
}

// Where the image holds the NUL-terminated string that starts with text,
// preferring a string that starts exactly there. The image runs from
// _start to __image_end (runtime/riscv/kernel.ld).
static int find_string(struct probe *pr, const char *text, uint64_t *at) {
  uint64_t lo, hi;
  if (!have_sym(pr, "_start", &lo))
    lo = 0x80200000;
  if (!have_sym(pr, "__image_end", &hi) || hi <= lo || hi - lo > (64u << 20))
    hi = lo + (8u << 20);
  size_t n = 0, cap = 1 << 16;
  unsigned char *img = malloc(cap);
  // Read page by page until the first byte outside every segment.
  while (img && lo + n < hi) {
    if (n + 4096 > cap) {
      unsigned char *q = realloc(img, cap * 2);
      if (!q)
        break;
      img = q;
      cap *= 2;
    }
    if (elfsym_read(pr->elf, lo + n, img + n, 4096) == 0) {
      n += 4096;
      continue;
    }
    while (lo + n < hi && elfsym_read(pr->elf, lo + n, img + n, 1) == 0)
      n++;
    break;
  }
  size_t tl = strlen(text);
  long best = -1;
  for (size_t i = 0; img && i + tl <= n; i++)
    if (img[i] == (unsigned char)text[0] && memcmp(img + i, text, tl) == 0) {
      if (i == 0 || img[i - 1] == 0) {
        best = (long)i;
        break;
      }
      if (best < 0)
        best = (long)i;
    }
  free(img);
  if (best < 0)
    return probe_fail(pr, "hv.elf does not contain the text \"%s\"", text);
  *at = lo + (uint64_t)best;
  return 0;
}

// ---- Attaching ----------------------------------------------------------------------

int probe_attach(struct probe *pr, struct qemu_cfg *cfg, struct qemu_proc *p) {
  pr->p = p;
  if (open_elf(pr) < 0)
    return -1;
  pr->c = malloc(sizeof *pr->c);
  if (!pr->c)
    return probe_fail(pr, "out of memory");
  memset(pr->c, 0, sizeof *pr->c);
  pr->c->fd = -1;

  // QEMU_GDB_AUTO: qemu_start binds the gdbstub's socket itself and hands
  // it to QEMU, so the port is ours from the start -- no other program
  // (or other test) can take it between our choice and QEMU's bind.
  cfg->gdb_port = QEMU_GDB_AUTO;
  cfg->halted = 1;
  if (grader_qemu_start(cfg, p) < 0)
    return probe_fail(pr, "could not start QEMU (%s): %s",
                      cfg->qemu ? cfg->qemu : "qemu-system-riscv64",
                      strerror(errno));

  // The socket listened before QEMU started, so connecting succeeds at
  // once while QEMU lives (and is refused only once it is gone: no point
  // in trying the connect again); the handshake is answered once QEMU has
  // started. rsp_connect gives up on a silent stub after its request
  // timeout (2 s); a QEMU that is merely slow to start (a loaded machine)
  // is asked again on a new connection.
  double give_up = now_seconds() + CONNECT_TIMEOUT;
  if (p->deadline && p->deadline < give_up)
    give_up = p->deadline;
  for (;;) {
    int r = rsp_connect(pr->c, "127.0.0.1", p->gdb_port, 0);
    if (r == 0)
      return 0;
    char err[200];
    snprintf(err, sizeof err, "%s", rsp_error(pr->c));
    // A refused or reset connection means QEMU is going: its end may show
    // a moment after the socket closed, so wait briefly to say how it ended.
    if (!qemu_pump(p, r == RSP_ETIMEOUT ? 0 : 200)) {  // ended, or deadline
      if (p->timed_out)
        return probe_fail(pr,
                          "QEMU's gdbstub on port %d never answered "
                          "(timed out after %.0fs)",
                          p->gdb_port, p->seconds);
      char v[160];
      return probe_fail(pr, "QEMU ended before its gdbstub answered (%s)",
                        qemu_verdict(p, v, sizeof v));
    }
    if (r != RSP_ETIMEOUT || now_seconds() > give_up)
      return probe_fail(pr, "QEMU's gdbstub on port %d did not answer (%s)",
                        p->gdb_port, err);
  }
}

// ---- Running to a stop ------------------------------------------------------------------

// The target ended while we waited for `what`: collect it and say how.
static int ended(struct probe *pr, const char *what) {
  char v[160];
  qemu_wait(pr->p);
  return probe_fail(pr, "the stage ended (%s) before %s",
                    qemu_verdict(pr->p, v, sizeof v), what);
}

static int wait_stop(struct probe *pr, const char *what) {
  struct rsp_stop st;
  for (;;) {
    int r = rsp_wait_stop(pr->c, &st, 20);
    if (r == 0)
      break;
    if (r != RSP_ETIMEOUT)  // the connection broke: QEMU is gone
      return ended(pr, what);
    if (!qemu_pump(pr->p, 1))  // also kills it at the deadline
      return ended(pr, what);
  }
  if (st.kind == 'W' || st.kind == 'X')
    return ended(pr, what);
  pr->stopped = 1;
  // "p01.02": QEMU's thread ids are its cpu indexes plus 1.
  const char *dot = strchr(st.thread, '.');
  int tid = atoi(dot ? dot + 1 : st.thread);
  pr->cpu = tid > 0 ? tid - 1 : -1;
  uint64_t pc;
  if (rsp_read_reg_name(pr->c, "pc", &pc) < 0)
    return probe_fail(pr, "reading pc: %s", rsp_error(pr->c));
  pr->pc = pc;
  return 0;
}

static int find_bp(struct probe *pr, int type, uint64_t addr) {
  for (int i = 0; i < pr->nbp; i++)
    if (pr->bp[i].type == type && pr->bp[i].addr == addr)
      return i;
  return -1;
}

// Make (type, addr) the only breakpoint or watchpoint, then resume.
static int run_to(struct probe *pr, int type, uint64_t addr, int kind,
                  const char *what) {
  if (pr->broken || !pr->c)
    return -1;
  for (int i = 0; i < pr->nbp;) {
    if (pr->bp[i].type == type && pr->bp[i].addr == addr) {
      i++;
      continue;
    }
    if (rsp_break_remove(pr->c, pr->bp[i].type, pr->bp[i].addr,
                         pr->bp[i].kind) < 0)
      return probe_fail(pr, "removing a breakpoint: %s", rsp_error(pr->c));
    pr->bp[i] = pr->bp[--pr->nbp];
  }
  if (find_bp(pr, type, addr) < 0) {
    if (rsp_break_insert(pr->c, type, addr, kind) < 0)
      return probe_fail(pr, "setting a %s at %#lx (%s): %s",
                        type == RSP_BP_SW ? "breakpoint" : "watchpoint",
                        (unsigned long)addr, what, rsp_error(pr->c));
    pr->bp[pr->nbp].type = type;
    pr->bp[pr->nbp].addr = addr;
    pr->bp[pr->nbp++].kind = kind;
  }
  int r;
  // Sitting on the breakpoint we want again: QEMU would stop at once.
  if (type == RSP_BP_SW && pr->stopped && pr->pc == addr)
    r = rsp_continue_over(pr->c, type, addr, kind);
  else
    r = rsp_continue(pr->c);
  if (r < 0)
    return probe_fail(pr, "resuming: %s", rsp_error(pr->c));
  pr->stopped = 0;
  return wait_stop(pr, what);
}

int probe_stop_addr(struct probe *pr, uint64_t addr, const char *what) {
  char w[160];
  snprintf(w, sizeof w, "reaching %s", what);
  if (run_to(pr, RSP_BP_SW, addr, 4, w) < 0)
    return -1;
  if (pr->pc != addr)
    return probe_fail(pr, "stopped at %#lx instead of %s (%#lx)",
                      (unsigned long)pr->pc, what, (unsigned long)addr);
  return 0;
}

int probe_stop(struct probe *pr, const char *sym) {
  uint64_t addr;
  if (probe_sym(pr, sym, &addr, NULL) < 0)
    return -1;
  return probe_stop_addr(pr, addr, sym);
}

#define RSP_WATCH_READ 3  // Z3: a read watchpoint

int probe_stop_print(struct probe *pr, const char *text) {
  uint64_t at = 0;
  if (open_elf(pr) < 0 || find_string(pr, text, &at) < 0)
    return -1;
  char w[160];
  snprintf(w, sizeof w, "printing \"%s\"", text);
  return run_to(pr, RSP_WATCH_READ, at, 4, w);
}

int probe_reg(struct probe *pr, const char *name, uint64_t *v) {
  if (pr->broken || !pr->c)
    return -1;
  if (rsp_read_reg_name(pr->c, name, v) < 0)
    return probe_fail(pr, "reading register %s: %s", name, rsp_error(pr->c));
  return 0;
}

int probe_mem(struct probe *pr, uint64_t addr, void *buf, size_t n) {
  if (pr->broken || !pr->c)
    return -1;
  if (rsp_read_mem(pr->c, addr, buf, n) < 0)
    return probe_fail(pr, "reading memory: %s", rsp_error(pr->c));
  return 0;
}

void probe_detach(struct probe *pr) {
  if (!pr->c || pr->c->fd < 0)
    return;
  if (!pr->c->running) {
    for (int i = 0; i < pr->nbp; i++)
      rsp_break_remove(pr->c, pr->bp[i].type, pr->bp[i].addr, pr->bp[i].kind);
    pr->nbp = 0;
    rsp_continue(pr->c);
  }
  // Closing the connection leaves a running target running.
  rsp_close(pr->c);
}

// ---- Console helpers ------------------------------------------------------------------------

static long scan(const char *console, const char *regex, int sum) {
  regex_t re;
  if (regcomp(&re, regex, REG_EXTENDED | REG_NEWLINE) != 0)
    return -1;
  long total = 0;
  regmatch_t m[2];
  for (const char *s = console; *s && regexec(&re, s, 2, m, 0) == 0;) {
    if (!sum)
      total++;
    else if (m[1].rm_so >= 0)
      total += strtol(s + m[1].rm_so, NULL, 10);
    const char *nl = strchr(s + m[0].rm_eo, '\n');
    if (!nl)
      break;
    s = nl + 1;  // one match per line
  }
  regfree(&re);
  return total;
}

long console_count(const char *console, const char *regex) {
  return scan(console, regex, 0);
}

long console_sum(const char *console, const char *regex) {
  return scan(console, regex, 1);
}

// ---- The grader's guest and the hart's own view --------------------------------

void probe_set_guest(struct probe *pr, const char *path) {
  pr->guest_path = path;
}

int probe_guest_sym(struct probe *pr, const char *name, uint64_t *addr) {
  if (pr->broken)
    return -1;
  if (!pr->guest_path)
    return probe_fail(pr, "no grader guest for this test");
  if (!pr->guest_elf) {
    char err[200];
    pthread_mutex_lock(&elf_mu);
    pr->guest_elf = elfsym_open(pr->guest_path, err, sizeof err);
    pthread_mutex_unlock(&elf_mu);
    if (!pr->guest_elf)
      return probe_fail(pr, "the grader's guest %s: %s (run make guests)",
                        pr->guest_path, err);
  }
  if (elfsym_lookup(pr->guest_elf, name, addr, NULL) < 0)
    return probe_fail(pr, "the grader's guest has no symbol %s", name);
  return 0;
}

int probe_gregs(struct probe *pr, uint64_t x[32]) {
  if (pr->broken || !pr->c)
    return -1;
  uint64_t r[33];
  if (rsp_read_gregs(pr->c, r, 33) < 32)
    return probe_fail(pr, "reading the registers: %s", rsp_error(pr->c));
  memcpy(x, r, 32 * sizeof x[0]);
  return 0;
}

// QEMU's `info registers` shows the hart as it is: the V bit (which no
// gdb register carries on 7.2) and the HS-level CSRs, which the gdb
// names hide while V=1. Lines look like " V      =   1" and
// " stvec    0000000080202c80".
int probe_hart(struct probe *pr, const char *name, uint64_t *v) {
  if (pr->broken || !pr->c)
    return -1;
  char out[16384];
  if (rsp_monitor(pr->c, "info registers", out, sizeof out) < 0)
    return probe_fail(pr, "monitor info registers: %s", rsp_error(pr->c));
  size_t n = strlen(name);
  for (const char *s = out; (s = strstr(s, name)); s++) {
    if (s != out && s[-1] != ' ' && s[-1] != '\n')
      continue;
    const char *p = s + n;
    if (*p != ' ')
      continue;
    while (*p == ' ' || *p == '=')
      p++;
    char *end;
    unsigned long long x = strtoull(p, &end, 16);
    if (end == p)
      continue;
    *v = (uint64_t)x;
    return 0;
  }
  return probe_fail(pr, "QEMU's info registers shows no %s", name);
}

// The same for the hart gdb stopped on: QEMU's monitor shows the hart it
// has chosen (`cpu N`, hart 0 unless told), which need not be that one;
// chosen back to hart 0 afterwards, as every other probe expects.
int probe_hart_stopped(struct probe *pr, const char *name, uint64_t *v) {
  if (pr->broken || !pr->c)
    return -1;
  if (!pr->stopped || pr->cpu < 0)
    return probe_fail(pr, "QEMU did not say which hart stopped");
  int cpu = pr->cpu;
  char cmd[32], out[256];
  snprintf(cmd, sizeof cmd, "cpu %d", cpu);
  if (rsp_monitor(pr->c, cmd, out, sizeof out) < 0 || out[0])
    return probe_fail(pr, "monitor %s: %s", cmd,
                      out[0] ? out : rsp_error(pr->c));
  int r = probe_hart(pr, name, v);
  if (cpu != 0 && !pr->broken &&
      (rsp_monitor(pr->c, "cpu 0", out, sizeof out) < 0 || out[0]))
    return probe_fail(pr, "monitor cpu 0: %s", out[0] ? out : rsp_error(pr->c));
  return r;
}

// Several harts: boot them one after the other, as OpenSBI expects of a
// real machine. From -S, gdb's continue releases all harts at the same
// instant; QEMU 7.2's OpenSBI 1.1 then sometimes sends a second hart into
// the image at its entry (_start) -- when another hart won its boot
// lottery, or when the stage's HSM hart_start reached a hart that was
// still on its way through OpenSBI -- and the stage panics or hangs
// (reported to the stage's authors; a plain run starts hart 0 first and
// has never shown it). So: hart 0 alone until it enters the image; then
// the others alone until each waits in OpenSBI for a hart_start (in its
// wfi: QEMU has the pc just past one); then all of them.
static int all_parked(struct probe *pr, int nharts, int *parked) {
  *parked = 1;
  for (int t = 2; t <= nharts && *parked; t++) {
    char sel[32], ok[16];
    uint64_t pc;
    uint8_t b[4];
    snprintf(sel, sizeof sel, "Hgp1.%x", t);
    if (rsp_request(pr->c, sel, ok, sizeof ok) < 0 || strcmp(ok, "OK") != 0)
      return probe_fail(pr, "selecting hart %d: %s", t - 1, rsp_error(pr->c));
    if (rsp_read_reg_name(pr->c, "pc", &pc) < 0)
      return probe_fail(pr, "reading hart %d: %s", t - 1, rsp_error(pr->c));
    if (pc < 0x80000004UL || rsp_read_mem(pr->c, pc - 4, b, 4) < 0) {
      *parked = 0;  // still in the reset ROM, or not readable yet
      break;
    }
    uint32_t insn = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    *parked = insn == 0x10500073;  // wfi: QEMU has the pc past it
  }
  return 0;
}

int probe_boot_hart0(struct probe *pr, int nharts) {
  uint64_t start;
  if (pr->broken || !pr->c || probe_sym(pr, "_start", &start, NULL) < 0)
    return -1;
  if (rsp_break_insert(pr->c, RSP_BP_SW, start, 4) < 0)
    return probe_fail(pr, "setting a breakpoint at _start: %s",
                      rsp_error(pr->c));
  if (rsp_continue_thread(pr->c, 1) < 0)
    return probe_fail(pr, "resuming hart 0: %s", rsp_error(pr->c));
  pr->stopped = 0;
  if (wait_stop(pr, "hart 0 entering the image (_start)") < 0)
    return -1;
  if (rsp_break_remove(pr->c, RSP_BP_SW, start, 4) < 0)
    return probe_fail(pr, "removing a breakpoint: %s", rsp_error(pr->c));
  if (pr->pc != start || pr->cpu != 0)
    return probe_fail(pr, "hart %d stopped at %#lx, not hart 0 at _start",
                      pr->cpu, (unsigned long)pr->pc);
  for (;;) {
    int parked = 0;
    if (all_parked(pr, nharts, &parked) < 0)
      return -1;
    if (parked)
      return 0;
    // Run the others (hart 0 stays at _start) a little, then look again.
    if (rsp_continue_others(pr->c, 1) < 0)
      return probe_fail(pr, "resuming the other harts: %s", rsp_error(pr->c));
    pr->stopped = 0;
    struct rsp_stop st;
    int r = rsp_wait_stop(pr->c, &st, 20);
    if (r == 0 && (st.kind == 'W' || st.kind == 'X'))
      return ended(pr, "the harts waiting in OpenSBI");
    if (r == 0)
      return probe_fail(pr, "a hart stopped on its way through OpenSBI");
    if (r != RSP_ETIMEOUT || !qemu_pump(pr->p, 1))
      return ended(pr, "the harts waiting in OpenSBI");
    if (rsp_interrupt(pr->c, &st) < 0)
      return probe_fail(pr, "stopping the harts: %s", rsp_error(pr->c));
    if (st.kind == 'W' || st.kind == 'X')
      return ended(pr, "the harts waiting in OpenSBI");
    pr->stopped = 1;
    if (rsp_read_reg_name(pr->c, "pc", &pr->pc) < 0)
      return probe_fail(pr, "reading pc: %s", rsp_error(pr->c));
  }
}

// ---- Guest-physical memory through the G-stage ---------------------------------

// Little-endian 64-bit value.
static uint64_t le64(const uint8_t *b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | b[i];
  return v;
}

int probe_gstage_walk(struct probe *pr, uint64_t root, uint64_t gpa,
                      uint64_t *pte, int *level) {
  uint64_t table = root, e = 0;
  int l;
  for (l = 2; l >= 0; l--) {
    unsigned idx = (unsigned)((gpa >> (PAGE_SHIFT + 9 * l)) &
                              (l == 2 ? SV39X4_ROOT_ENTRIES - 1 : 511));
    uint8_t b[8];
    if (probe_mem(pr, table + idx * 8, b, 8) < 0)
      return -1;
    e = le64(b);
    probe_note(pr, "G-stage level %d: entry %u at %#lx = %#lx", l, idx,
               (unsigned long)(table + idx * 8), (unsigned long)e);
    if (!(e & PTE_V) || PTE_IS_LEAF(e))
      break;
    table = PTE_PPN(e) << PAGE_SHIFT;
  }
  *pte = e;
  *level = l < 0 ? 0 : l;
  return 0;
}

int probe_guest_phys(struct probe *pr, uint64_t gpa, void *buf, size_t n) {
  uint64_t hgatp, pte;
  int level;
  if (probe_reg(pr, "hgatp", &hgatp) < 0)
    return -1;
  if (hgatp >> HGATP_MODE_SHIFT != HGATP_MODE_SV39X4)
    return probe_fail(pr,
                      "hgatp = %#lx: no Sv39x4 G-stage to read GPA %#lx "
                      "through",
                      (unsigned long)hgatp, (unsigned long)gpa);
  if (probe_gstage_walk(pr, (hgatp & HGATP_PPN) << PAGE_SHIFT, gpa, &pte,
                        &level) < 0)
    return -1;
  uint64_t size = 1UL << (PAGE_SHIFT + 9 * level);
  if (!(pte & PTE_V) || !PTE_IS_LEAF(pte) || !(pte & PTE_R))
    return probe_fail(pr,
                      "the G-stage maps no readable page at GPA %#lx "
                      "(entry %#lx)",
                      (unsigned long)gpa, (unsigned long)pte);
  if ((gpa & (size - 1)) + n > size)
    return probe_fail(pr, "GPA %#lx + %zu crosses a G-stage page",
                      (unsigned long)gpa, n);
  uint64_t hpa = (PTE_PPN(pte) << PAGE_SHIFT) + (gpa & (size - 1));
  probe_note(pr, "GPA %#lx is host %#lx", (unsigned long)gpa,
             (unsigned long)hpa);
  if (hpa == gpa)
    return probe_fail(pr,
                      "the G-stage maps GPA %#lx to the same host "
                      "address: the hypervisor's own memory, not the "
                      "guest's",
                      (unsigned long)gpa);
  return probe_mem(pr, hpa, buf, n);
}

// ---- The guest's console, typed at while it runs --------------------------------

void probe_set_console(struct probe *pr, int fd) { pr->console_in = fd; }

int probe_resume_to(struct probe *pr, const char *sym) {
  uint64_t addr;
  if (probe_sym(pr, sym, &addr, NULL) < 0 || pr->broken || !pr->c)
    return -1;
  if (rsp_break_insert(pr->c, RSP_BP_SW, addr, 4) < 0)
    return probe_fail(pr, "setting a breakpoint at %s: %s", sym,
                      rsp_error(pr->c));
  pr->bp[pr->nbp].type = RSP_BP_SW;
  pr->bp[pr->nbp].addr = addr;
  pr->bp[pr->nbp++].kind = 4;
  if (rsp_continue(pr->c) < 0)
    return probe_fail(pr, "resuming: %s", rsp_error(pr->c));
  pr->stopped = 0;
  return 0;
}

int probe_wait_at(struct probe *pr, const char *sym) {
  uint64_t addr;
  char w[160];
  snprintf(w, sizeof w, "reaching %s", sym);
  if (probe_sym(pr, sym, &addr, NULL) < 0 || wait_stop(pr, w) < 0)
    return -1;
  if (pr->pc != addr)
    return probe_fail(pr, "stopped at %#lx instead of %s (%#lx)",
                      (unsigned long)pr->pc, sym, (unsigned long)addr);
  return 0;
}

// Is text in the console after the mark? Then move the mark past it.
static int seen(struct probe *pr, const char *text) {
  struct qemu_proc *p = pr->p;
  size_t tl = strlen(text);
  const char *s = p->out && p->len > pr->mark
                      ? memmem(p->out + pr->mark, p->len - pr->mark, text, tl)
                      : NULL;
  if (s)
    pr->mark = (size_t)(s - p->out) + tl;
  return s != NULL;
}

// While the target runs (probe_resume_to): read its console until `text`
// appears after the mark, or the deadline, or a stop (a breakpoint hit
// too early, or the end of QEMU), which ends the probe. What QEMU printed
// before it ended still counts.
int probe_expect(struct probe *pr, const char *text, double timeout) {
  double until = now_seconds() + timeout;
  char what[160];
  snprintf(what, sizeof what, "\"%s\" on the guest's console", text);
  for (;;) {
    if (pr->p->fd >= 0)
      qemu_pump(pr->p, 0);
    if (seen(pr, text))
      return 0;
    if (pr->broken || !pr->c)
      return -1;
    struct rsp_stop st;
    int r = rsp_wait_stop(pr->c, &st, 0);
    if (r == 0 && st.kind != 'W' && st.kind != 'X') {
      pr->stopped = 1;
      uint64_t pc = 0;
      rsp_read_reg_name(pr->c, "pc", &pc);
      pr->pc = pc;
      const char *f = probe_func_at(pr, pc);
      return probe_fail(pr,
                        "the hypervisor stopped at %#lx (%s) while the "
                        "grader waited for %s",
                        (unsigned long)pc, f ? f : "?", what);
    }
    if (r != RSP_ETIMEOUT || !qemu_pump(pr->p, 20)) {  // QEMU ended
      qemu_wait(pr->p);
      return seen(pr, text) ? 0 : ended(pr, what);
    }
    if (now_seconds() > until)
      return probe_fail(pr, "no %s within %.0fs", what, timeout);
  }
}

int probe_send(struct probe *pr, const char *bytes) {
  if (pr->broken)
    return -1;
  if (pr->console_in < 0)
    return probe_fail(pr, "this test has no console input");
  char what[160];
  snprintf(what, sizeof what, "the grader typed \"%s\"", bytes);
  if (pr->p->exited)
    return ended(pr, what);
  size_t n = strlen(bytes);
  if (send(pr->console_in, bytes, n, MSG_NOSIGNAL) != (ssize_t)n)
    return probe_fail(pr, "QEMU does not read its console input (%s)",
                      strerror(errno));
  return 0;
}

// Type text into the guest's console one character at a time, each after
// the echo of the one before (a UART's receive buffer is small: the echo
// says the guest took it). '\r' is echoed as '\r' or '\n'.
int probe_type(struct probe *pr, const char *text, double timeout) {
  for (const char *c = text; *c; c++) {
    if (pr->p->fd >= 0)
      qemu_pump(pr->p, 0);  // the echo is what comes after this
    pr->mark = pr->p->len;
    char one[2] = {*c, 0};
    if (probe_send(pr, one) < 0)
      return -1;
    one[0] = *c == '\r' ? '\n' : *c;
    if (probe_expect(pr, one, timeout) < 0)
      return -1;
  }
  return 0;
}

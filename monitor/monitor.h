// The VM-exit monitor: a live view of a stage's exits and registers.
//
// How the pieces fit:
//   main.c     options, the event loop, signals, batch output
//   target.c   QEMU and its gdbstub: starting, stopping, reading memory,
//              registers and the exit trace, breakpoints for `n` and `b`
//   exits.c    what the trace means: counters, baseline, rates, the log,
//              and names (causes, SBI calls, hstatus bits)
//   tui.c      the ncurses screen and its keys
//   stub.c     a gdbstub of our own, forwarding a gdb client to QEMU
//
// One thread does everything, from one poll() loop: the terminal, QEMU's
// console pipe, the gdbstub socket and a gdb client are all file
// descriptors. Signal handlers only set flags; the loop acts on them, so
// the terminal is always restored from ordinary code (see main.c).
#pragma once

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "elfsym.h"
#include "exittrace.h"
#include "hvlab/trace.h"
#include "qemu.h"
#include "rsp.h"

// ---- The guest's vCPU, as the hypervisor keeps it ---------------------------
// The hypervisor's own definition: both sides are LP64, so the layout is
// the same; target.c still checks sizeof against the ELF symbol's size.
#include "../step2-vmcs/vcpu.h"

// ---- Exit bookkeeping (exits.c) ---------------------------------------------

#define LOG_MAX 2048  // exit records the monitor keeps for its log

struct mon_rec {
  struct exit_record r;
  double when;  // monotonic seconds when the monitor read it
};

struct exits {
  int valid;                     // a trace header has been read
  uint64_t total;                // the hypervisor's total, last read
  uint64_t count[TRACE_NCOUNT];  // its counters, last read (exact)
  uint64_t base_total;           // `r`: the baseline subtracted on screen
  uint64_t base[TRACE_NCOUNT];
  uint64_t first_total;  // at the first read: for average rates
  uint64_t first[TRACE_NCOUNT];
  uint64_t seen;    // the newest record seq read into the log
  uint64_t missed;  // records overwritten before we read them
  uint64_t base_missed;
  // rate: a sample of the counters about a second ago
  double rate_t;  // when that sample was taken
  uint64_t rate_prev[TRACE_NCOUNT];
  double rate[TRACE_NCOUNT];  // exits per second, per counter
  double rate_total;
  // the log: the newest LOG_MAX records, oldest first at log[log_head]
  struct mon_rec log[LOG_MAX];
  int log_head, log_len;
};

void exits_init(struct exits *e);
// New header and counters have been read: update rates.
void exits_counts(struct exits *e, uint64_t total, const uint64_t *count,
                  double now);
// A record was read from the ring.
void exits_add(struct exits *e, const struct exit_record *r, double now);
// `r`: count from zero again (the hypervisor's counters are untouched).
void exits_reset(struct exits *e);
uint64_t exits_shown(const struct exits *e, int idx);  // count - baseline
uint64_t exits_shown_total(const struct exits *e);

// Names. A counter index (trace_index) back to scause, and words for it.
uint64_t cause_of_index(int idx);
const char *cause_long(uint64_t cause);   // "ecall from VS-mode"
const char *cause_short(uint64_t cause);  // "ecall VS" (for narrow columns)
// Parse what a user typed for an exit reason: a number ("10", "0x15") or
// part of a name ("ecall", "guest-page"). Returns the counter index, or -1.
int cause_parse(const char *s);
// The SBI call behind an ecall record: "hvlab NOP", "legacy putchar",
// "BASE probe_ext", "SRST", ... written into buf.
const char *sbi_name(uint64_t eid, uint64_t fid, char *buf, size_t n);
// hstatus bit by bit into buf ("VSXL=2 SPVP SPV -GVA ..."): set bits plain,
// clear ones with a leading '-'.
const char *hstatus_bits(uint64_t v, char *buf, size_t n);
// One line describing a record's arguments (SBI name and a0, or stval and
// the guest physical address of a guest-page fault).
const char *rec_args(const struct exit_record *r, char *buf, size_t n);

// Sorting the exit table.
enum sort_by { SORT_TOTAL, SORT_RATE, SORT_NAME, SORT_N };
// Fill idx[] with the counter indexes to show (non-zero ones, or `filter`
// alone if >= 0), sorted. Returns how many.
int exits_rows(const struct exits *e, enum sort_by by, int filter, int *idx,
               int max);

// ---- The console: QEMU's serial output, as lines ----------------------------
#define CON_LINES 512
struct console {
  char *line[CON_LINES];  // ring of complete lines
  int head, n;
  char part[512];  // the line being received
  size_t plen;
  uint64_t bytes;
};
void con_feed(struct console *c, const char *p, size_t n);
const char *con_line(const struct console *c, int i);  // 0 = oldest kept
void con_free(struct console *c);

// ---- The target (target.c) ------------------------------------------------

enum run_state {
  ST_RUNNING,      // running; the monitor polls it
  ST_PAUSED,       // the user stopped it (space, or `n`/`b` arrived)
  ST_WAIT_NEXT,    // `n`: running until the breakpoint on guest_exit
  ST_WAIT_CAUSE,   // `b`: running until an exit of the chosen cause
  ST_GDB_STOPPED,  // a gdb client has it stopped: hands off
  ST_GDB_RUNNING,  // a gdb client resumed it; the monitor polls it
  ST_ENDED,        // QEMU exited or the connection is gone
};

#define NCSR 16
struct csr_view {
  const char *name;
  int num;  // CSR number
  int reg;  // gdbstub register number, or -1 if the XML lacks it
  uint64_t val, old;
  int valid, changed;
};

struct target {
  // configuration
  const char *elf_path;
  const char *append;
  const char *connect;   // "host:port", or NULL to start QEMU ourselves
  const char *mem_path;  // --mem-path: a file QEMU backs its RAM with
  int use_shm;           // 1: read the trace from shared RAM (no stops)
  int no_h;
  int final_break;  // gdbstub mode: break before power-off (slow)
  struct elfsym *elf;
  int stage;  // from the ELF's path (".../step3/hv.elf"), or 0

  // QEMU, when we started it
  struct qemu_proc qemu;
  int launched;
  char shm_path[128];
  unsigned char *ram;  // the shared mapping of guest RAM, or NULL
  size_t ram_size;
  uint64_t ram_base;

  // the gdbstub
  struct rsp_client *rsp;
  enum run_state state;
  char ended_why[256];  // ST_ENDED: what happened, for the user

  // addresses from the ELF
  uint64_t trace_addr, vcpu_addr, vcpu_size, guest_exit, hv_vector;
  uint64_t poweroff_bp;  // gdbstub mode: the poweroff store, or 0
  int poweroff_set;

  // what was read
  uint64_t trace_size;      // the exit_trace symbol's size (0: unknown)
  struct trace_layout lay;  // its header, as trace_layout_parse read it
  struct vcpu vcpu, vcpu_old;
  int vcpu_valid;
  uint64_t vcpu_changed;  // bit n: x[n] changed at the last refresh; bit 32: pc
  int regs_from_cpu;      // stopped at guest_exit: the guest's registers are
                          // still in the CPU, the struct is one exit behind
  struct csr_view csr[NCSR];
  int ncsr;
  int vmode;  // V at the last stop: 0, 1, or -1 unknown
  uint64_t stop_pc;
  double csr_t;    // when the CSRs were last read
  char note[160];  // a message for the status line

  // `b`: the cause we wait for
  int want_idx;
  // the last stop at guest_exit: its scause (`n`, `b`)
  uint64_t at_exit_cause, at_exit_pc;

  // an instruction cache for the log: pc -> bits
  struct {
    uint64_t pc;
    uint32_t bits;
    int ok;
  } icache[256];

  struct exits ex;
  struct console con;
  double refreshes, refresh_t0;  // for the refresh rate shown
  double last_refresh;
  double refresh_cost;  // seconds the last stop took (gdbstub mode)
  double stop_time;     // seconds spent stopped for refreshes
  int stops;            // how many refresh stops
  int echo_console;     // batch: copy QEMU's output to stderr
};

int tgt_open(struct target *t);  // start QEMU or attach; 0 or -1
void tgt_close(struct target *t);
// Bring the counters, log, vCPU and (if want_csrs) CSRs up to date. In
// gdbstub mode this stops the target briefly unless it is stopped already.
int tgt_refresh(struct target *t, int want_csrs);
// User actions.
int tgt_pause(struct target *t);
int tgt_resume(struct target *t);
int tgt_next_exit(struct target *t);          // `n`
int tgt_break_on(struct target *t, int idx);  // `b`
// The gdbstub socket had something while the target runs: a stop, 'O'
// output, or the end. Handles it (and the stub's forwarding); 0 or -1.
int tgt_on_rsp_readable(struct target *t);
// QEMU's console pipe is readable (or closed).
void tgt_on_console(struct target *t);
// Note that the target ended; the message is kept for the user.
void tgt_ended(struct target *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int tgt_is_stopped(const struct target *t);
// An instruction at a guest pc, from memory or the ELF (cached).
int tgt_insn(struct target *t, uint64_t pc, uint32_t *bits);
const char *state_name(enum run_state s);
// gdbstub memory reads: physical addresses (1, ours) or virtual (0, gdb's).
void tgt_phys(struct target *t, int on);

// ---- The gdb stub (stub.c) ------------------------------------------------------
struct stub;
struct stub *stub_open(struct target *t, int port);  // listen; NULL on error
int stub_port(const struct stub *s);
int stub_attached(const struct stub *s);
// fds to poll, and what to do when they are readable
int stub_fds(const struct stub *s, int *fds, int max);
void stub_on_readable(struct stub *s, int fd);
// The target stopped while a gdb client had resumed it: tell the client.
void stub_forward_stop(struct stub *s, const char *reply, size_t n);
int stub_wants_stop(const struct stub *s);  // the client sent 0x03
void stub_close(struct stub *s);
int stub_stepping(const struct stub *s);  // gdb's resume was a step
void stub_target_ended(struct stub *s);   // say W00 to gdb and drop it
extern struct stub *the_stub;

// ---- The screen (tui.c) -----------------------------------------------------------
struct ui {
  enum sort_by sort;
  int filter;       // counter index, or -1
  double interval;  // seconds between refreshes
  int show_help;
  int bottom;       // 0: guest registers, 1: console (when only one fits)
  char prompt[64];  // non-empty: reading a line for `b`
  char input[32];
  size_t inlen;
  int quit;
};
// Can a screen be drawn on this TERM? 0, or -1 with the reason in why.
// Sends nothing to the terminal.
int tui_check_term(char *why, size_t n);
int tui_start(void);  // 0, or -1 (nothing was sent to the terminal)
void tui_stop(void);
// From a handler for a fatal signal: restore the terminal modes saved by
// tui_start and leave the alternate screen, with async-signal-safe calls.
void tui_emergency_exit(void);
void tui_draw(struct target *t, struct ui *u);
// A key was pressed; returns 1 if the screen should be redrawn now.
int tui_key(struct target *t, struct ui *u, int key);

// ---- main.c -----------------------------------------------------------------------------
extern volatile sig_atomic_t got_signal;  // SIGINT/TERM/HUP/QUIT number
void mon_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// The VM-exit monitor: a live view of a stage's exits and registers.
//
// How the pieces fit:
//   main.c     options, the event loop, signals, batch output
//   target.c   QEMU and its gdbstub: starting, stopping, reading memory,
//              registers and the exit trace, breakpoints for `n` and `b`
//   exits.c    what the trace means: counters, baseline, rates, the log,
//              and names (causes, SBI calls, hstatus bits)
//   tui.c      the ncurses screen and its keys
//   stopview.c the "stopped at an exit" pane
//   layout.c   struct vcpu's layout and the stage number, from DWARF
//   stub.c     a gdbstub of our own, forwarding a gdb client to QEMU
//
// One thread does everything, from one poll() loop: the terminal, QEMU's
// console pipe, the gdbstub socket and a gdb client are all file
// descriptors. Signal handlers only set flags; the loop acts on them, so
// the terminal is always restored from ordinary code (see main.c).
#pragma once

#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "elfsym.h"
#include "exittrace.h"
#include "hvlab/trace.h"
#include "qemu.h"
#include "rsp.h"
#include "srcmap.h"

// ---- The guest's vCPU, as the hypervisor keeps it (layout.c) ----------------
// The hypervisor's `struct vcpu` is a student's file (step2-vmcs/vcpu.h):
// a host program never compiles it. The ELF's DWARF says where each member
// is; the monitor copies the ones it shows into this view of its own.
struct vcpu_view {
  uint64_t x[32];  // general registers (x[0] unused)
  uint64_t pc;
  uint64_t vsatp, hgatp;  // to know whether guest addresses are physical
  struct {
    uint64_t cause, pc, tval, htval, htinst;
  } exit;  // the last exit, as the hypervisor recorded it
};
struct vcpu_layout {
  int ok;         // the ELF has debug info for struct vcpu
  uint64_t size;  // sizeof(struct vcpu) in the image
  char why[160];  // !ok: why not
  int nfield;
  struct {
    uint64_t off;     // in the hypervisor's struct
    size_t view_off;  // in struct vcpu_view
    size_t size;      // bytes to copy
  } field[8];
};
// Read struct vcpu's layout from path's DWARF. Returns 0, or -1 (why set).
int vcpu_layout_read(struct vcpu_layout *l, const char *path);
// Fill v from the raw struct bytes (l->size of them).
void vcpu_layout_apply(const struct vcpu_layout *l, const unsigned char *raw,
                       struct vcpu_view *v);
// The stage an image was built from, by the directory of the source file
// that defines stage_main ("step3-guest/main.c": 3), or 0 if unknown.
int stage_of_image(const char *path, uint64_t stage_main);
struct target;
const char *stage_str(const struct target *t);  // "3", or "?"

// ---- Exit bookkeeping (exits.c) ---------------------------------------------

#define LOG_MAX 2048  // exit records the monitor keeps for its log
#define SBI_ROWS 32   // different SBI calls counted one by one

// A record's hart when its trace has none (version 1): shown as "-".
#define REC_NO_HART UINT64_MAX

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
  double read_t;    // when records were last read
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
  int paused;         // the target is stopped: rates are 0
  char corrupt[160];  // non-empty: the trace header makes no sense
  // The drill-down under "ecall from VS-mode": calls by SBI extension and
  // function, counted from the records read (exact unless some were missed).
  struct sbi_count {
    uint64_t eid, fid, n;
  } sbi[SBI_ROWS];
  int nsbi;
  uint64_t sbi_other;  // calls beyond SBI_ROWS different ones
};

void exits_init(struct exits *e);
// New header and counters have been read: update rates.
// exact: both were read from a stopped target (one consistent snapshot).
void exits_counts(struct exits *e, uint64_t total, const uint64_t *count,
                  double now, int exact);
// A record was read from the ring.
void exits_add(struct exits *e, const struct exit_record *r, double now);
// The target stopped (rates are 0 while nothing runs) or runs again.
void exits_pause(struct exits *e);
void exits_resume(struct exits *e, double now);
// `r`: count from zero again (the hypervisor's counters are untouched).
void exits_reset(struct exits *e);
uint64_t exits_shown(const struct exits *e, int idx);  // count - baseline
uint64_t exits_shown_total(const struct exits *e);
double exits_percent(const struct exits *e, int idx);  // of all shown

// Names. A counter index (trace_index) back to scause, and words for it.
uint64_t cause_of_index(int idx);
const char *cause_long(uint64_t cause);   // "ecall from VS-mode"
const char *cause_short(uint64_t cause);  // "ecall VS" (for narrow columns)
// Parse what a user typed for an exit reason: a number ("10", "0x15"), a
// whole name ("ecall VS", "breakpoint") or part of one ("guest-page").
// Returns the counter index; -1 if nothing matches; -2 if several do: the
// first max of them in cand[], how many in *ncand.
int cause_parse(const char *s, int *cand, int max, int *ncand);
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
// Does a cause's long or brief name match the regex (NULL: all do)?
int cause_matches(const regex_t *re, uint64_t cause);
// Fill idx[] with the counter indexes to show (non-zero ones whose names
// match `filter`, if not NULL), sorted. Returns how many.
int exits_rows(const struct exits *e, enum sort_by by, const regex_t *filter,
               int *idx, int max);

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
  int num;   // CSR number
  int reg;   // gdbstub register number, or -1 if the XML lacks it
  int live;  // a VS CSR: the S-level register that holds it while V=1
  uint64_t val, old;
  int valid, changed;
  int stale;  // V=1 at the last read: the hypervisor's value is hidden
};

struct target {
  // configuration
  const char *elf_path;
  const char *append;
  const char *initrd;    // --initrd: a file for QEMU's -initrd (GUEST=)
  const char *disk;      // --disk: stage 5's disk image (GUEST_DISK=)
  int smp;               // --smp: harts for QEMU's -smp (0: one)
  const char *connect;   // "host:port", or NULL to start QEMU ourselves
  const char *mem_path;  // --mem-path: a file QEMU backs its RAM with
  int use_shm;           // 1: read the trace from shared RAM (no stops)
  int no_h;
  int final_break;  // gdbstub mode: break before power-off (slow)
  struct elfsym *elf;
  int stage;  // from the image's debug info (layout.c), or 0: unknown

  // QEMU, when we started it
  struct qemu_proc qemu;
  int launched;
  char shm_path[128];
  unsigned char *ram;  // the shared mapping of guest RAM, or NULL
  size_t ram_size;
  uint64_t ram_base;

  // the gdbstub
  struct rsp_client *rsp;
  struct rsp_limits lim;  // a signal, --seconds: every wait ends
  enum run_state state;
  char ended_why[256];  // ST_ENDED: what happened, for the user
  int status;           // ST_ENDED: the stage's exit status, or -1 unknown
  int exit_bp;          // our breakpoint on guest_exit is in QEMU

  // addresses from the ELF
  uint64_t trace_addr, vcpu_addr, vcpu_size, guest_exit, hv_vector;
  int vcpu_of_hart0;      // vcpu_addr is stage 5's vharts[0] (of several)
  uint64_t poweroff_bp;   // gdbstub mode: the poweroff store, or 0
  uint64_t hv_lo, hv_hi;  // the image's extent (_start.._end)
  int seen_hv;            // a stop inside it has been seen
  int poweroff_set;

  // what was read
  uint64_t trace_size;        // the exit_trace symbol's size (0: unknown)
  struct trace_layout lay;    // its header, as trace_layout_parse read it
  struct vcpu_layout layout;  // struct vcpu's members, from DWARF
  struct vcpu_view vcpu, vcpu_old;
  int vcpu_valid;
  struct vcpu_view at_stop;  // at the user's last stop: for "changed"
  int at_stop_valid;
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
  uint64_t at_exit_tval, at_exit_htval, at_exit_htinst;
  int at_exit_valid;   // stopped there now (cleared on resume)
  struct srcmap *src;  // DWARF lines for the stop pane, or NULL

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
  double note_t;        // when note was written (old ones fade: tui.c)
  int stops;            // how many refresh stops
  int echo_console;     // batch: copy QEMU's output to stderr
  int echo_mid_line;    // and its last line is not finished yet
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
// The target ended: wait (at most 5 s) for QEMU's exit status, so that
// ended_why says how QEMU ended rather than which pipe closed first.
void tgt_settle(struct target *t);
// A message for the status line (it fades after a while: tui.c).
void tgt_note(struct target *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
// Our breakpoint on guest_exit in (1) or out (0); once each. 0 or < 0.
int tgt_exit_bp(struct target *t, int on);
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
enum prompt { P_NONE, P_BREAK, P_FILTER, P_INTERVAL, P_PICK };
struct ui {
  enum sort_by sort;
  regex_t filter;  // `f`: exit reasons whose names match
  int filtering;   // filter holds a compiled regex
  char filter_text[64];
  double interval;  // seconds between refreshes
  int show_help;
  int bottom;    // 0: guest registers (or the stop), 1: console, 2: registers
  int drill;     // `x`: SBI calls under "ecall from VS-mode"
  int log_back;  // exit log scrolled back by this many rows (0: newest)
  enum prompt prompt;  // reading a line (or, P_PICK, a choice)
  char input[64];
  size_t inlen;
  int pick[9], npick;  // P_PICK: the candidates for `b`
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
// Drawing helpers shared by tui.c and stopview.c.
enum { C_HEAD = 1, C_CHANGED, C_STATUS, C_BAD, C_DIM, C_PROMPT, C_CUR };
int tui_col(int pair);  // the colour pair's attribute (0 without colours)
void tui_put(int y, int x, int w, int attr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
// The "stopped at an exit" pane (stopview.c): the exit, the code around
// the guest's and the hypervisor's pc with source lines, what changed.
void draw_stop(struct target *t, int y, int w, int h);

// ---- main.c -----------------------------------------------------------------------------
extern volatile sig_atomic_t got_signal;  // SIGINT/TERM/HUP/QUIT number
void mon_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// hvlab's autograder.
//
// Each stage has a table of tests (grader/stepN.c). A test boots the
// stage's hv.elf in its own QEMU, then judges the run three ways:
//   1. the console: regular expressions that must match lines, in order,
//      and ones that must match no line;
//   2. the exit status: every stage powers off through QEMU's sifive_test
//      device, so QEMU's exit status is the stage's own (0 pass, 1 a check
//      failed, 2 no H extension, 3 hypervisor panic, 4 unhandled guest exit);
//   3. optionally a gdb probe: QEMU starts halted with a gdbstub, and the
//      test stops the hypervisor at symbols from the ELF and reads its
//      registers and memory, so it can check facts the console cannot show.
//
// Files:
//   main.c    command line, choosing tests, running them in parallel, score
//   run.c     one test: QEMU, the checks, the GOOD/BAD/MISSING listing
//   probe.c   gdb probes over hostlib's RSP client
//   trace.c   reading stage 3's exit trace out of hypervisor memory
//   report.c  text buffers, Gradescope JSON and JUnit XML
//   stepN.c   the tables
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvlab/status.h"

struct probe;

// Exit statuses of the stages (include/hvlab/status.h), as a set: a test
// accepts the statuses in its mask. 0 in a table means "status 0 only".
// Only 0..31 fit in the mask: any other status is in no set (a plain
// 1u << n would be undefined there, and on x86 turns 32 into 0: "pass").
#define ST(n) ((unsigned)(n) < 32u ? 1u << ((unsigned)(n)&31u) : 0u)
#define ST_OK ST(EXIT_OK)
#define ST_FAIL ST(EXIT_FAIL)
#define ST_NO_H ST(EXIT_NO_H)
#define ST_PANIC ST(EXIT_HV_PANIC)
#define ST_GUEST ST(EXIT_GUEST_ERROR)

#define MAX_EXPECT 32
#define MAX_REJECT 8

struct gtest {
  const char *name;  // unique within its stage: letters, digits, '_'
  int points;
  const char *about;  // one line: what it checks (--list, reports)
  // How to boot.
  const char *append;  // boot arguments (QEMU -append), or NULL
  int no_h;            // 1: a CPU without the H extension
  double timeout;      // seconds; 0: DEFAULT_TIMEOUT (PROBE_TIMEOUT)
  size_t max_output;   // console bytes before it counts as a flood; 0:
                       // DEFAULT_MAX_OUTPUT
  // What to check.
  unsigned status;                 // accepted exit statuses; 0: ST_OK
  const char *expect[MAX_EXPECT];  // regexes matching lines, in this order
  const char *reject[MAX_REJECT];  // regexes no line may match
  // gdb probe: run with QEMU halted at reset and a gdbstub attached; and
  // checks that need the whole console, run once QEMU has exited.
  void (*probe)(struct probe *pr);
  void (*after)(struct probe *pr, const char *console);
  // Gradescope visibility of this test's result: NULL means "visible";
  // also "hidden", "after_due_date", "after_published".
  const char *visibility;
  // The grader's guest this test runs (grader/guests/NAME.S, built into
  // BUILD/grader/NAME.elf), loaded by QEMU at GUEST_IMAGE with a nonce
  // and a round count drawn for the run at GUEST_PARAMS (include/hvlab/
  // layout.h); the probe finds them in probe_saved(): SAVED_NONCE and
  // SAVED_ROUNDS. NULL: none.
  const char *guest;
  // > 0: the guest comes in as a guest package on -initrd (stage 5 on: the
  // hypervisor loads it behind its G-stage), QEMU gets this many harts
  // (-smp), and the package carries the parameters (guestpkg.c) with
  // guest_arg as the third. 0: the guest is loaded by QEMU at GUEST_IMAGE.
  int harts;
  long guest_arg;
  // A guest from elsewhere instead (stage 5 on): a raw image (e.g. Debian's
  // U-Boot) in a guest package of its own for the run, on one hart, with
  // its console's input open to the probe (probe_type); image_deb is the
  // Debian package that has it, named when it is missing. A nonce for the
  // run is in probe_saved()[SAVED_NONCE] all the same.
  const char *image;
  const char *image_deb;
  // The test of the same stage whose hardware evidence this one needs:
  // a test whose gate failed scores nothing, whatever its console says
  // (the console only corroborates). NULL: none.
  const char *gate;
};
#define SAVED_NONCE 30
#define SAVED_ROUNDS 31
#define GUEST_NPARAMS 3  // nonce, rounds, guest_arg (hvlab/layout.h)

// guestpkg.c: the grader's guest elf_path as a guest package with these
// parameters, written to a new file under $TMPDIR whose name goes into
// path (the caller unlinks it). 0, or -1 with a message in err.
int guest_package(const char *elf_path, const char *name,
                  const uint64_t params[GUEST_NPARAMS], char *path, size_t pn,
                  char *err, size_t en);

// The same for a raw image (a guest from elsewhere), loaded and started at
// GPKG_RAW_LOAD as guestpack loads one.
int guest_package_raw(const char *image_path, const char *name, char *path,
                      size_t pn, char *err, size_t en);

#define DEFAULT_TIMEOUT 10.0
#define PROBE_TIMEOUT 15.0
// A QEMU still there this long after its deadline is killed by the
// watchdog (run.c), whatever its test is doing.
#define WATCHDOG_GRACE 1.0
// Stages 1-3 print under 8 KB. A flood is cut well before it costs
// seconds: QEMU prints about 100 KB/s one character per exit.
#define DEFAULT_MAX_OUTPUT (64u << 10)

struct gstage {
  int num;          // N in stepN
  const char *dir;  // its source directory, e.g. "step1-vmxon"
  const char *title;
  const struct gtest *tests;
  int ntests;
};

// Register a stage's table, from its file: adding stage 4 is writing
// grader/step4.c with a table and one GRADE_STAGE line (no list to edit).
#define GRADE_STAGE(n, dir, title, table)                                      \
  static const struct gstage stage_rec_##n = {                                 \
      n, dir, title, table, (int)(sizeof(table) / sizeof((table)[0]))};        \
  static const struct gstage *const stage_ptr_##n                              \
      __attribute__((used, section("hvgrade"))) = &stage_rec_##n

// ---- Text buffers (report.c) -------------------------------------------------
struct sbuf {
  char *s;  // NUL-terminated; NULL until something is added
  size_t len, cap;
};
void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_add(struct sbuf *b, const char *s, size_t n);
void sb_free(struct sbuf *b);
const char *sb_str(const struct sbuf *b);  // "" if empty
// Console text from a submission, escaped by hvlab/escape.h's rule (every
// byte printable, '\n' and '\t' kept, the rest as \xHH): appended to b,
// or written to f. Every output of console text goes through these.
void sb_add_escaped(struct sbuf *b, const char *s, size_t n);
void fput_escaped(FILE *f, const char *s, size_t n);

// ---- Running (run.c) ---------------------------------------------------------

// Settings for the whole run.
struct gctx {
  const char *build;    // build directory
  const char *src;      // the source tree the stages are built from
  const char *qemu;     // QEMU binary, or NULL for qemu-system-riscv64
  const char *results;  // where transcripts of failed tests go
  double timeout;       // > 0: overrides every test's timeout
  size_t max_output;    // console cap for tests that set none
  int verbose;          // print every console
  int color;            // ANSI colors in the listing
};

struct result {
  const struct gstage *stage;
  const struct gtest *test;
  int passed;
  double seconds;
  char reason[256];      // one line: why it failed
  struct sbuf details;   // the listing and probe notes, for failures
  char transcript[512];  // where the console was saved, or ""
  struct sbuf console;   // the console (only kept with -v)
};

void run_test(const struct gctx *g, const struct gstage *st,
              const struct gtest *t, struct result *r);

// build.c: is the stage's image there, and newer than every file it is
// built from? 0, or -1 with a one-line reason (the compiler's first error
// when the build log has one) and details (the first errors).
int image_check(const struct gctx *g, const struct gstage *st, char *reason,
                size_t rn, struct sbuf *details);

// Every QEMU the grader started and has not collected yet. A watchdog
// thread kills those past their deadline (whatever their test is blocked
// on), and live_kill_all kills them all if we are interrupted (from the
// thread that waits for the signal: it takes a lock, so it is not for a
// signal handler).
void live_init(void);
void live_kill_all(void);
// Start QEMU and enrol it with the watchdog until it is reaped (by
// qemu_pump, qemu_wait or qemu_kill, as usual). A QEMU the watchdog had to
// kill is marked timed out.
struct qemu_cfg;
struct qemu_proc;
int grader_qemu_start(const struct qemu_cfg *cfg, struct qemu_proc *p);

// ---- gdb probes (probe.c) --------------------------------------------------
// All return 0 on success, -1 on failure; a failure also ends the probe
// (the reason is kept and shown), so a test just returns on -1.

// Stop at the first instruction of symbol sym (a breakpoint), or at addr.
int probe_stop(struct probe *pr, const char *sym);
int probe_stop_addr(struct probe *pr, uint64_t addr, const char *what);
// Stop when the hypervisor starts printing text: a read watchpoint on the
// string in its image, which its printf reads when it formats that line.
// (LTO inlines most small functions, so many have no symbol to stop at.)
int probe_stop_print(struct probe *pr, const char *text);
// Registers by name, as the gdbstub's target description calls them
// ("a0", "pc", "scause", "hstatus", ...), and memory.
int probe_reg(struct probe *pr, const char *name, uint64_t *v);
int probe_mem(struct probe *pr, uint64_t addr, void *buf, size_t n);
// Symbols in hv.elf; and which function an address is in (or NULL).
int probe_sym(struct probe *pr, const char *name, uint64_t *addr,
              uint64_t *size);
const char *probe_func_at(struct probe *pr, uint64_t addr);
int probe_has_sym(struct probe *pr, const char *name);  // quietly: 1 or 0
// The first 32-bit instruction of function func (walked by instruction
// length, hostlib's rv_find_insn) with (bits & mask) == want: 0 and *at,
// or -1. The symbol needs an ELF size (a C function has one; an assembly
// label only with .size).
int probe_find_insn(struct probe *pr, const char *func, uint32_t want,
                    uint32_t mask, uint64_t *at);
// Record a check; a false one fails the test but the probe goes on.
int probe_check(struct probe *pr, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// Give up: the probe cannot go on. Returns -1.
int probe_fail(struct probe *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void probe_note(struct probe *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
// Values a probe keeps for its `after` function.
uint64_t *probe_saved(struct probe *pr);  // 32 slots, zeroed at the start
// Console helpers for `after`: lines matching an extended regex, and the
// sum of the first capture group over those lines.
long console_count(const char *console, const char *regex);
long console_sum(const char *console, const char *regex);

// The grader's own guest (a test's .guest): its symbols, from its ELF.
int probe_guest_sym(struct probe *pr, const char *name, uint64_t *addr);
// x0..x31 at the current stop.
int probe_gregs(struct probe *pr, uint64_t x[32]);
// The hart as QEMU's `info registers` shows it: "V" (1 while a guest
// runs), and the HS-level CSRs ("stvec", "hstatus", ...) even while V=1.
int probe_hart(struct probe *pr, const char *name, uint64_t *v);
// ... of the hart that stopped, in a machine with several (QEMU's monitor
// otherwise shows hart 0, whichever hart gdb stopped on).
int probe_hart_stopped(struct probe *pr, const char *name, uint64_t *v);

// Guest-physical memory through the G-stage table hgatp points to (read
// in HS-mode, where the hypervisor stopped): n bytes at gpa, within one page.
// A G-stage that maps gpa to gpa itself (the hypervisor's own memory) is
// no guest memory: an error.
int probe_guest_phys(struct probe *pr, uint64_t gpa, void *buf, size_t n);
// The walk itself, from the Sv39x4 root: the last entry read (a leaf, or
// an invalid entry) and its level (2: a 1 GiB page ... 0: 4 KiB).
int probe_gstage_walk(struct probe *pr, uint64_t root, uint64_t gpa,
                      uint64_t *pte, int *level);

// A guest's console, expect-style, while the target runs: set the only
// breakpoint at sym and resume without waiting; wait for text on the
// console (a stop meanwhile ends the probe); type text, each character
// after the echo of the one before; wait for the stop at sym.
int probe_resume_to(struct probe *pr, const char *sym);
int probe_expect(struct probe *pr, const char *text, double timeout);
int probe_type(struct probe *pr, const char *text, double timeout);
int probe_send(struct probe *pr, const char *bytes);  // no echo awaited
int probe_wait_at(struct probe *pr, const char *sym);

// The probe side of run.c.
void probe_set_console(struct probe *pr, int fd);
struct probe *probe_new(const struct gctx *g, const char *elf_path,
                        struct sbuf *log);
void probe_free(struct probe *pr);
void probe_set_guest(struct probe *pr, const char *path);
// Start QEMU halted with a gdbstub on a socket of its own (QEMU_GDB_AUTO)
// and connect. Returns 0, or -1 with pr's reason set; *p is started either
// way if QEMU could be.
int probe_attach(struct probe *pr, struct qemu_cfg *cfg, struct qemu_proc *p);
// A machine with several harts, just attached: run hart 0 alone until
// OpenSBI prints, so that it is OpenSBI's boot hart as in a plain run.
int probe_boot_hart0(struct probe *pr, int nharts);
// Remove breakpoints, let the stage run on, detach.
void probe_detach(struct probe *pr);
int probe_failed(const struct probe *pr);
const char *probe_reason(const struct probe *pr);

// ---- The exit trace (trace.c) ------------------------------------------------
// Stage 3's `exit_trace` (include/hvlab/trace.h), read through the gdbstub.
// The layout comes from its own header, never from compiled-in sizes.
struct trace_rec {
  uint64_t seq, cause, pc, arg[3];
};
struct trace_view {
  uint32_t version, record_size, capacity, ncount, counts_off, ring_off;
  uint64_t total;
  uint64_t count[64];       // the first ncount (at most 64) counters
  struct trace_rec newest;  // ring[(total - 1) % capacity], if total > 0
};
int trace_read(struct probe *pr, struct trace_view *t);
uint64_t trace_sum(const struct trace_view *t);

// ---- Reports (report.c) -------------------------------------------------------
int write_json(const char *path, const struct result *r, int n, double secs);
int write_junit(const char *path, const struct result *r, int n, double secs);
// Append s to b as the inside of a JSON string / XML text: escaped, with
// control characters and invalid UTF-8 replaced so the file stays valid.
void json_escape(struct sbuf *b, const char *s);
void xml_escape(struct sbuf *b, const char *s);

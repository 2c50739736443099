// The target: a stage running in QEMU, seen through QEMU's gdbstub and,
// when we start QEMU ourselves, through its RAM shared with us.
//
// Reading the exit trace. QEMU's gdbstub is all-stop: memory can only be
// read while the VM is stopped, so each refresh is interrupt (0x03), read
// what is new, continue. A stop with a full ring read costs about 1 ms
// (about 10 packets), which is 1% of the time at 10 Hz. Cheaper still: we
// start QEMU with its RAM in a file under /dev/shm (a memory-backend-file
// shared with us) and mmap it, so the trace, the counters and the vCPU are
// read with no stop at all; the gdbstub then serves only what is not in
// memory (CSRs, V, breakpoints, a gdb client). bench/bench_monitor.c
// measures both. A file also outlives QEMU: when a stage powers itself
// off, its final counters are still there to read, exactly.
//
// Reading while the hypervisor writes: trace_exit() (step3-guest/run.h)
// increments `total`, then a counter, then writes the record, seq first.
// So a reader takes records only up to total - 1 while the VM runs (the
// newest may be half-written), and checks a record's seq again after
// copying it: if it changed, the record was overwritten during the copy
// and is counted as missed, like any record the ring lost between reads.
// With several vCPUs (stage 5) more than the newest may be unfinished: a
// record whose seq is still older than its number stops the read there,
// and the next read starts with it.
// x86 hosts keep stores in order, which this relies on; the counters are
// single aligned words and are always exact.
//
// In gdbstub-only mode (--connect) a stage that powers off takes its last
// exits with it: the final counts are those of the last refresh. With
// --final-break the monitor puts breakpoints on the stores that power the
// machine off (found by decoding the image), reads everything one last
// time when one is hit, and lets the store happen. It is not the default
// because it is expensive: QEMU 7.2 runs every instruction in the same
// 4 KiB page as a breakpoint as a block of its own, and the hypervisor is
// three pages of hot code. Measured on the bench guest: 3x slower.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exittrace.h"
#include "file.h"
#include "hvlab/csr.h"
#include "hvlab/escape.h"
#include "hvlab/pte.h"
#include "monitor.h"
#include "rvdecode.h"
#include "rvscan.h"
#include "srcmap.h"

#define RAM_BASE 0x80000000ULL   // QEMU virt: where RAM starts
#define RAM_SIZE QEMU_RAM_BYTES  // what qemu.c starts QEMU with (-m)
#define SIFIVE_TEST 0x100000     // the power-off device (memlayout.h)
#define MAX_POWEROFF 8
#define PC_REG 32  // QEMU's gdbstub: x0-x31, then pc

static uint64_t poweroff_at[MAX_POWEROFF];
static int npoweroff;
static int phys_ok, phys_on;  // Qqemu.PhyMemMode: supported, and set

const char *state_name(enum run_state s) {
  static const char *const n[] = {
      "running",      "paused",       "to next exit", "waiting for exit",
      "gdb: stopped", "gdb: running", "ended"};
  return n[s];
}

// QEMU is ours and has been reaped: say how it ended, replacing whatever
// the first sign of the end was (a closed socket, a closed pipe).
static void say_how_qemu_ended(struct target *t) {
  if (!t->launched || !t->qemu.exited)
    return;
  if (!t->qemu.signal && !t->qemu.timed_out && !t->qemu.flooded)
    t->status = t->qemu.status;
  char why[128];
  qemu_verdict(&t->qemu, why, sizeof why);
  // The verdict names QEMU itself when it died of a signal.
  snprintf(t->ended_why, sizeof t->ended_why, "%s%s%s",
           strncmp(why, "QEMU ", 5) ? "QEMU " : "", why,
           !t->qemu.signal && !t->qemu.timed_out && !t->qemu.flooded
               ? " (the stage powered the machine off)"
               : "");
}

void tgt_note(struct target *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->note, sizeof t->note, fmt, ap);
  va_end(ap);
  t->note_t = now_seconds();
}

// Our breakpoint on guest_exit, for `n` and `b`: in QEMU or not. QEMU
// keeps one entry per insertion, so inserting it twice and removing it
// once would leave one behind, and every resume would stop there again.
int tgt_exit_bp(struct target *t, int on) {
  if (t->exit_bp == on)
    return 0;
  int r = on ? rsp_break_insert(t->rsp, RSP_BP_SW, t->guest_exit, 4)
             : rsp_break_remove(t->rsp, RSP_BP_SW, t->guest_exit, 4);
  if (r >= 0)
    t->exit_bp = on;
  return r;
}

void tgt_ended(struct target *t, const char *fmt, ...) {
  if (t->state == ST_ENDED)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->ended_why, sizeof t->ended_why, fmt, ap);
  va_end(ap);
  t->state = ST_ENDED;
  exits_pause(&t->ex);
  // A stage that powers off closes the gdbstub first and its console an
  // instant later, and QEMU is reaped later still. If QEMU is ours, wait
  // (boundedly) for all of that, so that the message says how it ended
  // rather than which of its pipes closed first.
  if (t->launched) {
    double until = now_seconds() + 1;
    while (t->qemu.fd >= 0 && now_seconds() < until) {
      struct pollfd pf = {.fd = t->qemu.fd, .events = POLLIN};
      if (poll(&pf, 1, 100) > 0)
        tgt_on_console(t);  // at EOF: waits for the exit status
    }
    if (t->qemu.fd < 0 && !t->qemu.exited)
      qemu_pump(&t->qemu, 1000);
    say_how_qemu_ended(t);
  }
}

void tgt_settle(struct target *t) {
  // A QEMU that was killed can take a while to be gone on a busy machine
  // (its RAM is unmapped first): the message should say how it ended.
  if (t->launched && !t->qemu.exited) {
    double until = now_seconds() + 5;
    while (!t->qemu.exited && now_seconds() < until)
      qemu_pump(&t->qemu, 100);
    say_how_qemu_ended(t);
  }
}

int tgt_is_stopped(const struct target *t) {
  return t->state != ST_ENDED && t->rsp && t->rsp->fd >= 0 && !t->rsp->running;
}

// ---- Memory ------------------------------------------------------------------

static int in_ram(const struct target *t, uint64_t addr, size_t n) {
  return t->ram && addr >= t->ram_base && addr - t->ram_base <= t->ram_size &&
         n <= t->ram_size - (addr - t->ram_base);
}

// gdbstub memory reads are virtual addresses in the CPU's current mode;
// a stop inside a guest that has its own G-stage table would translate
// the hypervisor's addresses through it. Physical mode reads what we mean.
static void want_phys(struct target *t, int on) {
  char r[64];
  if (!phys_ok || phys_on == on || !tgt_is_stopped(t))
    return;
  if (rsp_request(t->rsp, on ? "Qqemu.PhyMemMode:1" : "Qqemu.PhyMemMode:0", r,
                  sizeof r) >= 0)
    phys_on = on;
}
void tgt_phys(struct target *t, int on) { want_phys(t, on); }

// Read hypervisor (physical) memory: from the shared RAM if we have it,
// else through the gdbstub, which needs the target stopped.
static int mem_read(struct target *t, uint64_t addr, void *buf, size_t n) {
  if (in_ram(t, addr, n)) {
    memcpy(buf, t->ram + (addr - t->ram_base), n);
    return 0;
  }
  if (!tgt_is_stopped(t))
    return -1;
  want_phys(t, 1);
  return rsp_read_mem(t->rsp, addr, buf, n) < 0 ? -1 : 0;
}

// A 64-bit word of shared RAM, read in one access (never torn).
static uint64_t ram_u64(const struct target *t, uint64_t addr) {
  return __atomic_load_n((const uint64_t *)(t->ram + (addr - t->ram_base)),
                         __ATOMIC_ACQUIRE);
}

// A guest physical address through the hypervisor's G-stage table
// (Sv39x4, include/hvlab/pte.h), read from host memory: the host physical
// address, or -1 where the table maps nothing.
static int gstage_hpa(struct target *t, uint64_t hgatp, uint64_t gpa,
                      uint64_t *hpa) {
  if (hgatp >> HGATP_MODE_SHIFT != HGATP_MODE_SV39X4 || gpa >> SV39X4_GPA_BITS)
    return -1;
  uint64_t table = (hgatp & HGATP_PPN) << PAGE_SHIFT;
  for (int level = 2; level >= 0; level--) {
    uint64_t shift = PAGE_SHIFT + 9 * (uint64_t)level;
    uint64_t idx = (gpa >> shift) & (level == 2 ? 0x7ff : 0x1ff), pte;
    if (mem_read(t, table + 8 * idx, &pte, 8) < 0 || !(pte & PTE_V))
      return -1;
    if (PTE_IS_LEAF(pte)) {
      *hpa = (PTE_PPN(pte) << PAGE_SHIFT) + (gpa & ((1ULL << shift) - 1));
      return 0;
    }
    table = PTE_PPN(pte) << PAGE_SHIFT;
  }
  return -1;
}

// 16 bits of guest code at a guest pc (a guest virtual address). While
// the guest has no page tables of its own (vsatp Bare) that is a guest
// physical address: in stage 3 (hgatp Bare) also where the bytes are in
// RAM, from stage 4 on where the hypervisor's G-stage table says.
// From stage 4 on there is always a G-stage table: a Bare hgatp in the
// view means the vCPU was not set up yet when it was read (not cached).
static int guest_half(struct target *t, uint64_t pc, uint16_t *h) {
  int gstage = t->stage >= 4;
  if (!t->vcpu_valid)  // nothing known: stage 3's guests are in RAM
    return gstage ? -1 : mem_read(t, pc, h, 2);
  if (t->vcpu.vsatp >> 60)
    return -1;
  uint64_t at = pc;
  if (gstage || t->vcpu.hgatp >> 60)
    if (gstage_hpa(t, t->vcpu.hgatp, pc, &at) < 0)
      return -1;
  return mem_read(t, at, h, 2);
}

int tgt_insn(struct target *t, uint64_t pc, uint32_t *bits) {
  unsigned h = (unsigned)(pc >> 1) % 256;
  if (t->icache[h].ok && t->icache[h].pc == pc) {
    *bits = t->icache[h].bits;
    return 0;
  }
  // From memory if we can find the guest's bytes; else, in stage 3,
  // whose guests are part of the image, the image's. (From stage 4 on the
  // image's bytes at a guest's address are the hypervisor's own.)
  uint16_t h16[2] = {0, 0};
  int ok = guest_half(t, pc, &h16[0]) == 0 &&
           (rv_insn_len(h16[0]) == 2 || guest_half(t, pc + 2, &h16[1]) == 0);
  if (!ok && t->stage >= 4)
    return -1;
  if (!ok) {
    ok = elfsym_read(t->elf, pc, &h16[0], 2) == 0 &&
         (rv_insn_len(h16[0]) == 2 ||
          elfsym_read(t->elf, pc + 2, &h16[1], 2) == 0);
    if (!ok)
      return -1;
  }
  *bits = (uint32_t)h16[0] | (uint32_t)h16[1] << 16;
  t->icache[h].pc = pc;
  t->icache[h].bits = *bits;
  t->icache[h].ok = 1;
  return 0;
}

// ---- The exit trace ---------------------------------------------------------

static int read_header(struct target *t) {
  // Header, total and counters in one read: one packet in gdbstub mode.
  unsigned char b[TRACE_HEADER_BYTES + 8 * TRACE_NCOUNT];
  size_t want = sizeof b;
  if (t->trace_size && t->trace_size < want)
    want = (size_t)t->trace_size;
  if (mem_read(t, t->trace_addr, b, want) < 0)
    return -1;
  // hostlib's check, the grader's too: 64-bit bounds, within the symbol.
  struct trace_layout *l = &t->lay;
  char err[128];
  if (trace_layout_parse(b, want, t->trace_size, l, err, sizeof err) < 0) {
    // Before the hypervisor has set it up, that is normal; after, the
    // header was overwritten (by a guest: stage 3 has no isolation).
    if (t->ex.valid)
      snprintf(t->ex.corrupt, sizeof t->ex.corrupt,
               "the trace header was overwritten: %.100s", err);
    tgt_note(t, "%s", err);
    return -1;
  }
  unsigned nc = l->ncount < TRACE_NCOUNT ? l->ncount : TRACE_NCOUNT;
  uint64_t count[TRACE_NCOUNT] = {0}, total;
  if (t->ram && in_ram(t, t->trace_addr, l->ring_off)) {
    total = ram_u64(t, t->trace_addr + l->total_off);
    for (unsigned i = 0; i < nc; i++)
      count[i] = ram_u64(t, t->trace_addr + l->counts_off + 8 * i);
  } else {
    memcpy(&total, b + l->total_off, 8);
    // The counters are usually in what was read; if a later layout moves
    // them further, read them where they are.
    uint64_t end = (uint64_t)l->counts_off + 8ull * nc;
    if (end <= want)
      memcpy(count, b + l->counts_off, 8 * nc);
    else if (mem_read(t, t->trace_addr + l->counts_off, count, 8 * nc) < 0)
      return -1;
  }
  exits_counts(&t->ex, total, count, now_seconds(),
               tgt_is_stopped(t) || t->state == ST_ENDED);
  return 0;
}

// Records seq in [from, to]: at most capacity of them, in at most two
// contiguous pieces of the ring.
static int read_records(struct target *t, uint64_t from, uint64_t to) {
  const struct trace_layout *h = &t->lay;
  static unsigned char *buf;
  static size_t bufsz;
  size_t need = (size_t)h->capacity * h->record_size;
  if (bufsz < need) {
    free(buf);
    if (!(buf = malloc(need)))
      return -1;
    bufsz = need;
  }
  // Records carry no time: spread them evenly over the time since the
  // previous read, which is when they happened (to within that interval).
  double now = now_seconds(), prev = t->ex.read_t > 0 ? t->ex.read_t : now;
  uint64_t first = from, span = to - from + 1;
  t->ex.read_t = now;
  uint64_t ring = t->trace_addr + h->ring_off;
  while (from <= to) {
    uint64_t slot = (from - 1) & (h->capacity - 1);
    uint64_t k = to - from + 1;
    if (k > h->capacity - slot)
      k = h->capacity - slot;  // up to the end of the ring, then wrap
    uint64_t addr = ring + slot * h->record_size;
    if (mem_read(t, addr, buf, k * h->record_size) < 0)
      return -1;
    for (uint64_t i = 0; i < k; i++) {
      struct exit_record r = {0};
      size_t sz = h->record_size < sizeof r ? h->record_size : sizeof r;
      memcpy(&r, buf + i * h->record_size, sz);
      if (h->version < 2 || sz < offsetof(struct exit_record, hart) + 8)
        r.hart = REC_NO_HART;  // an older trace: no vCPU in its records
      uint64_t want = from + i;
      if (r.seq < want && t->state != ST_ENDED) {
        // Not written yet: another vCPU took this number (total) and is
        // still filling its record in. Read it, and what follows, next time.
        t->ex.seen = want - 1;
        return 0;
      }
      int ok = r.seq == want;
      uint64_t at = addr + i * h->record_size;
      if (ok && t->ram && in_ram(t, at, 8))  // overwritten while copied?
        ok = ram_u64(t, at) == want;
      if (ok)
        exits_add(&t->ex, &r,
                  prev +
                      (now - prev) * (double)(want - first + 1) / (double)span);
      else
        t->ex.missed++;
    }
    from += k;
  }
  if (to > t->ex.seen)
    t->ex.seen = to;
  return 0;
}

static int read_trace(struct target *t) {
  if (read_header(t) < 0)
    return -1;
  struct exits *e = &t->ex;
  uint64_t total = e->total;
  // Running (shared RAM only): the newest record may be half-written.
  uint64_t last = tgt_is_stopped(t) || t->state == ST_ENDED ? total
                  : total                                   ? total - 1
                                                            : 0;
  if (last <= e->seen) {
    e->read_t = now_seconds();  // new records will be from after this
    return 0;
  }
  uint64_t from = e->seen + 1;
  if (last - e->seen > t->lay.capacity) {
    // The ring holds only the newest `capacity`: the rest are gone.
    e->missed += last - t->lay.capacity - e->seen;
    from = last - t->lay.capacity + 1;
  }
  return read_records(t, from, last);
}

// ---- The vCPU and the CSRs ---------------------------------------------------------

static void read_vcpu(struct target *t) {
  if (!t->vcpu_addr || !t->layout.ok)
    return;
  static unsigned char raw[4096];
  struct vcpu_view v;
  if (t->layout.size > sizeof raw ||
      mem_read(t, t->vcpu_addr, raw, (size_t)t->layout.size) < 0)
    return;
  vcpu_layout_apply(&t->layout, raw, &v);
  // Stopped at guest_exit, the guest's registers are still in the CPU:
  // the struct holds the previous exit's. Take them from the CPU (a0 is
  // in sscratch there, swapped by hv_vector; the pc is sepc).
  t->regs_from_cpu = 0;
  if (tgt_is_stopped(t) && t->stop_pc == t->guest_exit && t->guest_exit) {
    uint64_t g[33], a0, sepc;
    if (rsp_read_gregs(t->rsp, g, 33) >= 32 &&
        rsp_read_reg_name(t->rsp, "sscratch", &a0) >= 0 &&
        rsp_read_reg_name(t->rsp, "sepc", &sepc) >= 0) {
      memcpy(v.x, g, sizeof v.x);
      v.x[0] = 0;
      v.x[10] = a0;
      v.pc = sepc;
      t->regs_from_cpu = 1;
    }
  }
  // Changed since when? While paused (a stop the user asked for: space,
  // `n`, `b`), since the previous such stop, as in a debugger; while
  // running, since the previous refresh.
  int at_stop = t->state == ST_PAUSED;
  const struct vcpu_view *was = at_stop ? &t->at_stop : &t->vcpu;
  t->vcpu_changed = 0;
  if (t->vcpu_valid && (!at_stop || t->at_stop_valid)) {
    for (int i = 0; i < 32; i++)
      if (v.x[i] != was->x[i])
        t->vcpu_changed |= 1ULL << i;
    if (v.pc != was->pc)
      t->vcpu_changed |= 1ULL << 32;
  }
  if (at_stop) {
    t->at_stop = v;
    t->at_stop_valid = 1;
  }
  t->vcpu_old = t->vcpu;
  t->vcpu = v;
  t->vcpu_valid = 1;
}

static void csr_init(struct target *t) {
  static const struct {
    const char *name;
    int num;
  } list[] = {
      // What the last exit left, first: they fit at 80x24.
      {"hstatus", CSR_HSTATUS},
      {"scause", CSR_SCAUSE},
      {"sepc", CSR_SEPC},
      {"htval", CSR_HTVAL},
      {"hedeleg", CSR_HEDELEG},
      {"hideleg", CSR_HIDELEG},
      {"hgatp", CSR_HGATP},
      {"hvip", CSR_HVIP},
      {"hip", CSR_HIP},
      {"hie", CSR_HIE},
      {"hcounteren", CSR_HCOUNTEREN},
      {"henvcfg", CSR_HENVCFG},
      {"vsstatus", CSR_VSSTATUS},
      {"vstvec", CSR_VSTVEC},
      {"vsepc", CSR_VSEPC},
      {"vsatp", CSR_VSATP},
  };
  t->ncsr = 0;
  for (size_t i = 0; i < sizeof list / sizeof list[0] && t->ncsr < NCSR; i++) {
    struct csr_view *c = &t->csr[t->ncsr++];
    memset(c, 0, sizeof *c);
    c->name = list[i].name;
    c->num = list[i].num;
    c->reg = rsp_reg_num(t->rsp, c->name);
    if (c->reg < 0 && t->rsp->regs.n == 0)
      c->reg = 66 + c->num;  // QEMU's numbering, if there was no XML
    // While V=1 QEMU keeps the guest's live vsepc (vsstatus, ...) in the
    // S-level register and shows a stale copy under the VS name.
    c->live = -1;
    if (!strncmp(c->name, "vs", 2))
      c->live = rsp_reg_num(t->rsp, c->name + 1);  // "vsepc" -> "sepc"
  }
}

// Is the hypervisor running yet? Before its first instruction (QEMU
// halted at reset, or in the firmware) every H CSR reads 0: values from
// then would be shown as if the hypervisor had set them.
static int in_hypervisor(const struct target *t) {
  return t->hv_lo && t->stop_pc >= t->hv_lo && t->stop_pc < t->hv_hi;
}

// V, from QEMU's `info registers` (" V      =   1" comes first): QEMU
// 7.2's gdbstub has no register for it.
static int read_v(struct target *t) {
  char out[4096];
  if (rsp_monitor(t->rsp, "info registers", out, sizeof out) > 0) {
    const char *v = strstr(out, " V ");
    const char *eq = v ? strchr(v, '=') : NULL;
    if (eq)
      return atoi(eq + 1);
  }
  return -1;
}

// The S-level CSRs that V=1 redirects: while the guest is on the CPU, the
// gdbstub's "sepc" is the guest's vsepc, and the hypervisor's own copy is
// out of reach (NOTES: "the HS copies are hidden").
static int hidden_when_v1(const char *name) {
  // (scause and sepc are then taken from vcpu.exit: read_csrs.)
  return name[0] == 's' && strcmp(name, "sstatus") != 0;
}

static void read_csrs(struct target *t) {
  if (!in_hypervisor(t) && t->state != ST_ENDED && t->stop_pc && !t->seen_hv) {
    t->vmode = -1;
    return;  // "not read yet" says more than zeros from before boot
  }
  t->seen_hv = 1;
  t->vmode = read_v(t);
  for (int i = 0; i < t->ncsr; i++) {
    struct csr_view *c = &t->csr[i];
    uint64_t v;
    if (t->vmode != 0 && hidden_when_v1(c->name)) {
      // Hidden, but the world switch saved them at the last exit (the
      // last trap into HS-mode) in vcpu.exit: the same values.
      int known = t->vcpu_valid && (c->num == CSR_SCAUSE || c->num == CSR_SEPC);
      if (known) {
        v = c->num == CSR_SCAUSE ? t->vcpu.exit.cause : t->vcpu.exit.pc;
        c->changed = c->valid && v != c->val;
        c->old = c->val;
        c->val = v;
        c->valid = 1;
      } else {
        c->changed = 0;
      }
      c->stale = c->valid;
      continue;
    }
    int reg = t->vmode == 1 && c->live >= 0 ? c->live : c->reg;
    if (reg < 0 || rsp_read_reg(t->rsp, reg, &v) < 0)
      continue;
    c->changed = c->valid && v != c->val;
    c->old = c->val;
    c->val = v;
    c->valid = 1;
    c->stale = 0;
  }
  t->csr_t = now_seconds();
}

// Read what is readable now: everything if stopped, else what shared RAM
// holds. Returns 0, or -1 if the connection failed.
static int do_reads(struct target *t, int want_csrs) {
  double t0 = now_seconds();
  if (read_trace(t) == 0) {
    // Fetch the instructions of the newest records while we can read.
    struct exits *e = &t->ex;
    for (int i = e->log_len > 24 ? e->log_len - 24 : 0; i < e->log_len; i++) {
      uint32_t bits;
      tgt_insn(t, e->log[(e->log_head + i) % LOG_MAX].r.pc, &bits);
    }
  }
  read_vcpu(t);
  if (want_csrs && tgt_is_stopped(t))
    read_csrs(t);
  t->refreshes++;
  t->last_refresh = now_seconds();
  if (tgt_is_stopped(t))
    t->refresh_cost = t->last_refresh - t0;
  if (t->rsp->fd < 0) {
    tgt_ended(t, "lost the gdbstub: %s", rsp_error(t->rsp));
    return -1;
  }
  return 0;
}

// ---- Stops -------------------------------------------------------------------

static int resume(struct target *t) {
  t->at_exit_valid = 0;
  if (rsp_continue(t->rsp) < 0) {
    tgt_ended(t, "cannot continue: %s", rsp_error(t->rsp));
    return -1;
  }
  return 0;
}

static void remove_poweroff(struct target *t) {
  for (int i = 0; i < npoweroff && t->poweroff_set; i++)
    rsp_break_remove(t->rsp, RSP_BP_SW, poweroff_at[i], 4);
  t->poweroff_set = 0;
}

static int is_poweroff(uint64_t pc) {
  for (int i = 0; i < npoweroff; i++)
    if (poweroff_at[i] == pc)
      return 1;
  return 0;
}

// A stop arrived (st; raw is its packet as QEMU sent it). `ours`: we sent
// the 0x03 that asked for it. Decide whose it is and act.
static int handle_stop(struct target *t, struct rsp_stop *st, const char *raw,
                       size_t rawlen, int ours, int want_csrs) {
  if (st->kind == 'W' || st->kind == 'X') {
    if (st->kind == 'W')
      t->status = st->sig;
    tgt_ended(t,
              st->kind == 'W' ? "QEMU exited with status %d"
                              : "QEMU was killed by signal %d",
              st->sig);
    return -1;
  }
  uint64_t pc = 0;
  if (rsp_read_reg(t->rsp, PC_REG, &pc) < 0) {
    tgt_ended(t, "lost the gdbstub: %s", rsp_error(t->rsp));
    return -1;
  }
  t->stop_pc = pc;
  int sigint = st->sig == 2;

  if (!sigint && t->poweroff_set && is_poweroff(pc)) {
    // The stage is about to power off: our last chance to read.
    do_reads(t, 1);
    remove_poweroff(t);
    tgt_note(t, "the stage is powering off");
    return resume(t);
  }

  switch (t->state) {
  case ST_WAIT_NEXT:
  case ST_WAIT_CAUSE:
    if (!sigint && pc == t->guest_exit) {
      uint64_t cause = 0, sepc = 0;
      // V=0 here (the first instruction in HS-mode after the trap): the
      // S-level names are the hypervisor's own CSRs.
      rsp_read_reg_name(t->rsp, "scause", &cause);
      rsp_read_reg_name(t->rsp, "sepc", &sepc);
      if (t->state == ST_WAIT_NEXT || (int)trace_index(cause) == t->want_idx) {
        tgt_exit_bp(t, 0);
        t->state = ST_PAUSED;
        exits_pause(&t->ex);
        t->at_exit_cause = cause;
        t->at_exit_pc = sepc;
        t->at_exit_tval = t->at_exit_htval = t->at_exit_htinst = 0;
        rsp_read_reg_name(t->rsp, "stval", &t->at_exit_tval);
        rsp_read_reg_name(t->rsp, "htval", &t->at_exit_htval);
        rsp_read_reg_name(t->rsp, "htinst", &t->at_exit_htinst);
        t->at_exit_valid = 1;
        tgt_note(t, "at guest_exit: %s at pc %#llx", cause_long(cause),
                 (unsigned long long)sepc);
        return do_reads(t, 1);
      }
      // Not the one: step off the breakpoint and go on.
      if (now_seconds() - t->last_refresh > 0.5)
        do_reads(t, 0);
      if (rsp_continue_over(t->rsp, RSP_BP_SW, t->guest_exit, 4) < 0) {
        tgt_ended(t, "cannot continue: %s", rsp_error(t->rsp));
        return -1;
      }
      return 0;
    }
    if (sigint && ours) {  // a refresh while we wait
      do_reads(t, want_csrs);
      return resume(t);
    }
    break;
  case ST_GDB_RUNNING:
    if (sigint && ours && !stub_wants_stop(the_stub)) {
      do_reads(t, want_csrs);
      return resume(t);
    }
    // gdb's stop (its breakpoint, its step, its Ctrl-C): tell it first,
    // since gdb waits for it (a stepi is one of these); then refresh
    // what costs no packets. CSRs would cost 17 round trips per step:
    // the screen shows them as of the last refresh.
    t->state = ST_GDB_STOPPED;
    want_phys(t, 0);
    stub_forward_stop(the_stub, raw, rawlen);
    if (t->ram)
      do_reads(t, 0);
    return 0;
  case ST_RUNNING:
    if (sigint) {  // ours, or a late answer to an earlier 0x03: harmless
      do_reads(t, want_csrs);
      return resume(t);
    }
    break;
  default: break;
  }
  // A stop nobody asked for: keep it, and let the user look.
  t->state = ST_PAUSED;
  tgt_note(t, "stopped: signal %d at pc %#llx", st->sig,
           (unsigned long long)pc);
  return do_reads(t, 1);
}

// Wait for a stop reply and hand it to handle_stop.
static int await_stop(struct target *t, int timeout_ms, int ours,
                      int want_csrs) {
  struct rsp_stop st;
  int r = rsp_wait_stop(t->rsp, &st, timeout_ms);
  if (r == RSP_ETIMEOUT)
    return 0;
  if (r < 0) {
    tgt_ended(t, "lost the gdbstub: %s", rsp_error(t->rsp));
    return -1;
  }
  char raw[256];
  size_t n = strnlen(t->rsp->reply, sizeof raw - 1);
  memcpy(raw, t->rsp->reply, n);
  raw[n] = 0;
  return handle_stop(t, &st, raw, n, ours, want_csrs);
}

// Stop the running target. Returns 1 if it is now stopped by us (an
// interrupt), 0 if the stop turned out to be something else that
// handle_stop dealt with, -1 if the target is gone.
static int interrupt(struct target *t) {
  if (rsp_send_intr(t->rsp) < 0) {
    tgt_ended(t, "lost the gdbstub: %s", rsp_error(t->rsp));
    return -1;
  }
  struct rsp_stop st;
  int r = rsp_wait_stop(t->rsp, &st, 3000);
  if (r < 0) {
    tgt_ended(t, "no stop after an interrupt: %s", rsp_error(t->rsp));
    return -1;
  }
  if (st.kind == 'T' || st.kind == 'S') {
    if (st.sig == 2)
      return 1;
    char raw[256];
    size_t n = strnlen(t->rsp->reply, sizeof raw - 1);
    memcpy(raw, t->rsp->reply, n);
    raw[n] = 0;
    handle_stop(t, &st, raw, n, 0, 0);
    return 0;
  }
  handle_stop(t, &st, t->rsp->reply, strlen(t->rsp->reply), 0, 0);
  return -1;
}

int tgt_refresh(struct target *t, int want_csrs) {
  if (t->state == ST_ENDED) {
    if (t->ram)
      read_trace(t), read_vcpu(t);  // RAM outlives QEMU
    return -1;
  }
  if (t->state == ST_GDB_STOPPED)
    return 0;  // hands off: gdb is talking to QEMU
  // With shared RAM the trace needs no stop; CSRs always do.
  int need_stop = !t->ram || want_csrs;
  if (!tgt_is_stopped(t) && need_stop) {
    double t0 = now_seconds();
    int r = interrupt(t);
    if (r <= 0)
      return r;
    // handle_stop decides: our refresh while running, or someone's stop.
    struct rsp_stop st = {.kind = 'T', .sig = 2};
    r = handle_stop(t, &st, "T02", 3, 1, want_csrs);
    t->stops++;
    t->stop_time += now_seconds() - t0;
    return r;
  }
  return do_reads(t, want_csrs);
}

int tgt_on_rsp_readable(struct target *t) {
  if (t->state == ST_ENDED || !t->rsp->running)
    return 0;
  // Not 0 ms: hostlib's wait gives up before reading when its deadline
  // has passed, even with the reply already in the socket. poll() said
  // there is something, so this returns at once unless a packet is cut.
  return await_stop(t, 20, 0, 0);
}

// ---- User actions -------------------------------------------------------------------

int tgt_pause(struct target *t) {
  if (t->state == ST_ENDED || t->state == ST_GDB_STOPPED ||
      t->state == ST_GDB_RUNNING || t->state == ST_PAUSED)
    return 0;
  if (!tgt_is_stopped(t)) {
    int r = interrupt(t);
    if (r <= 0)
      return r;
  }
  tgt_exit_bp(t, 0);
  t->state = ST_PAUSED;
  exits_pause(&t->ex);
  t->note[0] = 0;
  uint64_t pc;
  if (rsp_read_reg(t->rsp, PC_REG, &pc) >= 0)
    t->stop_pc = pc;
  return do_reads(t, 1);
}

int tgt_resume(struct target *t) {
  if (t->state != ST_PAUSED)
    return 0;
  t->state = ST_RUNNING;
  t->note[0] = 0;
  t->stop_pc = 0;
  exits_resume(&t->ex, now_seconds());
  // Continuing from our own breakpoint address is fine: it was removed.
  return resume(t);
}

static int run_to_exit(struct target *t, enum run_state s) {
  if (!t->guest_exit) {
    tgt_note(t, "no symbol guest_exit in the ELF");
    return 0;
  }
  if (t->state == ST_ENDED || t->state == ST_GDB_STOPPED ||
      t->state == ST_GDB_RUNNING) {
    tgt_note(t, "not now: %s", state_name(t->state));
    return 0;
  }
  if (!tgt_is_stopped(t)) {
    int r = interrupt(t);
    if (r <= 0)
      return r;
  }
  if (tgt_exit_bp(t, 1) < 0) {
    tgt_note(t, "breakpoint: %s", rsp_error(t->rsp));
    t->state = ST_PAUSED;
    return 0;
  }
  uint64_t was = t->stop_pc;
  t->state = s;
  t->stop_pc = 0;
  exits_resume(&t->ex, now_seconds());
  if (was != t->guest_exit)
    return resume(t);
  // Stopped on guest_exit itself (the last `n`): QEMU would report the
  // same breakpoint again at once. Step off it first.
  t->at_exit_valid = 0;
  if (rsp_continue_over(t->rsp, RSP_BP_SW, t->guest_exit, 4) < 0) {
    tgt_ended(t, "cannot continue: %s", rsp_error(t->rsp));
    return -1;
  }
  return 0;
}

int tgt_next_exit(struct target *t) {
  tgt_note(t, "running to the next exit");
  return run_to_exit(t, ST_WAIT_NEXT);
}

int tgt_break_on(struct target *t, int idx) {
  t->want_idx = idx;
  tgt_note(t, "waiting for an exit: %s", cause_long(cause_of_index(idx)));
  return run_to_exit(t, ST_WAIT_CAUSE);
}

// ---- Console ------------------------------------------------------------------

void tgt_on_console(struct target *t) {
  struct qemu_proc *p = &t->qemu;
  if (p->fd < 0)
    return;
  char b[4096];
  ssize_t n = read(p->fd, b, sizeof b);
  if (n > 0) {
    con_feed(&t->con, b, (size_t)n);
    if (t->echo_console) {  // escaped as in the pane (hvlab/escape.h)
      char e[sizeof b * 4 + 1];
      size_t k = 0;
      for (ssize_t i = 0; i < n; i++)
        if (b[i] != '\r')
          k += (size_t)hv_escape_byte((unsigned char)b[i], e + k);
      if (write(2, e, k) < 0)
        t->echo_console = 0;
    }
    t->echo_mid_line = b[n - 1] != '\n';
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  // End of output: QEMU is exiting. Wait (at most a second) until it is
  // reaped, so that its exit status is known and reported, not guessed.
  close(p->fd);
  p->fd = -1;
  qemu_pump(p, 1000);
  if (t->state == ST_ENDED)
    say_how_qemu_ended(t);  // the first message was only a symptom
  else
    tgt_ended(t, "QEMU closed its output, but has not exited");
}

// ---- Opening -------------------------------------------------------------------

// Find the stores that power the machine off: `lui rX, 0x100` (the
// sifive_test address) and, a few instructions on, a store through rX.
// poweroff() is inlined in several places (boot, panic, hs_trap,
// stage_main under LTO), so there are several, and every function is
// searched, each walked by hostlib's rv_scan from its first instruction.

struct poweroff_scan {
  int rd;    // the register the lui loaded
  int left;  // instructions left in which the store may come
};

// rv_scan's matcher. It never reports a match: the walk goes on to the
// end of the function, noting every power-off store on the way.
static int poweroff_insn(uint64_t pc, uint32_t bits, int len, void *arg) {
  struct poweroff_scan *s = arg;
  if (s->left > 0) {
    struct rv_insn in;
    rv_decode(bits, pc, &in);
    s->left--;
    if (in.is_store && in.rs1 == s->rd) {
      poweroff_at[npoweroff++] = pc;
      s->left = 0;
      return npoweroff == MAX_POWEROFF;
    }
  }
  if (len == 4 && (bits & 0x7f) == 0x37 && (bits >> 12) == SIFIVE_TEST >> 12) {
    s->rd = (bits >> 7) & 31;
    s->left = 6;  // the store follows closely
  }
  return 0;
}

static void find_poweroff(struct target *t) {
  uint64_t pc;
  npoweroff = 0;
  if (elfsym_lookup(t->elf, "_start", &pc, NULL) < 0)
    return;
  // Function by function, in address order from _start. A gap (padding
  // between functions) is stepped over; a long one is the end of the code.
  for (int gap = 0; gap < 64 && npoweroff < MAX_POWEROFF;) {
    uint64_t off, addr, size, at;
    const char *f = elfsym_func_at(t->elf, pc, &off);
    if (!f) {
      pc += 2, gap += 2;
      continue;
    }
    gap = 0;
    if (off == 0 && elfsym_lookup(t->elf, f, &addr, &size) == 0 && addr == pc &&
        size > 0) {
      struct poweroff_scan s = {0};
      rv_scan(t->elf, f, poweroff_insn, &s, &at);
      pc += size;
    } else {
      // An assembly label without a size (no C, so no poweroff()), or a
      // name that is not unique: not ours to walk. Step past it.
      pc += 2;
    }
  }
}

// Map the file QEMU's RAM is in. Returns 0, or -1 with the reason in why.
static int map_ram(struct target *t, const char *path, char *why, size_t n) {
  int fd = open_regular(path, 0, why, n);  // a FIFO: refused, not a hang
  if (fd < 0)
    return -1;
  struct stat sb;
  if (fstat(fd, &sb) < 0 || sb.st_size <= 0) {
    close(fd);
    snprintf(why, n, "empty");
    return -1;
  }
  void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    snprintf(why, n, "%s", strerror(errno));
    return -1;
  }
  t->ram = m;
  t->ram_size = (size_t)sb.st_size;
  t->ram_base = RAM_BASE;
  return 0;
}

static int launch(struct target *t) {
  static char objarg[256];
  static const char *extra[10];
  int ne = 0;
  if (t->use_shm) {
    // QEMU's RAM in a file we can map: /dev/shm is memory, not disk.
    snprintf(t->shm_path, sizeof t->shm_path, "/dev/shm/hvlab-monitor-XXXXXX");
    int fd = mkstemp(t->shm_path);
    if (fd < 0) {
      mon_log("monitor: cannot create %s (%s); reading through the gdbstub",
              t->shm_path, strerror(errno));
      t->use_shm = 0;
      t->shm_path[0] = 0;
    } else {
      close(fd);
      snprintf(objarg, sizeof objarg,
               "memory-backend-file,id=hvmem,size=%llu,mem-path=%s,share=on",
               (unsigned long long)RAM_SIZE, t->shm_path);
      extra[ne++] = "-object";
      extra[ne++] = objarg;
      extra[ne++] = "-machine";
      extra[ne++] = "memory-backend=hvmem";
    }
  }
  if (t->initrd) {  // a guest package from `make monitor GUEST=...`
    extra[ne++] = "-initrd";
    extra[ne++] = t->initrd;
  }
  extra[ne] = NULL;
  // QEMU_GDB_AUTO: qemu_start binds the gdbstub's socket itself and hands
  // it to QEMU, so the port cannot be taken between choosing and binding.
  struct qemu_cfg cfg = {.kernel = t->elf_path,
                         .no_h = t->no_h,
                         .smp = t->smp,
                         .append = t->append,
                         .gdb_port = QEMU_GDB_AUTO,
                         .halted = 1,
                         .disk = t->disk,
                         .extra = extra};
  if (qemu_start(&cfg, &t->qemu) < 0) {
    mon_log("monitor: cannot start qemu-system-riscv64: %s", strerror(errno));
    return -1;
  }
  t->launched = 1;
  // 127.0.0.1, where qemu_start bound it ("localhost" may try ::1 first).
  if (rsp_connect_limited(t->rsp, "127.0.0.1", t->qemu.gdb_port, 5000,
                          &t->lim) == 0)
    return 0;
  mon_log("monitor: cannot talk to QEMU's gdbstub: %s", rsp_error(t->rsp));
  qemu_pump(&t->qemu, 200);
  if (t->qemu.out && *t->qemu.out)
    mon_log("monitor: QEMU said: %.300s", t->qemu.out);
  if (t->qemu.exited) {  // how it ended, if it did
    say_how_qemu_ended(t);
    mon_log("monitor: %s", t->ended_why);
  }
  return -1;
}

int tgt_open(struct target *t) {
  char err[256];
  t->qemu.fd = -1;
  t->vmode = -1;
  t->status = -1;
  t->rsp = calloc(1, sizeof *t->rsp);
  if (!t->rsp)
    return -1;
  t->rsp->fd = -1;
  exits_init(&t->ex);
  if (!(t->elf = elfsym_open(t->elf_path, err, sizeof err))) {
    mon_log("monitor: %s", err);
    return -1;
  }
  char serr[160];
  t->src = srcmap_open(t->elf_path, serr, sizeof serr);  // NULL: no lines
  uint64_t size, sm = 0;
  elfsym_lookup(t->elf, "stage_main", &sm, NULL);
  t->stage = stage_of_image(t->elf_path, sm);
  // The image (code, data, guests), for "has it started yet?" (read_csrs).
  if (elfsym_lookup(t->elf, "_start", &t->hv_lo, NULL) == 0)
    elfsym_lookup(t->elf, "__image_end", &t->hv_hi, NULL);
  if (t->hv_hi <= t->hv_lo)
    t->hv_lo = t->hv_hi = 0;
  if (elfsym_lookup(t->elf, "exit_trace", &t->trace_addr, &t->trace_size) < 0) {
    mon_log("monitor: %s has no symbol exit_trace: is it stage 3 or later?",
            t->elf_path);
    return -1;
  }
  // Stages 3 and 4 have one vCPU, `vcpu`; stage 5 has one per hart in
  // `vharts`, each beginning with its struct vcpu: the pane shows vCPU 0.
  int per_hart = 0;
  if (elfsym_lookup(t->elf, "vcpu", &t->vcpu_addr, &size) < 0 &&
      elfsym_lookup(t->elf, "vharts", &t->vcpu_addr, &size) == 0)
    per_hart = 1;
  if (t->vcpu_addr) {
    t->vcpu_size = size;
    t->vcpu_of_hart0 = per_hart;
    if (vcpu_layout_read(&t->layout, t->elf_path) < 0)
      mon_log("monitor: warning: no guest registers: %s", t->layout.why);
    else if (size && size != t->layout.size && !per_hart)
      mon_log("monitor: warning: the symbol vcpu is %llu bytes, its type "
              "%llu: registers may be wrong",
              (unsigned long long)size, (unsigned long long)t->layout.size);
  }
  elfsym_lookup(t->elf, "guest_exit", &t->guest_exit, NULL);
  elfsym_lookup(t->elf, "hv_vector", &t->hv_vector, NULL);

  int port = 0;
  if (t->connect) {
    char host[128];
    snprintf(host, sizeof host, "%s", t->connect);
    char *colon = strrchr(host, ':'), *end = NULL;
    long p = colon ? strtol(colon + 1, &end, 10) : 0;
    port =
        colon && end != colon + 1 && !*end && p >= 1 && p <= 65535 ? (int)p : 0;
    if (!port) {
      mon_log("monitor: --connect wants host:port, not '%s'", t->connect);
      return -1;
    }
    *colon = 0;
    if (rsp_connect_limited(t->rsp, host[0] ? host : "localhost", port, 5000,
                            &t->lim) < 0) {
      mon_log("monitor: %s", rsp_error(t->rsp));
      return -1;
    }
    t->use_shm = 0;
    char why[128];
    if (t->mem_path && map_ram(t, t->mem_path, why, sizeof why) < 0) {
      mon_log("monitor: cannot map %s: %s", t->mem_path, why);
      return -1;
    }
  } else if (launch(t) < 0) {
    return -1;
  }
  if (t->use_shm && t->shm_path[0]) {
    // QEMU has the file open and mapped: map it too, and unlink it so
    // nothing is left behind in /dev/shm however we end.
    char why[128];
    if (map_ram(t, t->shm_path, why, sizeof why) < 0)
      mon_log("monitor: cannot map %s (%s); reading through the gdbstub",
              t->shm_path, why);
    unlink(t->shm_path);
    t->shm_path[0] = 0;
  }
  char r[64];
  phys_ok = rsp_request(t->rsp, "Qqemu.PhyMemMode:1", r, sizeof r) >= 0 &&
            strcmp(r, "OK") == 0;
  phys_on = phys_ok;
  csr_init(t);
  if (!t->ram && t->final_break) {
    find_poweroff(t);
    for (int i = 0; i < npoweroff; i++)
      if (rsp_break_insert(t->rsp, RSP_BP_SW, poweroff_at[i], 4) == 0)
        t->poweroff_set = 1;
  }
  t->refresh_t0 = now_seconds();
  t->state = ST_PAUSED;  // connecting stopped it
  uint64_t pc;
  if (rsp_read_reg(t->rsp, PC_REG, &pc) >= 0)
    t->stop_pc = pc;
  do_reads(t, 1);
  t->note[0] = 0;
  t->state = ST_RUNNING;
  return resume(t);
}

void tgt_close(struct target *t) {
  if (t->rsp && t->rsp->fd >= 0 && t->state != ST_ENDED && !t->launched) {
    // Someone else's QEMU: leave it running, without our breakpoints.
    if (!tgt_is_stopped(t))
      interrupt(t);
    if (tgt_is_stopped(t)) {
      remove_poweroff(t);
      tgt_exit_bp(t, 0);
      want_phys(t, 0);
      char r[64];
      rsp_request(t->rsp, "D", r, sizeof r);  // detach: QEMU runs on
    }
  }
  if (t->rsp) {
    rsp_close(t->rsp);
    free(t->rsp);
    t->rsp = NULL;
  }
  if (t->launched) {
    qemu_kill(&t->qemu);
    qemu_free(&t->qemu);
    t->launched = 0;
  }
  if (t->shm_path[0])
    unlink(t->shm_path);
  if (t->ram)
    munmap(t->ram, t->ram_size);
  t->ram = NULL;
  if (t->elf)
    elfsym_close(t->elf);
  t->elf = NULL;
  srcmap_close(t->src);
  t->src = NULL;
  con_free(&t->con);
}

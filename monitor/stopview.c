// The "stopped at an exit" pane, shown in place of the guest registers
// while the target is paused: what a debugger front end (gdb-dashboard)
// shows at a stop, for both sides of the world switch.
//
//   stopped before exit #1235: ecall from VS-mode (cause 10)
//   exit: pc 80204a1c tval 0 htval 0 htinst 0: ecall
//   guest   guest_hello+0x40   guest_hello.c:41
//       80204a18  li a7, 0x10
//     > 80204a1c  ecall
//       80204a20  mv s1, a0
//   hyp     guest_exit+0x0     switch.S:60
//     > 80200500  csrrw a0, sscratch, a0
//       ...
//   changed since the last stop: pc a0 a6 a7
//
// The code comes from memory (or the image), the file:line from the
// image's DWARF line table (hostlib/srcmap). Tab shows the full registers.

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "hvlab/regs.h"
#include "monitor.h"
#include "rvdecode.h"

// Up to `before` instructions before pc, pc, and `after` after it, into
// at[]; returns how many and where pc is in *cur. Instructions have two
// lengths, so the ones before pc are found by walking from the start of
// the function that holds it.
static int code_around(struct target *t, uint64_t pc, int before, int after,
                       uint64_t *at, int *cur) {
  uint64_t off = 0, a;
  uint32_t bits;
  int n = 0;
  if (elfsym_func_at(t->elf, pc, &off) && off <= 4096) {
    uint64_t ring[8];
    int k = 0;
    for (a = pc - off; a < pc && tgt_insn(t, a, &bits) == 0;)
      ring[k++ % 8] = a, a += (uint64_t)rv_insn_len((uint16_t)bits);
    if (a == pc)  // the walk met pc: the ones before it are real
      for (int i = k > before ? k - before : 0; i < k; i++)
        at[n++] = ring[i % 8];
  }
  *cur = n;
  a = pc;
  for (int i = 0; i <= after && tgt_insn(t, a, &bits) == 0; i++) {
    at[n++] = a;
    a += (uint64_t)rv_insn_len((uint16_t)bits);
  }
  return n;
}

// A heading line for code at pc: function+offset and file:line.
static void where(struct target *t, int y, int w, const char *who,
                  uint64_t pc) {
  uint64_t off = 0;
  const char *f = elfsym_func_at(t->elf, pc, &off), *file = NULL, *fn = NULL;
  int line = 0;
  if (t->src)
    srcmap_lookup(t->src, pc, &fn, &file, &line);
  const char *base = file ? strrchr(file, '/') : NULL;
  char src[96] = "(no source line)";
  if (file)
    snprintf(src, sizeof src, "%s:%d", base ? base + 1 : file, line);
  tui_put(y, 0, w, A_BOLD, "%-6s %s+%#llx  %s%s%s", who, f ? f : "?",
          (unsigned long long)off, src, fn && f && strcmp(fn, f) ? "  in " : "",
          fn && f && strcmp(fn, f) ? fn : "");
}

// `lines` instructions around pc, pc marked: as many before it as after
// (one more before when odd: what led to it), fewer where the function
// starts, and more after then.
static int code_lines(struct target *t, int y, int w, uint64_t pc, int lines) {
  uint64_t at[16];
  int cur;
  if (lines > 8)
    lines = 8;
  int n = code_around(t, pc, lines - 1, lines - 1, at, &cur);
  int first = cur - lines / 2;
  if (first + lines > n)
    first = n - lines;
  if (first < 0)
    first = 0;
  int row = 0;
  for (int i = first; i < n && row < lines; i++, row++) {
    uint32_t bits;
    struct rv_insn in;
    tgt_insn(t, at[i], &bits);
    rv_decode(bits, at[i], &in);
    tui_put(y + row, 0, w, at[i] == pc ? tui_col(C_CUR) | A_BOLD : 0,
            "  %s %010llx  %s", at[i] == pc ? ">" : " ",
            (unsigned long long)at[i], in.text);
  }
  for (; row < lines; row++)
    tui_put(y + row, 0, w, 0, "%s", "");
  return lines;
}

void draw_stop(struct target *t, int y, int w, int h) {
  struct exits *e = &t->ex;
  int row = 0;
  uint64_t gpc, hpc = 0;
  char dec[80] = "";
  uint32_t bits;
  struct rv_insn in;
  if (t->at_exit_valid) {
    // At guest_exit: the trap has happened, the hypervisor has not yet
    // recorded it. Its record is the next in the trace.
    gpc = t->at_exit_pc;
    hpc = t->stop_pc;
    if (tgt_insn(t, gpc, &bits) == 0)
      rv_decode(bits, gpc, &in), snprintf(dec, sizeof dec, ": %s", in.text);
    tui_put(y + row++, 0, w, tui_col(C_HEAD) | A_BOLD | A_UNDERLINE,
            "stopped before exit #%llu: %s (cause %llu)",
            (unsigned long long)e->total + 1, cause_long(t->at_exit_cause),
            (unsigned long long)t->at_exit_cause);
    tui_put(y + row++, 0, w, 0,
            "exit: pc %llx tval %llx htval %llx htinst %llx%s",
            (unsigned long long)gpc, (unsigned long long)t->at_exit_tval,
            (unsigned long long)t->at_exit_htval,
            (unsigned long long)t->at_exit_htinst, dec);
  } else {
    // Paused anywhere: in the guest (V=1) or in the hypervisor.
    int in_guest = t->vmode == 1;
    gpc = in_guest ? t->stop_pc : t->vcpu.pc;
    hpc = in_guest ? 0 : t->stop_pc;
    tui_put(y + row++, 0, w, tui_col(C_HEAD) | A_BOLD | A_UNDERLINE,
            "paused %s at %llx (the last exit: #%llu)",
            in_guest ? "in the guest" : "in the hypervisor",
            (unsigned long long)t->stop_pc, (unsigned long long)e->total);
    if (e->log_len) {
      const struct exit_record *r =
          &e->log[(e->log_head + e->log_len - 1) % LOG_MAX].r;
      char args[96];
      tui_put(y + row++, 0, w, 0, "last exit: %s at %llx  %s",
              cause_short(r->cause), (unsigned long long)r->pc,
              rec_args(r, args, sizeof args));
    } else {
      tui_put(y + row++, 0, w, 0, "no exit read yet");
    }
  }
  int left = h - row - 1;  // the last line lists what changed
  int glines = hpc ? (left - 2) / 2 : left - 1;
  if (glines > 0) {
    where(t, y + row++, w, "guest", gpc);
    row += code_lines(t, y + row, w, gpc, glines);
  }
  if (hpc && h - row - 2 > 0) {
    where(t, y + row++, w, "hyp", hpc);
    row += code_lines(t, y + row, w, hpc, h - row - 1);
  }
  if (row < h) {
    char line[256];
    size_t k =
        (size_t)snprintf(line, sizeof line, "changed since the last stop:");
    if (t->vcpu_changed >> 32 & 1)
      k += (size_t)snprintf(line + k, sizeof line - k, " pc");
    for (int i = 1; i < 32 && k < sizeof line; i++)
      if (t->vcpu_changed >> i & 1)
        k +=
            (size_t)snprintf(line + k, sizeof line - k, " %s", hv_xreg_name(i));
    if (!t->vcpu_changed && k < sizeof line)
      snprintf(line + k, sizeof line - k, " nothing (Tab: all registers)");
    tui_put(y + row++, 0, w, t->vcpu_changed ? tui_col(C_CHANGED) : 0, "%s",
            line);
  }
  for (; row < h; row++)
    tui_put(y + row, 0, w, 0, "%s", "");
}

// The screen: an ncurses view of the target, redrawn after every refresh.
//
//   status line    stage, run state, V, refresh rate, gdb stub
//   exit table     kvm_stat style, sortable,    | hypervisor CSRs
//                  SBI calls drilled down (x)   |
//   exit log       the records read, decoded, scrollable
//   guest          registers from the vcpu struct, VS CSRs; while
//                  paused, the stop pane instead (stopview.c)
//   console        QEMU's serial output (the guest's and the hypervisor's)
//
// The layout is computed from the terminal size at every draw, so a
// resize (KEY_RESIZE, which ncurses turns SIGWINCH into) just redraws. At
// 80x24 the lower panes take turns (Tab); taller terminals show both. Nothing
// but this file writes to the terminal while the screen is up: QEMU's output
// comes through a pipe into struct console.

#include <curses.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hvlab/regs.h"
#include "monitor.h"
#include "rvdecode.h"

static int has_color;
static SCREEN *screen;

// The terminal as it was before the screen, for tui_emergency_exit.
static struct termios saved_tio;
static volatile sig_atomic_t screen_up;

int tui_start(void) {
  int have_tio = tcgetattr(0, &saved_tio) == 0;
  // newterm, not initscr: initscr prints its own message and exits when
  // the terminal type is unknown; newterm returns NULL and lets us say so.
  if (!(screen = newterm(NULL, stdout, stdin)))
    return -1;
  set_term(screen);
  screen_up = have_tio;
  cbreak();  // keys at once; Ctrl-C and Ctrl-\ still raise signals: our flags
  noecho();
  nodelay(stdscr, TRUE);
  keypad(stdscr, TRUE);
  curs_set(0);
  // Colours for a projector: text in the terminal's own foreground,
  // emphasis by bold and by solid backgrounds (black on yellow, white on
  // red or blue), never dark text on a dark background. NO_COLOR
  // (no-color.org) turns them off: bold and reverse video remain.
  const char *nc = getenv("NO_COLOR");
  if (has_colors() && !(nc && *nc)) {
    has_color = 1;
    start_color();
    use_default_colors();
    init_pair(C_HEAD, -1, -1);  // bold, in the terminal's colour
    init_pair(C_CHANGED, COLOR_BLACK, COLOR_YELLOW);
    init_pair(C_STATUS, COLOR_WHITE, COLOR_BLUE);
    init_pair(C_BAD, COLOR_WHITE, COLOR_RED);
    init_pair(C_DIM, -1, -1);
    init_pair(C_PROMPT, COLOR_BLACK, COLOR_YELLOW);
    init_pair(C_CUR, COLOR_BLACK, COLOR_CYAN);
  }
  return 0;
}

void tui_stop(void) {
  screen_up = 0;
  if (screen && !isendwin()) {
    curs_set(1);
    endwin();
  }
}

void tui_emergency_exit(void) {
  if (!screen_up)
    return;
  screen_up = 0;
  // Only async-signal-safe calls: no curses here. Attributes off, cursor
  // on, out of the alternate screen; then the terminal modes we found.
  static const char seq[] = "\033[0m\033[?25h\033[?1049l";
  if (write(1, seq, sizeof seq - 1) < 0) {
    // nothing to be done about it in a dying process
  }
  tcsetattr(0, TCSANOW, &saved_tio);
}

// Without colours each pair falls back on an attribute that means the
// same: reverse video for bars and highlights, bold for headings.
static attr_t col(int pair) {
  if (has_color)
    return COLOR_PAIR(pair);
  switch (pair) {
  case C_CHANGED:
  case C_STATUS:
  case C_BAD:
  case C_PROMPT:
  case C_CUR: return A_REVERSE;
  default: return 0;
  }
}
int tui_col(int pair) { return (int)col(pair); }

// Print at (y, x), cut to w columns, padded with blanks.
static void put(int y, int x, int w, attr_t a, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void put(int y, int x, int w, attr_t a, const char *fmt, ...) {
  if (w <= 0 || y < 0 || y >= LINES)
    return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (w > (int)sizeof buf - 1)
    w = (int)sizeof buf - 1;
  size_t n = strlen(buf);
  if ((int)n < w) {
    memset(buf + n, ' ', (size_t)w - n);
  }
  buf[w] = 0;
  attron(a);
  mvaddnstr(y, x, buf, w);
  attroff(a);
}

void tui_put(int y, int x, int w, int attr, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  put(y, x, w, (attr_t)attr, "%s", buf);
}

// ---- Panes ----------------------------------------------------------------------

static void draw_status(struct target *t, struct ui *u, int w) {
  char v[16] = "V=?";
  if (t->vmode >= 0)
    snprintf(v, sizeof v, "V=%d", t->vmode);
  char rate[48];
  if (t->ram)
    snprintf(rate, sizeof rate, "%.3g Hz, shm", 1.0 / u->interval);
  else
    snprintf(rate, sizeof rate, "%.3g Hz, %.1f ms/stop", 1.0 / u->interval,
             t->refresh_cost * 1e3);
  put(0, 0, w, col(C_STATUS) | A_BOLD,
      " hvlab monitor | stage %s | %s | %s | %s | gdb :%d%s | ? help",
      stage_str(t), t->state == ST_PAUSED ? "PAUSED" : state_name(t->state), v,
      rate, stub_port(the_stub), stub_attached(the_stub) ? " (attached)" : "");
}

static int sbi_cmp(const void *a, const void *b) {
  const struct sbi_count *x = a, *y = b;
  return x->n != y->n ? (x->n < y->n ? 1 : -1) : (x->eid < y->eid ? -1 : 1);
}

static void draw_table(struct target *t, struct ui *u, int y, int x, int w,
                       int h) {
  static const char *const by[] = {"total", "rate", "name"};
  struct exits *e = &t->ex;
  put(y, x, w, col(C_HEAD) | A_BOLD | A_UNDERLINE, "%-16s %11s %6s %9s",
      "exit reason", "total", "%", "rate/s");
  int idx[TRACE_NCOUNT];
  int n = exits_rows(e, u->sort, u->filtering ? &u->filter : NULL, idx,
                     TRACE_NCOUNT);
  uint64_t total = exits_shown_total(e);
  // The rows, with the SBI calls under "ecall VS" when drilled down (`x`).
  struct sbi_count sbi[SBI_ROWS];
  int nsbi = e->nsbi;
  memcpy(sbi, e->sbi, sizeof sbi);
  qsort(sbi, (size_t)nsbi, sizeof sbi[0], sbi_cmp);
  int rows = h - 3, row = 0, shown = 0;
  for (int i = 0; i < n && row < rows; i++, shown++) {
    uint64_t c = exits_shown(e, idx[i]);
    put(y + 1 + row++, x, w, 0, "%-16.16s %11llu %6.2f %9.0f",
        cause_short(cause_of_index(idx[i])), (unsigned long long)c,
        exits_percent(e, idx[i]), e->rate[idx[i]]);
    if (!u->drill || idx[i] != 10)
      continue;
    // Counted from the records read: exact while none were missed;
    // otherwise the records are a sample, and a row is its share of the
    // ecalls sampled times the exact ecall count ("~": an estimate).
    uint64_t sampled = 0;
    for (int k = 0; k < nsbi; k++)
      sampled += sbi[k].n;
    int exact = sampled == c;
    // As many as leave a row for each reason below it (at least three).
    int room = rows - row - (n - i - 1);
    for (int k = 0; k < nsbi && row < rows && k < (room > 3 ? room : 3); k++) {
      char name[48];
      double share = sampled ? (double)sbi[k].n / (double)sampled : 0;
      sbi_name(sbi[k].eid, sbi[k].fid, name, sizeof name);
      put(y + 1 + row++, x, w, 0, " %-15.15s %s%10.0f %6.2f", name,
          exact ? " " : "~", exact ? (double)sbi[k].n : share * (double)c,
          share * exits_percent(e, idx[i]));
    }
  }
  for (; row < rows; row++)
    put(y + 1 + row, x, w, 0, "%s", "");
  put(y + h - 2, x, w, A_BOLD, "%-16s %11llu %6.2f %9.0f",
      shown < n ? "total (more...)" : "total", (unsigned long long)total,
      total ? 100.0 : 0.0, e->rate_total);
  if (e->corrupt[0]) {
    put(y + h - 1, x, w, col(C_BAD) | A_BOLD, "CORRUPT TRACE: %s", e->corrupt);
    return;
  }
  put(y + h - 1, x, w, col(C_DIM), "sort:%s%s%s%s  missed: %llu", by[u->sort],
      u->filtering ? " filter:/" : "", u->filtering ? u->filter_text : "",
      u->filtering ? "/" : "",
      (unsigned long long)(e->missed - e->base_missed));
}

static void draw_csrs(struct target *t, int y, int x, int w, int h) {
  put(y, x, w, col(C_HEAD) | A_BOLD | A_UNDERLINE, "hypervisor CSRs%s",
      t->csr_t > 0 ? (t->vmode == 1 ? " (V=1: * from vcpu.exit)" : "")
                   : " (not read yet)");
  int row = 1;
  for (int i = 0; i < t->ncsr && row < h; i++) {
    struct csr_view *c = &t->csr[i];
    if (!strncmp(c->name, "vs", 2))
      continue;  // the guest pane shows those
    attr_t a = c->changed ? col(C_CHANGED) | A_BOLD : 0;
    if (!c->valid) {
      put(y + row++, x, w, col(C_DIM), "%-10s %s", c->name,
          c->reg < 0 ? "(not in the gdbstub)" : "not read yet");
      continue;
    }
    const char *star = c->stale ? "*" : "";
    if (!strcmp(c->name, "hgatp")) {
      static const char *const mode[16] = {
          [0] = "Bare", [8] = "Sv39x4", [9] = "Sv48x4", [10] = "Sv57x4"};
      const char *m = mode[c->val >> 60];
      put(y + row++, x, w, a, "%-10s %016llx %s", c->name,
          (unsigned long long)c->val, m ? m : "?");
    } else {
      put(y + row++, x, w, a, "%-10s %016llx%s", c->name,
          (unsigned long long)c->val, star);
    }
    if (!strcmp(c->name, "hstatus") && row < h) {
      // The bits, wrapped to the pane; set ones bold, clear ones plain.
      char bits[128];
      hstatus_bits(c->val, bits, sizeof bits);
      int cx = 1;
      move(y + row, x);
      clrtoeol();
      for (char *tok = strtok(bits, " "); tok; tok = strtok(NULL, " ")) {
        int len = (int)strlen(tok);
        if (cx + len + 1 > w) {
          if (++row >= h)
            break;
          cx = 1;
        }
        int set = tok[0] != '-';
        attr_t ba = set ? A_BOLD : 0;
        attron(ba);
        mvaddnstr(y + row, x + cx, set ? tok : tok + 1, len - !set);
        attroff(ba);
        cx += len + 1;
      }
      row++;
    }
  }
  for (; row < h; row++)
    put(y + row, x, w, 0, "%s", "");
}

// The log: the records that pass the filter, newest at the bottom, or
// scrolled back (PgUp/PgDn, Up/Down; End follows the newest again).
static void draw_log(struct target *t, struct ui *u, int y, int w, int h) {
  struct exits *e = &t->ex;
  int rows = h - 1;
  static int want[LOG_MAX];
  int n = 0;
  for (int i = 0; i < e->log_len; i++) {
    const struct exit_record *r = &e->log[(e->log_head + i) % LOG_MAX].r;
    if (!u->filtering || cause_matches(&u->filter, r->cause))
      want[n++] = i;
  }
  if (u->log_back > n - rows)
    u->log_back = n - rows > 0 ? n - rows : 0;
  put(y, 0, w, col(C_HEAD) | A_BOLD | A_UNDERLINE,
      "%8s %8s %4s %-12s %-10s %-18s %s", "exit #", "time", "vCPU", "reason",
      "guest pc", "instruction",
      u->log_back ? "arguments  (scrolled: End for the newest)" : "arguments");
  int top = n - rows - u->log_back;  // want[] index of the first row
  for (int k = 0; k < rows; k++) {
    int yy = y + 1 + k, j = top + k;
    if (j < 0 || j >= n) {
      put(yy, 0, w, 0, "%s", "");
      continue;
    }
    const struct mon_rec *m = &e->log[(e->log_head + want[j]) % LOG_MAX];
    uint32_t bits;
    struct rv_insn in;
    const char *text = "?";
    if (tgt_insn(t, m->r.pc, &bits) == 0) {
      rv_decode(bits, m->r.pc, &in);
      text = in.text;
    }
    // The vCPU: "-" when the trace is too old to say, "?" for nonsense
    // (stage 3's guest can write over the trace).
    char args[96], hart[8] = "-";
    rec_args(&m->r, args, sizeof args);
    if (m->r.hart < 1000)
      snprintf(hart, sizeof hart, "%llu", (unsigned long long)m->r.hart);
    else if (m->r.hart != REC_NO_HART)
      snprintf(hart, sizeof hart, "?");
    put(yy, 0, w, 0, "%8llu %8.3f %4s %-12.12s %010llx %-18.18s %s",
        (unsigned long long)m->r.seq, m->when - t->refresh_t0, hart,
        cause_short(m->r.cause), (unsigned long long)m->r.pc, text, args);
  }
}

static void draw_guest(struct target *t, int y, int w, int h) {
  const struct vcpu_view *v = &t->vcpu;
  put(y, 0, w, col(C_HEAD) | A_BOLD | A_UNDERLINE, "guest registers %s",
      !t->vcpu_valid     ? (t->layout.ok ? "(not read yet)"
                                         : "(no struct vcpu in the debug info)")
      : t->regs_from_cpu ? "(live in the CPU: stopped at guest_exit)"
                         : "(vcpu struct: as of the last exit)");
  if (!t->vcpu_valid) {
    for (int r = 1; r < h; r++)
      put(y + r, 0, w, 0, "%s", "");
    return;
  }
  // pc first, then x1..x31: 32 cells, filled column by column, so that
  // each column takes the width of its longest name. A cell is the name
  // (right-aligned), a blank and 16 digits; a blank separates columns.
  // At 80 columns that is 4 columns of 8 (pc..t2, s0..a5, a6..s7,
  // s8..t6): 19 + 19 + 19 + 20 columns and three blanks, exactly 80.
  int per, rows, namew[32];
  for (per = w / 19 < 32 ? w / 19 : 32; per > 1; per--) {
    rows = (32 + per - 1) / per;
    int width = -1;
    for (int c = 0; c < per; c++) {
      namew[c] = 2;
      for (int i = c * rows; i < (c + 1) * rows && i < 32; i++)
        if (i > 0 && (int)strlen(hv_xreg_name(i)) > namew[c])
          namew[c] = (int)strlen(hv_xreg_name(i));
      width += namew[c] + 1 + 16 + 1;
    }
    if (width <= w)
      break;
  }
  if (per < 1)
    per = 1;
  rows = (32 + per - 1) / per;
  if (per == 1)
    namew[0] = 3;
  for (int r = 0; r < rows && 1 + r < h; r++) {
    int yy = y + 1 + r, x = 0;
    move(yy, 0);
    clrtoeol();
    for (int c = 0; c < per; c++) {
      int i = c * rows + r;  // pc, then x1..x31
      if (i >= 32)
        break;
      uint64_t val = i == 0 ? v->pc : v->x[i];
      int changed = (t->vcpu_changed >> (i == 0 ? 32 : i)) & 1;
      attr_t a = changed ? col(C_CHANGED) | A_BOLD : 0;
      attron(A_BOLD);
      mvprintw(yy, x, "%*s", namew[c], i == 0 ? "pc" : hv_xreg_name(i));
      attroff(A_BOLD);
      mvaddch(yy, x + namew[c], ' ');
      attron(a);
      mvprintw(yy, x + namew[c] + 1, "%016llx", (unsigned long long)val);
      attroff(a);
      x += namew[c] + 1 + 16 + 1;
    }
  }
  int row = 1 + rows;
  // The VS CSRs: the hardware's (read at stops), not the struct's copy,
  // which stage 3 saves only when a guest stops.
  char line[256] = "";
  size_t k = 0;
  for (int i = 0; i < t->ncsr && k < sizeof line; i++)
    if (!strncmp(t->csr[i].name, "vs", 2) && t->csr[i].valid)
      k += (size_t)snprintf(line + k, sizeof line - k, "%s %llx  ",
                            t->csr[i].name, (unsigned long long)t->csr[i].val);
  if (row < h)
    put(y + row++, 0, w, 0, "%s", line);
  if (row < h)
    put(y + row++, 0, w, 0, "exit: cause %llu pc %llx tval %llx htval %llx",
        (unsigned long long)v->exit.cause, (unsigned long long)v->exit.pc,
        (unsigned long long)v->exit.tval, (unsigned long long)v->exit.htval);
  for (; row < h; row++)
    put(y + row, 0, w, 0, "%s", "");
}

static void draw_console(struct target *t, int y, int w, int h) {
  put(y, 0, w, col(C_HEAD) | A_BOLD | A_UNDERLINE, "console %s",
      t->launched ? "(QEMU's serial port)"
                  : "(QEMU was started elsewhere: its console is there)");
  int rows = h - 1, n = t->con.n;
  for (int k = 0; k < rows; k++) {
    int i = n - rows + k;
    put(y + 1 + k, 0, w, 0, "%s", i >= 0 ? con_line(&t->con, i) : "");
  }
}

static void draw_help(int w, int h) {
  static const char *const lines[] = {
      "keys",
      "  space   pause / resume the guest",
      "  n       run to the next VM exit (and the next, one per press)",
      "  b       break on an exit reason: a number or a name",
      "  f       filter table and log by a regex (e.g. ecall|break)",
      "  c       clear the filter",
      "  x       drill down: SBI calls under \"ecall VS\"",
      "  o       sort the table: total, rate, name",
      "  s       set the refresh interval (seconds)",
      "  r       reset the counters (the monitor's baseline only)",
      "  PgUp/PgDn, Up/Down   scroll the exit log; End: newest",
      "  Tab     stop / registers / console, when not all fit",
      "  q       quit (QEMU started by the monitor ends with it)",
      "",
      "gdb: gdb-multiarch build/stepN/hv.elf -ex 'target remote :PORT'",
      "(PORT is in the status line). Any key closes this help.",
  };
  int n = (int)(sizeof lines / sizeof lines[0]);
  int bw = 70 < w - 2 ? 70 : w - 2, bh = n + 2 < h ? n + 2 : h;
  int y0 = (h - bh) / 2, x0 = (w - bw) / 2;
  for (int i = 0; i < bh; i++)
    put(y0 + i, x0, bw, A_REVERSE, " %s",
        i >= 1 && i - 1 < n ? lines[i - 1] : "");
}

static void draw_prompt(struct target *t, struct ui *u, int y, int w) {
  static const char *const ask[] = {
      [P_BREAK] = "break on exit reason (e.g. 10, ecall VS, breakpoint): ",
      [P_FILTER] = "filter reasons by regex (empty: all): ",
      [P_INTERVAL] = "refresh interval in seconds (0.01 to 10): ",
  };
  if (u->prompt != P_PICK) {
    put(y, 0, w, col(C_PROMPT), "%s%s_", ask[u->prompt], u->input);
    return;
  }
  char line[256];
  size_t k =
      (size_t)snprintf(line, sizeof line, "'%s' is ambiguous:", u->input);
  for (int i = 0; i < u->npick && k < sizeof line; i++)
    k += (size_t)snprintf(line + k, sizeof line - k, " %d:%s", i + 1,
                          cause_short(cause_of_index(u->pick[i])));
  if (k < sizeof line)
    snprintf(line + k, sizeof line - k, " (Esc: none)");
  (void)t;
  put(y, 0, w, col(C_PROMPT), "%s", line);
}

// Is the target stopped where the stop pane has something to say?
static int at_a_stop(const struct target *t) {
  return t->state == ST_PAUSED && t->stop_pc;
}

void tui_draw(struct target *t, struct ui *u) {
  int w = COLS, h = LINES;
  erase();
  if (w < 40 || h < 12) {
    put(0, 0, w, A_BOLD, "terminal too small (%dx%d): need 80x24", w, h);
    refresh();
    return;
  }
  draw_status(t, u, w);

  // Rows between the status line and the message line.
  int avail = h - 2;
  int top = 9 + (h > 30 ? (h - 30) / 3 : 0);
  if (top > 18)
    top = 18;
  int rest = avail - top;
  int guest_h = 11, log_h, con_h = 0;
  // Which of the lower panes: at a stop, the stop pane takes the place of
  // the registers (Tab: registers, then console).
  int lower = u->bottom;
  if (rest >= guest_h + 6 + 5) {  // everything fits
    log_h = (rest - guest_h) / 2;
    con_h = rest - guest_h - log_h;
    if (lower == 1)
      lower = 0;
  } else if (lower != 1) {
    guest_h = rest - 4 < 11 ? rest - 4 : 11;
    log_h = rest - guest_h;
  } else {
    guest_h = 0;
    con_h = rest / 2;
    log_h = rest - con_h;
  }
  int tw = w >= 100 ? 52 : 46;
  draw_table(t, u, 1, 0, tw, top);
  draw_csrs(t, 1, tw + 1, w - tw - 1, top);
  int y = 1 + top;
  draw_log(t, u, y, w, log_h);
  y += log_h;
  if (guest_h > 0) {
    if (at_a_stop(t) && lower == 0)
      draw_stop(t, y, w, guest_h);
    else
      draw_guest(t, y, w, guest_h);
    y += guest_h;
  }
  if (con_h > 0)
    draw_console(t, y, w, con_h);

  // The bottom line: a prompt, the end, a recent message, or the keys.
  if (u->prompt) {
    draw_prompt(t, u, h - 1, w);
  } else if (t->state == ST_ENDED) {
    put(h - 1, 0, w, col(C_BAD) | A_BOLD, "%s -- q quits", t->ended_why);
  } else if (t->note[0] && now_seconds() - t->note_t < 5) {
    put(h - 1, 0, w, A_BOLD, "%s", t->note);
  } else {
    put(h - 1, 0, w, 0, "%s",
        "space pause  n next exit  b break  f filter  x SBI  o sort  "
        "? help  q quit");
  }
  if (u->show_help)
    draw_help(w, h);
  refresh();
}

// ---- Keys ---------------------------------------------------------------------

static void end_prompt(struct ui *u) {
  u->prompt = P_NONE;
  u->input[0] = 0;
  u->inlen = 0;
  u->npick = 0;
}

static void set_filter(struct target *t, struct ui *u, const char *re) {
  if (u->filtering)
    regfree(&u->filter);
  u->filtering = 0;
  u->filter_text[0] = 0;
  if (!*re)
    return;
  int err = regcomp(&u->filter, re, REG_EXTENDED | REG_ICASE | REG_NOSUB);
  if (err) {
    char msg[96];
    regerror(err, &u->filter, msg, sizeof msg);
    regfree(&u->filter);
    tgt_note(t, "filter /%s/: %s", re, msg);
    return;
  }
  u->filtering = 1;
  snprintf(u->filter_text, sizeof u->filter_text, "%s", re);
  u->log_back = 0;
}

static void finish_prompt(struct target *t, struct ui *u) {
  switch (u->prompt) {
  case P_FILTER: set_filter(t, u, u->input); break;
  case P_INTERVAL: {
    char *end;
    double v = strtod(u->input, &end);
    if (end == u->input || *end || !(v >= 0.01 && v <= 10))
      tgt_note(t, "'%s': the interval is 0.01 to 10 seconds", u->input);
    else
      u->interval = v;
    break;
  }
  case P_BREAK: {
    int n, idx = cause_parse(u->input, u->pick, 9, &n);
    if (idx == -2) {
      u->npick = n < 9 ? n : 9;
      u->prompt = P_PICK;  // the user chooses; input stays for the line
      return;
    }
    if (idx < 0)
      tgt_note(t, "no exit reason matches '%s'", u->input);
    else
      tgt_break_on(t, idx);
    break;
  }
  default: break;
  }
  end_prompt(u);
}

static int prompt_key(struct target *t, struct ui *u, int key) {
  if (key == 27) {
    end_prompt(u);
  } else if (u->prompt == P_PICK) {
    if (key >= '1' && key < '1' + u->npick) {
      int idx = u->pick[key - '1'];
      end_prompt(u);
      tgt_break_on(t, idx);
    }
  } else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
    finish_prompt(t, u);
  } else if ((key == KEY_BACKSPACE || key == 127 || key == 8) && u->inlen) {
    u->input[--u->inlen] = 0;
  } else if (key >= ' ' && key <= '~' && u->inlen + 1 < sizeof u->input) {
    u->input[u->inlen++] = (char)key;
    u->input[u->inlen] = 0;
  }
  return 1;
}

int tui_key(struct target *t, struct ui *u, int key) {
  if (key == KEY_RESIZE)
    return 1;
  if (u->prompt)
    return prompt_key(t, u, key);
  if (u->show_help) {
    u->show_help = 0;
    return 1;
  }
  switch (key) {
  case 'q':
  case 'Q': u->quit = 1; break;
  case ' ':
    if (t->state == ST_PAUSED)
      tgt_resume(t);
    else if (t->state == ST_GDB_STOPPED || t->state == ST_GDB_RUNNING)
      tgt_note(t, "gdb has the target: use gdb");
    else
      tgt_pause(t);
    break;
  case 'n': tgt_next_exit(t); break;
  case 'b': u->prompt = P_BREAK; break;
  case 'f': u->prompt = P_FILTER; break;
  case 's': u->prompt = P_INTERVAL; break;
  case 'c':
    set_filter(t, u, "");
    tgt_note(t, "filter cleared");
    break;
  case 'x': u->drill = !u->drill; break;
  case 'o': u->sort = (enum sort_by)((u->sort + 1) % SORT_N); break;
  case 'r':
    exits_reset(&t->ex);
    tgt_note(t, "counters reset (the monitor's baseline)");
    break;
  case KEY_PPAGE: u->log_back += 10; break;
  case KEY_NPAGE: u->log_back = u->log_back > 10 ? u->log_back - 10 : 0; break;
  case KEY_UP: u->log_back++; break;
  case KEY_DOWN: u->log_back -= u->log_back > 0; break;
  case KEY_END: u->log_back = 0; break;
  case '\t': u->bottom = (u->bottom + 1) % 3; break;
  case '?':
  case 'h': u->show_help = 1; break;
  default: return 0;
  }
  return 1;
}

// ---- The terminal type ------------------------------------------------------------
// Last in the file: term.h defines hundreds of macros (lines, columns, ...).
#include <term.h>

int tui_check_term(char *why, size_t n) {
  const char *term = getenv("TERM");
  int err = 0;
  // setupterm only reads the terminfo entry: it sends nothing.
  if (!term || !*term || setupterm(NULL, 1, &err) != OK) {
    snprintf(why, n,
             "TERM=%s is not a terminal type this system knows "
             "(try TERM=xterm-256color, or --batch)",
             term ? term : "");
    return -1;
  }
  // A terminal type without cursor movement (TERM=dumb, a pipe's
  // emacs buffer) would get a blank or garbled screen: say so instead.
  int can = cursor_address != NULL && clear_screen != NULL;
  del_curterm(set_curterm(NULL));  // newterm makes its own
  if (!can) {
    snprintf(why, n,
             "TERM=%s cannot move the cursor, so it cannot show a screen "
             "(use a terminal such as TERM=xterm-256color, or --batch)",
             term);
    return -1;
  }
  return 0;
}

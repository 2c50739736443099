// The screen: an ncurses view of the target, redrawn after every refresh.
//
//   status line    stage, run state, V, refresh rate, gdb stub
//   exit table     kvm_stat style, sortable     | hypervisor CSRs
//   exit log       the newest records, decoded
//   guest          registers from the vcpu struct, VS CSRs
//   console        QEMU's serial output (the guest's and the hypervisor's)
//
// The layout is computed from the terminal size at every draw, so a
// resize (KEY_RESIZE, which ncurses turns SIGWINCH into) just redraws. At
// 80x24 the guest and console panes take turns (Tab); taller terminals
// show both. Nothing but this file writes to the terminal while the
// screen is up: QEMU's output comes through a pipe into struct console.

#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"
#include "rvdecode.h"

enum { C_HEAD = 1, C_CHANGED, C_STATUS, C_BAD, C_DIM, C_PROMPT };

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
  if (has_colors()) {
    has_color = 1;
    start_color();
    use_default_colors();
    init_pair(C_HEAD, COLOR_CYAN, -1);
    init_pair(C_CHANGED, COLOR_YELLOW, -1);
    init_pair(C_STATUS, COLOR_BLACK, COLOR_CYAN);
    init_pair(C_BAD, COLOR_RED, -1);
    init_pair(C_DIM, COLOR_BLUE, -1);
    init_pair(C_PROMPT, COLOR_BLACK, COLOR_YELLOW);
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

static attr_t col(int pair) { return has_color ? COLOR_PAIR(pair) : 0; }

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

// ---- Panes ----------------------------------------------------------------------

static void draw_status(struct target *t, struct ui *u, int w) {
  char v[16] = "V=?";
  if (t->vmode >= 0)
    snprintf(v, sizeof v, "V=%d", t->vmode);
  char rate[48];
  if (t->ram)
    snprintf(rate, sizeof rate, "%.0f Hz, shm", 1.0 / u->interval);
  else
    snprintf(rate, sizeof rate, "%.0f Hz, %.1f ms/stop", 1.0 / u->interval,
             t->refresh_cost * 1e3);
  put(0, 0, w, col(C_STATUS) | A_BOLD,
      " hvlab monitor | stage %d | %s | %s | %s | gdb :%d%s | ? help", t->stage,
      t->state == ST_PAUSED ? "PAUSED" : state_name(t->state), v, rate,
      stub_port(the_stub), stub_attached(the_stub) ? " (attached)" : "");
}

static void draw_table(struct target *t, struct ui *u, int y, int x, int w,
                       int h) {
  static const char *const by[] = {"total", "rate", "name"};
  struct exits *e = &t->ex;
  put(y, x, w, col(C_HEAD) | A_BOLD, "%-16s %11s %6s %9s", "exit reason",
      "total", "%", "rate/s");
  int idx[TRACE_NCOUNT];
  int n = exits_rows(e, u->sort, u->filter, idx, TRACE_NCOUNT);
  uint64_t total = exits_shown_total(e);
  int rows = h - 3;  // heading, total, and the sort/missed line
  for (int i = 0; i < rows; i++) {
    if (i >= n) {
      put(y + 1 + i, x, w, 0, "%s", "");
      continue;
    }
    uint64_t c = exits_shown(e, idx[i]);
    put(y + 1 + i, x, w, 0, "%-16.16s %11llu %6.2f %9.0f",
        cause_short(cause_of_index(idx[i])), (unsigned long long)c,
        total ? 100.0 * (double)c / (double)total : 0.0, e->rate[idx[i]]);
  }
  put(y + h - 2, x, w, A_BOLD, "%-16s %11llu %6.2f %9.0f",
      n > rows ? "total (more...)" : "total", (unsigned long long)total,
      total ? 100.0 : 0.0, e->rate_total);
  put(y + h - 1, x, w, col(C_DIM), "sort:%s%s%s  missed from log: %llu",
      by[u->sort], u->filter >= 0 ? " filter:" : "",
      u->filter >= 0 ? cause_short(cause_of_index(u->filter)) : "",
      (unsigned long long)(e->missed - e->base_missed));
}

static void draw_csrs(struct target *t, int y, int x, int w, int h) {
  put(y, x, w, col(C_HEAD) | A_BOLD, "hypervisor CSRs%s",
      t->csr_t > 0 ? "" : " (not read yet)");
  int row = 1;
  for (int i = 0; i < t->ncsr && row < h; i++) {
    struct csr_view *c = &t->csr[i];
    if (!strncmp(c->name, "vs", 2))
      continue;  // the guest pane shows those
    attr_t a = c->changed ? col(C_CHANGED) | A_BOLD : 0;
    if (!c->valid) {
      put(y + row++, x, w, col(C_DIM), "%-10s (unavailable)", c->name);
      continue;
    }
    if (!strcmp(c->name, "hgatp")) {
      static const char *const mode[16] = {
          [0] = "Bare", [8] = "Sv39x4", [9] = "Sv48x4", [10] = "Sv57x4"};
      const char *m = mode[c->val >> 60];
      put(y + row++, x, w, a, "%-10s %016llx %s", c->name,
          (unsigned long long)c->val, m ? m : "?");
    } else {
      put(y + row++, x, w, a, "%-10s %016llx", c->name,
          (unsigned long long)c->val);
    }
    if (!strcmp(c->name, "hstatus") && row < h) {
      // The bits, wrapped to the pane; set ones bright, clear ones dim.
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
        attr_t ba = set ? A_BOLD : col(C_DIM);
        if (c->changed && ((c->val ^ c->old) != 0))
          ba |= set ? col(C_CHANGED) : 0;
        attron(ba);
        mvaddnstr(y + row, x + cx, set ? tok : tok + 1, len);
        attroff(ba);
        cx += len + 1;
      }
      row++;
    }
  }
  for (; row < h; row++)
    put(y + row, x, w, 0, "%s", "");
}

static void draw_log(struct target *t, struct ui *u, int y, int w, int h) {
  struct exits *e = &t->ex;
  put(y, 0, w, col(C_HEAD) | A_BOLD, "%8s %-14s %-10s %-24s %s", "time", "exit",
      "guest pc", "instruction", "arguments");
  // The newest h-1 records that pass the filter, oldest at the top.
  int rows = h - 1, want[256], n = 0;
  for (int i = e->log_len - 1; i >= 0 && n < rows && n < 256; i--) {
    const struct exit_record *r = &e->log[(e->log_head + i) % LOG_MAX].r;
    if (u->filter < 0 || (int)trace_index(r->cause) == u->filter)
      want[n++] = i;
  }
  for (int k = 0; k < rows; k++) {
    int yy = y + 1 + k;
    int j = n - rows + k;  // bottom-aligned
    if (j < 0) {
      put(yy, 0, w, 0, "%s", "");
      continue;
    }
    const struct mon_rec *m =
        &e->log[(e->log_head + want[n - 1 - j]) % LOG_MAX];
    uint32_t bits;
    struct rv_insn in;
    const char *text = "?";
    if (tgt_insn(t, m->r.pc, &bits) == 0) {
      rv_decode(bits, m->r.pc, &in);
      text = in.text;
    }
    char args[96];
    rec_args(&m->r, args, sizeof args);
    put(yy, 0, w, 0, "%8.3f %-14.14s %010llx %-24.24s %s",
        m->when - t->refresh_t0, cause_short(m->r.cause),
        (unsigned long long)m->r.pc, text, args);
  }
}

static const char *const abi[32] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

static void draw_guest(struct target *t, int y, int w, int h) {
  const struct vcpu *v = &t->vcpu;
  put(y, 0, w, col(C_HEAD) | A_BOLD, "guest registers %s",
      !t->vcpu_valid     ? "(no vcpu symbol)"
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
        if (i > 0 && (int)strlen(abi[i]) > namew[c])
          namew[c] = (int)strlen(abi[i]);
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
      attron(col(C_HEAD));
      mvprintw(yy, x, "%*s", namew[c], i == 0 ? "pc" : abi[i]);
      attroff(col(C_HEAD));
      attron(a);
      mvprintw(yy, x + namew[c], " %016llx", (unsigned long long)val);
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
    put(y + row++, 0, w, col(C_DIM), "%s", line);
  if (row < h)
    put(y + row++, 0, w, col(C_DIM),
        "exit: cause %llu pc %llx tval %llx htval %llx",
        (unsigned long long)v->exit.cause, (unsigned long long)v->exit.pc,
        (unsigned long long)v->exit.tval, (unsigned long long)v->exit.htval);
  for (; row < h; row++)
    put(y + row, 0, w, 0, "%s", "");
}

static void draw_console(struct target *t, int y, int w, int h) {
  put(y, 0, w, col(C_HEAD) | A_BOLD, "console %s",
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
      "  n       run to the next VM exit (breakpoint on guest_exit)",
      "  b       break on an exit reason: type a number or a name",
      "  f       filter the log and the table by reason (empty: all)",
      "  s       sort the table: total, rate, name",
      "  r       reset the counters (the monitor's baseline only)",
      "  + / -   refresh faster / slower",
      "  Tab     guest registers / console, when only one fits",
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
  if (rest >= guest_h + 6 + 5) {  // everything fits
    log_h = (rest - guest_h) / 2;
    con_h = rest - guest_h - log_h;
  } else if (u->bottom == 0) {
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
    draw_guest(t, y, w, guest_h);
    y += guest_h;
  }
  if (con_h > 0)
    draw_console(t, y, w, con_h);

  // The bottom line: a prompt, or what just happened.
  if (u->prompt[0]) {
    put(h - 1, 0, w, col(C_PROMPT), "%s%s_", u->prompt, u->input);
  } else if (t->state == ST_ENDED) {
    put(h - 1, 0, w, col(C_BAD) | A_BOLD, "%s -- q quits", t->ended_why);
  } else {
    put(h - 1, 0, w, col(C_DIM), "%s",
        t->note[0] ? t->note
                   : "space pause  n next exit  b break  f filter  s sort  "
                     "r reset  +/- rate  ? help  q quit");
  }
  if (u->show_help)
    draw_help(w, h);
  refresh();
}

// ---- Keys ---------------------------------------------------------------------

static void finish_prompt(struct target *t, struct ui *u) {
  int idx = cause_parse(u->input);
  int is_break = u->prompt[0] == 'b';
  if (!is_break) {
    u->filter = u->input[0] ? idx : -1;
    if (u->input[0] && idx < 0)
      snprintf(t->note, sizeof t->note, "no exit reason matches '%s'",
               u->input);
  } else if (idx < 0) {
    snprintf(t->note, sizeof t->note, "no exit reason matches '%s'", u->input);
  } else {
    tgt_break_on(t, idx);
  }
  u->prompt[0] = 0;
  u->input[0] = 0;
  u->inlen = 0;
}

int tui_key(struct target *t, struct ui *u, int key) {
  if (key == KEY_RESIZE)
    return 1;
  if (u->prompt[0]) {  // reading a line
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
      finish_prompt(t, u);
    } else if (key == 27) {
      u->prompt[0] = 0;
      u->input[0] = 0;
      u->inlen = 0;
    } else if ((key == KEY_BACKSPACE || key == 127 || key == 8) && u->inlen) {
      u->input[--u->inlen] = 0;
    } else if (key >= ' ' && key <= '~' && u->inlen + 1 < sizeof u->input) {
      u->input[u->inlen++] = (char)key;
      u->input[u->inlen] = 0;
    }
    return 1;
  }
  if (u->show_help) {
    u->show_help = 0;
    return 1;
  }
  static const double steps[] = {0.02, 0.05, 0.1, 0.2, 0.5, 1, 2};
  int ns = (int)(sizeof steps / sizeof steps[0]), cur = 0;
  for (int i = 0; i < ns; i++)
    if (u->interval >= steps[i] - 1e-9)
      cur = i;
  switch (key) {
  case 'q':
  case 'Q': u->quit = 1; break;
  case ' ':
    if (t->state == ST_PAUSED)
      tgt_resume(t);
    else if (t->state == ST_GDB_STOPPED || t->state == ST_GDB_RUNNING)
      snprintf(t->note, sizeof t->note, "gdb has the target: use gdb");
    else
      tgt_pause(t);
    break;
  case 'n': tgt_next_exit(t); break;
  case 'b':
    snprintf(u->prompt, sizeof u->prompt,
             "break on exit reason (e.g. 10, ecall, guest-page): ");
    break;
  case 'f':
    snprintf(u->prompt, sizeof u->prompt, "filter by reason (empty: all): ");
    break;
  case 's': u->sort = (enum sort_by)((u->sort + 1) % SORT_N); break;
  case 'r':
    exits_reset(&t->ex);
    snprintf(t->note, sizeof t->note,
             "counters reset (the monitor's baseline)");
    break;
  case '+':
  case '=': u->interval = steps[cur > 0 ? cur - 1 : 0]; break;
  case '-': u->interval = steps[cur < ns - 1 ? cur + 1 : ns - 1]; break;
  case '\t': u->bottom = !u->bottom; break;
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
  del_curterm(set_curterm(NULL));  // newterm makes its own
  return 0;
}

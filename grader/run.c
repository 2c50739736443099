// Running one test: boot QEMU, collect the console, judge the run.
//
// Tests run in parallel threads, each with its own QEMU. Two things make
// that harder than it looks:
//
//  - fork() copies every file descriptor of every thread. If QEMU B
//    inherited test A's console pipe, A would never see end-of-file and
//    would "time out" for no fault of its own. Every descriptor the grader
//    holds while other threads fork is therefore close-on-exec from the
//    moment it exists: hostlib's pipes, sockets and ELF files are made so
//    (pipe2 O_CLOEXEC, SOCK_CLOEXEC, O_CLOEXEC), and so are the transcripts
//    written here ("we"). No lock around fork is needed for that.
//
//  - A test can block in places that have no deadline of their own (a
//    QEMU that closed its output but will not exit, a gdbstub that went
//    quiet). A watchdog thread therefore kills every QEMU that outlives
//    its deadline, whatever its test is doing; the test then wakes up.
//    It kills by process group id, which is the QEMU's pid: so a QEMU
//    leaves the watchdog's table before it is reaped (proc.h's on_end),
//    while that pid cannot yet belong to another process -- say, another
//    test's new QEMU.

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "grade.h"
#include "hvlab/layout.h"
#include "hvlab/status.h"
#include "qemu.h"
#include "tasks.h"

// ---- Live QEMUs and the watchdog ----------------------------------------------------

// A QEMU's deadline plus WATCHDOG_GRACE (grade.h) is when the watchdog
// steps in. qemu_pump enforces the deadline itself whenever it runs; the
// grace keeps the two from racing in the ordinary case.
#define MAX_LIVE 256

// Every pid here is unreaped (running, or a zombie), so kill(-pid) can
// only reach that QEMU's own process group. All access is under live_mu.
static struct live {
  pid_t pid;  // 0: a free slot
  double deadline;
  int killed;
} live[MAX_LIVE];
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;

static void live_add(pid_t pid, double deadline) {
  pthread_mutex_lock(&live_mu);
  for (int i = 0; i < MAX_LIVE; i++)
    if (live[i].pid == 0) {
      live[i].deadline = deadline;
      live[i].killed = 0;
      live[i].pid = pid;
      break;
    }
  pthread_mutex_unlock(&live_mu);
}

// proc's on_end: the QEMU has ended and is about to be reaped. Forget it
// now, and if it was the watchdog that ended it, say so.
static void live_end(struct proc *p, void *arg) {
  (void)arg;
  int killed = 0;
  pthread_mutex_lock(&live_mu);
  for (int i = 0; i < MAX_LIVE; i++)
    if (live[i].pid == p->pid) {
      killed |= live[i].killed;
      live[i].pid = 0;
    }
  pthread_mutex_unlock(&live_mu);
  if (killed)
    p->timed_out = 1;  // the watchdog's doing, not a crash
}

static void *watchdog(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    double now = now_seconds();
    pthread_mutex_lock(&live_mu);
    for (int i = 0; i < MAX_LIVE; i++)
      if (live[i].pid > 0 && live[i].deadline > 0 && !live[i].killed &&
          now > live[i].deadline + WATCHDOG_GRACE) {
        kill(-live[i].pid, SIGKILL);  // the whole group: QEMU and children
        live[i].killed = 1;
      }
    pthread_mutex_unlock(&live_mu);
  }
  return NULL;
}

void live_init(void) {
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 64 * 1024);
  if (pthread_create(&t, &a, watchdog, NULL) != 0)
    fprintf(stderr, "grade: warning: no watchdog thread\n");
  pthread_attr_destroy(&a);
}

void live_kill_all(void) {
  pthread_mutex_lock(&live_mu);
  for (int i = 0; i < MAX_LIVE; i++)
    if (live[i].pid > 0) {
      kill(-live[i].pid, SIGKILL);
      live[i].killed = 1;
    }
  pthread_mutex_unlock(&live_mu);
}

int grader_qemu_start(const struct qemu_cfg *cfg, struct qemu_proc *p) {
  if (qemu_start(cfg, p) < 0)
    return -1;
  // Nothing reaps p before this thread pumps it again: in time.
  p->on_end = live_end;
  live_add(p->pid, p->deadline);
  return 0;
}

// ---- Console text ----------------------------------------------------------------

// The console as lines: the '\r' of each CR LF dropped (the UART sends
// them) and NUL bytes written as the text \x00, so that regexec sees an
// ordinary C string. Every other byte stays as the stage sent it: the
// checks see the real text, and each output escapes it (hvlab/escape.h).
struct console {
  char *text;
  size_t len;
  size_t *start;  // start[i]: offset of line i, for i <= nlines
  int nlines;
};

static void console_init(struct console *c, const char *out, size_t n) {
  size_t nuls = 0;
  for (size_t i = 0; i < n; i++)
    nuls += out[i] == 0;
  c->text = malloc(n + 3 * nuls + 1);
  if (!c->text) {
    fprintf(stderr, "grade: out of memory\n");
    _exit(2);
  }
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (out[i] == '\r' && i + 1 < n && out[i + 1] == '\n')
      continue;
    if (out[i] == 0) {
      memcpy(c->text + j, "\\x00", 4);
      j += 4;
    } else
      c->text[j++] = out[i];
  }
  c->text[j] = 0;
  c->len = j;
  // A last line without '\n' is still a line.
  int lines = 0;
  for (size_t i = 0; i < j; i++)
    lines += c->text[i] == '\n';
  if (j && c->text[j - 1] != '\n')
    lines++;
  c->start = malloc(((size_t)lines + 1) * sizeof *c->start);
  int k = 0;
  size_t at = 0;
  while (k < lines) {
    c->start[k++] = at;
    char *nl = memchr(c->text + at, '\n', j - at);
    at = nl ? (size_t)(nl - c->text) + 1 : j + 1;
  }
  // One past the last line's '\n' (or where it would be): so the length
  // of line i, without its '\n', is always start[i + 1] - start[i] - 1.
  c->start[lines] = j && c->text[j - 1] == '\n' ? j : j + 1;
  c->nlines = lines;
}

static void console_free(struct console *c) {
  free(c->text);
  free(c->start);
}

// The line holding byte offset off.
static int line_of(const struct console *c, size_t off) {
  int lo = 0, hi = c->nlines - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (c->start[mid] <= off)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// Append line i for people to read: escaped (ESC as \x1b: a terminal, or
// a report, never gets escape sequences or broken UTF-8), and long lines
// (a flood is often one endless line) cut.
static void add_line(struct sbuf *b, const struct console *c, int i) {
  const char *s = c->text + c->start[i];
  size_t n = c->start[i + 1] - c->start[i] - 1, max = 160;
  sb_add_escaped(b, s, n < max ? n : max);
  if (n > max)
    sb_printf(b, "... (%zu more characters)", n - max);
  sb_add(b, "\n", 1);
}

// ---- The checks on the console ---------------------------------------------------------

#define MAX_BAD 20

struct matches {
  int line[MAX_EXPECT];     // line matched by expect[i], or -1
  int earlier[MAX_EXPECT];  // for a missing one: a line before its turn
  int nexp, missing;
  int bad[MAX_BAD];  // lines matched by a reject pattern
  int badpat[MAX_BAD];
  int nbad;
};

// Search from byte offset `from` (a line start) for the first match of re.
// Returns its line, or -1.
static int find(const regex_t *re, const struct console *c, size_t from) {
  regmatch_t m;
  if (from >= c->len)
    return -1;
  if (regexec(re, c->text + from, 1, &m, 0) != 0)
    return -1;
  return line_of(c, from + (size_t)m.rm_so);
}

// Match expect[] in order: each pattern must match a line after the one
// the previous pattern matched. A pattern that is missing does not move
// the position, so the next one is still looked for where it should be.
static int check_console(const struct gtest *t, const struct console *c,
                         struct matches *m, struct sbuf *err) {
  memset(m, 0, sizeof *m);
  size_t pos = 0;
  for (int i = 0; i < MAX_EXPECT && t->expect[i]; i++) {
    regex_t re;
    m->nexp++;
    m->line[i] = m->earlier[i] = -1;
    if (regcomp(&re, t->expect[i], REG_EXTENDED | REG_NEWLINE) != 0) {
      sb_printf(err, "bad regex in the grader: /%s/", t->expect[i]);
      return -1;
    }
    int l = find(&re, c, pos);
    if (l >= 0) {
      m->line[i] = l;
      pos = c->start[l + 1];
    } else {
      m->missing++;
      int e = find(&re, c, 0);  // anywhere before: out of order
      m->earlier[i] = e;
    }
    regfree(&re);
  }
  for (int i = 0; i < MAX_REJECT && t->reject[i]; i++) {
    regex_t re;
    if (regcomp(&re, t->reject[i], REG_EXTENDED | REG_NEWLINE) != 0) {
      sb_printf(err, "bad regex in the grader: /%s/", t->reject[i]);
      return -1;
    }
    for (size_t at = 0; m->nbad < MAX_BAD;) {
      int l = find(&re, c, at);
      if (l < 0)
        break;
      m->bad[m->nbad] = l;
      m->badpat[m->nbad++] = i;
      at = c->start[l + 1];
    }
    regfree(&re);
  }
  return 0;
}

#define MAX_SHOWN 80

// The GOOD/BAD/MISSING listing, after gradelib's assert_lines_match, but
// aware of order: first the expected patterns and what became of each,
// then the console around them, with each missing pattern shown where it
// should have matched.
static void listing(const struct gtest *t, const struct console *c,
                    const struct matches *m, struct sbuf *b) {
  if (m->nexp) {
    sb_printf(b, "expected lines, in order:\n");
    for (int i = 0; i < m->nexp; i++) {
      if (m->line[i] >= 0)
        sb_printf(b, "  GOOD     /%s/  (line %d)\n", t->expect[i],
                  m->line[i] + 1);
      else if (m->earlier[i] >= 0)
        sb_printf(b,
                  "  MISSING  /%s/  (only at line %d, before the line "
                  "matched by the pattern above it: out of order)\n",
                  t->expect[i], m->earlier[i] + 1);
      else
        sb_printf(b, "  MISSING  /%s/\n", t->expect[i]);
    }
  }
  for (int i = 0; i < m->nbad; i++)
    sb_printf(b, "  BAD      line %d matches /%s/, which must not appear\n",
              m->bad[i] + 1, t->reject[m->badpat[i]]);
  if (c->nlines == 0) {
    sb_printf(b, "console: (empty: nothing was printed)\n");
    return;
  }

  // Which lines to show: two around every GOOD and BAD line, three after
  // the place of a missing one, and the last five if anything is missing.
  char *show = calloc((size_t)c->nlines, 1),
       *good = calloc((size_t)c->nlines, 1),
       *bad = calloc((size_t)c->nlines, 1);
#define SHOW(l)                                                                \
  do {                                                                         \
    if ((l) >= 0 && (l) < c->nlines)                                           \
      show[l] = 1;                                                             \
  } while (0)
  int prev = -1;
  for (int i = 0; i < m->nexp; i++) {
    int l = m->line[i];
    if (l >= 0) {
      good[l] = 1;
      for (int k = -2; k <= 2; k++)
        SHOW(l + k);
      prev = l;
    } else
      for (int k = 1; k <= 3; k++)
        SHOW(prev + k);
  }
  for (int i = 0; i < m->nbad; i++) {
    bad[m->bad[i]] = 1;
    for (int k = -2; k <= 2; k++)
      SHOW(m->bad[i] + k);
  }
  if (m->missing)
    for (int k = 1; k <= 5; k++)
      SHOW(c->nlines - k);
#undef SHOW

  sb_printf(b, "console:\n");
  int shown = 0, last = -1;
  // Missing patterns before the first one that matched: shown at the top,
  // if anything matched at all (else the list above says it all).
  if (m->missing < m->nexp)
    for (int i = 0; i < m->nexp && m->line[i] < 0; i++)
      sb_printf(b, "  MISSING       /%s/ (expected before the first GOOD)\n",
                t->expect[i]);
  for (int l = 0; l < c->nlines && shown < MAX_SHOWN; l++) {
    if (!show[l])
      continue;
    if (l != last + 1)
      sb_printf(b, "  ...\n");
    last = l;
    shown++;
    sb_printf(b, "  %-7s %5d| ", bad[l] ? "BAD" : good[l] ? "GOOD" : "", l + 1);
    add_line(b, c, l);
    // Missing patterns whose predecessor matched this line.
    if (good[l]) {
      int i = 0;
      while (i < m->nexp && m->line[i] != l)
        i++;
      for (i++; i < m->nexp && m->line[i] < 0; i++)
        sb_printf(b, "  MISSING       /%s/ (expected after line %d)\n",
                  t->expect[i], l + 1);
    }
  }
  if (shown == MAX_SHOWN)
    sb_printf(b, "  ... (listing cut at %d lines)\n", MAX_SHOWN);
  else if (last != c->nlines - 1)
    sb_printf(b, "  ...\n");
  free(show);
  free(good);
  free(bad);
}

// The last n lines, for failures that are not about particular lines.
static void tail(const struct console *c, int n, struct sbuf *b) {
  if (c->nlines == 0) {
    sb_printf(b, "console: (empty: nothing was printed)\n");
    return;
  }
  sb_printf(b, "last lines of the console:\n");
  int from = c->nlines > n ? c->nlines - n : 0;
  if (from)
    sb_printf(b, "  ...\n");
  for (int l = from; l < c->nlines; l++) {
    sb_printf(b, "          %5d| ", l + 1);
    add_line(b, c, l);
  }
}

// ---- Exit statuses ---------------------------------------------------------------

// The statuses and their names are include/hvlab/status.h's.
static const char *status_name(int st) {
  const char *name = hv_status_name(st);
  return name ? name : "not a stage status";
}

// Does the mask accept exit status st? A status outside 0..31 never does.
static int status_accepted(unsigned mask, int st) {
  return st >= 0 && st < 32 && (mask & ST(st)) != 0;
}

static void describe_mask(unsigned mask, struct sbuf *b) {
  int first = 1;
  for (int s = 0; s < 32; s++)
    if (mask & ST(s)) {
      sb_printf(b, "%s%d (%s)", first ? "" : " or ", s, status_name(s));
      first = 0;
    }
}

// Is the last "stepN: PASS" or "stepN: FAIL" line of the console a FAIL?
// QEMU's exit status is only the low 8 bits of what the stage powered off
// with (poweroff(256) exits 0), so a status 0 is believed only if the
// stage did not say otherwise.
static int last_verdict_fails(const struct console *c, int stage) {
  char tag[32];
  int n = snprintf(tag, sizeof tag, "step%d: ", stage);
  int fails = 0;
  for (int i = 0; i < c->nlines; i++) {
    const char *l = c->text + c->start[i];
    if (strncmp(l, tag, (size_t)n) != 0)
      continue;
    if (strncmp(l + n, "FAIL", 4) == 0)
      fails = 1;
    else if (strncmp(l + n, "PASS", 4) == 0)
      fails = 0;
  }
  return fails;
}

// ---- Transcripts -------------------------------------------------------------------

static int mkdir_p(const char *path) {
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
    return -1;
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(p, 0777);
      *s = '/';
    }
  return mkdir(p, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

static void transcript_path(const struct gctx *g, const struct gstage *st,
                            const struct gtest *t, char *out, size_t n) {
  snprintf(out, n, "%s/step%d-%s.txt", g->results, st->num, t->name);
}

static void save_transcript(const struct gctx *g, struct result *r,
                            const struct qemu_cfg *cfg,
                            const struct console *c) {
  char path[512], tmp[600];
  transcript_path(g, r->stage, r->test, path, sizeof path);
  if (mkdir_p(g->results) < 0)
    return;
  snprintf(tmp, sizeof tmp, "%s.tmp%d.%lx", path, (int)getpid(),
           (unsigned long)pthread_self());
  FILE *f = fopen(tmp, "we");  // close-on-exec: see the top of this file
  if (!f)
    return;
  char *argv[64], buf[256];
  fprintf(f, "# hvlab grade: step%d: %s (%d points)\n", r->stage->num,
          r->test->name, r->test->points);
  if (qemu_argv(cfg, argv, 64, buf, sizeof buf) > 0) {
    fprintf(f, "# QEMU:");
    for (char **a = argv; *a; a++)
      fprintf(f, strchr(*a, ' ') ? " '%s'" : " %s", *a);
    fprintf(f, "\n");
  }
  fprintf(f, "# FAIL: ");
  fput_escaped(f, r->reason, strlen(r->reason));
  fprintf(f, "\n#\n");
  // The details, as comments, then the console: escaped, so that `cat` of
  // a transcript cannot clear a screen or set a clipboard.
  const char *d = sb_str(&r->details);
  while (*d) {
    const char *e = strchr(d, '\n');
    size_t len = e ? (size_t)(e - d) : strlen(d);
    fprintf(f, "# ");
    fput_escaped(f, d, len);
    fprintf(f, "\n");
    d += len + (e != NULL);
  }
  fprintf(f,
          "# ---- console (%zu bytes; bytes that are not printable text "
          "as \\xHH) ----\n",
          c->len);
  fput_escaped(f, c->text, c->len);
  int ok = fclose(f) == 0;
  if (ok && rename(tmp, path) == 0)
    snprintf(r->transcript, sizeof r->transcript, "%s", path);
  else
    unlink(tmp);
}

// ---- One test -----------------------------------------------------------------------

// Set the reason, once: the first problem found is the one reported.
__attribute__((format(printf, 2, 3))) static void fail(struct result *r,
                                                       const char *fmt, ...) {
  if (r->reason[0])
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

// A student edition's stub stopped the run (status EXIT_TODO): name the
// task, from the grader's own table.
static void todo_reason(struct result *r, const struct console *c) {
  const char *at = NULL;
  for (const char *s = c->text; (s = strstr(s, "hvlab: TODO lab")); s++)
    at = s;  // the last one
  char id[16] = "";
  if (at)
    sscanf(at + strlen("hvlab: TODO "), "%15[a-z0-9.]", id);
  const struct gtask *task = id[0] ? task_find(id) : NULL;
  if (task)
    fail(r, "task not attempted: %s (%s), see %s", task->id, task->title,
         task->handout);
  else
    fail(r,
         "task not attempted: the run stopped at a task's stub "
         "(status %d)",
         EXIT_TODO);
}

// QEMU says "QEMU: Terminated" and exits with status 0 when its user
// quits it (Ctrl-A X): that is no pass, whatever the status says.
static int user_quit(const struct console *c) {
  static const char msg[] = "QEMU: Terminated";
  size_t n = c->len;
  while (n && (c->text[n - 1] == '\n' || c->text[n - 1] == '\r'))
    n--;
  return n >= sizeof msg - 1 &&
         memcmp(c->text + n - (sizeof msg - 1), msg, sizeof msg - 1) == 0;
}

void run_test(const struct gctx *g, const struct gstage *st,
              const struct gtest *t, struct result *r) {
  double t0 = now_seconds();
  r->stage = st;
  r->test = t;
  r->passed = 0;

  char elf[PATH_MAX];
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", g->build, st->num);
  // Missing, stale, or left behind by a build that failed: not run.
  if (image_check(g, st, r->reason, sizeof r->reason, &r->details) < 0) {
    r->seconds = now_seconds() - t0;
    return;
  }
  // Opened, not just looked at: a FIFO or a device there would hang
  // whatever opens it next (the probe, QEMU) where no deadline reaches.
  char why_not[128];
  int fd = open_regular(elf, 0, why_not, sizeof why_not);
  if (fd < 0) {
    if (errno == ENOENT)
      fail(r, "not built: %s is missing (did the stage fail to compile?)", elf);
    else
      fail(r, "cannot use %s: %s", elf, why_not);
    r->seconds = now_seconds() - t0;
    return;
  }
  close(fd);

  double timeout = g->timeout > 0   ? g->timeout
                   : t->timeout > 0 ? t->timeout
                   : t->probe       ? PROBE_TIMEOUT
                                    : DEFAULT_TIMEOUT;
  struct qemu_cfg cfg = {
      .kernel = elf,
      .no_h = t->no_h,
      .append = t->append,
      .timeout = timeout,
      .max_output = t->max_output ? t->max_output : g->max_output,
      .qemu = g->qemu,
  };
  struct qemu_proc p;
  memset(&p, 0, sizeof p);
  p.fd = -1;
  struct sbuf notes = {0};
  struct probe *pr = NULL;
  int start_errno = 0;

  if (t->probe || t->after)
    pr = probe_new(g, elf, &notes);
  // The grader's guest: its image and this run's nonce and round count,
  // put into the machine by QEMU itself.
  char gpath[PATH_MAX], gfile[PATH_MAX + 64], gnonce[96], grounds[96];
  char pkg[PATH_MAX] = "";
  const char *extra[8];
  uint64_t nonce = 0;
  if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
    nonce = (uint64_t)now_seconds() * 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();
  nonce |= 1;  // never 0
  uint64_t rounds = 2 + (nonce >> 60) % 3;
  int console[2] = {-1, -1};
  if (t->image) {
    // A guest from elsewhere, e.g. Debian's U-Boot: a dependency the
    // grading machine installs (make grade does), so its absence is the
    // grader's failure to say plainly, never a pass.
    char err[PATH_MAX + 128];
    const char *base = strrchr(t->image, '/');
    base = base ? base + 1 : t->image;
    if (access(t->image, R_OK) != 0) {
      fail(r, "%s is missing: install it with mk/deps.sh %s (make grade does)",
           t->image, t->image_deb ? t->image_deb : "...");
    } else if (guest_package_raw(t->image, base, pkg, sizeof pkg, err,
                                 sizeof err) < 0) {
      fail(r, "%s", err);
    } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) <
               0) {
      fail(r, "socketpair: %s", strerror(errno));
      unlink(pkg);
    }
    if (r->reason[0]) {
      if (pr)
        probe_free(pr);
      r->seconds = now_seconds() - t0;
      return;
    }
    const char *e[] = {"-initrd", pkg, NULL};
    memcpy(extra, e, sizeof e);
    cfg.extra = extra;
    cfg.stdin_fd = console[1];
    if (pr) {
      probe_set_console(pr, console[0]);
      probe_saved(pr)[SAVED_NONCE] = nonce;
    }
  }
  if (t->guest) {
    snprintf(gpath, sizeof gpath, "%s/grader/%s.elf", g->build, t->guest);
    if (access(gpath, R_OK) != 0) {
      fail(r, "the grader's guest %s is missing (make guests, or make grade)",
           gpath);
      if (pr)
        probe_free(pr);
      r->seconds = now_seconds() - t0;
      return;
    }
    if (t->harts > 0) {
      uint64_t params[GUEST_NPARAMS] = {nonce, rounds, (uint64_t)t->guest_arg};
      char err[PATH_MAX + 128];
      if (guest_package(gpath, t->guest, params, pkg, sizeof pkg, err,
                        sizeof err) < 0) {
        fail(r, "%s", err);
        if (pr)
          probe_free(pr);
        r->seconds = now_seconds() - t0;
        return;
      }
      const char *e[] = {"-initrd", pkg, NULL};
      memcpy(extra, e, sizeof e);
      cfg.smp = t->harts;
    } else {
      snprintf(gfile, sizeof gfile, "loader,file=%s", gpath);
      snprintf(gnonce, sizeof gnonce, "loader,addr=%#lx,data=%#lx,data-len=8",
               (unsigned long)GUEST_PARAMS, (unsigned long)nonce);
      snprintf(grounds, sizeof grounds, "loader,addr=%#lx,data=%lu,data-len=8",
               (unsigned long)GUEST_PARAMS + 8, (unsigned long)rounds);
      const char *e[] = {"-device", gfile,   "-device", gnonce,
                         "-device", grounds, NULL};
      memcpy(extra, e, sizeof e);
    }
    cfg.extra = extra;
    if (pr) {
      probe_set_guest(pr, gpath);
      probe_saved(pr)[SAVED_NONCE] = nonce;
      probe_saved(pr)[SAVED_ROUNDS] = rounds;
    }
  }
  if (t->probe) {
    if (probe_attach(pr, &cfg, &p) == 0 &&
        (cfg.smp <= 1 || probe_boot_hart0(pr, cfg.smp) == 0))
      t->probe(pr);
    probe_detach(pr);  // let it run on to its end
  } else if (grader_qemu_start(&cfg, &p) < 0) {
    start_errno = errno;
  }
  if (console[1] >= 0)
    close(console[1]);  // QEMU has its own copy
  qemu_wait(&p);
  if (pkg[0])
    unlink(pkg);
  if (console[0] >= 0)
    close(console[0]);

  struct console c;
  console_init(&c, p.out ? p.out : "", p.out ? p.len : 0);
  if (t->after && pr && !probe_failed(pr) && p.exited && !p.timed_out &&
      !p.flooded && !p.signal)
    t->after(pr, c.text);

  // The ending first: if the run did not end properly, that is the news.
  char why[160];
  unsigned want = t->status ? t->status : ST_OK;
  if (p.pid <= 0 && !t->probe)
    fail(r, "could not start QEMU (%s): %s",
         g->qemu ? g->qemu : "qemu-system-riscv64", strerror(start_errno));
  else if (p.pid <= 0)
    fail(r, "%s", probe_reason(pr));
  else if (p.timed_out)
    fail(r, "timed out after %.0fs: the stage never powered off%s%s", timeout,
         pr && probe_failed(pr) ? "; gdb: " : "",
         pr && probe_failed(pr) ? probe_reason(pr) : "");
  else if (p.flooded)
    fail(r, "output flood: over %zu bytes of console output (killed)",
         p.max_output);
  else if (p.signal)
    fail(r, "QEMU crashed: killed by signal %d (%s)", p.signal,
         sigdescr_np(p.signal) ? sigdescr_np(p.signal) : "?");
  if (!r->reason[0] && p.exited && p.status == EXIT_TODO &&
      !status_accepted(want, p.status))
    todo_reason(r, &c);
  if (!r->reason[0] && p.exited && p.status == 0 && user_quit(&c))
    fail(r, "QEMU was quit (Ctrl-A X) before the stage powered off: not a "
            "pass");
  if (!r->reason[0] && pr && probe_failed(pr))
    fail(r, "gdb: %s", probe_reason(pr));
  if (!r->reason[0] && !status_accepted(want, p.status)) {
    struct sbuf w = {0};
    describe_mask(want, &w);
    fail(r, "exit status %d (%s), expected %s", p.status, status_name(p.status),
         sb_str(&w));
    sb_free(&w);
  }
  if (!r->reason[0] && p.status == 0 && last_verdict_fails(&c, st->num))
    fail(r,
         "exit status 0 (pass), but the stage's last verdict line is "
         "step%d: FAIL: a status that contradicts the console is no pass "
         "(a power-off status over 255 wraps around: 256 reads as 0)",
         st->num);

  struct matches m;
  struct sbuf err = {0};
  int show_listing = 0;
  if (check_console(t, &c, &m, &err) < 0) {
    fail(r, "%s", sb_str(&err));
  } else {
    if (m.missing) {
      int i = 0;
      while (m.line[i] >= 0)
        i++;
      fail(r, "%d of %d expected lines missing, first /%s/", m.missing, m.nexp,
           t->expect[i]);
    }
    if (m.nbad) {
      struct sbuf line = {0};
      const char *s = c.text + c.start[m.bad[0]];
      size_t n = strcspn(s, "\n");
      sb_add_escaped(&line, s, n < 80 ? n : 80);
      fail(r, "unexpected line %d: %s", m.bad[0] + 1, sb_str(&line));
      sb_free(&line);
    }
    // A stub stopped the run: its expected lines are missing for that
    // reason alone, and the console's end says which task it was.
    show_listing = (m.missing || m.nbad) && p.status != EXIT_TODO;
  }
  sb_free(&err);

  r->passed = !r->reason[0];
  if (r->passed && g->verbose && notes.len)
    sb_printf(&r->details, "gdb probe:\n%s", sb_str(&notes));
  if (!r->passed) {
    if (p.pid > 0) {
      sb_printf(&r->details, "run: %s; expected exit status ",
                qemu_verdict(&p, why, sizeof why));
      describe_mask(want, &r->details);
      sb_printf(&r->details, "\n");
    }
    if (notes.len)
      sb_printf(&r->details, "gdb probe:\n%s", sb_str(&notes));
    if (show_listing)
      listing(t, &c, &m, &r->details);
    else if (p.pid > 0)
      tail(&c, 12, &r->details);
    if (p.pid > 0)
      save_transcript(g, r, &cfg, &c);
  } else {
    // A stale transcript from an earlier failure would only mislead.
    char path[512];
    transcript_path(g, st, t, path, sizeof path);
    unlink(path);
  }
  if (g->verbose)
    sb_add(&r->console, c.text, c.len);

  console_free(&c);
  sb_free(&notes);
  if (pr)
    probe_free(pr);
  qemu_free(&p);
  r->seconds = now_seconds() - t0;
}

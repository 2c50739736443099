// labcheck: keep the handouts in labs/ true to the code.
//
// A handout points at the code in two ways, and both drift when the code
// changes: `file:line` references ("break switch.S:76"), and gdb
// transcripts (what gdb printed for a series of commands). labcheck checks
// both against the code (`make test` runs it) and, with --update, rewrites
// them from the code (`make labs`).
//
// In a handout's Markdown:
//   <!-- at switch.S:76 "sret" -->
//       An anchor: line 76 of switch.S is the one line of that file that
//       contains `sret` (a substring, which must be unique in the file).
//       Every file:line in the prose and in gdb commands needs one. When
//       the line moves, --update renumbers the anchor and every reference.
//   <!-- gdb STEP=3 [H=off] [ARGS="guest=seed seed=3"] [GUEST=.. [HARTS=n]] -->
//       (GUEST= and HARTS= as for console blocks, below.)
//       Starts a gdb session: the stage booted halted, gdb attached as
//       `make gdb` attaches. Every following ```gdb block, up to the next
//       session, is part of it: lines starting with "(gdb) " are the
//       commands (a trailing "  # comment" is not sent), the other lines
//       are what gdb printed, which labcheck compares with a fresh run
//       (addresses and large numbers aside: they change with any code)
//       and --update rewrites. An output that ends with a line "..." is
//       cut to as many lines as it shows.
//   <!-- console STEP=2 [H=off] [ARGS="..."] [GUEST=image [HARTS=n]] -->
//       The next ``` block is what the stage prints: labcheck boots it (with
//       GUEST=, stage 4 on, as `make run GUEST=image GUEST_HARTS=n` does:
//       the image packed by guestpack for QEMU's -initrd, n harts; a path
//       that starts with build/ is in the --build directory) and
//       checks that every line of the block is printed, in this order and
//       one right after the other, except where a line "..." stands for
//       lines left out, and addresses in the hypervisor's image
//       (0000000080xxxxxx) aside. (It cannot rewrite these: the cuts are a
//       writer's.)

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "gdbrun.h"
#include "qemu.h"

static const char *src = ".", *build = "build";
static int update, anchors_only, problems;

// ---- Small helpers ------------------------------------------------------------

static void problem(const char *md, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s:%d: ", md, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  problems++;
}

// A growing string.
struct str {
  char *s;
  size_t len, cap;
};
static void add(struct str *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
    if (!b->s) {
      perror("labcheck");
      exit(2);
    }
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}
static void adds(struct str *b, const char *s) { add(b, s, strlen(s)); }

// Split text into lines (the newlines become NULs). Returns the count.
static int split(char *text, char ***lines) {
  int n = 0, cap = 256;
  char **v = malloc(sizeof *v * (size_t)cap);
  for (char *p = text; v && *p;) {
    if (n == cap)
      v = realloc(v, sizeof *v * (size_t)(cap *= 2));
    if (!v)
      break;
    v[n++] = p;
    char *nl = strchr(p, '\n');
    if (!nl)
      break;
    *nl = 0;
    p = nl + 1;
  }
  if (!v) {
    perror("labcheck");
    exit(2);
  }
  *lines = v;
  return n;
}

// ---- Source files -------------------------------------------------------------

// Where a file named in a handout is: a path from the source root, or a
// bare name found in one of the code directories (it must be unique).
static int resolve(const char *name, char *out, size_t n) {
  struct stat st;
  if (strchr(name, '/')) {
    snprintf(out, n, "%s/%s", src, name);
    return stat(out, &st) == 0 ? 0 : -1;
  }
  static const char *const dirs[] = {
      "runtime/riscv", "include/hvlab", "step1-vmxon",  "step2-vmcs",
      "step3-guest",   "step4-mem",     "step5-devices"};
  int found = 0;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s/%s", src, dirs[i], name);
    if (stat(p, &st) == 0 && found++ == 0)
      snprintf(out, n, "%s", p);
  }
  return found == 1 ? 0 : -1;
}

// The line of file `path` that contains `text`: its number, 0 if none,
// -1 if several do.
static int find_line(const char *path, const char *text) {
  char *s = read_file(path, NULL);
  if (!s)
    return 0;
  char **l;
  int n = split(s, &l), at = 0;
  for (int i = 0; i < n; i++)
    if (strstr(l[i], text)) {
      if (at) {
        at = -1;
        break;
      }
      at = i + 1;
    }
  free(l);
  free(s);
  return at;
}

// ---- Anchors and references ---------------------------------------------------

#define MAX_ANCHORS 64
struct anchor {
  char file[128];  // as written in the handout
  int line, now;   // the line it names; the line the text is on today
  char text[128];
};

static regex_t anchor_re, ref_re;

static int parse_anchors(const char *md, char **l, int n, struct anchor *a) {
  int na = 0;
  for (int i = 0; i < n; i++) {
    regmatch_t m[4];
    const char *p = l[i];
    while (regexec(&anchor_re, p, 4, m, 0) == 0) {
      if (na == MAX_ANCHORS) {
        problem(md, i + 1, "more than %d anchors", MAX_ANCHORS);
        return na;
      }
      struct anchor *x = &a[na++];
      snprintf(x->file, sizeof x->file, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
               p + m[1].rm_so);
      x->line = atoi(p + m[2].rm_so);
      snprintf(x->text, sizeof x->text, "%.*s", (int)(m[3].rm_eo - m[3].rm_so),
               p + m[3].rm_so);
      char path[512];
      p += m[0].rm_eo;  // the next anchor on this line, if any
      if (resolve(x->file, path, sizeof path) < 0) {
        problem(md, i + 1, "anchor: no single file called %s", x->file);
        x->now = x->line;
        continue;
      }
      x->now = find_line(path, x->text);
      if (x->now == 0)
        problem(md, i + 1, "anchor: no line of %s contains \"%s\"", x->file,
                x->text);
      else if (x->now < 0)
        problem(md, i + 1, "anchor: several lines of %s contain \"%s\"",
                x->file, x->text);
      else if (x->now != x->line && !update)
        problem(md, i + 1,
                "%s:%d has moved: \"%s\" is on line %d now (make labs)",
                x->file, x->line, x->text, x->now);
      if (x->now <= 0)
        x->now = x->line;
    }
  }
  return na;
}

// Is line i of a handout something a program printed, which the session
// or console checks cover, rather than prose or a command? 1: gdb's output
// (rewritten by --update), 2: a stage's console (kept).
static int *in_output;

static void check_refs(const char *md, char **l, int n, struct anchor *a,
                       int na) {
  for (int i = 0; i < n; i++) {
    if (in_output[i] || strstr(l[i], "<!-- at "))
      continue;
    regmatch_t m[4];
    const char *p = l[i];
    while (regexec(&ref_re, p, 4, m, p == l[i] ? 0 : REG_NOTBOL) == 0) {
      char file[128];
      snprintf(file, sizeof file, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
               p + m[1].rm_so);
      int line = atoi(p + m[3].rm_so), ok = 0;
      for (int k = 0; k < na && !ok; k++)
        ok = a[k].line == line && strcmp(a[k].file, file) == 0;
      if (!ok)
        problem(md, i + 1,
                "%s:%d has no anchor (add <!-- at %s:%d \"text on that "
                "line\" -->)",
                file, line, file, line);
      p += m[0].rm_eo;
    }
  }
}

// Rewrite references to moved anchors (--update) in line s.
static void renumber(struct str *out, const char *s, struct anchor *a, int na) {
  regmatch_t m[4];
  const char *p = s;
  while (regexec(&ref_re, p, 4, m, p == s ? 0 : REG_NOTBOL) == 0) {
    add(out, p, (size_t)m[3].rm_so);
    int line = atoi(p + m[3].rm_so), now = line;
    for (int k = 0; k < na; k++)
      if (a[k].line == line &&
          (int)strlen(a[k].file) == (int)(m[1].rm_eo - m[1].rm_so) &&
          strncmp(a[k].file, p + m[1].rm_so, strlen(a[k].file)) == 0)
        now = a[k].now;
    char num[16];
    snprintf(num, sizeof num, "%d", now);
    adds(out, num);
    p += m[3].rm_eo;
  }
  adds(out, p);
}

// ---- gdb sessions -------------------------------------------------------------

#define MAX_CMDS 128
struct cmd {
  int line;         // the "(gdb) ..." line in the handout
  int first, last;  // its output lines in the handout: [first, last)
  int elided;       // the output ends with "..." (not counted in last)
};

struct session {
  int step, no_h;
  char args[256];
  char guest[256];  // console blocks: GUEST=image, or ""
  int harts;        // and HARTS=n (QEMU -smp), 1..4
  struct cmd c[MAX_CMDS];
  int n;
};

// "<!-- gdb STEP=3 H=off ARGS="a b" -->"
static int parse_session(const char *s, struct session *ss) {
  memset(ss, 0, sizeof *ss);
  const char *p = strstr(s, "STEP=");
  if (!p)
    return -1;
  ss->step = atoi(p + 5);
  ss->no_h = strstr(s, "H=off") != NULL;
  p = strstr(s, "ARGS=\"");
  if (p) {
    p += 6;
    const char *e = strchr(p, '"');
    if (!e)
      return -1;
    snprintf(ss->args, sizeof ss->args, "%.*s", (int)(e - p), p);
  }
  ss->harts = 1;
  if ((p = strstr(s, "GUEST=")) != NULL) {
    p += 6;
    size_t k = strcspn(p, " \t");
    if (k == 0 || k >= sizeof ss->guest || ss->step < 4)
      return -1;
    snprintf(ss->guest, sizeof ss->guest, "%.*s", (int)k, p);
  }
  if ((p = strstr(s, "HARTS=")) != NULL) {
    ss->harts = atoi(p + 6);
    if (ss->harts < 1 || ss->harts > 4 || !ss->guest[0])
      return -1;
  }
  return ss->step >= 1 && ss->step <= 5 ? 0 : -1;
}

// The command of a "(gdb) ..." line, without the prompt and any trailing
// "  # comment" meant for the reader.
static void command_of(const char *line, char *out, size_t n) {
  snprintf(out, n, "%s", line + 6);
  char *c = strstr(out, "  #");
  if (c)
    *c = 0;
  size_t k = strlen(out);
  while (k && isspace((unsigned char)out[k - 1]))
    out[--k] = 0;
}

// Is this line of gdb output noise that depends on the moment, not the
// code? (The register-description request of mk/gdbinit.in, blanks, and
// with several harts gdb's "[Switching to Thread 1.2]": which physical
// hart runs what depends on which one OpenSBI made the boot hart.)
static int noise(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r')
    s++;
  return !*s || strncmp(s, "sending: ", 9) == 0 ||
         strncmp(s, "received: ", 10) == 0 ||
         strncmp(s, "[Switching to Thread ", 21) == 0;
}

// Addresses and the large numbers derived from them change with any change
// to the code; a transcript is compared without them.
static void normalize(const char *s, char *out, size_t n) {
  size_t k = 0;
  while (*s && k + 4 < n) {
    if (strncmp(s, "Thread ", 7) == 0 && isdigit((unsigned char)s[7])) {
      s += 7;  // gdb's thread (a physical hart): see noise()
      while (isdigit((unsigned char)*s) || *s == '.')
        s++;
      if (k + 9 >= n)
        break;
      memcpy(out + k, "Thread #", 8), k += 8;
    } else if (s[0] == '0' && s[1] == 'x' && isxdigit((unsigned char)s[2])) {
      s += 2;
      while (isxdigit((unsigned char)*s))
        s++;
      memcpy(out + k, "0x#", 3), k += 3;
    } else if (isdigit((unsigned char)*s) &&
               (k == 0 || !isalnum((unsigned char)out[k - 1]))) {
      const char *e = s;
      while (isdigit((unsigned char)*e))
        e++;
      if (e - s >= 7) {
        out[k++] = '#';
        s = e;
      } else {
        while (s < e && k + 1 < n)
          out[k++] = *s++;
      }
    } else {
      out[k++] = *s++;
    }
  }
  out[k] = 0;
}

// Pack a GUEST= image as `make run GUEST=` does (build/host/guestpack,
// no boot arguments) into pkg. Returns 0, or -1 with the problem said.
static int pack_guest(const char *md, int line, const char *guest, char *pkg,
                      size_t n) {
  char image[1024], tool[1024];
  int build_rel = strncmp(guest, "build/", 6) == 0;
  if (snprintf(image, sizeof image, "%s/%s", build_rel ? build : src,
               build_rel ? guest + 6 : guest) >= (int)sizeof image ||
      snprintf(tool, sizeof tool, "%s/host/guestpack", build) >=
          (int)sizeof tool ||
      snprintf(pkg, n, "%s/labcheck-guest-XXXXXX", build) >= (int)n) {
    problem(md, line, "a path too long for GUEST=%s", guest);
    return -1;
  }
  int fd = mkstemp(pkg);
  if (fd < 0) {
    problem(md, line, "cannot create %s", pkg);
    return -1;
  }
  close(fd);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
      dup2(null, 1);  // its one line of success; errors stay on stderr
    execl(tool, tool, image, pkg, (char *)NULL);
    _exit(127);
  }
  int st = -1;
  if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
      WEXITSTATUS(st) != 0) {
    problem(md, line, "cannot pack the guest %s with %s", image, tool);
    unlink(pkg);
    return -1;
  }
  return 0;
}

// Run a session's commands; fill outs[i] with command i's output lines
// (joined by newlines). Returns 0, or -1.
static int run_session(const char *md, int at, char **l, struct session *ss,
                       char **outs) {
  struct str script = {0};
  for (int i = 0; i < ss->n; i++) {
    char c[512], mark[64];
    command_of(l[ss->c[i].line], c, sizeof c);
    snprintf(mark, sizeof mark, "echo \\n@@labcheck %d@@\\n\n", i);
    adds(&script, mark);
    adds(&script, c);
    adds(&script, "\n");
  }
  adds(&script, "echo \\n@@labcheck end@@\\n\n");
  char elf[512], tdesc[512], err[256], pkg[1024] = "";
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build, ss->step);
  snprintf(tdesc, sizeof tdesc, "%s/gdb/target.xml", build);
  if (ss->guest[0] && pack_guest(md, at, ss->guest, pkg, sizeof pkg) < 0) {
    free(script.s);
    return -1;
  }
  struct gdb_run cfg = {.elf = elf,
                        .tdesc = tdesc,
                        .append = ss->args[0] ? ss->args : NULL,
                        .no_h = ss->no_h,
                        .smp = ss->harts,
                        .initrd = pkg[0] ? pkg : NULL};
  char *out = gdb_run(&cfg, script.s, err, sizeof err);
  free(script.s);
  if (pkg[0])
    unlink(pkg);
  if (!out) {
    problem(md, at, "gdb session: %s", err);
    return -1;
  }
  for (int i = 0; i < ss->n; i++) {
    char mark[64], next[64];
    snprintf(mark, sizeof mark, "@@labcheck %d@@\n", i);
    if (i + 1 < ss->n)
      snprintf(next, sizeof next, "\n@@labcheck %d@@", i + 1);
    else
      snprintf(next, sizeof next, "\n@@labcheck end@@");
    char *b = strstr(out, mark), *e = b ? strstr(b, next) : NULL;
    if (!b || !e) {
      problem(md, ss->c[i].line + 1,
              "gdb stopped before this command; its output:\n%s", out);
      free(out);
      return -1;
    }
    b += strlen(mark);
    struct str o = {0};
    adds(&o, "");
    char *chunk = strndup(b, (size_t)(e - b));
    char **cl;
    int cn = split(chunk, &cl);
    for (int k = 0; k < cn; k++) {
      size_t len = strlen(cl[k]);  // QEMU's monitor ends its lines in \r\n
      while (len && (cl[k][len - 1] == '\r' || cl[k][len - 1] == ' '))
        cl[k][--len] = 0;
      if (!noise(cl[k])) {
        adds(&o, cl[k]);
        adds(&o, "\n");
      }
    }
    free(cl);
    free(chunk);
    outs[i] = o.s;
  }
  free(out);
  return 0;
}

// ---- Console blocks -----------------------------------------------------------

// Copy s with every address in the hypervisor's image, as the stages print
// them (16 hex digits, 0000000080xxxxxx), made "0000000080......".
static void image_addresses(const char *s, char *out, size_t n) {
  snprintf(out, n, "%s", s);
  for (char *p = out; (p = strstr(p, "0000000080")) != NULL; p += 10) {
    int hex = 1;
    for (int k = 10; k < 16 && hex; k++)
      hex = isxdigit((unsigned char)p[k]) != 0;
    if (hex && (p == out || !isxdigit((unsigned char)p[-1])) &&
        !isxdigit((unsigned char)p[16]))
      memcpy(p + 10, "......", 6);
  }
}

// Check the block l[first..last) against what the stage prints.
static void check_console(const char *md, char **l, int first, int last,
                          const struct session *ss) {
  char elf[512], pkg[1024] = "";
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build, ss->step);
  if (ss->guest[0] && pack_guest(md, first, ss->guest, pkg, sizeof pkg) < 0)
    return;
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {.kernel = elf,
                         .no_h = ss->no_h,
                         .smp = ss->harts,
                         .append = ss->args[0] ? ss->args : NULL,
                         .extra = pkg[0] ? extra : NULL,
                         .timeout = 60};
  struct qemu_proc p;
  memset(&p, 0, sizeof p);
  int r = qemu_run(&cfg, &p);
  if (pkg[0])
    unlink(pkg);
  if (r < 0) {
    problem(md, first, "cannot boot %s", elf);
    return;
  }
  // The console, as lines without the UART's '\r'.
  char *text = malloc(p.len + 1), **ol;
  size_t k = 0;
  for (size_t i = 0; text && i < p.len; i++)
    if (p.out[i] != '\r')
      text[k++] = p.out[i];
  if (!text) {
    qemu_free(&p);
    return;
  }
  text[k] = 0;
  int on = split(text, &ol), at = 0, gap = 1;
  for (int i = first; i < last; i++) {
    const char *t = l[i];
    while (*t == ' ')
      t++;
    if (strcmp(t, "...") == 0) {  // lines left out (indented as they were)
      gap = 1;
      continue;
    }
    if (strncmp(l[i], "hvlab: ", 7) == 0 || strncmp(l[i], "$ ", 2) == 0)
      continue;  // printed by make, or the command typed: not the stage
    int found = -1;
    char want[1024], got[1024];
    image_addresses(l[i], want, sizeof want);
    for (int j = at; j < on && found < 0; j++) {
      image_addresses(ol[j], got, sizeof got);
      if (strcmp(got, want) == 0)
        found = j;
      if (!gap)
        break;  // it had to be the very next line
    }
    if (found < 0) {
      problem(md, i + 1, "the stage does not print this line %s:\n  %s",
              gap ? "(after the ones above)" : "right after the one above",
              l[i]);
      // What it printed instead, from the stage's first line on (the
      // firmware's banner is of no interest).
      const char *out = p.out ? p.out : "", *from = strstr(out, "\nstep");
      fprintf(stderr, "  (it printed: %s, from:)\n%.4000s\n",
              qemu_verdict(&p, want, sizeof want), from ? from + 1 : out);
      break;
    }
    at = found + 1;
    gap = 0;
  }
  free(ol);
  free(text);
  qemu_free(&p);
}

// ---- One handout --------------------------------------------------------------

static void do_file(const char *md) {
  char *text = read_file(md, NULL);
  if (!text) {
    problem(md, 0, "cannot read it");
    return;
  }
  char **l;
  int n = split(text, &l);
  in_output = calloc((size_t)n + 1, sizeof *in_output);

  // Find the sessions and their commands, and which lines are output.
  struct session *ss = calloc(32, sizeof *ss);
  int ns = 0, cur = -1, inblock = 0;
  struct session console;
  int console_at = -1;  // the first line of a console block being read
  int *start = calloc(32, sizeof *start);
  for (int i = 0; i < n; i++) {
    if (strncmp(l[i], "<!-- gdb ", 9) == 0) {
      if (ns == 32 || parse_session(l[i], &ss[ns]) < 0) {
        problem(md, i + 1,
                "a gdb session needs STEP=N (1-5); GUEST= needs STEP=4 or "
                "later, HARTS=1..4 needs GUEST=");
        continue;
      }
      start[ns] = i + 1;
      cur = ns++;
      continue;
    }
    if (strncmp(l[i], "<!-- console ", 13) == 0) {
      if (parse_session(l[i], &console) < 0)
        problem(md, i + 1,
                "a console block needs STEP=N (1-5); GUEST= needs STEP=4 "
                "or later, HARTS=1..4 needs GUEST=");
      else
        console_at = 0;  // the next block
      continue;
    }
    if (strncmp(l[i], "```", 3) == 0) {
      if (console_at > 0) {  // the end of a console block
        if (!anchors_only)
          check_console(md, l, console_at, i, &console);
        console_at = -1;
      } else if (console_at == 0) {
        console_at = i + 1;
      } else if (inblock) {
        inblock = 0;
      } else if (strcmp(l[i], "```gdb") == 0) {
        if (cur < 0)
          problem(md, i + 1, "a ```gdb block outside any <!-- gdb --> session");
        inblock = 1;
      }
      continue;
    }
    if (console_at > 0)
      in_output[i] = 2;  // checked against the console, not an anchor
    if (!inblock || cur < 0)
      continue;
    struct session *s = &ss[cur];
    if (strncmp(l[i], "(gdb) ", 6) == 0) {
      if (s->n == MAX_CMDS) {
        problem(md, i + 1, "more than %d commands in a session", MAX_CMDS);
        continue;
      }
      s->c[s->n++] = (struct cmd){i, i + 1, i + 1, 0};
    } else if (s->n > 0) {
      in_output[i] = 1;
      struct cmd *c = &s->c[s->n - 1];
      if (strcmp(l[i], "...") == 0)
        c->elided = 1;
      else if (!c->elided)
        c->last = i + 1;
    }
  }

  struct anchor *a = calloc(MAX_ANCHORS, sizeof *a);
  int na = parse_anchors(md, l, n, a);
  check_refs(md, l, n, a, na);

  // Run the sessions (unless only the anchors are checked).
  char ***outs = calloc(32, sizeof *outs);
  for (int k = 0; k < ns && !anchors_only; k++) {
    outs[k] = calloc((size_t)ss[k].n + 1, sizeof **outs);
    if (ss[k].n == 0 || run_session(md, start[k], l, &ss[k], outs[k]) < 0)
      continue;
    if (update)
      continue;
    for (int i = 0; i < ss[k].n; i++) {
      struct cmd *c = &ss[k].c[i];
      char *got = strdup(outs[k][i]);
      char **gl;
      int gn = split(got, &gl);
      int want = c->last - c->first;
      int show = c->elided && gn > want ? want : gn;
      if (show != want && !c->elided)
        problem(md, c->line + 1, "`%s`: gdb printed %d lines, the handout %d",
                l[c->line] + 6, gn, want);
      for (int j = 0; j < show && j < want; j++) {
        char x[1024], y[1024];
        normalize(l[c->first + j], x, sizeof x);
        normalize(gl[j], y, sizeof y);
        if (strcmp(x, y) != 0) {
          problem(md, c->first + j + 1,
                  "`%s` printed something else (make labs):\n  handout: "
                  "%s\n  gdb:     %s",
                  l[c->line] + 6, l[c->first + j], gl[j]);
          break;
        }
      }
      free(gl);
      free(got);
    }
  }

  if (update) {
    struct str out = {0};
    int k = -1, ci = 0;
    for (int i = 0; i < n; i++) {
      // Which command's output starts here?
      if (k + 1 < ns && i == start[k + 1] - 1)
        k++, ci = 0;
      int is_cmd = k >= 0 && ci < ss[k].n && ss[k].c[ci].line == i;
      if (in_output[i] == 1)
        continue;  // rewritten after its command
      renumber(&out, l[i], a, na);
      // (anchors' own numbers are rewritten by renumber too: "at F:N")
      adds(&out, "\n");
      if (is_cmd && outs[k] && outs[k][ci]) {
        struct cmd *c = &ss[k].c[ci];
        char *got = strdup(outs[k][ci]);
        char **gl;
        int gn = split(got, &gl);
        int want = c->last - c->first;
        int show = c->elided && gn > want ? want : gn;
        for (int j = 0; j < show; j++) {
          adds(&out, gl[j]);
          adds(&out, "\n");
        }
        if (c->elided)
          adds(&out, "...\n");
        free(gl);
        free(got);
      } else if (is_cmd) {
        // No fresh output (gdb failed): keep the old lines.
        struct cmd *c = &ss[k].c[ci];
        for (int j = c->first; j < c->last; j++) {
          adds(&out, l[j]);
          adds(&out, "\n");
        }
        if (c->elided)
          adds(&out, "...\n");
      }
      if (is_cmd)
        ci++;
    }
    FILE *f = fopen(md, "w");
    if (!f || fwrite(out.s, 1, out.len, f) != out.len || fclose(f) != 0)
      problem(md, 0, "cannot write it");
    free(out.s);
  }

  for (int k = 0; k < ns; k++) {
    if (outs[k])
      for (int i = 0; i < ss[k].n; i++)
        free(outs[k][i]);
    free(outs[k]);
  }
  free(outs);
  free(a);
  free(start);
  free(ss);
  free(in_output);
  free(l);
  free(text);
}

// Check one handout, or update it: first its references (so that the
// gdb commands name today's lines), then its transcripts.
static void each(const char *md) {
  if (update && !anchors_only) {
    anchors_only = 1;
    do_file(md);
    anchors_only = 0;
  }
  do_file(md);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: labcheck [--update] [--anchors-only] [--src DIR] "
          "[--build DIR] [FILE.md...]\n"
          "Check that the handouts' file:line references and gdb transcripts\n"
          "match the code (default: every labs/*.md under --src).\n"
          "  --update        rewrite them from the code instead (make labs)\n"
          "  --anchors-only  check the file:line anchors only, run no gdb\n"
          "  --src DIR       the source tree (default: .)\n"
          "  --build DIR     where the stages were built (default: build)\n"
          "Exit status: 0 all true, 1 something differs, 2 usage error.\n");
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"update", no_argument, NULL, 'u'},
                                       {"anchors-only", no_argument, NULL, 'a'},
                                       {"src", required_argument, NULL, 's'},
                                       {"build", required_argument, NULL, 'b'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'u': update = 1; break;
    case 'a': anchors_only = 1; break;
    case 's': src = optarg; break;
    case 'b': build = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (regcomp(&anchor_re,
              "<!-- at ([A-Za-z0-9_./-]+\\.[chS]):([0-9]+) \"([^\"]+)\" -->",
              REG_EXTENDED) != 0 ||
      regcomp(&ref_re, "([A-Za-z0-9_./-]+\\.([chS])):([0-9]+)", REG_EXTENDED) !=
          0) {
    fprintf(stderr, "labcheck: bad regex\n");
    return 2;
  }
  if (!anchors_only && !gdb_available()) {
    fprintf(stderr, "labcheck: gdb-multiarch is not installed (make deps)\n");
    return 2;
  }
  if (optind < argc) {
    for (int i = optind; i < argc; i++)
      each(argv[i]);
  } else {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/labs", src);
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
      fprintf(stderr, "labcheck: cannot list %s\n", dir);
      return 2;
    }
    for (int i = 0; i < n; i++) {
      size_t len = strlen(ents[i]->d_name);
      if (len > 3 && strcmp(ents[i]->d_name + len - 3, ".md") == 0) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, ents[i]->d_name);
        each(p);
      }
      free(ents[i]);
    }
    free(ents);
  }
  regfree(&anchor_re);
  regfree(&ref_re);
  if (problems)
    fprintf(stderr, "labcheck: %d problem(s)%s\n", problems,
            update ? "" : "; `make labs` rewrites what it can");
  return problems ? 1 : 0;
}

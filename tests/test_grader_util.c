// Helpers for the grader's tests: see test_grader.h.

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "test_grader.h"

#define MAX_CAPTURE (4u << 20)

int cmd_start(struct proc *c, char *const argv[], const char *const env[],
              int out_fd, double timeout) {
  struct proc_opts o = {
      .env = env,
      .stdout_fd = out_fd > 0 ? out_fd : 0,
      .timeout = timeout,
      .max_output = MAX_CAPTURE,
  };
  return proc_start(c, argv, &o);
}

const char *grade_bin(void) {
  static char path[512];
  snprintf(path, sizeof path, "%s/host/grade", build_dir());
  if (access(path, X_OK) != 0)
    SKIP("the grader is not built (make all)");
  return path;
}

void run_grade(struct proc *c, const char *const args[],
               const char *const env[], double timeout) {
  char *argv[64];
  int n = 0;
  argv[n++] = (char *)grade_bin();
  for (const char *const *a = args; a && *a && n < 63; a++)
    argv[n++] = (char *)*a;
  argv[n] = NULL;
  if (cmd_start(c, argv, env, -1, timeout) < 0) {
    CHECK(0, "cannot start %s: %s", argv[0], strerror(errno));
    return;
  }
  proc_wait(c);
  CHECK(!c->timed_out, "the grader itself ran over %.0fs", timeout);
  CHECK(!c->flooded, "the grader printed over %zu bytes", c->max_output);
  CHECK(c->timed_out || c->flooded || !c->signal,
        "the grader died of signal %d", c->signal);
  if (getenv("HVTEST_VERBOSE"))
    show_output(c);
}

double grade_time_limit(double timeout, int waves) {
  return 2 * waves * (timeout + WATCHDOG_GRACE) + 4;
}

double longest_test(const char *out) {
  regex_t re;
  if (!out || regcomp(&re,
                      "^step[0-9]+: [a-z0-9_]+ \\.\\.\\. (OK|FAIL) "
                      "\\(([0-9.]+)s\\)",
                      REG_EXTENDED | REG_NEWLINE) != 0)
    return -1;
  double longest = -1;
  regmatch_t m[3];
  for (const char *s = out; *s && regexec(&re, s, 3, m, 0) == 0;) {
    double t = strtod(s + m[2].rm_so, NULL);
    if (t > longest)
      longest = t;
    const char *nl = strchr(s + m[0].rm_eo, '\n');
    if (!nl)
      break;
    s = nl + 1;  // next line: '^' matches at the start of the string
  }
  regfree(&re);
  return longest;
}

void show_output(const struct proc *c) {
  printf("    --- grader output (%zu bytes) ---\n", c->len);
  const char *s = c->out ? c->out : "";
  while (*s) {
    size_t n = strcspn(s, "\n");
    printf("    | %.*s\n", (int)n, s);
    s += n + (s[n] == '\n');
  }
}

char *make_tmpdir(const char *tag) {
  const char *t = getenv("TMPDIR");
  char *p = malloc(512);
  snprintf(p, 512, "%s/hvlab-%s-XXXXXX", t && *t ? t : "/tmp", tag);
  if (!mkdtemp(p)) {
    CHECK(0, "mkdtemp %s: %s", p, strerror(errno));
    free(p);
    SKIP("no temporary directory");
  }
  return p;
}

void remove_tree(const char *dir) {
  if (!dir || !strstr(dir, "hvlab-"))
    return;  // never anything we did not make
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("    (could not remove %s)\n", dir);
}

int write_text(const char *path, const char *text, int mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0)
    return -1;
  size_t n = strlen(text);
  int ok = write(fd, text, n) == (ssize_t)n;
  return close(fd) == 0 && ok ? 0 : -1;
}

char *read_text(const char *path, size_t *len) { return read_file(path, len); }

int grade_score(const char *out, int *got, int *max) {
  const char *s = out ? strstr(out, "\nScore: ") : NULL;
  return s && sscanf(s, "\nScore: %d/%d", got, max) == 2 ? 0 : -1;
}

int count_lines(const char *text, const char *regex) {
  regex_t re;
  if (!text || regcomp(&re, regex, REG_EXTENDED | REG_NEWLINE) != 0)
    return -1;
  int n = 0;
  regmatch_t m;
  for (const char *s = text; *s && regexec(&re, s, 1, &m, 0) == 0;) {
    n++;
    const char *nl = strchr(s + m.rm_eo, '\n');
    if (!nl)
      break;
    s = nl + 1;
  }
  regfree(&re);
  return n;
}

int process_gone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH)
    return 1;
  // A zombie is gone too: its parent (us, or init) just has not reaped it.
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'Z';
}

// ---- A JSON checker: RFC 8259 syntax, strings in valid UTF-8 ----------------

struct js {
  const unsigned char *p;
  char *why;
  size_t n;
};

static int jfail(struct js *j, const char *what) {
  snprintf(j->why, j->n, "%s at '%.20s'", what, (const char *)j->p);
  return -1;
}

static void ws(struct js *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
    j->p++;
}

static int jvalue(struct js *j, int depth);

static int jstring(struct js *j) {
  if (*j->p != '"')
    return jfail(j, "expected a string");
  j->p++;
  for (;;) {
    unsigned c = *j->p;
    if (c == '"') {
      j->p++;
      return 0;
    }
    if (c < 0x20)
      return jfail(j, "raw control character in a string");
    if (c == '\\') {
      j->p++;
      if (*j->p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
            return jfail(j, "bad \\u escape");
        j->p += 5;
      } else if (*j->p && strchr("\"\\/bfnrt", *j->p)) {
        j->p++;
      } else
        return jfail(j, "bad escape");
      continue;
    }
    if (c < 0x80) {
      j->p++;
      continue;
    }
    int n = c >= 0xc2 && c <= 0xdf   ? 2
            : c >= 0xe0 && c <= 0xef ? 3
            : c >= 0xf0 && c <= 0xf4 ? 4
                                     : 0;
    if (!n)
      return jfail(j, "invalid UTF-8");
    for (int i = 1; i < n; i++)
      if ((j->p[i] & 0xc0) != 0x80)
        return jfail(j, "invalid UTF-8");
    j->p += n;
  }
}

static int jvalue(struct js *j, int depth) {
  if (depth > 64)
    return jfail(j, "nested too deep");
  ws(j);
  unsigned c = *j->p;
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    j->p++;
    ws(j);
    if (*j->p == close) {
      j->p++;
      return 0;
    }
    for (;;) {
      ws(j);
      if (c == '{') {
        if (jstring(j) < 0)
          return -1;
        ws(j);
        if (*j->p != ':')
          return jfail(j, "expected ':'");
        j->p++;
      }
      if (jvalue(j, depth + 1) < 0)
        return -1;
      ws(j);
      if (*j->p == ',') {
        j->p++;
        continue;
      }
      if (*j->p == close) {
        j->p++;
        return 0;
      }
      return jfail(j, "expected ',' or a closing bracket");
    }
  }
  if (c == '"')
    return jstring(j);
  for (const char *const *w = (const char *const[]){"true", "false", "null", 0};
       *w; w++)
    if (strncmp((const char *)j->p, *w, strlen(*w)) == 0) {
      j->p += strlen(*w);
      return 0;
    }
  if (c == '-' || (c >= '0' && c <= '9')) {
    char *end;
    strtod((const char *)j->p, &end);
    j->p = (const unsigned char *)end;
    return 0;
  }
  return jfail(j, "expected a value");
}

int json_valid(const char *s, char *why, size_t n) {
  struct js j = {(const unsigned char *)s, why, n};
  if (jvalue(&j, 0) < 0)
    return 0;
  ws(&j);
  if (*j.p)
    return jfail(&j, "text after the value"), 0;
  return 1;
}

int xml_has_bad_bytes(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
      return 1;
  return 0;
}

int stage_score(const char *out, int stage, int *got, int *max) {
  // The summary line: "step1: 20/20, step2: 20/20, ... (15.3s)".
  char head[16];
  int n = snprintf(head, sizeof head, "step%d: ", stage);
  for (const char *s = out; (s = strstr(s, head)); s++)
    if ((s == out || s[-1] == '\n' || (s - out >= 2 && s[-2] == ',')) &&
        sscanf(s + n, "%d/%d", got, max) == 2)
      return 0;
  return -1;
}

// Text buffers, and the two machine-readable reports: Gradescope's
// results.json and JUnit XML.
//
// Everything in them that came from a submission (console lines, probe
// notes) is untrusted: it may hold any byte at all. It is escaped first by
// hvlab/escape.h's rule (ESC as \x1b), as on the terminal and in the
// transcripts. A report that does not
// parse is worse than none -- Gradescope shows "autograder failed" and the
// student learns nothing -- so both escapers replace control characters
// and invalid UTF-8 with U+FFFD instead of copying them through.

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grade.h"
#include "hvlab/escape.h"

// Append a string literal.
#define SB_LIT(b, lit) sb_add(b, lit, sizeof(lit) - 1)

// ---- Text buffers ------------------------------------------------------------

// Grow b to hold n more bytes and the NUL. Out of memory is fatal: the
// grader cannot report anything honest without its buffers.
static void grow(struct sbuf *b, size_t n) {
  if (b->len + n + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 256;
  while (b->len + n + 1 > cap)
    cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s) {
    fprintf(stderr, "grade: out of memory\n");
    _exit(2);
  }
  b->s = s;
  b->cap = cap;
}

void sb_add(struct sbuf *b, const char *s, size_t n) {
  grow(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

void sb_printf(struct sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  grow(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void sb_free(struct sbuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

const char *sb_str(const struct sbuf *b) { return b->s ? b->s : ""; }

void sb_add_escaped(struct sbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char e[HV_ESCAPE_MAX];
    int k = hv_escape_byte((unsigned char)s[i], e);
    sb_add(b, e, (size_t)k);
  }
}

void fput_escaped(FILE *f, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char e[HV_ESCAPE_MAX];
    hv_escape_byte((unsigned char)s[i], e);
    fputs(e, f);
  }
}

// ---- Escaping ----------------------------------------------------------------

// The length of the well-formed UTF-8 sequence at s (1-4), or 0 if the
// bytes there are not one (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF). XML also forbids U+FFFE and U+FFFF.
static int utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  int n;
  unsigned lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0)
      lo = 0xa0;
    if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0)
      lo = 0x90;
    if (c == 0xf4)
      hi = 0x8f;
  } else
    return 0;
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (int i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  if (n == 3 && c == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
    return 0;  // U+FFFE, U+FFFF
  return n;
}

#define REPLACEMENT "\xef\xbf\xbd"  // U+FFFD in UTF-8

void json_escape(struct sbuf *b, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    unsigned c = *s;
    int n = utf8_len(s);
    if (n == 0) {
      SB_LIT(b, "\\ufffd");
      s++;
    } else if (n > 1) {
      sb_add(b, (const char *)s, (size_t)n);
      s += n;
    } else {
      switch (c) {
      case '"': SB_LIT(b, "\\\""); break;
      case '\\': SB_LIT(b, "\\\\"); break;
      case '\n': SB_LIT(b, "\\n"); break;
      case '\t': SB_LIT(b, "\\t"); break;
      case '\r': SB_LIT(b, "\\r"); break;
      default:
        if (c < 0x20 || c == 0x7f)
          sb_printf(b, "\\u%04x", c);
        else
          sb_add(b, (const char *)s, 1);
      }
      s++;
    }
  }
}

void xml_escape(struct sbuf *b, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    unsigned c = *s;
    int n = utf8_len(s);
    if (n == 0) {
      sb_add(b, REPLACEMENT, 3);
      s++;
    } else if (n > 1) {
      sb_add(b, (const char *)s, (size_t)n);
      s += n;
    } else {
      switch (c) {
      case '&': SB_LIT(b, "&amp;"); break;
      case '<': SB_LIT(b, "&lt;"); break;
      case '>': SB_LIT(b, "&gt;"); break;
      case '"': SB_LIT(b, "&quot;"); break;
      case '\'': SB_LIT(b, "&apos;"); break;
      default:
        // XML 1.0 has no way at all to write most control characters,
        // not even as &#x..;
        if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
          sb_add(b, REPLACEMENT, 3);
        else
          sb_add(b, (const char *)s, 1);
      }
      s++;
    }
  }
}

// ---- Writing files -----------------------------------------------------------

// Write b to path through a temporary file and rename(), so a reader never
// sees half a report, even if we are killed while writing it.
static int write_file(const char *path, const struct sbuf *b) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid()) >=
      (int)sizeof tmp) {
    fprintf(stderr, "grade: %s: path too long\n", path);
    return -1;
  }
  FILE *f = fopen(tmp, "w");
  if (!f) {
    fprintf(stderr, "grade: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  int ok = fwrite(sb_str(b), 1, b->len, f) == b->len;
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, path) != 0) {
    fprintf(stderr, "grade: cannot write %s: %s\n", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

// What a test's "output" says: the verdict, and for a failure the reason,
// the listing and where the transcript is. Kept to a readable size.
#define MAX_TEST_OUTPUT 12000
static void test_output(struct sbuf *o, const struct result *r) {
  if (r->passed) {
    sb_printf(o, "OK (%.1fs): %s", r->seconds,
              r->test->about ? r->test->about : "");
    return;
  }
  sb_printf(o, "FAIL (%.1fs): ", r->seconds);
  sb_add_escaped(o, r->reason, strlen(r->reason));
  sb_add(o, "\n", 1);
  if (r->test->about)
    sb_printf(o, "This test checks: %s\n", r->test->about);
  const char *d = sb_str(&r->details);
  size_t n = strlen(d);
  if (n > MAX_TEST_OUTPUT) {
    sb_add_escaped(o, d, MAX_TEST_OUTPUT);
    sb_printf(o, "\n... (%zu more bytes)\n", n - MAX_TEST_OUTPUT);
  } else
    sb_add_escaped(o, d, n);
  if (r->transcript[0])
    sb_printf(o, "transcript: %s\n", r->transcript);
}

int write_json(const char *path, const struct result *r, int n, double secs) {
  struct sbuf b = {0}, s = {0};
  int score = 0, max = 0;
  for (int i = 0; i < n; i++) {
    max += r[i].test->points;
    score += r[i].passed ? r[i].test->points : 0;
  }
  // Gradescope's examples give whole seconds; round up, so a run is never 0.
  sb_printf(&b, "{\n  \"score\": %d,\n  \"execution_time\": %d,\n", score,
            (int)(secs + 0.999));
  sb_printf(&s, "hvlab grader: Score: %d/%d", score, max);
  SB_LIT(&b, "  \"output\": \"");
  json_escape(&b, s.s);
  SB_LIT(&b, "\",\n");
  SB_LIT(&b, "  \"visibility\": \"visible\",\n");
  SB_LIT(&b, "  \"stdout_visibility\": \"visible\",\n");
  SB_LIT(&b, "  \"tests\": [");
  int k = 0, last = -1;
  for (int i = 0; i < n; i++) {
    const struct result *t = &r[i];
    k = t->stage->num == last ? k + 1 : 1;
    last = t->stage->num;
    struct sbuf o = {0}, name = {0};
    sb_printf(&name, "step%d: %s", t->stage->num, t->test->name);
    test_output(&o, t);
    sb_printf(&b, "%s{", i ? ",\n    " : "\n    ");
    SB_LIT(&b, "\"name\": \"");
    json_escape(&b, name.s);
    sb_printf(&b,
              "\", \"number\": \"%d.%d\", \"score\": %d, \"max_score\": %d, "
              "\"status\": \"%s\",\n     \"visibility\": \"",
              t->stage->num, k, t->passed ? t->test->points : 0,
              t->test->points, t->passed ? "passed" : "failed");
    json_escape(&b, t->test->visibility ? t->test->visibility : "visible");
    SB_LIT(&b, "\",\n     \"output\": \"");
    json_escape(&b, sb_str(&o));
    SB_LIT(&b, "\"}");
    sb_free(&o);
    sb_free(&name);
  }
  SB_LIT(&b, "\n  ]\n}\n");
  int rc = write_file(path, &b);
  sb_free(&b);
  sb_free(&s);
  return rc;
}

int write_junit(const char *path, const struct result *r, int n, double secs) {
  struct sbuf b = {0};
  int failures = 0;
  for (int i = 0; i < n; i++)
    failures += !r[i].passed;
  sb_printf(&b,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"hvlab\" tests=\"%d\" failures=\"%d\" "
            "time=\"%.3f\">\n",
            n, failures, secs);
  for (int i = 0; i < n;) {
    // One <testsuite> per stage: results come grouped by stage.
    int j = i, fails = 0;
    double t = 0;
    for (; j < n && r[j].stage == r[i].stage; j++) {
      fails += !r[j].passed;
      t += r[j].seconds;
    }
    sb_printf(&b,
              "  <testsuite name=\"step%d\" tests=\"%d\" failures=\"%d\" "
              "errors=\"0\" time=\"%.3f\">\n",
              r[i].stage->num, j - i, fails, t);
    for (; i < j; i++) {
      const struct result *x = &r[i];
      sb_printf(&b, "    <testcase classname=\"hvlab.step%d\" name=\"",
                x->stage->num);
      xml_escape(&b, x->test->name);
      sb_printf(&b, "\" time=\"%.3f\">\n", x->seconds);
      sb_printf(&b,
                "      <properties><property name=\"points\" value=\"%d\"/>"
                "</properties>\n",
                x->test->points);
      if (!x->passed) {
        struct sbuf o = {0};
        test_output(&o, x);
        struct sbuf why = {0};
        sb_add_escaped(&why, x->reason, strlen(x->reason));
        SB_LIT(&b, "      <failure message=\"");
        xml_escape(&b, sb_str(&why));
        sb_free(&why);
        SB_LIT(&b, "\" type=\"FAIL\">");
        xml_escape(&b, sb_str(&o));
        SB_LIT(&b, "</failure>\n");
        sb_free(&o);
      }
      SB_LIT(&b, "    </testcase>\n");
    }
    SB_LIT(&b, "  </testsuite>\n");
  }
  SB_LIT(&b, "</testsuites>\n");
  int rc = write_file(path, &b);
  sb_free(&b);
  return rc;
}

// Checking the boot arguments against a stage's table (see bootargs.h).
//
// The line comes from whoever started QEMU, so every byte is suspect: a
// number must be digits only and fit its range (overflow is detected,
// not wrapped), a word must be one the stage knows, a list must fit its
// buffer whole. The line is checked completely before anything is stored,
// so a stage either gets all its arguments or none.

#include "bootargs.h"
#include "defs.h"
#include "hvlab/escape.h"

#define LONG_MAX_ ((long)(~0UL >> 1))

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Boot arguments are shown the way guest bytes are (hvlab/escape.h:
// unprintable bytes as \xHH), and newline and tab too, so that a reason
// or an echo is always one line.
static int escape(u8 c, char out[HV_ESCAPE_MAX]) {
  if (c == '\n' || c == '\t')
    return snprintf(out, HV_ESCAPE_MAX, "\\x%02x", c);
  return hv_escape_byte(c, out);
}

// Append s[0..n) to err at *len, escaped, and cut with "..." if it is
// long: a reason is one line, whatever the input.
static void put_escaped(char *err, size_t errn, size_t *len, const char *s,
                        size_t n) {
  char e[HV_ESCAPE_MAX];
  for (size_t i = 0; i < n && *len + 1 < errn; i++) {
    if (i == 40) {
      *len += (size_t)snprintf(err + *len, errn - *len, "...");
      break;
    }
    escape((u8)s[i], e);
    *len += (size_t)snprintf(err + *len, errn - *len, "%s", e);
  }
  if (*len >= errn)
    *len = errn - 1;
}

// err = "<token>: <why>", the token escaped.
static int fail(char *err, size_t errn, const char *tok, size_t toklen,
                const char *why) {
  if (errn == 0)
    return -1;
  size_t len = 0;
  err[0] = 0;
  if (toklen) {
    len += (size_t)snprintf(err, errn, "'");
    put_escaped(err, errn, &len, tok, toklen);
    if (len + 1 < errn)
      len += (size_t)snprintf(err + len, errn - len, "': ");
  }
  if (len < errn)
    snprintf(err + len, errn - len, "%s", why);
  return -1;
}

// The word after w in t's list (see bootarg.stride).
static const char *const *next_word(const struct bootarg *t,
                                    const char *const *w) {
  return (const char *const *)((const u8 *)w +
                               (t->stride ? t->stride : sizeof(*w)));
}

// Is s[0..n) one of t's words? Returns its entry or NULL.
static const char *const *find_word(const struct bootarg *t, const char *s,
                                    size_t n) {
  for (const char *const *w = t->words; *w; w = next_word(t, w))
    if (strlen(*w) == n && strncmp(*w, s, n) == 0)
      return w;
  return NULL;
}

// "seed, hello, fault" into buf.
static void word_list(const struct bootarg *t, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = 0;
  for (const char *const *w = t->words; *w && len < n; w = next_word(t, w))
    len += (size_t)snprintf(buf + len, n - len, "%s%s",
                            w == t->words ? "" : ", ", *w);
}

// Check one value v[0..vn) for t; store it too if `store`.
static int check_value(const struct bootarg *t, const char *tok, size_t toklen,
                       const char *v, size_t vn, int store, char *err,
                       size_t errn) {
  char why[200], words[160];
  if (t->type == BOOTARG_NUM) {
    long x = 0;
    int ok = vn > 0, big = 0;
    for (size_t i = 0; i < vn; i++) {
      if (v[i] < '0' || v[i] > '9') {
        ok = 0;
        break;
      }
      int d = v[i] - '0';
      if (big || x > (LONG_MAX_ - d) / 10)  // x * 10 + d would overflow
        big = 1;  // (read on: a letter later is still "not a number")
      else
        x = x * 10 + d;
    }
    if (!ok || big || x < t->min || x > t->max) {
      snprintf(why, sizeof why, "%s: expected a whole number from %ld to %ld",
               ok ? "out of range" : "not a number", t->min, t->max);
      return fail(err, errn, tok, toklen, why);
    }
    if (store)
      *t->num = x;
    return 0;
  }
  word_list(t, words, sizeof words);
  if (t->type == BOOTARG_WORD) {
    const char *const *w = find_word(t, v, vn);
    if (!w) {
      snprintf(why, sizeof why, "expected one of: %s", words);
      return fail(err, errn, tok, toklen, why);
    }
    if (store)
      *t->word = *w;
    return 0;
  }
  // BOOTARG_LIST: "a,b,c", each a known word, the whole fitting in buf.
  if (vn == 0) {
    snprintf(why, sizeof why, "the list is empty: name at least one of: %s",
             words);
    return fail(err, errn, tok, toklen, why);
  }
  if (vn + 1 > t->size) {
    snprintf(why, sizeof why, "too long: at most %d characters",
             (int)t->size - 1);
    return fail(err, errn, tok, toklen, why);
  }
  for (size_t i = 0; i <= vn;) {
    size_t j = i;
    while (j < vn && v[j] != ',')
      j++;
    if (!find_word(t, v + i, j - i)) {
      size_t len = 0;
      if (j == i)
        snprintf(why, sizeof why, "an empty name in the list; names are: %s",
                 words);
      else {
        len = (size_t)snprintf(why, sizeof why, "no such name '");
        put_escaped(why, sizeof why, &len, v + i, j - i);
        if (len < sizeof why)
          snprintf(why + len, sizeof why - len, "'; names are: %s", words);
      }
      return fail(err, errn, tok, toklen, why);
    }
    i = j + 1;
  }
  if (store) {
    memcpy(t->buf, v, vn);
    t->buf[vn] = 0;
  }
  return 0;
}

// One pass over the line: check every word, and store if `store`.
static int scan(const char *line, const struct bootarg *t, int n, int store,
                char *err, size_t errn) {
  unsigned char seen[BOOTARGS_MAX + 2] = {0};  // + help, tag
  int help = 0;
  if (n < 0 || n > BOOTARGS_MAX)
    return fail(err, errn, "", 0, "a stage may declare 0..32 keys");
  for (const char *p = line ? line : ""; *p;) {
    while (is_space(*p))
      p++;
    if (!*p)
      break;
    const char *tok = p;
    while (*p && !is_space(*p))
      p++;
    size_t toklen = (size_t)(p - tok), klen = 0;
    while (klen < toklen && tok[klen] != '=')
      klen++;
    const char *v = tok + klen + 1;
    size_t vn = klen < toklen ? toklen - klen - 1 : 0;
    int has_value = klen < toklen;

    int k = -1;  // which key: 0..n-1, n = help, n + 1 = tag
    for (int i = 0; i < n && k < 0; i++)
      if (strlen(t[i].key) == klen && strncmp(t[i].key, tok, klen) == 0)
        k = i;
    if (k < 0 && klen == 4 && strncmp(tok, "help", 4) == 0)
      k = n;
    if (k < 0 && klen == 3 && strncmp(tok, "tag", 3) == 0)
      k = n + 1;
    if (k < 0)
      return fail(err, errn, tok, toklen, "unknown key");
    if (seen[k])
      return fail(err, errn, tok, toklen, "given twice");
    seen[k] = 1;
    if (k == n) {
      if (has_value)
        return fail(err, errn, tok, toklen, "help takes no value");
      help = 1;
      continue;
    }
    if (k == n + 1)
      continue;  // tag=anything: for the caller, not for us
    if (!has_value)
      return fail(err, errn, tok, toklen, "needs a value (key=value)");
    if (check_value(&t[k], tok, toklen, v, vn, store, err, errn) < 0)
      return -1;
  }
  return help;
}

int bootargs_parse(const char *line, const struct bootarg *t, int n, char *err,
                   size_t errn) {
  if (errn)
    err[0] = 0;
  int r = scan(line, t, n, 0, err, errn);  // check everything first ...
  if (r == 0)
    scan(line, t, n, 1, err, errn);  // ... then store
  return r;
}

void bootargs_help(const struct bootarg *t, int n) {
  char left[24];
  for (int i = 0; i < n; i++) {
    const char *form = t[i].type == BOOTARG_NUM    ? "N"
                       : t[i].type == BOOTARG_WORD ? "WORD"
                                                   : "NAME,...";
    snprintf(left, sizeof left, "%s=%s", t[i].key, form);
    printf("  %-18s %s\n", left, t[i].help);
    if (t[i].type == BOOTARG_NUM) {
      printf("  %-18s N from %ld to %ld\n", "", t[i].min, t[i].max);
      continue;
    }
    // The words, wrapped to fit 80 columns.
    int col = printf("  %-18s %s:", "",
                     t[i].type == BOOTARG_WORD ? "one of" : "names");
    for (const char *const *w = t[i].words; *w;) {
      const char *const *next = next_word(&t[i], w);
      int len = (int)strlen(*w) + 2;
      if (col + len > 78)
        col = printf("\n  %-18s", "") - 1;
      col += printf(" %s%s", *w, *next ? "," : "");
      w = next;
    }
    printf("\n");
  }
  printf("  %-18s %s\n", "tag=TEXT", "ignored: a label to find a run by");
  printf("  %-18s %s\n", "help", "list these and stop");
}

void print_escaped(const char *s, size_t n) {
  char e[HV_ESCAPE_MAX];
  for (size_t i = 0; i < n; i++) {
    escape((u8)s[i], e);
    printf("%s", e);
  }
}

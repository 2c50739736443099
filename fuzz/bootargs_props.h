// Properties of the boot-argument parser (runtime/riscv/bootargs.c),
// checked on arbitrary lines by the fuzzer (fuzz_bootargs.c) and on fixed
// and pseudo-random lines by `make test` (tests/test_bootargs.c), which
// both compile runtime/riscv/bootargs.c in too.
//
// For any line (any bytes but NUL), against a table like stage 3's:
//   1. the parser answers -1, 0 or 1, and the same again for the same line;
//   2. on -1, its reason is one non-empty line of printable ASCII that
//      fits the buffer, and no value was stored;
//   3. on 0 or 1, every stored value is one the table allows: numbers in
//      range, a word from the list, a list that fits its buffer and names
//      only known words -- and a value nobody gave stays at its default.
#pragma once

#include <limits.h>
#include <string.h>

#include "../runtime/riscv/bootargs.h"

struct ba_vals {
  char list[16];
  long small, big;
  const char *word;
};

static const char *const ba_names[] = {"seed", "hello", "a", NULL};
static const char *const ba_words[] = {"hv", "sp", NULL};

static void ba_table(struct ba_vals *v, struct bootarg t[4]) {
  memset(v, 0, sizeof *v);
  strcpy(v->list, "seed");
  v->small = 7;
  v->big = 8;
  v->word = NULL;
  struct bootarg tt[4] = {
      BOOTARG_LIST("guest", v->list, ba_names, "a list"),
      BOOTARG_NUM("small", &v->small, 1, 1000, "a small number"),
      BOOTARG_NUM("big", &v->big, 0, LONG_MAX, "any number"),
      BOOTARG_WORD("crash", &v->word, ba_words, "a word"),
  };
  memcpy(t, tt, sizeof tt);
}

// Is s[0..n) one of the NULL-terminated words?
static int ba_known(const char *const *words, const char *s, size_t n) {
  for (; *words; words++)
    if (strlen(*words) == n && strncmp(*words, s, n) == 0)
      return 1;
  return 0;
}

// NULL if the properties hold for line, else which one failed.
static const char *bootargs_props_check(const char *line) {
  if (line == NULL)
    line = "";  // the same as no arguments
  struct ba_vals v, v2;
  struct bootarg t[4], t2[4];
  char err[128], err2[128];
  ba_table(&v, t);
  ba_table(&v2, t2);
  int r = bootargs_parse(line, t, 4, err, sizeof err);
  int r2 = bootargs_parse(line, t2, 4, err2, sizeof err2);
  if (r < -1 || r > 1)
    return "1: an answer other than -1, 0, 1";
  if (r != r2 || strcmp(err, err2) != 0 || memcmp(&v, &v2, sizeof v) != 0)
    return "1: two parses of one line differ";
  if (r < 0) {
    size_t n = strnlen(err, sizeof err);
    if (n == 0 || n == sizeof err)
      return "2: reason empty or not terminated";
    for (size_t i = 0; i < n; i++)
      if (err[i] < 0x20 || err[i] > 0x7e)
        return "2: an unprintable byte in the reason";
    ba_table(&v2, t2);  // the defaults
    if (memcmp(&v, &v2, sizeof v) != 0)
      return "2: a value was stored although the line was refused";
    return NULL;
  }
  if (v.small < 1 || v.small > 1000 || v.big < 0)
    return "3: a number out of range";
  if (v.word && v.word != ba_words[0] && v.word != ba_words[1])
    return "3: a word not from the list";
  size_t n = strnlen(v.list, sizeof v.list);
  if (n == 0 || n == sizeof v.list)
    return "3: the list is empty or not terminated";
  for (size_t i = 0; i <= n;) {
    size_t j = i;
    while (j < n && v.list[j] != ',')
      j++;
    if (!ba_known(ba_names, v.list + i, j - i))
      return "3: an unknown name in the list";
    i = j + 1;
  }
  // A key that is not in the line keeps its default.
  if (!strstr(line, "small=") && v.small != 7)
    return "3: small changed without small=";
  if (!strstr(line, "guest=") && strcmp(v.list, "seed") != 0)
    return "3: guest changed without guest=";
  return NULL;
}

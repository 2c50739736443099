// Boot arguments: the words QEMU's -append puts in the device tree's
// /chosen/bootargs ("guest=seed,hello seed=5"). Every stage declares the
// keys it accepts in a table; bootargs_parse() checks the whole line
// against it before the stage runs, so a typo or a bad number is refused
// with a list of what is accepted -- never silently replaced by a default.
//
//   static long seed = 10;
//   static const struct bootarg args[] = {
//       BOOTARG_NUM("seed", &seed, 1, 1000000, "hypercalls to allow"),
//   };
//
// Two keys exist in every stage without being declared: `help` (list the
// keys and stop) and `tag=TEXT` (ignored: a label for finding a run in ps).
#pragma once

#include "types.h"

enum bootarg_type {
  BOOTARG_NUM,   // a decimal number in [min, max]
  BOOTARG_WORD,  // one word of `words`
  BOOTARG_LIST,  // a comma-separated list of words of `words`
};

struct bootarg {
  const char *key;
  enum bootarg_type type;
  const char *help;          // one line: what it does
  long min, max;             // BOOTARG_NUM: the accepted range
  long *num;                 // BOOTARG_NUM: where the value goes
  const char *const *words;  // WORD, LIST: accepted words, NULL-terminated
  size_t stride;             // bytes from one word to the next: 0 for an
                             // array of char *; or the size of a struct
                             // whose first member is the word (a table)
  const char **word;         // WORD: set to the matching entry of words
  char *buf;                 // LIST: the list is copied here ...
  size_t size;               // ... which holds size - 1 characters
};

#define BOOTARG_NUM(k, p, lo, hi, h)                                           \
  {                                                                            \
    .key = (k), .type = BOOTARG_NUM, .num = (p), .min = (lo), .max = (hi),     \
    .help = (h)                                                                \
  }
#define BOOTARG_WORD(k, p, w, h)                                               \
  { .key = (k), .type = BOOTARG_WORD, .word = (p), .words = (w), .help = (h) }
// A word from a table of structs whose first member is the name, ended
// by an entry with a NULL name.
#define BOOTARG_TABLE(k, p, tbl, h)                                            \
  {                                                                            \
    .key = (k), .type = BOOTARG_WORD, .word = (p),                             \
    .words = (const char *const *)(tbl), .stride = sizeof((tbl)[0]),           \
    .help = (h)                                                                \
  }
#define BOOTARG_LIST(k, b, w, h)                                               \
  {                                                                            \
    .key = (k), .type = BOOTARG_LIST, .buf = (b), .size = sizeof(b),           \
    .words = (w), .help = (h)                                                  \
  }

// What a stage tells the runtime about itself (each stage's main.c).
struct stage_info {
  const char *name;            // "step3": starts its PASS/FAIL line
  const struct bootarg *args;  // the keys it accepts
  int nargs;
  const char *notes;  // printed after the key list, or NULL
  // Who can have written the hypervisor's code, for integrity_check()'s
  // "hypervisor memory was modified (...)"; NULL: only the hypervisor.
  const char *memory_note;
};
extern const struct stage_info stage;

#define BOOTARGS_MAX 32  // keys per stage

// Check `line` (NULL or "" means no arguments) against t[0..n) and store
// the values. Returns 0 if all is well, 1 if `help` was asked for, -1 with
// a one-line reason in err (size errn) if anything is wrong; then nothing
// was stored. Any byte but NUL may appear in line; the reason shows the
// unprintable ones as \xHH (hvlab/escape.h).
int bootargs_parse(const char *line, const struct bootarg *t, int n, char *err,
                   size_t errn);
// Print the keys of t[0..n), one per line, for `help` and for errors.
void bootargs_help(const struct bootarg *t, int n);
// Print s (n bytes) with unprintable bytes, newline and tab as \xHH.
void print_escaped(const char *s, size_t n);

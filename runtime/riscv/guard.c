// Noticing that memory the hypervisor relies on was overwritten: the
// guards below the stacks (stack.h), and a checksum of the hypervisor's
// code (.text, which nothing should ever write). .rodata is left out: the
// grader stops the stage with read watchpoints on its strings, and a
// checksum at boot would read them all.
//
// Nothing here runs on the exit path. integrity_check() is called where a
// guest stops and where the hypervisor panics, so that a report can say
// "guest stack overflow" or "hypervisor memory was modified" instead of
// showing a crash whose cause was overwritten long before.

#include "bootargs.h"
#include "defs.h"
#include "stack.h"

#define GUARD_WORD 0x6775617264656421UL  // "guarded!"
#define MAX_GUARDS 4

static struct guard {
  const char *what;  // "guest stack", printed as "guest stack overflow"
  u64 *lo;
  size_t words;
} guards[MAX_GUARDS];
static int nguards;
static u64 code_sum;

// Fill [lo, lo + bytes) with the pattern and check it from now on.
void guard_add(const char *what, void *lo, size_t bytes) {
  if (nguards == MAX_GUARDS)
    panic("guard_add: more than %d guards", MAX_GUARDS);
  struct guard *g = &guards[nguards++];
  *g = (struct guard){what, lo, bytes / 8};
  for (size_t i = 0; i < g->words; i++)
    g->lo[i] = GUARD_WORD;
}

// FNV-1a over 64-bit words: cheap, and any change of a word changes it.
static u64 checksum(const u64 *p, const u64 *end) {
  u64 h = 0xcbf29ce484222325UL;
  for (; p < end; p++)
    h = (h ^ *p) * 0x100000001b3UL;
  return h;
}

static u64 code_checksum(void) {
  extern u64 __text_start[], __text_end[];  // kernel.ld
  return checksum(__text_start, __text_end);
}

// Called once by boot(), on the boot stack, above its guard.
void integrity_init(void) {
  extern char boot_stack_guard[], panic_stack_guard[];  // entry.S, trapvec.S
  guard_add("hypervisor stack", boot_stack_guard, BOOT_GUARD_SIZE);
  guard_add("panic stack", panic_stack_guard, PANIC_GUARD_SIZE);
  code_sum = code_checksum();
}

// Check every guard and the code. Says what is wrong, one "hv:" line per
// problem, refills a damaged guard (so the next check reports only what
// is new), and returns the number of problems: 0 if all is intact.
int integrity_check(void) {
  int bad = 0;
  for (int i = 0; i < nguards; i++) {
    struct guard *g = &guards[i];
    size_t w = 0;  // the lowest word that changed: the deepest write
    while (w < g->words && g->lo[w] == GUARD_WORD)
      w++;
    if (w == g->words)
      continue;
    bad++;
    printf("hv: %s overflow: the guard below it was written %lu bytes "
           "deep%s\n",
           g->what, (g->words - w) * 8,
           w == 0 ? " (all of it: what lies below may be damaged too)" : "");
    for (w = 0; w < g->words; w++)
      g->lo[w] = GUARD_WORD;
  }
  if (code_sum && code_checksum() != code_sum) {
    bad++;
    printf("hv: hypervisor memory was modified (%s): its code (.text) no "
           "longer matches its checksum from boot\n",
           stage.memory_note ? stage.memory_note
                             : "nothing but the hypervisor runs here");
    code_sum = code_checksum();
  }
  return bad;
}

// A tiny test harness for hvlab's host-side tests.
//
//   TEST(name) { CHECK(x == 1, "x is %d", x); }
//
// Each TEST registers itself in a linker section, so adding a test is just
// writing it. A test fails if any CHECK in it fails; SKIP() ends it as
// skipped, with a reason. run-tests prints one line per test and finishes
// with "N passed, N failed, N skipped".
#pragma once

#include <stddef.h>

#include "qemu.h"

struct test {
  const char *name;
  void (*fn)(void);
};

#define TEST(name)                                                             \
  static void name(void);                                                      \
  static const struct test test_rec_##name = {#name, name};                    \
  static const struct test *const test_ptr_##name                              \
      __attribute__((used, section("hvtests"))) = &test_rec_##name;            \
  static void name(void)

void check_(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CHECK(cond, ...) check_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
void skip_(const char *why) __attribute__((noreturn));
// Has a CHECK of the running test failed yet?
int checks_failed(void);
#define SKIP(why) skip_(why)

// ---- Helpers for tests that boot a stage in QEMU ----------------------------
// The build directory: $HVLAB_BUILD (make sets it), else "build".
const char *build_dir(void);
// Boot build/stepN/hv.elf with the given boot arguments; returns with the
// run finished (or killed at its timeout). A failed start is a CHECK failure.
// The harness owns the result and frees it after the test; if the test
// fails, the tail of the last run's console is shown.
struct qemu_proc *boot_stage(int n, const char *append, int no_h);
// Does the console output match the extended regex (per line, '\r' removed)?
int output_has(const struct qemu_proc *p, const char *regex);
// The first capture group of regex in the output, as a number, or -1.
long output_num(const struct qemu_proc *p, const char *regex);
// CHECK that the output matches, showing the transcript's tail if not.
#define EXPECT_OUT(p, re) CHECK(output_has(p, re), "no line matches /%s/", re)
// CHECK the exit status.
#define EXPECT_STATUS(p, st) expect_status_(p, st, __FILE__, __LINE__)
void expect_status_(const struct qemu_proc *p, int st, const char *file,
                    int line);
// Print the last lines of the output (on failure).
void show_tail(const struct qemu_proc *p, int lines);

// Does the grader catch real mistakes? Each test here copies the stages'
// sources to a temporary directory, makes one small change of the kind a
// student makes, builds that copy, grades it, and checks that the test
// meant to catch the mistake fails while every test of an earlier stage
// still passes (a stage 3 bug must not cost stage 1 or 2 points).
//
// The change is a plain text replacement. If its target text is not in
// the file any more (someone edited that line), the test fails loudly
// instead of quietly testing nothing.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_grader.h"

struct mutation {
  const char *file;  // relative to the repository
  const char *find;  // must occur exactly once
  const char *replace;
  const char *catcher;   // "stepN:name" of the test that must fail
  int stage;             // N: every test of stages < N must pass
  const char *survivor;  // "stepN:name" that must still pass, or NULL
  const char *reason;    // regex the catcher's reason must match, or NULL
};

static int have_cross_compiler(void) {
  return system("command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || "
                "command -v riscv64-linux-gnu-gcc >/dev/null 2>&1") == 0;
}

// Replace the one occurrence of m->find in dir/m->file.
static int mutate(const char *dir, const struct mutation *m) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", dir, m->file);
  char *text = read_text(path, NULL);
  CHECK(text != NULL, "cannot read %s", path);
  if (!text)
    return -1;
  char *at = strstr(text, m->find);
  CHECK(at != NULL,
        "mutation target not found in %s: \"%s\" -- the file "
        "changed; update this test",
        m->file, m->find);
  if (!at) {
    free(text);
    return -1;
  }
  CHECK(strstr(at + 1, m->find) == NULL,
        "mutation target occurs more than once in %s: \"%s\"", m->file,
        m->find);
  size_t n = strlen(text), fl = strlen(m->find), rl = strlen(m->replace);
  char *out = malloc(n - fl + rl + 1);
  size_t pre = (size_t)(at - text);
  memcpy(out, text, pre);
  memcpy(out + pre, m->replace, rl);
  strcpy(out + pre + rl, at + fl);
  int r = write_text(path, out, 0644);
  CHECK(r == 0, "cannot write %s", path);
  free(text);
  free(out);
  return r;
}

// Copy the sources to a temporary directory, make m's change and build
// the stages there. Returns the directory (remove_tree and free it), with
// its build directory in build; NULL (after a failed CHECK) if that did
// not work. SKIPs without a cross compiler.
static char *build_mutant(const struct mutation *m, char *build, size_t n) {
  grade_bin();
  if (!have_cross_compiler())
    SKIP("no RISC-V cross compiler (riscv64-unknown-elf-gcc or "
         "riscv64-linux-gnu-gcc): cannot build mutated stages");
  if (access("Makefile", R_OK) != 0 || access("step1-vmxon", F_OK) != 0)
    SKIP("not run from the repository's top directory");
  char *dir = make_tmpdir("mutant");
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cp -r include runtime step* mk Makefile grader '%s/'", dir);
  CHECK(system(cmd) == 0, "copying the sources failed: %s", cmd);
  if (mutate(dir, m) < 0)
    goto fail;
  snprintf(build, n, "%s/build", dir);
  char *make[] = {"make", "-s",     "-j2",    "-C", dir,
                  NULL,   "stages", "guests", NULL};
  char bv[800];
  snprintf(bv, sizeof bv, "BUILD=%s", build);
  make[5] = bv;
  struct proc mk;
  CHECK(cmd_start(&mk, make, NULL, -1, 120) == 0, "cannot run make");
  proc_wait(&mk);
  CHECK(mk.exited && mk.status == 0, "building the mutant failed (%d)",
        mk.status);
  if (!mk.exited || mk.status != 0) {
    show_output(&mk);
    proc_free(&mk);
    goto fail;
  }
  proc_free(&mk);
  return dir;
fail:
  remove_tree(dir);
  free(dir);
  return NULL;
}

static void check_mutation(const struct mutation *m) {
  char build[700], results[700];
  char *dir = build_mutant(m, build, sizeof build);
  if (!dir)
    return;
  snprintf(results, sizeof results, "%s/results", dir);

  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build, "--results", results, NULL},
            NULL, 240);
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1", c.status);
  int got, max;
  CHECK(grade_score(c.out, &got, &max) == 0 && got < max, "no score, or full "
                                                          "marks for a mutant");

  // The catcher fails...
  char re[400];
  const char *colon = strchr(m->catcher, ':');
  snprintf(re, sizeof re, "^%.*s: %s \\.\\.\\. FAIL", (int)(colon - m->catcher),
           m->catcher, colon + 1);
  CHECK(count_lines(c.out, re) == 1, "%s did not fail", m->catcher);
  if (m->reason) {
    snprintf(re, sizeof re, "^%.*s: %s \\.\\.\\. FAIL \\([0-9.]+s\\): .*%s",
             (int)(colon - m->catcher), m->catcher, colon + 1, m->reason);
    CHECK(count_lines(c.out, re) == 1, "%s failed, but not with /%s/",
          m->catcher, m->reason);
  }
  // ... and no test of an earlier stage does.
  for (int s = 1; s < m->stage; s++) {
    snprintf(re, sizeof re, "^step%d: [a-z0-9_]+ \\.\\.\\. FAIL", s);
    CHECK(count_lines(c.out, re) == 0,
          "a stage %d test failed because of a stage %d mutation", s, m->stage);
  }
  if (m->survivor) {
    colon = strchr(m->survivor, ':');
    snprintf(re, sizeof re, "^%.*s: %s \\.\\.\\. OK",
             (int)(colon - m->survivor), m->survivor, colon + 1);
    CHECK(count_lines(c.out, re) == 1, "%s failed too", m->survivor);
  }
  if (getenv("HVTEST_VERBOSE") || count_lines(c.out, "FAIL") == 0)
    show_output(&c);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

// hypercall.c: the ecall is not skipped, so the guest makes the same
// hypercall forever (the seed guest floods the console with call #0).
TEST(grader_catches_sepc_not_advanced) {
  check_mutation(&(struct mutation){
      .file = "step3-guest/hypercall.c",
      .find = "compressed form.\n  return 4;",
      .replace = "compressed form.\n  return 0;",
      .catcher = "step3:sepc_advance",
      .stage = 3,
  });
}

// switch.S: s1 (x9) is not saved at an exit, so the guest gets back a
// stale value.
TEST(grader_catches_unsaved_register) {
  check_mutation(&(struct mutation){
      .file = "step3-guest/switch.S",
      .find = "        sd      x9, X(9)(a0)\n",
      .replace = "",
      .catcher = "step3:regs_survive",
      .stage = 3,
  });
}

// hext.c: breakpoints delegated to the guest as well.
TEST(grader_catches_wrong_hedeleg) {
  check_mutation(&(struct mutation){
      .file = "step1-vmxon/hext.c",
      .find = "((1UL << EXC_INST_MISALIGNED) | (1UL << EXC_ECALL_U) |",
      .replace = "((1UL << EXC_INST_MISALIGNED) | (1UL << EXC_ECALL_U) | "
                 "(1UL << EXC_BREAKPOINT) |",
      .catcher = "step1:delegation_csrs_gdb",
      .stage = 1,
  });
}

// run.h: the per-cause counters are never incremented. Every guest still
// passes its own tests (the hello guest checks only the total), so only a
// look into hypervisor memory can catch it.
TEST(grader_catches_counters_not_counted) {
  check_mutation(&(struct mutation){
      .file = "step3-guest/run.h",
      .find = "  __atomic_fetch_add(&t->count[idx], 1, __ATOMIC_RELAXED);\n",
      .replace = "",
      .catcher = "step3:trace_seed_gdb",
      .stage = 3,
      .survivor = "step3:guest_tests",
  });
}

// trace.c: a header whose capacity is no power of two. The stage itself
// never reads it (it uses TRACE_CAP), so every guest still passes; a
// reader that followed the header would index the ring wrongly. The
// grader must refuse it, through hostlib's trace_layout_parse.
TEST(grader_catches_bad_trace_header) {
  check_mutation(&(struct mutation){
      .file = "step3-guest/trace.c",
      .find = "    .capacity = TRACE_CAP,\n",
      .replace = "    .capacity = TRACE_CAP + 1,\n",
      .catcher = "step3:trace_seed_gdb",
      .stage = 3,
      .survivor = "step3:guest_tests",
      .reason = "exit trace header makes no sense \\(capacity",
  });
}

// guest_seed.S with a .size for guest_seed: then the grader finds the
// seed guest's ecall in the ELF (hostlib's rv_find_insn) instead of at its
// first exit, and trace_seed_gdb passes just the same.
TEST(grader_seed_ecall_from_the_elf) {
  char build[700], results[700];
  char *dir = build_mutant(
      &(struct mutation){
          .file = "step3-guest/guest_seed.S",
          .find = ".option pop\n",
          .replace = ".option pop\n.size guest_seed, . - guest_seed\n",
      },
      build, sizeof build);
  if (!dir)
    return;
  snprintf(results, sizeof results, "%s/results", dir);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build, "--results", results,
                                  "--test", "trace_seed_gdb", "-v", NULL},
            NULL, 60);
  CHECK(c.exited && c.status == 0 &&
            count_lines(c.out, "^step3: trace_seed_gdb \\.\\.\\. OK") == 1,
        "trace_seed_gdb did not pass (status %d)", c.status);
  CHECK(count_lines(c.out, "note +the seed guest's ecall is at 0x[0-9a-f]+ "
                           "\\(from the ELF\\)$") == 1,
        "the ecall was not found in the ELF");
  CHECK(count_lines(c.out, "ok +at its hypercall #0 ") == 1,
        "hypercall #0 was not checked at the ecall");
  if (c.status != 0 || getenv("HVTEST_VERBOSE"))
    show_output(&c);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

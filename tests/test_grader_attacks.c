// Submissions that try to fool the grader, which it must not reward:
//
//  - print-only: every stage replaced by a program that prints, for each
//    boot configuration the grader uses, exactly what the reference
//    printed (captured here, from the reference build), and powers off
//    with the reference's status. No CSR is set, no guest runs.
//  - faked state: the same, plus what a probe might look at in stage 3: a
//    static exit_trace that agrees with the console, a guest_exit that
//    sets scause, sepc and hstatus.SPV by hand, and a "guest_seed" whose
//    ecalls run in HS-mode.
//
// The goal (issue 9): print-only at most 5 of 100 points, faked state at
// most 10.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_grader.h"

static const char *const clean_env[] = {
    "MAKEFLAGS=", "MAKELEVEL=", "MFLAGS=", NULL};

struct config {
  int stage;
  const char *append;  // "" for none
  int no_h;
  int image;  // run the grader's guest
};

// Every boot the grader's tables make (grader/step*.c).
static const struct config configs[] = {
    {1, "", 0, 0},
    {1, "", 1, 0},
    {2, "", 0, 0},
    {2, "", 1, 0},
    {3, "", 0, 0},
    {3, "guest=seed seed=7", 0, 0},
    {3, "guest=seed seed=3", 0, 0},
    {3, "guest=seed seed=5", 0, 0},
    {3, "guest=hello", 0, 0},
    {3, "guest=fault", 0, 0},
    {3, "guest=wfi", 0, 0},
    {3, "guest=image", 0, 1},
};
#define NCONFIG (int)(sizeof configs / sizeof configs[0])

// The stage's own output: what follows OpenSBI's banner, '\r' dropped.
static char *stage_output(const char *out) {
  const char *s = out, *last = NULL;
  for (const char *p = out; (p = strstr(p, "Boot HART")); p++)
    last = p;
  if (last && (s = strchr(last, '\n')))
    s++;
  else
    s = out;
  char *r = malloc(strlen(s) + 1), *o = r;
  for (; *s; s++)
    if (*s != '\r')
      *o++ = *s;
  *o = 0;
  return r;
}

static void c_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\n')
      fputs("\\n\"\n    \"", f);
    else if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      fprintf(f, "\\%03o", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

// Capture the reference's runs and write stage n's replay main.c.
static int write_replay(const char *dir, int n, const char *extra_code) {
  char path[700];
  snprintf(path, sizeof path, "%s/replay%d.c", dir, n);
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "#include \"defs.h\"\n%s\n", extra_code ? extra_code : "");
  // The keys the grader's boots use, for the runtime's strict parser.
  fprintf(f,
          "#include \"bootargs.h\"\n"
          "static char guests_[64];\n"
          "static long seed_;\n"
          "static const char *const gnames_[] = {\"seed\", \"hello\", "
          "\"fault\", \"wfi\", \"image\", NULL};\n"
          "static const char *const cwords_[] = {\"hv\", NULL};\n"
          "static const struct bootarg args_[] = {\n"
          "    BOOTARG_LIST(\"guest\", guests_, gnames_, \"\"),\n"
          "    BOOTARG_NUM(\"seed\", &seed_, 1, 100, \"\"),\n"
          "    BOOTARG_WORD(\"crash\", &boot_crash, cwords_, \"\"),\n"
          "};\n"
          "const struct stage_info stage = {\"step%d\", args_, "
          "ARRAY_SIZE(args_), NULL, NULL};\n",
          n);
  fprintf(f, "static const struct {\n  const char *args;\n  int no_h, "
             "status;\n  const char *text;\n} runs[] = {\n");
  char gpath[600], gfile[700];
  snprintf(gpath, sizeof gpath, "%s/grader/g3.elf", build_dir());
  snprintf(gfile, sizeof gfile, "loader,file=%s", gpath);
  for (int i = 0; i < NCONFIG; i++) {
    const struct config *c = &configs[i];
    if (c->stage != n)
      continue;
    char kernel[600];
    snprintf(kernel, sizeof kernel, "%s/step%d/hv.elf", build_dir(), n);
    const char *extra[] = {
        "-device", gfile,
        "-device", "loader,addr=0x84100000,data=0x1234567,data-len=8",
        "-device", "loader,addr=0x84100008,data=2,data-len=8",
        NULL};
    struct qemu_cfg cfg = {.kernel = kernel,
                           .no_h = c->no_h,
                           .append = c->append[0] ? c->append : NULL,
                           .timeout = 30,
                           .extra = c->image ? extra : NULL};
    struct qemu_proc p;
    memset(&p, 0, sizeof p);
    if (qemu_run(&cfg, &p) < 0) {
      fclose(f);
      return -1;
    }
    char *text = stage_output(p.out ? p.out : "");
    fprintf(f, "    {\"%s\", %d, %d,\n    ", c->append, c->no_h, p.status);
    c_string(f, text);
    fprintf(f, "},\n");
    free(text);
    qemu_free(&p);
  }
  fprintf(f, "};\n\n"
             "int stage_main(void) {\n"
             "  const char *args = dtb_bootargs(boot_dtb);\n"
             "  u64 h = 0;\n"
             "  probe_arm();\n"
             "  asm volatile(\"csrr %%0, hstatus\" : \"=r\"(h));\n"
             "  int no_h = probe_disarm() != 0;\n"
             "  (void)h;\n"
             "  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)\n"
             "    if (strcmp(args ? args : \"\", runs[i].args) == 0 &&\n"
             "        no_h == runs[i].no_h) {\n"
             "      printf(\"%%s\", runs[i].text);\n"
             "      return runs[i].status;\n"
             "    }\n"
             "  return 0;\n"
             "}\n");
  return fclose(f) == 0 ? 0 : -1;
}

// Stage 3's fakes for the probes: the exit trace, guest_exit, guest_seed.
static const char fakes[] =
    "#include \"hvlab/trace.h\"\n"
    "#include \"hvlab/csr.h\"\n"
    "#include \"riscv.h\"\n"
    "__attribute__((used)) struct exit_trace exit_trace = {\n"
    "    .magic = TRACE_MAGIC, .version = TRACE_VERSION,\n"
    "    .record_size = sizeof(struct exit_record), .capacity = TRACE_CAP,\n"
    "    .ncount = TRACE_NCOUNT,\n"
    "    .counts_off = __builtin_offsetof(struct exit_trace, count),\n"
    "    .ring_off = __builtin_offsetof(struct exit_trace, ring),\n"
    "    .total = 5, .count = {[10] = 5},\n"
    "    .ring = {[4] = {.seq = 5, .cause = 10, .arg = {0x0948564c}}}};\n"
    "__attribute__((noinline)) void trace_summary(void) {\n"
    "  asm volatile(\"\" ::: \"memory\");\n"
    "}\n"
    "void guest_seed(void);\n"
    "asm(\".globl guest_seed\\n.type guest_seed, @function\\nguest_seed:\\n\"\n"
    "    \"  li a7, 0x0948564c\\n  ecall\\n  ret\\n.size guest_seed, .-"
    "guest_seed\\n\");\n"
    "__attribute__((noinline)) void guest_exit(void) {\n"
    "  asm volatile(\"\" ::: \"memory\");\n"
    "}\n"
    "static void fake_run(void) {\n"
    "  for (int i = 0; i < 5; i++) {\n"
    "    guest_seed();\n"
    "    csr_write(scause, 10);\n"
    "    csr_write(sepc, (u64)guest_seed + 8);\n"
    "    csr_set(hstatus, HSTATUS_SPV);\n"
    "    guest_exit();\n"
    "  }\n"
    "  csr_clear(hstatus, HSTATUS_SPV);\n"
    "  trace_summary();\n"
    "}\n";

static int have_cross_compiler(void) {
  return system("command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || "
                "command -v riscv64-linux-gnu-gcc >/dev/null 2>&1") == 0;
}

// What an attack on stage `stage` needs: the grader, a cross compiler,
// the repository (`dir`, one of the stage's paths, says it is here) and
// the stage built. A test that lacks one is skipped.
static void need_for_attack(int stage, const char *dir) {
  grade_bin();
  if (!have_cross_compiler())
    SKIP("no RISC-V cross compiler");
  if (access("Makefile", R_OK) != 0 || access(dir, R_OK) != 0)
    SKIP("not run from the repository's top directory");
  char elf[600];
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build_dir(), stage);
  static char why[64];  // (static: SKIP does not return here)
  snprintf(why, sizeof why, "stage %d is not built (make all)", stage);
  if (access(elf, R_OK) != 0)
    SKIP(why);
}

// Build the attack and grade it; returns the score, or -1.
static int attack(const char *tag, int fake_state) {
  need_for_attack(3, "grader/tasks.c");
  char *dir = make_tmpdir(tag);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cp -r Makefile mk include runtime grader '%s/' && mkdir "
           "'%s/step1-vmxon' '%s/step2-vmcs' '%s/step3-guest'",
           dir, dir, dir, dir);
  CHECK(system(cmd) == 0, "copying failed");
  int score = -1;
  static const char *const dirs[] = {NULL, "step1-vmxon", "step2-vmcs",
                                     "step3-guest"};
  for (int n = 1; n <= 3; n++) {
    const char *extra = n == 3 && fake_state ? fakes : NULL;
    if (write_replay(dir, n, extra) < 0) {
      CHECK(0, "capturing the reference's stage %d failed", n);
      goto out;
    }
    snprintf(cmd, sizeof cmd, "mv '%s/replay%d.c' '%s/%s/main.c'", dir, n, dir,
             dirs[n]);
    CHECK(system(cmd) == 0, "%s", cmd);
  }
  if (fake_state) {  // the fakes run before the replay prints
    snprintf(cmd, sizeof cmd,
             "sed -i 's/^int stage_main(void) {$/int stage_main(void) {\\n  "
             "fake_run();/' '%s/step3-guest/main.c'",
             dir);
    CHECK(system(cmd) == 0, "%s", cmd);
  }
  char bv[800];
  snprintf(bv, sizeof bv, "BUILD=%s/build", dir);
  char *make[] = {"make", "-s", "-j2", "-C", dir, bv, "stages", "guests", NULL};
  struct proc mk;
  CHECK(cmd_start(&mk, make, clean_env, -1, 300) == 0, "cannot run make");
  proc_wait(&mk);
  CHECK(mk.exited && mk.status == 0, "building the attack failed (%d)",
        mk.status);
  if (!mk.exited || mk.status != 0) {
    show_output(&mk);
    proc_free(&mk);
    goto out;
  }
  proc_free(&mk);
  char build[700], results[700];
  snprintf(build, sizeof build, "%s/build", dir);
  snprintf(results, sizeof results, "%s/results", dir);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build, "--src", dir, "--results",
                                  results, NULL},
            NULL, 180);
  int got = -1, max = -1;
  CHECK(grade_score(c.out, &got, &max) == 0 && max == 100,
        "no Score of 100 points");
  // The replay is faithful: its console tests pass on their own, so it
  // is the gates that keep their points from it.
  CHECK(count_lines(c.out, "FAIL \\([0-9.]+s\\): not counted: ") >= 10,
        "the replay's console tests did not pass on their own: the test "
        "proves less than it claims");
  printf("    %s submission: Score %d/%d\n", tag, got, max);
  if (getenv("HVTEST_VERBOSE"))
    show_output(&c);
  score = got;
  proc_free(&c);
out:
  remove_tree(dir);
  free(dir);
  return score;
}

TEST(grader_attack_print_only) {
  int s = attack("print-only", 0);
  CHECK(s >= 0 && s <= 5, "a print-only submission scores %d/100 (at most 5)",
        s);
}

TEST(grader_attack_faked_state) {
  int s = attack("faked-state", 1);
  CHECK(s >= 0 && s <= 10,
        "a submission faking state scores %d/100 (at most 10)", s);
}

// Stage 5: the reference tree with step5-devices/main.c replaced by a
// program that prints the line every stage 5 test expects and powers off
// with 0, and U-Boot's lines too. Every test of the stage rests on the
// grader's own guest, stopped over gdb where it stands, or on U-Boot
// typed at, so this scores nothing at all.
static const char print5[] =
    "#include \"bootargs.h\"\n"
    "#include \"defs.h\"\n"
    "static const char *sstc_;\n"
    "static const char *const onoff_[] = {\"on\", \"off\", NULL};\n"
    "static const struct bootarg args_[] = {\n"
    "    BOOTARG_WORD(\"sstc\", &sstc_, onoff_, \"\"),\n"
    "};\n"
    "const struct stage_info stage = {\"step5\", args_, ARRAY_SIZE(args_),\n"
    "                                 NULL, NULL};\n"
    "int stage_main(void) {\n"
    "  printf(\"step5: devices, interrupts, several vCPUs\\n\");\n"
    "  printf(\"Hit any key to stop autoboot:  0 \\n=> \");\n"
    "  printf(\"echo hvlab-0123456789abcdef\\nhvlab-0123456789abcdef\\n\");\n"
    "  printf(\"=> poweroff\\n\");\n"
    "  printf(\"step5: PASS: guest 'g5' ran on 2 harts and shut down\\n\");\n"
    "  return 0;\n"
    "}\n";

TEST(grader_attack_print_only_step5) {
  need_for_attack(5, "step5-devices");
  char *dir = make_tmpdir("print5");
  char cmd[2048], path[700];
  snprintf(cmd, sizeof cmd,
           "cp -r Makefile mk include runtime grader step1-vmxon step2-vmcs "
           "step3-guest step4-mem step5-devices '%s/'",
           dir);
  CHECK(system(cmd) == 0, "copying failed");
  snprintf(path, sizeof path, "%s/step5-devices/main.c", dir);
  CHECK(write_text(path, print5, 0644) == 0, "cannot write %s", path);
  char bv[800];
  snprintf(bv, sizeof bv, "BUILD=%s/build", dir);
  char *make[] = {"make", "-s", "-j2", "-C", dir, bv, "stages", "guests", NULL};
  struct proc mk;
  CHECK(cmd_start(&mk, make, clean_env, -1, 300) == 0, "cannot run make");
  proc_wait(&mk);
  CHECK(mk.exited && mk.status == 0, "building the attack failed (%d)",
        mk.status);
  if (mk.exited && mk.status == 0) {
    char build[700], results[700];
    snprintf(build, sizeof build, "%s/build", dir);
    snprintf(results, sizeof results, "%s/results", dir);
    struct proc c;
    run_grade(&c,
              (const char *const[]){"--build", build, "--src", dir, "--results",
                                    results, "--step", "5", NULL},
              NULL, 180);
    int got = -1, max = -1;
    CHECK(grade_score(c.out, &got, &max) == 0 && got == 0 && max > 0,
          "a print-only stage 5 scores %d/%d, not 0", got, max);
    // It is the guest that is missing, not the line: the probes say so.
    CHECK(count_lines(c.out, "^step5: hsm_start_gdb \\.\\.\\. FAIL .*before "
                             "reaching the grader's guest's g_secondary") == 1,
          "the gate did not fail for want of the grader's guest");
    // U-Boot's test fails on its own (not only for its gate): nothing
    // took the keys the grader typed.
    CHECK(count_lines(c.out, "^step5: uboot_console_gdb \\.\\.\\. FAIL .*gdb: "
                             "the stage ended .* before (\"[a-zA-Z ]*\" on the "
                             "guest's console|the grader typed)") == 1,
          "uboot_console_gdb did not fail for want of U-Boot's echo");
    printf("    print-only stage 5: Score %d/%d\n", got, max);
    if (getenv("HVTEST_VERBOSE") || got != 0)
      show_output(&c);
    proc_free(&c);
  } else {
    show_output(&mk);
  }
  proc_free(&mk);
  remove_tree(dir);
  free(dir);
}

// Boot arguments: the hypervisor's parser (runtime/riscv/bootargs.c,
// compiled for the host) case by case and on pseudo-random lines; every
// stage refusing bad ones in QEMU; and make handing ARGS to QEMU byte for
// byte, with a fake QEMU that records its argv.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_grader.h"

#include "../fuzz/bootargs_props.h"
#include "../runtime/riscv/bootargs.c"

// ---- the parser, on the host --------------------------------------------------

struct parsed {
  int r;
  char err[200];
  struct ba_vals v;
};

static struct parsed parse(const char *line) {
  struct parsed p;
  struct bootarg t[4];
  ba_table(&p.v, t);
  p.r = bootargs_parse(line, t, 4, p.err, sizeof p.err);
  const char *e = bootargs_props_check(line);
  CHECK(e == NULL, "'%s': property %s", line, e);
  return p;
}

// A line that must be refused, with a reason matching `why`.
static void refused(const char *line, const char *why) {
  struct parsed p = parse(line);
  CHECK(p.r == -1 && strstr(p.err, why), "'%s': %d '%s', expected '%s'", line,
        p.r, p.err, why);
}

TEST(bootargs_accepts_what_the_table_allows) {
  struct parsed p = parse(NULL);
  CHECK(p.r == 0 && p.v.small == 7 && strcmp(p.v.list, "seed") == 0 &&
            p.v.word == NULL,
        "no line: defaults");
  p = parse("  guest=hello,a,seed\tsmall=1000 big=9223372036854775807 "
            "crash=sp tag=$(x);`y`\"' ");
  CHECK(p.r == 0, "%s", p.err);
  CHECK(strcmp(p.v.list, "hello,a,seed") == 0, "list %s", p.v.list);
  CHECK(p.v.small == 1000 && p.v.big == 9223372036854775807L, "numbers");
  CHECK(p.v.word && strcmp(p.v.word, "sp") == 0, "word");
  p = parse("small=0001 big=0");
  CHECK(p.r == 0 && p.v.small == 1 && p.v.big == 0, "leading zeros, zero");
  p = parse("help");
  CHECK(p.r == 1, "help: %d", p.r);
}

TEST(bootargs_refuses_bad_numbers) {
  refused("small=abc", "'small=abc': not a number: expected a whole number "
                       "from 1 to 1000");
  refused("small=12abc", "not a number");
  refused("small=-1", "not a number");
  refused("small=+1", "not a number");
  refused("small=0x10", "not a number");
  refused("small=", "not a number");
  refused("small=0", "out of range");
  refused("small=1001", "out of range");
  refused("small=99999999999999999999", "out of range");
  refused("big=9223372036854775808", "out of range");
  refused("big=99999999999999999999999999999999999999", "out of range");
  refused("big=99999999999999999999x", "not a number");
  refused("small", "needs a value");
}

TEST(bootargs_refuses_bad_words_and_lists) {
  refused("crash=HV", "expected one of: hv, sp");
  refused("crash=", "expected one of");
  refused("guest=", "the list is empty: name at least one of: seed, hello, a");
  refused("guest=seed,,a", "an empty name in the list");
  refused("guest=seed,", "an empty name in the list");
  refused("guest=see", "no such name 'see'; names are: seed, hello, a");
  // 15 characters fit the 16-byte buffer; 16 do not, and nothing is cut.
  CHECK(parse("guest=seed,a,a,a,a,a").r == 0, "15 characters");
  refused("guest=seed,a,a,a,a,a,a", "too long: at most 15 characters");
  refused("guest=hello,hello,hello", "too long");
}

TEST(bootargs_refuses_unknown_and_repeated_keys) {
  refused("bogus=1", "'bogus=1': unknown key");
  refused("see=1", "unknown key");  // a prefix of "seed" is not a key
  refused("smallish=1", "unknown key");
  refused("=5", "unknown key");
  refused("small=1 small=2", "'small=2': given twice");
  refused("help=1", "help takes no value");
  // Refused as a whole: the good key before the bad one is not stored.
  struct parsed p = parse("small=5 guest=a bogus");
  CHECK(p.r == -1 && p.v.small == 7 && strcmp(p.v.list, "seed") == 0,
        "a refused line stored something");
}

TEST(bootargs_reason_is_one_printable_line) {
  refused("\x1b[2J=1", "'\\x1b[2J=1': unknown key");
  refused("small=\x7f\x80\xff", "'small=\\x7f\\x80\\xff': not a number");
  refused("a\\b", "'a\\b'");  // a backslash stays one (hvlab/escape.h)
  char long_key[300];
  memset(long_key, 'k', sizeof long_key - 1);
  long_key[sizeof long_key - 1] = 0;
  struct parsed p = parse(long_key);
  CHECK(p.r == -1 && strstr(p.err, "kkk...': unknown key"), "%s", p.err);
}

// The fuzzer's properties (fuzz/bootargs_props.h) on lines built from the
// pieces that matter, pseudo-randomly but the same in every run.
TEST(bootargs_properties_hold_on_random_lines) {
  static const char *const pieces[] = {
      "guest=", "small=", "big=", "crash=", "help", "tag=", "seed", "hello",
      "a",      ",",      " ",    "\t",     "=",    "0",    "1",    "9",
      "999",    "-",      "hv",   "sp",     "\x1b", "\xff", "x",    "\\"};
  unsigned s = 12345;
  int accepted = 0, refused_ = 0;
  for (int i = 0; i < 20000; i++) {
    char line[256] = "";
    int n = (int)((s = s * 1103515245 + 12345) >> 16) % 12;
    for (int k = 0; k < n; k++) {
      s = s * 1103515245 + 12345;
      strcat(line, pieces[(s >> 16) % (sizeof pieces / sizeof pieces[0])]);
    }
    const char *e = bootargs_props_check(line);
    if (e) {
      CHECK(0, "'%s': property %s", line, e);
      break;
    }
    struct ba_vals v;
    struct bootarg t[4];
    ba_table(&v, t);
    char err[128];
    if (bootargs_parse(line, t, 4, err, sizeof err) < 0)
      refused_++;
    else
      accepted++;
  }
  // Both ways must be exercised, or the properties proved little.
  CHECK(accepted > 1000 && refused_ > 1000, "%d accepted, %d refused", accepted,
        refused_);
}

// ---- every stage, in QEMU -----------------------------------------------------

// A refusal: the reason, the list of keys, the stage's FAIL line, status 5,
// and nothing run (stage N's first line never printed).
static void stage_refuses(int n, const char *append, const char *why) {
  struct qemu_proc *p = boot_stage(n, append, 0);
  EXPECT_STATUS(p, 5);
  char re[300];
  snprintf(re, sizeof re, "^hv: bad boot argument .*%s", why);
  CHECK(output_has(p, re), "%s: no /%s/", append, re);
  EXPECT_OUT(p, "accepts these boot arguments");
  EXPECT_OUT(p, "^  crash=WORD ");
  EXPECT_OUT(p, "^  help +list these and stop$");
  snprintf(re, sizeof re,
           "^step%d: FAIL: bad boot arguments, nothing was run \\(status "
           "5\\)\n*$",
           n);
  CHECK(output_has(p, re), "%s: no FAIL line", append);
  snprintf(re, sizeof re, "^step%d: [a-z]", n);
  CHECK(!output_has(p, "^step[0-9]: [a-z]"), "%s: the stage ran", append);
}

TEST(bootargs_every_stage_refuses_bad_ones) {
  for (int n = 1; n <= 3; n++) {
    stage_refuses(n, "bogus=1", "'bogus=1': unknown key");
    stage_refuses(n, "crash=maybe", "expected one of: hv, sp");
  }
  // Keys of stage 3 are unknown to stages 1 and 2.
  stage_refuses(1, "guest=seed seed=3", "'guest=seed': unknown key");
  stage_refuses(2, "seed=3", "'seed=3': unknown key");
}

TEST(bootargs_step3_refuses_what_it_used_to_guess) {
  stage_refuses(3, "guest=", "the list is empty");
  stage_refuses(3, "iterations=abc guest=bench", "not a number");
  stage_refuses(3, "guest=bench iterations=12abc", "not a number");
  stage_refuses(3, "iterations=-1", "not a number");
  stage_refuses(3, "iterations=99999999999999999999", "out of range");
  stage_refuses(3, "seed=-1", "not a number");
  stage_refuses(3, "seed=0", "out of range");
  stage_refuses(3,
                "guest=seed,hello,seed,hello,seed,hello,seed,hello,seed,"
                "hello,seed,hello",
                "too long: at most 63 characters");
  stage_refuses(3, "guest=seed,,hello", "an empty name");
  stage_refuses(3, "hostile=nosuch", "expected one of: write_text");
  // Two keys that only go together: refused before any guest runs.
  struct qemu_proc *p = boot_stage(3, "guest=hostile", 0);
  EXPECT_STATUS(p, 5);
  EXPECT_OUT(p, "guest=hostile and hostile=NAME go together");
  CHECK(!output_has(p, "entering guest"), "a guest ran");
}

TEST(bootargs_help_lists_keys_and_the_missing_watchdog) {
  struct qemu_proc *p = boot_stage(3, "help", 0);
  EXPECT_STATUS(p, 5);
  EXPECT_OUT(p, "^  guest=NAME,\\.\\.\\. +the guests to run");
  EXPECT_OUT(p, "^ +names: seed, hello, fault, wfi, bench, hostile, image,$");
  EXPECT_OUT(p, "^ +demo$");  // the list wraps
  EXPECT_OUT(p, "^  iterations=N +null hypercalls");
  EXPECT_OUT(p, "^ +N from 1 to 1000000000000$");
  EXPECT_OUT(p, "^  note: stage 3 has no timer, so no watchdog");
  EXPECT_OUT(p, "^step3: FAIL: help asked for, nothing was run \\(status 5\\)");
}

// Accepted: the arguments are echoed, escaped, and the stage runs.
TEST(bootargs_echoed_escaped) {
  struct qemu_proc *p =
      boot_stage(3, "tag=\x1b[31m\\\"$(x)`y`;' guest=seed seed=2", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^hv: boot arguments: tag=\\\\x1b\\[31m\\\\\"\\$\\(x\\)`y`;' "
                "guest=seed seed=2$");
  EXPECT_OUT(p, "^hv: guest 'seed' reached a0 = 1 after 2 hypercalls$");
}

// ---- make -----------------------------------------------------------------------

// Run `make ARGS...` in the repository (the current directory), with the
// outer make's flags cleared, into c.
static void run_make(struct proc *c, const char *const args[]) {
  char *argv[16];
  int n = 0;
  argv[n++] = "make";
  argv[n++] = "--no-print-directory";
  static char build[300];
  snprintf(build, sizeof build, "BUILD=%s", build_dir());
  argv[n++] = build;
  for (const char *const *a = args; *a && n < 15; a++)
    argv[n++] = (char *)*a;
  argv[n] = NULL;
  static const char *const env[] = {
      "MAKEFLAGS=", "MAKELEVEL=", "MFLAGS=", NULL};
  if (cmd_start(c, argv, env, -1, 120) < 0) {
    CHECK(0, "cannot run make");
    return;
  }
  proc_wait(c);
}

// The value after -append in the NUL-separated argv the fake wrote.
static const char *append_arg(const char *argv, size_t len) {
  for (const char *a = argv; a < argv + len; a += strlen(a) + 1)
    if (strcmp(a, "-append") == 0 && a + strlen(a) + 1 < argv + len)
      return a + strlen(a) + 1;
  return NULL;
}

TEST(make_args_reach_qemu_byte_for_byte) {
  char *dir = make_tmpdir("makeargs");
  char fake[600], argvf[600], qemu_var[700], text[1400];
  snprintf(fake, sizeof fake, "%s/qemu", dir);
  snprintf(argvf, sizeof argvf, "%s/argv", dir);
  snprintf(text, sizeof text,
           "#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\0' \"$a\"; done > "
           "'%s'\n",
           argvf);
  CHECK(write_text(fake, text, 0755) == 0, "cannot write %s", fake);
  snprintf(qemu_var, sizeof qemu_var, "QEMU=%s", fake);
  // Each value tries a way out: of the shell's quotes, into make's
  // expansion, into a command substitution.
  char m1[700], m2[700], m3[700], v2[1600], v3[1600];
  snprintf(m1, sizeof m1, "%s/by-quote", dir);
  snprintf(m2, sizeof m2, "%s/by-make", dir);
  snprintf(m3, sizeof m3, "%s/by-shell", dir);
  snprintf(v2, sizeof v2, "$H $(H) ${H} $$ %% # $(shell touch %s)", m2);
  snprintf(v3, sizeof v3, "`touch %s` $(touch %s) '\\''\\ \\\\ \" ;", m3, m3);
  char v1[1600];
  snprintf(v1, sizeof v1, "x\" ; touch %s ; echo INJECTED ; \"", m1);
  const char *values[] = {v1, v2, v3, "guest=seed seed=3"};
  for (int i = 0; i < 4; i++) {
    char args[1700];
    snprintf(args, sizeof args, "ARGS=%s", values[i]);
    unlink(argvf);
    struct proc c;
    // Both ways in: `make stepN` (which runs make again) and `make qemu`.
    const char *const how[][4] = {{"step1", qemu_var, args, NULL},
                                  {"qemu", "STEP=1", qemu_var, args}};
    for (int h = 0; h < 2; h++) {
      const char *a[6] = {0};
      for (int k = 0; k < 4 && how[h][k]; k++)
        a[k] = how[h][k];
      run_make(&c, a);
      size_t len = 0;
      char *got = read_text(argvf, &len);
      const char *app = got ? append_arg(got, len) : NULL;
      CHECK(c.exited && c.status == 0, "make %s: status %d", how[h][0],
            c.status);
      CHECK(app && strcmp(app, values[i]) == 0,
            "make %s ARGS='%s': QEMU got -append '%s'", how[h][0], values[i],
            app ? app : "(none)");
      CHECK(!strstr(c.out, "INJECTED\n"), "the shell ran the injected echo");
      if (c.status != 0)
        show_output(&c);
      proc_free(&c);
      free(got);
    }
  }
  CHECK(access(m1, F_OK) != 0, "a quote in ARGS ran a command");
  CHECK(access(m2, F_OK) != 0, "make expanded $(shell) in ARGS");
  CHECK(access(m3, F_OK) != 0, "the shell ran a command substitution");
  // No ARGS: no -append at all.
  struct proc c;
  unlink(argvf);
  run_make(&c, (const char *const[]){"step1", qemu_var, NULL});
  size_t len = 0;
  char *got = read_text(argvf, &len);
  CHECK(got && !append_arg(got, len), "-append without ARGS");
  free(got);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

TEST(make_h_is_on_or_off) {
  struct proc c;
  run_make(&c, (const char *const[]){"-n", "qemu", "STEP=1", "H=maybe", NULL});
  CHECK(c.exited && c.status == 2 &&
            strstr(c.out, "H must be on or off, not 'maybe'"),
        "H=maybe: status %d", c.status);
  proc_free(&c);
  run_make(&c, (const char *const[]){"-n", "qemu", "STEP=1", "H=off", NULL});
  CHECK(c.exited && c.status == 0 && strstr(c.out, "rv64,h=false"),
        "H=off: status %d", c.status);
  proc_free(&c);
}

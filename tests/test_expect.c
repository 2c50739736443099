// hostlib/expect.c against peers that behave and peers that do not: a
// console that echoes (cat), one that says nothing, one that prints
// garbage, one that exits or closes its output early. Every wait must end
// by its deadline with an error that says what happened.

#include <stdio.h>
#include <string.h>

#include "expect.h"
#include "harness.h"

// Run `script` under sh with the console on a socket of ours.
static int spawn_sh(struct expect *e, const char *script, double timeout) {
  char *argv[] = {"sh", "-c", (char *)script, NULL};
  int r = expect_spawn(e, argv, timeout);
  CHECK(r == 0, "cannot start sh: %s", e->err);
  return r;
}

#define EXPECT_ERR(e, text)                                                    \
  CHECK(strstr((e)->err, text) != NULL, "error \"%s\", not one with \"%s\"",   \
        (e)->err, text)

TEST(expect_echo_peer_typed_and_read_back) {
  struct expect e;
  if (spawn_sh(&e, "echo ready; exec cat", 20) < 0)
    return;
  CHECK(expect(&e, "ready\n", 5) == 0, "%s", e.err);
  CHECK(expect_type(&e, "hello world\r", 5) == 0, "%s", e.err);
  CHECK(expect_send(&e, "out\r\nnext\n", 5) == 0, "%s", e.err);
  CHECK(expect(&e, "next", 5) == 0, "%s", e.err);
  // What came between the typed line and the match, '\r' dropped.
  char out[64];
  CHECK(strcmp(expect_output(&e, out, sizeof out), "out\n") == 0,
        "between the typed line and \"next\": \"%s\"", out);
  // The whole transcript is kept.
  CHECK(e.p.out && strstr(e.p.out, "ready\nhello world\rout\r\nnext"),
        "transcript: %s", e.p.out ? e.p.out : "(none)");
  // EOF on its input ends cat: status 0.
  int st = expect_end(&e, 5);
  CHECK(st == 0, "status %d (%s)", st, e.err);
  expect_free(&e);
}

TEST(expect_silent_peer_times_out_on_time) {
  struct expect e;
  if (spawn_sh(&e, "exec sleep 30", 20) < 0)
    return;
  double t0 = now_seconds();
  CHECK(expect(&e, "=> ", 0.5) < 0, "found a prompt in silence");
  double dt = now_seconds() - t0;
  CHECK(dt >= 0.5 && dt < 5, "the 0.5 s wait took %.2fs", dt);
  EXPECT_ERR(&e, "timed out after 0.5s waiting for \"=> \"");
  // It reads nothing either: the socket fills, and send gives up in time.
  static char big[1 << 20];
  memset(big, 'x', sizeof big - 1);
  t0 = now_seconds();
  CHECK(expect_send(&e, big, 0.5) < 0, "1 MiB went into a peer that reads "
                                       "nothing");
  EXPECT_ERR(&e, "does not take its input");
  CHECK(now_seconds() - t0 < 5, "send took %.2fs", now_seconds() - t0);
  // It does not exit: killed at the end's deadline.
  CHECK(expect_end(&e, 0.3) < 0, "a sleeping peer 'exited'");
  EXPECT_ERR(&e, "did not exit within 0.3s (killed)");
  expect_free(&e);
}

TEST(expect_garbage_peer_is_searched_past_nul_bytes) {
  struct expect e;
  // 64 KiB of random bytes, NULs included, then the text.
  if (spawn_sh(&e,
               "head -c 65536 /dev/urandom; printf '\\000\\001=> '; "
               "exec sleep 30",
               20) < 0)
    return;
  CHECK(expect(&e, "=> ", 5) == 0, "%s", e.err);
  CHECK(e.match >= 65538, "matched at %zu, inside the garbage?", e.match);
  CHECK(expect(&e, "never printed", 0.3) < 0, "found text never printed");
  EXPECT_ERR(&e, "timed out");
  expect_free(&e);
}

TEST(expect_peer_that_exits_is_an_error_not_a_wait) {
  struct expect e;
  if (spawn_sh(&e, "echo bye; exit 3", 20) < 0)
    return;
  double t0 = now_seconds();
  CHECK(expect(&e, "=> ", 10) < 0, "found a prompt");
  CHECK(now_seconds() - t0 < 5, "waited %.2fs on a peer that exited",
        now_seconds() - t0);
  EXPECT_ERR(&e, "exit status 3");
  EXPECT_ERR(&e, "waiting for \"=> \"");
  // Typing into it fails too, with a reason.
  CHECK(expect_type(&e, "x", 1) < 0, "typed into an exited peer");
  CHECK(expect_end(&e, 1) == 3, "status (%s)", e.err);
  expect_free(&e);
}

TEST(expect_peer_that_closes_output_but_lingers) {
  struct expect e;
  if (spawn_sh(&e, "exec >&- 2>&-; sleep 30", 20) < 0)
    return;
  double t0 = now_seconds();
  CHECK(expect(&e, "=> ", 10) < 0, "found a prompt");
  CHECK(now_seconds() - t0 < 5, "waited %.2fs", now_seconds() - t0);
  EXPECT_ERR(&e, "closed its output");
  CHECK(expect_end(&e, 0.3) < 0, "it 'exited'");
  expect_free(&e);
}

TEST(expect_flood_and_own_deadline) {
  struct expect e;
  // The child's own deadline (1 s) ends a wait asked for 30 s.
  if (spawn_sh(&e, "exec sleep 30", 1) < 0)
    return;
  double t0 = now_seconds();
  CHECK(expect(&e, "=> ", 30) < 0, "found a prompt");
  CHECK(now_seconds() - t0 < 5, "waited %.2fs past a 1 s deadline",
        now_seconds() - t0);
  EXPECT_ERR(&e, "timed out after");
  CHECK(expect_end(&e, 1) < 0, "a killed peer has an exit status");
  expect_free(&e);
  // A flood ends at the output cap (proc.h's default, 1 MiB).
  if (spawn_sh(&e, "exec yes", 20) < 0)
    return;
  CHECK(expect(&e, "=> ", 20) < 0, "found a prompt in y's");
  EXPECT_ERR(&e, "output flood");
  expect_free(&e);
}

TEST(expect_missing_program) {
  struct expect e;
  char *argv[] = {"/nonexistent/qemu", NULL};
  CHECK(expect_spawn(&e, argv, 5) < 0, "started a missing program");
  EXPECT_ERR(&e, "cannot start /nonexistent/qemu: No such file");
  CHECK(expect(&e, "x", 1) < 0, "expect on a program that never started");
  expect_free(&e);
}

// Driving a program through its console, expect-style: start it with its
// input on a socket of ours and its output collected (proc.h), wait for a
// text to appear, type, wait again. Tests drive U-Boot's `=>` prompt this
// way, natively and under the hypervisor.
//
//   struct expect e;
//   expect_qemu(&e, &cfg);                      // cfg as for qemu_start
//   expect(&e, "Hit any key", 30);              // -1: e.err says why
//   expect_send(&e, " ", 5);                    // a key, no echo awaited
//   expect(&e, "=> ", 10);
//   expect_type(&e, "version\r", 10);           // paced by the echo
//   expect(&e, "=> ", 10);                      // output is before..match
//   expect_end(&e, 10);                         // its exit status
//   expect_free(&e);
//
// Every wait has a deadline and the child has one of its own (the cfg's
// timeout), so a peer that prints nothing, prints garbage or goes away
// ends a wait with an error in e.err, never a hang. The whole transcript
// stays in e.p.out (NUL bytes included: searches use the length).
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "proc.h"
#include "qemu.h"

struct expect {
  struct proc p;  // the child; p.out/p.len is the whole transcript
  int in;         // our end of its input, -1 once closed
  size_t mark;    // the next expect() searches from here
  size_t before;  // where the last successful expect() started searching
  size_t match;   // where its text was found (p.out + match)
  int gdb_port;   // expect_qemu: QEMU's gdbstub port, if cfg asked for one
  char name[16];  // what it is, in errors ("QEMU", or argv[0]'s name)
  char err[320];  // why the last call failed
};

// Start argv[0] with its stdin on a socket of ours and its stdout and
// stderr collected; `timeout` seconds in all (<= 0: no limit but the
// waits' own). Returns 0, or -1 with the reason in e->err.
int expect_spawn(struct expect *e, char *const argv[], double timeout);
// Start QEMU with cfg (qemu.h; cfg->stdin_fd is ours to set). The same.
int expect_qemu(struct expect *e, const struct qemu_cfg *cfg);

// Wait up to `timeout` seconds for `text` in the output after the mark;
// on success move the mark past it and return 0. On a timeout, the end of
// the output (the child exited or closed it) or a flood, return -1 with
// e->err saying which and what was awaited.
int expect(struct expect *e, const char *text, double timeout);
// Like expect(), for the first of n texts; returns its index, or -1.
int expect_any(struct expect *e, const char *const *texts, int n,
               double timeout);
// Write the bytes to the child's input (waiting up to `timeout` seconds
// for room). Returns 0, or -1 if it does not read them or is gone.
int expect_send(struct expect *e, const char *bytes, double timeout);
// Type text one character at a time, each after the echo of the one
// before: a console reads one character per receive-buffer slot, and
// characters typed faster than the guest takes them are lost, so the
// echo is the sign it is ready for the next. A '\r' or '\n' is echoed as
// either. `timeout` is per character. Returns 0, or -1.
int expect_type(struct expect *e, const char *text, double timeout);

// Close the child's input (QEMU reads on; a program like cat ends) and wait up
// to `timeout` seconds for it to exit; kill it if it does not. Returns its exit
// status, or -1 (killed at the deadline, died of a signal: e->err says which).
int expect_end(struct expect *e, double timeout);
// Kill it if it still runs and free everything.
void expect_free(struct expect *e);

// The text between the last match's start of search and the match (the
// command's output, when the match is the next prompt), copied into buf
// with '\r' dropped. Returns buf.
char *expect_output(const struct expect *e, char *buf, size_t n);
// Print the last `lines` lines of the transcript to f, one "    | " line
// each, bytes that are not printable ASCII shown as \xNN.
void expect_show(const struct expect *e, FILE *f, int lines);

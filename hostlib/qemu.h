// Launching QEMU for tests, the grader and the monitor.
//
// This builds QEMU's command line; running it is proc.h's job: its own
// process group, so a timeout kills QEMU and anything it started; its
// console (serial port and QEMU's own messages) collected through a pipe,
// with a cap so a guest that floods output cannot fill the disk or the
// memory of the program that launched it.
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "proc.h"

struct qemu_cfg {
  const char *kernel;        // ELF image to boot (required)
  int no_h;                  // 1: a CPU without the H extension
  int smp;                   // harts (-smp): 1..8; 0 means 1
  const char *append;        // boot arguments (QEMU -append), or NULL
  int gdb_port;              // > 0: gdbstub on localhost:gdb_port;
                             // QEMU_GDB_AUTO: on a port we bind ourselves
                             // (race-free), reported in qemu_proc.gdb_port
  int halted;                // 1: wait for gdb before the first instruction
  int icount;                // 1: -icount shift=0 (exact instruction counts)
  double timeout;            // seconds before the run is killed; <= 0: none
  size_t max_output;         // output cap in bytes; 0: QEMU_DEFAULT_MAX_OUTPUT
  const char *disk;          // a raw disk image for stage 5's guest (QEMU's
                             // virtio-blk-device, modern transport), or NULL
  const char *const *extra;  // more QEMU arguments, NULL-terminated, or NULL
  int stdin_fd;              // > 0: the serial console's input comes from this
                             // descriptor (expect.h); 0: /dev/null, no input
  const char *qemu;          // binary; NULL: qemu-system-riscv64
};
#define QEMU_DEFAULT_MAX_OUTPUT (1u << 20)
// The machine's RAM (-m): room for stage 4's 128 MiB of guest RAM beside
// the hypervisor. The Makefile's QEMU_MEM says the same for `make stepN`.
#define QEMU_RAM "256M"
#define QEMU_RAM_BYTES (256ULL << 20)
#define QEMU_GDB_AUTO (-1)

// A running QEMU: proc.h's fields, by the same names (p->fd, p->out,
// p->status, ...), and &p->proc for the proc_* functions.
struct qemu_proc {
  union {
    struct proc proc;
    struct {
      PROC_FIELDS
    };
  };
  int gdb_port;  // the gdbstub's port, if the cfg asked for one
};

// Build the argument vector for cfg into argv (at most n entries including
// the final NULL). Returns the count, or -1 if it does not fit. The strings
// point into cfg or into buf (size bn). Exposed for tests and `--dry-run`.
int qemu_argv(const struct qemu_cfg *cfg, char **argv, int n, char *buf,
              size_t bn);

// Start QEMU. Returns 0, or -1 with errno set (e.g. ENOENT: no QEMU).
int qemu_start(const struct qemu_cfg *cfg, struct qemu_proc *p);
// Read output for up to `ms` milliseconds (or until QEMU exits); enforce the
// deadline and the output cap. Returns 1 while QEMU runs, 0 once it ended.
int qemu_pump(struct qemu_proc *p, int ms);
// Pump until QEMU ends (or is killed at its deadline).
void qemu_wait(struct qemu_proc *p);
// Kill the whole process group now and collect it.
void qemu_kill(struct qemu_proc *p);
void qemu_free(struct qemu_proc *p);

// Start, wait, and fill *p. Returns 0, or -1 if QEMU could not be started.
int qemu_run(const struct qemu_cfg *cfg, struct qemu_proc *p);

// A one-line description of how the run ended ("exit status 0",
// "timed out after 10.0s", ...), written into buf.
const char *qemu_verdict(const struct qemu_proc *p, char *buf, size_t n);

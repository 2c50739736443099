// Functions of the hypervisor runtime, by file (xv6 keeps one such list).
// Every stage includes this; stage-specific declarations live in the
// stage's own headers.
#pragma once

#include "types.h"

#include "hvlab/causes.h"  // hv_cause_name(scause)
#include "hvlab/regs.h"    // hv_xreg_name(n)
#include "hvlab/status.h"  // EXIT_OK, EXIT_FAIL, ...: how a run powers off

// boot.c
extern u64 boot_hartid;
extern void *boot_dtb;
extern const char *boot_crash;                   // crash=WORD, or NULL
int stage_main(void) __attribute__((noinline));  // each stage's main.c
// (noinline: link-time optimisation would fold it into boot(), and then
// `break stage_main` in gdb would find nothing.)

// uart.c
void uart_init(void);
void uart_putc(int c);
int uart_getc(void);  // -1 if nothing is waiting
void uart_rx_interrupt(int on);

// printf.c
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// A guest's console bytes, as they are; `prefix` first at each of its
// line starts (printf ends a guest's open line before its own).
void console_guest(const char *prefix, const char *bytes);
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

// power.c
void poweroff(int status) __attribute__((noreturn));
void hv_todo(const char *what) __attribute__((noreturn));  // make handout

// trap.c
extern int guest_loaded;
void trap_init(void);
void probe_arm(void);
u64 probe_disarm(void);
void dump_regs(const char *indent, const u64 x[32]);

// dtb.c
int dtb_check(const void *dtb);
const char *dtb_prop(const void *dtb, const char *path, const char *name,
                     int *len);
const char *dtb_cpu_isa(const void *dtb);
const char *dtb_bootargs(const void *dtb);
int isa_has_ext(const char *isa, const char *ext);

// guard.c
void integrity_init(void);
void guard_add(const char *what, void *lo, size_t bytes);
int integrity_check(void);

// string.c
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

// Physical memory map of QEMU's "virt" machine, as the hypervisor sees it.
//
//   0x00100000  sifive_test: write here to power off with a status
//   0x02000000  CLINT (timer and software interrupts; used from stage 5)
//   0x0c000000  PLIC  (external interrupts; used from stage 5)
//   0x10000000  UART0, a 16550 (our console)
//   0x80000000  RAM start. OpenSBI lives in 0x80000000-0x8007ffff and guards
//               it with PMP, so touching it from HS-mode is an access fault.
//   0x80200000  this image: OpenSBI jumps here in HS-mode with
//               a0 = hart id and a1 = address of the device tree blob.
//   0x84000000  free: where the grader has QEMU load its guests
//               (include/hvlab/layout.h).
//
// Addresses come from QEMU's hw/riscv/virt.c and the device tree it builds
// (dump it with: qemu-system-riscv64 -M virt -machine dumpdtb=virt.dtb).
#pragma once

// Addresses are unsigned long in C; assembly (hostile guests) has no UL.
#ifdef __ASSEMBLER__
#define ADDR(x) x
#else
#define ADDR(x) x##UL
#endif

#define SIFIVE_TEST ADDR(0x00100000)
#define UART0 ADDR(0x10000000)
#define RAM_BASE ADDR(0x80000000)
#define HV_BASE ADDR(0x80200000)

// The sifive_test device understands three commands (low 16 bits);
// a failure code goes in the high 16 bits and becomes QEMU's exit status.
#define SIFIVE_TEST_FAIL 0x3333
#define SIFIVE_TEST_PASS 0x5555
#define SIFIVE_TEST_RESET 0x7777

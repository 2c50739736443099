// Stage 5: the guest's interrupt controller, a SiFive PLIC at
// VIRT_PLIC_GPA laid out as QEMU virt's (vplic.c).
#pragma once

#include "vdev.h"
#include "virt5.h"  // VPLIC_NDEV: sources 1..VPLIC_NDEV (0 means "none")

#define VPLIC_PRIO_MAX 7  // priorities and thresholds are 3 bits wide

// Register the PLIC in vm, for a guest of `harts` harts: contexts 2h
// (hart h's M-mode: registers only, it never interrupts anyone) and 2h+1
// (hart h's S-mode: delivered as hart h's VS external interrupt). Every
// priority, enable and threshold 0. 0, or -1 if the region is taken or
// harts is out of 1..VHART_MAX.
int vplic_init(struct vm *vm, int harts);

// Stage 5: numbers that the guest's device tree (guest.dts, through the C
// preprocessor) and the C code both use: plain #defines only.
#pragma once

#define VPLIC_NDEV 96  // interrupt sources 1..96, as riscv,ndev on virt

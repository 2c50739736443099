// Stage 1 driver: detect H, report it, turn it on, power off.

#include "defs.h"
#include "hext.h"

int stage_main(void) {
  printf("step1: turning on virtualization (RISC-V H extension)\n");
  h_enable(1);  // powers off with EXIT_NO_H if there is no H
  printf("step1: PASS: H extension present and configured\n");
  return EXIT_OK;
}

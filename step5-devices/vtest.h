// Stage 5: virt's power-off device, sifive_test, at VIRT_TEST_GPA (vtest.c).
#pragma once

#include "vdev.h"

// Register it in vm. 0, or -1 if the region is taken.
int vtest_init(struct vm *vm);

// Stage 4: a guest from a file (loader.c).
#pragma once

#include "hvlab/guestpkg.h"
#include "vm.h"

// The package QEMU loaded (-initrd), or NULL; *len is its size.
const struct gpkg_header *gpkg_find(u64 *len);
// NULL if the package is sound for this guest RAM, else what is wrong.
const char *gpkg_check(const struct gpkg_header *h, u64 len, u64 ram_gpa,
                       u64 ram_size);
// Copy it into vm, write its device tree, and set up v to enter it.
int gpkg_load(struct vm *vm, struct vcpu *v, const struct gpkg_header *h,
              u64 ram_gpa, u64 ram_size);

// Stage 4: a guest from a file (loader.c).
#pragma once

#include "hvlab/guestpkg.h"
#include "vm.h"

// The package QEMU loaded (-initrd), or NULL; *len is its size.
const struct gpkg_header *gpkg_find(u64 *len);
// NULL if the package is sound for this guest RAM, else what is wrong.
const char *gpkg_check(const struct gpkg_header *h, u64 len, u64 ram_gpa,
                       u64 ram_size);
// The guest's device tree goes in the last GPKG_DTB_SPACE bytes of its RAM.
#define GPKG_DTB_SPACE (64UL << 10)
// Write the guest's device tree at RAM end - GPKG_DTB_SPACE; returns its
// GPA, or 0. Stage 4 writes one (loader.c); a later stage sets its own.
extern u64 (*gpkg_write_dtb)(struct vm *vm, u64 ram_gpa, u64 ram_size,
                             const char *args, u64 initrd, u64 initrd_len);
// Copy it into vm, write its device tree, and set up v to enter it.
int gpkg_load(struct vm *vm, struct vcpu *v, const struct gpkg_header *h,
              u64 ram_gpa, u64 ram_size);

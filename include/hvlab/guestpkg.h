// A guest package: a guest image, already taken apart into the pieces
// that go into guest RAM, with its boot arguments and initrd.
//
// `make run STEP=4 GUEST=file` has the host tool guestpack (tools/) check
// the file -- a raw binary or an ELF, untrusted input -- and write one of
// these; QEMU loads it into the machine with -initrd, and the device tree
// it gives the hypervisor says where (/chosen linux,initrd-start/-end).
// The hypervisor checks it again (it trusts nothing in it either), copies
// the segments into guest RAM and enters the guest like a kernel.
//
//   header | segments[nseg] | args (args_len bytes, NUL included) |
//   segment data ... | initrd
//
// All fields little-endian, offsets from the start of the package.
// Shared interface: written by tools/guestpack.c, read by step4-mem/.
#pragma once

// (Numbers only for assembly, which has no ULL: stage 5 assembles its
// built-in guest's package.)
#ifdef __ASSEMBLER__
#define GPKG_C(x) x
#else
#define GPKG_C(x) x##ULL
#endif

#define GPKG_MAGIC GPKG_C(0x314b504756484c48)  // "HLHVGPK1"
#define GPKG_VERSION 1
#define GPKG_MAX_SEGS 16
#define GPKG_MAX_ARGS 1024                // bytes of GUEST_ARGS, NUL included
#define GPKG_NAME_LEN 32                  // the image's file name, NUL-padded
#define GPKG_RAW_LOAD GPKG_C(0x80200000)  // where a raw image goes (and starts)

#ifndef __ASSEMBLER__
// The compiler's own fixed-width types, so that the freestanding hypervisor
// and the hosted tool agree without either's headers.
typedef __UINT32_TYPE__ gpkg_u32;
typedef __UINT64_TYPE__ gpkg_u64;

struct gpkg_header {
  gpkg_u64 magic;                   // GPKG_MAGIC
  gpkg_u32 version;                 // GPKG_VERSION
  gpkg_u32 nseg;                    // segments that follow the header
  gpkg_u64 entry;                   // guest-physical entry point
  gpkg_u64 size;                    // of the whole package
  gpkg_u64 args_off, args_len;      // boot arguments
  gpkg_u64 initrd_off, initrd_len;  // 0, 0: none
  char name[GPKG_NAME_LEN];
};

struct gpkg_seg {
  gpkg_u64 gpa;     // where it goes in guest RAM
  gpkg_u64 off;     // its bytes in the package
  gpkg_u64 filesz;  // bytes to copy
  gpkg_u64 memsz;   // bytes it covers (the rest is zero)
};
#endif

# Stage 5's built-in guest: sbitest (guest/sbitest.c), as a guest package
# (include/hvlab/guestpkg.h) like the one `make run GUEST=` has guestpack
# write, put together here so that building the stage needs no host tool.
# Stage 5 runs it when QEMU was given no guest package. Its raw image
# includes .bss (zeros), so the segment's file size is its memory size.
#include "hvlab/guestpkg.h"

.section .rodata
.balign 8
.globl guest5_pkg, guest5_pkg_end
guest5_pkg:                             # struct gpkg_header
        .dword  GPKG_MAGIC
        .word   GPKG_VERSION, 1         # version, nseg
        .dword  GPKG_RAW_LOAD           # entry
        .dword  guest5_pkg_end - guest5_pkg
        .dword  args - guest5_pkg, 1    # args_off, args_len: ""
        .dword  0, 0                    # no initrd
1:      .asciz  "sbitest"
        .fill   GPKG_NAME_LEN - (. - 1b), 1, 0
                                        # struct gpkg_seg
        .dword  GPKG_RAW_LOAD, image - guest5_pkg, image_end - image
        .dword  image_end - image
args:   .byte   0
.balign 8
image:  .incbin "sbitest.bin"
image_end:
.balign 8
guest5_pkg_end:

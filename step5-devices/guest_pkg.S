# Stage 5's built-in guest: sbitest (guest/sbitest.c), packaged by
# tools/guestpack as `make run GUEST=` packages a guest from a file. Stage
# 5 runs it when QEMU was given no guest package.
.section .rodata
.balign 8
.globl guest5_pkg, guest5_pkg_end
guest5_pkg:
        .incbin "guest5.pkg"
guest5_pkg_end:

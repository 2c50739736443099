# Stage 4: the built-in guest (step4-mem/guest/), built as a program of
# its own and carried inside the hypervisor's image as plain bytes -- the
# hypervisor copies them into guest RAM at G4_LOAD_GPA (guest4.h), as
# firmware copies a kernel. The Makefile builds guest4.bin first.

.section .rodata
.balign 8
.globl guest4_image
guest4_image:
        .incbin "guest4.bin"
.globl guest4_image_end
guest4_image_end:

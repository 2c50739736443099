# Stage 5: the guest's device trees (guest.dts, compiled by dtc at build
# time, one per hart count), carried in the hypervisor's image.
.section .rodata
.balign 8
.globl guest5_dtbs
guest5_dtbs:                    # start and end of each, for 1..4 harts
        .dword dtb1, dtb2, dtb3, dtb4, dtb_end
.balign 8
dtb1:   .incbin "guest5-1.dtb"
.balign 8
dtb2:   .incbin "guest5-2.dtb"
.balign 8
dtb3:   .incbin "guest5-3.dtb"
.balign 8
dtb4:   .incbin "guest5-4.dtb"
dtb_end:

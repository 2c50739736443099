// Print a free TCP port on localhost (used by `make qemu-gdb`).

#include <stdio.h>

#include "net.h"

int main(void) {
  int port = free_tcp_port();
  if (port < 0) {
    fprintf(stderr, "freeport: could not find a free TCP port\n");
    return 1;
  }
  printf("%d\n", port);
  return 0;
}

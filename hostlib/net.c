// Small TCP helpers: see net.h.

#include "net.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int free_tcp_port(void) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -1;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(s, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(s);
  return port;
}

int tcp_connect(const char *host, int port, int timeout_ms) {
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  for (int waited = 0;; waited += 20) {
    struct addrinfo *res;
    if (getaddrinfo(host, ps, &hints, &res) == 0) {
      for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                       ai->ai_protocol);
        if (s < 0)
          continue;
        if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
          int one = 1;
          setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          freeaddrinfo(res);
          return s;
        }
        close(s);
      }
      freeaddrinfo(res);
    }
    if (waited >= timeout_ms)
      return -1;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

// Small TCP helpers shared by the host tools.
#pragma once

// A TCP port on localhost that is free right now (the kernel picks it), or
// -1. Another program could take it before we use it; callers that start a
// server on it retry with a new port if that happens.
int free_tcp_port(void);
// Connect to host:port; retry for up to timeout_ms (QEMU may still be
// starting). Returns a socket, or -1.
int tcp_connect(const char *host, int port, int timeout_ms);

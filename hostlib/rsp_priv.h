// Internals shared by rsp_client.c and rsp_ops.c; not for other users.
#pragma once

#include "rsp.h"

// Record a failure message in c->err and return code.
int rsp_fail_(struct rsp_client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// The next packet from the stub into buf (acked, NUL-terminated), waiting
// until deadline (monotonic seconds; < 0: forever). Returns its length.
int rsp_get_(struct rsp_client *c, double deadline, char *buf, size_t max);
// Write bytes to the stub as they are.
int rsp_write_(struct rsp_client *c, const void *p, size_t n);
// A request from printf-style arguments, sent while the target is stopped;
// its reply lands in c->reply. Returns the reply length; "Enn" becomes
// RSP_EREPLY and an empty reply RSP_EUNSUP, each with a message.
int rsp_call_(struct rsp_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
// The same for a request already in c->req (n bytes).
int rsp_call_req_(struct rsp_client *c, size_t n);
// A request shown in a message: its first bytes, unprintables as '.'.
const char *rsp_show_(const char *p, size_t n, char *buf, size_t max);

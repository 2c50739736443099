// Opening a file that a user named (an ELF image, a memory file), without
// hanging on it.
//
// open() itself can block forever: on a FIFO with no writer, on some
// devices. No deadline reaches a thread stuck there, so every file the host
// tools read is opened with O_NONBLOCK (which never blocks the open), then
// checked with fstat to be a regular file before anything reads it.
#pragma once

#include <stddef.h>
#include <stdio.h>

// Open path for reading (flags: extra open flags, e.g. 0), refusing what is
// not a regular file. Returns a close-on-exec descriptor in blocking mode,
// or -1 with errno set and a message without the path in err (size n):
// strerror's text, or "is a FIFO, not a regular file" and the like
// (errno EINVAL then).
int open_regular(const char *path, int flags, char *err, size_t n);

// Read all of stream f into a malloc'd, NUL-terminated string (its length
// in *len if len is not NULL). Returns NULL if memory ran out.
char *read_stream(FILE *f, size_t *len);
// The same for a file: NULL if it cannot be opened or is not regular.
char *read_file(const char *path, size_t *len);

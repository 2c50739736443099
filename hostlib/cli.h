// The command line shared by run-tests and bench: [--list] [NAME...].
#pragma once

#include <stdio.h>

// Parse --list/-l and --help/-h; `usage` prints the help to the stream it
// is given. Returns the index of the first NAME in argv (argc if none)
// with *list set, or -1 after printing the help (the caller exits 0), or
// -2 after a usage error (the caller exits 2).
int cli_names(int argc, char **argv, void (*usage)(FILE *), int *list);

// Does name contain one of words[0..n) (or is n 0)?
int cli_match(const char *name, int n, char *const *words);

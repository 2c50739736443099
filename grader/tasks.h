// What a student writes, and which files are theirs: declared once, here.
//
// Used by the grader (a run that stops at a task's stub is "not
// attempted"; --test lab3.2 runs that task's tests; a stage's image must
// be newer than the files it is built from), by the handout builder
// (tools/handout.c: which regions to cut out, which files to hand out), and
// by the Gradescope package (which files of a submission to copy over the
// handout tree: only the owned ones).
//
// A task's solution sits in the reference sources between markers:
//
//     // BEGIN TASK lab3.2            (in .S files also: # BEGIN TASK lab3.2)
//     ...the solution...
//     // STUB: line of the stub       (any number; @TODO@ is the call that
//     // END TASK                      stops the run naming the task)
//
// The student edition has the STUB lines instead of the solution.
#pragma once

struct gtask {
  const char *id;       // "lab3.2"
  const char *title;    // "save the guest's registers"
  int points;           // what the handout says it is worth
  const char *handout;  // "labs/step3-guest.md"
  // The grader tests that fail while this task is a stub, as
  // "stepN:name" or "stepN:*" (every test of stage N), NULL-terminated.
  // tests/test_tasks.c proves this list exact, task by task.
  const char *tests[24];
};

struct gowned {
  int stage;         // N of stepN
  const char *path;  // a directory (every file under it) or a file
};

extern const struct gtask grade_tasks[];
extern const int grade_ntasks;
// The files a student may change, by stage: a submission for stage N
// owns the paths of stages 1..N.
extern const struct gowned grade_owned[];
extern const int grade_nowned;

// The task with this id, or NULL.
const struct gtask *task_find(const char *id);
// The stage a task belongs to (3 for "lab3.2"), or 0.
int task_stage(const struct gtask *t);
// Does the task's list name test `name` of stage `stage`?
int task_covers(const struct gtask *t, int stage, const char *name);
// Is path (relative to the tree's top) owned by a student of stage
// <= upto?
int path_owned(const char *path, int upto);

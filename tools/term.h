/* SPDX-License-Identifier: GPL-2.0-only */
/* The terminal for `linubia top`: key input without echo, size, signals. */
#ifndef LINUBIA_TERM_H
#define LINUBIA_TERM_H

#include <stdbool.h>

/* Set when SIGINT, SIGTERM or SIGHUP arrived. */
extern volatile int term_stop;

void term_catch_signals(void);
/* Keys without Enter, no echo (if stdin is a terminal); undone by
 * term_restore(), also at exit. */
void term_raw(void);
void term_restore(void);
/* Rows of the terminal on stdout (24 if unknown). */
int term_rows(void);
/* Wait up to timeout_ms for a key; true if 'q' was pressed. */
bool term_wait_quit(int timeout_ms);

#endif /* LINUBIA_TERM_H */

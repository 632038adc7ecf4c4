// SPDX-License-Identifier: GPL-2.0-only
/*
 * Terminal handling for `linubia top`: raw key input (so 'q' quits at
 * once), the window size, and signals that end the loop cleanly so the
 * terminal is always restored.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

volatile int term_stop;

static struct termios term_saved;
static bool term_is_raw;
static bool term_keys_gone;	/* stdin hung up: stop polling it */

static void term_on_signal(int sig)
{
	(void)sig;
	term_stop = 1;
}

void term_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = term_on_signal;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void term_restore(void)
{
	if (term_is_raw && tcsetattr(STDIN_FILENO, TCSAFLUSH, &term_saved) == 0)
		term_is_raw = false;
}

void term_raw(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &term_saved))
		return;
	raw = term_saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);	/* keep ISIG: Ctrl-C */
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0) {
		term_is_raw = true;
		atexit(term_restore);
	}
}

int term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

bool term_wait_quit(int timeout_ms)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char key;

	if (!term_is_raw || term_keys_gone) {
		/* No keys to read: just wait (signals interrupt). */
		poll(NULL, 0, timeout_ms);
		return false;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	if (!(pfd.revents & POLLIN) || read(STDIN_FILENO, &key, 1) != 1) {
		term_keys_gone = true;
		return false;
	}
	return key == 'q' || key == 'Q';
}

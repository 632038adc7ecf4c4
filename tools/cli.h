/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared pieces of the `linubia` command: exit codes, error printing,
 * formatting and the subcommands' entry points.
 */
#ifndef LINUBIA_CLI_H
#define LINUBIA_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "linubia.h"

/* Exit codes, documented in `linubia --help` and linubia(1). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,	/* anything not listed below */
	CLI_EXIT_USAGE = 2,	/* bad command line, or --all not confirmed */
	CLI_EXIT_NOBACKEND = 3,	/* no backend (module or eBPF) loaded */
	CLI_EXIT_PERMISSION = 4,	/* needs CAP_NET_ADMIN */
	CLI_EXIT_NORECORD = 5,	/* the UID has no record (or no such user) */
};

/* "linubia: <what>: <why> (<what to do>)" for a library error; returns the
 * exit code that goes with it.  h (may be NULL) adds the backend's detail. */
int cli_fail(struct linubia *h, int err, const char *what_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "linubia: <what>: <why>" for a command-line mistake; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the backend or print why not; 0 or an exit code. */
int cli_open(struct linubia **h);

/* --uid N / --user NAME: 0, or an exit code after printing why. */
int cli_parse_uid(const char *text, uint32_t *uid);
/* OPTION N for a count (--max-users N): 0, or an exit code after printing why. */
int cli_parse_count(const char *option, const char *text, uint32_t *count);
int cli_user_uid(const char *name, uint32_t *uid);
/* getopt's 'u' (--user NAME) or 'U' (--uid N), shared by show and reset. */
int cli_user_option(int opt, const char *arg, uint32_t *uid);

/* Human units ("1.5 MiB") or raw numbers. */
#define CLI_NUM_LEN 32
const char *cli_bytes(char buf[CLI_NUM_LEN], uint64_t bytes, bool raw);
const char *cli_byte_rate(char buf[CLI_NUM_LEN], double per_second, bool raw);
const char *cli_count_rate(char buf[CLI_NUM_LEN], double per_second, bool raw);

/* Fast unlocked output for big tables (printf costs ~100 ns a number). */
void out_u64(FILE *out, uint64_t v);
void out_str(FILE *out, const char *s);

/* JSON and CSV string output (escaped). */
void json_string(FILE *out, const char *s);
void csv_field(FILE *out, const char *s);

/* Row order of show: by a value (largest first), UID or name; ties by UID. */
struct cli_row_key {
	uint64_t value;
	const char *name;
	uint32_t uid;
	size_t row;
};
enum cli_sort_by { CLI_SORT_VALUE_DESC, CLI_SORT_UID, CLI_SORT_NAME };
void cli_sort_keys(struct cli_row_key *keys, size_t n, enum cli_sort_by by);

/* Record and stats writers shared by show, reset and stats.  user and
 * by_user: the names of r->uid and r->delegated_by, NULL if none. */
void json_record(FILE *out, const struct linubia_record *r, const char *user,
		 const char *by_user);
void json_stats_fields(FILE *out, const struct linubia_stats *stats);
void csv_header(FILE *out);
void csv_record(FILE *out, const struct linubia_record *r, const char *user);
/* The delegating user of r for display ("alice", or the UID), NULL if none. */
const char *cli_delegated_by(struct linubia_names *names, const struct linubia_record *r,
			     bool numeric, char buf[LINUBIA_UID_STRLEN]);

/* Subcommands: argc/argv start at the command name. */
int cmd_show(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_ebpf(int argc, char **argv);

#endif /* LINUBIA_CLI_H */

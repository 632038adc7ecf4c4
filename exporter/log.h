/* SPDX-License-Identifier: GPL-2.0-only */
/* "linubia-exporter: ..." lines on standard error (the journal under systemd). */
#ifndef LINUBIA_EXPORTER_LOG_H
#define LINUBIA_EXPORTER_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LINUBIA_EXPORTER_LOG_H */

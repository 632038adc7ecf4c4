# SPDX-License-Identifier: GPL-2.0-only
# make install / make uninstall, GNU style: PREFIX (default /usr/local),
# DESTDIR for staging, and the usual directory variables.  What goes where
# and why: scripts/install-tree.sh.  SYSCONFDIR defaults to /etc, not
# $(PREFIX)/etc: the programs read /etc/linubia.  The module is not
# installed here (make kmod; DKMS: conf/dkms.conf).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
MIBDIR ?= $(DATADIR)/snmp/mibs
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc

INSTALL_VARS = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" \
	SBINDIR="$(SBINDIR)" LIBDIR="$(LIBDIR)" LIBEXECDIR="$(LIBEXECDIR)" \
	INCLUDEDIR="$(INCLUDEDIR)" DATADIR="$(DATADIR)" MANDIR="$(MANDIR)" \
	MIBDIR="$(MIBDIR)" UNITDIR="$(UNITDIR)" SYSCONFDIR="$(SYSCONFDIR)" \
	LIB_VERSION="$(LIB_VERSION)" LIB_SONAME="$(LIB_SONAME)" BUILD="$(BUILD)"

# What install-tree.sh copies from build/ (the exporter by its path:
# mk/prometheus.mk, which names it, is read after this file).
INSTALL_DEPS := lib $(LINUBIA) $(AGENTX) $(DLMOD) $(BPF_TOOL) $(DIAMETER) $(DICT_FDX) \
	$(BIN)/linubia-exporter

install: $(INSTALL_DEPS)
	$(INSTALL_VARS) scripts/install-tree.sh install

# what install needs built (debian/rules builds it before installing)
install-deps: $(INSTALL_DEPS)

uninstall:
	$(INSTALL_VARS) scripts/install-tree.sh uninstall

# Install into a scratch DESTDIR with two prefixes, build and run a program
# against the installed library and headers, uninstall (tests/install).
test-install: $(INSTALL_DEPS)
	tests/install/test-install.sh

TEST_TARGETS += test-install
.PHONY: install install-deps uninstall test-install

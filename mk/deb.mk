# SPDX-License-Identifier: GPL-2.0-only
# Debian packages (debian/): make deb-deps (debhelper, dh-dkms, lintian,
# and mmdebstrap for the install test), make deb -> build/deb/*.deb and
# lintian's report (scripts/build-debs.sh).
# make test-install-vm: those packages installed, used over both backends,
# rebooted and purged on a booted Debian 12 with systemd (tests/install-vm;
# ~8 min, the first run ~4 min more for the cached image).  Not in make
# test: its 45-minute budget has no room for it.
deb-deps:
	apt-get -o DPkg::Lock::Timeout=600 install -y -q debhelper dh-dkms lintian fakeroot \
		mmdebstrap qemu-system-x86 e2fsprogs

deb:
	scripts/build-debs.sh $(BUILD)/deb

test-install-vm: deb-deps deb
	BUILD=$(BUILD) tests/install-vm/test-install-vm.sh $(BUILD)/deb

.PHONY: deb deb-deps test-install-vm

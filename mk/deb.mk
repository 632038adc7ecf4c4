# SPDX-License-Identifier: GPL-2.0-only
# Debian packages (debian/): make deb-deps (debhelper, dh-dkms, lintian),
# make deb -> build/deb/*.deb and lintian's report (scripts/build-debs.sh).
# Not in make test yet: the booted-Debian install test that would use them
# is still to come.
deb-deps:
	apt-get -o DPkg::Lock::Timeout=600 install -y -q debhelper dh-dkms lintian fakeroot

deb:
	scripts/build-debs.sh $(BUILD)/deb

.PHONY: deb deb-deps

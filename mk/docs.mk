# SPDX-License-Identifier: GPL-2.0-only
# The documents' claims that can be checked mechanically:
#   test-docs   every test a document cites in brackets exists
#               (scripts/check-doc-citations.py), and every copy of the
#               MIB's OID in the tree lies under LINUBIA-MIB's MODULE-IDENTITY
#               (scripts/check-mib-oid.py)
TEST_TARGETS += test-docs

test-docs:
	python3 scripts/check-doc-citations.py
	python3 scripts/check-mib-oid.py

.PHONY: test-docs

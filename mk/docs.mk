# SPDX-License-Identifier: GPL-2.0-only
# The documents' claims that can be checked mechanically:
#   test-docs   every test a document cites in brackets exists
#               (scripts/check-doc-citations.py)
TEST_TARGETS += test-docs

test-docs:
	python3 scripts/check-doc-citations.py

.PHONY: test-docs

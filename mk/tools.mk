# SPDX-License-Identifier: GPL-2.0-only
# The `linubia` command, linked with the static liblinubia (runs from the
# tree without an installed library).
TOOLS_OBJDIR := $(BUILD)/tools/obj
TOOLS_SRCS := $(sort $(wildcard tools/*.c))
TOOLS_OBJS := $(patsubst tools/%.c,$(TOOLS_OBJDIR)/%.o,$(TOOLS_SRCS))
# Everything but main(), for the unit tests.
TOOLS_LIB_OBJS := $(filter-out $(TOOLS_OBJDIR)/linubia.o,$(TOOLS_OBJS))
TOOLS_CFLAGS := $(USER_CFLAGS) $(LNB_INCLUDES) -Ibpf -MMD -MP

tools: $(LINUBIA)

$(TOOLS_OBJDIR)/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CFLAGS) -c -o $@ $<

$(LINUBIA): $(TOOLS_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $(TOOLS_OBJS) $(LIB_A) $(LIB_LIBS) -lm

-include $(TOOLS_OBJS:.o=.d)

ALL_TARGETS += tools
.PHONY: tools

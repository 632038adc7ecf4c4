# SPDX-License-Identifier: GPL-2.0-only
# liblinubia: shared + static library and pkg-config file under build/lib.
# Only the functions marked LINUBIA_API in include/linubia.h are exported.
LIB_OUT := $(BUILD)/lib
LIB_OBJDIR := $(LIB_OUT)/obj
LIB_VERSION := 0.2.0
# 0.2.0: linubia_get_read_gid, linubia_set_read_gid (added; nothing changed)
LIB_SONAME := liblinubia.so.0
LIB_SO := $(LIB_OUT)/liblinubia.so.$(LIB_VERSION)
LIB_A := $(LIB_OUT)/liblinubia.a
LIB_PC := $(LIB_OUT)/pkgconfig/liblinubia.pc
LIB_SRCS := $(sort $(wildcard lib/*.c))
# The eBPF backend's user-space side (bpf/, from mk/bpf.mk) is part of it.
LIB_BPF_OBJS := $(patsubst bpf/%.c,$(LIB_OBJDIR)/bpf-%.o,$(BPF_USER_SRCS))
LIB_OBJS := $(patsubst lib/%.c,$(LIB_OBJDIR)/%.o,$(LIB_SRCS)) $(LIB_BPF_OBJS)
# Compiler flags of every user-space piece that includes the ABI headers.
LNB_INCLUDES := -Iinclude -Ikmod/include/uapi
LIB_CFLAGS := $(USER_CFLAGS) $(LNB_INCLUDES) -Ibpf -I$(BPF_OUT) -fPIC -fvisibility=hidden \
	-pthread -MMD -MP
LIB_LIBS := -lmnl -lbpf -pthread

lib: $(LIB_SO) $(LIB_A) $(LIB_PC)

$(LIB_OBJDIR)/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

# load.c includes the generated skeleton.
$(LIB_OBJDIR)/bpf-%.o: bpf/%.c $(BPF_OUT)/linubia.skel.h
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--no-undefined -o $@ $^ $(LIB_LIBS)
	ln -sf $(notdir $@) $(LIB_OUT)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(LIB_OUT)/liblinubia.so

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(LIB_PC): lib/liblinubia.pc.in mk/lib.mk
	@mkdir -p $(@D)
	sed -e 's|@VERSION@|$(LIB_VERSION)|' -e 's|@PREFIX@|/usr/local|' \
		-e 's|@LIBDIR@|/usr/local/lib|' -e 's|@INCLUDEDIR@|/usr/local/include|' $< > $@

-include $(LIB_OBJS:.o=.d)

ALL_TARGETS += lib
.PHONY: lib

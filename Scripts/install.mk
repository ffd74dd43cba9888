# The release bundle's Makefile: `make install` copies the built files of this folder into place.
# It needs only make, install and sed (no Swift toolchain), so it runs on the site itself.
#
#   make install                      binaries, man pages, completions, units, documentation
#   make install PREFIX=/usr          another prefix (default /usr/local)
#   make install DESTDIR=/tmp/pkg     everything under a staging root (for packaging)
#
# The example configuration goes to $(SYSCONFDIR)/telemetry-spool/spooler.conf only when no file
# is there: an existing configuration is never overwritten.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/telemetry-spool
# systemd reads units from /usr/local/lib/systemd/system and /usr/lib/systemd/system.
UNITDIR ?= $(PREFIX)/lib/systemd/system
# systemd-sysusers and systemd-tmpfiles read these folders under /usr/local/lib and /usr/lib too.
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

COMMANDS := spooler uploader receiver
CONFIG := $(DESTDIR)$(SYSCONFDIR)/telemetry-spool/spooler.conf

.PHONY: install
install:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(addprefix bin/,$(COMMANDS)) $(DESTDIR)$(BINDIR)/
	install -m 0644 share/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 share/bash-completion/completions/* $(DESTDIR)$(BASHCOMPDIR)/
	install -m 0644 share/zsh/site-functions/* $(DESTDIR)$(ZSHCOMPDIR)/
	install -m 0644 share/fish/vendor_completions.d/* $(DESTDIR)$(FISHCOMPDIR)/
	install -m 0644 share/doc/telemetry-spool/* $(DESTDIR)$(DOCDIR)/
	@# The units name /usr/local/bin, /etc and /usr/share/doc: rewritten to where this install puts things.
	@for unit in contrib/*.service contrib/*.timer; do \
		[ -f "$$unit" ] || continue; \
		sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/telemetry-spool/|$(SYSCONFDIR)/telemetry-spool/|g' \
			-e 's|/usr/share/doc/telemetry-spool/|$(DOCDIR)/|g' "$$unit" > "$(DESTDIR)$(UNITDIR)/$${unit#contrib/}.tmp" && \
		chmod 0644 "$(DESTDIR)$(UNITDIR)/$${unit#contrib/}.tmp" && \
		mv "$(DESTDIR)$(UNITDIR)/$${unit#contrib/}.tmp" "$(DESTDIR)$(UNITDIR)/$${unit#contrib/}" || exit 1; \
	done
	@# The service user and the spool directories the units expect.
	install -m 0644 contrib/telemetry-spool.sysusers $(DESTDIR)$(SYSUSERSDIR)/telemetry-spool.conf
	install -m 0644 contrib/telemetry-spool.tmpfiles $(DESTDIR)$(TMPFILESDIR)/telemetry-spool.conf
	@if [ -e "$(CONFIG)" ]; then \
		echo "kept the existing $(CONFIG)"; \
	elif [ -f contrib/spooler.conf.example ]; then \
		install -d -m 0755 "$(dir $(CONFIG))" && install -m 0644 contrib/spooler.conf.example "$(CONFIG)" && \
		echo "installed the example configuration as $(CONFIG): review it before enabling a unit"; \
	else \
		echo "no contrib/spooler.conf.example in this bundle: write $(CONFIG) yourself"; \
	fi
	@if [ -f contrib/spooler.conf.example ]; then install -m 0644 contrib/spooler.conf.example $(DESTDIR)$(DOCDIR)/; fi
	@echo "installed $(COMMANDS) in $(DESTDIR)$(BINDIR), units in $(DESTDIR)$(UNITDIR)"
	@echo "then, as root: systemd-sysusers telemetry-spool.conf && systemd-tmpfiles --create telemetry-spool.conf && systemctl daemon-reload"

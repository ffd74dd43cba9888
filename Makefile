# Release and install.
#
#   make release    dist/telemetry-spool-VERSION-linux-x86_64.tar.gz, dist/SHA256SUMS,
#                   dist/SHA256SUMS.sig (SSHSIG, namespace $(RELEASE_NAMESPACE)) and
#                   dist/release-signers (the allowed_signers line of the signing key).
#                   SIGNING_KEY=FILE names an OpenSSH Ed25519 private key; without it a throwaway
#                   key is made (and a warning printed).
#   make install    builds the bundle and installs it (PREFIX, DESTDIR, SYSCONFDIR: Scripts/install.mk).
#   make check-static   the release spooler needs no Swift, Foundation or ICU library and is < 25 MB.
#
# The release number is set in one place, Sources/CommandLineSupport/ToolVersion.swift; the
# commit is passed to the build, so `--version` prints both.

VERSION := $(shell sed -n 's/^ *public static let number = "\([^"]*\)".*/\1/p' Sources/CommandLineSupport/ToolVersion.swift)
COMMIT := $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && { git diff --quiet HEAD -- 2>/dev/null || c=$$c-dirty; echo $$c; })
ARCH := linux-$(shell uname -m)
NAME := telemetry-spool-$(VERSION)-$(ARCH)
BUNDLE := .build/bundle/$(NAME)
TARBALL := dist/$(NAME).tar.gz
# The commit's date: the man pages' date and the tarball's timestamps, so a rebuild is identical.
SOURCE_DATE := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

# What `ssh-keygen -Y verify -n` must be given: a signature made for anything else does not verify.
RELEASE_NAMESPACE := telemetry-spool-release@v1
# The identity the release-signers line names (`ssh-keygen -Y verify -I`).
SIGNER ?= release@telemetry-spool
SIGNING_KEY ?=
THROWAWAY_KEY := .build/throwaway-release-key

# Release builds share two cores with everything else: one job, unless told otherwise.
JOBS ?= 1
COMMANDS := spooler uploader receiver
SWIFT_RELEASE := TELEMETRYSPOOL_COMMIT=$(COMMIT) swift build -c release -j $(JOBS) --static-swift-stdlib
RELEASE_BIN := .build/release

.PHONY: release install bundle build check-static clean-dist
.DELETE_ON_ERROR:

release: $(TARBALL) dist/SHA256SUMS dist/SHA256SUMS.sig dist/release-signers
	@echo "release $(VERSION) ($(COMMIT)) in dist/: $(notdir $(TARBALL)) SHA256SUMS SHA256SUMS.sig release-signers"

install: bundle
	$(MAKE) -C $(BUNDLE) install

# The three commands, linked with the Swift runtime inside (no Swift libraries needed on the server).
build:
	@test -n "$(VERSION)" || { echo "no release number in Sources/CommandLineSupport/ToolVersion.swift" >&2; exit 1; }
	for product in $(COMMANDS); do $(SWIFT_RELEASE) --product $$product || exit 1; done

check-static: build
	strip -o .build/spooler.stripped $(RELEASE_BIN)/spooler
	Scripts/check-static.sh .build/spooler.stripped

# The folder the tarball holds: bin/, share/ (man pages, completions, documentation), contrib/, Makefile.
bundle: build
	rm -rf $(BUNDLE)
	install -d $(BUNDLE)/bin $(BUNDLE)/share/man/man1 $(BUNDLE)/share/bash-completion/completions \
		$(BUNDLE)/share/zsh/site-functions $(BUNDLE)/share/fish/vendor_completions.d $(BUNDLE)/share/doc/telemetry-spool
	for command in $(COMMANDS); do strip -o $(BUNDLE)/bin/$$command $(RELEASE_BIN)/$$command || exit 1; done
	Scripts/check-static.sh $(BUNDLE)/bin/spooler
	@# argument-parser's generate-manual (the tool behind its generate-manual plugin), run on the
	@# built commands: one page per command and subcommand.
	swift build --product generate-manual
	for command in $(COMMANDS); do \
		.build/debug/generate-manual $(BUNDLE)/bin/$$command --multi-page --date $(SOURCE_DATE) \
			--output-directory $(BUNDLE)/share/man/man1 || exit 1; \
	done
	for command in $(COMMANDS); do \
		$(BUNDLE)/bin/$$command --generate-completion-script bash > $(BUNDLE)/share/bash-completion/completions/$$command && \
		$(BUNDLE)/bin/$$command --generate-completion-script zsh > $(BUNDLE)/share/zsh/site-functions/_$$command && \
		$(BUNDLE)/bin/$$command --generate-completion-script fish > $(BUNDLE)/share/fish/vendor_completions.d/$$command.fish || exit 1; \
	done
	cp -R contrib $(BUNDLE)/contrib
	cp README.md docs/*.md $(BUNDLE)/share/doc/telemetry-spool/
	cp Scripts/install.mk $(BUNDLE)/Makefile

$(TARBALL): bundle
	install -d dist
	tar -C $(dir $(BUNDLE)) --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(SOURCE_DATE_EPOCH) \
		-cf - $(NAME) | gzip -n -9 > $@

dist/SHA256SUMS: $(TARBALL)
	cd dist && sha256sum $(notdir $(TARBALL)) > SHA256SUMS

dist/SHA256SUMS.sig: dist/SHA256SUMS
	@key="$(SIGNING_KEY)"; \
	if [ -z "$$key" ]; then \
		key=$(THROWAWAY_KEY); rm -f $$key $$key.pub; \
		ssh-keygen -q -t ed25519 -N '' -C "throwaway $(SIGNER)" -f $$key; \
		echo "warning: no SIGNING_KEY given: signed with a throwaway key ($$key); sites cannot tell this release from anyone else's" >&2; \
	fi; \
	rm -f $@; \
	ssh-keygen -Y sign -q -f "$$key" -n $(RELEASE_NAMESPACE) dist/SHA256SUMS && \
	{ printf '%s namespaces="%s" ' $(SIGNER) $(RELEASE_NAMESPACE); ssh-keygen -y -f "$$key" | cut -d' ' -f1,2; } > dist/release-signers
	ssh-keygen -Y verify -f dist/release-signers -I $(SIGNER) -n $(RELEASE_NAMESPACE) -s $@ < dist/SHA256SUMS

dist/release-signers: dist/SHA256SUMS.sig

clean-dist:
	rm -rf dist .build/bundle

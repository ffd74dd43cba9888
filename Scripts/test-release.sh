#!/usr/bin/env bash
# Checks what `make release` wrote in dist/, as a site would receive it: the signature and the
# checksum verify with stock ssh-keygen and sha256sum, the tarball unpacks to one folder with the
# commands, a man page per command and subcommand, completions and contrib/; the spooler is
# static; the three commands print one version; `make install` from the bundle honours PREFIX
# and DESTDIR and never overwrites an existing configuration. Run after `make release` (CI does).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "test-release: $*" >&2; exit 1; }

namespace=$(sed -n 's/^RELEASE_NAMESPACE := //p' Makefile)
identity=$(cut -d' ' -f1 dist/release-signers)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What the site does before carrying the tarball in.
(cd dist && sha256sum -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS failed"
ssh-keygen -Y verify -f dist/release-signers -I "$identity" -n "$namespace" -s dist/SHA256SUMS.sig < dist/SHA256SUMS \
  || fail "the SSHSIG signature of SHA256SUMS does not verify"
# A changed SHA256SUMS must not verify.
sed 's/^./0/' dist/SHA256SUMS > "$work/tampered"
if ssh-keygen -Y verify -f dist/release-signers -I "$identity" -n "$namespace" -s dist/SHA256SUMS.sig < "$work/tampered" >/dev/null 2>&1; then
  fail "a tampered SHA256SUMS verified"
fi

tarball=$(awk '{print $2}' dist/SHA256SUMS)
mkdir "$work/unpacked"
tar -C "$work/unpacked" -xzf "dist/$tarball"
[ "$(ls "$work/unpacked")" = "${tarball%.tar.gz}" ] || fail "the tarball does not unpack to one folder named ${tarball%.tar.gz}: $(ls "$work/unpacked")"
bundle="$work/unpacked/${tarball%.tar.gz}"

Scripts/check-static.sh "$bundle/bin/spooler"
for command in uploader receiver; do
  echo "$command needs: $(ldd "$bundle/bin/$command" | awk '{print $1}' | tr '\n' ' ')"
done

version=$("$bundle/bin/spooler" --version)
for command in uploader receiver; do
  [ "$("$bundle/bin/$command" --version)" = "$version" ] || fail "$command --version differs from spooler's ($version)"
done
case "$version" in *"(commit "*")") ;; *) fail "the release's --version names no commit: $version" ;; esac
echo "version: $version"

# A man page for every command and subcommand that --help lists.
subcommands() { "$@" --help | awk '/^SUBCOMMANDS:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'; }
for command in spooler uploader receiver; do
  [ -f "$bundle/share/man/man1/$command.1" ] || fail "no man page $command.1"
  for sub in $(subcommands "$bundle/bin/$command"); do
    [ -f "$bundle/share/man/man1/$command.$sub.1" ] || fail "no man page $command.$sub.1"
  done
  [ -s "$bundle/share/bash-completion/completions/$command" ] || fail "no bash completion for $command"
  [ -s "$bundle/share/zsh/site-functions/_$command" ] || fail "no zsh completion for $command"
  [ -s "$bundle/share/fish/vendor_completions.d/$command.fish" ] || fail "no fish completion for $command"
done
bash -n "$bundle/share/bash-completion/completions/spooler" || fail "the bash completion does not parse"
diff -r contrib "$bundle/contrib" || fail "the bundle's contrib/ differs from the repository's"

# Install as a package builder would, twice: the second run must keep the configuration.
root="$work/root"
make -s -C "$bundle" install DESTDIR="$root" PREFIX=/usr > "$work/install.out"
for file in /usr/bin/spooler /usr/bin/uploader /usr/bin/receiver /usr/share/man/man1/spooler.collect.1 \
  /usr/share/bash-completion/completions/spooler /usr/share/zsh/site-functions/_uploader \
  /usr/share/fish/vendor_completions.d/receiver.fish /usr/share/doc/telemetry-spool/README.md \
  /usr/lib/sysusers.d/telemetry-spool.conf /usr/lib/tmpfiles.d/telemetry-spool.conf; do
  [ -f "$root$file" ] || fail "make install did not install $file"
done
[ -x "$root/usr/bin/spooler" ] || fail "the installed spooler is not executable"
for unit in contrib/*.service contrib/*.timer; do
  installed="$root/usr/lib/systemd/system/$(basename "$unit")"
  [ -f "$installed" ] || fail "make install did not install the unit $(basename "$unit")"
  ! grep -q /usr/local/bin "$installed" || fail "$(basename "$unit") still names /usr/local/bin after an install with PREFIX=/usr"
done
config="$root/etc/telemetry-spool/spooler.conf"
if [ -f contrib/spooler.conf.example ]; then
  cmp -s contrib/spooler.conf.example "$config" || fail "make install did not install the example configuration as $config"
fi
mkdir -p "$(dirname "$config")"
echo "# the site's own configuration" > "$config"
make -s -C "$bundle" install DESTDIR="$root" PREFIX=/usr > "$work/install.out"
[ "$(cat "$config")" = "# the site's own configuration" ] || fail "make install overwrote an existing $config"
grep -q "kept the existing" "$work/install.out" || fail "make install did not say it kept the existing configuration"
[ "$("$root/usr/bin/spooler" --version)" = "$version" ] || fail "the installed spooler's --version differs"
echo "test-release: dist/ verified, bundle complete, install into DESTDIR checked"

#!/usr/bin/env bash
# Builds dist/portcullis_<version>_amd64.deb from this checkout: a release binary with the Swift standard library
# linked in (the package needs no Swift toolchain), the hardened systemd unit, the config as a conffile, a man page
# generated from the binary's own --help, and Depends computed by dpkg-shlibdeps from the binary.
#
#   packaging/build-deb.sh            # build (release, scratch folder .build-deb) and package
#   PORTCULLIS_BINARY=path packaging/build-deb.sh   # package an already built release binary
#   PORTCULLIS_DEB_CONFIGURATION=debug packaging/build-deb.sh
#       # the same package around a debug build, linked as the release one is (Swift runtime static, relro, now):
#       # what CI tests (about 6 minutes alone on two cores instead of 12). Not in `swift test`'s .build: a static
#       # build there recompiles modules with the static runtime's link entries, which SwiftPM's next ordinary build
#       # keeps, and then fails to link.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scratch=${PORTCULLIS_DEB_SCRATCH:-$root/.build-deb}
configuration=${PORTCULLIS_DEB_CONFIGURATION:-release}
case "$configuration" in
    release|debug) ;;
    *) echo "PORTCULLIS_DEB_CONFIGURATION must be release or debug, not '$configuration'" >&2; exit 2 ;;
esac
start=$(date +%s)
step() { printf '==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

need=()
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v xz >/dev/null || need+=(xz-utils)
for package in libsqlite3-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
    step "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -z "${PORTCULLIS_BINARY:-}" ]; then
    step "swift build -c $configuration --static-swift-stdlib (scratch $scratch)"
    # -z now with relro: the whole GOT read-only after start (Debian's "bindnow" hardening).
    swift build -c "$configuration" --static-swift-stdlib --scratch-path "$scratch" --product portcullis \
        -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
    binary="$scratch/$configuration/portcullis"
else
    binary=$PORTCULLIS_BINARY
fi
version=$("$binary" --version)
case "$version" in
    [0-9]*) ;;
    *) echo "unexpected version '$version' from $binary --version" >&2; exit 1 ;;
esac
# The binary must carry this checkout's embedded files (EmbedResources): an incremental build can keep the plugin's
# output from before a file was added to its folder, and a package whose binary lacks a new migration runs without it.
step "checking the binary embeds this checkout's schema/, web/, docs/openapi.yaml and bench/"
stale=()
while IFS= read -r -d '' file; do
    # The pattern from a file: a base64 argument could pass the kernel's 128 KiB limit on one (openapi.yaml nears it).
    [ -s "$file" ] || continue
    grep -qaF -f <(base64 -w0 "$file") "$binary" || stale+=("$file")
done < <(find schema web bench -type f ! -name '.*' -print0; printf 'docs/openapi.yaml\0')
if [ ${#stale[@]} -gt 0 ]; then
    echo "$binary does not embed the current ${stale[*]}: an incremental build kept an old copy;" \
        "delete its scratch folder's plugins/outputs and build again" >&2
    exit 1
fi
# Reproducible timestamps: the commit's time, unless the caller fixes one.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
build_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$work/pkg
step "staging portcullis $version in $pkg"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/portcullis" \
    "$pkg/usr/share/doc/portcullis/examples" "$pkg/usr/share/man/man1"
# The dashboard (web/) and the migrations (schema/) are embedded in the binary by the EmbedResources plugin.
strip --remove-section=.comment --remove-section=.note --strip-unneeded -o "$pkg/usr/bin/portcullis" "$binary"
chmod 0755 "$pkg/usr/bin/portcullis"
install -m 0644 packaging/portcullis.service "$pkg/lib/systemd/system/portcullis.service"
install -m 0644 packaging/portcullis.toml "$pkg/etc/portcullis/portcullis.toml"
install -m 0644 packaging/debian/copyright "$pkg/usr/share/doc/portcullis/copyright"
# Embedded copies lintian reports as errors, each explained in the file.
install -d "$pkg/usr/share/lintian/overrides"
install -m 0644 packaging/debian/lintian-overrides "$pkg/usr/share/lintian/overrides/portcullis"
install -m 0644 README.md "$pkg/usr/share/doc/portcullis/README.md"
# The Grafana dashboard over /metrics, to import or provision (docs/monitoring.md).
install -m 0644 packaging/grafana/portcullis.json "$pkg/usr/share/doc/portcullis/examples/grafana-portcullis.json"
for doc in operations configuration api media-urls; do
    [ -f "docs/$doc.md" ] && install -m 0644 "docs/$doc.md" "$pkg/usr/share/doc/portcullis/$doc.md"
done

# A native package (the version has no Debian revision), so its changelog is changelog.gz.
maintainer=$(sed -n 's/^Maintainer: //p' packaging/debian/control)
{
    printf 'portcullis (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * Portcullis %s, built from commit %s.\n\n' "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$pkg/usr/share/doc/portcullis/changelog.gz"

step "man page from the binary's --help (swift-argument-parser's generate-manual)"
manual_tool=
for checkouts in "$scratch/checkouts" "$root/.build/checkouts"; do
    [ -d "$checkouts/swift-argument-parser" ] && { manual_tool=$checkouts/swift-argument-parser; break; }
done
[ -n "$manual_tool" ] || { echo "no swift-argument-parser checkout in $scratch or .build: run swift build first" >&2; exit 1; }
swift build -c "$configuration" --package-path "$manual_tool" --scratch-path "$scratch/generate-manual" --product generate-manual >/dev/null
mkdir -p "$work/man"
"$scratch/generate-manual/$configuration/generate-manual" "$pkg/usr/bin/portcullis" --date "$build_date" --section 1 \
    --authors "Portcullis maintainers" --output-directory "$work/man"
gzip -9n -c "$work/man/portcullis.1" > "$pkg/usr/share/man/man1/portcullis.1.gz"

step "Depends from dpkg-shlibdeps"
mkdir -p "$work/shlibs/debian"
printf 'Source: portcullis\n\nPackage: portcullis\nArchitecture: amd64\n' > "$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$pkg/usr/bin/portcullis" 2>"$work/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { cat "$work/shlibdeps.log" >&2; echo "dpkg-shlibdeps found no dependencies" >&2; exit 1; }
echo "Depends: $depends"

installed_size=$(du -sk --apparent-size "$pkg" --exclude=DEBIAN | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/$depends/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    packaging/debian/control > "$pkg/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$pkg/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "packaging/debian/$script" "$pkg/DEBIAN/$script"
done
(cd "$pkg" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$pkg/DEBIAN/md5sums"
find "$pkg" -depth -newermt "@$SOURCE_DATE_EPOCH" -exec touch --no-dereference -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p dist
deb=dist/portcullis_${version}_amd64.deb
step "dpkg-deb --build $deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
step "built $deb ($(du -h "$deb" | cut -f1), installed $((installed_size / 1024)) MiB)"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb"

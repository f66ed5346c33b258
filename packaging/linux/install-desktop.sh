#!/usr/bin/env bash
# Desktop integration for one user (freedesktop): the menu entry, AppStream metainfo, icons,
# the project file type (by content and by the .storyiter suffix) and the file manager's
# thumbnailer. Files go under $XDG_DATA_HOME (~/.local/share); running it again replaces
# them, and --uninstall removes exactly what it installed.
#
#   packaging/linux/install-desktop.sh --bindir DIR   DIR holds storyboard and storyboard-app
#   packaging/linux/install-desktop.sh --uninstall
#
# A publisher sets one thing: where the images of docs/screenshots/ are served, which the
# AppStream metainfo's screenshots point at (STORYITER_SCREENSHOTS_URL; the default is a
# placeholder host).
set -euo pipefail

APP_ID=org.storyiter.Studio
SCREENSHOTS_URL="${STORYITER_SCREENSHOTS_URL:-https://storyiter.example.org/screenshots}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ICONS="$HERE/../icons"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"

usage() {
    sed -n '2,12s/^# \{0,1\}//p' "$0"
    exit "${1:-0}"
}

bindir=""
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --bindir) bindir="${2:?--bindir needs a folder}"; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "install-desktop.sh: unknown option $1" >&2; usage 2 >&2 ;;
    esac
done

# Every file this script installs, relative to $DATA (uninstall removes exactly these).
installed_files() {
    echo "applications/$APP_ID.desktop"
    echo "metainfo/$APP_ID.metainfo.xml"
    echo "mime/packages/$APP_ID.xml"
    echo "thumbnailers/$APP_ID.thumbnailer"
    echo "icons/hicolor/scalable/apps/$APP_ID.svg"
    for png in "$ICONS"/hicolor/*/apps/"$APP_ID".png; do
        echo "icons/hicolor/${png#"$ICONS"/hicolor/}"
    done
}

# Let the desktop notice: each cache tool is optional (not every system has it).
refresh_caches() {
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$DATA/mime" >/dev/null
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA/applications" 2>/dev/null || true
    fi
    touch "$DATA/icons/hicolor" 2>/dev/null || true
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$DATA/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$DATA/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "$uninstall" = 1 ]; then
    installed_files | while read -r rel; do rm -f "$DATA/$rel"; done
    mkdir -p "$DATA/mime/packages" "$DATA/applications" "$DATA/icons/hicolor"
    refresh_caches
    echo "Removed the StoryIter Studio desktop integration from $DATA."
    exit 0
fi

[ -n "$bindir" ] || { echo "install-desktop.sh: --bindir is required" >&2; usage 2 >&2; }
[ -d "$bindir" ] || { echo "install-desktop.sh: $bindir is not a folder" >&2; exit 2; }
bindir="$(cd "$bindir" && pwd)"
for exe in storyboard storyboard-app; do
    [ -x "$bindir/$exe" ] || { echo "install-desktop.sh: $bindir/$exe is missing" >&2; exit 2; }
done
case "$bindir" in
    *[[:space:]\"\'\\\$\`%]*)
        echo "install-desktop.sh: $bindir holds characters a desktop entry cannot quote" >&2
        exit 2 ;;
esac

case "$SCREENSHOTS_URL" in
    https://*[!/]) ;;
    *) echo "install-desktop.sh: STORYITER_SCREENSHOTS_URL must be an https:// address" \
        "without a trailing /, not '$SCREENSHOTS_URL'" >&2; exit 2 ;;
esac
case "$SCREENSHOTS_URL" in
    *[[:space:]\"\'\\\$\`\#\<\>\&]*)
        echo "install-desktop.sh: STORYITER_SCREENSHOTS_URL holds characters an address cannot" >&2
        exit 2 ;;
esac

render() {  # template -> target, with the programs' folder and the screenshots' address
    mkdir -p "$(dirname "$2")"
    sed -e "s#@BINDIR@#$bindir#g" -e "s#@SCREENSHOTS_URL@#$SCREENSHOTS_URL#g" "$1" > "$2.tmp"
    mv -f "$2.tmp" "$2"
}
put() {  # file -> target
    mkdir -p "$(dirname "$2")"
    install -m 644 "$1" "$2"
}

render "$HERE/$APP_ID.desktop.in" "$DATA/applications/$APP_ID.desktop"
render "$HERE/$APP_ID.thumbnailer.in" "$DATA/thumbnailers/$APP_ID.thumbnailer"
render "$HERE/$APP_ID.metainfo.xml.in" "$DATA/metainfo/$APP_ID.metainfo.xml"
put "$HERE/$APP_ID.mime.xml" "$DATA/mime/packages/$APP_ID.xml"
put "$ICONS/$APP_ID.svg" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
for png in "$ICONS"/hicolor/*/apps/"$APP_ID".png; do
    put "$png" "$DATA/icons/hicolor/${png#"$ICONS"/hicolor/}"
done
refresh_caches
echo "Installed the StoryIter Studio desktop integration into $DATA (programs in $bindir)."

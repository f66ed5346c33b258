#!/usr/bin/env bash
# Install StoryIter Studio for this user, with the torch build that fits this machine's GPU.
#
#   packaging/install.sh [options]            install, or upgrade an installation in place
#   packaging/install.sh --uninstall          remove it (projects and model files are kept)
#
# Options:
#   --torch BUILD       cpu, cu126, cu130, cu132 (NVIDIA CUDA) or rocm7.1, rocm7.2 (AMD ROCm);
#                       default: detected from nvidia-smi / ROCm, else cpu
#   --torch-index URL   where that torch build comes from (default: PyTorch's index of
#                       that build, https://download.pytorch.org/whl/BUILD)
#   --wheels DIR        install offline from a folder of wheels (made with --download)
#   --download DIR      fill DIR with every wheel an offline install needs, then stop
#   --extras LIST       the app's extras, comma-separated (default: all but dev; cluster
#                       only with two or more GPUs)
#   --prefix DIR        where it lives (default: $XDG_DATA_HOME/storyiter-studio)
#   --no-desktop        skip the menu entry, file type and thumbnailer
#   --plan              print what would be installed, change nothing
#   -h, --help          this text
set -euo pipefail

TORCH_VERSION=2.13.0
# The builds PyTorch publishes for torch 2.13.0 (its Release Compatibility Matrix and
# "previous versions" page; docs/INSTALL.md), oldest first. A CUDA build as
# build:driver:lowest:below -- it needs a driver for CUDA `driver` or newer and runs on GPUs
# of compute capability `lowest` up to, not including, `below` (empty: no upper end).
CUDA_BUILDS="cu126:12.6:5.0:10.0 cu130:13.0:7.5:"
# Published too, but experimental in that matrix: installed only when asked for by --torch.
CUDA_EXPERIMENTAL="cu132"
ROCM_BUILDS="rocm7.1 rocm7.2"
PYTORCH_INDEX=https://download.pytorch.org/whl
SOURCE="$(cd "$(dirname "$0")/.." && pwd)"
# What of the source tree the app needs at run time (its code finds resources/ beside it).
APP_PARTS="pyproject.toml README.md engine storyboard_app resources projects packaging"

say() { echo "storyiter-install: $*"; }
fail() { echo "storyiter-install: error: $*" >&2; exit 2; }
usage() { sed -n '2,20s/^# \{0,1\}//p' "$0"; exit "${1:-0}"; }

torch=""
torch_index=""
wheels=""
download=""
extras="default"
prefix="${XDG_DATA_HOME:-$HOME/.local/share}/storyiter-studio"
desktop=1
plan=0
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --torch) torch="${2:?--torch needs a build}"; shift 2 ;;
        --torch-index) torch_index="${2:?--torch-index needs a URL}"; shift 2 ;;
        --wheels) wheels="${2:?--wheels needs a folder}"; shift 2 ;;
        --download) download="${2:?--download needs a folder}"; shift 2 ;;
        --extras) extras="${2?--extras needs a list}"; shift 2 ;;
        --prefix) prefix="${2:?--prefix needs a folder}"; shift 2 ;;
        --no-desktop) desktop=0; shift ;;
        --plan) plan=1; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "storyiter-install: unknown option $1" >&2; usage 2 >&2 ;;
    esac
done
venv="$prefix/venv"
bin_links="$HOME/.local/bin"

# ----------------------------------------------------------------------------- uninstall
if [ "$uninstall" = 1 ]; then
    if [ -x "$prefix/app/packaging/linux/install-desktop.sh" ]; then
        "$prefix/app/packaging/linux/install-desktop.sh" --uninstall >/dev/null
    fi
    for exe in storyboard storyboard-app; do
        # Only our own links: a storyboard command of something else stays.
        if [ -L "$bin_links/$exe" ] && [ "$(readlink "$bin_links/$exe")" = "$venv/bin/$exe" ]; then
            rm -f "$bin_links/$exe"
        fi
    done
    rm -rf "$prefix"
    say "removed StoryIter Studio from $prefix (your projects and model files are untouched)."
    exit 0
fi

# ----------------------------------------------------------------------------- which torch
version_at_most() {  # X.Y <= A.B ?
    [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | sed -n 1p)" = "$1" ]
}

gpu_count=0
cuda_build_names() { local entry; for entry in $CUDA_BUILDS; do printf '%s ' "${entry%%:*}"; done; }

# The CUDA builds, oldest first, that run on every GPU ($2: their compute capabilities,
# empty when the driver cannot tell) with a driver for CUDA $1 ("-": whatever the driver).
cuda_builds_for() {
    local cuda="$1" caps="$2" entry build needs lowest below cap fits
    for entry in $CUDA_BUILDS; do
        IFS=: read -r build needs lowest below <<<"$entry"
        [ "$cuda" = - ] || version_at_most "$needs" "$cuda" || continue
        fits=1
        for cap in $caps; do
            version_at_most "$lowest" "$cap" || fits=0
            if [ -n "$below" ] && version_at_most "$below" "$cap"; then fits=0; fi
        done
        [ "$fits" = 0 ] || echo "$build:$needs"
    done
}

detect_torch() {
    local cuda caps rocm build chosen=""
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then
        gpu_count="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)"
        cuda="$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9.]*\).*/\1/p' | sed -n 1p)"
        [ -n "$cuda" ] || fail "nvidia-smi runs but names no CUDA version; pass --torch."
        # Drivers older than CUDA 11.6 cannot report it; then the CUDA version decides alone.
        caps="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null \
            | grep -E '^ *[0-9]+\.[0-9]+ *$' | sort -uV | tr -d ' ' | tr '\n' ' ' || true)"
        say "found $gpu_count NVIDIA GPU(s)${caps:+ of compute capability ${caps% }}, driver for CUDA $cuda"
        chosen="$(cuda_builds_for "$cuda" "$caps" | tail -n1)"
        chosen="${chosen%%:*}"
        if [ -z "$chosen" ]; then
            build="$(cuda_builds_for - "$caps" | sed -n 1p)"
            [ -n "$build" ] || fail "torch $TORCH_VERSION has no CUDA build for GPUs of compute" \
                "capability ${caps% } together (cu126: 5.0 to 9.x; cu130: 7.5 and newer);" \
                "pass --torch with one of them for some of the GPUs, or --torch cpu."
            fail "the NVIDIA driver supports CUDA $cuda; torch $TORCH_VERSION's build for" \
                "these GPUs (${build%%:*}) needs a driver for CUDA ${build#*:} or newer." \
                "Update the driver, or pass --torch cpu."
        fi
    elif rocm="$(rocm_version)" && [ -n "$rocm" ]; then
        gpu_count="$( (rocminfo 2>/dev/null || true) | grep -c 'Device Type: *GPU' || true)"
        for build in $ROCM_BUILDS; do
            version_at_most "${build#rocm}" "$rocm" && chosen="$build"
        done
        [ -n "$chosen" ] || fail "ROCm $rocm is older than torch $TORCH_VERSION's builds" \
            "(${ROCM_BUILDS}); update ROCm, or pass --torch cpu."
        say "found ROCm $rocm with $gpu_count GPU(s)"
    else
        chosen=cpu
        say "found no NVIDIA or AMD GPU: installing the CPU build (preview models run fine)"
    fi
    torch="$chosen"
}

rocm_version() {
    local file="${ROCM_PATH:-/opt/rocm}/.info/version"
    if [ -r "$file" ]; then
        sed -n '1s/^\([0-9]*\.[0-9]*\).*/\1/p' "$file"
    elif command -v hipconfig >/dev/null 2>&1; then
        hipconfig --version 2>/dev/null | sed -n '1s/^\([0-9]*\.[0-9]*\).*/\1/p'
    fi
}

if [ -z "$torch" ]; then
    detect_torch
fi
builds="cpu $(cuda_build_names)$CUDA_EXPERIMENTAL $ROCM_BUILDS"
case " $builds " in
    *" $torch "*) ;;
    *) fail "--torch $torch is not a build of torch $TORCH_VERSION; use one of: $builds." ;;
esac
# PyPI's Linux wheel of torch is a CUDA build (gigabytes of NVIDIA libraries): every build,
# CPU too, comes from PyTorch's index of that build unless --torch-index names another.
[ -n "$torch_index" ] || torch_index="$PYTORCH_INDEX/$torch"

# ----------------------------------------------------------------------------- which extras
declared_extras() {
    "$python" - "$SOURCE/pyproject.toml" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print(" ".join(tomllib.load(f)["project"].get("optional-dependencies", {})))
PY
}

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3; do
        [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null
        then
            command -v "$candidate"
            return
        fi
    done
    fail "StoryIter Studio needs Python 3.11 or 3.12 (with venv); set PYTHON=/path/to/python."
}
python="$(find_python)"

if [ "$extras" = default ]; then
    extras=""
    for extra in $(declared_extras); do
        case "$extra" in
            dev|bundle) ;;
            cluster) [ "$gpu_count" -ge 2 ] && extras="$extras,$extra" ;;
            *) extras="$extras,$extra" ;;
        esac
    done
    extras="${extras#,}"
fi
app_spec="$prefix/app"
[ -z "$extras" ] || app_spec="$app_spec[$extras]"

pip_sources=()
if [ -n "$wheels" ]; then
    [ -d "$wheels" ] || fail "--wheels $wheels is not a folder."
    wheels="$(cd "$wheels" && pwd)"
    pip_sources=(--no-index --find-links "$wheels")
fi
torch_sources=("${pip_sources[@]}")
if [ -z "$wheels" ] && [ -n "$torch_index" ]; then
    torch_sources=(--index-url "$torch_index")
fi

say "torch $TORCH_VERSION, $torch build from ${wheels:-$torch_index}${wheels:+ (offline)}"
say "the app${extras:+ with extras [$extras]} into $prefix"
if [ "$plan" = 1 ]; then
    exit 0
fi

# ----------------------------------------------------------------------------- download only
if [ -n "$download" ]; then
    mkdir -p "$download"
    download="$(cd "$download" && pwd)"
    "$python" -m pip download -q -d "$download" "${torch_sources[@]}" "torch==$TORCH_VERSION"
    # The app's own dependencies (torch comes from the folder), and what builds the app.
    "$python" -m pip download -q -d "$download" --find-links "$download" \
        "$SOURCE${extras:+[$extras]}" "setuptools>=77" wheel
    rm -f "$download"/storyiter_studio-*  # the app itself is installed from its source
    say "wrote $(find "$download" -maxdepth 1 -name '*.whl' | wc -l) wheels to $download;" \
        "install offline with: packaging/install.sh --torch $torch --wheels $download"
    exit 0
fi

# ----------------------------------------------------------------------------- install
mkdir -p "$prefix"
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    say "the environment in $venv is broken; making it again"
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)

# A different build of the same torch version is only installed when asked by force.
previous="$(cat "$prefix/torch-build" 2>/dev/null || true)"
force=()
if [ -n "$previous" ] && [ "$previous" != "$torch" ]; then
    say "switching torch from the $previous build to the $torch build"
    force=(--force-reinstall --no-deps)
fi
"${pip[@]}" "${torch_sources[@]}" "${force[@]}" "torch==$TORCH_VERSION"
if [ "${#force[@]}" -gt 0 ]; then  # its dependencies, which --no-deps skipped
    "${pip[@]}" "${torch_sources[@]}" "torch==$TORCH_VERSION"
fi
echo "$torch" > "$prefix/torch-build"

# The app runs from its own copy of the source (an editable install of it), replaced whole.
rm -rf "$prefix/app.new"
mkdir "$prefix/app.new"
for part in $APP_PARTS; do
    cp -R "$SOURCE/$part" "$prefix/app.new/"
done
find "$prefix/app.new" -name '__pycache__' -type d -prune -exec rm -rf {} +
rm -rf "$prefix/app.old"
[ ! -d "$prefix/app" ] || mv "$prefix/app" "$prefix/app.old"
mv "$prefix/app.new" "$prefix/app"
rm -rf "$prefix/app.old"
"${pip[@]}" "${pip_sources[@]}" -e "$app_spec"

mkdir -p "$bin_links"
for exe in storyboard storyboard-app; do
    if [ ! -e "$bin_links/$exe" ] || [ -L "$bin_links/$exe" ]; then
        ln -sfn "$venv/bin/$exe" "$bin_links/$exe"
    fi
done
if [ "$desktop" = 1 ]; then
    "$prefix/app/packaging/linux/install-desktop.sh" --bindir "$venv/bin" >/dev/null
fi
"$venv/bin/storyboard" --version | sed 's/^/  /'
say "done: run storyboard-app (or find StoryIter Studio in your menu)."

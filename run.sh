#!/usr/bin/env bash
# Set up and run sklearn-uat from a clone, with nothing but Python >= 3.10.
#
#   ./run.sh [compare] [ARGS]   set up (first run only), then `sklearn-uat compare ARGS`
#   ./run.sh test [ARGS]        set up (first run only), then `pytest ARGS`
#   ./run.sh setup              set up only
#
# Setting up creates the virtual environment .venv (no system packages are
# touched, so Debian's "externally-managed-environment" does not apply),
# installs torch, then the package with its "dev" and "dask" extras.
#
# torch: PyPI's Linux wheels of torch are CUDA builds of several GB. For the
# CPU build, name PyTorch's CPU wheel index:
#   TORCH_INDEX=https://download.pytorch.org/whl/cpu ./run.sh
# Other settings: PYTHON (the interpreter that creates .venv, default python3),
# TORCH_SPEC (default "torch==2.13.0"), EXTRAS (default "dev,dask"),
# UAT_VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")"

venv="${UAT_VENV:-.venv}"
python="${PYTHON:-python3}"
extras="${EXTRAS:-dev,dask}"
stamp="$venv/.sklearn-uat-setup"

fail() {
    echo "run.sh: $*" >&2
    exit 1
}

setup() {
    # Done already, and the requirements have not changed since.
    if [ -f "$stamp" ] && [ "$stamp" -nt setup.cfg ] && [ "$(cat "$stamp")" = "$extras" ]; then
        return
    fi
    command -v "$python" > /dev/null ||
        fail "no $python found: install Python >= 3.10, or set PYTHON=/path/to/python3."
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
        fail "sklearn-uat needs Python >= 3.10; $python is $("$python" --version 2>&1). Set PYTHON=python3.12 (say)."
    if [ ! -x "$venv/bin/python" ]; then
        echo "run.sh: creating the virtual environment $venv" >&2
        "$python" -m venv "$venv" ||
            fail "could not create $venv. On Debian and Ubuntu, venv is a package of its own: sudo apt install python3-venv"
    fi
    local pip=("$venv/bin/python" -m pip --disable-pip-version-check)
    "${pip[@]}" install --quiet --upgrade pip
    if "$venv/bin/python" -c 'import torch' 2> /dev/null; then
        : # keep the torch that is there, CPU or CUDA build
    elif [ -n "${TORCH_INDEX:-}" ]; then
        echo "run.sh: installing torch from $TORCH_INDEX" >&2
        "${pip[@]}" install --quiet torch --index-url "$TORCH_INDEX"
    else
        echo "run.sh: installing ${TORCH_SPEC:-torch==2.13.0} (PyPI's Linux wheels are CUDA builds" \
            "of several GB; TORCH_INDEX=https://download.pytorch.org/whl/cpu picks the CPU build)" >&2
        "${pip[@]}" install --quiet "${TORCH_SPEC:-torch==2.13.0}"
    fi
    echo "run.sh: installing sklearn-uat with the extras $extras" >&2
    "${pip[@]}" install --quiet -e ".[$extras]"
    echo "$extras" > "$stamp"
}

command="compare"
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
    command="$1"
    shift
fi
case "$command" in
    setup) setup ;;
    compare)
        setup
        exec "$venv/bin/sklearn-uat" compare "$@"
        ;;
    test)
        setup
        exec "$venv/bin/python" -m pytest "$@"
        ;;
    *) fail "unknown command $command: use compare (the default), test or setup." ;;
esac

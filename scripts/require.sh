#!/usr/bin/env bash
# The tools the make targets need besides Python packages, checked before they are used:
#
#   scripts/require.sh python PYTHON   Python >= 3.11 with venv, to create .venv
#   scripts/require.sh node            Node.js >= 20 and npm, to build the front-end assets
#   scripts/require.sh chromium        Chromium for the browser tests; as root on Debian it is installed
#   scripts/require.sh postgres URL    a PostgreSQL server listening where the SQLAlchemy URL points
#
# Several checks may follow one another on one command line. A missing tool stops with one line on
# stderr that says how to get it, and exit status 1.
set -euo pipefail

missing() {
    echo "$*" >&2
    exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

require_python() {
    local python=$1
    have "$python" || missing "Python is missing: install Python 3.11 or newer with venv (\`sudo apt-get install python3 python3-venv\`), or name one with \`make PYTHON=python3.12 ...\`."
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || missing "$python is Python $("$python" -c 'import platform; print(platform.python_version())'); Ladeportal needs 3.11 or newer: name one with \`make PYTHON=python3.12 ...\`."
    # Debian ships venv without ensurepip unless python3-venv is installed.
    "$python" -c 'import ensurepip, venv' 2>/dev/null \
        || missing "$python cannot create virtual environments: run \`sudo apt-get install python3-venv\`."
}

require_node() {
    have node && have npm \
        || missing "Node.js and npm are missing (they build the portal's front-end assets): install Node.js 20 or newer with npm (https://nodejs.org/en/download)."
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge 20 ] \
        || missing "Node.js $(node --version) is too old to build the portal's front-end assets: install Node.js 20 or newer (https://nodejs.org/en/download)."
}

require_chromium() {
    have chromium && return 0
    if ! have apt-get; then
        missing "Chromium is missing (the browser tests drive it): install your system's chromium package so that \`chromium\` is on PATH."
    fi
    if [ "$(id -u)" != 0 ]; then
        missing "Chromium is missing (the browser tests drive it): run \`sudo apt-get install chromium\`, then run make again."
    fi
    echo "Chromium is missing: installing Debian's chromium package for the browser tests." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null \
        || missing "Chromium could not be installed (apt-get failed, see above): install the chromium package, then run make again."
    have chromium || missing "Chromium is still not on PATH after installing Debian's chromium package."
}

require_postgres() {
    local url=$1 address host port
    address=${url#*://}       # user:password@host:port/database
    address=${address%%/*}    # user:password@host:port
    address=${address##*@}    # host:port
    host=${address%%:*}
    port=${address##*:}
    [ "$port" != "$address" ] || port=5432
    host=${host:-127.0.0.1}
    # A TCP connect is enough: bash opens it itself, so no PostgreSQL client is needed here.
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null \
        || missing "PostgreSQL is not running at $host:$port: start it (on Debian \`sudo pg_ctlcluster <version> main start\`) or point PG_URL at a server."
}

while [ $# -gt 0 ]; do
    tool=$1
    shift
    case $tool in
        python) require_python "${1:?usage: require.sh python PYTHON}"; shift ;;
        node) require_node ;;
        chromium) require_chromium ;;
        postgres) require_postgres "${1:?usage: require.sh postgres URL}"; shift ;;
        *) missing "require.sh: unknown tool $tool (python, node, chromium, postgres)" ;;
    esac
done

# Shared by the scripts: find a Python >= 3.13 and its virtual environment.
# Sourced, not run.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Prints the first interpreter that really runs and has a pinned Home
# Assistant: any 3.13 (the minimum supported release) or 3.14.2 and later
# (the newest). The bare pyenv shim exits non-zero unless told a version, so
# each candidate is run.
find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.14 python3.13)
  local pyenv_root
  pyenv_root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for found in "$pyenv_root"/versions/3.1[3-9]*/bin/python3.1[3-9]; do
    [ -x "$found" ] && candidates+=("$found")
  done
  candidates+=(python3)
  for candidate in "${candidates[@]}"; do
    if "$candidate" -c \
      'import sys; v = sys.version_info; sys.exit(not (v[:2] == (3, 13) or v >= (3, 14, 2)))' \
      >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "No Python 3.13 or >= 3.14.2 found; set PYTHON=/path/to/python3.13" >&2
  return 1
}

# Creates .venv-X.Y for the interpreter when missing and installs the pinned
# requirements whenever the requirements file changed.
ensure_venv() {
  local python="$1" requirements="$2" version venv stamp wanted
  version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  venv="$root/.venv-$version"
  if [ ! -x "$venv/bin/python" ]; then
    echo "Creating $venv" >&2
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
  fi
  # One stamp per requirements file: the demo's adds to the tests' own.
  stamp="$venv/.${requirements%.txt}.sha256"
  wanted="$(cat "$root"/requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Installing $requirements into $venv" >&2
    "$venv/bin/python" -m pip install --quiet -r "$root/$requirements" >&2
    echo "$wanted" >"$stamp"
  fi
  echo "$venv"
}

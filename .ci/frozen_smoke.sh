#!/usr/bin/env bash
# Build the PyInstaller one-folder app (build.spec) with VENV's Python and run the frozen
# executables as an artist would: from a read-only install folder, as an unprivileged user, with
# nothing but the user folders to write to.
#   usage: .ci/frozen_smoke.sh VENV [VALIDATOR_DIR]
# VALIDATOR_DIR holds tests/node's validate.mjs with its node_modules (the Khronos glTF validator).
set -euo pipefail
venv=$(realpath "$1")
validator_dir=${2:-}
repo=$(pwd)

"$venv/bin/pip" install -q -e '.[build]'
build_started=$(date +%s)
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$repo/dist" --workpath "$repo/build" build.spec
echo "ci: frozen build made in $(( $(date +%s) - build_started )) s"
if "$venv/bin/python" -c "import torch" 2>/dev/null; then with_torch="with torch"; else with_torch="without torch"; fi
echo "ci: frozen folder size ($with_torch): $(du -sm dist/Sweedle | cut -f1) MB"

# A read-only install folder owned by root, run as nobody: any write beside the executables fails.
work=$(mktemp -d)
chmod 755 "$work"
install="$work/install"
cp -a dist/Sweedle "$install"
chmod -R a-w "$install"
user_dir="$work/user"
mkdir -p "$user_dir/UnityProject/Assets" "$user_dir/UnityProject/ProjectSettings"
echo "m_EditorVersion: 2022.3.20f1" > "$user_dir/UnityProject/ProjectSettings/ProjectVersion.txt"
cp resources/samples/robot.png "$user_dir/robot.png"
chown -R 65534:65534 "$user_dir"

as_user() {
  (cd "$user_dir" && setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HOME="$user_dir" XDG_RUNTIME_DIR="$user_dir" "$@")
}

as_user "$install/sweedle" --version
as_user "$install/sweedle" generate robot.png -o out/
test -s "$user_dir/out/robot.glb"
if [ -n "$validator_dir" ]; then
  node "$validator_dir/validate.mjs" "$user_dir/out/robot.glb" > "$work/report.json"
  errors=$(node -e 'const r=require(process.argv[1]); process.stdout.write(String(r.issues.numErrors))' "$work/report.json")
  echo "ci: frozen GLB, Khronos glTF validator errors: $errors"
  [ "$errors" = "0" ]
fi
as_user "$install/sweedle" library list | tee "$work/list.txt"
grep -q " robot " "$work/list.txt"
as_user "$install/sweedle" export 1 --unity UnityProject
ls "$user_dir/UnityProject/Assets/Sweedle/"*/*.fbx >/dev/null
as_user xvfb-run -a -s "-screen 0 1440x900x24" "$install/Sweedle" robot.png --generate --bake always \
  --screenshot "$user_dir/frozen-window.png"
test -s "$user_dir/frozen-window.png"
mkdir -p out
cp "$user_dir/frozen-window.png" out/frozen-window.png
echo "ci: frozen smoke test ok: generate (validated GLB), library list, Unity export, window generating the sample with a texture baked anew (the UV-unwrap child process)"
rm -rf "$work"

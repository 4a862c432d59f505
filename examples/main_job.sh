#!/usr/bin/env bash
# The main job: trains a wave-RNN and an iRNN (n = 100 units each; the wave with 6 channels) on
# the copy task, prints both final losses side by side, and draws the wave's space-time picture
# and the two learning curves. Installs what is missing, builds for this host, then runs.
# Usage: bash examples/main_job.sh [extra copy_task flags, e.g. --steps 500]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-release
out=$root/results/main_job

bash "$root/examples/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWRNN_NATIVE=ON -DWRNN_BUILD_TESTS=OFF \
  -DWRNN_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target copy_task

# The copy task as in docs/model.md, "Tasks", at a size that trains in minutes on 2 cores.
common=(--T 30 --steps 2000 --batch 128 --lr 1e-3 --log-every 50 --seed 1 "$@")
"$build/examples/copy_task" --model wave --n 100 --channels 6 "${common[@]}" --out "$out/wave" >/dev/null
"$build/examples/copy_task" --model irnn --n 100 "${common[@]}" --out "$out/irnn" >/dev/null

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
wave = json.load(open(f"{out}/wave/results.json"))
irnn = json.load(open(f"{out}/irnn/results.json"))
print()
print(f"copy task, T = {wave['T']}, {wave['steps']} steps of batch {wave['batch']}")
print(f"{'model':<26}{'weights':>10}{'final test loss':>18}{'wall s':>10}")
for name, r in (("wRNN (n=100, C=6)", wave), ("iRNN (n=100)", irnn)):
    print(f"{name:<26}{r['params']:>10}{r['final_test_loss']:>18.3e}{r['wall_seconds']:>10.1f}")
print(f"iRNN loss / wRNN loss = {irnn['final_test_loss'] / wave['final_test_loss']:.0f}x")
PY

gnuplot <<GP
set terminal pngcairo size 900,560 noenhanced font ",11"
set output "$out/learning_curves.png"
set datafile separator ","
set logscale y
set format y "%.0e"
set xlabel "training step"
set ylabel "test cross-entropy (log scale)"
set title "Copy task: wave-RNN vs iRNN (n = 100 units each)"
set grid
set key top right
plot "$out/wave/curve.csv" using 1:3 every ::1 with lines lw 2 title "wRNN (6 channels x 100 units, shift init)", \
     "$out/irnn/curve.csv" using 1:3 every ::1 with lines lw 2 title "iRNN (100 units, identity init)"
GP
echo "pictures: $out/wave/space_time.png $out/learning_curves.png"

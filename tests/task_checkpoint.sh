#!/bin/bash
# The programs' --save/--load and checkpoints (examples/common/memory_task_program.cpp,
# seq_image_run.hpp), on tiny runs:
#   copy_task
#   1. 6 steps without a break, --save at the end;
#   2. 3 steps with --checkpoint-every 3, then --resume to 6 steps: the same curve and final
#      losses as run 1, to the last digit;
#   3. --load of run 1's model with --lr 0 for one step: the test loss of run 1's final model;
#   4. --load into another structure is refused, naming the metadata key;
#   5. a 300-step run checkpointing every 5 steps, killed (SIGKILL) soon after its first
#      checkpoint, then resumed: the curve and losses of the same run without the kill;
#   seq_image (a small MNIST-format folder)
#   6. 3 epochs without a break, and the same run killed (SIGKILL) after its first epoch's
#      checkpoint and resumed: every loss and accuracy of every epoch the same.
# Usage: task_checkpoint.sh COPY_TASK_BINARY SEQ_IMAGE_BINARY WORK_DIR
set -eu
program=$1
seq_image=$2
work=$3
support="$(cd "$(dirname "$0")" && pwd)/support"
rm -rf "$work"
mkdir -p "$work"
base="--T 3 --n 8 --channels 2 --batch 4 --test-batch 8 --threads 1"
flags="$base --log-every 3"
fail() {
  echo "FAIL: $*"
  exit 1
}
final() { grep "\"final_$1\"" "$2"; }

"$program" $flags --steps 6 --out "$work/whole" --save "$work/whole/model.safetensors" > "$work/whole.json"
"$program" $flags --steps 3 --out "$work/part" --checkpoint-every 3 > "$work/part.json"
test -f "$work/part/checkpoint.safetensors" || fail "no checkpoint written"
"$program" $flags --steps 6 --out "$work/resumed" --resume "$work/part/checkpoint.safetensors" \
  > "$work/resumed.json"
for loss in train_loss test_loss; do
  echo "whole:   $(final $loss "$work/whole.json")"
  echo "resumed: $(final $loss "$work/resumed.json")"
  test "$(final $loss "$work/whole.json")" = "$(final $loss "$work/resumed.json")" ||
    fail "resumed run's final $loss differs"
done
cmp "$work/whole/curve.csv" "$work/resumed/curve.csv" || fail "resumed run's curve differs"
# The resumed run really continued (its first part's loss is not the final one).
test "$(final test_loss "$work/part.json")" != "$(final test_loss "$work/whole.json")" ||
  fail "3 and 6 steps give the same loss: the test cannot tell"

"$program" $flags --steps 1 --lr 0 --load "$work/whole/model.safetensors" > "$work/loaded.json"
loaded=$(final test_loss "$work/loaded.json")
whole=$(final test_loss "$work/whole.json")
echo "loaded:  $loaded"
test "$loaded" = "$whole" || fail "--load did not restore the saved model ($loaded vs $whole)"

# The iRNN has no channels: the same flags without --channels, which it refuses.
if "$program" ${flags/--channels 2 /} --steps 1 --model irnn --load "$work/whole/model.safetensors" \
  > "$work/refused.txt" 2>&1; then
  fail "--load into an iRNN accepted a wave model"
fi
grep -q "wrnn.cell" "$work/refused.txt" || fail "the refusal does not name wrnn.cell"

# kill_after_first_checkpoint CHECKPOINT COMMAND...: starts COMMAND, waits for CHECKPOINT to
# appear, kills the process with SIGKILL and requires that it was killed (not finished).
kill_after_first_checkpoint() {
  local checkpoint=$1
  shift
  "$@" > /dev/null 2>&1 &
  local pid=$! waited=0
  while [ ! -e "$checkpoint" ] && [ $waited -lt 6000 ]; do
    sleep 0.01
    waited=$((waited + 1))
  done
  kill -9 $pid 2> /dev/null || true
  local status=0
  wait $pid 2> /dev/null || status=$?
  test $status -eq 137 || fail "the run to kill ended with status $status before the kill"
}

# 5. copy_task killed while it trains and checkpoints.
long="$base --steps 300 --log-every 10 --checkpoint-every 5"
"$program" $long --out "$work/unbroken" > "$work/unbroken.json"
kill_after_first_checkpoint "$work/killed/checkpoint.safetensors" "$program" $long --out "$work/killed"
"$program" $long --out "$work/killed" --resume "$work/killed/checkpoint.safetensors" \
  > "$work/killed.json"
cmp "$work/unbroken/curve.csv" "$work/killed/curve.csv" || fail "killed and resumed run's curve differs"
for loss in train_loss test_loss; do
  test "$(final $loss "$work/unbroken.json")" = "$(final $loss "$work/killed.json")" ||
    fail "killed and resumed run's final $loss differs"
done
echo "copy_task killed and resumed: same curve ($(wc -l < "$work/killed/curve.csv") lines)"

# 6. seq_image killed after an epoch's checkpoint and resumed.
/usr/bin/python3 "$support/write_small_mnist.py" "$work/mnist"
images="--data $work/mnist --task psmnist --n 4 --channels 2 --epochs 3 --batch 16 --lr 1e-2
  --max-train-batches 2 --max-eval 16 --eval-batch 16 --threads 1"
"$seq_image" $images --out "$work/images_unbroken" > /dev/null 2>&1
kill_after_first_checkpoint "$work/images_killed/checkpoint.safetensors" \
  "$seq_image" $images --out "$work/images_killed"
"$seq_image" $images --out "$work/images_killed" \
  --resume "$work/images_killed/checkpoint.safetensors" > /dev/null 2>&1
# Every column but the timings (epoch, losses and accuracies: the first seven).
cut -d, -f1-7 "$work/images_unbroken/curve.csv" > "$work/images_unbroken.csv"
cut -d, -f1-7 "$work/images_killed/curve.csv" > "$work/images_killed.csv"
test "$(wc -l < "$work/images_unbroken.csv")" -eq 4 || fail "expected 3 epochs of seq_image"
cmp "$work/images_unbroken.csv" "$work/images_killed.csv" ||
  fail "seq_image killed and resumed: the curve differs"
echo "seq_image killed and resumed: same curve"
echo "ok"

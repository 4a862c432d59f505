#!/bin/sh
# The task programs' --save/--load and --checkpoint-every/--resume (examples/common/
# memory_task_program.hpp), on a tiny copy task:
#   1. 6 steps without a break, --save at the end;
#   2. 3 steps with --checkpoint-every 3, then --resume to 6 steps: the same curve and final
#      losses as run 1, to the last digit;
#   3. --load of run 1's model with --lr 0 for one step: the test loss of run 1's final model;
#   4. --load into another structure is refused, naming the metadata key.
# Usage: task_checkpoint.sh COPY_TASK_BINARY WORK_DIR
set -eu
program=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
flags="--T 3 --n 8 --channels 2 --batch 4 --test-batch 8 --log-every 3 --threads 1"
fail() { echo "FAIL: $*"; exit 1; }
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

if "$program" $flags --steps 1 --model irnn --load "$work/whole/model.safetensors" \
  > "$work/refused.txt" 2>&1; then
  fail "--load into an iRNN accepted a wave model"
fi
grep -q "wrnn.cell" "$work/refused.txt" || fail "the refusal does not name wrnn.cell"
echo "ok"

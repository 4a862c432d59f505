#!/bin/bash
# The example programs at their edges: a table of bad inputs (flags out of range, non-finite
# numbers, seeds that would wrap, runs too large for the machine, output paths that cannot be
# written, a bad WRNN_NUM_THREADS, damaged checkpoints and model files, a disk that fills up) run
# against one program. For every case it checks
#   - the exit status: 2 for flags the program refuses (CLI11's parse errors included: an
#     unknown flag, a value its check refused), 1 for a failure while running, 0 where the input
#     is valid; never 128 or more (a signal: an abort, a crash);
#   - that stderr names the flag, variable or file (the case's TEXT);
#   - that a refused run claims no success: nothing on stdout, no results.json or gallery.json
#     in its output folder, and (unless the failure comes after training) no training logged
#     (no progress line, "... it/s ...").
# A few valid runs (exit 0, results written) show that the base flags are not refused themselves.
#
# Usage: program_errors.sh PROGRAM BINARY WORK_DIR
#   PROGRAM: copy_task, adding_task, seq_image or wave_gallery; BINARY: its executable.
set -u
program=$1
binary=$2
work=$3
support="$(cd "$(dirname "$0")" && pwd)/support"
python=/usr/bin/python3
unset WRNN_NUM_THREADS
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

cases=0
failures=0
fail() {
  echo "FAIL [$name]: $*"
  failures=$((failures + 1))
}

# expect NAME STATUS TEXT ARG...: runs the program with ARGs; "@OUT@" in an ARG is the case's
# own output folder $work/NAME. Optional variables for one case:
#   ENV="VAR=value"  run with that environment variable
#   LIMITS="..."     shell commands run first in the program's subshell (ulimit, trap)
#   SETUP="..."      shell commands run before (with @OUT@ replaced)
#   CHECK="..."      a shell test run after, which must succeed (with @OUT@ replaced)
#   LATE=1           the failure comes after training (its log is allowed)
expect() {
  name=$1
  local status=$2 text=$3
  shift 3
  cases=$((cases + 1))
  local out="$work/$name" args=() arg result
  for arg in "$@"; do args+=("${arg//@OUT@/$out}"); done
  # A flag given again replaces its earlier value (the program, through CLI11, refuses repeats),
  # so that a case can change one of the base flags.
  local kept=() i j
  for ((i = 0; i < ${#args[@]}; ++i)); do
    if [[ ${args[i]} == --* ]]; then
      for ((j = i + 1; j < ${#args[@]}; ++j)); do
        [[ ${args[j]} == "${args[i]}" ]] && continue 2
      done
    elif ((i > 0)) && [[ ${args[i - 1]} == --* ]]; then
      for ((j = i; j < ${#args[@]}; ++j)); do
        [[ ${args[j]} == "${args[i - 1]}" ]] && continue 2
      done
    fi
    kept+=("${args[i]}")
  done
  args=("${kept[@]}")
  rm -rf "$out"
  [ -z "${SETUP:-}" ] || eval "${SETUP//@OUT@/$out}"
  (
    eval "${LIMITS:-}"
    if [ -n "${ENV:-}" ]; then exec env "$ENV" "$binary" "${args[@]}"; fi
    exec "$binary" "${args[@]}"
  ) >"$work/$name.stdout" 2>"$work/$name.stderr"
  local rc=$?
  if [ $rc -ge 128 ]; then
    fail "ended by a signal (exit $rc): $(tail -c 300 "$work/$name.stderr")"
    return
  fi
  [ $rc -eq "$status" ] || fail "exit $rc, expected $status: $(tail -c 300 "$work/$name.stderr")"
  grep -qF -- "$text" "$work/$name.stderr" "$work/$name.stdout" ||
    fail "the output does not name '$text': $(tail -c 300 "$work/$name.stderr")"
  if [ "$status" -ne 0 ]; then
    [ ! -s "$work/$name.stdout" ] || fail "a refused run printed a result on stdout"
    for result in results.json gallery.json; do
      [ ! -f "$out/$result" ] || fail "a refused run wrote $out/$result"
    done
    if [ -z "${LATE:-}" ] && grep -q "it/s" "$work/$name.stderr"; then
      fail "refused only after training: $(head -c 300 "$work/$name.stderr")"
    fi
  fi
  if [ -n "${CHECK:-}" ] && ! eval "${CHECK//@OUT@/$out}"; then fail "check failed: $CHECK"; fi
}

# A valid run: exit 0 and its result file written.
expect_run() {
  local result=$1 name=$2
  shift 2
  CHECK="test -s @OUT@/$result${CHECK:+ && $CHECK}" expect "$name" 0 "" "$@" --out @OUT@
}

cli_refusal=2  # CLI11's ValidationError: a value the option's check refused
touch "$work/a_file"

# ---- cases every program shares: its numbers, threads, memory and output folder ----
common_cases() {
  local result=$1
  shift
  local tiny=("$@")
  expect_run "$result" valid "${tiny[@]}" --threads 1
  expect lr_nan $cli_refusal "--lr" "${tiny[@]}" --lr nan --out @OUT@
  expect lr_inf $cli_refusal "--lr" "${tiny[@]}" --lr inf --out @OUT@
  expect lr_overflow $cli_refusal "--lr" "${tiny[@]}" --lr 1e400 --out @OUT@
  expect lr_negative 2 "--lr" "${tiny[@]}" --lr -1 --out @OUT@
  expect seed_negative $cli_refusal "--seed" "${tiny[@]}" --seed -1 --out @OUT@
  expect seed_2_64 $cli_refusal "--seed" "${tiny[@]}" --seed 18446744073709551616 --out @OUT@
  expect seed_fraction $cli_refusal "--seed" "${tiny[@]}" --seed 1.5 --out @OUT@
  expect seed_exponent $cli_refusal "--seed" "${tiny[@]}" --seed 1e3 --out @OUT@
  expect_run "$result" seed_largest "${tiny[@]}" --threads 1 --seed 18446744073709551615
  expect n_zero 2 "--n" "${tiny[@]}" --n 0 --out @OUT@
  expect n_overflow $cli_refusal "--n" "${tiny[@]}" --n 99999999999999999999 --out @OUT@
  expect unknown_flag 2 "--bogus" "${tiny[@]}" --bogus 1 --out @OUT@
  expect threads_zero 2 "--threads" "${tiny[@]}" --threads 0 --out @OUT@
  expect threads_huge 2 "--threads" "${tiny[@]}" --threads 99999999999 --out @OUT@
  expect threads_overflow $cli_refusal "--threads" "${tiny[@]}" --threads 99999999999999999999 \
    --out @OUT@
  local values=(abc 0 -1 "" 2x 99999999999 99999999999999999999) i
  for i in "${!values[@]}"; do
    ENV="WRNN_NUM_THREADS=${values[$i]}" expect "env_threads_bad_$i" 2 "WRNN_NUM_THREADS" \
      "${tiny[@]}" --out @OUT@
  done
  ENV="WRNN_NUM_THREADS=abc" expect env_threads_help 0 "--threads" --help
  ENV="WRNN_NUM_THREADS=abc" expect_run "$result" env_threads_given "${tiny[@]}" --threads 1
  # Threads the system will not start: 1000 threads' stacks of 8 MB do not fit in 600 MB of
  # address space. Not under AddressSanitizer, whose shadow memory alone needs far more.
  if [ "${WRNN_TEST_SANITIZED:-0}" != 1 ]; then
    LIMITS="ulimit -s 8192; ulimit -v 600000" expect threads_refused 1 "thread" "${tiny[@]}" \
      --threads 1000 --out @OUT@
  fi
  expect memory_units 2 "memory" "${tiny[@]}" --n 100000000 --channels 1000 --out @OUT@
  expect memory_overflow 2 "memory" "${tiny[@]}" --n 4611686018427387904 --channels 4 --out @OUT@
  expect memory_largest 2 "memory" "${tiny[@]}" --n 9223372036854775807 \
    --channels 9223372036854775807 --out @OUT@
  expect out_device 1 "--out /dev/full" "${tiny[@]}" --threads 1 --out /dev/full
  expect out_file 1 "not a folder" "${tiny[@]}" --threads 1 --out "$work/a_file"
  expect out_proc 1 "--out /proc/wrnn_test" "${tiny[@]}" --threads 1 --out /proc/wrnn_test
  SETUP="mkdir -p @OUT@/$result" expect out_result_folder 1 "$result" "${tiny[@]}" \
    --threads 1 --out @OUT@
}

# ---- the readout, schedule and freezing flags every training program shares ----
model_option_cases() {
  local result=$1
  shift
  local run=("$@")
  expect readout_unknown 2 "--readout" "${run[@]}" --readout conv --out @OUT@
  expect mlp_hidden_zero 2 "--mlp-hidden" "${run[@]}" --readout mlp --mlp-hidden 0 --out @OUT@
  expect mlp_hidden_linear 2 "--mlp-hidden" "${run[@]}" --mlp-hidden 5 --out @OUT@
  CHECK="grep -q '\"mlp_hidden\": 7' @OUT@/$result" \
    expect_run "$result" readout_mlp "${run[@]}" --readout mlp --mlp-hidden 7
  expect lr_scheduler_unknown 2 "--lr-scheduler" "${run[@]}" --lr-scheduler linear --out @OUT@
  expect lr_gamma_zero 2 "--lr-gamma" "${run[@]}" --lr-scheduler exponential --lr-gamma 0 \
    --out @OUT@
  expect lr_gamma_above_one 2 "--lr-gamma" "${run[@]}" --lr-scheduler exponential \
    --lr-gamma 1.5 --out @OUT@
  expect lr_gamma_nan $cli_refusal "--lr-gamma" "${run[@]}" --lr-gamma nan --out @OUT@
  expect lr_gamma_other 2 "--lr-gamma" "${run[@]}" --lr-scheduler cosine --lr-gamma 0.5 \
    --out @OUT@
  expect lr_patience_negative 2 "--lr-patience" "${run[@]}" --lr-scheduler plateau \
    --lr-patience -1 --out @OUT@
  expect lr_patience_other 2 "--lr-patience" "${run[@]}" --lr-scheduler step --lr-patience 3 \
    --out @OUT@
  expect lr_cooldown_negative 2 "--lr-cooldown" "${run[@]}" --lr-scheduler plateau \
    --lr-cooldown -1 --out @OUT@
  expect lr_plateau_factor 2 "--lr-drop-factor" "${run[@]}" --lr-scheduler plateau \
    --lr-drop-factor 1 --out @OUT@
  expect lr_t_max_negative 2 "--lr-t-max" "${run[@]}" --lr-scheduler cosine --lr-t-max -1 \
    --out @OUT@
  expect lr_max_negative 2 "--lr-max" "${run[@]}" --lr-scheduler onecycle --lr-max -1 --out @OUT@
  expect lr_total_overflow $cli_refusal "--lr-total-steps" "${run[@]}" --lr-scheduler onecycle \
    --lr-total-steps 99999999999999999999 --out @OUT@
  expect lr_drop_every_zero 2 "--lr-drop-every" "${run[@]}" --lr-scheduler step \
    --lr-drop-every 0 --out @OUT@
  expect_run "$result" lr_cosine "${run[@]}" --lr-scheduler cosine
  expect_run "$result" freeze_both "${run[@]}" --freeze-rnn --freeze-encoder
}

# ---- copy_task and adding_task ----
memory_task_cases() {
  local tiny=(--T "$1" --n 8 --batch 4 --test-batch 8 --steps 2 --log-every 1)
  common_cases results.json "${tiny[@]}"
  local run=("${tiny[@]}" --threads 1)
  expect clip_nan $cli_refusal "--grad-clip" "${run[@]}" --grad-clip nan --out @OUT@
  expect clip_negative 2 "--grad-clip" "${run[@]}" --grad-clip -1 --out @OUT@
  expect_run results.json clip_off "${run[@]}" --grad-clip 0
  expect steps_zero 2 "--steps" "${run[@]}" --steps 0 --out @OUT@
  expect steps_overflow $cli_refusal "--steps" "${run[@]}" --steps 99999999999999999999
  expect T_zero 2 "--T" "${run[@]}" --T 0 --out @OUT@
  expect kernel_even 2 "--kernel" "${run[@]}" --kernel 4 --out @OUT@
  expect model_unknown 2 "--model" "${run[@]}" --model rnn --out @OUT@
  expect act_unknown 2 "--act" "${run[@]}" --act sigmoid --out @OUT@
  expect lstm_act 2 "--act" "${run[@]}" --model lstm --act tanh --out @OUT@
  expect lstm_channels 2 "--channels" "${run[@]}" --model lstm --channels 2 --out @OUT@
  expect gru_kernel 2 "--kernel" "${run[@]}" --model gru --kernel 5 --out @OUT@
  expect gru_init 2 "--v-init" "${run[@]}" --model gru --v-init solo --out @OUT@
  expect irnn_channels 2 "--channels" "${run[@]}" --model irnn --channels 2 --out @OUT@
  expect irnn_kernel 2 "--kernel" "${run[@]}" --model irnn --kernel 5 --out @OUT@
  expect_run results.json lstm "${run[@]}" --model lstm
  expect memory_T 2 "memory" "${run[@]}" --T 1000000000 --out @OUT@
  expect memory_T_largest 2 "memory" "${run[@]}" --T 9223372036854775807 --out @OUT@
  expect memory_batch 2 "memory" "${run[@]}" --batch 1000000000 --out @OUT@
  expect memory_test_batch 2 "memory" "${run[@]}" --test-batch 9000000000000000000 --out @OUT@
  expect memory_irnn 2 "memory" "${run[@]}" --model irnn --n 10000000 --out @OUT@
  expect memory_lstm 2 "memory" "${run[@]}" --model lstm --n 3000000 --out @OUT@
  expect memory_loco 2 "memory" "${run[@]}" --model loco --channels 100000 --out @OUT@
  expect_run results.json loco "${run[@]}" --model loco --init identity
  expect checkpoint_unused 2 "--checkpoint" "${run[@]}" --checkpoint @OUT@/c.safetensors
  expect save_is_checkpoint 2 "--save" "${run[@]}" --checkpoint-every 1 \
    --checkpoint @OUT@/c.safetensors --save @OUT@/./c.safetensors --out @OUT@
  expect save_device 1 "--save /dev/full" "${run[@]}" --save /dev/full --out @OUT@
  expect save_proc 1 "--save" "${run[@]}" --save /proc/wrnn_test.safetensors --out @OUT@
  expect save_folder 1 "a folder" "${run[@]}" --save "$work" --out @OUT@
  expect save_slash 2 "--save" "${run[@]}" --save @OUT@/ --out @OUT@
  expect checkpoint_device 1 "--checkpoint /dev/full" "${run[@]}" --checkpoint-every 1 \
    --checkpoint /dev/full --out @OUT@
  model_option_cases results.json "${run[@]}"
  local check_tensors="$python $support/compare_tensors.py"
  # The learning-rate schedules, stepped every training step: exponential 0.5 over 2 steps leaves
  # 1e-3 * 0.25; a onecycle of 3 steps is at its end, 1e-3 / 25 / 1e4, after 2.
  CHECK="grep -q '\"final_lr\": 0.00025' @OUT@/results.json" \
    expect_run results.json lr_exponential "${run[@]}" --lr-scheduler exponential --lr-gamma 0.5
  CHECK="grep -q '\"final_lr\": 4e-09' @OUT@/results.json" \
    expect_run results.json lr_onecycle "${run[@]}" --lr-scheduler onecycle --lr-total-steps 3
  expect_run results.json lr_plateau "${run[@]}" --lr-scheduler plateau --lr-patience 0
  expect lr_total_short 2 "--lr-total-steps" "${run[@]}" --lr-scheduler onecycle \
    --lr-total-steps 1 --out @OUT@
  # A resumed run replays its schedule: stopped after 2 steps and resumed to 4, the same curve as
  # 4 steps in one go (onecycle: by steps; plateau, patience 0: by the test losses, at a rate high
  # enough for the test loss to rise at step 2 (copy) or 3 (adding), and the rate to drop).
  local schedule plateau_lr=2
  [ "$program" = adding_task ] && plateau_lr=0.1
  for schedule in "onecycle --lr-total-steps 5" \
    "plateau --lr-patience 0 --lr-cooldown 0 --lr $plateau_lr"; do
    local tag=${schedule%% *}
    # shellcheck disable=SC2086
    expect_run results.json "${tag}_whole" "${run[@]}" --steps 4 --lr-scheduler $schedule
    # shellcheck disable=SC2086
    expect_run results.json "${tag}_part" "${run[@]}" --checkpoint-every 2 --lr-scheduler $schedule
    # shellcheck disable=SC2086
    CHECK="cmp $work/${tag}_whole/curve.csv @OUT@/curve.csv && grep -q \"\$(grep final_lr \
      $work/${tag}_whole/results.json)\" @OUT@/results.json" \
      expect_run results.json "${tag}_resumed" "${run[@]}" --steps 4 --lr-scheduler $schedule \
      --resume "$work/${tag}_part/checkpoint.safetensors"
  done
  # --freeze-rnn: the recurrent weights of a 1-step and a 2-step run are both the init, the input
  # weights are not; --freeze-encoder the other way round.
  expect_run results.json freeze_rnn_1 "${run[@]}" --steps 1 --freeze-rnn \
    --save "$work/freeze_rnn_1.safetensors"
  CHECK="$check_tensors same $work/freeze_rnn_1.safetensors @OUT@/m.safetensors \
    cell.Wy.weight cell.Wy.bias && $check_tensors different $work/freeze_rnn_1.safetensors \
    @OUT@/m.safetensors cell.Wx.weight" \
    expect_run results.json freeze_rnn_2 "${run[@]}" --freeze-rnn --save @OUT@/m.safetensors
  expect_run results.json freeze_encoder_1 "${run[@]}" --steps 1 --freeze-encoder \
    --save "$work/freeze_encoder_1.safetensors"
  CHECK="$check_tensors same $work/freeze_encoder_1.safetensors @OUT@/m.safetensors \
    cell.Wx.weight cell.Wx.bias && $check_tensors different $work/freeze_encoder_1.safetensors \
    @OUT@/m.safetensors cell.Wy.weight && $check_tensors absent @OUT@/checkpoint.safetensors \
    optimizer.exp_avg.cell.Wx.weight optimizer.exp_avg_sq.cell.Wx.bias" \
    expect_run results.json freeze_encoder_2 "${run[@]}" --freeze-encoder \
    --save @OUT@/m.safetensors --checkpoint-every 2
  if [ "$program" = copy_task ]; then
    expect mem_len_zero 2 "--mem-len" "${run[@]}" --mem-len 0 --out @OUT@
    expect loss_scale_unknown 2 "--loss-scale" "${run[@]}" --loss-scale sum --out @OUT@
    expect early_stop_copy 2 "--early-stop-from" "${run[@]}" --early-stop-from 5 --out @OUT@
    # T + m steps and h_0: 3 + 3 + 1 columns of hidden states (3 + 10 + 1 by default); the
    # picture of the outputs against the targets is written beside them.
    CHECK="test \$(head -1 @OUT@/hidden_states.csv | tr , '\\n' | wc -l) -eq 7 && \
      test -s @OUT@/copy_outputs.png" \
      expect_run results.json mem_len "${run[@]}" --mem-len 3
    # The authors' scale is the mean divided by the batch (4): the same first step, a quarter.
    expect_run results.json loss_mean "${run[@]}"
    CHECK="$python -c 'import sys; a, b = (float(open(p).read().split()[1].split(\",\")[1]) \
      for p in sys.argv[1:]); sys.exit(abs(b * 4 / a - 1) > 1e-6)' $work/loss_mean/curve.csv \
      @OUT@/curve.csv && grep -q 'divided by the batch' @OUT@/results.json" \
      expect_run results.json loss_authors "${run[@]}" --loss-scale authors
    # Only the last m steps scored: another loss at the same first step.
    CHECK="! cmp -s <(sed -n 2p $work/loss_mean/curve.csv) <(sed -n 2p @OUT@/curve.csv) && \
      grep -q '\"only_last\": true' @OUT@/results.json" \
      expect_run results.json only_last "${run[@]}" --only-last
  else
    expect mem_len_adding 2 "--mem-len" "${run[@]}" --mem-len 3 --out @OUT@
    expect only_last_adding 2 "--only-last" "${run[@]}" --only-last --out @OUT@
    expect loss_scale_adding 2 "--loss-scale" "${run[@]}" --loss-scale authors --out @OUT@
    expect early_stop_below 2 "--early-stop-from" "${run[@]}" --early-stop-from -2 --out @OUT@
    expect early_stop_patience_zero 2 "--early-stop-patience" "${run[@]}" --early-stop-from 0 \
      --early-stop-patience 0 --out @OUT@
    expect early_stop_patience_alone 2 "--early-stop-patience" "${run[@]}" \
      --early-stop-patience 3 --out @OUT@
    # Solved (training loss <= 0.05) early at lr 0.01, then three evaluations without a new best
    # test loss stop the run long before step 300.
    CHECK="$python -c 'import json, sys; r = json.load(open(sys.argv[1])); \
      sys.exit(not (r[\"stopped_early_at\"] and r[\"last_step\"] < 300 and \
      r[\"solved_step\"] <= r[\"stopped_early_at\"]))' @OUT@/results.json" \
      expect_run results.json early_stop "${run[@]}" --steps 300 --lr 0.01 --early-stop-from 0 \
      --early-stop-patience 3
  fi

  # A disk that fills up during the run: files are limited to 100 kB (SIGXFSZ ignored, so a
  # write beyond it fails with EFBIG); the 2048 units' hidden_states.csv is about 300 kB.
  LIMITS="trap '' XFSZ; ulimit -f 100" LATE=1 expect disk_full 1 "hidden_states.csv" \
    "${run[@]}" --n 256 --channels 8 --T 30 --out @OUT@

  # Checkpoints and model files: a good pair, then damaged copies.
  expect_run results.json base "${run[@]}" --checkpoint-every 1 --save "$work/base.safetensors"
  local checkpoint="$work/base/checkpoint.safetensors" model="$work/base.safetensors"
  expect_run results.json resume "${run[@]}" --steps 3 --resume "$checkpoint"
  expect resume_beyond_steps 2 "--steps 1" "${run[@]}" --steps 1 --resume "$checkpoint" --out @OUT@
  expect resume_other_batch 2 "wrnn.run.batch" "${run[@]}" --steps 3 --batch 5 \
    --resume "$checkpoint" --out @OUT@
  expect resume_other_schedule 2 "wrnn.run.lr_schedule" "${run[@]}" --steps 3 \
    --lr-scheduler exponential --resume "$checkpoint" --out @OUT@
  expect resume_frozen 1 "frozen" "${run[@]}" --steps 3 --freeze-rnn \
    --resume "$checkpoint" --out @OUT@
  damaged() {  # damaged NAME TEXT EDIT...: --resume from the checkpoint with EDITs applied
    local case_name=$1 case_text=$2
    shift 2
    "$python" "$support/edit_safetensors.py" "$checkpoint" "$work/$case_name.safetensors" "$@"
    expect "$case_name" 1 "$case_text" "${run[@]}" --steps 3 \
      --resume "$work/$case_name.safetensors" --out @OUT@
  }
  damaged losses_missing "wrnn.run.losses" drop-meta wrnn.run.losses
  damaged losses_not_json "wrnn.run.losses" set-meta wrnn.run.losses "{{"
  damaged losses_types "wrnn.run.losses" set-meta wrnn.run.losses '["a", 1]'
  damaged solved_step_text "wrnn.run.solved_step" set-meta wrnn.run.solved_step x
  damaged solved_step_later "wrnn.run.solved_step" set-meta wrnn.run.solved_step 9
  damaged step_text "wrnn.checkpoint.step" set-meta wrnn.checkpoint.step abc
  damaged curve_missing "run.curve" drop-tensor run.curve
  damaged curve_shape "run.curve" reshape run.curve 3,2
  damaged curve_order "run.curve" set-value run.curve 3 1
  damaged curve_nan "run.curve" set-value run.curve 1 nan
  damaged parameter_nan "cell.Wx.weight" set-value cell.Wx.weight 0 nan
  damaged parameter_inf "readout.weight" set-value readout.weight 5 -inf
  damaged first_moment_inf "optimizer.exp_avg.readout.weight" \
    set-value optimizer.exp_avg.readout.weight 2 inf
  damaged second_moment_negative "optimizer.exp_avg_sq.cell.Wx.bias" \
    set-value optimizer.exp_avg_sq.cell.Wx.bias 0 -1
  damaged second_moment_nan "optimizer.exp_avg_sq.readout.bias" \
    set-value optimizer.exp_avg_sq.readout.bias 0 nan
  damaged integers "holds I64 values, expected F32" as-int64 readout.bias
  "$python" "$support/edit_safetensors.py" "$model" "$work/nan_model.safetensors" \
    set-value readout.weight 0 nan
  expect load_nan 1 "readout.weight" "${run[@]}" --load "$work/nan_model.safetensors" --out @OUT@
  expect load_missing 1 "missing.safetensors" "${run[@]}" --load "$work/missing.safetensors" \
    --out @OUT@
  expect load_device 1 "'/dev/zero': expected a file" "${run[@]}" --load /dev/zero --out @OUT@
  expect resume_folder 1 "received a folder" "${run[@]}" --resume "$work" --out @OUT@
  # A killed save's temporary file from before this run is removed by the next save; another
  # name is left alone.
  SETUP="mkdir -p @OUT@ && touch -d '2 hours ago' @OUT@/checkpoint.safetensors.tmp-1-2-3 \
    @OUT@/checkpoint.safetensors.tmp-x" \
    CHECK="test ! -e @OUT@/checkpoint.safetensors.tmp-1-2-3 && \
    test -e @OUT@/checkpoint.safetensors.tmp-x" \
    expect_run results.json stale_temporary "${run[@]}" --checkpoint-every 1
}

# ---- seq_image on a small MNIST-format folder (3040 training images, 40 after validation) ----
seq_image_cases() {
  "$python" "$support/write_small_mnist.py" "$work/mnist"
  cp -r "$work/mnist" "$work/mnist_copy"
  local tiny=(--data "$work/mnist" --task psmnist --n 4 --epochs 1 --batch 16
    --max-train-batches 1 --max-eval 16 --eval-batch 16)
  common_cases results.json "${tiny[@]}"
  local run=("${tiny[@]}" --threads 1)
  expect clip_negative 2 "--grad-clip" "${run[@]}" --grad-clip -1 --out @OUT@
  expect lr_drop_inf $cli_refusal "--lr-drop-factor" "${run[@]}" --lr-drop-factor inf --out @OUT@
  expect lr_drop_zero 2 "--lr-drop-factor" "${run[@]}" --lr-drop-factor 0 --out @OUT@
  expect tape_negative 2 "--tape-checkpoint-every" "${run[@]}" --tape-checkpoint-every -1 \
    --out @OUT@
  expect batch_beyond_split 2 "--batch 41" "${run[@]}" --batch 41 --out @OUT@
  expect task_unknown 2 "pmnist" "${run[@]}" --task pmnist --out @OUT@
  expect data_missing 1 "$work/missing" "${run[@]}" --data "$work/missing" --out @OUT@
  expect lstm_act 2 "--act" "${run[@]}" --model lstm --act tanh --out @OUT@
  expect gru_channels 2 "--channels" "${run[@]}" --model gru --channels 2 --out @OUT@
  expect irnn_channels 2 "--channels" "${run[@]}" --model irnn --channels 2 --out @OUT@
  # --model fc has no recurrent cell: the cell's flags are refused by name (its base has no --n).
  local fc=(--data "$work/mnist" --task psmnist --epochs 1 --batch 16 --max-train-batches 1
    --max-eval 16 --eval-batch 16 --threads 1 --model fc)
  expect_run results.json fc "${fc[@]}"
  expect fc_n 2 "--n" "${fc[@]}" --n 8 --out @OUT@
  expect fc_channels 2 "--channels" "${fc[@]}" --channels 2 --out @OUT@
  expect fc_kernel 2 "--kernel" "${fc[@]}" --kernel 5 --out @OUT@
  expect fc_act 2 "--act" "${fc[@]}" --act tanh --out @OUT@
  expect fc_init 2 "--init" "${fc[@]}" --init shift --out @OUT@
  expect fc_v_init 2 "--v-init" "${fc[@]}" --v-init solo --out @OUT@
  expect fc_freeze_rnn 2 "--freeze-rnn" "${fc[@]}" --freeze-rnn --out @OUT@
  expect fc_freeze_encoder 2 "--freeze-encoder" "${fc[@]}" --freeze-encoder --out @OUT@
  expect fc_tape 2 "--tape-checkpoint-every" "${fc[@]}" --tape-checkpoint-every 4 --out @OUT@
  expect plateau_metric_unknown 2 "--lr-plateau-metric" "${run[@]}" --lr-scheduler plateau \
    --lr-plateau-metric accuracy --out @OUT@
  expect plateau_metric_step 2 "--lr-plateau-metric" "${run[@]}" --lr-plateau-metric val-acc \
    --out @OUT@
  expect memory_eval_batch 2 "memory" "${run[@]}" --eval-batch 1000000000000 --out @OUT@
  model_option_cases results.json "${run[@]}"
  # Stepped every epoch: exponential 0.5 gives epoch 2 half of epoch 1's 1e-4 (curve.csv's lr).
  CHECK="test \$(sed -n 3p @OUT@/curve.csv | cut -d, -f10) = 5e-05" \
    expect_run results.json lr_exponential "${run[@]}" --epochs 2 --lr-scheduler exponential \
    --lr-gamma 0.5
  expect lr_onecycle_epochs 2 "--lr-total-steps" "${run[@]}" --epochs 3 --lr-scheduler onecycle \
    --lr-total-steps 2 --out @OUT@
  # Resumed after epoch 1 of 2, the schedule goes on where it was (curve.csv's losses,
  # accuracies and lr, columns 1-7 and 10, as in one run of 2 epochs).
  local columns="cut -d, -f1-7,10"
  expect_run results.json exponential_whole "${run[@]}" --epochs 2 --lr-scheduler exponential \
    --lr-gamma 0.5
  expect_run results.json exponential_part "${run[@]}" --lr-scheduler exponential --lr-gamma 0.5
  CHECK="cmp <($columns $work/exponential_whole/curve.csv) <($columns @OUT@/curve.csv)" \
    expect_run results.json exponential_resumed "${run[@]}" --epochs 2 \
    --lr-scheduler exponential --lr-gamma 0.5 \
    --resume "$work/exponential_part/checkpoint.safetensors"
  # --freeze-rnn: the recurrent weights after one epoch and after two are the init's, and have no
  # Adam state; the input weights move.
  expect_run results.json freeze_rnn_1 "${run[@]}" --freeze-rnn
  CHECK="$python $support/compare_tensors.py same $work/freeze_rnn_1/checkpoint.safetensors \
    @OUT@/checkpoint.safetensors cell.Wy.weight cell.Wy.bias && $python \
    $support/compare_tensors.py different $work/freeze_rnn_1/checkpoint.safetensors \
    @OUT@/checkpoint.safetensors cell.Wx.weight && $python $support/compare_tensors.py absent \
    @OUT@/checkpoint.safetensors optimizer.exp_avg.cell.Wy.weight" \
    expect_run results.json freeze_rnn_2 "${run[@]}" --epochs 2 --freeze-rnn
  expect_run results.json base "${run[@]}"
  local checkpoint="$work/base/checkpoint.safetensors"
  expect_run results.json resume "${run[@]}" --epochs 2 --resume "$checkpoint"
  expect resume_beyond_epochs 2 "--epochs 0" "${run[@]}" --epochs 0 --resume "$checkpoint" \
    --out @OUT@
  expect resume_batch 2 "batch" "${run[@]}" --epochs 2 --batch 8 --resume "$checkpoint" --out @OUT@
  expect resume_lr 2 "lr" "${run[@]}" --epochs 2 --lr 0.5 --resume "$checkpoint" --out @OUT@
  expect resume_data 2 "data" "${run[@]}" --epochs 2 --data "$work/mnist_copy" \
    --resume "$checkpoint" --out @OUT@
  expect resume_clip 2 "grad_clip" "${run[@]}" --epochs 2 --grad-clip 1 --resume "$checkpoint" \
    --out @OUT@
  expect resume_batches 2 "max_train_batches" "${run[@]}" --epochs 2 --max-train-batches 2 \
    --resume "$checkpoint" --out @OUT@
  "$python" "$support/edit_safetensors.py" "$checkpoint" "$work/record.safetensors" \
    set-meta seq_image.record "{"
  expect record_not_json 1 "seq_image.record" "${run[@]}" --epochs 2 \
    --resume "$work/record.safetensors" --out @OUT@
  "$python" "$support/edit_safetensors.py" "$checkpoint" "$work/curve.safetensors" \
    drop-tensor run.curve
  expect curve_missing 1 "run.curve" "${run[@]}" --epochs 2 --resume "$work/curve.safetensors" \
    --out @OUT@
  "$python" "$support/edit_safetensors.py" "$checkpoint" "$work/nan.safetensors" \
    set-value cell.Wy.weight 1 nan
  expect parameter_nan 1 "cell.Wy.weight" "${run[@]}" --epochs 2 \
    --resume "$work/nan.safetensors" --out @OUT@
}

# ---- wave_gallery ----
wave_gallery_cases() {
  local tiny=(--T 3 --n 8 --channels 2 --batch 4 --steps 2)
  common_cases gallery.json "${tiny[@]}"
  local run=("${tiny[@]}" --threads 1)
  # --irnn-n left out: as many iRNN units as the wRNN has (2 x 8).
  CHECK="grep -q '\"ring_size\": 16' @OUT@/gallery.json" \
    expect_run gallery.json irnn_default "${run[@]}"
  CHECK="grep -q '\"ring_size\": 5' @OUT@/gallery.json" \
    expect_run gallery.json irnn_given "${run[@]}" --irnn-n 5
  expect irnn_negative 2 "--irnn-n" "${run[@]}" --irnn-n -5 --out @OUT@
  expect irnn_zero 2 "--irnn-n" "${run[@]}" --irnn-n 0 --out @OUT@
  expect memory_irnn 2 "iRNN" "${run[@]}" --irnn-n 100000000 --out @OUT@
  expect sample_beyond 2 "--sample" "${run[@]}" --sample 256 --out @OUT@
  expect T_zero 2 "--T" "${run[@]}" --T 0 --out @OUT@
  expect kernel_even 2 "--kernel" "${run[@]}" --kernel 2 --out @OUT@
  expect task_unknown $cli_refusal "--task" "${run[@]}" --task sort --out @OUT@
}

case $program in
  copy_task) memory_task_cases 3 ;;
  adding_task) memory_task_cases 4 ;;
  seq_image) seq_image_cases ;;
  wave_gallery) wave_gallery_cases ;;
  *)
    echo "program_errors.sh: unknown program '$program'"
    exit 2
    ;;
esac
echo "$program: $cases cases, $failures failed"
[ $failures -eq 0 ]

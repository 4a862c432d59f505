#!/bin/bash
# wrnn_sweep end to end (docs/sweeps.md), on runs of a few steps:
#   1. a sweep of 6 runs over 2 ranks, one of them refused by the program: 5 done, 1 failed with
#      the program's message, every run done once, by both ranks; each run's result bit for bit
#      that of copy_task run alone with the same flags (when copy_task's path is given);
#   2. a sweep killed under way and started again: the runs that had finished are skipped, not
#      rerun, and the rest finish;
#   3. refusals, by name and with exit status 2, printed once under 2 ranks: a parameter wrnn has
#      no equivalent for, a value of one it cannot run, a method other than grid;
#   4. the authors' format: a file with the structure of their copy sweep, listed with --list,
#      their freeze_rnn / freeze_encoder switches as wrnn's --freeze-rnn / --freeze-encoder, and
#      their early stopping (patience_init, patience) as adding_task's --early-stop-from /
#      --early-stop-patience, refused for the copy task and for values theirs reads otherwise;
#      their only_last and mem_len as copy_task's --only-last and --mem-len;
#   5. the summary of a run stopped early: the steps it trained and the step it stopped at;
#   6. every sweep file of examples/repro/ listed with --list.
# Usage: sweep_test.sh WRNN_SWEEP [COPY_TASK]   (absolute paths). Exit 77 (skipped) without mpirun.
set -euo pipefail
sweep=$1
copy_task=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
command -v mpirun > /dev/null || { echo "mpirun not found: skipped"; exit 77; }
command -v python3 > /dev/null || { echo "python3 not found: skipped"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1  # as --oversubscribe: tests may run beside others
export WRNN_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mpi2() { timeout 120 mpirun -np 2 --oversubscribe "$@"; }

# ---- 1. six runs over two ranks, one refused by the program (T = 0: copy_task needs T >= 1) ----
cat > "$work/six.yml" <<'EOF'
program: copy_task
method: grid
parameters:
  model_type: {value: wrnn}
  n_hid: {value: 8}
  n_ch: {value: 2}
  T: {values: [1, 2, 0, 3, 4, 5]}
  max_steps: {value: 12}
  batch: {value: 8}
  batch_test: {value: 16}
  log_interval: {value: 6}
  lr: {value: 3e-3}
EOF
status=0
mpi2 "$sweep" "$work/six.yml" --out "$work/six" > "$work/six.out" 2> "$work/six.err" || status=$?
[ "$status" = 1 ] || { cat "$work/six.err"; fail "a sweep with a failed run: expected exit 1, received $status"; }
grep -q "1 of 6 runs failed" "$work/six.err" || fail "no count of failed runs: $(cat "$work/six.err")"
grep -q "runs done 6/6" "$work/six.err" || fail "no final progress line: $(cat "$work/six.err")"
python3 - "$work/six" <<'PY' || fail "sweep of six runs"
import csv, json, os, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/summary.csv")))
assert [r["run"] for r in rows] == [f"T={t}" for t in (1, 2, 0, 3, 4, 5)], [r["run"] for r in rows]
for r in rows:
    t = int(r["T"])
    if t == 0:
        assert r["state"] == "failed" and r["exit_status"] == "2", r
        assert "--T" in r["error"] and "received 0" in r["error"], r["error"]
        assert not os.path.exists(f"{out}/T=0/results.json")
        continue
    assert r["state"] == "done", r
    results = json.load(open(f"{out}/T={t}/results.json"))
    assert results["T"] == t and results["n"] == 8 and results["channels"] == 2, results
    assert results["steps"] == 12 and results["batch"] == 8 and results["lr"] == 3e-3, results
    assert float(r["final_test_loss"]) == results["final_test_loss"], (r, results)
    assert r["steps"] == "12" and r["stopped_early_at"] == "", r  # the copy task runs every step
    curve = open(f"{out}/T={t}/curve.csv").read().split()
    assert curve[0] == "step,train_loss,test_loss" and len(curve) == 3, curve
ranks = sorted({json.load(open(f"{out}/T={t}/status.json"))["rank"] for t in (0, 1, 2, 3, 4, 5)})
assert ranks == [0, 1], f"both ranks take runs, received runs on ranks {ranks}"
md = open(f"{out}/summary.markdown").read()
assert "5 done, 1 failed, 0 not run" in md and "| T=0 |" in md, md
PY
# Each run as copy_task would run it alone: the sweep's in-process runs leave nothing behind that
# changes the next run in the same process.
if [ -n "$copy_task" ]; then
  for t in 1 2 3 4 5; do
    "$copy_task" --model wave --n 8 --channels 2 --T $t --steps 12 --batch 8 --test-batch 16 \
      --log-every 6 --lr 3e-3 --out "$work/alone/$t" > /dev/null 2>&1
    python3 - "$work/alone/$t/results.json" "$work/six/T=$t/results.json" <<'PY' || fail "T=$t"
import json, sys
alone, swept = (json.load(open(p)) for p in sys.argv[1:])
for key in ("final_train_loss", "final_test_loss", "params"):
    assert alone[key] == swept[key], (key, alone[key], swept[key])
PY
  done
fi

# ---- 2. killed under way, started again: what finished is skipped ----
cat > "$work/long.yml" <<'EOF'
program: copy_task
method: grid
parameters:
  n_hid: {value: 16}
  n_ch: {value: 4}
  T: {value: 20}
  max_steps: {values: [40, 3000]}
  batch: {value: 16}
  batch_test: {value: 16}
  log_interval: {value: 20}
  seed: {values: [1, 2, 3]}
EOF
# Three short runs and three long ones: whatever order the ranks take them in, when the first run
# finishes at least one long run is still under way, however fast the machine.
# timeout passes the TERM on to mpirun, which ends its ranks.
timeout 120 mpirun -np 2 --oversubscribe "$sweep" "$work/long.yml" --out "$work/long" \
  > /dev/null 2> "$work/long1.err" &
launcher=$!
for _ in $(seq 600); do  # until a run has finished (at most 60 s)
  ls "$work"/long/*/results.json > /dev/null 2>&1 && break
  sleep 0.1
done
kill -TERM "$launcher" 2> /dev/null || true
wait "$launcher" 2> /dev/null || true
# The ranks can outlive mpirun by a moment, and a run that ends then writes its results: list
# what finished only once no rank of the killed sweep is left.
for _ in $(seq 100); do
  pgrep -f -- "--out $work/long" > /dev/null || break
  sleep 0.1
done
pgrep -f -- "--out $work/long" > /dev/null && fail "the killed sweep's ranks are still running"
finished=$(cd "$work/long" && ls -d */results.json 2> /dev/null | sed 's|/results.json||' | sort)
[ -n "$finished" ] || fail "no run finished before the kill: $(cat "$work/long1.err")"
count=$(echo "$finished" | wc -l)
[ "$count" -lt 6 ] || fail "every run finished before the kill: the test needs longer runs"
for run in $finished; do stat -c '%i %y' "$work/long/$run/results.json" > "$work/long/$run/stat.before"; done
mpi2 "$sweep" "$work/long.yml" --out "$work/long" > /dev/null 2> "$work/long2.err" ||
  fail "restarted sweep: $(cat "$work/long2.err")"
grep -q "6 runs of copy_task, $count finished before, $((6 - count)) to run" "$work/long2.err" ||
  fail "restart did not skip the $count finished runs: $(cat "$work/long2.err")"
for run in $finished; do  # not rerun: the same file (results.json is replaced by rename)
  [ "$(stat -c '%i %y' "$work/long/$run/results.json")" = "$(cat "$work/long/$run/stat.before")" ] ||
    fail "$run was run again"
done
python3 - "$work/long" <<'PY' || fail "restarted sweep's summary"
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/summary.csv")))
assert len(rows) == 6 and all(r["state"] == "done" for r in rows), rows
PY

# ---- 3. refusals: exit 2, named, printed once under 2 ranks ----
refuse() {  # refuse NAME EXPECTED-TEXT YAML
  printf '%s\n' "$3" > "$work/$1.yml"
  local status=0
  mpi2 "$sweep" "$work/$1.yml" --out "$work/$1" > /dev/null 2> "$work/$1.err" || status=$?
  [ "$status" = 2 ] || fail "$1: expected exit 2, received $status: $(cat "$work/$1.err")"
  grep -qF -- "$2" "$work/$1.err" || fail "$1: expected '$2' in: $(cat "$work/$1.err")"
  [ "$(grep -c "wrnn_sweep: " "$work/$1.err")" = 1 ] || fail "$1: message not once: $(cat "$work/$1.err")"
  [ ! -e "$work/$1" ] || fail "$1: a refused sweep made its folder"
}
refuse unknown "parameter 'frobnicate': no wrnn equivalent" \
  "$(printf 'program: copy_task.py\nmethod: grid\nparameters:\n  lr: {values: [1e-3]}\n  frobnicate: {values: [1, 2]}')"
refuse frozen "parameter 'freeze_rnn': expected yes or no, received 'maybe'" \
  "$(printf 'program: copy_task.py\nmethod: grid\nparameters:\n  freeze_rnn: {values: [no, maybe]}')"
refuse bayes "'method': expected 'grid'" \
  "$(printf 'program: adding_task.py\nmethod: bayes\nparameters:\n  lr: {values: [1e-3]}')"
refuse kind "parameter 'n_hid': expected a decimal integer, received '1.5'" \
  "$(printf 'program: adding_task\nmethod: grid\nparameters:\n  n_hid: {values: [100, 1.5]}')"
status=0
"$sweep" "$work/absent.yml" --out "$work/absent" 2> "$work/absent.err" || status=$?
[ "$status" = 1 ] && grep -qF "absent.yml: cannot read the sweep file" "$work/absent.err" ||
  fail "a missing file: status $status, $(cat "$work/absent.err")"

# ---- 4. the authors' format: their copy sweep's structure, every run and its flags ----
"$sweep" "$here/authors_copy_sweep.yml" --out "$work/authors" --list > "$work/authors.list" ||
  fail "--list of the authors' format"
[ "$(wc -l < "$work/authors.list")" = 12 ] || fail "expected 2 lr x 3 T x 2 grad_clip = 12 runs: $(cat "$work/authors.list")"
expected_name="lr=3e-3,T=15,grad_clip=5.0"
line=$(grep "^$expected_name	" "$work/authors.list") || fail "no run $expected_name: $(cat "$work/authors.list")"
for flag in "--model wave" "--init shift" "--v-init solo" "--n 16" "--channels 2" "--kernel 3" \
  "--act tanh" "--lr 3e-3" "--grad-clip 5.0" "--T 15" "--steps 40" "--batch 32" \
  "--log-every 20" "--test-batch 50" "--out $work/authors/$expected_name"; do
  [[ " $line " == *" $flag "* ]] || fail "run $expected_name: expected '$flag' in: $line"
done
[ "$(head -1 "$work/authors.list" | cut -f1)" = "lr=3e-3,T=5,grad_clip=0.0" ] ||
  fail "grid order: $(head -1 "$work/authors.list")"
# Their freeze switches: yes adds wrnn's flag, no leaves it out.
printf 'program: copy_task.py\nmethod: grid\nparameters:\n  freeze_rnn: {values: [yes, no]}\n  freeze_encoder: {value: yes}\n' \
  > "$work/freeze.yml"
"$sweep" "$work/freeze.yml" --out "$work/freeze" --list > "$work/freeze.list" || fail "--list of freeze_rnn"
frozen=$(grep "^freeze_rnn=yes	" "$work/freeze.list") || fail "no run freeze_rnn=yes: $(cat "$work/freeze.list")"
trained=$(grep "^freeze_rnn=no	" "$work/freeze.list") || fail "no run freeze_rnn=no: $(cat "$work/freeze.list")"
[[ " $frozen " == *" --freeze-rnn "* && " $frozen " == *" --freeze-encoder "* ]] ||
  fail "freeze_rnn=yes, freeze_encoder=yes: expected --freeze-rnn and --freeze-encoder in: $frozen"
[[ " $trained " != *" --freeze-rnn "* && " $trained " == *" --freeze-encoder "* ]] ||
  fail "freeze_rnn=no, freeze_encoder=yes: expected --freeze-encoder alone in: $trained"
# Their early stopping: patience_init -1 is off (patience then passes nothing), a step turns
# adding_task's on; the copy task never stops early, and values theirs would read as another
# (a negative step other than -1, a patience below 1) are refused by name, as --list shows.
printf 'program: adding_task.py\nmethod: grid\nparameters:\n  patience_init: {values: [-1, 2000]}\n  patience: {value: 3}\n' \
  > "$work/patience.yml"
"$sweep" "$work/patience.yml" --out "$work/patience" --list > "$work/patience.list" || fail "--list of patience_init"
stopping=$(grep "^patience_init=2000	" "$work/patience.list") || fail "no run patience_init=2000: $(cat "$work/patience.list")"
never=$(grep "^patience_init=-1	" "$work/patience.list") || fail "no run patience_init=-1: $(cat "$work/patience.list")"
[[ " $stopping " == *" --early-stop-from 2000 --early-stop-patience 3 "* ]] ||
  fail "patience_init=2000, patience=3: expected --early-stop-from 2000 --early-stop-patience 3 in: $stopping"
[[ " $never " != *" --early-stop-"* ]] || fail "patience_init=-1: expected no --early-stop-* flag in: $never"
printf 'program: copy_task.py\nmethod: grid\nparameters:\n  patience_init: {value: -1}\n  patience: {value: 7}\n' \
  > "$work/copy_patience.yml"
"$sweep" "$work/copy_patience.yml" --out "$work/copy_patience" --list > "$work/copy_patience.list" ||
  fail "copy, patience_init -1: refused"
! grep -q -- "--early-stop-" "$work/copy_patience.list" || fail "copy: $(cat "$work/copy_patience.list")"
refuse_listed() {  # refuse_listed NAME EXPECTED-TEXT YAML: --list ends with exit 2, naming it
  printf '%s\n' "$3" > "$work/$1.yml"
  local status=0
  "$sweep" "$work/$1.yml" --out "$work/$1" --list > /dev/null 2> "$work/$1.err" || status=$?
  [ "$status" = 2 ] || fail "$1: expected exit 2, received $status: $(cat "$work/$1.err")"
  grep -qF -- "$2" "$work/$1.err" || fail "$1: expected '$2' in: $(cat "$work/$1.err")"
}
refuse_listed copy_stopping "parameter 'patience_init': copy_task never stops early" \
  "$(printf 'program: copy_task.py\nmethod: grid\nparameters:\n  patience_init: {values: [-1, 100]}')"
refuse_listed negative_step "parameter 'patience_init': expected -1 (never) or a step >= 0" \
  "$(printf 'program: adding_task\nmethod: grid\nparameters:\n  patience_init: {value: -2}')"
refuse_listed zero_patience "parameter 'patience': expected an integer >= 1" \
  "$(printf 'program: adding_task.py\nmethod: grid\nparameters:\n  patience_init: {value: 0}\n  patience: {value: 0}')"
refuse_listed step_kind "parameter 'patience_init': expected a decimal integer, received '1e3'" \
  "$(printf 'program: adding_task.py\nmethod: grid\nparameters:\n  patience_init: {value: 1e3}')"
# Their only_last (str_to_bool's spellings) as --only-last, scoring the last mem_len steps of
# sequences that always recall 10 digits: wrnn's --mem-len 10; without only_last their script never
# reads mem_len, and it passes nothing. Another mem_len with only_last, another spelling, or either
# parameter for the adding task is refused by name.
printf 'program: copy_task.py\nmethod: grid\nparameters:\n  only_last: {values: [True, no, YES]}\n  mem_len: {value: 10}\n' \
  > "$work/only_last.yml"
"$sweep" "$work/only_last.yml" --out "$work/only_last" --list > "$work/only_last.list" || fail "--list of only_last"
for spelling in True YES; do
  last=$(grep "^only_last=$spelling	" "$work/only_last.list") || fail "no run only_last=$spelling: $(cat "$work/only_last.list")"
  [[ " $last " == *" --mem-len 10 --only-last "* ]] ||
    fail "only_last=$spelling, mem_len=10: expected --mem-len 10 --only-last in: $last"
done
every=$(grep "^only_last=no	" "$work/only_last.list") || fail "no run only_last=no: $(cat "$work/only_last.list")"
[[ " $every " != *" --only-last "* && " $every " != *" --mem-len "* ]] ||
  fail "only_last=no: expected neither --only-last nor --mem-len in: $every"
printf 'program: copy_task\nmethod: grid\nparameters:\n  mem_len: {values: [5, 20]}\n' > "$work/mem_len.yml"
"$sweep" "$work/mem_len.yml" --out "$work/mem_len" --list > "$work/mem_len.list" || fail "--list of mem_len alone"
[ "$(wc -l < "$work/mem_len.list")" = 2 ] && ! grep -q -- "--mem-len\|--only-last" "$work/mem_len.list" ||
  fail "mem_len without only_last: expected 2 runs without --mem-len: $(cat "$work/mem_len.list")"
refuse_listed other_mem_len "parameter 'mem_len': expected 10 with only_last True" \
  "$(printf 'program: copy_task.py\nmethod: grid\nparameters:\n  only_last: {value: True}\n  mem_len: {values: [10, 20]}')"
refuse_listed only_last_word "parameter 'only_last': expected True, False, yes or no (any case), received 'maybe'" \
  "$(printf 'program: copy_task.py\nmethod: grid\nparameters:\n  only_last: {values: [no, maybe]}')"
refuse_listed adding_only_last "parameter 'only_last': a parameter of the copy task; adding_task has none" \
  "$(printf 'program: adding_task.py\nmethod: grid\nparameters:\n  only_last: {value: False}')"
refuse_listed adding_mem_len "parameter 'mem_len': a parameter of the copy task; adding_task has none" \
  "$(printf 'program: adding_task.py\nmethod: grid\nparameters:\n  mem_len: {value: 10}')"

# ---- 5. the summary of a run stopped early: the steps it trained, and where it stopped ----
# One process, two tiny adding runs (a tenth of a second each), solved early at lr 0.01: one stops
# at the third evaluation without a new best test loss, the other (patience_init -1) runs every
# step. The oracle: each run's results.json and the last step of its curve.csv.
cat > "$work/stopping.yml" <<'EOF'
program: adding_task
method: grid
parameters:
  model_type: {value: wrnn}
  n_hid: {value: 8}
  T: {value: 4}
  batch: {value: 4}
  batch_test: {value: 8}
  log_interval: {value: 1}
  max_steps: {value: 30}
  lr: {value: 0.01}
  patience_init: {values: [-1, 0]}
  patience: {value: 3}
EOF
"$sweep" "$work/stopping.yml" --out "$work/stopping" > /dev/null 2> "$work/stopping.err" ||
  fail "sweep with early stopping: $(cat "$work/stopping.err")"
python3 - "$work/stopping" <<'PY' || fail "summary of a run stopped early"
import csv, json, sys
out = sys.argv[1]
rows = {r["run"]: r for r in csv.DictReader(open(f"{out}/summary.csv"))}
assert sorted(rows) == ["patience_init=-1", "patience_init=0"], sorted(rows)
table = [line.strip().strip("|").split("|") for line in open(f"{out}/summary.markdown")
         if line.startswith("| ")]
header = [cell.strip() for cell in table[0]]
markdown = {row[0].strip(): dict(zip(header, (cell.strip() for cell in row))) for row in table[1:]}
for name, row in rows.items():
    results = json.load(open(f"{out}/{name}/results.json"))
    last_step = int(open(f"{out}/{name}/curve.csv").read().split()[-1].split(",")[0])
    assert results["steps"] == 30 and results["last_step"] == last_step, (results, last_step)
    stopped = results["stopped_early_at"]
    assert row["steps"] == str(last_step), (name, row["steps"], last_step)
    assert row["stopped_early_at"] == ("" if stopped is None else str(stopped)), (name, row)
    assert markdown[name]["steps"] == row["steps"], (name, markdown[name])
    assert markdown[name]["stopped early at"] == row["stopped_early_at"], (name, markdown[name])
everything = rows["patience_init=-1"]
assert everything["steps"] == "30" and everything["stopped_early_at"] == "", everything
stopped = rows["patience_init=0"]
assert stopped["stopped_early_at"] == stopped["steps"] and int(stopped["steps"]) < 30, stopped
PY

# ---- 6. the sweep files shipped in examples/repro/ parse, map and list their runs ----
for file in "$here"/../../examples/repro/*.yml; do
  "$sweep" "$file" --out "$work/repro" --list > "$work/repro.list" ||
    fail "--list of $(basename "$file")"
  grep -Eq $'^[^\t]+\t(copy|adding)_task --model ' "$work/repro.list" ||
    fail "$(basename "$file") lists no run: $(cat "$work/repro.list")"
done
echo "sweep tests passed"

#!/bin/bash
# Data-parallel training under MPI (wrnn/mpi/data_parallel.hpp, examples/common/data_parallel.hpp):
#   1. data_parallel_ranks under 1, 2 and 3 ranks: every step's loss, gradient norm, outputs and
#      weights against the single-process training each rank runs itself, bit for bit;
#   2. copy_task (wave), adding_task (iRNN) and seq_image (sMNIST format, tiny data) as one plain
#      process and under mpirun -np 1, 2, 3: the same curve.csv and losses (to the last digit) and
#      the same saved weights, byte for byte; seq_image --model fc (nothing to share) refused
#      under mpirun with exit status 2 and a message;
#   3. a copy_task run checkpointed under 2 ranks and resumed under 3: the uninterrupted run's
#      curve and weights;
#   4. a rank that fails (rank 0 alone cannot write --out) and a rank killed with SIGKILL: the job
#      ends, not hangs, with a non-zero status and a message;
#   5. a rank stopped with SIGSTOP (hung, not dead: MPI itself would wait for it for ever): the
#      other rank ends the job after --mpi-timeout, naming the stopped rank;
#   6. without --threads, the threads a rank takes: what it is bound to, or its share of the node.
# Open MPI refuses to run as root unless told otherwise: the allow-run-as-root variables are set
# here. Exit 77 (skipped) without mpirun.
# Usage: run_mpi_tests.sh DATA_PARALLEL_RANKS COPY_TASK ADDING_TASK SEQ_IMAGE WORK_DIR
set -u
ranks_test=$1
copy_task=$2
adding_task=$3
seq_image=$4
work=$5
support="$(cd "$(dirname "$0")/.." && pwd)/support"
command -v mpirun > /dev/null || { echo "mpirun not found: skipped"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$work"
mkdir -p "$work"
fail() {
  echo "FAIL: $*"
  exit 1
}
# launch RANKS PROGRAM ARGS...: PROGRAM as a plain process (RANKS 0) or under mpirun -np RANKS,
# stopped after 120 s at most.
launch() {
  local ranks=$1
  shift
  if [ "$ranks" = 0 ]; then
    timeout 120 "$@"
  else
    timeout 120 mpirun --oversubscribe -np "$ranks" "$@"
  fi
}
final() { grep "\"final_$1\"" "$2"; }
# The tensors of two safetensors files but `skip` (a regex), byte for byte.
same_tensors() {
  /usr/bin/python3 - "$1" "$2" "$3" << 'PYTHON'
import json, re, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    return {name: body[info["data_offsets"][0]:info["data_offsets"][1]]
            for name, info in header.items() if name != "__metadata__"}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
skip = re.compile(sys.argv[3])
names = sorted(n for n in a if not skip.search(n))
if not names or names != sorted(n for n in b if not skip.search(n)):
    sys.exit("different tensors: %s / %s" % (names, sorted(b)))
differ = [n for n in names if a[n] != b[n]]
if differ:
    sys.exit("tensors differ: " + ", ".join(differ))
print("%d tensors equal" % len(names))
PYTHON
}

# ---- 1. the library's data-parallel step against one process ----
for ranks in 1 2 3; do
  launch "$ranks" "$ranks_test" > "$work/ranks_$ranks.txt" 2>&1 ||
    { cat "$work/ranks_$ranks.txt"; fail "data_parallel_ranks under $ranks ranks"; }
  grep "checks" "$work/ranks_$ranks.txt"
done

# ---- 2. the programs under 1, 2 and 3 ranks against one plain process ----
# Batches of 70 are three chunks (32 + 32 + 6), test batches of 40 two.
memory="--n 8 --batch 70 --test-batch 40 --log-every 2 --threads 1"
copy_flags="--T 3 --channels 2 $memory"
adding_flags="--T 12 --model irnn $memory"  # the iRNN has no channels
for program in copy adding; do
  binary=$copy_task
  flags=$copy_flags
  if [ $program = adding ]; then
    binary=$adding_task
    flags=$adding_flags
  fi
  for ranks in 0 1 2 3; do
    out="$work/${program}_$ranks"
    launch "$ranks" "$binary" $flags --steps 6 --out "$out" --save "$out/model.safetensors" \
      > "$out.json" 2> "$out.err" || { cat "$out.err"; fail "$program under $ranks ranks"; }
  done
  for ranks in 1 2 3; do
    out="$work/${program}_$ranks"
    cmp "$work/${program}_0/curve.csv" "$out/curve.csv" ||
      fail "$program under $ranks ranks: curve.csv differs from one process's"
    for loss in train_loss test_loss; do
      test "$(final $loss "$work/${program}_0.json")" = "$(final $loss "$out.json")" ||
        fail "$program under $ranks ranks: final $loss differs"
    done
    cmp "$work/${program}_0/model.safetensors" "$out/model.safetensors" ||
      fail "$program under $ranks ranks: the saved weights differ"
    grep -q '"processes": '"$ranks" "$out.json" || fail "$program: results.json without processes $ranks"
  done
  echo "$program: 1, 2 and 3 ranks give one process's curve, losses and weights"
done

/usr/bin/python3 "$support/write_small_mnist.py" "$work/mnist"
# 40 training images in batches of 36 and 4 (chunks 32 + 4, and 4); 100 validation images (4
# chunks), 30 test images.
images="--data $work/mnist --task smnist --n 4 --channels 2 --epochs 3 --batch 36 --lr 1e-2
  --max-eval 100 --threads 1"
for ranks in 0 1 2 3; do
  out="$work/images_$ranks"
  launch "$ranks" "$seq_image" $images --out "$out" > "$out.json" 2> "$out.err" ||
    { cat "$out.err"; fail "seq_image under $ranks ranks"; }
  # Every column but the timings (seconds, images_per_second, eval_seconds).
  cut -d, -f1-7,10 "$out/curve.csv" > "$out.csv"
done
test "$(wc -l < "$work/images_0.csv")" -eq 4 || fail "expected 3 epochs of seq_image"
for ranks in 1 2 3; do
  out="$work/images_$ranks"
  cmp "$work/images_0.csv" "$out.csv" || fail "seq_image under $ranks ranks: the curve differs"
  same_tensors "$work/images_0/checkpoint.safetensors" "$out/checkpoint.safetensors" '^run\.' ||
    fail "seq_image under $ranks ranks: the checkpoint's weights or Adam state differ"
done
echo "seq_image: 1, 2 and 3 ranks give one process's losses, accuracies and weights"
# The fc model has nothing to share among ranks: refused under mpirun (exit 2, named), though the
# same flags train as one process.
fc="--data $work/mnist --task smnist --model fc --epochs 1 --batch 36 --max-eval 100 --threads 1"
launch 0 "$seq_image" $fc --out "$work/fc_0" > /dev/null 2> "$work/fc_0.err" ||
  { cat "$work/fc_0.err"; fail "seq_image --model fc as one process"; }
status=0
launch 2 "$seq_image" $fc --out "$work/fc_2" > /dev/null 2> "$work/fc_2.err" || status=$?
[ $status = 2 ] && grep -q "^seq_image: --model fc: expected one process .*received 2 under mpirun" \
  "$work/fc_2.err" || { cat "$work/fc_2.err"; fail "seq_image --model fc under 2 ranks: status $status"; }
[ ! -e "$work/fc_2" ] || fail "seq_image --model fc under 2 ranks wrote $work/fc_2"
echo "seq_image --model fc: refused under mpirun, named"

# ---- 3. checkpointed under 2 ranks, resumed under 3 ----
launch 2 "$copy_task" $copy_flags --steps 4 --checkpoint-every 4 --out "$work/part" \
  > /dev/null 2> "$work/part.err" || { cat "$work/part.err"; fail "copy_task checkpointed"; }
launch 3 "$copy_task" $copy_flags --steps 6 --resume "$work/part/checkpoint.safetensors" --out "$work/resumed" \
  --save "$work/resumed/model.safetensors" > "$work/resumed.json" 2> "$work/resumed.err" ||
  { cat "$work/resumed.err"; fail "copy_task resumed"; }
cmp "$work/copy_0/curve.csv" "$work/resumed/curve.csv" ||
  fail "checkpointed under 2 ranks, resumed under 3: the curve differs from one process's"
cmp "$work/copy_0/model.safetensors" "$work/resumed/model.safetensors" ||
  fail "checkpointed under 2 ranks, resumed under 3: the weights differ from one process's"
echo "copy_task checkpointed under 2 ranks and resumed under 3: one process's curve and weights"

# ---- 4. a rank that fails or dies ends the job ----
touch "$work/a_file"
launch 2 "$copy_task" $copy_flags --steps 100000 --out "$work/a_file/out" > /dev/null \
  2> "$work/failed.err"
status=$?
cat "$work/failed.err"
[ $status -ne 0 ] && [ $status -ne 124 ] || fail "a failing rank 0: exit status $status"
grep -q "copy_task: --out" "$work/failed.err" || fail "the failing rank's message is missing"
grep -q "rank 0 of 2: stopping every rank" "$work/failed.err" || fail "no word of the abort"

timeout 120 mpirun --oversubscribe -np 2 "$copy_task" $copy_flags --steps 100000000 > /dev/null \
  2> "$work/killed.err" &
runner=$!
victim=""
for _ in $(seq 100); do
  launcher=$(pgrep -P $runner -x mpirun)
  [ -n "$launcher" ] && victim=$(pgrep -P "$launcher" -x "$(basename "$copy_task")" | tail -n 1)
  [ -n "$victim" ] && grep -q "wave copy" "$work/killed.err" && break  # training has begun
  sleep 0.1
done
[ -n "$victim" ] || fail "no rank of the job to kill"
kill -9 "$victim"
wait $runner
status=$?
tail -n 8 "$work/killed.err"
[ $status -ne 0 ] && [ $status -ne 124 ] || fail "a killed rank: exit status $status"
grep -q "signal 9" "$work/killed.err" || fail "no message about the killed rank"
echo "a failing rank and a killed rank end the job with a message"

# ---- 5. a rank that hangs without dying ends the job after --mpi-timeout ----
# The stopped rank does not answer; the other waits 2 s in its step's collective call, 1 s more
# for answers, and ends the job (MPI_Abort; Open MPI sends the stopped rank SIGCONT and SIGKILL).
timeout 120 mpirun --oversubscribe -np 2 "$copy_task" $copy_flags --steps 100000000 \
  --mpi-timeout 2 > /dev/null 2> "$work/stopped.err" &
runner=$!
victim=""
for _ in $(seq 100); do
  launcher=$(pgrep -P $runner -x mpirun)
  [ -n "$launcher" ] && victim=$(pgrep -P "$launcher" -x "$(basename "$copy_task")" | tail -n 1)
  [ -n "$victim" ] && grep -q "wave copy" "$work/stopped.err" && break  # training has begun
  sleep 0.1
done
[ -n "$victim" ] || fail "no rank of the job to stop"
victim_rank=$(tr '\0' '\n' < "/proc/$victim/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
[ -n "$victim_rank" ] || fail "no OMPI_COMM_WORLD_RANK for process $victim"
kill -STOP "$victim"
wait $runner
status=$?
tail -n 2 "$work/stopped.err"
[ $status -ne 0 ] && [ $status -ne 124 ] || fail "a stopped rank: exit status $status"
grep -q "rank $((1 - victim_rank)) of 2: collective call [0-9]*, MPI_I[a-z]* (.*), has not completed in 2 s (--mpi-timeout); rank $victim_rank did not arrive" \
  "$work/stopped.err" || fail "no message naming the stopped rank $victim_rank"
status=0
"$copy_task" --mpi-timeout -1 > /dev/null 2> "$work/timeout_flag.err" || status=$?
[ $status = 2 ] && grep -q "^--mpi-timeout: expected seconds in \[0, 1e9\] .*, received '-1'" \
  "$work/timeout_flag.err" || fail "--mpi-timeout -1: status $status, $(cat "$work/timeout_flag.err")"
echo "a rank that hangs ends the job after --mpi-timeout, named; a negative timeout is refused"

# ---- 6. without --threads, a rank takes the processors it is bound to ----
# mpirun --bind-to core gives each rank one core; --bind-to none leaves the node's processors
# shared among its ranks; taskset restricts a plain process alike (nproc: the affinity mask).
threads_of() { sed -n 's/^ *"threads": \([0-9]*\),*$/\1/p' "$1"; }
tiny="--n 8 --channels 2 --batch 4 --test-batch 4 --steps 1 --log-every 1"
launch 0 taskset -c "$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')" "$adding_task" $tiny \
  --out "$work/taskset" > "$work/taskset.json" 2> /dev/null || fail "adding_task under taskset"
timeout 120 mpirun --oversubscribe --bind-to core -np 1 "$adding_task" $tiny --out "$work/bound" \
  > "$work/bound.json" 2> /dev/null || fail "adding_task under mpirun --bind-to core"
timeout 120 mpirun --oversubscribe --bind-to none -np 2 "$adding_task" $tiny --out "$work/unbound" \
  > "$work/unbound.json" 2> /dev/null || fail "adding_task under mpirun --bind-to none"
shared=$(($(nproc --all) / 2))  # the node's processors shared, within this process's own mask
[ $shared -le "$(nproc)" ] || shared=$(nproc)
[ $shared -ge 1 ] || shared=1
[ "$(threads_of "$work/taskset.json")" = 1 ] || fail "taskset to one processor: $(threads_of "$work/taskset.json") threads"
[ "$(threads_of "$work/bound.json")" = 1 ] || fail "a rank bound to a core: $(threads_of "$work/bound.json") threads"
[ "$(threads_of "$work/unbound.json")" = $shared ] ||
  fail "2 unbound ranks on $(nproc) processors: $(threads_of "$work/unbound.json") threads each, expected $shared"
echo "threads without --threads: 1 under taskset to one processor and bound to a core, $shared for 2 unbound ranks"

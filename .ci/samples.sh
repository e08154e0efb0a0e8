#!/usr/bin/env bash
# The Fashion-MNIST sample on a subset (well under 3 minutes on 2 cores): it trains well above chance, resumes
# exactly, keeps the best checkpoint, evaluates it, predicts a PNG exported from the test set exactly as the test
# tensor, and fails clearly on bad input. Needs a Release build (.ci/run builds the solution first) and the
# Fashion-MNIST files (.ci/run installs dataset-fashion-mnist). ARTIFACTS_PATH=DIR uses a build made with
# --artifacts-path DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

args=(run -c Release --no-build --project samples/FashionMnist)
if [ -n "${ARTIFACTS_PATH:-}" ]; then args+=(--artifacts-path "$ARTIFACTS_PATH"); fi
sample() { dotnet "${args[@]}" -- "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checks=0
ok() { checks=$((checks + 1)); echo "ok: $*"; }
fail() { echo "samples.sh: FAIL: $*" >&2; exit 1; }
start=$(date +%s)

subset=(--epochs 3 --train-limit 3000 --test-limit 1000 --plain)

# 1. Train on a subset: exit code, files, one metrics row per epoch, final accuracy well above chance (10 %).
sample "${subset[@]}" --out "$tmp/a" | tee "$tmp/a.log"
for f in best.safetensors last.safetensors metrics.csv training.png; do
  [ -s "$tmp/a/$f" ] || fail "training did not write $f"
done
[ "$(head -1 "$tmp/a/metrics.csv")" = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,train_seconds,epoch_seconds,images_per_second" ] \
  || fail "metrics.csv header"
[ "$(tail -n +2 "$tmp/a/metrics.csv" | wc -l)" -eq 3 ] || fail "metrics.csv should have 3 epoch rows"
final=$(tail -1 "$tmp/a/metrics.csv" | cut -d, -f5)
awk -v a="$final" 'BEGIN { exit !(a >= 0.50) }' || fail "test accuracy after 3 epochs is $final, expected >= 0.50 (chance is 0.10)"
grep -q "^Best test accuracy: " "$tmp/a.log" || fail "no 'Best test accuracy' line"
grep -q "Confusion matrix" "$tmp/a.log" || fail "no confusion matrix"
ok "training on 3000 images reaches test accuracy $final"

# 2. Resume: 1 epoch, stop, resume to 3 gives the same numbers as 3 epochs straight (timings aside).
sample "${subset[@]}" --stop-after 1 --out "$tmp/b" > "$tmp/b1.log"
[ "$(tail -n +2 "$tmp/b/metrics.csv" | wc -l)" -eq 1 ] || fail "--stop-after 1 should leave 1 epoch row"
grep -q "continue with: --resume" "$tmp/b1.log" || fail "--stop-after does not say how to continue"
sample --resume "$tmp/b/last.safetensors" --out "$tmp/b" --plain > "$tmp/b2.log"
diff <(cut -d, -f1-6 "$tmp/a/metrics.csv") <(cut -d, -f1-6 "$tmp/b/metrics.csv") \
  || fail "stop after epoch 1 + --resume differs from an uninterrupted run"
ok "--stop-after 1 + --resume reproduces the uninterrupted run exactly"

# 3. A resumed run keeps its settings: a conflicting one is refused with exit code 2.
set +e
sample --resume "$tmp/b/last.safetensors" --lr 0.3 --out "$tmp/b" > "$tmp/c.log" 2>&1
status=$?
set -e
[ "$status" -eq 2 ] && grep -q "differs from the checkpoint" "$tmp/c.log" || fail "--resume with another --lr: exit $status"
ok "--resume refuses a conflicting --lr"

# 4. --eval-only on best.safetensors reproduces the best epoch's test accuracy.
sample --eval-only "$tmp/a/best.safetensors" --test-limit 1000 > "$tmp/e.log"
best=$(tail -n +2 "$tmp/a/metrics.csv" | cut -d, -f5 | sort -g | tail -1)
want=$(awk -v a="$best" 'BEGIN { printf "%.2f", 100 * a }')
grep -q "^Test accuracy: $want %" "$tmp/e.log" || { cat "$tmp/e.log"; fail "--eval-only should report $want %"; }
ok "--eval-only best.safetensors: $want %"
sample --eval-only "$tmp/a/best.safetensors" --test-limit 1000 --no-mirror > "$tmp/e1.log"
grep -q "^Test accuracy: [0-9.]* %" "$tmp/e1.log" || { cat "$tmp/e1.log"; fail "--eval-only --no-mirror printed no accuracy"; }
ok "--eval-only --no-mirror (each test image once): $(grep -o '^Test accuracy: [0-9.]* %' "$tmp/e1.log")"

# 5. predict: a PNG exported from test image 0 gives exactly the probabilities of the test tensor itself.
sample export-png 0 "$tmp/test0.png"
[ -s "$tmp/test0.png" ] || fail "export-png wrote nothing"
sample predict "$tmp/a/best.safetensors" "$tmp/test0.png" test:0 > "$tmp/p.log"
cat "$tmp/p.log"
[ "$(grep -c '^  [123]\. ' "$tmp/p.log")" -eq 6 ] || fail "predict should print 3 classes per image"
diff <(sed -n 2,4p "$tmp/p.log") <(sed -n 6,8p "$tmp/p.log") || fail "PNG and test tensor predictions differ"
ok "predict on an exported PNG matches the test tensor"

# 6. predict rejects an image of another size (training.png) with exit code 1 and says why.
set +e
sample predict "$tmp/a/best.safetensors" "$tmp/a/training.png" > "$tmp/w.log" 2>&1
status=$?
set -e
[ "$status" -eq 1 ] && grep -q "Fashion-MNIST images are 28×28" "$tmp/w.log" || { cat "$tmp/w.log"; fail "wrong-size PNG: exit $status"; }
ok "predict rejects a non-28x28 image"

# 7. Missing data: exit code 3 and how to install it; a bad option: exit code 2.
set +e
sample --data "$tmp/no-such-folder" --out "$tmp/d" > "$tmp/d.log" 2>&1
status=$?
set -e
[ "$status" -eq 3 ] && grep -q "apt-get install dataset-fashion-mnist" "$tmp/d.log" || { cat "$tmp/d.log"; fail "missing data: exit $status"; }
set +e
sample --epochs zero > "$tmp/o.log" 2>&1
status=$?
set -e
[ "$status" -eq 2 ] && grep -q -- "--epochs must be a whole number" "$tmp/o.log" || { cat "$tmp/o.log"; fail "bad --epochs: exit $status"; }
ok "missing data and bad options fail with clear messages"

echo "samples.sh: $checks checks OK in $(( $(date +%s) - start )) s"

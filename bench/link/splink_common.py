"""What the Splink side of bench/link.sh shares: reading the two CSV files as strings (empty =
missing), and writing and scoring the pairs against the true links."""
import csv
import time
import pandas as pd


def read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)


def write_and_score(pairs, id_column, truth_path, out_path, start):
    """Writes the pairs and prints: seconds since `start` (a time.perf_counter() taken after the
    imports, before reading the files) to the pairs written, pairs, precision, recall, F1. A
    pair may come out as (right, left): it is turned round when the other order is a true
    link."""
    left, right = f"{id_column}_l", f"{id_column}_r"
    pairs[[left, right, "match_weight", "match_probability"]].to_csv(out_path, index=False)
    seconds = time.perf_counter() - start
    truth = {(r["left_id"], r["right_id"]) for r in csv.DictReader(open(truth_path))}
    predicted = {(r, l) if (r, l) in truth else (l, r) for l, r in zip(pairs[left], pairs[right])}
    tp = len(predicted & truth)
    precision, recall = tp / max(len(predicted), 1), tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    print(f"{seconds:.3f} {len(predicted)} {precision:.4f} {recall:.4f} {f1:.4f}")

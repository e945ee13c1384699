"""Splink (DuckDB backend) on make_people.py's files with the comparisons and blocking rules of
people.toml. Usage: python3 splink_people.py LEFT.csv RIGHT.csv TRUE_LINKS.csv OUT.csv"""
import sys, time, csv
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

a_path, b_path, truth_path, out_path = sys.argv[1:5]
start = time.perf_counter()
a = pd.read_csv(a_path, dtype=str, keep_default_na=False).replace("", None)
b = pd.read_csv(b_path, dtype=str, keep_default_na=False).replace("", None)
db = DuckDBAPI()
settings = SettingsCreator(
    link_type="link_only",
    unique_id_column_name="id",
    blocking_rules_to_generate_predictions=[block_on("date_of_birth"), block_on("surname", "postcode")],
    comparisons=[
        cl.JaroWinklerAtThresholds("surname", [0.9, 0.7]).configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("given_name", [0.9, 0.7]).configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.ExactMatch("postcode"),
        cl.ExactMatch("sex"),
    ],
)
linker = Linker([db.register(a, table_name="a"), db.register(b, table_name="b")], settings, log_level=40)
linker.training.estimate_probability_two_random_records_match(
    [block_on("surname", "given_name", "date_of_birth")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname", "postcode"))
pairs = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
seconds = time.perf_counter() - start
pairs[["id_l", "id_r", "match_weight", "match_probability"]].to_csv(out_path, index=False)
truth = {(r["left_id"], r["right_id"]) for r in csv.DictReader(open(truth_path))}
predicted = {(l, r) if l.startswith("L") else (r, l) for l, r in zip(pairs["id_l"], pairs["id_r"])}
tp = len(predicted & truth)
precision, recall = tp / max(len(predicted), 1), tp / len(truth)
f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
print(f"{seconds:.3f} {len(predicted)} {precision:.4f} {recall:.4f} {f1:.4f}")

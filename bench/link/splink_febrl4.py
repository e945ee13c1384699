"""Splink (DuckDB backend) on FEBRL4 with the comparisons and blocking rules of febrl4.toml:
u by random sampling, m by EM on two blocking rules, λ from deterministic rules, pairs at
match probability >= 0.5. Prints seconds, pairs and F1 against the true links.
Usage: python3 splink_febrl4.py A.csv B.csv TRUE_LINKS.csv OUT.csv"""
import sys, time
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink_common import read, write_and_score

a_path, b_path, truth_path, out_path = sys.argv[1:5]
start = time.perf_counter()
a, b = read(a_path), read(b_path)
db = DuckDBAPI()
settings = SettingsCreator(
    link_type="link_only",
    unique_id_column_name="rec_id",
    blocking_rules_to_generate_predictions=[
        block_on("surname"), block_on("address_1"), block_on("soc_sec_id"), block_on("date_of_birth")],
    comparisons=[
        cl.JaroWinklerAtThresholds("given_name", [0.9, 0.7]).configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("surname", [0.9, 0.7]).configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number"),
        cl.LevenshteinAtThresholds("address_1", [1, 2]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
        cl.LevenshteinAtThresholds("postcode", [1, 2]),
        cl.ExactMatch("state"),
    ],
)
linker = Linker([db.register(a, table_name="a"), db.register(b, table_name="b")], settings, log_level=40)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id", "date_of_birth")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
pairs = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
write_and_score(pairs, "rec_id", truth_path, out_path, start)

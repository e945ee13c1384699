"""Splink (DuckDB backend) on make_people.py's files with the comparisons and blocking rules of
people.toml. Usage: python3 splink_people.py LEFT.csv RIGHT.csv TRUE_LINKS.csv OUT.csv"""
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
write_and_score(pairs, "id", truth_path, out_path, start)

"""An independent client of oncodata's Arrow Flight SQL: Apache Arrow's ADBC Flight SQL driver
(PyPI `adbc_driver_flightsql`) and pyarrow, as a researcher's Python would connect.

    python3 flight_sql_client.py grpc://127.0.0.1:8815 TOKEN "SELECT sex, count(*) AS n FROM persons GROUP BY sex"
    python3 flight_sql_client.py grpc+tls://127.0.0.1:8815 TOKEN "SELECT …" ca.pem   (TLS: the CA to trust)

Prints the result as JSON: {"columns": [...], "rows": [[...], ...]}; exits 1 with the driver's
message when the server refuses."""
import json
import sys

import adbc_driver_flightsql.dbapi as flight_sql
from adbc_driver_flightsql import DatabaseOptions


def main(uri, token, statement, ca=None):
    options = {DatabaseOptions.AUTHORIZATION_HEADER.value: f"Bearer {token}"}
    if ca:
        with open(ca) as pem:
            options[DatabaseOptions.TLS_ROOT_CERTS.value] = pem.read()
    try:
        with flight_sql.connect(uri, db_kwargs=options, autocommit=True) as connection, connection.cursor() as cursor:
            cursor.execute(statement)
            table = cursor.fetch_arrow_table()
    except Exception as error:  # the driver's own exception types vary by version
        print(f"refused: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"columns": table.column_names, "rows": [list(r.values()) for r in table.to_pylist()]}))


if __name__ == "__main__":
    main(*sys.argv[1:5])

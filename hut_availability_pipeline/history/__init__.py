"""Past observations in and out: `history import` (a CSV of checks into the same tables live
updates write), `history export` (CSV or Parquet for analysts) and the converter of the wide form
(one CSV per snapshot, a column per night) that public datasets use.

- `rows`: the import format, parsed and checked (pure: a bad row names the file and the line).
- `importer`: the checks stored, snapshot by snapshot, through the engine's batched writer.
- `export`: the stored history as observations (one row per state change) to CSV or Parquet.
- `wide`: wide snapshots to the import format.
"""

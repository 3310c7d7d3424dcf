"""Side-by-side benchmarks: this project's adapters against raw boto3 and the alternatives users would pick.

Run `python -m benchmarks` (full), `--quick` (under two minutes) or `--tiny` (a smoke run for the tests).
Results land in `benchmarks/results/latest.{json,md,png}`.
"""

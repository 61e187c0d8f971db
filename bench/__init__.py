"""Benchmarks and evaluations: scripts that print a table and, last, one JSON line of figures.

Run each as `python bench/NAME.py ...` (or `python -m bench.NAME`). Each compares against a naive
baseline in the same run. Shared parts live in modules of their own (`eval_store`: the labelled
set's store, read by `eval` and `eval_qa`; `mutant_catalogue`: the mutants `mutants` applies).
"""

"""Test doubles for the AI-tool APIs Koalr syncs from: one real HTTP server per upstream.

They serve deterministic data, faults and rate limits for the tests, the demo and the benchmarks.
A simulator imports nothing of the product (nor Django), and the product imports nothing from
here: only the `demo` dev command, the tests and the benches start one.
"""

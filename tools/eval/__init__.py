"""Data makers of the evaluation harness (the harness itself is C++: eval.cpp)."""

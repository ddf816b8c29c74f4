//! Integration tests of the generator live in `tests/tests/`.

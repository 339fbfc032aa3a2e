//! Cross-crate integration tests of Yardmaster live in `tests/tests/`; this
//! library is empty on purpose.

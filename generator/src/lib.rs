//! Specs -> IR -> Rust.

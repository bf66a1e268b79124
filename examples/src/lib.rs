//! Runnable examples (`examples/`); `cargo run --example quickstart` is the README's main job.
//!
//! The README is this crate's documentation, so `cargo test --doc` compiles its Rust snippets
//! and the README cannot drift from the API.
#![doc = include_str!("../../README.md")]

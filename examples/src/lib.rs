//! Runnable examples; see `examples/`. `cargo run --example quickstart` is the README's main job.

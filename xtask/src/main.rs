//! Maintainer tasks: `cargo xtask codegen [--check]`, `cargo xtask import …`.

mod bench_codegen;
mod codegen;
mod import;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen::run(&args[1..]),
        Some("bench-codegen") => bench_codegen::run(&args[1..]),
        Some("check-features") => codegen::check_features(&args[1..]),
        Some("import") => import::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask codegen [--check]\n       cargo xtask bench-codegen [--runs N]   (use --release)\n       cargo xtask check-features\n       cargo xtask import openapi <file> --op <operationId>...\n       cargo xtask import markdown <doc>");
            return std::process::ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

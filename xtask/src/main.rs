fn main() {
    eprintln!("usage: cargo xtask <codegen [--check] | import ...>");
    std::process::exit(2);
}

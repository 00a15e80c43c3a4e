fn main() {
    println!("kubectl-opm {}", env!("CARGO_PKG_VERSION"));
}

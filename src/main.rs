fn main() {
    std::process::exit(pricebook::cli::main());
}

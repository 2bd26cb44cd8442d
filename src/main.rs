// Every command allocates per usage line or per account; mimalloc's thread caches make that
// cheap on every core (see docs/performance.md, invoice runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(pricebook::cli::main());
}

// The cold-start baseline of benches/compare.sh: the least a Rust program
// does, built with `rustc -C opt-level=3` (not a cargo target).
fn main() {
    println!("hello");
}

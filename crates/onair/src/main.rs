//! The `onair` binary.

fn main() {
    println!("onair {}", env!("CARGO_PKG_VERSION"));
}

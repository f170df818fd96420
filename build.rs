//! Rebuilds the crate when a migration changes: `sqlx::migrate!` embeds the files at compile
//! time, and on stable Rust a macro cannot tell Cargo to watch a folder, so a new or edited
//! migration alone would otherwise leave a binary that never applies it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

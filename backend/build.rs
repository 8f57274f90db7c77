// `sqlx::migrate!` reads the migrations folder at compile time, but cargo does not know: a
// new migration file would not rebuild the crate, and the server would run without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

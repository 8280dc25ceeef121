//! Link options for the plugin library.

fn main() {
    // Hosts that unload a plugin while threads it touched are still alive would otherwise call
    // thread-exit destructors registered by the plugin's copy of the standard library after its
    // code is unmapped. Keeping the library mapped once loaded (as most hosts do anyway) avoids it.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}

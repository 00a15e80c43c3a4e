fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let static_crt = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .is_ok_and(|features| features.split(',').any(|f| f == "crt-static"));
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        if !static_crt {
            // The unwinder from GCC's static archive, linked ahead of the `libgcc_s.so.1`
            // that std asks for, which `--as-needed` then drops. Loading that library costs
            // a start-up of about 0.1 ms here: its constructor probes the CPU with `cpuid`,
            // and every `cpuid` traps to the hypervisor on a virtual machine (8 µs each).
            println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
        }
    }
}

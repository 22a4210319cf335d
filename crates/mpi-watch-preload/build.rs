//! Does the MPI we build against have MPI 4's large-count functions
//! (`MPI_Send_c`, ...)? mpi4py calls those where they exist, so the layer
//! must define them too: `cfg(mpi_large_count)`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-env-changed=MPICC");
    println!("cargo::rustc-check-cfg=cfg(mpi_large_count)");
    let mpicc = std::env::var("MPICC").unwrap_or_else(|_| "mpicc".to_owned());
    let probe = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("mpi_version.c");
    std::fs::write(&probe, "#include <mpi.h>\nthe_mpi_version_is MPI_VERSION\n").expect("OUT_DIR is writable");
    let version = Command::new(&mpicc).arg("-E").arg(&probe).output().ok().and_then(|out| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|line| line.trim().strip_prefix("the_mpi_version_is ")?.trim().parse::<u32>().ok())
    });
    if version.is_some_and(|v| v >= 4) {
        println!("cargo::rustc-cfg=mpi_large_count");
    }
}

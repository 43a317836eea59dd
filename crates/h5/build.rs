//! Tells the code which HDF5 API generation it builds against (HDF5 2.0, which the `static`
//! feature builds from source, changed H5Dread_chunk's signature).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(hdf5_2)");
    if std::env::var_os("DEP_HDF5_VERSION_2_0_0").is_some() {
        println!("cargo::rustc-cfg=hdf5_2");
    }
}

//! Tells the code which HDF5 API generation it builds against: 1.12 replaced object addresses
//! with tokens, and HDF5 2.0, which the `static` feature builds from source, changed
//! H5Dread_chunk's signature.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(hdf5_2)");
    println!("cargo::rustc-check-cfg=cfg(hdf5_1_12)");
    if std::env::var_os("DEP_HDF5_VERSION_2_0_0").is_some() {
        println!("cargo::rustc-cfg=hdf5_2");
    }
    if std::env::var_os("DEP_HDF5_VERSION_1_12_0").is_some() {
        println!("cargo::rustc-cfg=hdf5_1_12");
    }
}

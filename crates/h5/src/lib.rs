//! HDF5 storage with PyTables' on-disk conventions, and raw-chunk I/O.

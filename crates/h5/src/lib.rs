#![deny(missing_docs)]
//! HDF5 storage with PyTables' on-disk conventions, and a raw-chunk path that moves
//! (de)compression out of the HDF5 library's global lock.
//!
//! ```no_run
//! use outcore_h5::{File, Mode};
//! let f = File::open("data.h5", Mode::Read)?;
//! for node in f.walk()? {
//!     println!("{} {:?} {:?}", node.path, node.class, node.shape);
//! }
//! let t = f.leaf("/t")?;
//! let mut raw = Vec::new();
//! let decoder = t.decoder()?;
//! let mut rows = Vec::new();
//! for chunk in t.chunks()? {
//!     t.read_raw_chunk(&chunk, &mut raw)?;            // under the HDF5 lock: a copy
//!     decoder.decode(&raw, chunk.filter_mask, &mut rows)?; // on any thread, outside it
//! }
//! # Ok::<(), outcore_h5::Error>(())
//! ```
//!
//! What is here: files and their modes, groups, walking, attributes (PyTables' string
//! conventions included), the layout of every leaf's values (records with nested fields,
//! strings, array-shaped fields), chunk listing, raw chunk reads and the decoders PyTables'
//! filters need (shuffle, zlib, blosc and blosc2 with every codec, lzf, fletcher32); groups,
//! Tables, Arrays, CArrays, EArrays and VLArrays written with PyTables' attributes, so
//! PyTables recognises them; VLArrays' rows read for every atom PyTables writes.

mod attrs;
mod blosc2;
mod blosc2_filter;
mod blosc_filter;
pub mod chunks;
mod codec;
pub mod copy;
mod error;
mod file;
mod groups;
mod header;
mod index;
mod layout;
mod pyindex;
mod pyindex_write;
mod rows;
mod stats;
mod table;
mod vlarray;
mod write;

pub use attrs::AttrValue;
pub use codec::{Codec, Decoder, Encoder};
pub use error::{Error, Result};
pub use file::{ChunkInfo, File, Group, Leaf, LeafClass, Mode, Node, NodeClass, NodeInfo};
/// Fixed-length ASCII strings, the element type of string arrays (PyTables' StringAtom).
pub use hdf5::types::FixedAscii;
pub use index::ChunkIndex;
pub use layout::{Field, Kind, Layout, Schema};
pub use pyindex::{Hits, Lookup, PyIndex};
pub use pyindex_write::full_index_sizes;
pub use rows::{keep_written_prefix, ByteSwaps};
pub use stats::{column_stat, zone_kind, Stat, ZoneColumn, Zones, ZONES_PREFIX};
pub use table::Column;
pub use vlarray::{unicode_row, VlAtom};
pub use write::{filter_label, filter_name, Complib, Filters};

//! The blosc2 filter (HDF5 filter 32026, hdf5-blosc2's) as the HDF5 library runs it when it
//! reads or writes a blosc2 dataset itself (`H5Dread`, `H5Dwrite`), so that outcore's
//! library path reads PyTables' blosc2 files and writes ones PyTables reads. The chunks go
//! through [`crate::blosc2`], as on the raw path.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::Once;

use hdf5_sys::h5::herr_t;
use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5p::H5Pmodify_filter;
use hdf5_sys::h5z::{H5Z_class2_t, H5Z_filter_t, H5Z_CLASS_T_VERS, H5Z_FLAG_REVERSE};

use crate::blosc2::{Params, ID, REVISION};
use crate::blosc_filter::Local;

const NAME: &[u8] = b"blosc2\0";
/// Parameters: 8 fixed ones, then up to 8 chunk dimensions (b2nd's largest rank).
const MAX_VALUES: usize = 16;

/// A constant reference: promoted to a `'static` the library keeps.
const CLASS: &H5Z_class2_t = &H5Z_class2_t {
    version: H5Z_CLASS_T_VERS as c_int,
    id: ID as H5Z_filter_t,
    encoder_present: 1,
    decoder_present: 1,
    name: NAME.as_ptr() as *const c_char,
    can_apply: None,
    set_local: Some(set_local),
    filter: Some(filter),
};

/// Registers the filter, once.
pub(crate) fn register() {
    static ONCE: Once = Once::new();
    crate::blosc_filter::register_class(&ONCE, CLASS);
}

/// Fills in the dataset-dependent parameters when a dataset is created, as hdf5-blosc2 does:
/// revision, item size, chunk bytes, and for a chunk of rank 2 to 8 its rank and shape (its
/// chunks are then b2nd arrays).
extern "C" fn set_local(dcpl: hid_t, ty: hid_t, _space: hid_t) -> herr_t {
    let mut values = [0 as c_uint; MAX_VALUES];
    // Safety: the ids are HDF5's; `values` is as long as the length passed.
    unsafe {
        let Some(l) = Local::read(dcpl, ty, ID as H5Z_filter_t, &mut values) else { return -1 };
        values[0] = REVISION;
        values[2] = l.base.min(255) as c_uint;
        values[3] = l.chunk_bytes();
        let mut used = l.n.max(4);
        let rank = l.chunk.len();
        if (2..=8).contains(&rank) {
            for (i, d) in [(4, 5), (5, 1), (6, 0)] {
                if l.n <= i {
                    values[i] = d;
                }
            }
            values[7] = rank as c_uint;
            for (i, &d) in l.chunk.iter().enumerate() {
                values[8 + i] = c_uint::try_from(d).unwrap_or(c_uint::MAX);
            }
            used = 8 + rank;
        }
        if H5Pmodify_filter(dcpl, ID as H5Z_filter_t, l.flags, used, values.as_ptr()) < 0 {
            return -1;
        }
    }
    1
}

/// Encodes or decodes one chunk in `*buf` (`nbytes` used of `*size` allocated), replacing it.
/// Returns the new length, 0 on failure (HDF5 then reports an error).
unsafe extern "C" fn filter(
    flags: c_uint,
    n: usize,
    values: *const c_uint,
    nbytes: usize,
    size: *mut usize,
    buf: *mut *mut c_void,
) -> usize {
    let values = if values.is_null() { &[][..] } else { std::slice::from_raw_parts(values, n) };
    let input = std::slice::from_raw_parts(*buf as *const u8, nbytes);
    let mut out = Vec::new();
    let ok = if flags & H5Z_FLAG_REVERSE != 0 {
        // Never more than the chunk's size, when the dataset says it.
        let limit = match values.get(3) {
            Some(&c) if c > 0 => c as usize,
            _ => i32::MAX as usize,
        };
        crate::blosc2::decode(input, limit, &mut out).is_ok()
    } else {
        crate::blosc2::encode(&Params::from_cd_values(values), input, &mut out).is_ok()
    };
    if !ok || out.is_empty() {
        return 0;
    }
    // HDF5 frees the buffer with free(): hand it one from malloc.
    let len = out.len();
    let copy = libc::malloc(len);
    if copy.is_null() {
        return 0;
    }
    std::ptr::copy_nonoverlapping(out.as_ptr(), copy.cast::<u8>(), len);
    libc::free(*buf);
    *buf = copy;
    *size = len;
    len
}

//! The blosc filter (HDF5 filter 32001, PyTables' and hdf5-blosc's) as the HDF5 library runs
//! it when it reads or writes a blosc dataset itself (`H5Dread`, `H5Dwrite`).
//!
//! hdf5-metno registers one at start-up that trusts the sizes in a chunk's header: on a
//! damaged chunk c-blosc then reads past the chunk (found by fuzzing, `fuzz/README.md`). This
//! one replaces it and checks the header against the chunk first, as the raw path does
//! ([`crate::codec::blosc_size`]), and the decoded size against the chunk's size. Its
//! parameters are hdf5-blosc's: `[filter version, blosc format, type size, chunk bytes,
//! level, shuffle, compressor]`, the first four set from the dataset when it is created.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::Once;

use hdf5_sys::h5::{herr_t, hsize_t};
use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5p::{H5Pget_chunk, H5Pget_filter_by_id2, H5Pmodify_filter};
use hdf5_sys::h5t::{H5T_class_t, H5Tclose, H5Tget_class, H5Tget_size, H5Tget_super};
use hdf5_sys::h5z::{H5Z_class2_t, H5Z_filter_t, H5Zregister, H5Z_CLASS_T_VERS, H5Z_FLAG_REVERSE};

const ID: H5Z_filter_t = 32001;
const NAME: &[u8] = b"blosc\0";
/// hdf5-blosc's filter version and blosc's format version, stored in every dataset's parameters.
const FILTER_VERSION: c_uint = 2;
const FORMAT_VERSION: c_uint = 2;

/// A constant reference: promoted to a `'static` the library keeps.
const CLASS: &H5Z_class2_t = &H5Z_class2_t {
    version: H5Z_CLASS_T_VERS as c_int,
    id: ID,
    encoder_present: 1,
    decoder_present: 1,
    name: NAME.as_ptr() as *const c_char,
    can_apply: None,
    set_local: Some(set_local),
    filter: Some(filter),
};

/// Registers the filter, once, after the library's own start-up (which registers
/// hdf5-metno's): registering an id again replaces the filter.
pub(crate) fn register() {
    static ONCE: Once = Once::new();
    register_class(&ONCE, CLASS);
}

/// Registers a filter class with the HDF5 library, once (`once` is the filter's own).
pub(crate) fn register_class(once: &Once, class: &'static H5Z_class2_t) {
    once.call_once(|| {
        hdf5::sync::sync(|| {
            // Safety: `class` is a valid filter class the library may keep: it is 'static.
            unsafe { H5Zregister((class as *const H5Z_class2_t).cast()) };
        });
    });
}

/// What `set_local` needs of a dataset being created: the filter's parameters so far (into
/// `values`, their count returned), its flags, the chunk's shape, the element's size and its
/// base type's size (an array element's item). `None` when HDF5 cannot say.
pub(crate) struct Local {
    pub flags: c_uint,
    pub n: usize,
    pub chunk: Vec<hsize_t>,
    pub size: usize,
    pub base: usize,
}

impl Local {
    /// Reads them. Safety: the ids are HDF5's, valid for the call.
    pub(crate) unsafe fn read(dcpl: hid_t, ty: hid_t, id: H5Z_filter_t, values: &mut [c_uint]) -> Option<Local> {
        let (mut flags, mut n) = (0 as c_uint, values.len());
        let name = std::ptr::null_mut();
        if H5Pget_filter_by_id2(dcpl, id, &mut flags, &mut n, values.as_mut_ptr(), 0, name, std::ptr::null_mut()) < 0 {
            return None;
        }
        let mut chunk = [0 as hsize_t; 32];
        let rank = H5Pget_chunk(dcpl, chunk.len() as c_int, chunk.as_mut_ptr());
        let size = H5Tget_size(ty);
        if rank < 0 || rank as usize > chunk.len() || size == 0 {
            return None;
        }
        let mut base = size;
        if H5Tget_class(ty) == H5T_class_t::H5T_ARRAY {
            let sup = H5Tget_super(ty);
            base = H5Tget_size(sup);
            H5Tclose(sup);
        }
        Some(Local { flags, n: n.min(values.len()), chunk: chunk[..rank as usize].to_vec(), size, base })
    }

    /// The bytes of one whole chunk.
    pub(crate) fn chunk_bytes(&self) -> c_uint {
        let bytes = self.chunk.iter().fold(self.size as u64, |b, &c| b.saturating_mul(c));
        c_uint::try_from(bytes).unwrap_or(c_uint::MAX)
    }
}

/// Fills in the dataset-dependent parameters when a dataset is created.
extern "C" fn set_local(dcpl: hid_t, ty: hid_t, _space: hid_t) -> herr_t {
    let mut values = [0 as c_uint; 8];
    // Safety: the ids are HDF5's; `values` is as long as the length passed.
    unsafe {
        let Some(l) = Local::read(dcpl, ty, ID, &mut values) else { return -1 };
        values[0] = FILTER_VERSION;
        values[1] = FORMAT_VERSION;
        values[2] = if l.base > 255 { 1 } else { l.base as c_uint };
        values[3] = l.chunk_bytes();
        if H5Pmodify_filter(dcpl, ID, l.flags, l.n.max(4), values.as_ptr()) < 0 {
            return -1;
        }
    }
    1
}

/// Encodes or decodes one chunk in `*buf` (`nbytes` used of `*size` allocated), replacing it.
/// Returns the new length, 0 on failure (HDF5 then reports an error, or for an optional filter
/// on writing, stores the chunk as it is).
unsafe extern "C" fn filter(
    flags: c_uint,
    n: usize,
    values: *const c_uint,
    nbytes: usize,
    size: *mut usize,
    buf: *mut *mut c_void,
) -> usize {
    let values = if values.is_null() { &[][..] } else { std::slice::from_raw_parts(values, n) };
    let param = |i: usize, default: c_uint| values.get(i).copied().unwrap_or(default);
    // Output buffers come from calloc (HDF5 frees them with free), zeroed so that they can be
    // handed to Rust as initialised slices.
    let input = std::slice::from_raw_parts(*buf as *const u8, nbytes);
    let (out, len, room) = if flags & H5Z_FLAG_REVERSE != 0 {
        let Ok(decoded) = crate::codec::blosc_size(input) else { return 0 };
        // The chunk's size, when the dataset says it; a damaged header claims more.
        let chunk = param(3, 0) as usize;
        if decoded == 0 || (chunk > 0 && decoded > chunk) {
            return 0;
        }
        let out = libc::calloc(decoded, 1);
        if out.is_null() {
            return 0;
        }
        if crate::codec::unblosc_into(input, std::slice::from_raw_parts_mut(out.cast::<u8>(), decoded)).is_err() {
            libc::free(out);
            return 0;
        }
        (out, decoded, decoded)
    } else {
        let mut name: *const c_char = std::ptr::null();
        if blosc_src::blosc_compcode_to_compname(param(6, 0) as c_int, &mut name) < 0 || name.is_null() {
            return 0;
        }
        let room = nbytes + 16;
        let out = libc::calloc(room, 1);
        if out.is_null() {
            return 0;
        }
        let typesize = (param(2, 1) as usize).max(1);
        let (level, shuffle) = (param(4, 5) as c_int, param(5, 1) as c_int);
        let compressor = std::ffi::CStr::from_ptr(name);
        let encoded = std::slice::from_raw_parts_mut(out.cast::<u8>(), room);
        let got = match crate::codec::blosc_into(level, shuffle, typesize, compressor, input, encoded) {
            // Grown, not shrunk: fail as PyTables' blosc filter does (it offers blosc no more
            // room than the input), so HDF5 stores the chunk as it is and marks the filter
            // skipped in its mask (the filter is optional).
            Ok(got) if got <= nbytes => got,
            _ => {
                libc::free(out);
                return 0;
            }
        };
        (out, got, room)
    };
    libc::free(*buf);
    *buf = out;
    *size = room;
    len
}

//! The module's memory allocator: a bump allocator over a static arena.
//!
//! Every grading runs in a fresh instance that is discarded afterwards, so nothing ever
//! needs to be freed, and an allocation can be a pointer bump. More importantly, Rust's
//! default wasm allocator grows linear memory on the first allocation of every instance;
//! a `memory.grow` per grading costs more than the grading itself. The arena is
//! zero-initialised (`.bss`): it sits in the initial memory, and the pages a grading
//! never touches cost nothing. When a grading needs more than the arena, memory grows as
//! usual, up to the host's cap.

use core::{
    alloc::{GlobalAlloc, Layout},
    cell::UnsafeCell,
    ptr,
};

/// A pilot grading allocates well under 16 KiB. The arena is part of the module's initial
/// memory, and every byte of that is reset for each fresh instance: a 256 KiB arena made a
/// grading twice as slow (measured with `cargo bench -p qgrade`).
const ARENA_BYTES: usize = 16 << 10;
const PAGE: usize = 64 << 10;
/// Grow by at least this much at a time once the arena is used up.
const MIN_GROWTH_PAGES: usize = 16;

#[repr(C, align(16))]
struct Arena(UnsafeCell<[u8; ARENA_BYTES]>);

struct Cursor(UnsafeCell<(usize, usize)>);

// SAFETY: a wasm module instance is single-threaded; nothing else touches these.
unsafe impl Sync for Arena {}
// SAFETY: as above.
unsafe impl Sync for Cursor {}

static ARENA: Arena = Arena(UnsafeCell::new([0; ARENA_BYTES]));
/// (next free byte, end of the current region); (0, 0) until the first allocation.
static CURSOR: Cursor = Cursor(UnsafeCell::new((0, 0)));

/// The SDK's allocator, installed for every module built with it.
pub struct Bump;

#[global_allocator]
static GLOBAL: Bump = Bump;

impl Bump {
    /// # Safety
    /// Single-threaded use only (true of a wasm instance).
    unsafe fn cursor() -> &'static mut (usize, usize) {
        // SAFETY: single-threaded, and no reference outlives one allocator call.
        let cursor = unsafe { &mut *CURSOR.0.get() };
        if cursor.1 == 0 {
            let start = ARENA.0.get() as usize;
            *cursor = (start, start + ARENA_BYTES);
        }
        cursor
    }
}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single-threaded.
        let cursor = unsafe { Bump::cursor() };
        let mut start = cursor.0.next_multiple_of(layout.align());
        if start + layout.size() > cursor.1 {
            let pages = (layout.size() + layout.align())
                .div_ceil(PAGE)
                .max(MIN_GROWTH_PAGES);
            let previous = core::arch::wasm32::memory_grow(0, pages);
            if previous == usize::MAX {
                return ptr::null_mut();
            }
            let region = previous * PAGE;
            *cursor = (region, region + pages * PAGE);
            start = region.next_multiple_of(layout.align());
        }
        cursor.0 = start + layout.size();
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Only the most recent allocation can be given back; the rest goes with the
        // instance.
        // SAFETY: single-threaded.
        let cursor = unsafe { Bump::cursor() };
        if ptr as usize + layout.size() == cursor.0 {
            cursor.0 = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: single-threaded.
        let cursor = unsafe { Bump::cursor() };
        // The most recent allocation grows (or shrinks) in place when the region allows.
        if ptr as usize + layout.size() == cursor.0 && ptr as usize + new_size <= cursor.1 {
            cursor.0 = ptr as usize + new_size;
            return ptr;
        }
        // SAFETY: the caller's contract for realloc holds for alloc with the new size.
        let new =
            unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller size and do not overlap.
            unsafe { ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}

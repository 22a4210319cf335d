//! Calls the watch does not follow: one-sided synchronisation, collective
//! I/O, intercommunicators. A rank blocked in one cannot answer the
//! watch's questions, so it notes what it is in on a page of shared memory
//! named after its process; a rank of the same host that asks about it
//! reads the page, and names the call ("rank 3 is in `MPI_Win_fence`,
//! which the watch does not follow") instead of calling the rank silent.

use std::os::raw::{c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::atomic::{fence, AtomicPtr, Ordering};

use mpi_sys as ffi;
use mpi_sys::{MPI_Comm, MPI_Datatype, MPI_File, MPI_Group, MPI_Info, MPI_Offset, MPI_Status, MPI_Win};

use crate::layer::watching;

/// The page: the time the call began (milliseconds since the epoch, 0 when
/// in none), the length of its name, the name.
const PAGE: usize = 128;
static MINE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

fn path(pid: i32) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    dir.join(format!("mpiwatch-{pid}.note"))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Make this process's page (under the watch, at `MPI_Init`).
pub fn open() {
    let path = path(std::process::id() as i32);
    let Ok(file) = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path) else {
        return;
    };
    if file.set_len(PAGE as u64).is_err() {
        return;
    }
    // SAFETY: a shared mapping of a file of PAGE bytes that this process
    // made; it stays mapped until `close`.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            0,
        )
    };
    if page != libc::MAP_FAILED {
        MINE.store(page as *mut u8, Ordering::Release);
    }
}

/// Take the page away (at `MPI_Finalize`).
pub fn close() {
    let page = MINE.swap(std::ptr::null_mut(), Ordering::AcqRel);
    if !page.is_null() {
        // SAFETY: the mapping `open` made, unmapped once.
        unsafe { libc::munmap(page as *mut c_void, PAGE) };
        let _ = std::fs::remove_file(path(std::process::id() as i32));
    }
}

/// This rank is now in `call`, until [`leave`].
fn enter(call: &'static str) {
    let page = MINE.load(Ordering::Acquire);
    if page.is_null() {
        return;
    }
    let name = &call.as_bytes()[..call.len().min(PAGE - 9)];
    // SAFETY: writes within the PAGE bytes of our own mapping; readers in
    // other processes read the name only once the time is set, after it.
    unsafe {
        std::ptr::copy_nonoverlapping(name.as_ptr(), page.add(9), name.len());
        *page.add(8) = name.len() as u8;
        fence(Ordering::Release);
        std::ptr::write_volatile(page as *mut u64, now_ms().max(1));
    }
}

fn leave() {
    let page = MINE.load(Ordering::Acquire);
    if !page.is_null() {
        // SAFETY: as in `enter`.
        unsafe { std::ptr::write_volatile(page as *mut u64, 0) };
    }
}

/// What the process `pid` of this host is in, and for how many seconds,
/// if it is in a call the watch does not follow.
pub fn read(pid: i32) -> Option<(String, f64)> {
    let bytes = std::fs::read(path(pid)).ok()?;
    if bytes.len() < PAGE {
        return None;
    }
    let since = u64::from_le_bytes(bytes[..8].try_into().ok()?);
    if since == 0 {
        return None;
    }
    let len = usize::from(bytes[8]).min(PAGE - 9);
    let call = String::from_utf8_lossy(&bytes[9..9 + len]).into_owned();
    Some((call, now_ms().saturating_sub(since) as f64 / 1e3))
}

/// Run `real`, noted as being in `call` while it lasts (under the watch).
pub fn noted(call: &'static str, real: impl FnOnce() -> c_int) -> c_int {
    if !watching() {
        return real();
    }
    enter(call);
    let rc = real();
    leave();
    rc
}

/// Calls the watch does not follow, each noted while it lasts.
macro_rules! unfollowed {
    ($($name:ident => $real:ident ($($arg:ident : $ty:ty),*);)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> c_int {
            noted(stringify!($name), || ffi::$real($($arg),*))
        }
    )*};
}

unfollowed! {
    MPI_Win_fence => PMPI_Win_fence (assert: c_int, win: MPI_Win);
    MPI_Win_start => PMPI_Win_start (group: MPI_Group, assert: c_int, win: MPI_Win);
    MPI_Win_complete => PMPI_Win_complete (win: MPI_Win);
    MPI_Win_wait => PMPI_Win_wait (win: MPI_Win);
    MPI_Win_lock => PMPI_Win_lock (lock_type: c_int, rank: c_int, assert: c_int, win: MPI_Win);
    MPI_Win_unlock => PMPI_Win_unlock (rank: c_int, win: MPI_Win);
    MPI_Win_lock_all => PMPI_Win_lock_all (assert: c_int, win: MPI_Win);
    MPI_Win_unlock_all => PMPI_Win_unlock_all (win: MPI_Win);
    MPI_Win_flush => PMPI_Win_flush (rank: c_int, win: MPI_Win);
    MPI_Win_flush_all => PMPI_Win_flush_all (win: MPI_Win);
    MPI_File_open => PMPI_File_open
        (comm: MPI_Comm, filename: *const c_char, amode: c_int, info: MPI_Info, fh: *mut MPI_File);
    MPI_File_close => PMPI_File_close (fh: *mut MPI_File);
    MPI_File_sync => PMPI_File_sync (fh: MPI_File);
    MPI_File_set_view => PMPI_File_set_view
        (fh: MPI_File, disp: MPI_Offset, etype: MPI_Datatype, filetype: MPI_Datatype, datarep: *const c_char,
         info: MPI_Info);
    MPI_File_read_all => PMPI_File_read_all
        (fh: MPI_File, buf: *mut c_void, count: c_int, datatype: MPI_Datatype, status: *mut MPI_Status);
    MPI_File_write_all => PMPI_File_write_all
        (fh: MPI_File, buf: *const c_void, count: c_int, datatype: MPI_Datatype, status: *mut MPI_Status);
    MPI_File_read_at_all => PMPI_File_read_at_all
        (fh: MPI_File, offset: MPI_Offset, buf: *mut c_void, count: c_int, datatype: MPI_Datatype,
         status: *mut MPI_Status);
    MPI_File_write_at_all => PMPI_File_write_at_all
        (fh: MPI_File, offset: MPI_Offset, buf: *const c_void, count: c_int, datatype: MPI_Datatype,
         status: *mut MPI_Status);
    MPI_Intercomm_create => PMPI_Intercomm_create
        (local_comm: MPI_Comm, local_leader: c_int, bridge_comm: MPI_Comm, remote_leader: c_int, tag: c_int,
         newintercomm: *mut MPI_Comm);
    MPI_Intercomm_merge => PMPI_Intercomm_merge (intercomm: MPI_Comm, high: c_int, newintercomm: *mut MPI_Comm);
}

//! Communicators: which world ranks each one holds, and an identity that
//! every member gives it alike, so that the watch can name peers as world
//! ranks and match collectives across ranks.
//!
//! A communicator made by a collective call on a parent (`MPI_Comm_dup`,
//! `MPI_Comm_split`, `MPI_Cart_create`, ...) is identified by its parent,
//! the number of that call among the parent's collectives (every member
//! calls them in the same order, as MPI requires), and its lowest world
//! rank (which tells apart the communicators one split makes). A
//! communicator the layer did not see made is learnt from its group when
//! first used.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::os::raw::c_int;

use mpi_sys as ffi;
use mpi_sys::MPI_Comm;
use mpi_watch::waitfor::{self, CommId, WORLD};

use crate::layer::{self, active, key};
use crate::watch;

/// What the layer knows of one communicator.
pub struct CommInfo {
    pub id: CommId,
    pub name: String,
    /// Its ranks as world ranks (for an intercommunicator: the remote group's,
    /// which its point-to-point ranks name).
    pub members: Vec<i32>,
    /// An intercommunicator: its collectives are not followed.
    pub inter: bool,
    /// How many collectives this rank has entered on it.
    pub collectives: u64,
}

/// Every communicator this rank knows, by handle.
pub struct Comms {
    world: CommInfo,
    by_handle: HashMap<u64, CommInfo>,
    /// How many `MPI_Comm_create_group` calls of each kind this rank made.
    groups_made: HashMap<u64, u64>,
}

fn hash(parts: impl Hash) -> CommId {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish().max(1)
}

/// "0-3, 5, 7-9": world ranks, in runs, at most a few runs.
fn ranks_text(members: &[i32]) -> String {
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for r in sorted {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == r => *last = r,
            _ => runs.push((r, r)),
        }
    }
    let mut parts: Vec<String> = runs
        .iter()
        .take(6)
        .map(|&(a, b)| match b - a {
            0 => a.to_string(),
            1 => format!("{a}, {b}"),
            _ => format!("{a}-{b}"),
        })
        .collect();
    if runs.len() > 6 {
        parts.push("...".into());
    }
    parts.join(", ")
}

/// The world ranks of `group`'s members, in its order.
unsafe fn world_ranks_of(group: ffi::MPI_Group) -> Vec<i32> {
    let mut size: c_int = 0;
    ffi::PMPI_Group_size(group, &mut size);
    let mut world_group = std::mem::zeroed();
    ffi::PMPI_Comm_group(layer::world(), &mut world_group);
    let ranks: Vec<c_int> = (0..size).collect();
    let mut out = vec![0 as c_int; size.max(0) as usize];
    ffi::PMPI_Group_translate_ranks(group, size, ranks.as_ptr(), world_group, out.as_mut_ptr());
    ffi::PMPI_Group_free(&mut world_group);
    out
}

/// The members of `comm` as world ranks, and whether it is an intercommunicator.
unsafe fn learn(comm: MPI_Comm) -> (Vec<i32>, bool) {
    let mut inter: c_int = 0;
    ffi::PMPI_Comm_test_inter(comm, &mut inter);
    let mut group = std::mem::zeroed();
    if inter != 0 {
        ffi::PMPI_Comm_remote_group(comm, &mut group);
    } else {
        ffi::PMPI_Comm_group(comm, &mut group);
    }
    let members = world_ranks_of(group);
    ffi::PMPI_Group_free(&mut group);
    (members, inter != 0)
}

impl Comms {
    pub fn new(rank: i32, size: i32) -> Comms {
        let world = CommInfo {
            id: WORLD,
            name: "MPI_COMM_WORLD".into(),
            members: (0..size).collect(),
            inter: false,
            collectives: 0,
        };
        let mut by_handle = HashMap::new();
        // SAFETY: reading a constant of the MPI shim.
        let self_comm = unsafe { ffi::RSMPI_COMM_SELF };
        by_handle.insert(
            key(self_comm),
            CommInfo {
                id: hash(("MPI_COMM_SELF", rank)),
                name: "MPI_COMM_SELF".into(),
                members: vec![rank],
                inter: false,
                collectives: 0,
            },
        );
        Comms { world, by_handle, groups_made: HashMap::new() }
    }

    /// What the layer knows of `comm`, learnt now if it was not seen made.
    pub fn info(&mut self, comm: MPI_Comm) -> &mut CommInfo {
        if comm == layer::world() {
            return &mut self.world;
        }
        self.by_handle.entry(key(comm)).or_insert_with(|| {
            // SAFETY: group queries on a valid communicator handle.
            let (members, inter) = unsafe { learn(comm) };
            CommInfo {
                id: hash(("unseen", &members)),
                name: format!("a communicator of ranks {}", ranks_text(&members)),
                members,
                inter,
                collectives: 0,
            }
        })
    }

    pub fn id(&mut self, comm: MPI_Comm) -> CommId {
        self.info(comm).id
    }

    /// `rank` of `comm` as a world rank.
    pub fn world_rank(&mut self, comm: MPI_Comm, rank: c_int) -> i32 {
        if comm == layer::world() || rank < 0 {
            return rank;
        }
        self.info(comm).members.get(rank as usize).copied().unwrap_or(rank)
    }

    /// This rank enters a collective on `comm`: its identity and the
    /// collective's number there (1 for the first); `None` for an
    /// intercommunicator's, which the watch does not follow.
    pub fn enter(&mut self, comm: MPI_Comm) -> Option<(CommId, u64)> {
        let info = self.info(comm);
        info.collectives += 1;
        (!info.inter).then_some((info.id, info.collectives))
    }

    /// How many collectives this rank has entered, by communicator.
    pub fn entered(&self) -> Vec<(CommId, u64)> {
        std::iter::once(&self.world)
            .chain(self.by_handle.values())
            .filter(|c| c.collectives > 0)
            .map(|c| (c.id, c.collectives))
            .collect()
    }

    /// The communicators with these identities, as a report names them.
    pub fn named(&self, ids: &[CommId]) -> Vec<waitfor::Comm> {
        std::iter::once(&self.world)
            .chain(self.by_handle.values())
            .filter(|c| c.id != WORLD && ids.contains(&c.id))
            .map(|c| waitfor::Comm { id: c.id, name: c.name.clone(), members: c.members.clone() })
            .collect()
    }

    /// `made` was made by `call` on `parent`, the `seq`-th collective there
    /// (`None`: a call that is not collective over the whole parent, told
    /// apart by `extra`).
    pub fn made(&mut self, call: &str, parent: MPI_Comm, made: MPI_Comm, seq: Option<u64>, extra: u64) {
        // SAFETY: group queries on the communicator MPI just made.
        let (members, inter) = unsafe { learn(made) };
        let parent_info = self.info(parent);
        let (parent_id, parent_name, parent_members) =
            (parent_info.id, parent_info.name.clone(), parent_info.members.clone());
        let lowest = members.iter().min().copied().unwrap_or(-1);
        let seq = seq.unwrap_or_else(|| {
            let made_before = self.groups_made.entry(hash((parent_id, extra, &members))).or_insert(0);
            *made_before += 1;
            *made_before
        });
        let mut sorted = members.clone();
        sorted.sort_unstable();
        let mut parent_sorted = parent_members;
        parent_sorted.sort_unstable();
        let name = if sorted == parent_sorted {
            format!("{call} of {parent_name}")
        } else {
            format!("{call} of {parent_name} (ranks {})", ranks_text(&members))
        };
        let info = CommInfo { id: hash((parent_id, seq, lowest, extra, call)), name, members, inter, collectives: 0 };
        self.by_handle.insert(key(made), info);
    }

    pub fn freed(&mut self, comm: MPI_Comm) {
        self.by_handle.remove(&key(comm));
    }
}

/// A call that makes `*made` from `parent`: counted as a collective on the
/// parent (unless `whole` is false), and the new communicator learnt.
unsafe fn making(
    call: &'static str,
    parent: MPI_Comm,
    made: *mut MPI_Comm,
    whole: bool,
    extra: u64,
    real: impl FnOnce() -> c_int,
) -> c_int {
    if !active() {
        return real();
    }
    watch::poll();
    let seq = if whole { layer::with(|l| l.comms.enter(parent).map(|(_, seq)| seq)).flatten() } else { None };
    let rc = crate::unfollowed::noted(call, real);
    if rc == 0 && !made.is_null() && *made != ffi::RSMPI_COMM_NULL {
        layer::with(|l| l.comms.made(call, parent, *made, seq, extra));
    }
    layer::progressed();
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Comm_dup(comm: MPI_Comm, newcomm: *mut MPI_Comm) -> c_int {
    making("MPI_Comm_dup", comm, newcomm, true, 0, || ffi::PMPI_Comm_dup(comm, newcomm))
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Comm_dup_with_info(comm: MPI_Comm, info: ffi::MPI_Info, newcomm: *mut MPI_Comm) -> c_int {
    making("MPI_Comm_dup_with_info", comm, newcomm, true, 0, || ffi::PMPI_Comm_dup_with_info(comm, info, newcomm))
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Comm_split(comm: MPI_Comm, color: c_int, key: c_int, newcomm: *mut MPI_Comm) -> c_int {
    making("MPI_Comm_split", comm, newcomm, true, 0, || ffi::PMPI_Comm_split(comm, color, key, newcomm))
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Comm_split_type(
    comm: MPI_Comm,
    split_type: c_int,
    key: c_int,
    info: ffi::MPI_Info,
    newcomm: *mut MPI_Comm,
) -> c_int {
    making("MPI_Comm_split_type", comm, newcomm, true, 0, || {
        ffi::PMPI_Comm_split_type(comm, split_type, key, info, newcomm)
    })
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Comm_create(comm: MPI_Comm, group: ffi::MPI_Group, newcomm: *mut MPI_Comm) -> c_int {
    making("MPI_Comm_create", comm, newcomm, true, 0, || ffi::PMPI_Comm_create(comm, group, newcomm))
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Comm_create_group(
    comm: MPI_Comm,
    group: ffi::MPI_Group,
    tag: c_int,
    newcomm: *mut MPI_Comm,
) -> c_int {
    // Collective over the group's members only: told apart by its tag.
    let extra = hash(("MPI_Comm_create_group", tag));
    making("MPI_Comm_create_group", comm, newcomm, false, extra, || {
        ffi::PMPI_Comm_create_group(comm, group, tag, newcomm)
    })
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Cart_create(
    comm: MPI_Comm,
    ndims: c_int,
    dims: *const c_int,
    periods: *const c_int,
    reorder: c_int,
    newcomm: *mut MPI_Comm,
) -> c_int {
    making("MPI_Cart_create", comm, newcomm, true, 0, || {
        ffi::PMPI_Cart_create(comm, ndims, dims, periods, reorder, newcomm)
    })
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Cart_sub(comm: MPI_Comm, remain_dims: *const c_int, newcomm: *mut MPI_Comm) -> c_int {
    making("MPI_Cart_sub", comm, newcomm, true, 0, || ffi::PMPI_Cart_sub(comm, remain_dims, newcomm))
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Graph_create(
    comm: MPI_Comm,
    nnodes: c_int,
    index: *const c_int,
    edges: *const c_int,
    reorder: c_int,
    newcomm: *mut MPI_Comm,
) -> c_int {
    making("MPI_Graph_create", comm, newcomm, true, 0, || {
        ffi::PMPI_Graph_create(comm, nnodes, index, edges, reorder, newcomm)
    })
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Comm_free(comm: *mut MPI_Comm) -> c_int {
    if active() && !comm.is_null() {
        let handle = *comm;
        layer::with(|l| l.comms.freed(handle));
    }
    ffi::PMPI_Comm_free(comm)
}

#[cfg(test)]
mod tests {
    use super::ranks_text;

    #[test]
    fn ranks_read_as_runs() {
        assert_eq!(ranks_text(&[4, 0, 1, 2, 7]), "0-2, 4, 7");
        assert_eq!(ranks_text(&[3, 2]), "2, 3");
        assert_eq!(ranks_text(&(0..40).step_by(2).collect::<Vec<_>>()), "0, 2, 4, 6, 8, 10, ...");
    }
}

//! `my_func`, in a module of its own: the port of `myFunc.py`, which
//! `spawning_processes_namespace.py` imports from another file. In Rust a
//! child process runs whatever function is in the program; which module it
//! lives in changes nothing (Python's "spawn" start method, by contrast,
//! re-imports the module in the child, so the function must be importable).

/// Print which process number calls it, then count up to it.
pub fn my_func(i: usize) {
    println!("calling myFunc from process n°: {i}");
    for j in 0..i {
        println!("output from myFunc is :{j}");
    }
}

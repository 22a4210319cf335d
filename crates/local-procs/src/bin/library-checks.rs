//! Small programs that exercise the process library where a lesson does
//! not, for `tests/library.rs`: each forks (which the multi-threaded test
//! harness must not do) and prints what the test checks.
//!
//! `library-checks grandchildren | kernel-states | ended-is-not-alive | ignored-sigchld | realtime-signal | kill |
//! queue-owner-died | queue-waiter-killed | pool-close-beside-another |
//! pool-after-close | pool-map-details | pool-workers-hold-only-their-pipes | pool-worker-dies-on-a-later-chunk | pool-idle-worker-dies | pool-death-names-its-own-input | pool-panic-in-map | pool-dropped | pool-terminate-deaf-worker | pool-dropped-in-child |
//! pool-task-fails | pool-async-large-after-close | pool-used-in-child | queue-broken-wakes-sleepers |
//! primitives | sync-calls | sync-traced | queue-room-at-the-deadline | queue-wakes-sleepers | shared-memory-returned | pipe-calls | queue-calls | process-bookkeeping | dropped-handles-reaped | dead-holder`

use std::time::{Duration, Instant};

use local_procs::{
    active_children, current_name, exit_cleanup, parent_process, Array, Barrier, Condition, Event, Lock, Pool, Process,
    Queue, Semaphore, Value,
};

fn square(x: u64) -> u64 {
    x * x
}

/// Fails on one input, as a task of a learner's may.
fn fails_at_seven(x: u64) -> u64 {
    if x == 7 {
        panic!("seven is not allowed");
    }
    x * x
}

/// Fails on a string that is not a number below ten.
fn parse_below_ten(text: String) -> u8 {
    let n: u8 = text.parse().expect("a number");
    assert!(n < 10, "{n} is not below ten");
    n
}

/// A result larger than a pipe holds.
fn bytes(n: usize) -> Vec<u8> {
    vec![7; n]
}

/// Dies (as a crash would) on input 37.
fn dies_at_37(x: u64) -> u64 {
    if x == 37 {
        // SAFETY: _exit ends the worker at once.
        unsafe { libc::_exit(9) }
    }
    x
}

/// The same, for inputs that travel through the pipes (not plain numbers).
fn dies_at_text_37(text: String) -> String {
    if text == "37" {
        // SAFETY: _exit ends the worker at once.
        unsafe { libc::_exit(9) }
    }
    text
}

/// A task that takes a while.
fn slow_square(x: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(300));
    x * x
}

/// Which process ran a task: its input and pid.
fn whose(x: u64) -> (u64, u32) {
    (x, std::process::id())
}

/// Fails on 7 (late) and on 20 (at once): two failures in flight.
fn fails_at_7_late_and_20(x: u64) -> u64 {
    match x {
        7 => {
            std::thread::sleep(Duration::from_millis(300));
            panic!("seven");
        }
        20 => panic!("twenty"),
        x => x,
    }
}

fn power(base: u64, exponent: u32) -> u64 {
    base.pow(exponent)
}

/// Fails on the pair whose base is 20 (for `starmap`).
fn power_but_not_of_twenty(base: u64, exponent: u32) -> u64 {
    assert!(base != 20, "twenty is not allowed");
    base.pow(exponent)
}

/// A task that ignores SIGTERM, then sleeps: `terminate` must kill it.
fn deaf_to_sigterm(x: u64) -> u64 {
    // SAFETY: setting SIGTERM's disposition to "ignore" installs no handler.
    unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    std::thread::sleep(Duration::from_secs(60));
    x
}

/// Input 1 marks that its worker has started it (a file named by
/// MARK_FILE), then sleeps; input 0 waits for that mark, then dies: when
/// it dies, the other worker is busy with input 1.
fn dies_while_the_other_runs(x: u64) -> u64 {
    let mark = std::env::var("MARK_FILE").expect("MARK_FILE");
    if x == 1 {
        std::fs::write(&mark, "started").expect("the mark");
        std::thread::sleep(Duration::from_secs(5));
    } else {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::path::Path::new(&mark).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: _exit ends the worker at once.
        unsafe { libc::_exit(9) }
    }
    x
}

fn sleepy(x: u64) -> u64 {
    std::thread::sleep(Duration::from_secs(30));
    x
}

/// Make every later fork of this process fail with EAGAIN, as a system out
/// of processes would: a seccomp filter on the clone, clone3, fork and vfork
/// system calls.
fn deny_fork() {
    const LOAD_NR: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS: the syscall number
    const JUMP_IF: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RETURN: u16 = 0x06; // BPF_RET | BPF_K
    const ALLOW: u32 = 0x7fff_0000; // SECCOMP_RET_ALLOW
    const FAIL: u32 = 0x0005_0000 | libc::EAGAIN as u32; // SECCOMP_RET_ERRNO | EAGAIN
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    let calls = [libc::SYS_clone, libc::SYS_clone3, libc::SYS_fork, libc::SYS_vfork];
    let mut program = vec![op(LOAD_NR, 0, 0, 0)];
    for (i, call) in calls.iter().enumerate() {
        // Equal: jump to the FAIL return after the remaining tests and ALLOW.
        let to_fail = (calls.len() - i) as u8;
        program.push(op(JUMP_IF, to_fail, 0, *call as u32));
    }
    program.push(op(RETURN, 0, 0, ALLOW));
    program.push(op(RETURN, 0, 0, FAIL));
    let filter = libc::sock_fprog { len: program.len() as u16, filter: program.as_mut_ptr() };
    // SAFETY: prctl with PR_SET_NO_NEW_PRIVS takes flags only; PR_SET_SECCOMP
    // reads the filter program, which lives until the call returns.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0, "no_new_privs");
        assert_eq!(libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &filter), 0, "seccomp");
    }
}

/// Send `signal` to the one process `pid`, which must be a real pid: 0 or
/// a negative number would signal a whole group, or every process this
/// user may signal (a library bug that gave such a pid must fail here, not
/// end the session).
fn signal_one(pid: i32, signal: libc::c_int) {
    assert!(pid > 0, "{pid} is not the pid of one process");
    // SAFETY: kill takes a pid and a signal number.
    unsafe { libc::kill(pid, signal) };
}

/// Processor time used by this process's children that have been waited for.
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn squares(n: u64) -> Vec<u64> {
    (0..n).map(square).collect()
}

/// Has child `pid` ended and been collected (no process, no zombie)?
fn reaped(pid: i32) -> bool {
    use nix::sys::wait::{waitpid, WaitPidFlag};
    matches!(waitpid(nix::unistd::Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)), Err(nix::errno::Errno::ECHILD))
}

/// Does process `pid` ignore SIGTERM (its `SigIgn` mask in /proc)?
fn ignores_sigterm(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigIgn:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(mask, 16).is_ok_and(|m| m & (1 << (libc::SIGTERM - 1)) != 0)
}

/// Wait (bounded) until `ready` holds.
fn until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(Instant::now() < deadline, "gave up waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn main() {
    let case = std::env::args().nth(1).unwrap_or_default();
    match case.as_str() {
        // Python numbers a child's children below the child: Process-1:1, Process-2:1.
        // Each primitive's wait, traced: run with LOCAL_PROCS_TRACE_DIR set.
        "sync-traced" => {
            assert!(local_procs::trace::init_from_env(), "LOCAL_PROCS_TRACE_DIR names the trace's folder");
            let (event, slots) = (Event::new().unwrap(), Semaphore::new(0).unwrap());
            let (lock, condition) = (Lock::new().unwrap(), Condition::new().unwrap());
            let mut waiter = Process::new({
                let (event, slots, lock, condition) = (event.clone(), slots.clone(), lock.clone(), condition.clone());
                move || {
                    event.wait();
                    assert!(slots.acquire_timeout(Duration::from_secs(10)));
                    drop(lock.acquire());
                    let mut guard = condition.acquire();
                    let _ = guard.wait_timeout(Duration::from_millis(1));
                }
            })
            .with_name("Waiter");
            waiter.start().unwrap();
            event.set();
            slots.release();
            assert_eq!(waiter.join().unwrap(), 0);
        }
        "grandchildren" => {
            let mut parents: Vec<Process> = (0..2)
                .map(|_| {
                    Process::new(|| {
                        let mut child = Process::new(|| println!("{}", current_name()));
                        child.start().expect("the grandchild starts");
                        child.join().expect("the grandchild ends");
                    })
                })
                .collect();
            for parent in &mut parents {
                parent.start().expect("a child starts");
            }
            for parent in &mut parents {
                parent.join().expect("a child ends");
            }
        }
        // A fork that fails leaves the process as it was, to start again.
        "failed-fork" => {
            let mut p = Process::new(|| println!("the child ran"));
            deny_fork();
            println!("first start: {:?}", p.start().map_err(|e| e.to_string()));
            println!("second start: {:?}", p.start().map_err(|e| e.to_string()));
        }
        // With SIGCHLD ignored, the kernel reaps children itself: the exit
        // code is gone, and join must say so rather than invent one.
        "ignored-sigchld" => {
            // SAFETY: setting a signal's disposition to "ignore".
            unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
            let mut child = Process::new(|| std::process::exit(7));
            child.start().expect("the child starts");
            match child.join() {
                Ok(code) => println!("join: exit code {code}"),
                Err(error) => println!("join: error: {error}"),
            }
            println!("exit_code: {:?}", child.exit_code());
        }
        // A child killed by a real-time signal: its code is minus the signal.
        "realtime-signal" => {
            let mut child = Process::new(|| std::thread::sleep(Duration::from_secs(60)));
            child.start().expect("the child starts");
            let signal = libc::SIGRTMIN() + 2;
            signal_one(child.pid().expect("started").as_raw(), signal);
            println!("signal {signal}: exit code {:?}", child.join().map_err(|e| e.to_string()));
        }
        // The kernel's names for a child's state, each brought about.
        "kernel-states" => {
            let state_within = |child: &Process, wanted: &str| {
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let state = child.kernel_state();
                    if state == Some(wanted) || Instant::now() > deadline {
                        return state;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            };
            let mut sleeper = Process::new(|| std::thread::sleep(Duration::from_secs(30)));
            println!("not started: {:?}", sleeper.kernel_state());
            sleeper.start().expect("start");
            println!("asleep: {:?}", state_within(&sleeper, "sleeping"));
            signal_one(sleeper.pid().expect("started").as_raw(), libc::SIGSTOP);
            println!("stopped: {:?}", state_within(&sleeper, "stopped"));
            sleeper.kill().expect("kill");
            sleeper.join().expect("join");
            println!("collected: {:?}", sleeper.kernel_state());
            let mut spinner = Process::new(|| {
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(30) {
                    std::hint::spin_loop();
                }
            });
            spinner.start().expect("start");
            println!("computing: {:?}", state_within(&spinner, "running"));
            spinner.kill().expect("kill");
            spinner.join().expect("join");
        }
        // Python's is_alive: false once the child has ended (and its end
        // collected); in between it is a zombie, which wait_ended waits for.
        "ended-is-not-alive" => {
            let mut child = Process::new(|| std::thread::sleep(Duration::from_secs(30)));
            println!("before start: alive {}, daemon {}", child.is_alive(), child.is_daemon());
            child.start().expect("the child starts");
            println!("running: alive {}", child.is_alive());
            child.terminate().expect("terminate");
            println!("ended within 10 s: {:?}", child.wait_ended(Duration::from_secs(10)));
            println!("before collecting: {:?}", child.kernel_state());
            println!("then: alive {}, {:?}", child.is_alive(), child.kernel_state());
            println!("exit code {:?}", child.exit_code());
            // A daemon may not start children.
            let mut daemon = Process::new(|| {
                let mut grandchild = Process::new(|| {});
                println!("a daemon's child: {:?}", grandchild.start().map_err(|e| e.to_string()));
            })
            .with_name("d")
            .daemon(true);
            daemon.start().expect("start");
            println!("the daemon: {:?}", daemon.join());
        }
        "kill" => {
            let mut child = Process::new(|| std::thread::sleep(Duration::from_secs(60)));
            child.start().expect("the child starts");
            child.kill().expect("kill");
            println!("alive {}", child.is_alive());
            println!("exit code {:?}", child.join().map_err(|e| e.to_string()));
            println!("alive {}", child.is_alive());
        }
        // A process dies holding the queue's lock, as one killed mid-put
        // would: the queue must say it is broken, not carry on.
        "queue-owner-died" => {
            let mut queue: Queue<u32> = Queue::new().expect("a queue");
            queue.put(&1).expect("put");
            let dying = queue.clone();
            let mut child = Process::new(move || dying.die_holding_the_lock());
            child.start().expect("the child starts");
            println!("child: {:?}", child.join().map_err(|e| e.to_string()));
            println!("get: {:?}", queue.get_timeout(Duration::from_secs(5)).map_err(|e| e.to_string()));
            println!("put: {:?}", queue.put(&2).map_err(|e| e.to_string()));
        }
        // Processes asleep in a queue when another dies holding its lock
        // wake up and say it is broken, even if nobody else touches the
        // queue: a consumer on an empty queue, a producer on a full one.
        "queue-broken-wakes-sleepers" => {
            let empty: Queue<u32> = Queue::new().expect("a queue");
            let full: Queue<u32> = Queue::with_capacity(64).expect("a small queue");
            let mut filler = full.clone();
            while filler.put_timeout(&u32::MAX, Duration::from_millis(50)).is_ok() {}
            let mut sleepers = Vec::new();
            for name in ["consumer-1", "consumer-2"] {
                let mut queue = empty.clone();
                let mut process = Process::new(move || match queue.get() {
                    Ok(item) => println!("{name} got {item}"),
                    Err(error) => println!("{name}: {error}"),
                })
                .with_name(name);
                process.start().expect("a consumer starts");
                sleepers.push(process);
            }
            let mut queue = full.clone();
            let mut producer = Process::new(move || match queue.put(&7) {
                Ok(()) => println!("producer put"),
                Err(error) => println!("producer: {error}"),
            })
            .with_name("producer");
            producer.start().expect("the producer starts");
            sleepers.push(producer);
            until("every sleeper sleeps", || empty.waiting_getters() == 2 && full.waiting_putters() == 1);
            for queue in [empty.clone(), full.clone()] {
                let mut child = Process::new(move || queue.die_holding_the_lock());
                child.start().expect("the child starts");
                child.join().expect("the child ends");
            }
            for mut sleeper in sleepers {
                let ended = sleeper.join_timeout(Duration::from_secs(10)).map_err(|e| e.to_string());
                println!("{} ended: {ended:?}", sleeper.name());
            }
        }
        // Each primitive's defining property, watched from outside so that
        // a primitive that did nothing would show: a lock that excludes, a
        // barrier that holds every round, an event whose wait waits, a
        // panicking child's exit code, a queue whose ring wraps while full.
        "primitives" => {
            let limit = Duration::from_secs(20);
            // Lock: three processes each enter a section 40 times; how
            // many were ever inside at once?
            let lock = Lock::new().expect("a lock");
            let (inside, most) = (Value::new(0u32).expect("a value"), Value::new(0u32).expect("a value"));
            let mut workers: Vec<Process> = (0..3)
                .map(|_| {
                    let (lock, inside, most) = (lock.clone(), inside.clone(), most.clone());
                    Process::new(move || {
                        for _ in 0..40 {
                            let _held = lock.acquire();
                            let now = {
                                let mut n = inside.lock();
                                *n += 1;
                                *n
                            };
                            most.set(most.get().max(now));
                            std::thread::sleep(Duration::from_micros(500));
                            *inside.lock() -= 1;
                        }
                    })
                })
                .collect();
            for p in &mut workers {
                p.start().expect("start");
            }
            for p in &mut workers {
                p.join().expect("join");
            }
            println!("lock: most inside at once: {}", most.get());

            // A lock held by another process: acquire_timeout waits for it
            // (not past its limit), then takes it.
            let (held, holder_has_it) = (lock.clone(), Event::new().expect("an event"));
            let has_it = holder_has_it.clone();
            let mut holder = Process::new(move || {
                let _held = held.acquire();
                has_it.set();
                std::thread::sleep(Duration::from_millis(300));
            });
            holder.start().expect("start");
            assert!(holder_has_it.wait_timeout(limit), "the holder never took the lock");
            let waited = lock.acquire_timeout(limit).map(|guard| !guard.previous_holder_died());
            println!("lock: acquire_timeout waited for the holder: {waited:?}");
            holder.join().expect("join");
            println!("barrier of one: {:?}", Barrier::new(1).expect("a barrier").wait());

            // Barrier: two parties, three rounds; the second party is slow
            // to arrive each round. Every arrival of a round must come
            // before every passing of it.
            let barrier = Barrier::new(2).expect("a barrier");
            let log: Queue<(u8, u8, bool)> = Queue::new().expect("a queue");
            let mut parties: Vec<Process> = (0..2u8)
                .map(|party| {
                    let (barrier, mut log) = (barrier.clone(), log.clone());
                    Process::new(move || {
                        for round in 0..3u8 {
                            if party == 1 {
                                std::thread::sleep(Duration::from_millis(100));
                            }
                            log.put(&(party, round, false)).expect("put");
                            barrier.wait_timeout(limit).expect("the barrier");
                            log.put(&(party, round, true)).expect("put");
                        }
                    })
                })
                .collect();
            for p in &mut parties {
                p.start().expect("start");
            }
            for p in &mut parties {
                p.join().expect("join");
            }
            let mut log = log;
            let mut events = Vec::new();
            while let Ok(Some(event)) = log.try_get() {
                events.push(event);
            }
            let held = (0..3u8).all(|round| {
                let last_arrival = events.iter().rposition(|&(_, r, passed)| r == round && !passed);
                let first_pass = events.iter().position(|&(_, r, passed)| r == round && passed);
                matches!((last_arrival, first_pass), (Some(a), Some(p)) if a < p)
            });
            println!("barrier: {} events, every round held until both arrived: {held}", events.len());

            // Event: a child waits (no limit) and then looks at the flag.
            let flag = Event::new().expect("an event");
            let (waiter, seen) = (flag.clone(), Value::new(0u8).expect("a value"));
            let answer = seen.clone();
            let mut child = Process::new(move || {
                waiter.wait();
                answer.set(1 + u8::from(waiter.is_set()));
            });
            child.start().expect("start");
            std::thread::sleep(Duration::from_millis(200));
            let early = seen.get();
            flag.set();
            child.join().expect("join");
            println!("event: before set the waiter had {}, after: set seen {}", early, seen.get() == 2);

            // A child that panics ends with status 1, never 0.
            let mut child = Process::new(|| panic!("on purpose"));
            child.start().expect("start");
            println!("panicking child: {:?}", child.join().map_err(|e| e.to_string()));

            // Queue: a small ring, full most of the time, wrapped many times
            // by a producer and two consumers: every item arrives once.
            let queue: Queue<u32> = Queue::with_capacity(40).expect("a small queue");
            let mut producer_queue = queue.clone();
            let mut producer = Process::new(move || {
                for i in 0..3000u32 {
                    producer_queue.put(&i).expect("put");
                }
            });
            let got: Queue<u32> = Queue::with_capacity(1 << 16).expect("a queue");
            let mut consumers: Vec<Process> = (0..2)
                .map(|_| {
                    let (mut queue, mut got) = (queue.clone(), got.clone());
                    Process::new(move || {
                        while let Ok(item) = queue.get_timeout(Duration::from_millis(500)) {
                            got.put(&item).expect("put");
                        }
                    })
                })
                .collect();
            producer.start().expect("start");
            for c in &mut consumers {
                c.start().expect("start");
            }
            producer.join().expect("join");
            for c in &mut consumers {
                c.join().expect("join");
            }
            let mut got = got;
            let mut items = Vec::new();
            while let Ok(Some(item)) = got.try_get() {
                items.push(item);
            }
            items.sort_unstable();
            println!("queue: every item once: {}", items == (0..3000).collect::<Vec<u32>>());
        }
        // Each call of a pipe's ends, against another process.
        "pipe-calls" => {
            use local_procs::pipe;
            let (mut tx, mut rx) = pipe::<String>().expect("a pipe");
            let mut child = Process::new(move || {
                std::thread::sleep(Duration::from_millis(200));
                tx.send(&"late".to_owned()).expect("send");
                tx.send(&"x".repeat(1 << 20)).expect("send a message larger than the pipe");
            });
            child.start().expect("start");
            println!("recv_timeout, sent meanwhile: {:?}", rx.recv_timeout(Duration::from_secs(10)));
            let large = rx.recv_timeout(Duration::from_secs(10)).expect("the large one");
            println!("a message larger than the pipe: {:?} bytes", large.map(|m| m.len()));
            println!("then the end: {:?}", rx.recv_timeout(Duration::from_secs(10)));
            child.join().expect("join");

            let (tx, mut rx) = pipe::<u32>().expect("a pipe");
            let waited = rx.recv_timeout(Duration::from_millis(100)).map_err(|e| e.to_string());
            println!("recv_timeout, nothing sent, sender open: {waited:?}");
            drop(rx);
            let mut tx = tx;
            println!("send, receiver closed: {:?}", tx.send(&1).map_err(|e| e.to_string()));

            let (tx, mut rx) = pipe::<u32>().expect("a pipe");
            let mut spare = tx.try_clone().expect("a second sender");
            drop(tx);
            spare.send(&7).expect("send");
            println!("a clone sends: {:?}", rx.recv_timeout(Duration::from_secs(10)));
            let open = rx.recv_timeout(Duration::from_millis(100)).map_err(|e| e.to_string());
            println!("first sender closed, the clone open: {open:?}");
            drop(spare);
            println!("both closed: {:?}", rx.recv_timeout(Duration::from_secs(10)));
        }
        // Each call of a queue against its bound: exact fits, a putter
        // that waits for room, a limit that is a limit.
        "queue-calls" => {
            // A Vec of 27 bytes encodes in 28 (a length byte first), and
            // takes 32 bytes of the ring with its 4-byte header.
            let item = vec![1u8; 27];
            let mut queue: Queue<Vec<u8>> = Queue::with_capacity(64).expect("a queue");
            println!("new: qsize {}, empty {}, putters {}", queue.qsize(), queue.is_empty(), queue.waiting_putters());
            let first = queue.put_timeout(&item, Duration::from_secs(1)).map_err(|e| e.to_string());
            let second = queue.put_timeout(&item, Duration::from_secs(1)).map_err(|e| e.to_string());
            println!("two items filling it exactly: {first:?} {second:?}");
            println!("full: qsize {}, empty {}", queue.qsize(), queue.is_empty());
            let (mut putter_queue, putter_item) = (queue.clone(), item.clone());
            let mut putter = Process::new(move || {
                putter_queue.put_timeout(&putter_item, Duration::from_secs(10)).expect("room within 10 s");
            });
            putter.start().expect("start");
            until("the putter waits", || queue.waiting_putters() == 1);
            println!("a putter waits: {}", queue.waiting_putters());
            queue.get_timeout(Duration::from_secs(10)).expect("an item");
            println!("the putter went on: {:?}", putter.join());
            let mut taker_queue = queue.clone();
            let mut taker = Process::new(move || {
                std::thread::sleep(Duration::from_millis(300));
                taker_queue.get_timeout(Duration::from_secs(10)).expect("an item");
            });
            taker.start().expect("start");
            let waited = queue.put_timeout(&item, Duration::from_secs(10)).map_err(|e| e.to_string());
            println!("put_timeout waited for room: {waited:?}");
            taker.join().expect("join");
            let mut whole: Queue<Vec<u8>> = Queue::with_capacity(64).expect("a queue");
            let all = whole.put_timeout(&vec![2u8; 59], Duration::from_secs(1)).map_err(|e| e.to_string());
            println!(
                "an item of exactly the capacity: {all:?}, then {:?}",
                whole.try_get().map(|i| i.map(|v| v.len()))
            );
        }
        // Room that a putter finds only after its deadline still counts: it
        // waits for room with a limit, is stopped (SIGSTOP) while it waits,
        // an item is taken, which makes exactly its room, and its deadline
        // passes while it is stopped; continued, it must put, not time out.
        "queue-room-at-the-deadline" => {
            let item = vec![1u8; 27]; // 32 bytes of the ring: two fill 64
            let mut queue: Queue<Vec<u8>> = Queue::with_capacity(64).expect("a queue");
            queue.put(&item).expect("put");
            queue.put(&item).expect("put");
            let (mut putter_queue, putter_item) = (queue.clone(), item.clone());
            let mut putter = Process::new(move || {
                putter_queue.put_timeout(&putter_item, Duration::from_millis(300)).expect("the room was there");
            });
            putter.start().expect("start");
            let pid = putter.pid().expect("started").as_raw();
            until("the putter sleeps, waiting for room", || {
                queue.waiting_putters() == 1 && putter.kernel_state() == Some("sleeping")
            });
            signal_one(pid, libc::SIGSTOP);
            until("the putter is stopped", || putter.kernel_state() == Some("stopped"));
            queue.get_timeout(Duration::from_secs(10)).expect("an item");
            // Past the putter's 300 ms for certain (its clock started before ours).
            std::thread::sleep(Duration::from_millis(400));
            signal_one(pid, libc::SIGCONT);
            println!("stopped past its deadline, continued: {:?}, qsize {}", putter.join(), queue.qsize());
        }
        // A getter asleep on an empty queue is woken by the put, and a
        // putter asleep on a full one by the get, not by their own next look
        // (every 100 ms, for a broken queue): twenty items each way, each
        // handed to a sleeper, must all go in far less than twenty looks.
        "queue-wakes-sleepers" => {
            let queue: Queue<u32> = Queue::new().expect("a queue");
            let asleep = |other: &Process, waiting: &dyn Fn() -> usize| {
                waiting() == 1 && other.kernel_state() == Some("sleeping")
            };
            let mut getter_queue = queue.clone();
            let mut getter = Process::new(move || {
                for _ in 0..20 {
                    getter_queue.get_timeout(Duration::from_secs(10)).expect("an item");
                }
            });
            getter.start().expect("start");
            let (mut taken, mut putter) = (Duration::ZERO, queue.clone());
            for k in 0..20 {
                until("the getter sleeps on the empty queue", || asleep(&getter, &|| queue.waiting_getters()));
                let put = Instant::now();
                putter.put(&k).expect("put");
                until("the item is taken", || queue.is_empty());
                taken += put.elapsed();
            }
            println!("getter: {:?}", getter.join());

            // A queue that one item fills: each put after the first sleeps.
            let small: Queue<Vec<u8>> = Queue::with_capacity(64).expect("a queue");
            let mut putter_queue = small.clone();
            let mut putter = Process::new(move || {
                for _ in 0..21 {
                    putter_queue.put_timeout(&vec![3u8; 50], Duration::from_secs(10)).expect("room");
                }
            });
            putter.start().expect("start");
            let (mut made_room, mut getter) = (Duration::ZERO, small.clone());
            for _ in 0..20 {
                until("the putter sleeps on the full queue", || asleep(&putter, &|| small.waiting_putters()));
                let got = Instant::now();
                getter.get().expect("an item");
                until("the next item is put", || small.qsize() == 1);
                made_room += got.elapsed();
            }
            println!("putter: {:?}", putter.join());
            // Each hand-off waits one look of the sleeper's without the
            // wake-up: about 2 s each way; with it, a few milliseconds.
            println!(
                "twenty hand-offs each way within 1 s: {} {}",
                taken < Duration::from_secs(1),
                made_room < Duration::from_secs(1)
            );
        }
        // Every shared object gives its memory back when its last handle
        // goes: two hundred queues and locks made and dropped leave the
        // process with the mappings it had.
        "shared-memory-returned" => {
            let mappings = || std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps").lines().count();
            let before = mappings();
            for _ in 0..100 {
                let queue: Queue<u32> = Queue::new().expect("a queue");
                let lock = Lock::new().expect("a lock");
                drop((queue.clone(), lock.clone()));
            }
            let after = mappings();
            println!("mappings left by 200 dropped objects: {}", after.saturating_sub(before) < 10);
        }
        // What a process prints as, and the children it keeps track of.
        "process-bookkeeping" => {
            let numbers = |text: String| -> String {
                text.split(|c: char| !c.is_ascii_digit())
                    .filter(|n| n.len() > 1)
                    .fold(text.clone(), |t, n| t.replacen(n, "N", 1))
            };
            // SAFETY: _exit ends the child at once.
            let mut three = Process::new(|| unsafe { libc::_exit(3) }).with_name("three");
            println!("{}", numbers(three.to_string()));
            three.start().expect("start");
            three.join().expect("join");
            println!("{}", numbers(three.to_string()));
            println!("Debug as Display: {}", format!("{three:?}") == three.to_string());
            let mut killed =
                Process::new(|| std::thread::sleep(Duration::from_secs(30))).with_name("killed").daemon(true);
            killed.start().expect("start");
            killed.kill().expect("kill");
            killed.join().expect("join");
            println!("{}", numbers(killed.to_string()));
            // Joining one child leaves the others tracked.
            let mut long = Process::new(|| std::thread::sleep(Duration::from_secs(30)));
            let mut short = Process::new(|| {});
            long.start().expect("start");
            short.start().expect("start");
            short.join().expect("join");
            let pid = long.pid().expect("started");
            println!("after joining the short one, the long one active: {}", active_children().contains(&pid));
            long.kill().expect("kill");
            long.join().expect("join");
            // A child that returns without joining its own child waits
            // for it all the same (Python's exit), before it ends.
            let done: Queue<String> = Queue::new().expect("a queue");
            let grand_done = done.clone();
            let mut parent = Process::new(move || {
                let mut grand_done = grand_done;
                let mut grandchild = Process::new(move || {
                    std::thread::sleep(Duration::from_millis(300));
                    grand_done.put(&"the grandchild ended".to_owned()).expect("put");
                });
                grandchild.start().expect("start");
            });
            parent.start().expect("start");
            parent.join().expect("join");
            let mut done = done;
            println!("when the child has ended: {:?}", done.try_get());
        }
        // Event, Semaphore, Condition and Barrier, each call checked for
        // what it must do, alone and against another process.
        "sync-calls" => {
            let short = Duration::from_millis(100);
            let long = Duration::from_secs(10);
            // After 200 ms, in a child, do `then`.
            let later = |then: Box<dyn FnOnce()>| {
                let mut child = Process::new(move || {
                    std::thread::sleep(Duration::from_millis(200));
                    then();
                });
                child.start().expect("start");
                child
            };

            let event = Event::new().expect("an event");
            print!("event: new {}", event.is_set());
            event.set();
            print!(", set {}", event.is_set());
            event.clear();
            print!(", cleared {}", event.is_set());
            println!(", wait_timeout unset {}", event.wait_timeout(short));
            let setter = event.clone();
            let mut child = later(Box::new(move || setter.set()));
            println!("event: wait_timeout, set by another meanwhile: {}", event.wait_timeout(long));
            child.join().expect("join");

            let slots = Semaphore::new(1).expect("a semaphore");
            print!("semaphore: value {}", slots.value());
            print!(", acquire_timeout {}", slots.acquire_timeout(short));
            print!(", value {}", slots.value());
            println!(", acquire_timeout at 0 {}", slots.acquire_timeout(short));
            let giver = slots.clone();
            let mut child = later(Box::new(move || giver.release()));
            slots.acquire();
            println!("semaphore: acquire waited for the release, value after {}", slots.value());
            child.join().expect("join");
            slots.release();
            slots.release();
            println!("semaphore: two releases, value {}", slots.value());

            let condition = Condition::new().expect("a condition");
            let flag = Value::new(0u8).expect("a value");
            println!("condition: wait_timeout, no notify: {}", condition.acquire().wait_timeout(short));
            for notify_all in [false, true] {
                flag.set(0);
                let (c, f) = (condition.clone(), flag.clone());
                let mut child = later(Box::new(move || {
                    let _held = c.acquire();
                    f.set(1);
                    if notify_all {
                        c.notify_all();
                    } else {
                        c.notify();
                    }
                }));
                let mut held = condition.acquire();
                // One wait: a notification must end it well before the limit.
                let woken = held.wait_timeout(long);
                drop(held);
                println!("condition: notify_all {notify_all}: woken {woken}, flag {}", flag.get());
                child.join().expect("join");
            }
            flag.set(0);
            let (c, f) = (condition.clone(), flag.clone());
            let mut child = later(Box::new(move || {
                let _held = c.acquire();
                f.set(1);
                c.notify_all();
            }));
            let mut held = condition.acquire();
            while flag.get() == 0 {
                held.wait();
            }
            drop(held);
            println!("condition: wait returned after the notify, flag {}", flag.get());
            child.join().expect("join");

            let barrier = Barrier::new(3).expect("a barrier");
            print!("barrier: parties {}, broken {}", barrier.parties(), barrier.is_broken());
            barrier.abort();
            println!(", after abort broken {}, waiting {}", barrier.is_broken(), barrier.n_waiting());
            // A party waiting 500 ms at a barrier sleeps: it uses almost no
            // processor time (a party that polled in a loop would use it all).
            let barrier = Barrier::new(2).expect("a barrier");
            let party = barrier.clone();
            let mut child = later(Box::new(move || drop(party.wait_timeout(long))));
            let before = children_cpu();
            let mut sleeper = Process::new(move || {
                drop(barrier.wait_timeout(long));
            });
            sleeper.start().expect("start");
            sleeper.join().expect("join");
            child.join().expect("join");
            let used = children_cpu() - before;
            println!("barrier: the waiting parties slept: {}", used < Duration::from_millis(150));
        }
        // A process that dies holding a lock (or a value's): the next guard
        // says so, once; the one after it does not.
        "dead-holder" => {
            let lock = Lock::new().expect("a lock");
            let value = Value::new(0u64).expect("a value");
            let (dying_lock, dying_value) = (lock.clone(), value.clone());
            let mut child = Process::new(move || {
                std::mem::forget(dying_lock.acquire());
                let mut half = dying_value.lock();
                *half = 1;
                std::mem::forget(half); // and ends, holding both
            });
            child.start().expect("start");
            child.join().expect("join");
            let first = lock.acquire_timeout(Duration::from_secs(5)).expect("the lock is taken over");
            println!("lock: previous holder died: {}", first.previous_holder_died());
            drop(first);
            println!("lock again: previous holder died: {}", lock.acquire().previous_holder_died());
            let guard = value.lock();
            println!("value: previous holder died: {}, value {}", guard.previous_holder_died(), *guard);
            drop(guard);
            println!("value again: previous holder died: {}", value.lock().previous_holder_died());
            let condition = Condition::new().expect("a condition");
            let dying = condition.clone();
            let mut child = Process::new(move || std::mem::forget(dying.acquire()));
            child.start().expect("start");
            child.join().expect("join");
            println!("condition: previous holder died: {}", condition.acquire().previous_holder_died());
            println!("condition again: previous holder died: {}", condition.acquire().previous_holder_died());
        }
        // Handles dropped without join: their children, once ended, are
        // reaped by the next start (as Python's), not left as zombies.
        "dropped-handles-reaped" => {
            let pids: Vec<i32> = (0..20)
                .map(|_| {
                    let mut child = Process::new(|| {});
                    child.start().expect("start");
                    child.pid().expect("started").as_raw()
                })
                .collect();
            let zombie = |pid: &i32| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
            };
            // Each start reaped the ended children dropped before it; the
            // last one has had no start after it.
            let gone = |pid: &i32| !std::path::Path::new(&format!("/proc/{pid}")).exists();
            until("the dropped children have ended", || pids.iter().all(|p| zombie(p) || gone(p)));
            println!("the last one, ended, is a zombie: {}", zombie(&pids[19]));
            let mut next = Process::new(|| {});
            next.start().expect("start");
            next.join().expect("join");
            println!("left after the next start: {}", pids.iter().filter(|p| !gone(p)).count());
        }
        // A consumer killed while it waits leaves the queue working: the
        // next consumer is woken by the next put.
        "queue-waiter-killed" => {
            let mut queue: Queue<u32> = Queue::new().expect("a queue");
            let mut first_queue = queue.clone();
            let mut first = Process::new(move || {
                let _ = first_queue.get();
            });
            first.start().expect("the first consumer starts");
            // Counted as waiting, and asleep: it counts itself while it
            // holds the queue's lock, and a kill then would break the queue
            // (another test's matter); asleep, it has let the lock go.
            until("the first consumer sleeps in get", || {
                queue.waiting_getters() == 1 && first.kernel_state() == Some("sleeping")
            });
            first.kill().expect("kill");
            println!("first consumer: {:?}", first.join().map_err(|e| e.to_string()));
            let mut second_queue = queue.clone();
            let mut second = Process::new(move || match second_queue.get_timeout(Duration::from_secs(10)) {
                Ok(item) => println!("second consumer got {item}"),
                Err(error) => println!("second consumer: {error}"),
            });
            second.start().expect("the second consumer starts");
            // The killed consumer still counts as waiting: it never left.
            until("the second consumer waits", || queue.waiting_getters() == 2);
            queue.put(&42).expect("put");
            println!("second consumer: {:?}", second.join().map_err(|e| e.to_string()));
        }
        // Closing one pool while another is alive: the other's workers hold
        // copies of its task pipes, so their end never comes; the stop
        // message does. (A join that had to wait out its minute would fail
        // the test's time limit.)
        "pool-close-beside-another" => {
            let mut a = Pool::new(2).expect("pool a");
            let mut b = Pool::new(2).expect("pool b");
            a.close();
            println!("join a: {:?}", a.join(Duration::from_secs(60)).map_err(|e| e.to_string()));
            println!("map b: {}", b.map(square, 0..10).expect("map b") == squares(10));
            b.close();
            println!("join b: {:?}", b.join(Duration::from_secs(60)).map_err(|e| e.to_string()));
        }
        "pool-after-close" => {
            let mut pool = Pool::new(2).expect("a pool");
            println!("join while running: {:?}", pool.join(Duration::from_secs(5)).map_err(|e| e.to_string()));
            pool.close();
            println!("map after close: {:?}", pool.map(square, 0..4).map_err(|e| e.to_string()));
            pool.join(Duration::from_secs(30)).expect("join");
            let mut other = Pool::new(2).expect("a pool");
            other.terminate();
            println!("map after terminate: {:?}", other.map(square, 0..4).map_err(|e| e.to_string()));
        }
        // A worker killed between maps held no task: say so, blame none.
        // Each worker holds its own two pipe ends and no other worker's:
        // the pool closes, in each new worker, the copies fork gave it.
        "pool-workers-hold-only-their-pipes" => {
            let pool = Pool::new(4).expect("a pool");
            let counts = || -> Vec<usize> {
                pool.pids()
                    .iter()
                    .map(|pid| std::fs::read_dir(format!("/proc/{pid}/fd")).expect("the worker's fds").count())
                    .collect()
            };
            // A worker closes its copies just after it starts: look until
            // all agree, for 5 s at most.
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut same = false;
            while !same && Instant::now() < deadline {
                same = counts().windows(2).all(|w| w[0] == w[1]);
                std::thread::sleep(Duration::from_millis(5));
            }
            println!("descriptors per worker, all the same: {same}");
        }
        // A worker that dies on its fourth chunk is blamed for the input it
        // was running, not one of an earlier chunk.
        // Each worker's progress is its own: a worker that dies is named
        // with its input, not with the one another worker runs meanwhile.
        "pool-death-names-its-own-input" => {
            let dir = std::env::temp_dir().join(format!("pool-death-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a folder");
            // Set before the pool forks: the workers inherit it.
            std::env::set_var("MARK_FILE", dir.join("mark"));
            let mut pool = Pool::new(2).expect("a pool");
            let died = pool.map_chunked(dies_while_the_other_runs, vec![0, 1], 1).map_err(|e| e.to_string());
            println!("map: {died:?}");
            let _ = std::fs::remove_dir_all(&dir);
        }
        "pool-worker-dies-on-a-later-chunk" => {
            let mut pool = Pool::new(1).expect("a pool");
            let numbers = pool.map_chunked(dies_at_37, (0..100).collect(), 10).map_err(|e| e.to_string());
            println!("numbers: {numbers:?}");
            let mut pool = Pool::new(1).expect("a pool");
            let texts = (0..100).map(|i: u32| i.to_string()).collect();
            let texts = pool.map_chunked(dies_at_text_37, texts, 10).map_err(|e| e.to_string());
            println!("texts: {texts:?}");
        }
        // What Pool::map promises beyond its results: the chunks, the
        // routes, the failure it names, the task time limit, async tasks.
        "pool-map-details" => {
            let mut pool = Pool::new(4).expect("a pool");
            let filtered = pool.map(square, (0..100u64).filter(|x| x % 2 == 0)).expect("map");
            let right = filtered == (0..100u64).filter(|x| x % 2 == 0).map(square).collect::<Vec<_>>();
            println!("filtered: {} results, right: {right}", filtered.len());
            // 1000 inputs, 4 workers: chunks of ceil(1000 / 16) = 63. A
            // worker runs a chunk whole, so the worker changes only where
            // a chunk begins.
            let owners = pool.map(whose, 0..1000u64).expect("map");
            let at_chunks = owners.windows(2).enumerate().all(|(i, w)| w[0].1 == w[1].1 || (i + 1) % 63 == 0);
            let changes = owners.windows(2).filter(|w| w[0].1 != w[1].1).count();
            println!("every change of worker at a multiple of 63: {}", at_chunks && changes > 0);
            let mut one = Pool::new(1).expect("a pool");
            let big = one.map_chunked(square, (0..5_000_000u64).collect(), 5_000_000);
            println!(
                "a chunk of 5000000 numbers: {:?}",
                big.map(|r| r.len() == 5_000_000 && r[4_999_999] == 4_999_999 * 4_999_999)
            );
            let mut two = Pool::new(2).expect("a pool");
            let failed = two.map_chunked(fails_at_7_late_and_20, (0..100u64).collect(), 13).map_err(|e| e.to_string());
            println!("two failures: {failed:?}");
            two.set_task_timeout(Some(Duration::from_secs(10)));
            println!("with a task time limit of 10 s: {:?}", two.map(square, 0..100u64).map(|r| r == squares(100)));
            let (first, second) =
                (two.apply_async(square, 12).expect("async"), two.apply_async(square, 13).expect("async"));
            println!(
                "two async results: {:?} {:?}",
                first.get(&mut two).map_err(|e| e.to_string()),
                second.get(&mut two).map_err(|e| e.to_string())
            );
            // ready(): false while the task runs, true once its result is there.
            let slow = two.apply_async(slow_square, 11).expect("async");
            let early = slow.ready(&two);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !slow.ready(&two) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            println!("ready while running: {early}, then: {}, result {:?}", slow.ready(&two), slow.get(&mut two).ok());
            println!(
                "daemon flag: {}, default {}",
                Process::new(|| {}).daemon(true).is_daemon(),
                Process::new(|| {}).is_daemon()
            );
        }
        "pool-idle-worker-dies" => {
            let mut pool = Pool::new(2).expect("a pool");
            println!("first map: {}", pool.map(square, 0..100).expect("map") == squares(100));
            let pid = pool.pids()[0];
            signal_one(pid, libc::SIGKILL);
            until("the worker is gone", || {
                std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
            });
            println!(
                "second map: {:?}",
                pool.map(square, 0..100).map(|r| r == squares(100)).map_err(|e| e.to_string())
            );
        }
        // A map left by a panic (here, in its inputs) leaves chunks in
        // flight; the next map must not take their results as its own.
        "pool-panic-in-map" => {
            let mut pool = Pool::new(2).expect("a pool");
            // The count is known, so map takes the inputs a chunk at a time:
            // the panic comes while earlier chunks are still in the workers.
            let inputs = (0..1000u64).map(|x| if x == 900 { panic!("input 900") } else { x });
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.map(square, inputs)));
            println!("first map unwound: {}", unwound.is_err());
            let again = pool.map(square, 0..1000u64);
            match again {
                Ok(results) => println!("second map: correct {}", results == squares(1000)),
                Err(error) => println!("second map: error: {error}"),
            }
        }
        // The child's copy of the parent's pool (fork copies it), dropped in
        // the child, must leave the parent's workers alone: a handle acts
        // only in the process that made it.
        // A task that fails (panics) comes back as an error naming its
        // input and message, in map as in apply_async; the pool goes on.
        "pool-task-fails" => {
            let mut pool = Pool::new(2).expect("a pool");
            println!("map: {:?}", pool.map(fails_at_seven, 0..100u64).map_err(|e| e.to_string()));
            println!("map again: {:?}", pool.map(square, 0..100u64).map(|r| r == squares(100)));
            // Chunks of 13 pairs: input 20 is the eighth of the second chunk.
            let pairs = (0..100u64).map(|base| (base, 2u32));
            println!("starmap: {:?}", pool.starmap(power_but_not_of_twenty, pairs).map_err(|e| e.to_string()));
            let strings: Vec<String> = (0..20).map(|i| i.to_string()).collect();
            let failed = pool.map(parse_below_ten, strings).map_err(|e| e.to_string());
            println!("map of strings: {failed:?}");
            let bad = pool.apply_async(fails_at_seven, 7).expect("started");
            println!("async get: {:?}", bad.get(&mut pool).map_err(|e| e.to_string()));
            let good = pool.apply_async(square, 12).expect("started");
            println!("async after: {:?}", good.get(&mut pool).map_err(|e| e.to_string()));
            println!("map after async: {:?}", pool.map(square, 0..10u64).map(|r| r == squares(10)));
            pool.close();
            println!("join: {:?}", pool.join(Duration::from_secs(30)).map_err(|e| e.to_string()));
        }
        // An async result larger than a pipe holds, not yet taken when the
        // pool is closed: join takes it, the worker ends, get has it.
        "pool-async-large-after-close" => {
            let mut pool = Pool::new(2).expect("a pool");
            let pending = pool.apply_async(bytes, 1 << 20).expect("started");
            pool.close();
            println!("join: {:?}", pool.join(Duration::from_secs(20)).map_err(|e| e.to_string()));
            let got = pending.get(&mut pool).map(|v| v.len() == 1 << 20 && v.iter().all(|&b| b == 7));
            println!("get: {:?}", got.map_err(|e| e.to_string()));
        }
        // A pool handle in a child (fork copies it) acts on nothing: the
        // workers are the parent's.
        "pool-used-in-child" => {
            let mut pool = Pool::new(2).expect("a pool");
            let address = &mut pool as *mut Pool as usize;
            let mut child = Process::new(move || {
                // SAFETY: the child's memory is a copy of the parent's: the
                // address holds the child's own copy of the pool.
                let copy = unsafe { &mut *(address as *mut Pool) };
                println!("child map: {:?}", copy.map(square, 0..4u64).map_err(|e| e.to_string()));
                copy.close();
            });
            child.start().expect("the child starts");
            child.join().expect("the child ends");
            println!("parent map after: {:?}", pool.map(square, 0..10u64).map(|r| r == squares(10)));
        }
        // A dropped pool leaves no worker: neither running nor a zombie.
        "pool-dropped" => {
            let mut pool = Pool::new(3).expect("a pool");
            println!("map: {:?}", pool.map(square, 0..10).map(|r| r == squares(10)));
            let pids = pool.pids();
            drop(pool);
            println!("workers left after drop: {}", pids.iter().filter(|&&p| !reaped(p)).count());
        }
        // terminate kills a worker that ignores SIGTERM (after its grace),
        // and join after terminate has nothing to collect.
        "pool-terminate-deaf-worker" => {
            let mut pool = Pool::new(2).expect("a pool");
            pool.set_terminate_grace(Duration::from_millis(300));
            let pending = pool.apply_async(deaf_to_sigterm, 1).expect("started");
            let pids = pool.pids();
            until("a worker ignores SIGTERM", || pids.iter().any(|&p| ignores_sigterm(p)));
            let started = Instant::now();
            pool.terminate();
            let took = started.elapsed();
            println!("workers left after terminate: {}", pids.iter().filter(|&&p| !reaped(p)).count());
            // (Not the default 5 s: well before it, on any machine.)
            println!(
                "terminate waited out the grace, and no longer: {}",
                took >= Duration::from_millis(300) && took < Duration::from_secs(3)
            );
            println!("join after terminate: {:?}", pool.join(Duration::from_secs(5)).map_err(|e| e.to_string()));
            println!("get: {:?}", pending.get(&mut pool).map_err(|e| e.to_string()));
        }
        "pool-dropped-in-child" => {
            let mut pool = Pool::new(2).expect("a pool");
            let address = &mut pool as *mut Pool as usize;
            let mut child = Process::new(move || {
                // SAFETY: the child's memory is a copy of the parent's, so the
                // address holds the child's own copy of the pool, dropped once
                // here, never used again (the child leaves with _exit).
                unsafe { std::ptr::drop_in_place(address as *mut Pool) };
            });
            child.start().expect("the child starts");
            child.join().expect("the child ends");
            println!("map after the child dropped its copy: {:?}", pool.map(square, 0..10).map(|r| r == squares(10)));
        }
        // A party that arrives late holds the other at the barrier: the
        // early one passes only after the late one has arrived.
        "barrier-late-party" => {
            let barrier = Barrier::new(2).expect("a barrier");
            let mut events: Queue<String> = Queue::new().expect("a queue");
            let (early_barrier, mut early_events) = (barrier.clone(), events.clone());
            let mut early = Process::new(move || {
                early_barrier.wait_timeout(Duration::from_secs(20)).expect("the barrier");
                early_events.put(&"early passed".to_owned()).expect("put");
            });
            let (late_barrier, mut late_events) = (barrier.clone(), events.clone());
            let mut late = Process::new(move || {
                std::thread::sleep(Duration::from_millis(300));
                late_events.put(&"late arrived".to_owned()).expect("put");
                late_barrier.wait_timeout(Duration::from_secs(20)).expect("the barrier");
            });
            early.start().expect("start");
            late.start().expect("start");
            let first = events.get_timeout(Duration::from_secs(20)).expect("an event");
            let second = events.get_timeout(Duration::from_secs(20)).expect("an event");
            println!("{first}, then {second}");
            early.join().expect("join");
            late.join().expect("join");
        }
        // A party killed while it waits breaks the barrier for the others,
        // whether they were waiting already or arrive after.
        "barrier-party-killed" => {
            let barrier = Barrier::new(3).expect("a barrier");
            let outcome: Queue<String> = Queue::new().expect("a queue");
            let waiter = |barrier: &Barrier, outcome: &Queue<String>| {
                let (barrier, mut outcome) = (barrier.clone(), outcome.clone());
                Process::new(move || {
                    let said = match barrier.wait() {
                        Ok(_) => "passed".to_owned(),
                        Err(e) => e.to_string(),
                    };
                    outcome.put(&said).expect("put");
                })
            };
            let (mut doomed, mut other) = (waiter(&barrier, &outcome), waiter(&barrier, &outcome));
            doomed.start().expect("start");
            other.start().expect("start");
            until("both wait", || barrier.n_waiting() == 2);
            doomed.kill().expect("kill");
            println!("the killed party: {:?}", doomed.join());
            let mut outcome = outcome;
            println!("the party waiting with it: {:?}", outcome.get_timeout(Duration::from_secs(10)));
            println!(
                "a party arriving after: {:?}",
                barrier.wait_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())
            );
            other.join().expect("join");
            barrier.reset();
            println!("after reset, broken: {}", barrier.is_broken());
            // Killed while the two others are on their way: the last to arrive must not pass.
            let mut doomed = waiter(&barrier, &outcome);
            doomed.start().expect("start");
            until("it waits", || barrier.n_waiting() == 1);
            doomed.kill().expect("kill");
            doomed.join().expect("join");
            let mut second = waiter(&barrier, &outcome);
            second.start().expect("start");
            let last = barrier.wait_timeout(Duration::from_secs(10)).map_err(|e| e.to_string());
            let second_said = outcome.get_timeout(Duration::from_secs(10));
            println!("the two left, after a death: {last:?} and {second_said:?}");
            second.join().expect("join");
        }
        // abort and reset, a time limit, and a party that dies before it
        // arrives (the parent sees it and aborts).
        "barrier-abort-reset" => {
            let barrier = Barrier::new(2).expect("a barrier");
            let outcome: Queue<String> = Queue::new().expect("a queue");
            let waiter_at = |barrier: &Barrier, limit: Option<Duration>| {
                let (barrier, mut outcome) = (barrier.clone(), outcome.clone());
                Process::new(move || {
                    let result = match limit {
                        Some(limit) => barrier.wait_timeout(limit),
                        None => barrier.wait(),
                    };
                    outcome.put(&result.map_or_else(|e| e.to_string(), |_| "passed".to_owned())).expect("put");
                })
            };
            let waiter = |limit| waiter_at(&barrier, limit);
            let mut outcome = outcome.clone();
            let mut get = || outcome.get_timeout(Duration::from_secs(10)).expect("an outcome");
            // abort
            let mut p = waiter(None);
            p.start().expect("start");
            until("it waits", || barrier.n_waiting() == 1);
            barrier.abort();
            println!("abort: the waiting party: {}", get());
            println!("abort: a later wait: {:?}", barrier.wait().map_err(|e| e.to_string()));
            p.join().expect("join");
            // reset while a party waits
            barrier.reset();
            let mut p = waiter(None);
            p.start().expect("start");
            until("it waits", || barrier.n_waiting() == 1);
            barrier.reset();
            println!("reset: the waiting party: {}", get());
            p.join().expect("join");
            // whole again: two rounds pass
            for round in 0..2 {
                let mut p = waiter(None);
                p.start().expect("start");
                let mine = barrier.wait_timeout(Duration::from_secs(10)).map_err(|e| e.to_string());
                println!("round {round}: {mine:?}, {}", get());
                p.join().expect("join");
            }
            // a time limit passes (the third party never comes): that
            // party times out, the other is told why
            let three = Barrier::new(3).expect("a barrier");
            let mut p = waiter_at(&three, None);
            p.start().expect("start");
            until("it waits", || three.n_waiting() == 1);
            let mut hasty = waiter_at(&three, Some(Duration::from_millis(100)));
            hasty.start().expect("start");
            let first = get();
            let second = get();
            let mut said = [first, second];
            said.sort();
            println!("time limit: {said:?}");
            p.join().expect("join");
            hasty.join().expect("join");
            // a party dies before it arrives: the parent sees it and aborts
            barrier.reset();
            let mut p = waiter(None);
            p.start().expect("start");
            // SAFETY: _exit ends the child at once, as a crash would.
            let mut dies = Process::new(|| unsafe { libc::_exit(3) });
            dies.start().expect("start");
            if dies.join().expect("join") != 0 {
                barrier.abort();
            }
            println!("died before arriving: the waiting party: {}", get());
            p.join().expect("join");
        }
        // Claims the library makes, each checked once.
        "claims" => {
            // fork refuses a program that runs other threads
            let _thread = std::thread::spawn(|| std::thread::sleep(Duration::from_secs(30)));
            until("the thread runs", || {
                std::fs::read_to_string("/proc/self/status").is_ok_and(|s| s.contains("Threads:\t2"))
            });
            let mut p = Process::new(|| {});
            println!("fork with 2 threads: {:?}", p.start().map_err(|e| e.to_string()));

            let mut small: Queue<Vec<u8>> = Queue::with_capacity(64).expect("a queue");
            println!("too large: {:?}", small.put(&vec![0u8; 1000]).map_err(|e| e.to_string()));
            small.put(&vec![1u8; 40]).expect("fits");
            let started = Instant::now();
            let full = small.put_timeout(&vec![2u8; 40], Duration::from_millis(100)).map_err(|e| e.to_string());
            println!(
                "put on a full queue: {full:?}, after at least 100 ms: {}",
                started.elapsed() >= Duration::from_millis(100)
            );
        }
        "claims-after-fork" => {
            // first in, first out, per producer
            let mut queue: Queue<(u32, u32)> = Queue::with_capacity(1 << 16).expect("a queue");
            let mut producers: Vec<Process> = (0..3)
                .map(|id| {
                    let mut q = queue.clone();
                    Process::new(move || {
                        for seq in 0..2000 {
                            q.put(&(id, seq)).expect("put");
                        }
                    })
                })
                .collect();
            for p in &mut producers {
                p.start().expect("start");
            }
            let mut next = [0u32; 3];
            let mut in_order = true;
            for _ in 0..6000 {
                let (id, seq) = queue.get_timeout(Duration::from_secs(20)).expect("an item");
                in_order &= seq == next[id as usize];
                next[id as usize] = seq + 1;
            }
            for p in &mut producers {
                p.join().expect("join");
            }
            println!("every producer's items in order: {in_order}, counts {next:?}");

            // join_timeout: None while running
            let mut sleeper = Process::new(|| std::thread::sleep(Duration::from_secs(60)));
            sleeper.start().expect("start");
            println!(
                "join_timeout on a sleeper: {:?}",
                sleeper.join_timeout(Duration::from_millis(50)).map_err(|e| e.to_string())
            );
            sleeper.kill().expect("kill");
            println!("then killed: {:?}", sleeper.join().map_err(|e| e.to_string()));

            // the pool: an iterator that miscounts, a task over its time limit
            let mut pool = Pool::new(2).expect("a pool");
            /// An iterator that promises `promised` items, whatever it gives.
            struct Liar<I> {
                items: I,
                promised: usize,
            }
            impl<I: Iterator<Item = u64>> Iterator for Liar<I> {
                type Item = u64;
                fn next(&mut self) -> Option<u64> {
                    self.items.next()
                }
                fn size_hint(&self) -> (usize, Option<usize>) {
                    (self.promised, Some(self.promised))
                }
            }
            let fewer = Liar { items: 0..5u64, promised: 10 };
            println!("miscounted: {:?}", pool.map(square, fewer).map_err(|e| e.to_string()));
            // Nine promised (chunks of two, the last of one), twelve given:
            // no chunk may take an input beyond the ninth.
            let more = Liar { items: 0..12u64, promised: 9 };
            // (A miscount stops the pool: a fresh one.)
            let mut pool = Pool::new(2).expect("a pool");
            println!("miscounted, more: {:?}", pool.map(square, more).map_err(|e| e.to_string()));
            let mut slow = Pool::new(1).expect("a pool");
            slow.set_task_timeout(Some(Duration::from_millis(200)));
            println!("task timeout: {:?}", slow.map(sleepy, 0..2u64).map_err(|e| e.to_string()));
        }
        // The rest of multiprocessing's vocabulary, across processes.
        "vocabulary" => {
            let limit = Duration::from_secs(20);
            // Value: four processes add 1000 each under the lock, once told
            // to go (so that all four are still running when counted).
            let counter = Value::new(0u64).expect("a value");
            let go = Event::new().expect("an event");
            let mut adders: Vec<Process> = (0..4)
                .map(|_| {
                    let (counter, go) = (counter.clone(), go.clone());
                    Process::new(move || {
                        assert!(go.wait_timeout(limit), "never told to go");
                        for _ in 0..1000 {
                            *counter.lock() += 1;
                        }
                    })
                })
                .collect();
            for p in &mut adders {
                p.start().expect("start");
            }
            println!("active children: {}", active_children().len());
            go.set();
            for p in &mut adders {
                p.join().expect("join");
            }
            println!("value: {}; active children after join: {}", counter.get(), active_children().len());

            // Array: a child fills it, the parent reads it.
            let array = Array::new(&[0u64; 10]).expect("an array");
            let filler = array.clone();
            let mut child = Process::new(move || {
                for (i, x) in filler.lock().iter_mut().enumerate() {
                    *x = (i * i) as u64;
                }
            });
            child.start().expect("start");
            child.join().expect("join");
            println!("array: {:?}", array.to_vec());

            // Event: the child waits for the flag the parent sets.
            let flag = Event::new().expect("an event");
            let (waiter, answer) = (flag.clone(), Value::new(0u8).expect("a value"));
            let seen = answer.clone();
            let mut child = Process::new(move || seen.set(u8::from(waiter.wait_timeout(limit))));
            child.start().expect("start");
            flag.set();
            child.join().expect("join");
            println!("event seen: {}; is_set: {}", answer.get(), flag.is_set());

            // Semaphore: at most 2 of 5 in the section; count the most seen.
            let slots = Semaphore::new(2).expect("a semaphore");
            let (inside, most) = (Value::new(0u32).expect("a value"), Value::new(0u32).expect("a value"));
            let mut workers: Vec<Process> = (0..5)
                .map(|_| {
                    let (slots, inside, most) = (slots.clone(), inside.clone(), most.clone());
                    Process::new(move || {
                        assert!(slots.acquire_timeout(limit));
                        let now = {
                            let mut n = inside.lock();
                            *n += 1;
                            *n
                        };
                        {
                            let mut m = most.lock();
                            *m = (*m).max(now);
                        }
                        std::thread::sleep(Duration::from_millis(20));
                        *inside.lock() -= 1;
                        slots.release();
                    })
                })
                .collect();
            for p in &mut workers {
                p.start().expect("start");
            }
            for p in &mut workers {
                p.join().expect("join");
            }
            println!("semaphore: at most {} inside; value back to {}", most.get(), slots.value());

            // Condition: the parent waits until a child has changed a value.
            let condition = Condition::new().expect("a condition");
            let count = Value::new(0u32).expect("a value");
            let (c, n) = (condition.clone(), count.clone());
            let mut producer = Process::new(move || {
                let _held = c.acquire();
                n.set(7);
                c.notify_all();
            });
            producer.start().expect("start");
            {
                let mut held = condition.acquire();
                while count.get() == 0 {
                    assert!(held.wait_timeout(limit), "no notification");
                }
            }
            producer.join().expect("join");
            println!("condition: saw {}", count.get());

            // parent_process, and a pool of one worker per core.
            let here = Value::new(0i32).expect("a value");
            let there = here.clone();
            let mut child = Process::new(move || there.set(parent_process().map_or(-1, |p| p.as_raw())));
            child.start().expect("start");
            child.join().expect("join");
            println!(
                "parent_process: in a child, the parent: {}; in the program: {:?}",
                here.get() == std::process::id() as i32,
                parent_process()
            );
            let mut pool = Pool::with_cores().expect("a pool");
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            println!("pool with cores: {} workers for {cores} cores", pool.workers());
            println!("map: {}", pool.map(square, 0..100).expect("map") == squares(100));
            println!("starmap: {:?}", pool.starmap(power, [(2u64, 10u32), (3, 3), (10, 2)]).expect("starmap"));
            println!("imap: {}", pool.imap(square, 0..100).expect("imap").eq(squares(100)));
            let mut unordered: Vec<u64> = pool.imap_unordered(square, 0..100).expect("imap_unordered").collect();
            unordered.sort_unstable();
            println!("imap_unordered, sorted: {}", unordered == squares(100));
            println!("apply: {}", pool.apply(square, 12).expect("apply"));
            // apply_async: three at once on two workers, a map between, then the results.
            let pending: Vec<_> = (2..5u64).map(|x| pool.apply_async(square, x).expect("apply_async")).collect();
            let between = pool.map(square, 0..10).expect("map") == squares(10);
            let got: Vec<u64> = pending.into_iter().map(|p| p.get(&mut pool).expect("get")).collect();
            println!("apply_async: {got:?}, with a map between: {between}");
            let one = pool.apply_async(square, 9).expect("apply_async");
            until("the async result is ready", || one.ready(&pool));
            println!("ready, then get: {}", one.get(&mut pool).expect("get"));
        }
        other => {
            eprintln!("library-checks: unknown case '{other}'");
            std::process::exit(2);
        }
    }
    exit_cleanup();
}

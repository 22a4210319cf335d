//! The process library where no lesson goes: numbering, lost exit codes,
//! real-time signals, queues and pools in failure, a late party at a
//! barrier, and the claims the library's docs make. Each case runs in
//! `library-checks`, a program of its own (the harness does not fork),
//! under `supervise`. No test asserts a time.

use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

fn check(case: &str) -> Outcome {
    let run = Supervised::new(env!("CARGO_BIN_EXE_library-checks"))
        .args([case])
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert!(run.clean_success(), "{}", run.describe());
    run
}

#[test]
fn a_childs_children_are_numbered_below_it() {
    let run = check("grandchildren");
    assert_eq!(run.sorted_lines(), ["Process-1:1", "Process-2:1"], "{}", run.describe());
}

#[test]
fn an_exit_code_reaped_elsewhere_is_an_error_not_zero() {
    let run = check("ignored-sigchld");
    assert!(run.stdout.contains("join: error: the exit code of process 'Process-1'"), "{}", run.describe());
    assert!(run.stdout.contains("exit_code: None"), "{}", run.describe());
}

#[test]
fn death_by_a_real_time_signal_is_minus_that_signal() {
    let run = check("realtime-signal");
    let line = run.stdout.trim();
    let (signal, code) = line.strip_prefix("signal ").and_then(|rest| rest.split_once(": exit code ")).unwrap();
    assert_eq!(code, format!("Ok(-{signal})"), "{}", run.describe());
}

#[test]
fn a_failed_fork_leaves_the_process_startable() {
    let run = check("failed-fork");
    let refused = "Err(\"fork: EAGAIN: Try again\")";
    assert!(run.stdout.contains(&format!("first start: {refused}")), "{}", run.describe());
    assert!(run.stdout.contains(&format!("second start: {refused}")), "{}", run.describe());
}

#[test]
fn kill_gives_minus_nine() {
    assert_eq!(check("kill").stdout.lines().collect::<Vec<_>>(), ["alive true", "exit code Ok(-9)", "alive false"]);
}

#[test]
fn an_ended_child_is_a_zombie_until_collected_and_never_alive() {
    let run = check("ended-is-not-alive");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "before start: alive false, daemon false",
            "running: alive true",
            "ended within 10 s: Ok(true)",
            "before collecting: Some(\"zombie\")",
            "then: alive false, None",
            "exit code Some(-15)",
            "a daemon's child: Err(\"process 'd' is a daemon, and a daemon may not start children (they would be orphaned when it is terminated)\")",
            "the daemon: Ok(0)",
        ],
        "{}",
        run.describe()
    );
}

#[test]
fn a_queue_whose_user_died_holding_its_lock_says_it_is_broken() {
    let run = check("queue-owner-died");
    assert!(run.stdout.contains("child: Ok(9)"), "{}", run.describe());
    assert!(run.stdout.contains("get: Err(\"the queue is broken: a process died"), "{}", run.describe());
    assert!(run.stdout.contains("put: Err(\"the queue is broken: a process died"), "{}", run.describe());
}

#[test]
fn a_consumer_killed_while_it_waits_leaves_the_queue_working() {
    let run = check("queue-waiter-killed");
    assert!(run.stdout.contains("first consumer: Ok(-9)"), "{}", run.describe());
    assert!(run.stdout.contains("second consumer got 42"), "{}", run.describe());
    assert!(run.stdout.contains("second consumer: Ok(0)"), "{}", run.describe());
}

#[test]
fn closing_a_pool_beside_another_stops_its_workers_by_message() {
    let run = check("pool-close-beside-another");
    assert!(run.stdout.contains("join a: Ok(())"), "{}", run.describe());
    assert!(run.stdout.contains("map b: true"), "{}", run.describe());
    assert!(run.stdout.contains("join b: Ok(())"), "{}", run.describe());
}

#[test]
fn a_pool_closed_or_terminated_maps_no_more_and_says_why() {
    let run = check("pool-after-close");
    assert!(
        run.stdout.contains("join while running: Err(\"the pool is not running: join needs close()"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("map after close: Err(\"the pool is not running: it was closed\")"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("map after terminate: Err(\"the pool is not running: it was terminated\")"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_worker_that_dies_idle_is_not_blamed_for_a_task() {
    let run = check("pool-idle-worker-dies");
    assert!(run.stdout.contains("first map: true"), "{}", run.describe());
    assert!(run.stdout.contains("second map: Err(\"pool worker"), "{}", run.describe());
    assert!(run.stdout.contains("died (killed by SIGKILL) while idle, between tasks"), "{}", run.describe());
    assert!(!run.stdout.contains("input index"), "{}", run.describe());
}

#[test]
fn a_map_abandoned_by_a_panic_does_not_hand_its_results_to_the_next() {
    let run = check("pool-panic-in-map");
    assert!(run.stdout.contains("first map unwound: true"), "{}", run.describe());
    assert!(
        run.stdout.contains("second map: error: the pool is not running: a previous map was abandoned"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_dead_worker_is_named_with_its_own_input_not_another_workers() {
    let run = check("pool-death-names-its-own-input");
    assert!(
        run.stdout.contains("died (exit status 9) while running the task for input index 0; the pool was stopped"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_dropped_pool_leaves_no_worker_running_or_unreaped() {
    let run = check("pool-dropped");
    assert!(run.stdout.contains("map: Ok(true)"), "{}", run.describe());
    assert!(run.stdout.contains("workers left after drop: 0"), "{}", run.describe());
}

#[test]
fn terminate_kills_a_worker_deaf_to_sigterm_and_join_then_succeeds() {
    let run = check("pool-terminate-deaf-worker");
    assert!(run.stdout.contains("workers left after terminate: 0"), "{}", run.describe());
    assert!(run.stdout.contains("terminate waited out the grace, and no longer: true"), "{}", run.describe());
    assert!(run.stdout.contains("join after terminate: Ok(())"), "{}", run.describe());
    assert!(
        run.stdout.contains("get: Err(\"the pool is not running: its worker was stopped before the result came\")"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_pool_handle_dropped_in_a_child_leaves_the_parents_workers_alone() {
    let run = check("pool-dropped-in-child");
    assert!(run.stdout.contains("map after the child dropped its copy: Ok(true)"), "{}", run.describe());
}

#[test]
fn a_late_party_holds_the_early_one_at_the_barrier() {
    assert_eq!(check("barrier-late-party").stdout.trim(), "late arrived, then early passed");
}

#[test]
fn the_librarys_claims_hold() {
    let run = check("claims");
    assert!(
        run.stdout.contains("fork with 2 threads: Err(\"cannot fork safely: this program runs 2 threads"),
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("too large: Err(\"a message of"), "{}", run.describe());
    assert!(run.stdout.contains("put on a full queue: Err(\"gave up after 100ms\")"), "{}", run.describe());
    let run = check("claims-after-fork");
    assert!(
        run.stdout.contains("every producer's items in order: true, counts [2000, 2000, 2000]"),
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("join_timeout on a sleeper: Ok(None)"), "{}", run.describe());
    assert!(run.stdout.contains("then killed: Ok(-9)"), "{}", run.describe());
    assert!(run.stdout.contains("miscounted: Err(\"the inputs' iterator promised 10 items"), "{}", run.describe());
    assert!(run.stdout.contains("miscounted, more: Err(\"the inputs' iterator promised 9 items"), "{}", run.describe());
    assert!(run.stdout.contains("task timeout: Err(\"gave up after 200ms\")"), "{}", run.describe());
}

#[test]
fn the_rest_of_multiprocessings_vocabulary_works_across_processes() {
    let run = check("vocabulary");
    for expected in [
        "active children: 4",
        "value: 4000; active children after join: 0",
        "array: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]",
        "event seen: 1; is_set: true",
        "semaphore: at most 2 inside; value back to 2",
        "condition: saw 7",
        "parent_process: in a child, the parent: true; in the program: None",
        "map: true",
        "starmap: [1024, 27, 100]",
        "imap: true",
        "imap_unordered, sorted: true",
        "apply: 144",
        "apply_async: [4, 9, 16], with a map between: true",
        "ready, then get: 81",
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.describe());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(run.stdout.contains(&format!("pool with cores: {cores} workers for {cores} cores")), "{}", run.describe());
}

#[test]
fn a_failed_task_is_an_error_naming_its_input_and_the_pool_goes_on() {
    let run = check("pool-task-fails");
    for line in [
        "map: Err(\"the task for input index 7 failed in its worker: panicked: seven is not allowed\")",
        "map again: Ok(true)",
        "starmap: Err(\"the task for input index 20 failed in its worker: panicked: twenty is not allowed\")",
        "map of strings: Err(\"the task for input index 10 failed in its worker: panicked: 10 is not below ten\")",
        "async get: Err(\"the task for the apply_async task failed in its worker: panicked: seven is not allowed\")",
        "async after: Ok(144)",
        "map after async: Ok(true)",
        "join: Ok(())",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.describe());
    }
}

#[test]
fn an_async_result_larger_than_a_pipe_survives_close_and_join() {
    let run = check("pool-async-large-after-close");
    assert!(run.stdout.contains("join: Ok(())"), "{}", run.describe());
    assert!(run.stdout.contains("get: Ok(true)"), "{}", run.describe());
}

#[test]
fn a_pool_handle_in_a_child_acts_on_nothing() {
    let run = check("pool-used-in-child");
    assert!(
        run.stdout.contains("child map: Err(\"the pool is not running: this handle is a copy in another process"),
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("parent map after: Ok(true)"), "{}", run.describe());
}

#[test]
fn a_queue_broken_by_a_dead_holder_wakes_everyone_asleep_in_it() {
    let run = check("queue-broken-wakes-sleepers");
    let broken = "the queue is broken: a process died while it was changing it; items may be lost";
    for name in ["consumer-1", "consumer-2", "producer"] {
        assert!(run.stdout.contains(&format!("{name}: {broken}")), "{name}: {}", run.describe());
        assert!(run.stdout.contains(&format!("{name} ended: Ok(Some(0))")), "{name}: {}", run.describe());
    }
}

/// Each primitive's defining property, so that a primitive that does
/// nothing fails here by name: a lock that does not lock, a barrier that
/// does not reset, an event that does not wait, a panic that exits 0, a
/// queue without its bound.
#[test]
fn each_primitive_does_what_it_is_for() {
    let run = check("primitives");
    for (what, line) in [
        ("a lock lets one process in", "lock: most inside at once: 1"),
        ("acquire_timeout waits for the holder", "lock: acquire_timeout waited for the holder: Ok(true)"),
        ("a barrier of one passes at once", "barrier of one: Ok(0)"),
        ("a barrier holds every round", "barrier: 12 events, every round held until both arrived: true"),
        ("an event's wait waits for set", "event: before set the waiter had 0, after: set seen true"),
        ("a panicking child ends with 1", "panicking child: Ok(1)"),
        ("a small ring wraps and loses nothing", "queue: every item once: true"),
    ] {
        assert!(run.stdout.contains(line), "{what}: {line} not in {}", run.describe());
    }
}

#[test]
fn children_of_dropped_handles_are_reaped_at_the_next_start() {
    let run = check("dropped-handles-reaped");
    assert!(run.stdout.contains("the last one, ended, is a zombie: true"), "{}", run.describe());
    assert!(run.stdout.contains("left after the next start: 0"), "{}", run.describe());
}

#[test]
fn a_guard_says_when_the_previous_holder_died_holding_it() {
    let run = check("dead-holder");
    for line in [
        "lock: previous holder died: true",
        "lock again: previous holder died: false",
        "value: previous holder died: true, value 1",
        "value again: previous holder died: false",
        "condition: previous holder died: true",
        "condition again: previous holder died: false",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.describe());
    }
}

#[test]
fn a_party_killed_at_the_barrier_breaks_it_for_the_others() {
    let run = check("barrier-party-killed");
    let died = "the barrier is broken: a party died while it waited";
    for line in [
        "the killed party: Ok(-9)".to_owned(),
        format!("the party waiting with it: Ok(\"{died}\")"),
        format!("a party arriving after: Err(\"{died}\")"),
        "after reset, broken: false".to_owned(),
        format!("the two left, after a death: Err(\"{died}\") and Ok(\"{died}\")"),
    ] {
        assert!(run.stdout.contains(&line), "{line}: {}", run.describe());
    }
}

#[test]
fn a_barrier_breaks_on_abort_and_time_limit_and_reset_makes_it_whole() {
    let run = check("barrier-abort-reset");
    for line in [
        "abort: the waiting party: the barrier is broken: abort() was called",
        "abort: a later wait: Err(\"the barrier is broken: abort() was called\")",
        "reset: the waiting party: the barrier is broken: reset() was called while this party waited",
        "round 0: Ok(",
        "round 1: Ok(",
        "time limit: [\"gave up after 100ms\", \"the barrier is broken: a party's time limit passed while it waited\"]",
        "died before arriving: the waiting party: the barrier is broken: abort() was called",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.describe());
    }
    assert_eq!(run.stdout.matches("), passed").count(), 2, "{}", run.describe());
}

#[test]
fn a_worker_dying_on_a_later_chunk_is_blamed_for_the_input_it_ran() {
    let run = check("pool-worker-dies-on-a-later-chunk");
    for path in ["numbers", "texts"] {
        let line = run.stdout.lines().find(|l| l.starts_with(path)).unwrap_or_default();
        assert!(
            line.contains("died (exit status 9) while running the task for input index 37"),
            "{path}: {}",
            run.describe()
        );
    }
}

#[test]
fn event_semaphore_condition_and_barrier_calls_each_do_their_part() {
    let run = check("sync-calls");
    for (what, line) in [
        (
            "is_set, set, clear; wait_timeout on an unset event times out",
            "event: new false, set true, cleared false, wait_timeout unset false",
        ),
        ("an event set by another process ends a wait", "event: wait_timeout, set by another meanwhile: true"),
        (
            "acquire_timeout takes one, and refuses at 0",
            "semaphore: value 1, acquire_timeout true, value 0, acquire_timeout at 0 false",
        ),
        ("acquire waits for a release, then takes it", "semaphore: acquire waited for the release, value after 0"),
        ("release gives one back", "semaphore: two releases, value 2"),
        ("a condition's wait_timeout without notify times out", "condition: wait_timeout, no notify: false"),
        ("notify wakes a waiter", "condition: notify_all false: woken true, flag 1"),
        ("notify_all wakes a waiter", "condition: notify_all true: woken true, flag 1"),
        ("wait returns after a notify", "condition: wait returned after the notify, flag 1"),
        ("parties, is_broken, abort", "barrier: parties 3, broken false, after abort broken true, waiting 0"),
        ("a waiting party sleeps rather than spins", "barrier: the waiting parties slept: true"),
    ] {
        assert!(run.stdout.contains(line), "{what}: {line} not in {}", run.describe());
    }
}

#[test]
fn each_pipe_call_does_its_part() {
    let run = check("pipe-calls");
    for (what, line) in [
        ("recv_timeout waits for a message sent later", "recv_timeout, sent meanwhile: Ok(Some(\"late\"))"),
        ("a message larger than the pipe arrives whole", "a message larger than the pipe: Some(1048576) bytes"),
        ("the end of input after the last sender closed", "then the end: Ok(None)"),
        ("recv_timeout gives up at its limit", "recv_timeout, nothing sent, sender open: Err(\"gave up after 100ms\")"),
        (
            "sending to a closed receiver is Disconnected",
            "send, receiver closed: Err(\"the other end is closed: nobody is left to receive\")",
        ),
        ("try_clone sends on the same pipe", "a clone sends: Ok(Some(7))"),
        ("a clone holds the pipe open", "first sender closed, the clone open: Err(\"gave up after 100ms\")"),
        ("the end once every copy is closed", "both closed: Ok(None)"),
    ] {
        assert!(run.stdout.contains(line), "{what}: {line} not in {}", run.describe());
    }
}

#[test]
fn a_pool_worker_holds_no_other_workers_pipe() {
    let run = check("pool-workers-hold-only-their-pipes");
    assert!(run.stdout.contains("descriptors per worker, all the same: true"), "{}", run.describe());
}

#[test]
fn pool_map_chunks_routes_and_failures_are_as_documented() {
    let run = check("pool-map-details");
    for (what, line) in [
        ("an iterator of unknown length is mapped whole", "filtered: 50 results, right: true"),
        (
            "chunks of Python's default size, ceil(n / (4 x workers))",
            "every change of worker at a multiple of 63: true",
        ),
        ("a chunk larger than the shared region goes through the pipe", "a chunk of 5000000 numbers: Ok(true)"),
        ("of two failed inputs in flight, the first is named", "two failures: Err(\"the task for input index 7 failed"),
        ("a task time limit is a limit, not a past deadline", "with a task time limit of 10 s: Ok(true)"),
        ("two apply_async in flight, each gets its own result", "two async results: Ok(144) Ok(169)"),
        ("ready() is false while the task runs", "ready while running: false, then: true, result Some(121)"),
        ("daemon flags", "daemon flag: true, default false"),
    ] {
        assert!(run.stdout.contains(line), "{what}: {line} not in {}", run.describe());
    }
}

#[test]
fn kernel_state_names_sleeping_stopped_running_and_nothing_once_collected() {
    let run = check("kernel-states");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "not started: None",
            "asleep: Some(\"sleeping\")",
            "stopped: Some(\"stopped\")",
            "collected: None",
            "computing: Some(\"running\")",
        ],
        "{}",
        run.describe()
    );
}

#[test]
fn each_queue_call_holds_to_the_bound() {
    let run = check("queue-calls");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "new: qsize 0, empty true, putters 0",
            "two items filling it exactly: Ok(()) Ok(())",
            "full: qsize 2, empty false",
            "a putter waits: 1",
            "the putter went on: Ok(0)",
            "put_timeout waited for room: Ok(())",
            "an item of exactly the capacity: Ok(()), then Ok(Some(59))",
        ],
        "{}",
        run.describe()
    );
}

#[test]
fn room_made_before_a_putters_deadline_counts_when_it_is_seen_after() {
    let run = check("queue-room-at-the-deadline");
    assert_eq!(run.stdout.trim(), "stopped past its deadline, continued: Ok(0), qsize 2", "{}", run.describe());
}

#[test]
fn a_put_wakes_a_sleeping_getter_and_a_get_a_sleeping_putter() {
    let run = check("queue-wakes-sleepers");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["getter: Ok(0)", "putter: Ok(0)", "twenty hand-offs each way within 1 s: true true"],
        "{}",
        run.describe()
    );
}

#[test]
fn shared_objects_give_their_memory_back_when_dropped() {
    let run = check("shared-memory-returned");
    assert_eq!(run.stdout.trim(), "mappings left by 200 dropped objects: true", "{}", run.describe());
}

#[test]
fn a_process_prints_as_python_and_its_children_are_tracked_and_waited_for() {
    let run = check("process-bookkeeping");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "<Process name='three' parent=N initial>",
            "<Process name='three' pid=N parent=N stopped exitcode=3>",
            "Debug as Display: true",
            "<Process name='killed' pid=N parent=N stopped exitcode=-SIGKILL daemon>",
            "after joining the short one, the long one active: true",
            "when the child has ended: Ok(Some(\"the grandchild ended\"))",
        ],
        "{}",
        run.describe()
    );
}

//! The course as a book: `scripts/book build` makes it with mdBook, a small
//! HTTP server on loopback serves it, and a headless Chromium (the
//! distribution's) opens every page, driven through the DevTools protocol
//! over a pipe. Each page must load without a console error, every image
//! and diagram must render (a natural size that is not zero), every link
//! within the book must lead to a file of it, and the search must find
//! "deadlock".

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use local_procs::supervise::Supervised;
use serde_json::{json, Value};

mod support;

/// Serve `root` on 127.0.0.1 (any free port) until the test ends; returns
/// the base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || answer(stream, &root));
        }
    });
    base
}

/// One GET, answered with the file under `root`, or 404.
fn answer(mut stream: TcpStream, root: &Path) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let mut file = root.join(path.trim_start_matches('/'));
    if file.is_dir() {
        file = file.join("index.html");
    }
    let inside = file.canonicalize().is_ok_and(|f| f.starts_with(root.canonicalize().unwrap()));
    let (status, body) = match std::fs::read(&file) {
        Ok(body) if inside => ("200 OK", body),
        _ => ("404 Not Found", std::fs::read(root.join("404.html")).unwrap_or_default()),
    };
    let kind = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// A headless Chromium driven over `--remote-debugging-pipe`: commands
/// written to its fd 3, answers and events read from its fd 4, each a JSON
/// text ended by a NUL byte.
struct Browser {
    child: Child,
    commands: File,
    messages: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Events received while waiting for answers, in order.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(program: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (command_read, command_write) = nix::unistd::pipe().unwrap();
        let (message_read, message_write) = nix::unistd::pipe().unwrap();
        // Above the numbers the child's dup2 writes to, so that neither is
        // overwritten before it is copied.
        let high = |fd: OwnedFd| {
            let raw = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(10)).unwrap();
            // SAFETY: fcntl just returned this new descriptor, ours alone.
            unsafe { OwnedFd::from_raw_fd(raw) }
        };
        let (command_read, message_write) = (high(command_read), high(message_write));
        let (child_in, child_out) = (command_read.as_raw_fd(), message_write.as_raw_fd());
        let mut command = Command::new(program);
        command
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check"])
            .args(["--remote-debugging-pipe", "--disable-extensions", "--mute-audio"])
            // Helpers as the browser's own children, and no crash handler
            // (it would leave the group and outlive the browser).
            .args(["--no-zygote", "--disable-crash-reporter", "--disable-breakpad"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only dup2 between fork and exec, which is async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(child_in, 3) < 0 || libc::dup2(child_out, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium starts");
        drop((command_read, message_write));
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(File::from(message_read));
            loop {
                let mut bytes = Vec::new();
                match reader.read_until(0, &mut bytes) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        bytes.pop();
                        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
                            if tx.send(value).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        let mut browser = Browser {
            child,
            commands: File::from(command_write),
            messages,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().unwrap().to_owned();
        let attached = browser.call("Target.attachToTarget", json!({"targetId": target, "flatten": true}));
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.call(domain, json!({}));
        }
        // A reader's window: 1280 pixels wide.
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false}),
        );
        browser
    }

    /// Send a command (to the page's session once attached) and wait at most
    /// 30 s for its answer; events meanwhile are kept.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).expect("chromium takes commands");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let message = self.next(deadline, &format!("the answer to {method}"));
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.events.push(message);
        }
    }

    /// The next message from the browser, waiting until `deadline` for
    /// `what` at the most.
    fn next(&mut self, deadline: Instant, what: &str) -> Value {
        match self.messages.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(message) => message,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("no {what} in 30 s"),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("chromium ended before {what}"),
        }
    }

    /// Wait at most 30 s for an event of the page.
    fn wait_for(&mut self, method: &str) {
        if self.events.iter().any(|e| e["method"] == json!(method)) {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let message = self.next(deadline, method);
            let found = message["method"] == json!(method);
            self.events.push(message);
            if found {
                return;
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true}));
        assert!(result.get("exceptionDetails").is_none(), "{expression}: {result}");
        result["result"]["value"].clone()
    }

    /// Open `url`, wait for its load event, and return the console errors
    /// and uncaught exceptions seen meanwhile.
    fn open(&mut self, url: &str) -> Vec<String> {
        self.events.clear();
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for("Page.loadEventFired");
        // One more round trip: whatever the page logged is now in.
        self.eval("document.readyState");
        self.events
            .iter()
            .filter_map(|event| match event["method"].as_str()? {
                "Runtime.exceptionThrown" => Some(format!("exception: {}", event["params"]["exceptionDetails"])),
                "Runtime.consoleAPICalled" if event["params"]["type"] == json!("error") => {
                    Some(format!("console.error: {}", event["params"]["args"]))
                }
                "Log.entryAdded" if event["params"]["entry"]["level"] == json!("error") => {
                    Some(format!("log: {}", event["params"]["entry"]["text"]))
                }
                _ => None,
            })
            .collect()
    }
}

impl Drop for Browser {
    /// Close the browser as a user would, so that it ends its helper
    /// processes; kill whatever of its process group is still there after
    /// 10 s, and reap what has come to this process (a subreaper, for
    /// `supervise`): no helper and no zombie is left.
    fn drop(&mut self) {
        let mut bytes = serde_json::to_vec(&json!({"id": 0, "method": "Browser.close"})).unwrap();
        bytes.push(0);
        let _ = self.commands.write_all(&bytes);
        let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = local_procs::supervise::group_members(group);
            if left.is_empty() || Instant::now() > deadline {
                return;
            }
            for (pid, _) in left {
                let pid = nix::unistd::Pid::from_raw(pid);
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every .html file under `dir`, as paths relative to it.
fn pages(dir: &Path, under: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            pages(&path, under, into);
        } else if path.extension().is_some_and(|e| e == "html") {
            into.push(path.strip_prefix(under).unwrap().to_owned());
        }
    }
}

/// The headless browser on PATH, if any.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok())
}

#[test]
fn every_page_of_the_book_loads_renders_links_and_searches() {
    let out = tempfile::tempdir().unwrap();
    let book = out.path().join("book");
    let build = Supervised::new(support::workspace().join("scripts/book"))
        .args(["build", "--dest", book.to_str().unwrap()])
        .current_dir(support::workspace())
        .time_limit(Duration::from_secs(900))
        .run()
        .unwrap();
    assert!(build.clean_success(), "{}", build.describe());
    assert!(!build.stderr.contains("[ERROR]") && !build.stderr.contains("[WARN]"), "{}", build.describe());

    let mut all = Vec::new();
    pages(&book, &book, &mut all);
    all.sort();
    // Every chapter of SUMMARY.md became a page, each lesson with its code.
    for page in ["mpi/p2p.html", "mpi/deadlock.html", "processes/pipe.html", "costs.html", "exercises.html"] {
        assert!(all.contains(&PathBuf::from(page)), "{page} not built: {all:?}");
    }
    // The cost page's figures are tables a browser lays out, not a wide
    // block of monospace.
    let costs = std::fs::read_to_string(book.join("costs.html")).unwrap();
    assert!(costs.matches("<table>").count() >= 7, "costs.html: its figures as tables");
    let p2p = std::fs::read_to_string(book.join("mpi/p2p.html")).unwrap();
    assert!(
        p2p.contains("process_at_rank") && p2p.contains("comm.send"),
        "p2p's page has its program and the original"
    );

    // What follows needs a browser: without one (and no sudo to install
    // it), the pages were built and checked as files only, and the test
    // says so rather than pass.
    let Some(program) = chromium() else {
        support::skip(
            "every_page_of_the_book_loads_renders_links_and_searches",
            "no Chromium (make test installs it on Debian and Ubuntu, where sudo can be used; elsewhere scripts/install-deps book names the package): the book was built, but its pages were not opened",
        );
        return;
    };
    support::ran("every_page_of_the_book_loads_renders_links_and_searches");
    let base = serve(book.clone());
    let mut browser = Browser::start(program);
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut images = 0;
    for page in &all {
        let page = page.to_str().unwrap().to_owned();
        let url = format!("{base}/{page}");
        let mut found = browser.open(&url);
        let drawn = browser.eval(
            "JSON.stringify(Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth, i.naturalHeight]))",
        );
        let drawn: Vec<(String, u32, u32)> = serde_json::from_str(drawn.as_str().unwrap()).unwrap();
        images += drawn.len();
        for (src, width, height) in drawn {
            if width == 0 || height == 0 {
                found.push(format!("image {src} does not render ({width} x {height})"));
            }
        }
        // Nothing a reader reads as text is cut off at that width: tables,
        // and the blocks of commands and of their output (a program's
        // source may scroll, as in an editor).
        let cut = browser.eval(
            "JSON.stringify(Array.from(document.querySelectorAll('main .table-wrapper, main table, \
             main pre, main pre > code.language-text, main pre > code.language-sh')).filter(e => \
             (e.tagName != 'PRE' || e.querySelector('code.language-text, code.language-sh')) && e.scrollWidth > \
             e.clientWidth + 1).map(e => e.tagName + ' ' + e.scrollWidth + ' px wide in ' + e.clientWidth + ': ' \
             + e.textContent.trim().slice(0, 80)))",
        );
        let cut: Vec<String> = serde_json::from_str(cut.as_str().unwrap()).unwrap();
        found.extend(cut.into_iter().map(|what| format!("cut off at 1280 px: {what}")));
        let links = browser.eval("JSON.stringify(Array.from(document.querySelectorAll('a[href]')).map(a => a.href))");
        let links: Vec<String> = serde_json::from_str(links.as_str().unwrap()).unwrap();
        for link in links {
            let Some(path) = link.strip_prefix(&format!("{base}/")) else { continue };
            let path = path.split(['#', '?']).next().unwrap();
            let file = if path.is_empty() || path.ends_with('/') {
                book.join(path).join("index.html")
            } else {
                book.join(path)
            };
            if !file.is_file() {
                found.push(format!("link to {link}: no such page"));
            }
        }
        if !found.is_empty() {
            problems.insert(page, found);
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(images >= 9, "the lessons' diagrams: {images} images in all");

    // The search box, as a reader uses it: mdBook searches for ?search=.
    browser.open(&format!("{base}/index.html?search=deadlock"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let results = loop {
        let results =
            browser.eval("JSON.stringify(Array.from(document.querySelectorAll('#searchresults a')).map(a => a.href))");
        let results: Vec<String> = serde_json::from_str(results.as_str().unwrap()).unwrap();
        if !results.is_empty() || Instant::now() > deadline {
            break results;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(results.iter().any(|href| href.contains("mpi/deadlock.html")), "search for deadlock: {results:?}");

    // Closed, the browser leaves nothing: no helper process, no zombie.
    let group = browser.child.id() as i32;
    drop(browser);
    let left = local_procs::supervise::group_members(nix::unistd::Pid::from_raw(group));
    assert!(left.is_empty(), "chromium left {left:?}");
}

/// The reader's side of `make book-serve`: nothing to test but that the
/// script refuses a bad port at once.
#[test]
fn book_serve_refuses_a_bad_port() {
    let run = Supervised::new(support::workspace().join("scripts/book"))
        .args(["serve", "--port", "99999"])
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr.contains("--port must be a port number"), "{}", run.describe());
}

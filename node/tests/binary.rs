//! The `liangxin-node` binary's command line. Also makes `cargo test --workspace` build the
//! binary, which the end-to-end tests of `liangxin-tests` run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn node(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_liangxin-node"))
        .args(args)
        .output()
        .expect("run liangxin-node")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn help_lists_the_commands() {
    let out = node(&["--help"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for cmd in ["dev", "init", "run"] {
        assert!(
            stdout.contains(cmd),
            "--help does not list {cmd}:\n{stdout}"
        );
    }
    let out = node(&["dev", "--help"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for flag in [
        "--home",
        "--rpc-listen",
        "--metrics-listen",
        "--block-interval-ms",
    ] {
        assert!(
            stdout.contains(flag),
            "dev --help does not list {flag}:\n{stdout}"
        );
    }
}

#[test]
fn dev_refuses_bad_flags() {
    let home = tempfile::tempdir().unwrap();
    let home_str = home.path().to_str().unwrap();
    for (args, named) in [
        (
            vec!["dev", "--home", home_str, "--no-such-flag"],
            "--no-such-flag",
        ),
        (
            vec!["dev", "--home", home_str, "--rpc-listen", "not-an-address"],
            "not-an-address",
        ),
        (
            vec!["dev", "--home", home_str, "--block-interval-ms", "soon"],
            "soon",
        ),
    ] {
        let out = node(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} should be a usage error:\nstdout: {stdout}\nstderr: {stderr}"
        );
        assert!(
            stderr.contains("error:") && stderr.contains(named),
            "{args:?}: the error names {named:?}: {stderr}"
        );
        assert!(
            !stdout.contains("ready"),
            "{args:?} must not start a node: {stdout}"
        );
    }
    // Nothing was created for a refused command line.
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn run_without_a_home_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let out = node(&["run", "--home", missing.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("config.toml"), "{stderr}");
}

//! `unchained report` on a real run folder: one self-contained file with the headings, the
//! charts inlined, the seed and the version; a folder that is neither run nor sweep is refused.
//! (tests/browser/report.sh renders the same pages in headless Chromium.)

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SMALL: &str = "
name: html-check
seed: 9
duration_s: 600
devices:
  - { name: meters, count: 200, workload: { model: periodic, interval_s: 60 } }
gateways: { count: 5 }
validators: { count: 10 }
consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2 }
";

/// A fresh run folder of `SMALL` and the files written into it.
fn run_folder(tag: &str) -> (PathBuf, Vec<PathBuf>) {
    let dir = std::env::temp_dir().join(format!("unchained-html-{tag}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = common::run(&common::scenario(SMALL));
    let written = unchained::report::write_run(&out, &dir).unwrap();
    (dir, written)
}

fn report(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
        .arg("report")
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn run_report_is_self_contained_with_tables_charts_seed_and_version() {
    let (dir, _) = run_folder("");
    let status = report(&dir);
    assert!(status.status.success());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // The answer comes first, then the charts, then the grouped summary.
    let mut at = 0;
    for h in [
        "<h1>Run report: html-check</h1>",
        "<section id=\"answer\">",
        "<h2>Charts</h2>",
        "<h2>Summary</h2>",
        "<h3>Latency and SLA shares</h3>",
        "<h2>Latency</h2>",
        "<h2>Scenario</h2>",
    ] {
        let i = html.find(h).unwrap_or_else(|| panic!("missing {h}"));
        assert!(i >= at, "{h} out of order");
        at = i;
    }
    let answer =
        &html[html.find("<section id=\"answer\">").unwrap()..html.find("</section>").unwrap()];
    let protocol = SMALL
        .lines()
        .find_map(|l| l.trim().strip_prefix("consensus: { protocol: "))
        .and_then(|r| r.split([',', ' ']).next())
        .unwrap();
    assert!(
        answer.contains(&format!("<strong>{protocol}</strong>")),
        "{answer}"
    );
    for figure in ["tx/s offered", "tx/s settled", "settlement, median"] {
        assert!(answer.contains(figure), "{figure} missing from {answer}");
    }
    // Units beside the grouped summary's values.
    assert!(html.contains("<td>settlement_p50_s</td><td>"));
    assert!(html.contains("</td><td>s</td></tr>"));
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("<th>seed</th><td>9</td>"));
    assert!(html.contains(&format!(
        "<th>simulator version</th><td>{}</td>",
        env!("CARGO_PKG_VERSION")
    )));
    // Nothing fetched from elsewhere: the SVG namespace is the only URL.
    let without_ns = html.replace("http://www.w3.org/2000/svg", "");
    for external in ["src=", "href=", "http://", "https://", "<script"] {
        assert!(
            !without_ns.contains(external),
            "report references {external}"
        );
    }

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let refused = report(&empty);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("neither a run folder"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A chart in the run folder carrying script, external references and event handlers (with a
/// manifest rewritten to match, as someone editing the folder would): the report keeps the
/// drawing and drops all of it.
#[test]
fn hostile_svg_is_sanitised() {
    let (dir, written) = run_folder("hostile-");
    let hostile = r##"<?xml version="1.0"?>
<svg width="10" height="10" xmlns="http://www.w3.org/2000/svg" onload="alert(1)">
<script>alert(2)</script><SCRIPT>alert(3)</SCRIPT>
<image href="https://evil.example/a.png" x="0"/>
<image xlink:href="http://evil.example/b.png"/>
<a href="javascript:alert(4)"><rect width="3" height="3" onclick="alert(5)"/></a>
<foreignObject><iframe src="https://evil.example/"></iframe></foreignObject>
<style>@import url(https://evil.example/s.css); rect { fill: url(https://evil.example/f) }</style>
<rect width="5" height="5" fill="url(https://evil.example/p#g)" style="fill:url(https://evil.example/q)" ONLOAD="alert(6)"/>
<polyline points="0,0 5,5" stroke="#1F77B4" onmouseover="alert(7)"/>
<text x="1" y="1">&lt;script&gt;alert(8)&lt;/script&gt;</text>
</svg>
"##;
    std::fs::write(dir.join("throughput.svg"), hostile).unwrap();
    unchained::manifest::write(&dir, &written).unwrap();
    let status = report(&dir);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let lower = html.to_ascii_lowercase();
    let without_ns = lower.replace("http://www.w3.org/2000/svg", "");
    for bad in [
        "<script",
        "href",
        "src=",
        "http://",
        "https://",
        "url(",
        "<image",
        "<foreignobject",
        "<style>@",
        "javascript:",
    ] {
        assert!(!without_ns.contains(bad), "report contains {bad}");
    }
    // No event-handler attribute: ` on` + letters + `=`.
    let handler = without_ns.match_indices(" on").any(|(i, _)| {
        let rest = &without_ns[i + 3..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        letters > 0 && rest[letters..].starts_with('=')
    });
    assert!(!handler, "report holds an event handler attribute");
    // The drawing itself survives: the polyline and the text, escaped.
    assert!(html.contains("<polyline points=\"0,0 5,5\" stroke=\"#1F77B4\"/>"));
    assert!(html.contains("&lt;script&gt;alert(8)&lt;/script&gt;"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_existing_out_file_is_kept_without_force_and_a_device_never_replaced() {
    let (dir, _) = run_folder("keep");
    let mine = dir.join("mine.html");
    std::fs::write(&mine, "my notes").unwrap();
    let report_to = |out: &Path, force: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_unchained"));
        c.arg("report").arg(&dir).arg("--out").arg(out);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let refused = report_to(&mine, false);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my notes");
    assert!(report_to(&mine, true).status.success());
    assert!(std::fs::read_to_string(&mine).unwrap().contains("<svg"));
    #[cfg(unix)]
    {
        let link = dir.join("link.html");
        std::os::unix::fs::symlink(&mine, &link).unwrap();
        assert_eq!(report_to(&link, true).status.code(), Some(2));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Networks from data: region tables read from files.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use unchained::scenario;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/network_tables")
}

fn load(text: &str) -> Result<scenario::Scenario, String> {
    scenario::parse_at(text, "test.yaml", &data()).map_err(|e| e.to_string())
}

/// Every output file of a run but the resolved scenario (which names the latency model)
/// and the manifest of file hashes that covers it.
fn outputs(text: &str, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let out = common::run(&load(text).unwrap());
    let dir = std::env::temp_dir().join(format!("unchained-tables-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unchained::report::write_run(&out, &dir).unwrap();
    let files = files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name != "scenario.yaml" && !name.to_lowercase().starts_with("manifest")
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

const SMALL_NAKAMOTO: &str = "
seed: 7
duration_s: 900
devices:
  - name: meters
    count: 400
    connectivity: { model: duty_cycle, period_s: 120, on_s: 20 }
    workload: { model: periodic, interval_s: 60, jitter_s: 10 }
gateways: { count: 12 }
validators: { count: 60 }
network: { jitter: pareto, latency: LATENCY }
consensus: { protocol: nakamoto, block_interval_s: 30, confirmations: 2 }
";

#[test]
fn a_file_holding_the_simblock_2019_table_runs_as_the_built_in_one() {
    let built_in = outputs(
        &SMALL_NAKAMOTO.replace("LATENCY", "{ model: simblock2019 }"),
        "built-in",
    );
    let from_file = outputs(
        &SMALL_NAKAMOTO.replace("LATENCY", "{ model: table, file: simblock2019.csv }"),
        "file",
    );
    assert!(built_in.keys().any(|k| k.ends_with(".csv")));
    assert_eq!(
        built_in.keys().collect::<Vec<_>>(),
        from_file.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &built_in {
        assert!(from_file[name] == *bytes, "{name} differs");
    }
}

#[test]
fn the_resolved_scenario_carries_the_table_inline() {
    let s = load(&SMALL_NAKAMOTO.replace("LATENCY", "{ model: table, file: simblock2019.csv }"))
        .unwrap();
    let yaml = scenario::to_yaml(&s);
    assert!(!yaml.contains("simblock2019.csv"), "{yaml}");
    let again = scenario::parse(&yaml, "resolved").unwrap();
    let mut inline = s.network.clone();
    if let scenario::Latency::Table { file, regions } = &mut inline.latency {
        assert_eq!(regions.len(), 6);
        *file = None;
    }
    assert_eq!(again.network, inline);
}

/// Two regions with asymmetric one-way latencies and different links: a full block crosses
/// from the miner's region to the other in latency(from → to) + size × 8 / min(upload of the
/// sender's region, download of the receiver's).
#[test]
fn a_block_crosses_two_regions_in_the_table_latency_plus_transfer() {
    let s = load(
        "
seed: 3
duration_s: 3000
gateways: { count: 0 }
validators: { count: 2 }
network:
  processing_ms: 0
  topology: { model: full_mesh }
  latency:
    model: table
    regions:
      - { name: east, upload_bps: 1.0e6, download_bps: 8.0e6, share: 0.5, latency_ms: [5, 70] }
      - { name: west, upload_bps: 2.0e6, download_bps: 4.0e6, share: 0.5, latency_ms: [130, 5] }
consensus:
  protocol: nakamoto
  block_interval_s: 100
  max_block_bytes: 200000
  fill_blocks: true
  relay: full
  validation_s_per_mb: 0
",
    )
    .unwrap();
    let out = common::run(&s);
    let region = |v: u32| out.nodes[v as usize].region.as_str();
    assert_ne!(region(0), region(1), "one validator per region");
    let mut seen = [0; 2];
    for b in out.blocks.iter().filter(|b| b.propagation_100_s.is_some()) {
        let bits = b.size_bytes as f64 * 8.0;
        let expected = match region(b.miner) {
            "east" => 0.070 + bits / 1.0e6_f64.min(4.0e6),
            "west" => 0.130 + bits / 2.0e6_f64.min(8.0e6),
            other => panic!("region {other}"),
        };
        let got = b.propagation_100_s.unwrap();
        assert!(
            (got - expected).abs() < 2e-9,
            "block {} from {}: {got} s, expected {expected} s",
            b.block,
            region(b.miner)
        );
        seen[usize::from(region(b.miner) == "west")] += 1;
    }
    assert!(
        seen[0] > 3 && seen[1] > 3,
        "blocks from both regions: {seen:?}"
    );
}

const TWO_REGIONS: &str = "\
region,upload_bps,download_bps,share,east,west
east,1e6,8e6,0.5,5,70
west,2e6,4e6,0.5,130,5
";

/// The one-line error of a scenario whose latency table is the file holding `csv`.
fn table_error(csv: &[u8]) -> String {
    table_result(csv).unwrap_err()
}

fn table_result(csv: &[u8]) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("unchained-bad-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("t{}.csv", COUNTER.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&file, csv).unwrap();
    let text = format!(
        "duration_s: 60\nvalidators: {{ count: 4 }}\nnetwork:\n  latency:\n    model: table\n    \
         file: {}\nconsensus: {{ protocol: nakamoto }}\n",
        file.file_name().unwrap().to_string_lossy()
    );
    let r = scenario::parse_at(&text, "s.yaml", &dir).map(|_| ());
    std::fs::remove_file(&file).unwrap();
    r.map_err(|e| {
        e.to_string()
            .replace(&*file.file_name().unwrap().to_string_lossy(), "t.csv")
    })
}

use std::sync::atomic::{AtomicUsize, Ordering};
static COUNTER: AtomicUsize = AtomicUsize::new(0);

const AT: &str = " (line 6)";

#[test]
fn bad_table_files_give_one_line_errors_naming_row_column_and_value() {
    let head = "s.yaml: invalid scenario: network.latency.file = \"t.csv\": ";
    let cases: [(&str, &str); 11] = [
        (
            "",
            "holds no rows: needs the header region,upload_bps,download_bps,share,<region names> and one row per region",
        ),
        (
            "name,up,down,share,a\n",
            "row 1: the header must be region,upload_bps,download_bps,share followed by the region names, not \"name,up,down,share,a\"",
        ),
        (
            "# two regions\nregion,upload_bps,download_bps,share,east,west\neast,1e6,8e6,0.5,5\n",
            "row 3: has 5 fields, the header 6",
        ),
        (
            "region,upload_bps,download_bps,share,east,west\nwest,2e6,4e6,0.5,130,5\n",
            "row 2, column region = \"west\": must be \"east\" (rows list the regions in the header's order)",
        ),
        (
            "region,upload_bps,download_bps,share,east,west\neast,1e6,8e6,0.5,5,70\n",
            "has 1 region rows; the header names 2",
        ),
        (
            "region,upload_bps,download_bps,share,east,west\neast,1e6,8e6,0.5,5,70\nwest,2e6,4e6,0.5,13O,5\n",
            "row 3, column east = \"13O\": is not a number",
        ),
        (
            "region,upload_bps,download_bps,share,east,west\neast,1e6,8e6,0.5,5,70\nwest,2e6,4e6,0.5,-130,5\n",
            "row 3, column east = \"-130\": must be a finite number >= 0 and <= 10 years (in ms)",
        ),
        (
            "region,upload_bps,download_bps,share,east,west\neast,1e6,NaN,0.5,5,70\nwest,2e6,4e6,0.5,130,5\n",
            "row 2, column download_bps = \"NaN\": must be a finite number >= 1 (bit per second)",
        ),
        (
            "region,upload_bps,download_bps,share,east,west\neast,1e6,8e6,0.5,5,70\nwest,2e6,4e6,0.6,130,5\n",
            "column share = [0.5, 0.6]: the shares sum to 1.1; they must sum to 1 (within 0.001)",
        ),
        (
            "region,upload_bps,download_bps,share,east,east\neast,1e6,8e6,0.5,5,70\neast,2e6,4e6,0.5,130,5\n",
            "row 3, column region = \"east\": is also the name of region 1: names must be unique",
        ),
        (
            "region,upload_bps,download_bps,share,east,west\neast,1e6,8e6,0.5,5,70\nwest,2e6,4e6,0.5,130,5\nnorth,1,1,0,1,1\n",
            "row 4: more rows than the 2 regions the header names",
        ),
    ];
    for (csv, problem) in cases {
        assert_eq!(
            table_error(csv.as_bytes()),
            format!("{head}{problem}{AT}"),
            "{csv:?}"
        );
    }
    assert_eq!(
        table_error(b"region,upload_bps\xff"),
        format!("{head}is not UTF-8 text (invalid utf-8 sequence of 1 bytes from index 17){AT}")
    );
}

#[test]
fn a_missing_file_and_a_file_beside_listed_regions_are_refused() {
    let e = load(
        "duration_s: 60\nvalidators: { count: 4 }\nnetwork: { latency: { model: table, file: \
         absent.csv } }\nconsensus: { protocol: nakamoto }\n",
    )
    .unwrap_err();
    assert!(
        e.starts_with(
            "test.yaml: invalid scenario: network.latency.file = \"absent.csv\": cannot be read: "
        ) && e.ends_with(" (line 3)"),
        "{e}"
    );
    let e = load(
        "duration_s: 60\nvalidators: { count: 4 }\nnetwork:\n  latency:\n    model: table\n    \
         file: simblock2019.csv\n    regions: [{ name: a, upload_bps: 1, download_bps: 1, \
         share: 1, latency_ms: [1] }]\nconsensus: { protocol: nakamoto }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "test.yaml: invalid scenario: network.latency.file = \"simblock2019.csv\": give either \
         file or regions, not both (line 6)"
    );
}

#[test]
fn listed_regions_are_checked_by_field_path() {
    let e = load(
        "duration_s: 60\nvalidators: { count: 4 }\nnetwork:\n  latency:\n    model: table\n    \
         regions:\n      - { name: a, upload_bps: 0, download_bps: 1e6, share: 0.5, latency_ms: [1, 2] }\n      \
         - { name: b, upload_bps: 1e6, download_bps: 1e6, share: 0.5, latency_ms: [3] }\n\
         consensus: { protocol: nakamoto }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "test.yaml: invalid scenario: network.latency.regions[0].upload_bps = 0: must be a \
         finite number >= 1 (bit per second) (line 7); network.latency.regions[1].latency_ms = \
         [3]: needs one latency per region: 2, not 1 (line 8)"
    );
    let e = load(
        "duration_s: 60\nvalidators: { count: 4 }\nnetwork: { latency: { model: table } }\n\
         consensus: { protocol: nakamoto }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "test.yaml: invalid scenario: network.latency.regions = 0 regions: needs at least one \
         region, or `file` naming a CSV table (line 3)"
    );
}

/// Any content, however broken, gives an error or a table, never a panic.
#[test]
fn mangled_tables_never_panic() {
    let base = TWO_REGIONS.as_bytes();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..300 {
        let mut bytes = base.to_vec();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() % bytes.len() as u64) as usize;
            match next() % 3 {
                0 => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, b",-9.e\n\r#x\xc3"[(next() % 10) as usize]),
                _ => bytes[at] = (next() % 256) as u8,
            }
        }
        if let Err(e) = table_result(&bytes) {
            assert!(!e.contains('\n'), "{e}");
        }
    }
}

fn topology(body: &str) -> Result<unchained::net::Network, String> {
    let s = load(&format!(
        "duration_s: 60\nvalidators: {{ count: 4000 }}\nnetwork:\n  topology: {{ model: random, \
         max_inbound: 125, {body} }}\nconsensus: {{ protocol: nakamoto }}\n"
    ))?;
    Ok(unchained::net::Network::build(&s))
}

/// A one-point table opens exactly that many connections per node; a two-point one gives
/// the mean of its weights, 3 × 1/4 + 12 × 3/4 = 9.75 (4,000 nodes: the standard error of the
/// mean is sqrt(15.19 / 4000) = 0.062).
#[test]
fn degree_tables_set_the_outbound_counts() {
    let one = topology("outbound_model: table, outbound_weights: [[5, 1]]").unwrap();
    assert_eq!(one.adjacency.edges(), 4000 * 5);
    let two =
        topology("outbound_model: table, outbound_weights: [[3, 1], [12, 3], [40, 0]]").unwrap();
    let mean = two.adjacency.edges() as f64 / 4000.0;
    assert!((mean - 9.75).abs() < 0.25, "{mean}");
    let fixed = topology("outbound: 9").unwrap();
    assert_eq!(fixed.adjacency.edges(), 4000 * 9);
}

fn degree_error(csv: &str) -> String {
    let dir = std::env::temp_dir().join(format!("unchained-bad-degrees-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("d{}.csv", COUNTER.fetch_add(1, Ordering::Relaxed));
    std::fs::write(dir.join(&name), csv).unwrap();
    let text = format!(
        "duration_s: 60\nvalidators: {{ count: 4 }}\nnetwork:\n  topology:\n    model: random\n    \
         outbound_model: table\n    outbound_file: {name}\nconsensus: {{ protocol: nakamoto }}\n"
    );
    let e = scenario::parse_at(&text, "s.yaml", &dir)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    std::fs::remove_file(dir.join(&name)).unwrap();
    e.replace(&name, "d.csv")
}

#[test]
fn bad_degree_files_give_one_line_errors() {
    let head = "s.yaml: invalid scenario: network.topology.outbound_file = \"d.csv\": ";
    let cases = [
        (
            "",
            "holds no rows: needs the header degree,weight and one row per degree",
        ),
        ("degree,weight\n", "holds no degree rows after the header"),
        (
            "deg,w\n1,1\n",
            "row 1: the header must be degree,weight, not \"deg,w\"",
        ),
        ("degree,weight\n8\n", "row 2: has 1 fields, the header 2"),
        (
            "degree,weight\n8.5,1\n",
            "row 2, column degree = \"8.5\": is not a whole number of connections",
        ),
        (
            "# Miller et al.\ndegree,weight\n0,1\n",
            "row 3, column degree = \"0\": a degree must be >= 1 and <= 1000",
        ),
        (
            "degree,weight\n8,1\n9,1\n8,2\n",
            "row 4, column degree = \"8\": is also the degree of entry 1: degrees must be unique",
        ),
        (
            "degree,weight\n8,-1\n",
            "row 2, column weight = \"-1\": a weight must be a finite number >= 0",
        ),
        (
            "degree,weight\n8,0\n9,0\n",
            "column weight = [0, 0]: needs at least one positive weight",
        ),
    ];
    for (csv, problem) in cases {
        assert_eq!(
            degree_error(csv),
            format!("{head}{problem} (line 7)"),
            "{csv:?}"
        );
    }
    let e = load(
        "duration_s: 60\nvalidators: { count: 4 }\nnetwork:\n  topology: { model: random, \
         outbound_file: x.csv }\nconsensus: { protocol: nakamoto }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "test.yaml: invalid scenario: network.topology.outbound_file = \"x.csv\": is read only \
         with outbound_model: table (line 4)"
    );
    let e = load(
        "duration_s: 60\nvalidators: { count: 4 }\nnetwork:\n  topology: { model: random, \
         max_inbound: 10, outbound_model: table, outbound_weights: [[8, 1], [0, 1], [20, 0.5]] }\n\
         consensus: { protocol: nakamoto }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "test.yaml: invalid scenario: network.topology.outbound_weights[1] = [0, 1]: a degree \
         must be >= 1 and <= 1000 (line 4)"
    );
    let e = load(
        "duration_s: 60\nvalidators: { count: 4 }\nnetwork:\n  topology: { model: random, \
         max_inbound: 10, outbound_model: table, outbound_weights: [[8, 1], [20, 0.5]] }\n\
         consensus: { protocol: nakamoto }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "test.yaml: invalid scenario: network.topology.outbound_weights = [[8, 1], [20, 0.5]]: \
         draws degree 20; every degree drawn must be <= max_inbound (10), or the validators \
         cannot accept every outbound connection (line 4)"
    );
}

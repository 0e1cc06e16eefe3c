//! Checks of the radio sections: one-line messages naming the field, the value, the limit and
//! the line.

const BASE: &str = "\
duration_s: 600
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 10 }
";

/// The one-line messages for a scenario of `BASE` plus `extra`.
fn errors(extra: &str) -> Vec<String> {
    super::super::messages(&format!("{BASE}{extra}"))
}

fn group(radio: &str, tx_bytes: u32) -> String {
    format!(
        "devices:\n  - name: m\n    count: 10\n    workload: {{ model: periodic, interval_s: 600 }}\n    tx_bytes: {tx_bytes}\n    radio: {radio}\n"
    )
}

const AREA: &str = "area: { shape: disc, size_m: 2000 }\n";

#[test]
fn a_valid_lorawan_group() {
    let ok = format!("{}{AREA}", group("{ model: lorawan, sf: 9 }", 115));
    assert_eq!(errors(&ok), Vec::<String>::new());
    let adr = format!("{}{AREA}", group("{ model: lorawan }", 222));
    assert_eq!(errors(&adr), Vec::<String>::new());
}

#[test]
fn bad_radio_values_name_field_value_limit_and_line() {
    let e = errors(&format!(
        "{}{AREA}",
        group("{ model: lorawan, sf: 13 }", 10)
    ));
    assert_eq!(
        e,
        ["devices[0].radio.sf = 13: must be 7..12 or adr (line 9)"]
    );
    let e = errors(&format!(
        "{}{AREA}",
        group("{ model: lorawan, sf: 9 }", 116)
    ));
    assert_eq!(
        e,
        [
            "devices[0].tx_bytes = 116: must be <= 115, the application payload of eu868 DR3 \
          (SF9/125 kHz) (line 8)"
        ]
    );
    let e = errors(&format!("{}{AREA}", group("{ model: lorawan }", 223)));
    assert_eq!(
        e,
        [
            "devices[0].tx_bytes = 223: must be <= 222, the largest application payload of \
          any eu868 data rate (line 8)"
        ]
    );
    let e = errors(&format!(
        "{}{AREA}",
        group(
            "{ model: lorawan, duty_cycle: 1.5, sf: 8, bandwidth_khz: 250 }",
            10
        )
    ));
    assert_eq!(
        e,
        [
            "devices[0].radio.duty_cycle = 1.5: must be > 0 and <= 1 (line 9)",
            "devices[0].radio.bandwidth_khz = 250: must be one of [125] for SF8 on the \
             default channels of eu868 (line 9)"
        ]
    );
    // DR6 (SF7/250 kHz) is not on EU868's default channels; US915's SF12 is downlink only.
    for (radio, want) in [
        (
            "{ model: lorawan, sf: 7, bandwidth_khz: 250 }",
            "devices[0].radio.bandwidth_khz = 250: must be one of [125] for SF7 on the \
             default channels of eu868 (line 9)",
        ),
        (
            "{ model: lorawan, region: us915, sf: 12, bandwidth_khz: 500 }",
            "devices[0].radio.sf = 12: must be one of [7, 8, 9, 10]: the uplink SFs of \
             us915 (line 9)",
        ),
    ] {
        assert_eq!(errors(&format!("{}{AREA}", group(radio, 10))), [want]);
    }
    let e = errors(&format!(
        "{}{AREA}",
        group("{ model: lorawan, region: eu433, coding_rate: 4/9 }", 10)
    ));
    assert_eq!(
        e,
        [
            "devices[0].radio.region = \"eu433\": must be eu868 or us915 (line 9)",
            "devices[0].radio.coding_rate = \"4/9\": must be 4/5, 4/6, 4/7 or 4/8 (line 9)"
        ]
    );
}

#[test]
fn listed_gateways_must_be_inside_and_counted() {
    let radio = group("{ model: lorawan }", 10);
    let listed = |coords: &str, count: u32| {
        format!(
            "{radio}gateways: {{ count: {count} }}\narea: {{ shape: square, size_m: 1000, gateways: listed, gateway_coordinates: {coords} }}\n"
        )
    };
    assert_eq!(
        errors(&listed("[[0, 0], [-500, 500]]", 2)),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(&listed("[[0, 0], [501, 0]]", 2)),
        [
            "area.gateway_coordinates[1] = [501, 0]: every gateway must lie inside the area \
          (square of side 1000 m centred on 0, 0) (line 11)"
        ]
    );
    assert_eq!(
        errors(&listed("[[0, 0]]", 2)),
        [
            "gateways.count = 2: must equal the 1 gateways listed in area.gateway_coordinates \
          (line 10)"
        ]
    );
    let grid =
        format!("{radio}area: {{ shape: disc, size_m: 9, gateway_coordinates: [[0, 0]] }}\n");
    assert_eq!(
        errors(&grid),
        ["area.gateway_coordinates = []: needs area.gateways: listed (line 10)"]
    );
}

#[test]
fn retransmissions_and_regions_are_bounded() {
    let e = errors(&format!(
        "{}{AREA}",
        group(
            "{ model: lorawan, confirmed: true, retransmissions: 15 }",
            10
        )
    ));
    assert_eq!(
        e,
        [
            "devices[0].radio.retransmissions = 15: must be <= 14 (NbTrans: at most 15 \
          transmissions) (line 9)"
        ]
    );
    let two = format!(
        "{}  - name: n\n    count: 10\n    workload: {{ model: periodic, interval_s: 600 }}\n    tx_bytes: 10\n    radio: {{ model: lorawan, region: us915 }}\n{AREA}",
        group("{ model: lorawan }", 10)
    );
    assert_eq!(
        errors(&two),
        [
            "devices[1].radio.region = \"us915\": must be eu868, the region of the other \
          lorawan groups: gateways serve one region (line 14)"
        ]
    );
}

#[test]
fn radio_needs_a_sane_area() {
    let e = errors(&group("{ model: lorawan }", 10));
    assert_eq!(
        e,
        ["area = absent: must be given when a group has a lorawan radio (devices[0])"]
    );
    let area = "area: { shape: square, size_m: -5, demodulators: 0, path_loss: { exponent: 0 } }\n";
    let e = errors(&format!("{}{area}", group("{ model: lorawan }", 10)));
    assert_eq!(
        e,
        [
            "area.size_m = -5: must be > 0 and <= 1000000 (line 10)",
            "area.path_loss.exponent = 0: must be > 0 and <= 10 (line 10)",
            "area.demodulators = 0: must be >= 1 and <= 64 (line 10)"
        ]
    );
}

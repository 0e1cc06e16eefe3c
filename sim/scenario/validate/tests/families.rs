//! Checks of each consensus family's parameters and of the adversary's.

use super::*;

#[test]
fn raft_election_timeout_range_is_ordered() {
    let text = |max: &str| {
        format!(
            "duration_s: 60\nvalidators: {{ count: 3 }}\nconsensus: {{ protocol: raft, \
                 election_timeout_ms: 1000, election_timeout_max_ms: {max}, heartbeat_ms: 100 }}\n"
        )
    };
    assert_eq!(
        errors_of(&text("999")),
        ["consensus.election_timeout_max_ms = 999"]
    );
    assert_eq!(errors_of(&text("1000")), Vec::<String>::new());
}

#[test]
fn nakamoto_parameters() {
    let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: nakamoto
  block_interval_s: 0
  max_block_bytes: 999
  confirmations: 1001
  miners: 0
  hash_power: { model: zipf, exponent: 10.5 }
  validation_s_per_mb: -0.1
";
    assert_eq!(
        errors_of(text),
        [
            "consensus.block_interval_s = 0",
            "consensus.max_block_bytes = 999",
            "consensus.confirmations = 1001",
            "consensus.miners = 0",
            "consensus.hash_power.exponent = 10.5",
            "consensus.validation_s_per_mb = -0.1",
        ]
    );
}

#[test]
fn pos_parameters() {
    let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: pos
  slot_s: 0
  slots_per_epoch: 0
  stake: { model: shares, shares: [1, 2] }
  offline_stake: 1
  max_block_bytes: 10
";
    assert_eq!(
        errors_of(text),
        [
            "consensus.slot_s = 0",
            "consensus.slots_per_epoch = 0",
            "consensus.stake.shares = [1, 2]",
            "consensus.offline_stake = 1",
            "consensus.max_block_bytes = 10",
        ]
    );
    let ok = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: pos }\n";
    assert_eq!(errors_of(ok), Vec::<String>::new());
}

#[test]
fn xrpl_parameters() {
    let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: xrpl
  unl: { model: cliques, overlap: 1.5 }
  quorum: 0.5
  ledger_min_close_s: -1
  ledger_min_consensus_s: 1e6
  av_min_consensus_time_s: 0
  ledger_granularity_s: 0
  ledger_idle_interval_s: .nan
";
    assert_eq!(
        errors_of(text),
        [
            "consensus.unl.overlap = 1.5",
            "consensus.quorum = 0.5",
            "consensus.ledger_min_close_s = -1",
            "consensus.ledger_min_consensus_s = 1000000",
            "consensus.av_min_consensus_time_s = 0",
            "consensus.ledger_granularity_s = 0",
            "consensus.ledger_idle_interval_s = .nan",
        ]
    );
}

#[test]
fn notary_parameters() {
    let bad = |cluster: &str| {
        errors_of(&format!(
            "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: notary, \
                 cluster: {cluster}, double_spend_share: 1 }}\n"
        ))
    };
    assert_eq!(
        bad("{ model: raft, nodes: 5 }"),
        [
            "consensus.cluster.nodes = 5",
            "consensus.double_spend_share = 1"
        ]
    );
    assert_eq!(
        bad("{ model: bft, faults: 0 }")[0],
        "consensus.cluster.faults = 0"
    );
    assert_eq!(
        bad("{ model: bft, faults: 2 }")[0],
        "consensus.cluster.faults = 2"
    );
    assert_eq!(
        bad("{ model: bft, faults: 1 }"),
        ["consensus.double_spend_share = 1"]
    );
    assert_eq!(
        bad("{ model: single }"),
        ["consensus.double_spend_share = 1"]
    );
    assert_eq!(
        bad("{ model: raft, nodes: 3 }, election_timeout_ms: 0, heartbeat_ms: -1"),
        [
            "consensus.double_spend_share = 1",
            "consensus.election_timeout_ms = 0",
            "consensus.heartbeat_ms = -1"
        ]
    );
    assert_eq!(
        bad("{ model: raft, nodes: 3 }, election_timeout_ms: 100, heartbeat_ms: 100")[1],
        "consensus.heartbeat_ms = 100"
    );
    assert_eq!(
        bad("{ model: bft, faults: 1 }, view_change_ms: 0"),
        [
            "consensus.double_spend_share = 1",
            "consensus.view_change_ms = 0"
        ]
    );
}

#[test]
fn tangle_parameters() {
    let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: tangle
  approvals: 0
  tip_selection: { model: walk, alpha: -1, depth_s: 0 }
  confirmation: { model: weight, threshold: 0 }
  pow_s: -1
";
    assert_eq!(
        errors_of(text),
        [
            "consensus.approvals = 0",
            "consensus.tip_selection.alpha = -1",
            "consensus.tip_selection.depth_s = 0",
            "consensus.confirmation.threshold = 0",
            "consensus.pow_s = -1",
        ]
    );
    let ms = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: tangle, \
                  confirmation: { model: milestones, interval_s: 0 } }\n";
    assert_eq!(errors_of(ms), ["consensus.confirmation.interval_s = 0"]);
}

#[test]
fn shares_default_to_one_per_validator_and_must_not_all_be_zero() {
    let shares = |list: &str| {
        errors_of(&format!(
            "duration_s: 60\nvalidators: {{ count: 3 }}\nconsensus: {{ protocol: nakamoto, \
                 hash_power: {{ model: shares, shares: {list} }} }}\n"
        ))
    };
    assert_eq!(shares("[1, 2, 3]"), Vec::<String>::new());
    assert_eq!(shares("[1, 2]"), ["consensus.hash_power.shares = [1, 2]"]);
    assert_eq!(
        shares("[0, 0, 0]"),
        ["consensus.hash_power.shares = [0, 0, 0]"]
    );
    assert_eq!(
        shares("[-1, .nan, 1]"),
        [
            "consensus.hash_power.shares[0] = -1",
            "consensus.hash_power.shares[1] = .nan"
        ]
    );
    assert_eq!(shares("[]"), ["consensus.hash_power.shares = []"]);
}

#[test]
fn invalid_validator_count_does_not_cascade_into_miners_and_shares() {
    let text = "\
duration_s: 60
validators: { count: 0 }
consensus: { protocol: nakamoto, miners: 2, hash_power: { model: shares, shares: [1] } }
";
    assert_eq!(
        errors_of(text),
        ["validators.count = 0", "consensus.hash_power.shares = [1]"]
    );
}

#[test]
fn bft_parameters() {
    let bft = |body: &str| {
        errors_of(&format!(
            "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ {body} }}\n"
        ))
    };
    assert_eq!(bft("protocol: pbft"), Vec::<String>::new());
    assert_eq!(bft("protocol: hotstuff"), Vec::<String>::new());
    for model in ["header", "signatures", "aggregate"] {
        let text = format!("protocol: hotstuff, certificate: {model}");
        assert_eq!(bft(&text), Vec::<String>::new());
    }
    let bls = "duration_s: 60\nvalidators: { count: 4 }\n\
                   consensus: { protocol: hotstuff, certificate: bls }\n";
    assert!(serde_yaml::from_str::<Scenario>(bls).is_err());
    assert_eq!(
        bft("protocol: pbft, batch_max_tx: 0, batch_timeout_ms: 1e-7, view_timeout_ms: -1"),
        [
            "consensus.batch_max_tx = 0",
            "consensus.batch_timeout_ms = 1e-7",
            "consensus.view_timeout_ms = -1",
        ]
    );
    assert_eq!(
        bft("protocol: hotstuff, batch_max_tx: 1000001, view_timeout_ms: .nan"),
        [
            "consensus.batch_max_tx = 1000001",
            "consensus.view_timeout_ms = .nan",
        ]
    );
    assert_eq!(bft("protocol: tendermint"), Vec::<String>::new());
    assert_eq!(
        bft(
            "protocol: tendermint, batch_max_tx: 0, timeout_propose_ms: 0, \
                 timeout_prevote_ms: -1, timeout_precommit_ms: .inf, timeout_delta_ms: -5"
        ),
        [
            "consensus.batch_max_tx = 0",
            "consensus.timeout_propose_ms = 0",
            "consensus.timeout_prevote_ms = -1",
            "consensus.timeout_precommit_ms = .inf",
            "consensus.timeout_delta_ms = -5",
        ]
    );
}

#[test]
fn raft_parameters() {
    let raft = |body: &str| {
        errors_of(&format!(
            "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: raft{body} }}\n"
        ))
    };
    assert_eq!(raft(""), Vec::<String>::new());
    assert_eq!(
        raft(", orderers: 2, endorsers: 4, max_message_count: 0, preferred_max_bytes: 0"),
        [
            "consensus.orderers = 2",
            "consensus.endorsers = 4",
            "consensus.max_message_count = 0",
            "consensus.preferred_max_bytes = 0",
        ]
    );
    assert_eq!(
        raft(", orderers: 5, election_timeout_ms: 100, heartbeat_ms: 100, block_validation_ms: -1"),
        [
            "consensus.orderers = 5",
            "consensus.heartbeat_ms = 100",
            "consensus.block_validation_ms = -1",
        ]
    );
}

#[test]
fn adversary_fields() {
    assert_eq!(
        errors("adversary: { kind: selfish_mining, node: 3, hash_share: 0.3, gamma: 0.5 }\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        errors("adversary: { kind: selfish_mining, node: 4, hash_share: 1.0, gamma: 1.5 }\n"),
        [
            "adversary.gamma = 1.5",
            "adversary.hash_share = 1",
            "adversary.node = 4"
        ]
    );
    assert_eq!(
        errors(
            "adversary: { kind: double_spend, node: 0, hash_share: 0.5, confirmations: 0, \
                 give_up_behind: 0 }\n"
        ),
        [
            "adversary.confirmations = 0",
            "adversary.give_up_behind = 0",
            "adversary.hash_share = 0.5",
        ]
    );
    let text = "\
duration_s: 60
validators: { count: 4 }
consensus: { protocol: nakamoto, miners: 2 }
adversary: { kind: double_spend, node: 2, hash_share: 0.2, confirmations: 3 }
";
    assert_eq!(errors_of(text), ["adversary.node = 2"]);
    let bft = |protocol: &str, adversary: &str| {
        errors_of(&format!(
            "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: {protocol} }}\n\
                 adversary: {{ kind: byzantine, {adversary} }}\n"
        ))
    };
    assert_eq!(
        bft("pbft", "nodes: [0, 1], behaviour: equivocate"),
        Vec::<String>::new()
    );
    assert_eq!(
        bft("hotstuff", "nodes: [3], behaviour: withhold"),
        Vec::<String>::new()
    );
    assert_eq!(
        bft("tendermint", "nodes: [0], behaviour: equivocate"),
        Vec::<String>::new()
    );
    assert_eq!(
        bft("xrpl", "nodes: [0, 2], behaviour: withhold"),
        Vec::<String>::new()
    );
    assert_eq!(
        bft("pbft", "nodes: [1, 4, 1], behaviour: withhold"),
        ["adversary.nodes[1] = 4", "adversary.nodes[2] = 1"]
    );
    assert_eq!(
        bft("hotstuff", "nodes: [], behaviour: equivocate"),
        ["adversary.nodes = []"]
    );
    assert_eq!(
        bft("pbft", "nodes: [0, 1, 2, 3], behaviour: equivocate"),
        ["adversary.nodes = 4 ids"]
    );
    assert_eq!(
        bft("nakamoto", "nodes: [0], behaviour: withhold"),
        ["adversary.kind = byzantine"]
    );
    let mining = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: pbft }\n\
                      adversary: { kind: selfish_mining, node: 1, hash_share: 0.3 }\n";
    assert_eq!(errors_of(mining), ["adversary = present"]);
    let behaviour = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: pbft }\n\
                         adversary: { kind: byzantine, nodes: [0], behaviour: lie }\n";
    assert!(serde_yaml::from_str::<Scenario>(behaviour).is_err());
    let eclipse = |adversary: &str| {
        errors_of(&format!(
            "duration_s: 60\nvalidators: {{ count: 6 }}\nconsensus: {{ protocol: tendermint }}\n\
                 adversary: {{ kind: eclipse, {adversary} }}\n"
        ))
    };
    assert_eq!(
        eclipse("nodes: [4, 5], attackers: [0], from_s: 0, until_s: 30"),
        Vec::<String>::new()
    );
    assert_eq!(
        eclipse("nodes: [4], from_s: 5, until_s: 6"),
        Vec::<String>::new()
    );
    assert_eq!(
        eclipse("nodes: [], attackers: [0, 0, 6], from_s: -1, until_s: 30"),
        [
            "adversary.nodes = []",
            "adversary.attackers[1] = 0",
            "adversary.attackers[2] = 6",
            "adversary.from_s = -1",
        ]
    );
    let unknown = format!("{BASE}adversary: {{ kind: eclipse, node: 1 }}\n");
    assert!(serde_yaml::from_str::<Scenario>(&unknown).is_err());
}

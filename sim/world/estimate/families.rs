//! What each family keeps per transaction it creates: the records that grow with simulated
//! time.

use super::Rows;
use crate::scenario::Consensus;

/// Bytes kept per transaction ever created, by the families that keep a record of every
/// request or transaction for the whole run (request tables, logs, the tangle itself), so
/// their memory grows with simulated time. Twice the growth measured between 600 s and
/// 1,800 s of 20,000 devices every 60 s (7 validators, full mesh; bytes per transaction:
/// PBFT 7, its requests and decisions released once executed everywhere, HotStuff 4, its
/// blocks, `NEW-VIEW` records and requests released, Raft 2, its blocks, logs and committed
/// heights released too (`consensus/raft/store.rs`; 66.5 then 67.4 MB peak, dev profile; 9
/// before), notary 262, tangle 196 (before its release; 1 after, 74.3 then 74.7 MB, and
/// 0.4 under a saturated weighted walk from 10 s back once the branches it strands are
/// released, 97 before; the term stays for origins down that hold their transactions)), to
/// cover vector growth by doubling. The XRP Ledger
/// releases positions, ledgers' transaction lists and its maps by sequence below the lowest
/// sequence every validator that can still run fully validated (`consensus/xrpl/store.rs`):
/// 193 bytes per transaction before, none after (dev profile, 61.1 then 60.7 MiB peak; 9 from
/// 1,800 to 3,600 s, 65.9 MiB, not traced); a validator down but not for good holds the
/// release back while it is down, about 140 bytes per transaction created meanwhile
/// (`tests/memory_flat_xrpl_tangle.rs`, a 150 s crash), so 160 covers a crash as long as the
/// run. A two-faced validator's faces, which never fully validate, no longer hold it back
/// (`consensus/xrpl/faces.rs`): validator 0 of 7 two-faced in the case above grew 290 bytes
/// per transaction before (119.5 then 235.7 MB peak, dev profile), 4 after (69.8 then 71.4
/// MB), its own gateways' transactions, which it never settles, leaving the pool once every
/// honest validator fully validated a ledger carrying them.
/// PoS measured 31 there, but that was its pool, not history: finality takes about 2.5 epochs
/// (16 minutes), so the 600 s run had settled nothing. From 1,800 to 3,600 s it grows 4 (76.1
/// then 78.8 MB, dev profile), and 5 with validator 3 down for good (73.6 then 76.7 MB; 15
/// before), its attestations, blocks' lists of them and the transaction lists no live
/// validator settles from being released (`consensus/pos/votes.rs`); its term stays for
/// those 16 minutes of pool. HotStuff keeps 120 all the same:
/// `hotstuff-validators.yaml` grows 61 → 70 MiB from 1,800 to 5,400 s (about 110 bytes per
/// transaction created meanwhile), though no longer in the protocol (a heap profile puts it
/// in the uploads the fleet hands over per step, in the event queue's kept capacity and in
/// the `blocks` table), and the term is what bounds it. A PBFT origin down for good held
/// back the release of the requests after its own until such requests were released with
/// their unsettled transactions counted (`consensus/pbft/requests.rs`);
/// `pbft-validators.yaml` (validator 0 crashed for good at 600 s) then peaked 114 bytes per
/// transaction above the estimate without this term, and `plans/meters-2m-sector.yaml` needed
/// up to 140 over its 200,000 (peaks of 234 to 250 MiB, shared machine); 144 still bounds
/// both. Tendermint releases requests, blocks and decisions the same way
/// (`consensus/tendermint/store.rs`): 17 bytes per transaction in the case above (debug
/// build, 65 then 70 MiB peak), 93 in `tendermint-validators.yaml` between 1,800 s and
/// 7,200 s, where validator 1, down for good at 600 s, held back the requests after its own
/// (57 then 66 MiB; the pending backlog there is uploads stranded at validator 1, counted in
/// `tx_stranded`, not a saturated chain); twice that, rounded up: 190. Raft under
/// overload holds more per transaction at the origins, work in flight that no release can
/// shorten, and that sets its term: 192 measured with 10⁶ devices every 60 s and a crashed
/// leader, and still 139 MiB peak (193 estimated) for the `raft-crashed-leader` case of
/// `tests/memory_estimate.rs` once its blocks were released. Nakamoto's
/// chain keeps no record per transaction beyond its mempool and unsettled blocks (counted
/// apart). The single notary and the BFT notary cluster release their transactions, consumed
/// states and member records (`consensus/notary/txs.rs`, `checkpoint.rs`); what still grows,
/// 260 bytes per transaction for the single notary (109.6 then 211.2 MB peak, dev profile,
/// shared machine) and 262 for BFT (196.1 then 298.6 MB), is the `blocks` table: an 88-byte
/// row per signed transaction (`consensus/notary/rows.rs`), which is the run's output, not
/// history (the notary decides one transaction at a time, so a row is a transaction), and
/// the table built from the rows when the run is written; 2 × 262, rounded up: 530. The
/// Raft notary cluster compacts its members' logs into snapshots and releases its
/// transactions and consumed states too (`consensus/notary/compaction.rs`): what still grows
/// is the `blocks` table again, 244 bytes per transaction with 5 members (160.0 then 257.6 MB
/// peak, dev profile, shared machine; 535 before, 166.4 then 380.4 MB); 2 × 244, rounded
/// up: 490. Those two terms are for rows held to the end ([`Rows::Held`]). Where the rows go
/// to a file as they close ([`Rows::Spilled`]) the notary still climbs about as fast at
/// first, but not for the rows: in `notary-trackers.yaml` (40 tx/s, BFT cluster, debug build)
/// the event queue's radix heap, the largest item of the heap, holds 8.5, 22.8 and 31.4 MB at
/// 600, 2,400 and 9,600 s (heaptrack; peak heap 19.3, 35.6, 45.3 MB; peak RSS 70, 80, 88 MiB,
/// load 8), and the 530 bytes per transaction above stay about right up to 2,400 s (107 MiB
/// estimated). After that it grows 32 bytes per transaction by peak heap, 24 by peak RSS (the
/// Raft cluster of 5 too: 75 then 82 MiB at 2,400 and 9,600 s); twice the larger, rounded
/// up, is [`SPILLED_NOTARY`], counted for the transactions after [`NOTARY_FILLED_S`].
fn per_created_tx(c: &Consensus) -> f64 {
    match c {
        Consensus::Nakamoto(_) => 0.0,
        Consensus::Pos(_) => 80.0,
        Consensus::Hotstuff(_) => 120.0,
        Consensus::Pbft(_) => 144.0,
        Consensus::Tendermint(_) => 190.0,
        Consensus::Xrpl(_) => 160.0,
        Consensus::Raft(_) | Consensus::Tangle(_) => 400.0,
        Consensus::Notary(p) => match p.cluster {
            crate::scenario::NotaryCluster::Raft { .. } => 490.0,
            _ => 530.0,
        },
    }
}

/// Bytes per transaction a notary run keeps, once [`NOTARY_FILLED_S`] have passed, when its
/// `blocks` rows go to a file as they close (see [`per_created_tx`]).
const SPILLED_NOTARY: f64 = 64.0;

/// Seconds over which a notary run whose rows go to a file still grows by its
/// [`per_created_tx`] term (see there).
const NOTARY_FILLED_S: f64 = 2_400.0;

/// Bytes kept for the transactions a run creates at `offered_tx_per_s` over `duration_s`.
pub(super) fn kept_for_created(
    c: &Consensus,
    rows: Rows,
    offered_tx_per_s: f64,
    duration_s: f64,
) -> f64 {
    let created = offered_tx_per_s * duration_s;
    match c {
        Consensus::Notary(_) if rows == Rows::Spilled => {
            let early = offered_tx_per_s * duration_s.min(NOTARY_FILLED_S);
            early * per_created_tx(c) + (created - early) * SPILLED_NOTARY
        }
        _ => created * per_created_tx(c),
    }
}

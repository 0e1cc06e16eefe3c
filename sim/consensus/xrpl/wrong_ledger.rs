//! Which ledger the network works on, from the newest ledger each trusted validator was seen
//! on (rippled's wrong-ledger detection).

use super::{Node, Xrpl};
use std::collections::BTreeMap;

impl Xrpl {
    /// Notes that validator `from` works on (or past) ledger `l`.
    pub(super) fn saw(&self, node: &mut Node, from: u32, l: u32) {
        let slot = &mut node.latest[from as usize];
        if slot.is_none_or(|old| self.ledgers.get(l).height >= self.ledgers.get(old).height) {
            *slot = Some(l);
        }
    }

    /// rippled's wrong-ledger detection (`LedgerTrie::getPreferred`): from the ledger this
    /// node fully validated, descend towards the child on which most of its UNL's newest
    /// ledgers (validations and proposals' parents) lie, as long as its lead over the next
    /// child exceeds the validators not yet past this sequence; an exact tie with none
    /// uncommitted goes to the larger ledger id, so both halves of an even split pick the
    /// same side. The ledger reached, when it is neither this node's ledger nor one of its
    /// ancestors.
    pub(super) fn preferred(&self, node: &Node) -> Option<u32> {
        let tips: Vec<u32> = self.unl[node.id as usize]
            .iter()
            .filter_map(|&u| node.latest[u as usize])
            .filter(|&t| self.ledgers.is_ancestor(node.validated, t))
            .collect();
        let mut x = node.validated;
        loop {
            let h = self.ledgers.get(x).height;
            let mut uncommitted = 0;
            let mut kids: BTreeMap<u32, usize> = BTreeMap::new();
            for &t in &tips {
                if self.ledgers.get(t).height <= h {
                    uncommitted += 1;
                } else if self.ledgers.is_ancestor(x, t) {
                    *kids.entry(self.ledgers.ancestor(t, h + 1)).or_insert(0) += 1;
                }
            }
            let Some((&best, &most)) = kids.iter().max_by_key(|&(&c, &k)| (k, c)) else {
                break;
            };
            let second = kids
                .iter()
                .filter(|&(&c, _)| c != best)
                .map(|(_, &k)| k)
                .max()
                .unwrap_or(0);
            let margin = most - second;
            if margin > uncommitted || (margin == 0 && uncommitted == 0) {
                x = best;
            } else {
                break;
            }
        }
        (!self.ledgers.is_ancestor(x, node.lcl)).then_some(x)
    }
}

//! Transactions travelling from a device to a validator, grouped per upload. Lists are
//! recycled, so a steady flow of uploads allocates nothing.

use crate::consensus::TxIn;

#[derive(Default)]
pub struct Batches {
    lists: Vec<Vec<TxIn>>,
    free: Vec<u32>,
    spare: Vec<Vec<TxIn>>,
}

impl Batches {
    /// A new empty batch and its id.
    pub fn open(&mut self) -> (u32, &mut Vec<TxIn>) {
        let list = self.spare.pop().unwrap_or_default();
        let id = match self.free.pop() {
            Some(id) => {
                self.lists[id as usize] = list;
                id
            }
            None => {
                self.lists.push(list);
                self.lists.len() as u32 - 1
            }
        };
        (id, &mut self.lists[id as usize])
    }

    pub fn list(&mut self, id: u32) -> &mut Vec<TxIn> {
        &mut self.lists[id as usize]
    }

    pub fn len_of(&self, id: u32) -> usize {
        self.lists[id as usize].len()
    }

    /// Removes a delivered batch; hand the list back with [`Batches::give_back`].
    pub fn take(&mut self, id: u32) -> Vec<TxIn> {
        self.free.push(id);
        std::mem::take(&mut self.lists[id as usize])
    }

    pub fn give_back(&mut self, mut list: Vec<TxIn>) {
        list.clear();
        self.spare.push(list);
    }

    /// Transactions in batches not yet delivered (a delivered slot holds an empty list).
    pub fn in_flight(&self) -> u64 {
        self.lists.iter().map(|l| l.len() as u64).sum()
    }
}

//! Transactions at validators and the blocks that carry them.

mod blocks;
mod kind;
mod pool;

pub use blocks::{Block, BlockStore, GENESIS, TxRef};
pub use kind::{TxKind, TxTag};
pub use pool::{NO_BLOCK as NO_BLOCK_ID, Pool, PoolTx};

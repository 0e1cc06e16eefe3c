//! Transactions at validators, the blocks that carry them, and their execution.

mod blocks;
mod exec;
mod kind;
mod order;
mod pool;

pub use blocks::{Block, BlockStore, GENESIS, TxRef};
pub use exec::{Executor, Part};
pub use kind::{TxKind, TxTag};
pub use pool::{NO_BLOCK as NO_BLOCK_ID, Pool, PoolTx};

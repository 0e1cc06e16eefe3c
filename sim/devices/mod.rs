//! The IoT population as struct-of-arrays: connectivity, workloads and store-and-forward
//! buffers of every device, about 32 bytes of state each.

mod connectivity;
mod dist;
mod fleet;
mod workload;

pub use connectivity::{Conn, ConnState};
pub use dist::{Dist, gamma};
pub use fleet::{Fleet, Group, Reading};
pub use workload::Load;

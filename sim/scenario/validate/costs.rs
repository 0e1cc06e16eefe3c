//! Checks of the `costs:` prices.

use super::{Checker, NonNeg, Pos, Upper};
use crate::scenario::Costs;

impl Checker<'_> {
    pub(super) fn costs(&mut self, c: &Costs) {
        for (name, v) in c.fields() {
            let path = format!("costs.{name}");
            match name {
                // Spreading over no time divides by zero; a century is beyond any plan.
                "horizon_years" | "gateway_life_years" => {
                    self.range(&path, v, Pos, Some(Upper(100.0, "")));
                }
                _ => {
                    self.range(&path, v, NonNeg, None);
                }
            }
        }
    }
}

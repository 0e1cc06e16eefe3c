//! The gateway of each LoRaWAN link, in one byte where the gateways' neighbourhoods allow.

/// The gateway of each link, by link index and its device. Links are most of a LoRaWAN
/// device's memory (about 19 a device in the fleet benchmark). A device hears gateways near
/// its nearest one (its home), so where every home's neighbourhood (the gateways that the
/// devices of that home link to) has at most 256 members, a link keeps its gateway's place
/// in its home's neighbourhood in one byte, and a device its home in two. Otherwise a link
/// keeps the id: two bytes while every id fits (up to 65,536 gateways), four beyond.
#[derive(Clone, Debug)]
pub enum GatewayIds {
    Near(Near),
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

#[derive(Clone, Debug)]
pub struct Near {
    /// Each device's nearest gateway (0 for a device without links).
    home: Vec<u16>,
    /// By gateway, where its neighbourhood starts in `members`.
    start: Vec<u32>,
    /// Each neighbourhood's gateways, ascending.
    members: Vec<u16>,
    /// Each link's gateway as its place in the device's home neighbourhood.
    place: Vec<u8>,
}

impl Default for GatewayIds {
    fn default() -> Self {
        GatewayIds::Narrow(Vec::new())
    }
}

/// Hands each device's home (any value for a device without links) and its links' gateways,
/// ascending, in device order, to its argument.
pub type Rows<'a> = &'a dyn Fn(&mut dyn FnMut(u32, &[u32]));

impl GatewayIds {
    /// The gateways of `links` links of `devices` devices to gateways numbered below
    /// `gateways`, as `rows` hands them (twice).
    pub fn build(gateways: usize, devices: usize, links: usize, rows: Rows) -> Self {
        if gateways > 1 << 16 {
            let mut ids = Vec::with_capacity(links);
            rows(&mut |_, r| ids.extend_from_slice(r));
            return GatewayIds::Wide(ids);
        }
        let mut sets: Vec<Vec<u16>> = vec![Vec::new(); gateways];
        rows(&mut |home, r| {
            if let Some(s) = sets.get_mut(home as usize) {
                s.extend(r.iter().map(|&g| g as u16));
                if s.len() > 4096 {
                    s.sort_unstable();
                    s.dedup();
                }
            }
        });
        for s in &mut sets {
            s.sort_unstable();
            s.dedup();
        }
        if sets.iter().any(|s| s.len() > 256) {
            let mut ids = Vec::with_capacity(links);
            rows(&mut |_, r| ids.extend(r.iter().map(|&g| g as u16)));
            return GatewayIds::Narrow(ids);
        }
        let mut start = Vec::with_capacity(gateways + 1);
        start.push(0);
        let mut members = Vec::with_capacity(sets.iter().map(Vec::len).sum());
        for s in sets {
            members.extend_from_slice(&s);
            start.push(members.len() as u32);
        }
        let mut home = Vec::with_capacity(devices);
        let mut place = Vec::with_capacity(links);
        rows(&mut |h, r| {
            if r.is_empty() {
                home.push(0);
                return;
            }
            home.push(h as u16);
            let h = h as usize;
            let m = &members[start[h] as usize..start[h + 1] as usize];
            for &g in r {
                let at = m
                    .binary_search(&(g as u16))
                    .expect("in its home's neighbourhood");
                place.push(at as u8);
            }
        });
        GatewayIds::Near(Near {
            home,
            start,
            members,
            place,
        })
    }

    /// The gateway of link `k`, one of device `d`'s.
    pub fn get(&self, d: u32, k: usize) -> u32 {
        match self {
            GatewayIds::Near(n) => {
                let base = n.start[n.home[d as usize] as usize] as usize;
                n.members[base + n.place[k] as usize] as u32
            }
            GatewayIds::Narrow(v) => v[k] as u32,
            GatewayIds::Wide(v) => v[k],
        }
    }

    /// Links kept, over all devices.
    pub fn len(&self) -> usize {
        match self {
            GatewayIds::Near(n) => n.place.len(),
            GatewayIds::Narrow(v) => v.len(),
            GatewayIds::Wide(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The gateways of device `d`'s links `range`.
    pub fn row(&self, d: u32, range: std::ops::Range<usize>) -> Vec<u32> {
        range.map(|k| self.get(d, k)).collect()
    }

    /// Device `d`'s stored home (0 where links keep whole ids): reading it brings it into
    /// the cache, as [`GatewayIds::get`] reads it for every link of the device.
    pub fn touch_home(&self, d: u32) -> u32 {
        match self {
            GatewayIds::Near(n) => n.home.get(d as usize).map_or(0, |&h| h as u32),
            GatewayIds::Narrow(_) | GatewayIds::Wide(_) => 0,
        }
    }

    /// Link `k`'s stored bytes, 0 past the end: reading them brings them into the cache.
    pub fn touch(&self, k: usize) -> u32 {
        match self {
            GatewayIds::Near(n) => n.place.get(k).map_or(0, |&p| p as u32),
            GatewayIds::Narrow(v) => v.get(k).map_or(0, |&g| g as u32),
            GatewayIds::Wide(v) => v.get(k).copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of `table`'s links (home and gateways by device) to `gateways` gateways.
    fn ids(gateways: usize, table: &[(u32, Vec<u32>)]) -> GatewayIds {
        let links = table.iter().map(|r| r.1.len()).sum();
        let rows = |visit: &mut dyn FnMut(u32, &[u32])| {
            for (h, r) in table {
                visit(*h, r);
            }
        };
        GatewayIds::build(gateways, table.len(), links, &rows)
    }

    #[test]
    fn every_gateway_comes_back_in_the_narrowest_form_that_holds_it() {
        // Three homes; device 2 has no links, device 3 links only to gateways other than its
        // home.
        let table = vec![
            (0, vec![0, 3, 900]),
            (0, vec![1, 3]),
            (7, vec![]),
            (5, vec![0, 2, 4]),
            (5, vec![4]),
        ];
        let links: usize = table.iter().map(|r| r.1.len()).sum();
        let check = |ids: &GatewayIds| {
            let mut k = 0;
            for (d, (_, r)) in table.iter().enumerate() {
                assert_eq!(ids.row(d as u32, k..k + r.len()), *r, "device {d}");
                k += r.len();
            }
            assert_eq!(ids.len(), links);
        };
        let near = ids(1000, &table);
        assert!(matches!(near, GatewayIds::Near(_)));
        check(&near);
        // More than 65,536 gateways: four bytes.
        let wide = ids(70_000, &table);
        assert!(matches!(wide, GatewayIds::Wide(_)));
        check(&wide);
        // A home whose devices reach 257 gateways: two bytes.
        let mut crowded = table.clone();
        crowded.push((1, (0..257).collect()));
        let narrow = ids(1000, &crowded);
        assert!(matches!(narrow, GatewayIds::Narrow(_)));
        let mut k = 0;
        for (d, (_, r)) in crowded.iter().enumerate() {
            assert_eq!(narrow.row(d as u32, k..k + r.len()), *r, "device {d}");
            k += r.len();
        }
    }

    #[test]
    fn a_link_of_a_near_form_takes_one_byte() {
        let table: Vec<(u32, Vec<u32>)> = (0..100).map(|d| (d % 10, vec![d % 10, 50])).collect();
        let GatewayIds::Near(n) = &ids(60, &table) else {
            panic!("ten neighbourhoods of two")
        };
        assert_eq!(
            (n.place.len(), n.home.len(), n.members.len()),
            (200, 100, 20)
        );
        assert_eq!(std::mem::size_of_val(&n.place[0]), 1);
    }
}

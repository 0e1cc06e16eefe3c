//! The end of a run: transfers and receipts still in flight counted, the fleet's and the
//! protocol's last state gathered, the rows written out sealed, and the [`RunOutput`] built.

use super::{
    Fate, Plans, RunError, Traffic, World, air_tables, cells, receipts, relay, shards_events,
    summary, typed,
};
use crate::consensus::Protocol;
use crate::ledger::TxKind;
use crate::metrics::{Conservation, NodeRow, RunOutput, Stages};
use crate::net::Uplinks;
use crate::scenario;

impl<P: Protocol> World<'_, P> {
    pub(super) fn finish(mut self) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
        // Transfers still on a fair-shared link never reached their receivers.
        for (to, msg, bytes) in self
            .uplinks
            .as_mut()
            .map(Uplinks::unfinished)
            .unwrap_or_default()
        {
            let kind = self.protocol.kind(&msg);
            self.part.traffic.ended(kind, to, bytes, Fate::InFlight);
        }
        let mut shards = std::mem::take(&mut self.shards);
        self.receipts_settle();
        self.receipts_merge(&mut shards, self.end, self.end);
        self.shards = shards;
        let queue = self.airwaves.as_ref().and_then(|w| w.receipts.as_ref());
        let receipt_counts = self.receipts.as_mut().map(|r| r.finish(queue));
        if let Some(c) = receipt_counts
            && !c.holds()
        {
            return Err(RunError::ReceiptConservation(c));
        }
        let mut pending_on_device = 0;
        let mut in_open_gateway_batches = 0;
        let plans = Plans {
            air: self.air.as_deref(),
            cells: self.cells.as_deref(),
        };
        let mut cell_stats = crate::radio::cell::CellStats::default();
        let mut cell_states = crate::radio::cellular::CellStates::default();
        let mut energy = self
            .airwaves
            .as_mut()
            .and_then(|w| w.energy.take())
            .unwrap_or_default();
        energy.add_cellular(self.s);
        let queue = self.airwaves.as_ref().and_then(|w| w.receipts.as_ref());
        for (d, n) in self.receipts.iter().flat_map(|r| r.held_by_device(queue)) {
            energy.on_receipts(d, n);
        }
        for sh in &mut self.shards {
            let (on_device, in_batches) = sh.finish(plans);
            for (d, dev) in sh.cell_devices_by_id() {
                energy.on_cell_device(d, &dev.states);
            }
            for c in &sh.cells {
                cell_stats.add(&c.stats);
            }
            for d in &sh.cell_devices {
                cell_states.add(&d.states);
            }
            pending_on_device += on_device;
            in_open_gateway_batches += in_batches;
            self.metrics.absorb_devices(&sh.metrics);
        }
        // The partitions' counts summed (`Traffic::absorb` flushes).
        let mut traffic = Traffic::new(self.net.nodes());
        self.each_part(|p| traffic.absorb(&mut p.traffic));
        let report = self
            .protocol
            .finish(&self.nodes, self.end, &mut self.metrics);
        let spilled = match self.spill.take() {
            Some(spill) => spill.seal().map_err(RunError::Rows)?,
            None => None,
        };
        if let Some(gossip) = self.protocol.gossip() {
            let (rows, nodes) = relay::cost(&self.net, &self.reach, &self.metrics.gossiped, gossip);
            traffic.add_modeled(rows, &nodes);
        }
        let radio = self
            .airwaves
            .as_ref()
            .zip(self.air.as_deref())
            .map(|(w, air)| {
                let duration = crate::engine::to_secs(self.end);
                air_tables::Tables::of(w, &self.batches, air, self.s, duration)
            });
        let air_held = self.airwaves.as_ref().map_or(0, |w| w.held());
        if let Some(r) = &radio {
            in_open_gateway_batches += r.on_air;
            pending_on_device += r.awaiting_repeat;
        }
        // What devices hold, by kind: the fleet's readings, and what typed workloads buffer.
        let mut on_device = [0; TxKind::COUNT];
        on_device[TxKind::Reading.index()] = pending_on_device;
        let mut workload_rows = Vec::new();
        if let Some(w) = &mut self.workloads {
            let paths = typed::Paths {
                access: &self.access,
                groups: &self.groups,
                seed: self.s.seed,
            };
            workload_rows = w.finish(&mut on_device, &paths)?;
            pending_on_device = on_device.iter().sum();
        }
        let mut handed = 0;
        self.each_part(|p| handed += p.batches.in_flight());
        let m = &self.metrics;
        let conservation = Conservation {
            created: m.created,
            settled: m.settled,
            pending_on_device,
            // The radio's part of the batches is counted in its tables (`on_air`, kept for
            // a repeat) instead.
            pending_in_transit: self.batches.in_flight() - air_held
                + handed
                + self.faults.stranded_tx
                + in_open_gateway_batches,
            pending_in_mempool: report.pending_in_mempool,
            // Decided but still executing at the end: in a block, not settled.
            pending_in_block: report.pending_in_block + self.part.exec.pending(),
            dropped: std::iter::once(("buffer_overflow".to_string(), m.dropped_overflow))
                .chain(radio.iter().flat_map(|r| r.dropped.iter().cloned()))
                .chain(report.dropped.iter().cloned())
                .collect(),
        };
        if !conservation.holds() {
            return Err(RunError::Conservation {
                created: conservation.created,
                accounted: conservation.accounted(),
                detail: conservation,
            });
        }
        let stages = Stages {
            settled: conservation.settled,
            before_validators: conservation.pending_on_device + conservation.pending_in_transit,
            at_validators: conservation.pending_in_mempool + conservation.pending_in_block,
            dropped: conservation.dropped.iter().map(|(_, n)| n).sum(),
        };
        let kinds = crate::metrics::account(&m.kinds, &on_device, stages)?;
        let mut gateways = vec![0u32; self.net.nodes() as usize];
        for &v in &self.access.gateway_validator {
            gateways[v as usize] += 1;
        }
        let classes = &self.s.network.classes;
        let nodes = report
            .nodes
            .iter()
            .enumerate()
            .map(|(v, st)| NodeRow {
                node: v as u32,
                region: self.net.table.names[self.net.region[v] as usize].clone(),
                class: (!classes.is_empty())
                    .then(|| classes[self.net.class[v] as usize].name.clone()),
                hash_share: st.hash_share,
                stake_share: st.stake_share,
                peers: self.net.peers(v as u32).len() as u32,
                gateways: gateways[v],
                blocks_proposed: st.blocks_proposed,
                blocks_main_chain: st.blocks_main_chain,
                settled_tx: st.settled_tx,
                traffic: traffic.nodes()[v],
            })
            .collect();
        let facts = summary::Facts {
            s: self.s,
            events: self.events(),
            device_events: shards_events(&self.shards),
            messages: traffic.rows(),
            undelivered: traffic.undelivered().collect(),
            redundant_copies: self.copies_dropped,
            devices: self.devices as u64,
            gateways: self.access.gateways() as u64,
            dropped: conservation.dropped.iter().map(|(_, n)| n).sum(),
            ledger_bytes: report.ledger_bytes.or_else(|| {
                let on_disk = spilled.as_ref().map(|s| s.kept_bytes());
                (!report.blocks.is_empty() || on_disk.is_some()).then(|| {
                    let kept = report.blocks.iter().filter(|b| !b.stale);
                    kept.map(|b| b.size_bytes).sum::<u64>() + on_disk.unwrap_or(0)
                })
            }),
        };
        let mut protocol_summary = report.summary;
        if self.s.faults.is_some() {
            protocol_summary.extend(self.faults.summary());
        }
        protocol_summary.extend(self.faults.eclipse_summary());
        protocol_summary.extend(workload_rows);
        // Partitioned runs have no `validators.execution`: every executor kept nothing.
        protocol_summary.extend(self.part.exec.summary());
        let radio = radio.unwrap_or_default();
        protocol_summary.extend(radio.summary);
        let energy = energy.output(self.s, self.end, m.settled);
        protocol_summary.extend(energy.summary.iter().cloned());
        if let Some(c) = &receipt_counts {
            protocol_summary.extend(receipts::summary(c));
        }
        let (privacy, privacy_summary) = self
            .privacy
            .take()
            .map(|p| p.finish(m.measured))
            .unwrap_or_default();
        protocol_summary.extend(privacy_summary);
        if let Some(plan) = &self.cells {
            let devices = plan.groups.iter().map(|g| g.count as u64).sum();
            protocol_summary.extend(cells::summary(&cell_stats, &cell_states, devices));
        }
        let output = RunOutput {
            scenario_name: self.s.name.clone(),
            scenario_yaml: scenario::to_yaml(self.s),
            seed: self.s.seed,
            version: env!("CARGO_PKG_VERSION").to_string(),
            summary: {
                let mut rows = summary::summary(&facts, m, &protocol_summary);
                let costs = crate::cost::summary(self.s, &rows);
                rows.extend(costs);
                rows
            },
            timeseries: summary::timeseries(m, self.end),
            latency: summary::latency(m, &self.s.metrics.quantiles),
            latency_hist: summary::latency_hist(m),
            settlement_cdf: m.settlement.cdf_of(m.measured),
            block_arrival_cdf: m.block_arrival.cdf(),
            receipt_cdf: receipt_counts
                .as_ref()
                .map(|_| m.receipt.cdf_of(m.receipt_measured)),
            conservation,
            kinds: if m.kinds.typed() { kinds } else { Vec::new() },
            blocks: report.blocks,
            blocks_spilled: spilled,
            nodes,
            messages: traffic.rows(),
            leaders: report.leaders,
            radio: radio.radio,
            gateways: radio.gateways,
            radio_distance: radio.distance,
            energy,
            privacy,
        };
        Ok((output, self.protocol, self.nodes))
    }
}
